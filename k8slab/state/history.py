"""A timestamped record of what the controllers did, derived from watch events.

The grader and the UI read transitions rather than raw events: "web-1 became Ready at 12.0s"
is the unit of meaning in a lesson. Transitions are derived by comparing an object before and
after each event, so a re-list that repeats an unchanged object produces nothing.

Vocabulary of `Transition.what`, by kind:

- Pod: created, scheduled {node}, unschedulable {message}, running, ready, unready,
  succeeded, failed {reason, exit_code}, restarted {count}, terminating, deleted.
  Every pod transition's detail also has `owner` ("StatefulSet/web" or ""), `node` and
  `revision` (the controller-revision-hash label).
- PersistentVolumeClaim: created, bound {volume}, deleted.
- Node: added, removed, labelled {key, value}, unlabelled {key}, tainted {taint},
  untainted {taint}.
- StatefulSet: created, scaled {from, to}, image-changed {container, from, to},
  partition-changed {from, to}, rolled-out {revision}, deleted.
- DaemonSet: created, image-changed {container, from, to}, rolled-out {revision}, deleted.
- Job: created {owner}, complete, failed {reason}, suspended, resumed, deleted.
- CronJob: created, suspended, resumed, scheduled {at}, deleted.
- Any other kind: created, deleted.
- Recorded by the action runner rather than derived: `exec` on a Pod
  {command, stdout, exit_code, uid}, and `action` on the lab {action, params, ok, message}.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from k8slab.cluster import objects as o


@dataclass(frozen=True, slots=True)
class Transition:
    """One observed change of one object."""

    time: float
    kind: str
    namespace: str
    name: str
    uid: str
    what: str
    detail: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        extra = ", ".join(f"{k}={v}" for k, v in self.detail.items() if v not in ("", None))
        return f"{self.time:8.1f}s {self.kind}/{self.name} {self.what}" + (
            f" ({extra})" if extra else "")


class History:
    """An append-only list of transitions with the queries the grader needs."""

    def __init__(self) -> None:
        self._items: list[Transition] = []
        self._listeners: list[Callable[[Transition], None]] = []

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Transition]:
        return iter(self._items)

    def add(self, transition: Transition) -> None:
        self._items.append(transition)
        for listener in self._listeners:
            listener(transition)

    def extend(self, transitions: list[Transition]) -> None:
        for t in transitions:
            self.add(t)

    def subscribe(self, listener: Callable[[Transition], None]) -> None:
        self._listeners.append(listener)

    def record(self, time: float, kind: str, name: str, what: str, *, namespace: str = "",
               uid: str = "", **detail: Any) -> Transition:
        """Record a transition that is not derived from a watch event (exec, actions)."""
        t = Transition(time, kind, namespace, name, uid, what, detail)
        self.add(t)
        return t

    def select(self, *, kind: str | None = None, name: str | None = None,
               what: str | tuple[str, ...] | None = None, namespace: str | None = None,
               owner: str | None = None, since: float | None = None) -> list[Transition]:
        """Transitions matching every given filter, in time order.

        `owner` matches the detail's owner ("StatefulSet/web"); `what` may be a tuple of names.
        """
        whats = (what,) if isinstance(what, str) else what
        out = []
        for t in self._items:
            if kind is not None and t.kind != kind:
                continue
            if name is not None and t.name != name:
                continue
            if whats is not None and t.what not in whats:
                continue
            if namespace is not None and t.namespace != namespace:
                continue
            if owner is not None and t.detail.get("owner") != owner:
                continue
            if since is not None and t.time < since:
                continue
            out.append(t)
        return out

    def clear(self) -> None:
        self._items.clear()


# -- derivation --------------------------------------------------------------------------------

def _pod_detail(pod: Mapping[str, Any]) -> dict[str, Any]:
    ref = o.owner(pod)
    return {
        "owner": f"{ref['kind']}/{ref['name']}" if ref else "",
        "node": o.dig(pod, "spec.nodeName", "") or "",
        "revision": o.labels(pod).get("controller-revision-hash", ""),
    }


def _restarts(pod: Mapping[str, Any]) -> int:
    return sum(int(s.get("restartCount", 0)) for s in o.dig(pod, "status.containerStatuses", [])
               or [])


def _exit_code(pod: Mapping[str, Any]) -> int | None:
    for s in o.dig(pod, "status.containerStatuses", []) or []:
        term = (s.get("state") or {}).get("terminated")
        if term is not None:
            return int(term.get("exitCode", 0))
    return None


def _pod(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[tuple[str, dict]]:
    out: list[tuple[str, dict]] = []
    before = old or {}
    if old is None:
        out.append(("created", {}))
    if o.dig(new, "spec.nodeName") and not o.dig(before, "spec.nodeName"):
        out.append(("scheduled", {}))
    sched = o.condition(new, "PodScheduled") or {}
    old_sched = o.condition(before, "PodScheduled") or {}
    if sched.get("reason") == "Unschedulable" and (
            old_sched.get("reason") != "Unschedulable"
            or old_sched.get("message") != sched.get("message")):
        out.append(("unschedulable", {"message": sched.get("message", "")}))
    phase, old_phase = o.pod_phase(new), (o.pod_phase(before) if old else "")
    if phase != old_phase:
        if phase == "Running":
            out.append(("running", {}))
        elif phase == "Succeeded":
            out.append(("succeeded", {"exit_code": _exit_code(new)}))
        elif phase == "Failed":
            out.append(("failed", {"reason": o.dig(new, "status.reason", "") or "Error",
                                    "exit_code": _exit_code(new)}))
    if _restarts(new) > _restarts(before):
        out.append(("restarted", {"count": _restarts(new)}))
    ready, was_ready = o.condition_true(new, "Ready"), o.condition_true(before, "Ready")
    if ready and not was_ready:
        out.append(("ready", {}))
    elif was_ready and not ready:
        out.append(("unready", {}))
    if o.dig(new, "metadata.deletionTimestamp") and not o.dig(before, "metadata.deletionTimestamp"):
        out.append(("terminating", {}))
    return out


def _taints(node: Mapping[str, Any]) -> set[str]:
    return {f"{t.get('key')}{'=' + t['value'] if t.get('value') else ''}:{t.get('effect')}"
            for t in o.dig(node, "spec.taints", []) or []}


def _node(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[tuple[str, dict]]:
    out: list[tuple[str, dict]] = []
    if old is None:
        out.append(("added", {}))
    before_labels, after_labels = o.labels(old or {}), o.labels(new)
    for k, v in after_labels.items():
        if old is not None and before_labels.get(k) != v:
            out.append(("labelled", {"key": k, "value": v}))
    for k in before_labels.keys() - after_labels.keys():
        out.append(("unlabelled", {"key": k}))
    before_t, after_t = _taints(old or {}), _taints(new)
    for taint in sorted(after_t - before_t):
        if old is not None:
            out.append(("tainted", {"taint": taint}))
    for taint in sorted(before_t - after_t):
        out.append(("untainted", {"taint": taint}))
    return out


def _images(obj: Mapping[str, Any]) -> dict[str, str]:
    return o.container_images(o.dig(obj, "spec.template.spec", {}) or {})


def _workload(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[tuple[str, dict]]:
    kind = new.get("kind")
    out: list[tuple[str, dict]] = []
    if old is None:
        out.append(("created", {}))
        return out
    if kind == "StatefulSet":
        r0, r1 = o.dig(old, "spec.replicas", 1), o.dig(new, "spec.replicas", 1)
        if r0 != r1:
            out.append(("scaled", {"from": r0, "to": r1}))
        p0 = o.dig(old, "spec.updateStrategy.rollingUpdate.partition", 0) or 0
        p1 = o.dig(new, "spec.updateStrategy.rollingUpdate.partition", 0) or 0
        if p0 != p1:
            out.append(("partition-changed", {"from": p0, "to": p1}))
    before_img, after_img = _images(old), _images(new)
    for c, img in after_img.items():
        if c in before_img and before_img[c] != img:
            out.append(("image-changed", {"container": c, "from": before_img[c], "to": img}))
    if _rolled_out(new) and not _rolled_out(old):
        rev = o.dig(new, "status.updateRevision", "") if kind == "StatefulSet" else ""
        out.append(("rolled-out", {"revision": rev}))
    return out


def _rolled_out(obj: Mapping[str, Any]) -> bool:
    """Whether the latest template revision is fully rolled out (as `kubectl rollout status`)."""
    st = obj.get("status") or {}
    gen = o.dig(obj, "metadata.generation", 0)
    if st.get("observedGeneration", 0) < gen:
        return False
    if obj.get("kind") == "DaemonSet":
        desired = st.get("desiredNumberScheduled", 0)
        return (desired > 0 and st.get("updatedNumberScheduled", 0) == desired
                and st.get("numberAvailable", 0) == desired)
    replicas = o.dig(obj, "spec.replicas", 1)
    partition = o.dig(obj, "spec.updateStrategy.rollingUpdate.partition", 0) or 0
    return (replicas > 0 and bool(st.get("updateRevision"))
            and st.get("updatedReplicas", 0) >= replicas - partition
            and st.get("readyReplicas", 0) == replicas
            and (partition > 0 or st.get("currentRevision") == st.get("updateRevision")))


def _job(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[tuple[str, dict]]:
    out: list[tuple[str, dict]] = []
    if old is None:
        ref = o.owner(new)
        out.append(("created", {"owner": f"{ref['kind']}/{ref['name']}" if ref else ""}))
    before = old or {}
    if o.condition_true(new, "Complete") and not o.condition_true(before, "Complete"):
        out.append(("complete", {}))
    if o.condition_true(new, "Failed") and not o.condition_true(before, "Failed"):
        out.append(("failed", {"reason": (o.condition(new, "Failed") or {}).get("reason", "")}))
    s0, s1 = bool(o.dig(before, "spec.suspend")), bool(o.dig(new, "spec.suspend"))
    if old is not None and s0 != s1:
        out.append(("suspended" if s1 else "resumed", {}))
    return out


def _cronjob(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[tuple[str, dict]]:
    out: list[tuple[str, dict]] = []
    before = old or {}
    if old is None:
        out.append(("created", {}))
    s0, s1 = bool(o.dig(before, "spec.suspend")), bool(o.dig(new, "spec.suspend"))
    if s0 != s1 and (old is not None or s1):
        out.append(("suspended" if s1 else "resumed", {}))
    last0, last1 = o.dig(before, "status.lastScheduleTime"), o.dig(new, "status.lastScheduleTime")
    if last1 and last1 != last0:
        out.append(("scheduled", {"at": last1}))
    return out


def _pvc(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[tuple[str, dict]]:
    out: list[tuple[str, dict]] = []
    if old is None:
        out.append(("created", {}))
    if o.dig(new, "status.phase") == "Bound" and o.dig(old or {}, "status.phase") != "Bound":
        out.append(("bound", {"volume": o.dig(new, "spec.volumeName", "")}))
    return out


_DERIVERS: dict[str, Callable[[Mapping[str, Any] | None, Mapping[str, Any]],
                              list[tuple[str, dict]]]] = {
    "Pod": _pod,
    "Node": _node,
    "PersistentVolumeClaim": _pvc,
    "StatefulSet": _workload,
    "DaemonSet": _workload,
    "Job": _job,
    "CronJob": _cronjob,
}

# Kinds whose churn says nothing a learner needs to see.
_QUIET = {"Event", "Endpoints", "EndpointSlice", "ControllerRevision", "Lease"}


def derive(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None, time: float
           ) -> list[Transition]:
    """The transitions between two versions of one object. `new` is None for a deletion."""
    obj = new if new is not None else old
    if obj is None:
        return []
    kind = str(obj.get("kind", ""))
    if kind in _QUIET:
        return []
    ns, nm, uid = o.namespace(obj), o.name(obj), o.uid(obj)
    if new is None:
        what = "removed" if kind == "Node" else "deleted"
        detail = _pod_detail(obj) if kind == "Pod" else {}
        return [Transition(time, kind, ns, nm, uid, what, detail)]
    deriver = _DERIVERS.get(kind)
    pairs: list[tuple[str, dict]]
    if deriver is None:
        pairs = [("created", {})] if old is None else []
    else:
        pairs = deriver(old, new)
    common = _pod_detail(new) if kind == "Pod" else {}
    return [Transition(time, kind, ns, nm, uid, what, {**common, **detail})
            for what, detail in pairs]
