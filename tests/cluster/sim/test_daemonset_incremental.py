"""The DaemonSet controller's node-by-node syncs do exactly what full passes do.

One scenario touches everything the controller reacts to (nodes labelled, tainted, added and
removed, pods deleted by hand, rolling updates, undo, OnDelete, minReadySeconds, a second set,
deleting a set), once with every sync a full pass over the nodes and once incrementally; the
two runs must produce the same watch events, object for object.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from k8slab.cluster.sim.cluster import SimCluster
from k8slab.cluster.sim.daemonset import DaemonSetController
from tests.cluster.sim.simlab import daemonset

CP_TOLERATION = {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists",
                 "effect": "NoSchedule"}


def _image(sim: SimCluster, name: str, image: str, **spec: Any) -> None:
    sim.patch("DaemonSet", name, {"spec": {**spec, "template": {"spec": {
        "containers": [{"name": "main", "image": image}]}}}})


def _pod_on(sim: SimCluster, node: str, owner: str) -> str:
    return next(p["metadata"]["name"] for p in sim.list("Pod")
                if p["spec"].get("nodeName") == node
                and p["metadata"]["ownerReferences"][0]["name"] == owner
                and not p["metadata"].get("deletionTimestamp"))


def _scenario(incremental: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], int]:
    """Every watch event of the scenario, as JSON, and how many node-by-node syncs ran."""
    monkeypatch.setattr(DaemonSetController, "incremental", incremental)
    partial = 0
    original = DaemonSetController._sync_nodes

    def counting(self: DaemonSetController, *args: Any) -> None:
        nonlocal partial
        partial += 1
        original(self, *args)

    monkeypatch.setattr(DaemonSetController, "_sync_nodes", counting)
    sim = SimCluster("lab", seed=3)
    stream = sim.watch_all()
    for i in range(3, 12):
        sim.add_node(f"worker-{i}", labels={"zone": "a" if i % 2 else "b"})
    sim.apply([daemonset("agent", tolerations=[CP_TOLERATION],
                         updateStrategy={"type": "RollingUpdate",
                                         "rollingUpdate": {"maxUnavailable": 3}}),
               daemonset("gpu", node_selector={"gpu": "true"})])
    sim.advance(30)
    for node in ("worker-4", "worker-7"):
        sim.patch("Node", node, {"metadata": {"labels": {"gpu": "true"}}})
    sim.advance(20)
    sim.patch("Node", "worker-4", {"metadata": {"labels": {"gpu": None}}})
    sim.patch("Node", "worker-5", {"spec": {"taints": [
        {"key": "maintenance", "value": "true", "effect": "NoSchedule"}]}})
    sim.advance(20)
    sim.patch("Node", "worker-6", {"spec": {"taints": [
        {"key": "maintenance", "value": "true", "effect": "NoExecute"}]}})
    sim.delete("Pod", _pod_on(sim, "worker-8", "agent"), grace_period=0)
    sim.advance(30)
    sim.add_node("worker-12", labels={"gpu": "true"})
    sim.advance(10)
    sim.remove_node("worker-9")
    sim.advance(30)
    _image(sim, "agent", "busybox:1.36")
    sim.advance(300)
    sim.rollout_undo("DaemonSet", "agent")
    sim.advance(300)
    _image(sim, "agent", "busybox:1.37", updateStrategy={"type": "OnDelete"})
    sim.advance(20)
    sim.delete("Pod", _pod_on(sim, "worker-3", "agent"))
    sim.advance(60)
    _image(sim, "agent", "busybox:1.38", minReadySeconds=5,
           updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%"}})
    sim.advance(300)
    sim.delete("DaemonSet", "gpu")
    sim.advance(60)
    events = [json.dumps([ev.type, ev.object, ev.time], sort_keys=True, default=str)
              for ev in stream.drain()]
    sim.close()
    return events, partial


def test_node_by_node_syncs_match_full_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    full, none = _scenario(False, monkeypatch)
    incremental, partial = _scenario(True, monkeypatch)
    assert none == 0 and partial > 50  # the second run did take the node-by-node path
    assert len(full) > 500
    assert incremental == full
    # and the scenario did what it says: the last template rolled out everywhere it runs
    images = {json.loads(e)[1]["spec"]["containers"][0]["image"] for e in full[-300:]
              if json.loads(e)[1]["kind"] == "Pod"}
    assert "busybox:1.38" in images
