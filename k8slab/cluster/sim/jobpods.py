"""What the Job controller needs to know about pods, and how it builds them.

Pure functions over pod dicts: which pods are active, terminating or failed as the Job
controller counts them (pkg/controller/job), when a pod finished (backoff_utils.go), the
completion indexes of an Indexed Job, and the pod a Job creates from its template.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from k8slab.cluster.sim.store import Obj, clone, parse_timestamp

TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
INDEX_KEY = "batch.kubernetes.io/job-completion-index"
INDEX_ENV = "JOB_COMPLETION_INDEX"
_TERMINAL = ("Succeeded", "Failed")


def _phase(pod: Obj) -> str:
    return str((pod.get("status") or {}).get("phase", "Pending"))


def is_active(pod: Obj) -> bool:
    """Running or about to: not finished and not being deleted (controller.FilterActivePods)."""
    return _phase(pod) not in _TERMINAL and not pod["metadata"].get("deletionTimestamp")


def is_terminating(pod: Obj) -> bool:
    """Being deleted but not yet finished: the Job's `status.terminating`."""
    return bool(pod["metadata"].get("deletionTimestamp")) and _phase(pod) not in _TERMINAL


def is_failed(pod: Obj) -> bool:
    """Failed, or deleted before it succeeded (podReplacementPolicy TerminatingOrFailed)."""
    phase = _phase(pod)
    return phase == "Failed" or (bool(pod["metadata"].get("deletionTimestamp"))
                                 and phase != "Succeeded")


def pod_ready(pod: Obj) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or ())


def restarts(pod: Obj) -> int:
    """Container restarts of a pod, init containers included."""
    st = pod.get("status") or {}
    return sum(int(s.get("restartCount", 0))
               for key in ("initContainerStatuses", "containerStatuses")
               for s in st.get(key) or ())


def finish_time(pod: Obj) -> float:
    """When a pod finished: its containers' last finishedAt, else when it stopped being Ready,
    else its deletion time, else its creation (getFinishedTime in backoff_utils.go)."""
    st = pod.get("status") or {}
    latest: float | None = None
    statuses = st.get("containerStatuses") or ()
    for s in statuses:
        term = (s.get("state") or {}).get("terminated")
        if not term or not term.get("finishedAt"):
            latest = None
            break
        t = parse_timestamp(term["finishedAt"])
        latest = t if latest is None else max(latest, t)
    if latest is not None and statuses:
        return latest
    for c in st.get("conditions") or ():
        if c.get("type") == "Ready" and c.get("status") == "False" and c.get(
                "lastTransitionTime"):
            return parse_timestamp(c["lastTransitionTime"])
    md = pod["metadata"]
    if md.get("deletionTimestamp"):
        return parse_timestamp(md["deletionTimestamp"]) - float(
            md.get("deletionGracePeriodSeconds") or 0)
    return parse_timestamp(md["creationTimestamp"]) if md.get("creationTimestamp") else 0.0


def index_of(pod: Obj) -> int | None:
    """The completion index of an Indexed Job's pod, or None."""
    raw = (pod["metadata"].get("annotations") or {}).get(INDEX_KEY)
    if raw is None or not str(raw).isdigit():
        return None
    return int(raw)


class Indexes:
    """A set of completion indexes, written as the API writes them: `1,3-5,7`."""

    def __init__(self, values: Iterable[int] = ()) -> None:
        self._set = frozenset(values)
        self._values = sorted(self._set)

    def __contains__(self, value: object) -> bool:
        return value in self._set

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[int]:
        return iter(self._values)

    @property
    def text(self) -> str:
        runs: list[list[int]] = []
        for v in self._values:
            if runs and v == runs[-1][1] + 1:
                runs[-1][1] = v
            else:
                runs.append([v, v])
        return ",".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)


def completed_indexes(pods: Iterable[Obj], completions: int) -> Indexes:
    """The indexes below `completions` with a Succeeded pod."""
    return Indexes(i for p in pods if _phase(p) == "Succeeded"
                   and (i := index_of(p)) is not None and i < completions)


def job_pod(job: Obj, index: int | None, owner_ref: dict[str, Any]) -> Obj:
    """The pod a Job creates from its template (and, for an Indexed Job, for an index).

    The pod shares the template's defaulted, immutable parts, as the sim's other controllers'
    pods do (the API server's pod defaulting copies what it changes); what differs per pod is
    copied.
    """
    tmpl = job["spec"]["template"]
    md = tmpl.get("metadata") or {}
    spec = dict(tmpl.get("spec") or {})
    name = job["metadata"]["name"]
    labels = dict(md.get("labels") or {})
    annotations = dict(md.get("annotations") or {})
    generate = f"{name}-"
    if index is not None:
        annotations[INDEX_KEY] = str(index)
        labels[INDEX_KEY] = str(index)
        spec["hostname"] = f"{name}-{index}"
        generate = f"{name}-{index}-"
        env = {"name": INDEX_ENV, "valueFrom": {"fieldRef": {
            "apiVersion": "v1", "fieldPath": f"metadata.annotations['{INDEX_KEY}']"}}}
        for key in ("initContainers", "containers"):
            if spec.get(key):
                spec[key] = [c if any(e.get("name") == INDEX_ENV for e in c.get("env") or ())
                             else {**c, "env": [*(c.get("env") or ()), clone(env)]}
                             for c in spec[key]]
    pod_md: dict[str, Any] = {
        "generateName": generate,
        "namespace": job["metadata"]["namespace"],
        "labels": labels,
        "ownerReferences": [owner_ref],
        "finalizers": [*(md.get("finalizers") or ()), TRACKING_FINALIZER],
    }
    if annotations:
        pod_md["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_md, "spec": spec}
