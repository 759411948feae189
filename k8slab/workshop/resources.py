"""What is in one learner's namespace, as small tables for the dashboard's learner view.

Pure: reads a ClusterState, returns rows of strings, in kubectl's words.
"""

from __future__ import annotations

from dataclasses import dataclass

from k8slab.cluster import objects as o
from k8slab.grading.evidence import event_time, parse_time
from k8slab.state.mirror import ClusterState


@dataclass(frozen=True, slots=True)
class ResourceTable:
    """One titled table: `Pods`, `Claims`, `Workloads`, `Events`."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def age(created: str | None, now: float) -> str:
    """kubectl's compact age: `42s`, `5m`, `3h`, `2d`."""
    t = parse_time(created)
    if t is None:
        return "?"
    s = max(0, int(now - t))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size:
            return f"{s // size}{unit}"
    return f"{s}s"


def _pods(state: ClusterState, ns: str, now: float) -> ResourceTable:
    rows = []
    for pod in state.list("Pod", ns):
        statuses = o.dig(pod, "status.containerStatuses", []) or []
        ready = sum(1 for s in statuses if s.get("ready"))
        total = len(o.dig(pod, "spec.containers", []) or []) or len(statuses)
        status = "Terminating" if o.dig(pod, "metadata.deletionTimestamp") else o.pod_phase(pod)
        restarts = sum(int(s.get("restartCount", 0)) for s in statuses)
        rows.append((o.name(pod), f"{ready}/{total}", status, str(restarts),
                     o.dig(pod, "spec.nodeName", "") or "<none>",
                     age(o.dig(pod, "metadata.creationTimestamp"), now)))
    return ResourceTable("Pods", ("NAME", "READY", "STATUS", "RESTARTS", "NODE", "AGE"),
                         tuple(rows))


def _claims(state: ClusterState, ns: str, now: float) -> ResourceTable:
    rows = []
    for pvc in state.list("PersistentVolumeClaim", ns):
        rows.append((o.name(pvc), o.dig(pvc, "status.phase", "Pending"),
                     o.dig(pvc, "spec.volumeName", "") or "",
                     o.dig(pvc, "status.capacity.storage", "") or "",
                     o.dig(pvc, "spec.storageClassName", "") or "",
                     age(o.dig(pvc, "metadata.creationTimestamp"), now)))
    return ResourceTable("Claims", ("NAME", "STATUS", "VOLUME", "CAPACITY", "CLASS", "AGE"),
                         tuple(rows))


def _workloads(state: ClusterState, ns: str, now: float) -> ResourceTable:
    rows = []
    for sts in state.list("StatefulSet", ns):
        rows.append(("statefulset/" + o.name(sts),
                     f"{o.dig(sts, 'status.readyReplicas', 0) or 0}/"
                     f"{o.dig(sts, 'spec.replicas', 1)} ready",
                     age(o.dig(sts, "metadata.creationTimestamp"), now)))
    for ds in state.list("DaemonSet", ns):
        rows.append(("daemonset/" + o.name(ds),
                     f"{o.dig(ds, 'status.numberReady', 0) or 0}/"
                     f"{o.dig(ds, 'status.desiredNumberScheduled', 0) or 0} ready",
                     age(o.dig(ds, "metadata.creationTimestamp"), now)))
    for job in state.list("Job", ns):
        done = ("Complete" if o.condition_true(job, "Complete")
                else "Failed" if o.condition_true(job, "Failed") else "Running")
        rows.append(("job/" + o.name(job),
                     f"{o.dig(job, 'status.succeeded', 0) or 0}/"
                     f"{o.dig(job, 'spec.completions', 1) or 1} {done}",
                     age(o.dig(job, "metadata.creationTimestamp"), now)))
    for cj in state.list("CronJob", ns):
        suspended = " suspended" if o.dig(cj, "spec.suspend") else ""
        active = len(o.dig(cj, "status.active", []) or [])
        rows.append(("cronjob/" + o.name(cj),
                     f"{o.dig(cj, 'spec.schedule', '')} · {active} active{suspended}",
                     age(o.dig(cj, "metadata.creationTimestamp"), now)))
    return ResourceTable("Workloads", ("NAME", "STATUS", "AGE"), tuple(rows))


def _events(state: ClusterState, ns: str, now: float, limit: int) -> ResourceTable:
    events = sorted(state.list("Event", ns), key=event_time, reverse=True)[:limit]
    rows = []
    for ev in events:
        t = event_time(ev)
        rows.append((f"{int(now - t)}s" if t else "?", str(ev.get("type", "")),
                     str(ev.get("reason", "")),
                     f"{str(o.dig(ev, 'involvedObject.kind', '')).lower()}/"
                     f"{o.dig(ev, 'involvedObject.name', '')}",
                     " ".join(str(ev.get("message", "")).split())))
    return ResourceTable("Events", ("AGO", "TYPE", "REASON", "OBJECT", "MESSAGE"), tuple(rows))


def resource_tables(state: ClusterState, namespace: str, now: float, *,
                    events: int = 15) -> list[ResourceTable]:
    """Workloads, pods, claims and the latest events of one namespace."""
    return [_workloads(state, namespace, now), _pods(state, namespace, now),
            _claims(state, namespace, now), _events(state, namespace, now, events)]
