"""Merge the per-kind watch streams back into the order the cluster made the changes.

Each kind is watched on its own connection, so a pod's ADDED can arrive a few milliseconds
before the StatefulSet MODIFIED that caused it. Downstream, history is read in order ("web-3
was created after the scale-up"), so arrival order is not good enough. resourceVersions come
from etcd's single revision counter, which orders every write in the cluster (Kubernetes now
documents them as comparable); the sequencer holds each event briefly and releases events in
resourceVersion order, so a stream that lags by less than the hold time cannot reorder cause
and effect.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from k8slab.cluster.protocol import WatchEvent

HOLD = 0.3  # seconds an event waits for stragglers of other kinds with a smaller version
TICK = 0.05


def version_key(resource_version: str) -> int:
    """A resourceVersion as a number to sort by; 0 for anything not numeric."""
    return int(resource_version) if resource_version.isdigit() else 0


@dataclass(order=True)
class _Held:
    key: int
    seq: int
    arrived: float = field(compare=False)
    event: WatchEvent = field(compare=False)


class Sequencer:
    """Releases events to `emit` in resourceVersion order, each at most ~HOLD late.

    The release thread sleeps on a condition while nothing is held, so an idle watch costs
    nothing. `stop()` releases whatever is still held, in order.
    """

    def __init__(self, emit: Callable[[WatchEvent], None], *, hold: float = HOLD,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._emit = emit
        self._hold = hold
        self._clock = clock
        self._heap: list[_Held] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self._last_time = 0.0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="k8slab-watch-sequencer",
                                        daemon=True)
        self._thread.start()

    def put(self, event: WatchEvent, key: int) -> None:
        with self._cond:
            if self._stopped:
                return
            heapq.heappush(self._heap, _Held(key, next(self._seq), self._clock(), event))
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)
        self._release(everything=True)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
            self._release()
            with self._cond:
                if self._heap and not self._stopped:
                    self._cond.wait(TICK)

    def _release(self, everything: bool = False) -> None:
        due: list[WatchEvent] = []
        with self._cond:
            cutoff = self._clock() - self._hold
            while self._heap and (everything or self._heap[0].arrived <= cutoff):
                due.append(heapq.heappop(self._heap).event)
        for event in due:
            # Keep event times non-decreasing in the order they are released.
            self._last_time = max(self._last_time, event.time)
            if event.time < self._last_time:
                event = WatchEvent(event.type, event.object, self._last_time)
            self._emit(event)
