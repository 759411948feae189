"""Lifecycle lanes: one strip of cells per pod, each cell a slice of cluster time.

Drawn side by side for a StatefulSet's ordinals they make the controller's rules visible: an
ordered scale-up is a staircase (each ordinal turns green before the next appears), a scale-down
is the same staircase running backwards from the highest ordinal.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from k8slab.state.history import Transition
from k8slab.tui.views.tones import Tone

#: Seconds of cluster time per cell, smallest first; the first that fits the span is used.
SCALES = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400)

# What each pod transition means for the lane's colour from then on (None: no pod).
_TONE_AFTER: dict[str, Tone | None] = {
    "created": "wait", "scheduled": "wait", "running": "wait", "unready": "wait",
    "restarted": "wait", "ready": "ok", "succeeded": "ok", "unschedulable": "bad",
    "failed": "bad", "terminating": "gone", "deleted": None,
}


@dataclass(frozen=True, slots=True)
class Window:
    """The stretch of cluster time the lanes cover: `width` cells of `scale` seconds."""

    start: float
    scale: float
    width: int

    @property
    def end(self) -> float:
        return self.start + self.scale * self.width

    def cell(self, t: float) -> int:
        """The index of the cell holding time `t` (may be outside 0..width-1)."""
        return math.floor((t - self.start) / self.scale)


def window(first: float, now: float, width: int) -> Window:
    """The finest window of `width` cells that shows everything from `first` to `now`.

    The start snaps to a multiple of the scale, so the window only changes when the scale has
    to grow: cells already drawn keep their meaning from frame to frame.
    """
    width = max(1, width)
    span = max(0.0, now - first)
    for scale in SCALES:
        start = math.floor(first / scale) * scale
        if now - start < scale * width:
            return Window(start, float(scale), width)
    scale = SCALES[-1] * math.ceil(span / (SCALES[-1] * width) + 1)
    return Window(math.floor(first / scale) * scale, float(scale), width)


def lane(transitions: Iterable[Transition], win: Window, now: float) -> tuple[Tone | None, ...]:
    """The tone of each cell for one pod name's transitions (in time order).

    A cell shows the pod's state at the end of its slice (or at `now` for the current cell);
    cells after `now` and cells where no pod existed are None.
    """
    changes: list[tuple[float, Tone | None]] = []
    for t in transitions:
        if t.what in _TONE_AFTER:
            changes.append((t.time, _TONE_AFTER[t.what]))
    cells: list[Tone | None] = []
    i, current = 0, None
    for c in range(win.width):
        cell_end = win.start + (c + 1) * win.scale
        if cell_end - win.scale > now:
            cells.append(None)
            continue
        # A change at a cell's end boundary belongs to the next cell; in the current cell,
        # everything up to now counts.
        while i < len(changes) and (changes[i][0] < cell_end or
                                    (cell_end > now and changes[i][0] <= now)):
            current = changes[i][1]
            i += 1
        cells.append(current)
    return tuple(cells)
