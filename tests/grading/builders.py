"""Hand-built cluster histories for check tests: objects go into a ClusterState through watch
events at chosen times, exactly as a backend would deliver them."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from k8slab.cluster import objects as o
from k8slab.cluster.kinds import KINDS
from k8slab.cluster.protocol import WatchEvent
from k8slab.grading.checks import evaluate
from k8slab.grading.context import CheckResult, GradingContext
from k8slab.state.mirror import ClusterState

Obj = dict[str, Any]
EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)

_API = {k.kind: k.api_version for k in KINDS.values()}


def ts(t: float) -> str:
    """RFC 3339 at whole seconds, as the API server writes times."""
    return (EPOCH + timedelta(seconds=int(t))).strftime("%Y-%m-%dT%H:%M:%SZ")


class Lab:
    """A cluster history driven by hand: `lab.at(5).put(pod(...))`."""

    def __init__(self, namespace: str = "lab") -> None:
        self.ns = namespace
        self.state = ClusterState(namespace)
        self.t = 0.0
        self._rv = 0
        self._uid = 0

    def at(self, t: float) -> Lab:
        self.t = float(t)
        return self

    def _next_rv(self) -> str:
        self._rv += 1
        return str(self._rv)

    def new_uid(self) -> str:
        self._uid += 1
        return f"uid-{self._uid}"

    def put(self, obj: Obj) -> Obj:
        """Create or update an object (ADDED or MODIFIED), stamping uid, rv and times."""
        obj = copy.deepcopy(obj)
        kind = obj["kind"]
        obj.setdefault("apiVersion", _API.get(kind, "v1"))
        md = obj.setdefault("metadata", {})
        if KINDS[kind].namespaced:
            md.setdefault("namespace", self.ns)
        old = self.state.get(kind, md["name"], md.get("namespace") or None)
        if old is not None and "uid" not in md:
            md["uid"] = o.uid(old)
            md.setdefault("creationTimestamp", o.dig(old, "metadata.creationTimestamp"))
        md.setdefault("uid", self.new_uid())
        md.setdefault("creationTimestamp", ts(self.t))
        md["resourceVersion"] = self._next_rv()
        same = old is not None and o.uid(old) == md["uid"]
        self.state.apply(WatchEvent("MODIFIED" if same else "ADDED", obj, self.t))
        return obj

    def edit(self, kind: str, name: str, change: Callable[[Obj], None]) -> Obj:
        """Modify the current object with `change(obj)` and deliver it."""
        obj = copy.deepcopy(self.get(kind, name))
        change(obj)
        return self.put(obj)

    def delete(self, kind: str, name: str) -> None:
        obj = copy.deepcopy(self.get(kind, name))
        obj["metadata"]["resourceVersion"] = self._next_rv()
        self.state.apply(WatchEvent("DELETED", obj, self.t))

    def get(self, kind: str, name: str) -> Obj:
        found = self.state.get(kind, name)
        assert found is not None, f"{kind}/{name} is not in the lab"
        return found

    def exec(self, pod_name: str, command: list[str], stdout: str = "", exit_code: int = 0
             ) -> None:
        """Record an exec as the action runner does."""
        pod = self.get("Pod", pod_name)
        self.state.history.record(self.t, "Pod", pod_name, "exec", namespace=self.ns,
                                  uid=o.uid(pod), command=command, stdout=stdout,
                                  exit_code=exit_code)

    def action(self, kind: str, objects: Iterable[str], ok: bool = True) -> None:
        self.state.history.record(self.t, "Lab", "lesson", "action", namespace=self.ns,
                                  action=kind, params={}, ok=ok, message="",
                                  objects=list(objects))

    def check(self, check_kind: str, /, **params: Any) -> CheckResult:
        """Evaluate a check (`min_jobs=2` stands for `min-jobs: 2`)."""
        ctx = GradingContext(self.state, self.ns, {})
        return evaluate(check_kind, {k.replace("_", "-"): v for k, v in params.items()}, ctx)


# -- object factories -----------------------------------------------------------------------

def node(name: str, labels: Mapping[str, str] | None = None,
         taints: list[Obj] | None = None) -> Obj:
    base = {"kubernetes.io/hostname": name}
    spec: Obj = {"taints": list(taints)} if taints else {}
    return {"kind": "Node", "metadata": {"name": name, "labels": {**base, **(labels or {})}},
            "spec": spec,
            "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                       "capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                       "conditions": [{"type": "Ready", "status": "True"}]}}


CONTROL_PLANE_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}


def nodes3(lab: Lab) -> None:
    """The sim's default topology: a tainted control plane and two workers."""
    lab.put(node("control-plane", {"node-role.kubernetes.io/control-plane": ""},
                 [CONTROL_PLANE_TAINT]))
    lab.put(node("worker-1"))
    lab.put(node("worker-2"))


def owner_ref(kind: str, name: str, uid: str = "") -> Obj:
    return {"apiVersion": _API[kind], "kind": kind, "name": name, "uid": uid or f"{name}-uid",
            "controller": True, "blockOwnerDeletion": True}


def pod(name: str, *, owner: tuple[str, str] | None = None, node_name: str = "",
        phase: str = "Running", ready: bool = True, revision: str = "",
        labels: Mapping[str, str] | None = None, image: str = "nginx:alpine",
        container: str = "c", claims: Mapping[str, str] | None = None, ip: str = "",
        hostname: str = "", subdomain: str = "", ready_at: float | None = None,
        started: float | None = None, finished: float | None = None,
        exit_code: int | None = None, restarts: int = 0, uid: str | None = None) -> Obj:
    md: Obj = {"name": name, "labels": dict(labels or {})}
    if uid:
        md["uid"] = uid
    if owner:
        md["ownerReferences"] = [owner_ref(*owner)]
    if revision:
        md["labels"]["controller-revision-hash"] = revision
    spec: Obj = {"containers": [{"name": container, "image": image}]}
    if node_name:
        spec["nodeName"] = node_name
    if claims:
        spec["volumes"] = [{"name": v, "persistentVolumeClaim": {"claimName": c}}
                           for v, c in claims.items()]
    if hostname:
        spec["hostname"] = hostname
    if subdomain:
        spec["subdomain"] = subdomain
    conds = [{"type": "PodScheduled", "status": "True" if node_name else "False"},
             {"type": "Ready", "status": "True" if ready else "False",
              **({"lastTransitionTime": ts(ready_at)} if ready_at is not None else {})}]
    state: Obj = {"running": {}} if phase == "Running" else {"waiting": {"reason":
                                                                         "ContainerCreating"}}
    if finished is not None or exit_code is not None:
        state = {"terminated": {"exitCode": exit_code or 0,
                                **({"finishedAt": ts(finished)} if finished is not None
                                   else {})}}
    status: Obj = {"phase": phase, "conditions": conds,
                   "containerStatuses": [{"name": container, "restartCount": restarts,
                                          "state": state, "ready": ready}]}
    if ip:
        status["podIP"] = ip
    if started is not None:
        status["startTime"] = ts(started)
    return {"kind": "Pod", "metadata": md, "spec": spec, "status": status}


def statefulset(name: str, *, replicas: int = 3, service: str | None = None,
                image: str = "nginx:alpine", claims: Iterable[str] = (),
                partition: int | None = None, policy: str | None = None,
                mount_path: str = "/usr/share/nginx/html", status: Obj | None = None) -> Obj:
    labels = {"app": name}
    container: Obj = {"name": "nginx", "image": image}
    claims = list(claims)
    if claims:
        container["volumeMounts"] = [{"name": c, "mountPath": mount_path} for c in claims]
    spec: Obj = {"serviceName": service if service is not None else name,
                 "replicas": replicas, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [container]}}}
    if claims:
        spec["volumeClaimTemplates"] = [
            {"metadata": {"name": c}, "spec": {"accessModes": ["ReadWriteOnce"],
                                               "resources": {"requests": {"storage": "1Gi"}}}}
            for c in claims]
    if partition is not None:
        spec["updateStrategy"] = {"type": "RollingUpdate",
                                  "rollingUpdate": {"partition": partition}}
    if policy:
        spec["podManagementPolicy"] = policy
    return {"kind": "StatefulSet", "metadata": {"name": name, "generation": 1}, "spec": spec,
            "status": {"observedGeneration": 1, **(status or {})}}


def service(name: str, selector: Mapping[str, str], *, headless: bool = True) -> Obj:
    return {"kind": "Service", "metadata": {"name": name},
            "spec": {"clusterIP": "None" if headless else "10.96.0.42",
                     "selector": dict(selector), "ports": [{"port": 80}]}}


def pvc(name: str, *, phase: str = "Bound", volume: str | None = None) -> Obj:
    spec: Obj = {"accessModes": ["ReadWriteOnce"], "storageClassName": "standard",
                 "resources": {"requests": {"storage": "1Gi"}}}
    if phase == "Bound":
        spec["volumeName"] = volume or f"pv-{name}"
    return {"kind": "PersistentVolumeClaim", "metadata": {"name": name}, "spec": spec,
            "status": {"phase": phase}}


def event(kind: str, name: str, reason: str, message: str, *, type_: str = "Warning",
          t: float = 0.0) -> Obj:
    return {"kind": "Event", "metadata": {"name": f"{name}.{reason.lower()}.{int(t)}"},
            "involvedObject": {"kind": kind, "name": name}, "reason": reason,
            "message": message, "type": type_, "lastTimestamp": ts(t)}


def sts_pods(lab: Lab, name: str, ordinals: Iterable[int], *, ready: bool = True,
             revision: str = "r1", claims: Iterable[str] = (), service: str | None = None,
             step: float = 5.0) -> None:
    """Bring up StatefulSet pods one after another, each after its predecessor is Ready."""
    t = lab.t
    for i in ordinals:
        pname = f"{name}-{i}"
        ip = f"10.244.1.{10 + i}"
        vols = {c: f"{c}-{name}-{i}" for c in claims}
        for c in vols.values():
            if lab.state.get("PersistentVolumeClaim", c) is None:
                lab.at(t).put(pvc(c))
        base = dict(owner=("StatefulSet", name), labels={"app": name}, revision=revision,
                    claims=vols, hostname=pname, subdomain=service or name, container="nginx")
        lab.at(t).put(pod(pname, phase="Pending", ready=False, **base))  # type: ignore[arg-type]
        t += step
        lab.at(t).put(pod(pname, node_name="worker-1", ip=ip, ready=ready, ready_at=t,
                          **base))  # type: ignore[arg-type]
    lab.at(t)


def daemonset(name: str, *, node_selector: Mapping[str, str] | None = None,
              tolerations: list[Obj] | None = None, host_paths: Mapping[str, str] | None = None,
              image: str = "busybox", generation: int = 1, status: Obj | None = None) -> Obj:
    labels = {"app": name}
    container: Obj = {"name": "logger", "image": image}
    spec_t: Obj = {"containers": [container]}
    if node_selector:
        spec_t["nodeSelector"] = dict(node_selector)
    if tolerations:
        spec_t["tolerations"] = tolerations
    if host_paths:
        spec_t["volumes"] = [{"name": v, "hostPath": {"path": p}} for v, p in host_paths.items()]
        container["volumeMounts"] = [{"name": v, "mountPath": p} for v, p in host_paths.items()]
    return {"kind": "DaemonSet", "metadata": {"name": name, "generation": generation},
            "spec": {"selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": spec_t}},
            "status": {"observedGeneration": generation, **(status or {})}}


def ds_pod(ds: str, node_name: str, suffix: str, *, ready: bool = True, image: str = "busybox",
           revision: str = "d1") -> Obj:
    p = pod(f"{ds}-{suffix}", owner=("DaemonSet", ds), node_name=node_name, ready=ready,
            labels={"app": ds}, image=image, container="logger", revision=revision,
            phase="Running" if ready else "Pending")
    p["spec"]["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
                                              {"nodeSelectorTerms": [{"matchFields": [{
                                                  "key": "metadata.name", "operator": "In",
                                                  "values": [node_name]}]}]}}}
    return p


def job(name: str, *, completions: int | None = 1, parallelism: int | None = 1,
        backoff: int | None = None, ttl: int | None = None, deadline: int | None = None,
        restart: str = "Never", owner: tuple[str, str] | None = None,
        annotations: Mapping[str, str] | None = None, status: Obj | None = None) -> Obj:
    spec: Obj = {"template": {"spec": {"restartPolicy": restart,
                                       "containers": [{"name": "w", "image": "busybox"}]}}}
    for key, value in (("completions", completions), ("parallelism", parallelism),
                       ("backoffLimit", backoff), ("ttlSecondsAfterFinished", ttl),
                       ("activeDeadlineSeconds", deadline)):
        if value is not None:
            spec[key] = value
    md: Obj = {"name": name}
    if owner:
        md["ownerReferences"] = [owner_ref(*owner)]
    if annotations:
        md["annotations"] = dict(annotations)
    return {"kind": "Job", "metadata": md, "spec": spec, "status": dict(status or {})}


def finished(obj: Obj, kind: str = "Complete", reason: str = "", message: str = "",
             **counts: int) -> None:
    """Mark a Job Complete or Failed in place."""
    st = obj.setdefault("status", {})
    st.update(counts)
    st["conditions"] = [{"type": kind, "status": "True", "reason": reason,
                         "message": message}]
    st.pop("active", None)


def cronjob(name: str, schedule: str = "*/5 * * * *", *, policy: str | None = None,
            suspend: bool = False, keep_ok: int | None = None, keep_failed: int | None = None
            ) -> Obj:
    spec: Obj = {"schedule": schedule, "suspend": suspend,
                 "jobTemplate": {"metadata": {"labels": {"cronjob": name}},
                                 "spec": {"template": {"spec": {
                                     "restartPolicy": "OnFailure",
                                     "containers": [{"name": "m", "image": "busybox"}]}}}}}
    if policy:
        spec["concurrencyPolicy"] = policy
    if keep_ok is not None:
        spec["successfulJobsHistoryLimit"] = keep_ok
    if keep_failed is not None:
        spec["failedJobsHistoryLimit"] = keep_failed
    return {"kind": "CronJob", "metadata": {"name": name}, "spec": spec, "status": {}}


def scheduled_job(cj: str, minute: int, **kw: Any) -> Obj:
    """A Job as the CronJob controller names it: `<cronjob>-<minutes since the epoch>`."""
    minutes = int(EPOCH.timestamp()) // 60 + minute
    return job(f"{cj}-{minutes}", owner=("CronJob", cj), **kw)


def at_minute(minute: int) -> str:
    return ts(minute * 60)
