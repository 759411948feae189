"""The lives of pods and Jobs, read from History: when each one was created, became Ready,
finished and went away.

Moments carry the transition's position in History as well as its time, because several
things often happen at the same instant (a controller reacting to a pod becoming Ready) and
only the order of events tells which came first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from k8slab.cluster import objects as o
from k8slab.state.history import History


@dataclass(frozen=True, slots=True, order=True)
class Moment:
    """A point in History: its position (for order) and cluster time (for people)."""

    index: int
    time: float


@dataclass(slots=True)
class PodLife:
    """One pod (one UID) from creation to deletion, as History saw it."""

    uid: str
    name: str
    owner: str = ""
    node: str = ""
    revision: str = ""
    created: Moment | None = None
    ready: Moment | None = None  # first time Ready
    succeeded: Moment | None = None
    failed: Moment | None = None
    terminating: Moment | None = None
    deleted: Moment | None = None
    restarts: int = 0
    nodes: list[str] = field(default_factory=list)

    @property
    def finished(self) -> Moment | None:
        return self.succeeded or self.failed

    @property
    def ended(self) -> Moment | None:
        """When it stopped counting as active: finished, terminating or deleted."""
        moments = [m for m in (self.succeeded, self.failed, self.terminating, self.deleted) if m]
        return min(moments) if moments else None

    @property
    def gone(self) -> Moment | None:
        """When its deletion started (terminating) or, failing that, when it was deleted."""
        return self.terminating or self.deleted

    def alive_at(self, index: int) -> bool:
        """Created before `index` and not yet terminating or deleted then."""
        gone = self.gone
        return (self.created is not None and self.created.index < index
                and (gone is None or gone.index > index))

    def ordinal(self, set_name: str) -> int | None:
        return o.ordinal(self.name, set_name)


def pod_lives(history: History, namespace: str, owner: str | None = None) -> list[PodLife]:
    """Every pod (of `owner`, "StatefulSet/web", if given) in `namespace`, in creation order."""
    lives: dict[str, PodLife] = {}
    for i, t in enumerate(history):
        if t.kind != "Pod" or t.namespace != namespace:
            continue
        if owner is not None and t.detail.get("owner") != owner:
            continue
        key = t.uid or t.name
        life = lives.get(key)
        if life is None:
            life = lives[key] = PodLife(uid=t.uid, name=t.name,
                                        owner=str(t.detail.get("owner", "")))
        m = Moment(i, t.time)
        node = str(t.detail.get("node") or "")
        if node and node != life.node:
            life.node = node
            life.nodes.append(node)
        rev = str(t.detail.get("revision") or "")
        if rev and not life.revision:
            life.revision = rev
        match t.what:
            case "created":
                life.created = life.created or m
            case "ready":
                life.ready = life.ready or m
            case "succeeded":
                life.succeeded = life.succeeded or m
            case "failed":
                life.failed = life.failed or m
            case "terminating":
                life.terminating = life.terminating or m
            case "deleted":
                life.deleted = life.deleted or m
            case "restarted":
                life.restarts = max(life.restarts, int(t.detail.get("count") or 0))
    out = [life for life in lives.values() if life.created is not None]
    return sorted(out, key=lambda life: life.created or Moment(0, 0.0))


def max_concurrent(intervals: Iterable[tuple[float, float | None]]) -> int:
    """The most intervals `[start, end)` open at once (`end` None: still open)."""
    points: list[tuple[float, int]] = []
    for start, end in intervals:
        points.append((start, 1))
        if end is not None:
            points.append((end, -1))
    # At equal positions, ends come before starts: a pod ending when another starts is not
    # concurrent with it.
    points.sort(key=lambda p: (p[0], p[1]))
    best = cur = 0
    for _, delta in points:
        cur += delta
        best = max(best, cur)
    return best


def first_pods_by_ordinal(lives: Iterable[PodLife], set_name: str) -> dict[int, PodLife]:
    """The first pod seen for each ordinal of a StatefulSet."""
    out: dict[int, PodLife] = {}
    for life in lives:
        n = life.ordinal(set_name)
        if n is not None and n not in out:
            out[n] = life
    return out


@dataclass(slots=True)
class JobLife:
    """One Job (one UID) as History saw it."""

    uid: str
    name: str
    owner: str = ""
    created: Moment | None = None
    complete: Moment | None = None
    failed: Moment | None = None
    failed_reason: str = ""
    deleted: Moment | None = None

    @property
    def finished(self) -> Moment | None:
        return self.complete or self.failed

    @property
    def ended(self) -> Moment | None:
        moments = [m for m in (self.complete, self.failed, self.deleted) if m]
        return min(moments) if moments else None


def job_lives(history: History, namespace: str, owner: str | None = None) -> list[JobLife]:
    """Every Job (created by `owner`, "CronJob/backup", if given), in creation order."""
    lives: dict[str, JobLife] = {}
    for i, t in enumerate(history):
        if t.kind != "Job" or t.namespace != namespace:
            continue
        key = t.uid or t.name
        life = lives.get(key)
        if life is None:
            if t.what != "created":
                continue
            life = lives[key] = JobLife(uid=t.uid, name=t.name,
                                        owner=str(t.detail.get("owner", "")))
        m = Moment(i, t.time)
        match t.what:
            case "created":
                life.created = life.created or m
            case "complete":
                life.complete = life.complete or m
            case "failed":
                life.failed = life.failed or m
                life.failed_reason = str(t.detail.get("reason") or "")
            case "deleted":
                life.deleted = life.deleted or m
    out = [life for life in lives.values() if owner is None or life.owner == owner]
    return sorted(out, key=lambda life: life.created or Moment(0, 0.0))
