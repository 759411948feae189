"""Harness for the sim's fidelity tests: a seeded SimCluster whose watch stream feeds a
ClusterState (as the grader's does), manifest builders, and history queries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from k8slab.cluster.sim import SimCluster
from k8slab.state.history import Transition
from k8slab.state.mirror import ClusterState

NS = "lab"


class SimLab:
    """A sim and the mirror its watch feeds."""

    def __init__(self, seed: int = 1, behaviours: tuple[Any, ...] = ()) -> None:
        self.sim = SimCluster(NS, seed=seed, behaviours=behaviours)
        self.state = ClusterState(NS)
        self.stream = self.sim.watch()
        self.sync()

    def sync(self) -> None:
        self.state.apply_all(self.stream.drain())

    def apply(self, *objs: dict[str, Any]) -> None:
        self.sim.apply(list(objs))
        self.sync()

    def run(self, seconds: float) -> None:
        """Let `seconds` of virtual time pass, pumping as the action runner does."""
        until = self.sim.now() + seconds
        while self.sim.now() < until:
            self.sim.pump(until)
            self.sync()

    def run_until(self, done: Callable[[SimLab], bool], limit: float = 600.0) -> float:
        """Pump until `done(lab)`; return the virtual time. Fails after `limit` seconds."""
        end = self.sim.now() + limit
        while not done(self):
            assert self.sim.now() < end, f"condition not met within {limit}s"
            self.sim.pump(end)
            self.sync()
        return self.sim.now()

    def history(self, **filters: Any) -> list[Transition]:
        return self.state.history.select(**filters)

    def pod_names(self, owner: str | None = None) -> list[str]:
        return [o["metadata"]["name"] for o in self.state.list("Pod", owner=owner)]

    def events(self, reason: str) -> list[dict[str, Any]]:
        return [e for e in self.sim.list("Event") if e.get("reason") == reason]


def ready(lab: SimLab, pod: str) -> bool:
    obj = lab.state.get("Pod", pod)
    return bool(obj) and any(c.get("type") == "Ready" and c.get("status") == "True"
                             for c in (obj.get("status") or {}).get("conditions") or ())


def sts_ready(lab: SimLab, name: str, replicas: int) -> bool:
    sts = lab.state.get("StatefulSet", name)
    st = (sts or {}).get("status") or {}
    return st.get("readyReplicas") == replicas and st.get("replicas") == replicas


def statefulset(name: str = "web", replicas: int = 3, *, image: str = "nginx:alpine",
                claims: bool = True, **spec: Any) -> dict[str, Any]:
    """The seed's nginx StatefulSet with a `www` claim template."""
    container: dict[str, Any] = {"name": "nginx", "image": image,
                                 "ports": [{"containerPort": 80, "name": "web"}]}
    body: dict[str, Any] = {
        "serviceName": name, "replicas": replicas,
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}},
                     "spec": {"containers": [container]}},
        **spec,
    }
    if claims:
        container["volumeMounts"] = [{"name": "www", "mountPath": "/usr/share/nginx/html"}]
        body["volumeClaimTemplates"] = [{"metadata": {"name": "www"}, "spec": {
            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name},
            "spec": body}


def headless(name: str = "web", app: str | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"clusterIP": "None", "selector": {"app": app or name},
                     "ports": [{"port": 80, "name": "web"}]}}


def daemonset(name: str = "node-logger", *, node_selector: dict[str, str] | None = None,
              tolerations: list[dict[str, Any]] | None = None, image: str = "busybox",
              script: str = "while true; do echo tick; sleep 30; done",
              requests: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    pod: dict[str, Any] = {"containers": [{"name": "main", "image": image,
                                           "command": ["sh", "-c", script]}]}
    if node_selector:
        pod["nodeSelector"] = node_selector
    if tolerations:
        pod["tolerations"] = tolerations
    if requests:
        pod["containers"][0]["resources"] = {"requests": requests}
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": pod},
                     **spec}}


def pod(name: str, *, image: str = "busybox", script: str | None = "sleep 3600",
        **spec: Any) -> dict[str, Any]:
    c: dict[str, Any] = {"name": "main", "image": image}
    if script is not None:
        c["command"] = ["sh", "-c", script]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [c], **spec}}
