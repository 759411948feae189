"""coverage() on plain objects shaped like a real API server's (no sim involved)."""

from __future__ import annotations

from typing import Any

from k8slab.cluster.coverage import coverage


def _node(name: str, labels: dict[str, str] | None = None,
          taints: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"kind": "Node", "metadata": {"name": name, "labels": labels or {}},
            "spec": {"taints": taints} if taints else {}}


DS = {"kind": "DaemonSet", "metadata": {"name": "mon", "namespace": "ns", "uid": "u1"},
      "spec": {"template": {"spec": {"nodeSelector": {"disk": "ssd"}, "containers": []}}}}


def _pod(name: str, node: str, *, unschedulable: str = "") -> dict[str, Any]:
    conds = [{"type": "Ready", "status": "True"}]
    if unschedulable:
        conds = [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                  "message": unschedulable}]
    spec: dict[str, Any] = {"affinity": {"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]}}}}
    if not unschedulable:
        spec["nodeName"] = node
    return {"kind": "Pod", "metadata": {"name": name, "namespace": "ns", "ownerReferences": [
        {"kind": "DaemonSet", "name": "mon", "uid": "u1", "controller": True}]},
        "spec": spec, "status": {"phase": "Running" if not unschedulable else "Pending",
                                 "conditions": conds}}


def test_reasons_for_every_skipped_node() -> None:
    nodes = [
        _node("a", {"disk": "ssd"}),
        _node("b", {"disk": "hdd"}),
        _node("c", {"disk": "ssd"}, [{"key": "dedicated", "value": "db",
                                      "effect": "NoSchedule"}]),
        _node("d", {"disk": "ssd"}),
        _node("e", {"disk": "ssd"}, [{"key": "node.kubernetes.io/unschedulable",
                                      "effect": "NoSchedule"}]),
    ]
    pods = [_pod("mon-a", "a"),
            _pod("mon-d", "d", unschedulable="0/5 nodes are available: 1 Insufficient cpu")]
    cov = {c.node: c for c in coverage(DS, nodes, pods)}
    assert cov["a"].eligible and cov["a"].pod == "mon-a" and cov["a"].ready
    assert (cov["b"].eligible, cov["b"].reason) == (False, "nodeSelector")
    assert (cov["c"].eligible, cov["c"].reason) == (False, "taint")
    assert cov["c"].detail == "taint dedicated=db:NoSchedule is not tolerated"
    assert (cov["d"].eligible, cov["d"].reason, cov["d"].pod) == (False, "resources", "mon-d")
    # The controller tolerates cordoned nodes for daemon pods.
    assert cov["e"].eligible


def test_required_affinity_reason() -> None:
    ds = {"metadata": {"name": "mon", "namespace": "ns", "uid": "u1"}, "spec": {"template": {
        "spec": {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [
                {"key": "zone", "operator": "In", "values": ["a"]}]}]}}}}}}}
    cov = coverage(ds, [_node("x", {"zone": "b"}), _node("y", {"zone": "a"})], [])
    assert [(c.node, c.eligible, c.reason) for c in cov] == [("x", False, "affinity"),
                                                              ("y", True, "")]
