"""Each learner's checklist, graded by the instructor from the cluster itself.

Trust, item by item:

- `cluster`: the instructor's own credentials listed (or watched) the learner's namespace into a
  `ClusterState` and the grader passed the item on it. State-based checks (a StatefulSet Ready
  with a Bound claim per replica, a DaemonSet covering its nodes, a Job Complete) are judged
  from the objects alone, and history the dashboard itself watched counts too.
- `learner`: the item passed only with what the learner's own k8slab reported in their
  `k8slab-progress` ConfigMap: their History summary (re-graded here against the real
  current state), the items their k8slab saw pass, and quiz answers. A learner could forge
  these, so the dashboard marks them apart.

An item no one can earn in a restricted namespace (a hostPath DaemonSet, see
`k8slab.workshop.adapt`) is `demo`: shown, not counted.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from k8slab.cluster import objects as o
from k8slab.cluster.kinds import kind_of
from k8slab.cluster.protocol import WatchEvent
from k8slab.errors import K8slabError
from k8slab.grading.context import GradingContext
from k8slab.grading.evidence import event_time, parse_time
from k8slab.grading.grader import grade_item
from k8slab.lessons.model import ChecklistItem, Lesson
from k8slab.state.history import History
from k8slab.state.mirror import ClusterState
from k8slab.workshop.names import PROGRESS_CONFIGMAP
from k8slab.workshop.progress_store import ProgressRecord, parse_record

CellState = Literal["passed", "progress", "failing", "todo", "demo"]
Source = Literal["cluster", "learner", ""]
STUCK_AFTER = 10 * 60.0  # seconds without anything new before a learner counts as stuck

# Namespaced kinds the instructor lists per learner; cluster-scoped ones are shared by all.
NAMESPACED_KINDS = ("Pod", "PersistentVolumeClaim", "Service", "StatefulSet", "DaemonSet",
                    "ControllerRevision", "Job", "CronJob", "Event", "ConfigMap")
CLUSTER_KINDS = ("Node", "PersistentVolume", "StorageClass")
_TARGET_PARAMS = {"statefulset": "StatefulSet", "daemonset": "DaemonSet", "job": "Job",
                  "cronjob": "CronJob"}


@dataclass(frozen=True, slots=True)
class ItemStatus:
    """One cell of the dashboard: a learner's state on one checklist item."""

    state: CellState
    source: Source = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class LearnerStatus:
    """One row of the dashboard."""

    learner: str
    namespace: str
    items: dict[str, ItemStatus]
    step: str | None = None
    last_activity: float = 0.0  # wall clock
    stuck: str = ""  # why the learner looks stuck, or ""
    reported_at: float = 0.0  # when their k8slab last saved progress (0: never)

    @property
    def passed(self) -> int:
        return sum(1 for s in self.items.values() if s.state == "passed")

    @property
    def earnable(self) -> int:
        return sum(1 for s in self.items.values() if s.state != "demo")


@dataclass(frozen=True, slots=True)
class WorkshopStatus:
    """The whole dashboard: every learner's row and each item's total."""

    workshop: str
    lesson: str
    items: tuple[tuple[str, str], ...]  # (item id, title), checklist order
    learners: tuple[LearnerStatus, ...]
    generated: float = field(default_factory=time.time)

    def totals(self) -> dict[str, int]:
        """How many learners passed each item."""
        return {iid: sum(1 for r in self.learners if r.items[iid].state == "passed")
                for iid, _ in self.items}

    def to_json(self) -> dict[str, Any]:
        """The data `workshop status --json` prints."""
        return {
            "workshop": self.workshop,
            "lesson": self.lesson,
            "generated": self.generated,
            "items": [{"id": iid, "title": title, "passed": self.totals()[iid]}
                      for iid, title in self.items],
            "learners": [{
                "learner": r.learner, "namespace": r.namespace, "step": r.step,
                "passed": r.passed, "earnable": r.earnable, "stuck": r.stuck,
                "last_activity": r.last_activity, "reported_at": r.reported_at,
                "items": {iid: asdict(s) for iid, s in r.items.items()},
            } for r in self.learners],
        }


# -- building states --------------------------------------------------------------------------

def state_from_objects(namespace: str, objects: Iterable[dict[str, Any]], now: float
                       ) -> ClusterState:
    """A ClusterState holding `objects` as if a watch had just listed them."""
    state = ClusterState(namespace)
    for obj in objects:
        state.apply(WatchEvent("ADDED", obj, now))
    return state


# -- grading ----------------------------------------------------------------------------------

def _with_history(state: ClusterState, extra: Iterable[Any]) -> ClusterState:
    """A view of `state` whose history also holds `extra` transitions, in time order."""
    view = copy.copy(state)
    merged = sorted([*state.history, *extra], key=lambda t: t.time)
    view.history = History()
    view.history.extend(merged)
    return view


def targets(item: ChecklistItem) -> list[tuple[str, str]]:
    """(kind, name) of the objects an item's checks are about."""
    out = []
    for check in item.checks:
        for param, kind in _TARGET_PARAMS.items():
            if isinstance(check.params.get(param), str):
                out.append((kind, check.params[param]))
        if isinstance(check.params.get("kind"), str) and isinstance(check.params.get("name"), str):
            with contextlib.suppress(K8slabError):
                out.append((kind_of(check.params["kind"]).kind, check.params["name"]))
    return out


def _about(ev: Mapping[str, Any], name: str) -> bool:
    # Events name the object itself or what it made: web-0, www-web-0, hello-28461, hello-28461-x.
    involved = str(o.dig(ev, "involvedObject.name", ""))
    return involved == name or involved.startswith(name + "-") or f"-{name}-" in involved


def recent_warning(state: ClusterState, namespace: str, names: Iterable[str], now: float,
                   window: float = STUCK_AFTER) -> str:
    """The latest Warning event (within `window`) about any of `names` or what they made,
    as `Reason: message`, or ""."""
    wanted = list(names)
    best: tuple[float, str] = (0.0, "")
    for ev in state.list("Event", namespace):
        if ev.get("type") != "Warning":
            continue
        t = event_time(ev)
        if now - t > window or not any(_about(ev, n) for n in wanted):
            continue
        if t >= best[0]:
            msg = " ".join(str(ev.get("message", "")).split())
            best = (t, f"{ev.get('reason', 'Warning')}: {msg}" if msg else str(ev.get("reason")))
    return best[1]


def grade_learner(lesson: Lesson, learner: str, namespace: str, state: ClusterState, *,
                  demo: set[str], now: float | None = None,
                  stuck_after: float = STUCK_AFTER,
                  pass_times: Mapping[str, float] | None = None) -> LearnerStatus:
    """Grade one learner's namespace (see the module docstring for what is trusted).

    Args:
        state: the namespace's objects (with the shared Nodes/PVs), listed or watched by the
            instructor; its `k8slab-progress` ConfigMap supplies the learner's record.
        demo: items no learner can earn here (`k8slab.workshop.adapt.demo_items`).
        now: wall-clock time (default: now).
        pass_times: when the dashboard first saw each item pass, for "last activity".
    """
    now = time.time() if now is None else now
    record = parse_record(state.get("ConfigMap", PROGRESS_CONFIGMAP, namespace), lesson.id)
    answers = record.answers if record else {}
    ctx = GradingContext(state, namespace, answers)
    reported = None
    if record and record.history:
        reported = GradingContext(_with_history(state, record.history), namespace, answers)
    items: dict[str, ItemStatus] = {}
    order = {step.id: i for i, step in enumerate(lesson.steps)}
    at = order.get(record.step or "", -1) if record else -1
    for item in lesson.checklist:
        status = _grade_item(item, ctx, reported, record, demo, state, namespace, now,
                             stuck_after)
        if status.state in ("progress", "failing") and at >= 0 and \
                order.get(item.step or "", -1) > at:
            # Objects of a later step exist (shared names like `web`), but the learner's
            # k8slab says they have not got there yet.
            status = ItemStatus("todo", "", status.detail)
        items[item.id] = status
    activity = last_activity(state, namespace, record, pass_times)
    return LearnerStatus(learner, namespace, items,
                         step=record.step if record else None,
                         last_activity=activity,
                         stuck=stuck_reason(lesson, items, activity, now, stuck_after),
                         reported_at=record.saved if record else 0.0)


def _grade_item(item: ChecklistItem, ctx: GradingContext, reported: GradingContext | None,
                record: ProgressRecord | None, demo: set[str], state: ClusterState,
                namespace: str, now: float, stuck_after: float) -> ItemStatus:
    if item.id in demo:
        return ItemStatus("demo", "", "shown by the instructor")
    # Quiz answers only ever come from the learner; checks can come from the cluster.
    only_quiz = not item.checks
    result = grade_item(item, ctx)
    detail = result.detail
    if result.passed:
        return ItemStatus("passed", "learner" if only_quiz else "cluster", detail)
    if reported is not None and grade_item(item, reported).passed:
        return ItemStatus("passed", "learner", "passed with the learner's reported history")
    if record is not None and item.id in record.passed:
        return ItemStatus("passed", "learner", "reported passed by the learner's k8slab")
    if only_quiz:
        answered = record is not None and any(q.id in record.answers for q in item.quiz)
        return ItemStatus("progress" if answered else "todo", "", detail)
    present = [(k, n) for k, n in targets(item) if state.get(k, n, namespace) is not None]
    if not present:
        return ItemStatus("todo", "", detail)
    warning = recent_warning(state, namespace, [n for _, n in present], now, stuck_after)
    if warning:
        return ItemStatus("failing", "", warning)
    return ItemStatus("progress", "", detail)


def last_activity(state: ClusterState, namespace: str, record: ProgressRecord | None,
                  pass_times: Mapping[str, float] | None = None) -> float:
    """The latest sign of the learner doing something: an object they created in their
    namespace (not one a controller made for them), a progress save, or an item the
    dashboard saw pass."""
    times = [record.saved] if record else []
    times += list((pass_times or {}).values())
    for kind in NAMESPACED_KINDS:
        if kind == "Event":
            continue
        for obj in state.list(kind, namespace):
            if o.meta(obj).get("ownerReferences"):
                continue  # a CronJob's Jobs keep coming while the learner sits idle
            t = parse_time(o.dig(obj, "metadata.creationTimestamp"))
            if t is not None:
                times.append(t)
    ns = state.get("Namespace", namespace)
    if ns is not None:
        t = parse_time(o.dig(ns, "metadata.creationTimestamp"))
        if t is not None:
            times.append(t)
    return max(times, default=0.0)


def stuck_reason(lesson: Lesson, items: Mapping[str, ItemStatus], activity: float, now: float,
                 stuck_after: float = STUCK_AFTER) -> str:
    """Why a learner looks stuck: a failing item with a Warning event, or nothing new for
    `stuck_after` seconds while items remain; "" otherwise."""
    for item in lesson.checklist:
        status = items.get(item.id)
        if status is not None and status.state == "failing":
            return f"{item.title}: {status.detail}"
    left = [s for s in items.values() if s.state not in ("passed", "demo")]
    if left and activity and now - activity >= stuck_after:
        return f"nothing new for {int((now - activity) // 60)}m"
    return ""
