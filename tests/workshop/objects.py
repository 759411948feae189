"""Synthetic cluster objects shaped like the API's JSON, for grading without a cluster."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from k8slab.state.history import Transition
from k8slab.workshop import progress_store

NOW = 1_800_000_000.0  # a fixed wall clock for the tests


def ts(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def meta(name: str, ns: str | None, created: float, **extra: Any) -> dict[str, Any]:
    m: dict[str, Any] = {"name": name, "uid": f"uid-{ns}-{name}", "resourceVersion": "1",
                         "creationTimestamp": ts(created), **extra}
    if ns:
        m["namespace"] = ns
    return m


def namespace(name: str, created: float) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta(name, None, created)}


def statefulset(ns: str, name: str = "web", replicas: int = 3, *, ready: int = 3,
                created: float = NOW - 300) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta(name, ns, created),
            "spec": {"serviceName": name, "replicas": replicas,
                     "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {}}},
            "status": {"replicas": replicas, "readyReplicas": ready}}


def service(ns: str, name: str = "web", created: float = NOW - 300) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta(name, ns, created),
            "spec": {"clusterIP": "None", "selector": {"app": name}}}


def pod(ns: str, name: str, owner: str = "web", *, ready: bool = True,
        created: float = NOW - 200, node: str = "worker-1") -> dict[str, Any]:
    m = meta(name, ns, created, labels={"app": owner}, ownerReferences=[
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": owner, "uid": "x",
         "controller": True}])
    status: dict[str, Any] = {"phase": "Running" if ready else "Pending", "conditions": [
        {"type": "Ready", "status": "True" if ready else "False",
         "lastTransitionTime": ts(created + 5)}]}
    if not ready:
        status["conditions"].append({"type": "PodScheduled", "status": "False",
                                     "reason": "Unschedulable",
                                     "message": "0/3 nodes are available"})
    return {"apiVersion": "v1", "kind": "Pod", "metadata": m,
            "spec": {"nodeName": node if ready else None,
                     "containers": [{"name": "nginx", "image": "nginx"}]},
            "status": status}


def warning(ns: str, involved: str, reason: str, message: str, at: float) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": meta(f"{involved}.{int(at)}", ns, at),
            "type": "Warning", "reason": reason, "message": message,
            "involvedObject": {"kind": "Pod", "name": involved, "namespace": ns},
            "lastTimestamp": ts(at)}


def progress(ns: str, lesson: str, data: dict[str, Any],
             history: list[Transition] | None = None, saved: float = NOW - 60
             ) -> dict[str, Any]:
    text = progress_store.encode(lesson, data, history, saved=saved)
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": meta(progress_store.PROGRESS_CONFIGMAP, ns, NOW - 3600),
            "data": {progress_store.key_for(lesson): text}}


def web_ready(ns: str, replicas: int = 3) -> list[dict[str, Any]]:
    """A StatefulSet web with all replicas Ready and its headless Service."""
    return [statefulset(ns, replicas=replicas, ready=replicas), service(ns),
            *(pod(ns, f"web-{i}") for i in range(replicas))]
