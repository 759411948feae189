from __future__ import annotations

from k8slab.cluster.protocol import WatchEvent
from k8slab.state import ClusterState


def _pod(name: str, uid: str, rv: str, *, node: str = "", phase: str = "Pending",
         ready: bool = False) -> dict:
    conds = [{"type": "Ready", "status": "True" if ready else "False"}]
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "lab", "uid": uid, "resourceVersion": rv,
                     "ownerReferences": [{"kind": "StatefulSet", "name": "web",
                                          "controller": True}]},
        "spec": {"nodeName": node} if node else {},
        "status": {"phase": phase, "conditions": conds},
    }


def test_transitions_follow_a_pod_through_its_life() -> None:
    state = ClusterState("lab")
    state.apply(WatchEvent("ADDED", _pod("web-0", "u1", "1"), 1.0))
    state.apply(WatchEvent("MODIFIED", _pod("web-0", "u1", "2", node="worker-1"), 2.0))
    state.apply(WatchEvent("MODIFIED", _pod("web-0", "u1", "3", node="worker-1",
                                            phase="Running", ready=True), 3.0))
    state.apply(WatchEvent("DELETED", _pod("web-0", "u1", "4", node="worker-1"), 4.0))
    whats = [t.what for t in state.history.select(kind="Pod", name="web-0")]
    assert whats == ["created", "scheduled", "running", "ready", "deleted"]
    assert state.history.select(what="ready")[0].detail["owner"] == "StatefulSet/web"
    assert state.get("Pod", "web-0") is None


def test_relist_does_not_duplicate_history() -> None:
    state = ClusterState("lab")
    pod = _pod("web-0", "u1", "5", node="worker-1", phase="Running", ready=True)
    state.apply(WatchEvent("ADDED", pod, 1.0))
    before = len(state.history)
    state.apply(WatchEvent("ADDED", pod, 9.0))  # what a re-list after reconnecting sends
    assert len(state.history) == before


def test_new_uid_under_same_name_records_the_missed_deletion() -> None:
    state = ClusterState("lab")
    state.apply(WatchEvent("ADDED", _pod("web-1", "u1", "1"), 1.0))
    state.apply(WatchEvent("ADDED", _pod("web-1", "u2", "7"), 5.0))
    whats = [(t.what, t.uid) for t in state.history.select(name="web-1")]
    assert whats == [("created", "u1"), ("deleted", "u1"), ("created", "u2")]


def test_node_label_changes_are_recorded() -> None:
    state = ClusterState("lab")
    node = {"kind": "Node", "metadata": {"name": "worker-1", "uid": "n1", "resourceVersion": "1",
                                         "labels": {"a": "1"}}}
    state.apply(WatchEvent("ADDED", node, 0.0))
    labelled = {**node, "metadata": {**node["metadata"], "resourceVersion": "2",
                                     "labels": {"a": "1", "gpu": "true"}}}
    state.apply(WatchEvent("MODIFIED", labelled, 1.0))
    state.apply(WatchEvent("MODIFIED", node | {"metadata": {**node["metadata"],
                                                            "resourceVersion": "3"}}, 2.0))
    whats = [(t.what, dict(t.detail)) for t in state.history.select(kind="Node")]
    assert whats == [("added", {}), ("labelled", {"key": "gpu", "value": "true"}),
                     ("unlabelled", {"key": "gpu"})]
