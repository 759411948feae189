"""The sim's virtual clock: a heap of timed happenings run in a deterministic order.

Every change in the simulated cluster happens inside a happening: a controller sync, a kubelet
step, a scheduler pass. Happenings due at the same time run in the order they were scheduled
(a sequence counter breaks ties), so the same seed and the same actions always give the same
sequence of events.

Two ways to drive it:

- headless (tests, `check --solve`): `step()`, `advance(seconds)` or the cluster's `pump()`
  jump straight from one happening to the next; no wall time passes.
- realtime (the TUI): a timer calls `tick(real_seconds)`, which advances virtual time by
  `real_seconds * speed` unless `paused`, running everything that falls due.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass

MIN_SPEED, MAX_SPEED = 0.25, 60.0


@dataclass(slots=True, eq=False)
class Happening:
    """One scheduled callback. Cancel it with `cancel()`; a cancelled happening never runs."""

    time: float
    seq: int
    action: Callable[[], None]
    label: str = ""
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


class SimClock:
    """Virtual time in seconds since the sim's epoch (2026-01-01T00:00:00Z)."""

    def __init__(self) -> None:
        self.now: float = 0.0
        self.paused = False
        self._speed = 1.0
        self._heap: list[tuple[float, int, Happening]] = []
        self._seq = 0
        self._cron: dict[str, float] = {}  # "ns/name" of a CronJob -> its next run time
        self.steps_run = 0

    # -- speed ------------------------------------------------------------------------------
    @property
    def speed(self) -> float:
        """Virtual seconds per real second in realtime mode, from 0.25 to 60."""
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        self._speed = min(MAX_SPEED, max(MIN_SPEED, float(value)))

    # -- scheduling -------------------------------------------------------------------------
    def at(self, time: float, action: Callable[[], None], label: str = "") -> Happening:
        """Run `action` at virtual `time` (never earlier than now)."""
        self._seq += 1
        h = Happening(max(time, self.now), self._seq, action, label)
        heapq.heappush(self._heap, (h.time, h.seq, h))
        return h

    def after(self, delay: float, action: Callable[[], None], label: str = "") -> Happening:
        """Run `action` `delay` virtual seconds from now."""
        return self.at(self.now + max(0.0, delay), action, label)

    def next_time(self) -> float | None:
        """When the next happening is due, or None when nothing is scheduled."""
        self._drop_cancelled()
        return self._heap[0][0] if self._heap else None

    def pending(self) -> int:
        """How many happenings are scheduled (cancelled ones included until they surface)."""
        return len(self._heap)

    # -- running ----------------------------------------------------------------------------
    def step(self) -> float | None:
        """Run the next happening (moving time forward to it) and return its time."""
        self._drop_cancelled()
        if not self._heap:
            return None
        h = heapq.heappop(self._heap)[2]
        self.now = max(self.now, h.time)
        self.steps_run += 1
        h.action()
        return h.time

    def run_due(self, until: float, stop: Callable[[], bool] | None = None) -> bool:
        """Run every happening due at or before `until`, in order.

        Stops early (returning True) as soon as `stop()` is true after a happening.
        """
        while True:
            nxt = self.next_time()
            if nxt is None or nxt > until:
                return False
            self.step()
            if stop is not None and stop():
                return True

    def advance(self, seconds: float) -> None:
        """Move time forward by `seconds`, running everything that falls due on the way."""
        target = self.now + max(0.0, seconds)
        self.run_due(target)
        self.now = max(self.now, target)

    def advance_to(self, time: float) -> None:
        """Move time forward to `time`, running everything that falls due on the way."""
        self.advance(time - self.now)

    def tick(self, real_seconds: float) -> None:
        """Realtime mode: let `real_seconds` of wall time pass at the current speed."""
        if self.paused or real_seconds <= 0:
            return
        self.advance(real_seconds * self._speed)

    # -- CronJob runs -----------------------------------------------------------------------
    def set_cron(self, key: str, next_run: float | None) -> None:
        """Register (or with None, forget) when the CronJob `key` ("ns/name") next runs.

        The CronJob controller calls this so the UI can offer "jump to the next run".
        """
        if next_run is None:
            self._cron.pop(key, None)
        else:
            self._cron[key] = next_run

    def next_cron_time(self) -> float | None:
        """The earliest registered CronJob run still in the future (or due now), or None."""
        times = [t for t in self._cron.values() if t >= self.now]
        return min(times) if times else None

    def jump_to_next_cron(self) -> float | None:
        """Advance to the next CronJob run and run what is due then; return that time."""
        nxt = self.next_cron_time()
        if nxt is not None:
            self.advance_to(nxt)
        return nxt

    def _drop_cancelled(self) -> None:
        heap = self._heap
        while heap and heap[0][2].cancelled:
            heapq.heappop(heap)
