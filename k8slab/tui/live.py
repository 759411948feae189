"""What the live panes read each frame: one small object handed to every pane.

A pane declares the kinds it shows (`KINDS`); the screen calls its `update_live()` only when
one of them changed in this frame's batch of watch events, or, for panes that show time
(`TIMED`), when the cluster clock moved.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from k8slab.cluster.protocol import WatchEvent
from k8slab.state.mirror import ClusterState
from k8slab.tui.views.podlog import PodLog
from k8slab.tui.views.timebase import Timebase

#: The pseudo-kind a frame reports when only the clock moved.
CLOCK = "@clock"
#: The pseudo-kind a frame reports when it cannot tell what changed (every pane redraws).
ALL = "@all"


@dataclass(slots=True)
class LiveData:
    """The mirror, its pod index, the time base and the current cluster time."""

    state: ClusterState
    log: PodLog
    timebase: Timebase
    now: float = 0.0
    changed: set[str] = field(default_factory=set)  # kinds changed this frame (+ CLOCK)
    batch: list[WatchEvent] = field(default_factory=list)  # this frame's watch events

    def merge(self, later: LiveData) -> LiveData:
        """This frame's data followed by a later frame's: what a pane that skipped the
        earlier frame needs to catch up."""
        return LiveData(self.state, self.log, self.timebase, later.now,
                        self.changed | later.changed, self.batch + later.batch)

    def touches(self, kinds: frozenset[str]) -> bool:
        """Whether this frame changed any of `kinds` (or possibly anything)."""
        return ALL in self.changed or bool(self.changed & kinds)
