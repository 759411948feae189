"""DaemonSet fidelity: coverage and exclusion reasons, node changes, rollout and undo."""

from __future__ import annotations

from k8slab.cluster.coverage import coverage
from tests.cluster.sim.simlab import SimLab, daemonset, ready

OWNER = "DaemonSet/node-logger"
CP_TOLERATION = {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists",
                 "effect": "NoSchedule"}


def _covered(lab: SimLab, name: str = "node-logger") -> list:
    ds = lab.sim.get("DaemonSet", name)
    return coverage(ds, lab.sim.list("Node"), lab.sim.list("Pod"))


def _ready_count(lab: SimLab, name: str = "node-logger") -> int:
    ds = lab.state.get("DaemonSet", name) or {}
    return int((ds.get("status") or {}).get("numberReady", 0))


def _rollouts(lab: SimLab) -> int:
    return len(lab.history(kind="DaemonSet", what="rolled-out"))


def test_covers_workers_and_records_why_the_control_plane_is_skipped() -> None:
    lab = SimLab()
    lab.apply(daemonset())
    lab.run_until(lambda lb: _ready_count(lb) == 2)
    nodes = {p["spec"]["nodeName"] for p in lab.sim.list("Pod")}
    assert nodes == {"worker-1", "worker-2"}
    cov = {c.node: c for c in _covered(lab)}
    assert not cov["cp-0"].eligible and cov["cp-0"].reason == "taint"
    assert "node-role.kubernetes.io/control-plane:NoSchedule" in cov["cp-0"].detail
    assert cov["cp-0"].pod is None
    assert cov["worker-1"].eligible and cov["worker-1"].ready and cov["worker-1"].pod
    status = lab.sim.get("DaemonSet", "node-logger")["status"]
    assert status["desiredNumberScheduled"] == 2
    assert status["currentNumberScheduled"] == 2
    assert status["numberReady"] == 2 and status["updatedNumberScheduled"] == 2


def test_tolerating_the_control_plane_taint_covers_every_node() -> None:
    lab = SimLab()
    lab.apply(daemonset(tolerations=[CP_TOLERATION]))
    lab.run_until(lambda lb: _ready_count(lb) == 3)
    assert all(c.eligible and c.ready for c in _covered(lab))


def test_daemon_pods_are_pinned_by_node_affinity_with_default_tolerations() -> None:
    lab = SimLab()
    lab.apply(daemonset())
    lab.run_until(lambda lb: _ready_count(lb) == 2)
    pod = next(p for p in lab.sim.list("Pod") if p["spec"]["nodeName"] == "worker-2")
    terms = pod["spec"]["affinity"]["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert terms == [{"matchFields": [{"key": "metadata.name", "operator": "In",
                                       "values": ["worker-2"]}]}]
    keys = {t["key"] for t in pod["spec"]["tolerations"]}
    assert {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable",
            "node.kubernetes.io/disk-pressure", "node.kubernetes.io/memory-pressure",
            "node.kubernetes.io/pid-pressure", "node.kubernetes.io/unschedulable"} <= keys
    assert "node-role.kubernetes.io/control-plane" not in keys
    labels = pod["metadata"]["labels"]
    assert labels["pod-template-generation"] == "1" and labels["controller-revision-hash"]


def test_labelling_a_node_adds_a_pod_and_unlabelling_removes_it() -> None:
    lab = SimLab()
    lab.apply(daemonset("gpu-monitor", node_selector={"gpu": "true"},
                        script='echo "GPU monitoring on $(hostname)" && sleep 3600'))
    lab.run(10)
    assert lab.sim.list("Pod") == []
    # The nodeSelector is checked before taints, as nodeShouldRunDaemonPod does.
    assert {c.reason for c in _covered(lab, "gpu-monitor")} == {"nodeSelector"}
    lab.sim.patch("Node", "worker-1", {"metadata": {"labels": {"gpu": "true"}}})
    lab.run_until(lambda lb: _ready_count(lb, "gpu-monitor") == 1)
    pods = lab.sim.list("Pod")
    assert [p["spec"]["nodeName"] for p in pods] == ["worker-1"]
    name = pods[0]["metadata"]["name"]
    labelled = lab.history(kind="Node", what="labelled")[0].time
    assert lab.history(kind="Pod", name=name, what="created")[0].time >= labelled
    lab.sim.patch("Node", "worker-1", {"metadata": {"labels": {"gpu": None}}})
    lab.run_until(lambda lb: not lb.sim.list("Pod"), limit=120)
    assert lab.history(kind="Pod", name=name, what="deleted")
    cov = {c.node: c for c in _covered(lab, "gpu-monitor")}
    assert cov["worker-1"].reason == "nodeSelector" and cov["worker-1"].pod is None


def test_new_node_gets_a_pod_and_removed_node_loses_it() -> None:
    lab = SimLab()
    lab.apply(daemonset())
    lab.run_until(lambda lb: _ready_count(lb) == 2)
    lab.sim.add_node("worker-3")
    lab.run_until(lambda lb: _ready_count(lb) == 3)
    assert {p["spec"]["nodeName"] for p in lab.sim.list("Pod")} == {
        "worker-1", "worker-2", "worker-3"}
    lab.sim.remove_node("worker-3")
    lab.run_until(lambda lb: len(lb.sim.list("Pod")) == 2)
    status = lab.sim.get("DaemonSet", "node-logger")["status"]
    assert status["desiredNumberScheduled"] == 2


def test_deleted_daemon_pod_is_replaced_on_the_same_node() -> None:
    lab = SimLab()
    lab.apply(daemonset())
    lab.run_until(lambda lb: _ready_count(lb) == 2)
    victim = next(p for p in lab.sim.list("Pod") if p["spec"]["nodeName"] == "worker-1")
    lab.sim.delete("Pod", victim["metadata"]["name"], grace_period=0)
    lab.run_until(lambda lb: len(lb.sim.list("Pod")) == 2 and all(
        ready(lb, p["metadata"]["name"]) for p in lb.sim.list("Pod")))
    names = {p["spec"]["nodeName"]: p["metadata"]["name"] for p in lab.sim.list("Pod")}
    assert names["worker-1"] != victim["metadata"]["name"]


def test_insufficient_resources_is_reported_as_a_coverage_reason() -> None:
    lab = SimLab()
    lab.sim.add_node("small", cpu="500m")
    lab.apply(daemonset(requests={"cpu": "1"}))
    lab.run(20)
    cov = {c.node: c for c in _covered(lab)}
    assert not cov["small"].eligible and cov["small"].reason == "resources"
    assert "Insufficient cpu" in cov["small"].detail
    assert cov["worker-1"].eligible


def test_rolling_update_respects_max_unavailable_and_undo_restores_the_template() -> None:
    lab = SimLab()
    lab.apply(daemonset(tolerations=[CP_TOLERATION]))
    lab.run_until(lambda lb: _ready_count(lb) == 3)
    lab.run(1)
    start = lab.sim.now()
    done = _rollouts(lab)
    lab.sim.patch("DaemonSet", "node-logger", {"spec": {"template": {"spec": {
        "containers": [{"name": "main", "image": "busybox:1.36"}]}}}})
    lab.run_until(lambda lb: _rollouts(lb) > done, limit=600)
    images = {p["spec"]["containers"][0]["image"] for p in lab.sim.list("Pod")}
    assert images == {"busybox:1.36"}
    # maxUnavailable 1: at no time were two pods of the set missing or terminating at once.
    down: set[str] = set()
    worst = 0
    for t in lab.history(kind="Pod", owner=OWNER, since=start):
        node = t.detail.get("node")
        if t.what == "terminating":
            down.add(node)
        elif t.what == "ready":
            down.discard(node)
        worst = max(worst, len(down))
    assert worst == 1
    history = lab.sim.rollout_history("DaemonSet", "node-logger")
    assert [h["revision"] for h in history] == [1, 2]
    assert history[1]["images"] == {"main": "busybox:1.36"}
    ds = lab.sim.get("DaemonSet", "node-logger")
    assert ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "2"
    back_to = lab.sim.rollout_undo("DaemonSet", "node-logger")
    assert back_to == 1
    lab.run_until(lambda lb: _rollouts(lb) > done + 1, limit=600)
    assert {p["spec"]["containers"][0]["image"] for p in lab.sim.list("Pod")} == {"busybox"}
    history = lab.sim.rollout_history("DaemonSet", "node-logger")
    # The old revision is reused and renumbered as the newest, as kubectl shows it.
    assert [(h["revision"], h["images"]["main"]) for h in history] == [
        (2, "busybox:1.36"), (3, "busybox")]


def test_on_delete_strategy_waits_for_manual_deletion() -> None:
    lab = SimLab()
    lab.apply(daemonset(updateStrategy={"type": "OnDelete"}))
    lab.run_until(lambda lb: _ready_count(lb) == 2)
    lab.sim.patch("DaemonSet", "node-logger", {"spec": {"template": {"spec": {
        "containers": [{"name": "main", "image": "busybox:1.36"}]}}}})
    lab.run(60)
    assert {p["spec"]["containers"][0]["image"] for p in lab.sim.list("Pod")} == {"busybox"}
    status = lab.sim.get("DaemonSet", "node-logger")["status"]
    # Zero is omitted, as the API serialises it (found by tests/comparison).
    assert "updatedNumberScheduled" not in status


def test_control_plane_taint_with_no_execute_evicts_running_pods() -> None:
    lab = SimLab()
    lab.apply(daemonset())
    lab.run_until(lambda lb: _ready_count(lb) == 2)
    # A NoSchedule taint leaves the running pod alone...
    lab.sim.patch("Node", "worker-1", {"spec": {"taints": [
        {"key": "maintenance", "value": "true", "effect": "NoSchedule"}]}})
    lab.run(40)
    assert {p["spec"]["nodeName"] for p in lab.sim.list("Pod")} == {"worker-1", "worker-2"}
    # ...a NoExecute taint does not.
    lab.sim.patch("Node", "worker-1", {"spec": {"taints": [
        {"key": "maintenance", "value": "true", "effect": "NoExecute"}]}})
    lab.run_until(lambda lb: {p["spec"]["nodeName"] for p in lb.sim.list("Pod")} == {
        "worker-2"}, limit=120)
