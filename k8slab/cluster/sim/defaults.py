"""Defaulting, as the API server fills in what a manifest leaves out.

Each function takes an object the caller owns (a fresh clone) and fills it in place. The values
are the API's documented defaults (`kubectl get -o yaml` on a real cluster shows the same).
"""

from __future__ import annotations

from typing import Any

from k8slab.cluster.objects import Obj


def _probe(p: dict[str, Any] | None) -> None:
    if not p:
        return
    p.setdefault("timeoutSeconds", 1)
    p.setdefault("periodSeconds", 10)
    p.setdefault("successThreshold", 1)
    p.setdefault("failureThreshold", 3)


def _container(c: dict[str, Any]) -> None:
    image = str(c.get("image", ""))
    last = image.rsplit("/", 1)[-1]
    tag = last.split("@")[0].partition(":")[2]
    if "imagePullPolicy" not in c:
        c["imagePullPolicy"] = "Always" if (not tag or tag == "latest") and "@" not in last \
            else "IfNotPresent"
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    c.setdefault("resources", {})
    res = c["resources"]
    if res.get("limits") and not res.get("requests"):
        res["requests"] = dict(res["limits"])
    elif res.get("limits"):
        merged = {**res["limits"], **res["requests"]}
        if merged != res["requests"]:
            res["requests"] = merged
    for port in c.get("ports") or ():
        port.setdefault("protocol", "TCP")
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        _probe(c.get(probe))


def pod_spec(spec: dict[str, Any]) -> None:
    """Defaults of a PodSpec (also applied to templates inside workloads)."""
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for c in spec.get("containers") or ():
        _container(c)
    for c in spec.get("initContainers") or ():
        _container(c)
    for v in spec.get("volumes") or ():
        if "configMap" in v:
            v["configMap"].setdefault("defaultMode", 420)
        if "secret" in v:
            v["secret"].setdefault("defaultMode", 420)
        if "hostPath" in v:
            v["hostPath"].setdefault("type", "")
        if "emptyDir" in v and v["emptyDir"] is None:
            v["emptyDir"] = {}


def _template(obj: Obj, path: tuple[str, ...] = ("spec", "template")) -> None:
    cur: Any = obj
    for p in path:
        cur = (cur or {}).get(p)
    if isinstance(cur, dict):
        cur.setdefault("metadata", {})
        cur["metadata"].setdefault("creationTimestamp", None)
        if isinstance(cur.get("spec"), dict):
            pod_spec(cur["spec"])


def statefulset(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    spec.setdefault("revisionHistoryLimit", 10)
    us = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
    us.setdefault("type", "RollingUpdate")
    if us["type"] == "RollingUpdate":
        us.setdefault("rollingUpdate", {})
        us["rollingUpdate"].setdefault("partition", 0)
    ret = spec.setdefault("persistentVolumeClaimRetentionPolicy", {})
    ret.setdefault("whenDeleted", "Retain")
    ret.setdefault("whenScaled", "Retain")
    for t in spec.get("volumeClaimTemplates") or ():
        t.setdefault("apiVersion", "v1")
        t.setdefault("kind", "PersistentVolumeClaim")
        t.setdefault("metadata", {})
        t["metadata"].setdefault("creationTimestamp", None)
        t.setdefault("spec", {}).setdefault("volumeMode", "Filesystem")
        t.setdefault("status", {"phase": "Pending"})
    _template(obj)


def daemonset(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("revisionHistoryLimit", 10)
    us = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
    us.setdefault("type", "RollingUpdate")
    if us["type"] == "RollingUpdate":
        ru = us.setdefault("rollingUpdate", {})
        ru.setdefault("maxUnavailable", 1)
        ru.setdefault("maxSurge", 0)
    _template(obj)


def deployment(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    st = spec.setdefault("strategy", {"type": "RollingUpdate"})
    if st.get("type", "RollingUpdate") == "RollingUpdate":
        st.setdefault("type", "RollingUpdate")
        ru = st.setdefault("rollingUpdate", {})
        ru.setdefault("maxUnavailable", "25%")
        ru.setdefault("maxSurge", "25%")
    _template(obj)


def job_spec(spec: dict[str, Any]) -> None:
    """Defaults of a JobSpec (a Job's, or a CronJob's jobTemplate's)."""
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    spec.setdefault("parallelism", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
    spec.setdefault("manualSelector", None)
    if spec["manualSelector"] is None:
        del spec["manualSelector"]


def job(obj: Obj, uid: str) -> None:
    """Job defaults, including the generated selector and template labels the API adds."""
    spec = obj.setdefault("spec", {})
    job_spec(spec)
    name = obj["metadata"]["name"]
    if not spec.get("manualSelector"):
        labels = {"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name,
                  "controller-uid": uid, "job-name": name}
        tmeta = spec.setdefault("template", {}).setdefault("metadata", {})
        tmeta["labels"] = {**(tmeta.get("labels") or {}), **labels}
        spec.setdefault("selector", {"matchLabels": {
            "batch.kubernetes.io/controller-uid": uid}})
    _template(obj)


def cronjob(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("concurrencyPolicy", "Allow")
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    jt = spec.setdefault("jobTemplate", {})
    jt.setdefault("metadata", {})
    jt["metadata"].setdefault("creationTimestamp", None)
    jspec = jt.setdefault("spec", {})
    _template(jt)
    jspec.setdefault("backoffLimit", 6)


def service(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    spec.setdefault("ipFamilies", ["IPv4"])
    spec.setdefault("ipFamilyPolicy", "SingleStack")
    spec.setdefault("internalTrafficPolicy", "Cluster")
    for p in spec.get("ports") or ():
        p.setdefault("protocol", "TCP")
        p.setdefault("targetPort", p.get("port"))


def pvc(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("volumeMode", "Filesystem")
    obj.setdefault("status", {"phase": "Pending"})


def namespace(obj: Obj) -> None:
    md = obj["metadata"]
    md["labels"] = {**(md.get("labels") or {}), "kubernetes.io/metadata.name": md["name"]}
    obj.setdefault("spec", {"finalizers": ["kubernetes"]})
    obj["status"] = {"phase": "Active"}


def pod(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    pod_spec(spec)
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("priority", 0)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    # DefaultTolerationSeconds admission. A new list: the old one may be a template's.
    tols = list(spec.get("tolerations") or [])
    spec["tolerations"] = tols
    for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
        if not any(t.get("key") == key and t.get("effect") in ("NoExecute", None, "")
                   for t in tols):
            tols.append({"key": key, "operator": "Exists", "effect": "NoExecute",
                         "tolerationSeconds": 300})
    obj.setdefault("status", {"phase": "Pending", "qosClass": _qos(spec)})


def _qos(spec: dict[str, Any]) -> str:
    reqs, lims = [], []
    for c in spec.get("containers") or ():
        res = c.get("resources") or {}
        reqs.append(res.get("requests") or {})
        lims.append(res.get("limits") or {})
    if not any(reqs) and not any(lims):
        return "BestEffort"
    guaranteed = all(
        lim.get("cpu") and lim.get("memory") and req.get("cpu", lim["cpu"]) == lim["cpu"]
        and req.get("memory", lim["memory"]) == lim["memory"]
        for req, lim in zip(reqs, lims, strict=True))
    return "Guaranteed" if guaranteed else "Burstable"


def apply_defaults(obj: Obj, uid: str = "") -> None:
    """Fill in the API defaults for `obj` (in place)."""
    kind = obj.get("kind")
    obj.setdefault("metadata", {})
    match kind:
        case "StatefulSet":
            statefulset(obj)
        case "DaemonSet":
            daemonset(obj)
        case "Deployment":
            deployment(obj)
        case "Job":
            job(obj, uid)
        case "CronJob":
            cronjob(obj)
        case "Service":
            service(obj)
        case "PersistentVolumeClaim":
            pvc(obj)
        case "Namespace":
            namespace(obj)
        case "Pod":
            pod(obj)
        case "ReplicaSet":
            obj.setdefault("spec", {}).setdefault("replicas", 1)
            _template(obj)
