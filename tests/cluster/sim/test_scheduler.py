"""Scheduler fidelity: filters, the FailedScheduling message, retries when the cluster changes."""

from __future__ import annotations

from typing import Any

from tests.cluster.sim.simlab import SimLab, pod, ready


def _scheduled_message(lab: SimLab, name: str) -> str:
    cond = next(c for c in lab.sim.get("Pod", name)["status"]["conditions"]
                if c["type"] == "PodScheduled")
    assert cond["status"] == "False" and cond["reason"] == "Unschedulable"
    return str(cond["message"])


def _cpu_pod(name: str, cpu: str, **spec: Any) -> dict[str, Any]:
    p = pod(name, **spec)
    p["spec"]["containers"][0]["resources"] = {"requests": {"cpu": cpu}}
    return p


def test_untolerated_taint_and_insufficient_cpu_message() -> None:
    lab = SimLab()
    lab.apply(_cpu_pod("big", "5"))
    lab.run(5)
    msg = _scheduled_message(lab, "big")
    # kube-scheduler v1.37's words (checked against it by tests/comparison): the taint is
    # not named, and asking for more CPU than a node has at all is beyond preemption's help.
    assert msg == (
        "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient cpu. "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")
    events = [e for e in lab.events("FailedScheduling")
              if e["involvedObject"]["name"] == "big"]
    assert events and events[0]["type"] == "Warning" and events[0]["message"] == msg
    assert lab.sim.get("Pod", "big")["status"]["phase"] == "Pending"
    assert lab.history(kind="Pod", name="big", what="unschedulable")


def test_node_selector_mismatch_message() -> None:
    lab = SimLab()
    lab.apply(pod("ssd", nodeSelector={"disktype": "ssd"}))
    lab.run(5)
    assert _scheduled_message(lab, "ssd") == (
        "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 node(s) didn't match "
        "Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is "
        "not helpful for scheduling.")
    # Labelling a node makes the pending pod schedulable: the scheduler retries.
    lab.sim.patch("Node", "worker-2", {"metadata": {"labels": {"disktype": "ssd"}}})
    lab.run_until(lambda lb: ready(lb, "ssd"))
    assert lab.sim.get("Pod", "ssd")["spec"]["nodeName"] == "worker-2"


def test_pod_pinned_to_a_node_that_is_too_small() -> None:
    """A DaemonSet's pod asking for more than any node has (resource-hog-daemonset.yaml): the
    other nodes are left out by NodeAffinity's PreFilter, as kube-scheduler v1.37 reports it
    (found by tests/comparison)."""
    lab = SimLab()
    hog = pod("hog", affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchFields": [
            {"key": "metadata.name", "operator": "In", "values": ["worker-1"]}]}]}}})
    hog["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "64", "memory": "256Gi"}}
    lab.apply(hog)
    lab.run(5)
    assert _scheduled_message(lab, "hog") == (
        "0/3 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 2 node(s) didn't "
        "satisfy plugin(s) [NodeAffinity]. preemption: 0/3 nodes are available: 3 Preemption "
        "is not helpful for scheduling.")


def test_pending_pod_is_placed_when_resources_free_up() -> None:
    lab = SimLab()
    lab.apply(_cpu_pod("a", "3", nodeSelector={"kubernetes.io/hostname": "worker-1"}),
              _cpu_pod("b", "3", nodeSelector={"kubernetes.io/hostname": "worker-1"}))
    lab.run(10)
    placed = [p["metadata"]["name"] for p in lab.sim.list("Pod") if p["spec"].get("nodeName")]
    assert placed == ["a"]
    # CPU taken by another pod could be freed by preemption, but no pod has a lower priority.
    assert _scheduled_message(lab, "b") == (
        "0/3 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node "
        "affinity/selector, 1 node(s) had untolerated taint(s). preemption: 0/3 nodes are "
        "available: 1 No preemption victims found for incoming pod, 2 Preemption is not "
        "helpful for scheduling.")
    lab.sim.delete("Pod", "a", grace_period=0)
    lab.run_until(lambda lb: ready(lb, "b"))


def test_required_node_affinity_operators() -> None:
    lab = SimLab()
    lab.sim.patch("Node", "worker-1", {"metadata": {"labels": {"cores": "8", "zone": "a"}}})
    lab.sim.patch("Node", "worker-2", {"metadata": {"labels": {"cores": "2", "zone": "b"}}})

    def affinity(*exprs: dict[str, Any]) -> dict[str, Any]:
        return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": list(exprs)}]}}}

    lab.apply(
        pod("gt", affinity=affinity({"key": "cores", "operator": "Gt", "values": ["4"]})),
        pod("lt", affinity=affinity({"key": "cores", "operator": "Lt", "values": ["4"]})),
        pod("notin", affinity=affinity({"key": "zone", "operator": "NotIn", "values": ["a"]},
                                       {"key": "zone", "operator": "Exists"})),
        pod("none", affinity=affinity({"key": "cores", "operator": "DoesNotExist"})),
    )
    lab.run(10)
    nodes = {p["metadata"]["name"]: p["spec"].get("nodeName") for p in lab.sim.list("Pod")}
    assert nodes == {"gt": "worker-1", "lt": "worker-2", "notin": "worker-2", "none": None}


def test_tolerations_exists_equal_and_empty_key() -> None:
    lab = SimLab()
    only_cp = {"kubernetes.io/hostname": "cp-0"}
    lab.apply(
        pod("exists", nodeSelector=only_cp, tolerations=[
            {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists"}]),
        pod("everything", nodeSelector=only_cp, tolerations=[{"operator": "Exists"}]),
        pod("wrong-value", nodeSelector=only_cp, tolerations=[
            {"key": "node-role.kubernetes.io/control-plane", "operator": "Equal",
             "value": "x", "effect": "NoSchedule"}]),
    )
    lab.run(10)
    nodes = {p["metadata"]["name"]: p["spec"].get("nodeName") for p in lab.sim.list("Pod")}
    assert nodes == {"exists": "cp-0", "everything": "cp-0", "wrong-value": None}


def test_host_port_conflict() -> None:
    lab = SimLab()

    def with_port(name: str) -> dict[str, Any]:
        p = pod(name, nodeSelector={"kubernetes.io/hostname": "worker-1"})
        p["spec"]["containers"][0]["ports"] = [{"containerPort": 80, "hostPort": 8080}]
        return p

    lab.apply(with_port("first"), with_port("second"))
    lab.run(10)
    assert lab.sim.get("Pod", "first")["spec"]["nodeName"] == "worker-1"
    assert "1 node(s) didn't have free ports for the requested pod ports" in (
        _scheduled_message(lab, "second"))


def test_pods_spread_across_workers() -> None:
    lab = SimLab()
    lab.apply(*(pod(f"p{i}") for i in range(4)))
    lab.run(10)
    nodes = [p["spec"]["nodeName"] for p in lab.sim.list("Pod")]
    assert sorted(nodes) == ["worker-1", "worker-1", "worker-2", "worker-2"]
    scheduled = [e["message"] for e in lab.events("Scheduled")]
    assert "Successfully assigned lab/p0 to worker-1" in scheduled


def test_no_execute_taint_evicts_pods_that_do_not_tolerate_it() -> None:
    lab = SimLab()
    pin = {"kubernetes.io/hostname": "worker-1"}
    lab.apply(pod("plain", nodeSelector=pin),
              pod("patient", nodeSelector=pin, tolerations=[
                  {"key": "maintenance", "operator": "Exists", "effect": "NoExecute",
                   "tolerationSeconds": 60}]),
              pod("stoic", nodeSelector=pin, tolerations=[
                  {"key": "maintenance", "operator": "Exists", "effect": "NoExecute"}]))
    lab.run_until(lambda lb: all(ready(lb, n) for n in ("plain", "patient", "stoic")))
    tainted = lab.sim.now()
    lab.sim.patch("Node", "worker-1", {"spec": {"taints": [
        {"key": "maintenance", "value": "true", "effect": "NoExecute"}]}})
    lab.run(120)
    term = {t.name: t.time - tainted for t in lab.history(kind="Pod", what="terminating")}
    assert term["plain"] < 1
    assert 59 < term["patient"] < 61
    assert "stoic" not in term
    assert lab.events("TaintManagerEviction")


def test_pod_with_node_name_is_bound_directly() -> None:
    lab = SimLab()
    lab.apply(pod("pinned", nodeName="worker-2"))
    lab.run_until(lambda lb: ready(lb, "pinned"))
    assert lab.sim.get("Pod", "pinned")["spec"]["nodeName"] == "worker-2"
    assert not lab.events("Scheduled")  # the scheduler never saw it
    conds = {c["type"]: c["status"] for c in lab.sim.get("Pod", "pinned")["status"]["conditions"]}
    assert conds["PodScheduled"] == "True"
