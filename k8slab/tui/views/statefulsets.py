"""The StatefulSet ordinal timeline: each set's pods by ordinal, their state, revision, when
they became Ready, and a lane showing their life over time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from k8slab.cluster import objects as o
from k8slab.state.mirror import ClusterState
from k8slab.tui.views.lanes import Window, lane, window
from k8slab.tui.views.podlog import PodLog
from k8slab.tui.views.pods import PodStatus, pod_status
from k8slab.tui.views.tones import Tone


@dataclass(frozen=True, slots=True)
class OrdinalRow:
    """One ordinal of a StatefulSet: its pod now, or the memory of one that was removed."""

    key: str  # "web/0": stable across pod re-creations, for keyed table rows
    ordinal: int
    pod: str
    status: PodStatus
    ready_at: float | None
    revision: str  # short controller-revision hash, "" if none
    updated: bool  # runs the set's update revision
    held: bool  # below the partition: the rolling update leaves it alone
    node: str
    lane: tuple[Tone | None, ...]


@dataclass(frozen=True, slots=True)
class StatefulSetView:
    """A StatefulSet's header line and its ordinal rows."""

    name: str
    replicas: int  # desired (spec)
    ready: int
    policy: str  # OrderedReady or Parallel
    strategy: str  # RollingUpdate or OnDelete
    partition: int
    current_revision: str
    update_revision: str
    service: str
    rows: tuple[OrdinalRow, ...]
    window: Window

    @property
    def tone(self) -> Tone:
        if any(r.status.tone == "bad" for r in self.rows):
            return "bad"
        if self.ready == self.replicas and all(
                r.updated or r.held for r in self.rows if r.ordinal < self.replicas):
            return "ok"
        return "wait"

    @property
    def rolling(self) -> bool:
        """An update is under way (or held by a partition)."""
        return bool(self.update_revision) and self.update_revision != self.current_revision


def short_revision(revision: str, set_name: str) -> str:
    """`web-6d4b8c9f7` → `6d4b8`."""
    rev = revision.removeprefix(set_name + "-")
    return rev[:5]


def statefulset_views(state: ClusterState, log: PodLog, now: float, lane_width: int
                      ) -> list[StatefulSetView]:
    """One view per StatefulSet in the lab namespace, by name."""
    return [statefulset_view(state, log, sts, now, lane_width)
            for sts in state.list("StatefulSet")]


def statefulset_view(state: ClusterState, log: PodLog, sts: Mapping[str, Any], now: float,
                     lane_width: int) -> StatefulSetView:
    name = o.name(sts)
    owner = f"StatefulSet/{name}"
    replicas = int(o.dig(sts, "spec.replicas", 1) or 0)
    strategy = str(o.dig(sts, "spec.updateStrategy.type", "RollingUpdate") or "RollingUpdate")
    partition = int(o.dig(sts, "spec.updateStrategy.rollingUpdate.partition", 0) or 0)
    update_rev = str(o.dig(sts, "status.updateRevision", "") or "")
    current_rev = str(o.dig(sts, "status.currentRevision", "") or "")

    pods: dict[int, dict[str, Any]] = {}
    for found in state.list("Pod", owner=owner):
        n = o.ordinal(o.name(found), name)
        if n is not None:
            pods[n] = found
    history = log.of(owner)
    by_ordinal: dict[int, list[Any]] = {}
    for t in history:
        n = o.ordinal(t.name, name)
        if n is not None:
            by_ordinal.setdefault(n, []).append(t)

    ordinals = set(range(replicas)) | set(pods) | set(by_ordinal)
    first = min((t.time for t in history), default=now)
    win = window(first, now, lane_width)
    rows = []
    for n in sorted(ordinals):
        pod = pods.get(n)
        pod_name = f"{name}-{n}"
        if pod is not None:
            status = pod_status(pod)
            rev_full = o.labels(pod).get("controller-revision-hash", "")
            ready_at = log.ready_at(pod_name, o.uid(pod)) if status.tone == "ok" else None
            node = str(o.dig(pod, "spec.nodeName", "") or "")
        else:
            gone = n >= replicas
            # An ordinal the set wants but has not created yet (OrderedReady: it waits for
            # its predecessor), or one that a scale-down removed.
            status = PodStatus("removed" if gone else "not created", "idle")
            rev_full, ready_at, node = "", None, ""
        rows.append(OrdinalRow(
            key=f"{name}/{n}", ordinal=n, pod=pod_name, status=status, ready_at=ready_at,
            revision=short_revision(rev_full, name) if rev_full else "",
            updated=bool(rev_full) and rev_full == update_rev,
            held=strategy == "RollingUpdate" and n < partition,
            node=node, lane=lane(by_ordinal.get(n, []), win, now)))
    return StatefulSetView(
        name=name, replicas=replicas,
        ready=sum(1 for r in rows if r.status.tone == "ok" and r.ordinal < replicas),
        policy=str(o.dig(sts, "spec.podManagementPolicy", "OrderedReady") or "OrderedReady"),
        strategy=strategy, partition=partition,
        current_revision=short_revision(current_rev, name),
        update_revision=short_revision(update_rev, name),
        service=str(o.dig(sts, "spec.serviceName", "") or ""),
        rows=tuple(rows), window=win)
