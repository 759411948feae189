"""Keep the garbage collector's full passes short while the lab runs.

CPython's full (generation 2) collection walks every tracked container. With 1,000 pods on
the sim that is a few hundred thousand (the sim's store, the mirror and its History), and a
full pass took 150-270 ms with the screen stopped, every 4-5 s (bench/live_latency.py).
Nearly all of those objects live as long as the lab, so walking them again finds nothing.

`FreezeSurvivors` freezes (`gc.freeze`) whatever survived each full collection, so the next
one walks only what was allocated since. Frozen objects are still freed when their last
reference goes (reference counting is untouched); only cyclic garbage among them (a removed
widget and its parent links, an old toast) waits. So every `thaw_every` seconds it unfreezes
everything, and the next full collection walks it all once and frees those cycles: one long
pause per interval instead of one every few seconds, and memory bounded by the cyclic garbage
of one interval.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

#: Seconds between thaws (each followed by one full collection over everything).
THAW_EVERY = 30.0


class FreezeSurvivors:
    """Freeze the survivors of each full collection; thaw now and then. Call `tick()` from
    a timer (the lab's frame) and `close()` at exit."""

    def __init__(self, *, thaw_every: float = THAW_EVERY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.thaw_every = thaw_every
        self._clock = clock
        self._last_thaw = clock()
        self._collected = False
        self.freezes = 0
        self.thaws = 0
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        # Only note it: freezing from inside the collector's callback is not safe to rely on.
        if phase == "stop" and info.get("generation") == 2:
            self._collected = True

    def tick(self) -> None:
        """Freeze after a full collection; unfreeze once `thaw_every` seconds have passed."""
        now = self._clock()
        if now - self._last_thaw >= self.thaw_every:
            self._last_thaw = now
            self._collected = False
            gc.unfreeze()
            self.thaws += 1
        elif self._collected:
            self._collected = False
            gc.freeze()
            self.freezes += 1

    def close(self) -> None:
        """Stop, and give every frozen object back to the collector."""
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        gc.unfreeze()
