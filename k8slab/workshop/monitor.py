"""Every learner's namespace mirrored and graded, once (`status`) or live (`dashboard`).

One list, then one watch, per kind across all namespaces, using the kube backend's watchers
(`k8slab.cluster.kube.watch`): the cost does not grow with the number of learners (14 watches
whether there are 3 learners or 60), and objects outside the workshop's namespaces are dropped
on arrival. At steady state nothing is polled; a 410 Gone re-lists and forwards only the
difference, and a dropped connection reconnects with back-off while the status line says so.

Threading: watcher threads only fill an EventStream. `refresh()` drains it and grades, so the
mirrors are touched by one thread at a time (the dashboard runs it in one exclusive worker).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from k8slab.cluster import objects as o
from k8slab.cluster.protocol import EventStream, WatchEvent
from k8slab.lessons.model import Lesson
from k8slab.state.mirror import ClusterState
from k8slab.workshop.adapt import demo_items
from k8slab.workshop.admin import AdminClient
from k8slab.workshop.names import LABEL_LEARNER, LABEL_WORKSHOP, selector
from k8slab.workshop.provision import Workshop
from k8slab.workshop.status import (
    CLUSTER_KINDS,
    NAMESPACED_KINDS,
    STUCK_AFTER,
    LearnerStatus,
    WorkshopStatus,
    grade_learner,
    stuck_reason,
)

if TYPE_CHECKING:
    from k8slab.cluster.kube.watch import WatchGroup


class WorkshopMonitor:
    """The instructor's mirror of a workshop.

    Args:
        admin: the instructor's client.
        workshop: which workshop (from `provision.resolve_workshop`).
        lesson: its lesson.
        stuck_after: seconds without anything new before a learner counts as stuck.
        clock: wall-clock source (tests pass a fixed one).
    """

    def __init__(self, admin: AdminClient, workshop: Workshop, lesson: Lesson, *,
                 stuck_after: float = STUCK_AFTER,
                 clock: Callable[[], float] = time.time) -> None:
        self.admin = admin
        self.workshop = workshop
        self.lesson = lesson
        self.stuck_after = stuck_after
        self.clock = clock
        self._demo = demo_items(lesson)
        self._learners: dict[str, str] = {}  # namespace -> learner
        self._states: dict[str, ClusterState] = {}
        self._shared: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in CLUSTER_KINDS}
        self._rows: dict[str, LearnerStatus] = {}
        self._pass_times: dict[str, dict[str, float]] = {}
        self._dirty: set[str] = set()
        self._stream = EventStream()
        self._group: WatchGroup | None = None
        for learner, ns in workshop.learners.items():
            self._add_learner(learner, ns)

    # -- loading and grading ----------------------------------------------------------------
    def load(self) -> WorkshopStatus:
        """List everything once and grade every learner (all that `status` needs)."""
        now = self.clock()
        namespaces, _ = self.admin.list("Namespace", label_selector=selector(self.workshop.name))
        listed = [namespaces, *(self.admin.list(k)[0] for k in (*CLUSTER_KINDS, *NAMESPACED_KINDS))]
        for items in listed:
            for obj in items:
                self._event(WatchEvent("ADDED", obj, now))
        return self.refresh()

    @property
    def status(self) -> str:
        """Connection trouble for the status bar, or "" when every watch is healthy."""
        return self._stream.status

    def refresh(self) -> WorkshopStatus:
        """Fold in what the watches sent, re-grade the learners it touched, and re-judge who
        is stuck (time passes even when nothing happens)."""
        for event in self._stream.drain():
            self._event(event)
        now = self.clock()
        for ns in sorted(self._dirty):
            if ns in self._states:
                self._grade(ns, now)
        self._dirty.clear()
        for ns, row in self._rows.items():
            stuck = stuck_reason(self.lesson, row.items, row.last_activity, now,
                                 self.stuck_after)
            if stuck != row.stuck:
                self._rows[ns] = dataclasses.replace(row, stuck=stuck)
        return self.snapshot(now)

    def snapshot(self, now: float | None = None) -> WorkshopStatus:
        """The latest grades, without folding anything new in."""
        rows = [self._rows[ns] for ns in sorted(self._rows, key=lambda n: self._learners[n])]
        return WorkshopStatus(self.workshop.name, self.lesson.id,
                              tuple((i.id, i.title) for i in self.lesson.checklist),
                              tuple(rows), self.clock() if now is None else now)

    def state_of(self, learner: str) -> ClusterState | None:
        """The mirror of one learner's namespace (for the resource view)."""
        ns = self.workshop.learners.get(learner)
        return self._states.get(ns) if ns else None

    def _grade(self, ns: str, now: float) -> None:
        first = ns not in self._rows
        times = self._pass_times.setdefault(ns, {})
        row = grade_learner(self.lesson, self._learners[ns], ns, self._states[ns],
                            demo=self._demo, now=now, stuck_after=self.stuck_after,
                            pass_times=times)
        for iid, item in row.items.items():
            if item.state == "passed" and iid not in times:
                # Passed before the dashboard started: when is unknown, so it is no activity.
                times[iid] = 0.0 if first else now
        if times and max(times.values()) > row.last_activity:
            row = dataclasses.replace(row, last_activity=max(times.values()))
        self._rows[ns] = row

    # -- mirroring --------------------------------------------------------------------------
    def _add_learner(self, learner: str, ns: str) -> None:
        if ns in self._states:
            return
        self._learners[ns] = learner
        self.workshop.learners.setdefault(learner, ns)
        state = ClusterState(ns)
        now = self.clock()
        for objs in self._shared.values():
            for obj in objs.values():
                state.apply(WatchEvent("ADDED", obj, now))
        self._states[ns] = state
        self._dirty.add(ns)

    def _event(self, event: WatchEvent) -> None:
        """Route one event to the learner mirrors it concerns; drop the rest."""
        obj, kind = event.object, str(event.object.get("kind", ""))
        if kind == "Namespace":
            labels = o.labels(obj)
            if labels.get(LABEL_WORKSHOP) != self.workshop.name:
                return
            if event.type != "DELETED" and labels.get(LABEL_LEARNER):
                self._add_learner(labels[LABEL_LEARNER], o.name(obj))
            if o.name(obj) in self._states:
                self._states[o.name(obj)].apply(event)
                self._dirty.add(o.name(obj))
            return
        if kind in self._shared:
            if event.type == "DELETED":
                self._shared[kind].pop(o.name(obj), None)
            else:
                self._shared[kind][o.name(obj)] = obj
            for ns, state in self._states.items():
                state.apply(event)
                self._dirty.add(ns)
            return
        ns = o.namespace(obj)
        if ns in self._states:
            self._states[ns].apply(event)
            self._dirty.add(ns)

    # -- watching ---------------------------------------------------------------------------
    def start(self) -> None:
        """Watch every kind across all namespaces, in the kube backend's daemon threads."""
        from k8slab.cluster.kinds import KINDS
        from k8slab.cluster.kube.watch import KindWatcher, WatchGroup

        group = WatchGroup(self._stream)
        for kind in ("Namespace", *CLUSTER_KINDS, *NAMESPACED_KINDS):
            group.watchers.append(KindWatcher(self.admin.api, KINDS[kind], None, group,
                                              clock=self.clock))
        group.start()
        self._group = group

    def stop(self) -> None:
        """Stop the watches (each thread ends as its request is aborted)."""
        if self._group is not None:
            self._group.stop()
