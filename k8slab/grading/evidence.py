"""Reading evidence out of objects: owned pods, why a pod is not Ready, claims, events, times.

Checks prefer what objects themselves record (timestamps, conditions, status, owner references,
annotations), so they also work after the fact on a real cluster whose history nobody watched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from k8slab.cluster import objects as o
from k8slab.grading.context import CheckResult, GradingContext, fail

Obj = dict[str, Any]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


# -- words ----------------------------------------------------------------------------------

def plural(n: int, word: str, many: str | None = None) -> str:
    """`1 pod`, `3 pods`."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def join(names: Iterable[str], limit: int = 4, word: str = "and") -> str:
    """`a, b and c` (or `a, b or c`); long lists end in `and N more`."""
    items = list(names)
    if len(items) > limit:
        rest = len(items) - (limit - 1)
        items = [*items[:limit - 1], f"{rest} more"]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def ref(kind: str, name: str) -> str:
    """`statefulset/web`, the way kubectl names objects."""
    return f"{kind.lower()}/{name}"


def missing(kind: str, name: str, namespace: str, hint: str = "") -> CheckResult:
    """The standard failure for an object that is not there."""
    return fail(f"{ref(kind, name)} does not exist in namespace {namespace}",
                hint or f"apply the manifest that creates {ref(kind, name)}")


# -- time -----------------------------------------------------------------------------------

def parse_time(text: Any) -> float | None:
    """Seconds since the Unix epoch for an RFC 3339 timestamp (`2026-01-01T00:00:05Z`)."""
    if not isinstance(text, str) or not text:
        return None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return (dt - _EPOCH).total_seconds()


def created_at(obj: Mapping[str, Any]) -> float | None:
    return parse_time(o.dig(obj, "metadata.creationTimestamp"))


def ready_since(pod: Mapping[str, Any]) -> float | None:
    """When the pod last became Ready, from its Ready condition, or None if not Ready."""
    cond = o.condition(pod, "Ready")
    if not cond or cond.get("status") != "True":
        return None
    return parse_time(cond.get("lastTransitionTime"))


# -- pods -----------------------------------------------------------------------------------

def active(pod: Mapping[str, Any]) -> bool:
    """Not terminating and not finished: a pod the controller counts as its own."""
    return (o.dig(pod, "metadata.deletionTimestamp") is None
            and o.pod_phase(pod) not in ("Succeeded", "Failed"))


def owned_pods(ctx: GradingContext, kind: str, name: str, namespace: str, *,
               everything: bool = False) -> list[Obj]:
    """Pods whose controlling owner is `kind/name`; only active ones unless `everything`."""
    pods = ctx.list("Pod", namespace, owner=f"{kind}/{name}")
    return pods if everything else [p for p in pods if active(p)]


def by_ordinal(pods: Iterable[Mapping[str, Any]], set_name: str) -> dict[int, Obj]:
    out: dict[int, Obj] = {}
    for pod in pods:
        n = o.ordinal(o.name(pod), set_name)
        if n is not None:
            out[n] = dict(pod)
    return out


def event_time(ev: Mapping[str, Any]) -> float:
    """When an Event was last seen, from whichever of its time fields is set (0.0 if none)."""
    for path in ("lastTimestamp", "series.lastObservedTime", "eventTime",
                 "metadata.creationTimestamp"):
        t = parse_time(o.dig(ev, path))
        if t is not None:
            return t
    return 0.0


def revision(pod: Mapping[str, Any]) -> str:
    return o.labels(pod).get("controller-revision-hash", "")


def events_for(ctx: GradingContext, kind: str, name: str, namespace: str) -> list[Obj]:
    """Events about one object, by when each was last seen, oldest first."""
    out = [ev for ev in ctx.list("Event", namespace)
           if o.dig(ev, "involvedObject.kind") == kind
           and o.dig(ev, "involvedObject.name") == name]

    return sorted(out, key=event_time)


def last_warning(ctx: GradingContext, kind: str, name: str, namespace: str) -> str:
    """The message of the latest Warning event about an object, or ""."""
    for ev in reversed(events_for(ctx, kind, name, namespace)):
        if ev.get("type") == "Warning" and ev.get("message"):
            return _first_sentence(str(ev["message"]))
    return ""


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    cut = text.find(". preemption:")
    return text[:cut] if cut > 0 else text.rstrip(".")


def claim_problem(ctx: GradingContext, claim: str, namespace: str) -> str:
    """Why a claim is not Bound ("" when it is): `claim www-web-1 is Pending (storageclass
    "fast" not found)`."""
    pvc = ctx.get("PersistentVolumeClaim", claim, namespace)
    if pvc is None:
        return f"claim {claim} does not exist"
    phase = o.dig(pvc, "status.phase", "Pending")
    if phase == "Bound":
        return ""
    why = last_warning(ctx, "PersistentVolumeClaim", claim, namespace)
    return f"claim {claim} is {phase}" + (f" ({why})" if why else "")


def pod_claims(pod: Mapping[str, Any]) -> list[str]:
    return [v["persistentVolumeClaim"]["claimName"]
            for v in o.dig(pod, "spec.volumes", []) or []
            if (v.get("persistentVolumeClaim") or {}).get("claimName")]


def pod_problem(ctx: GradingContext, pod: Mapping[str, Any]) -> str:
    """Why a pod is not Ready, in kubectl's words: `Pending (0/3 nodes are available: ...)`."""
    nm, ns = o.name(pod), o.namespace(pod)
    if o.dig(pod, "metadata.deletionTimestamp"):
        return "Terminating"
    phase = o.pod_phase(pod)
    if phase in ("Succeeded", "Failed"):
        reason = o.dig(pod, "status.reason", "")
        return phase + (f" ({reason})" if reason else "")
    waiting = _waiting(pod)
    if phase == "Pending":
        for claim in pod_claims(pod):
            problem = claim_problem(ctx, claim, ns)
            if problem:
                return f"Pending: {problem}"
        sched = o.condition(pod, "PodScheduled") or {}
        if sched.get("status") == "False" and sched.get("message"):
            return f"Pending ({_first_sentence(str(sched['message']))})"
        if waiting:
            return f"Pending ({waiting})"
        warning = last_warning(ctx, "Pod", nm, ns)
        if warning:
            return f"Pending ({warning})"
        return "Pending (not scheduled yet)" if not o.dig(pod, "spec.nodeName") else \
            "Pending (containers are being created)"
    if waiting:
        return f"{phase} ({waiting})"
    return f"{phase} but not Ready yet"


def _waiting(pod: Mapping[str, Any]) -> str:
    for st in (o.dig(pod, "status.initContainerStatuses", []) or []) + \
              (o.dig(pod, "status.containerStatuses", []) or []):
        w = (st.get("state") or {}).get("waiting")
        if not w or not w.get("reason"):
            continue
        if w["reason"] == "CrashLoopBackOff":
            # The kubelet's message repeats the pod's name and UID; the exit code says more.
            last = (st.get("lastState") or {}).get("terminated") or {}
            code = last.get("exitCode")
            restarts = int(st.get("restartCount") or 0)
            why = [f"exited with code {code}"] if code is not None else []
            if restarts:
                why.append(f"restarted {plural(restarts, 'time')}")
            return "CrashLoopBackOff" + (f": {', '.join(why)}" if why else "")
        msg = w.get("message")
        return w["reason"] + (f": {_first_sentence(str(msg))}" if msg else "")
    return ""


def not_ready(ctx: GradingContext, pods: Iterable[Mapping[str, Any]]) -> list[str]:
    """`web-1 is Pending (...)` for every pod that is not Ready."""
    return [f"{o.name(p)} is {pod_problem(ctx, p)}" for p in pods if not o.pod_ready(p)]


# -- templates ------------------------------------------------------------------------------

def template_spec(workload: Mapping[str, Any]) -> Obj:
    return dict(o.dig(workload, "spec.template.spec", {}) or {})


def template_images(workload: Mapping[str, Any]) -> dict[str, str]:
    return o.container_images(template_spec(workload))


def image_base(image: str) -> str:
    """The bare image name: `docker.io/library/mysql:8.0@sha256:..` → `mysql`."""
    image = image.split("@", 1)[0]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[0]


def covering_mount(spec: Mapping[str, Any], path: str) -> tuple[str, str] | None:
    """(volume name, mount path) of the volume mount holding `path`, deepest mount first."""
    best: tuple[str, str] | None = None
    for c in spec.get("containers") or []:
        for m in c.get("volumeMounts") or []:
            mp = str(m.get("mountPath", "")).rstrip("/") or "/"
            if (path == mp or path.startswith(mp.rstrip("/") + "/")) and \
                    (best is None or len(mp) > len(best[1])):
                best = (str(m.get("name", "")), mp)
    return best


def replicas_of(workload: Mapping[str, Any]) -> int:
    """spec.replicas, defaulting to 1 as the API server does."""
    value = o.dig(workload, "spec.replicas")
    return 1 if value is None else int(value)


def claim_templates(sts: Mapping[str, Any]) -> list[str]:
    return [o.name(t) for t in o.dig(sts, "spec.volumeClaimTemplates", []) or []]


def claim_name(template: str, set_name: str, ordinal: int) -> str:
    """`<template>-<set>-<ordinal>`, the name the StatefulSet controller gives a claim."""
    return f"{template}-{set_name}-{ordinal}"
