"""DaemonSet checks over hand-built histories."""

from __future__ import annotations

from typing import Any

from tests.grading.builders import (
    Lab,
    daemonset,
    ds_pod,
    nodes3,
)

TOLERATE_CP = [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]


def _logger(lab: Lab, **kw: Any) -> None:
    nodes3(lab)
    lab.put(daemonset("node-logger", **kw))
    for i, node in enumerate(("worker-1", "worker-2")):
        lab.put(ds_pod("node-logger", node, f"p{i}"))


# -- daemonset-covers -------------------------------------------------------------------------

def test_covers_every_eligible_node_once() -> None:
    lab = Lab()
    _logger(lab)
    result = lab.check("daemonset-covers", daemonset="node-logger")
    assert result.passed
    assert result.detail.startswith("node-logger runs one Ready pod on each of 2 eligible "
                                    "nodes; skipped: control-plane (taint ")


def test_an_eligible_node_without_a_pod_fails() -> None:
    lab = Lab()
    nodes3(lab)
    lab.put(daemonset("node-logger"))
    lab.put(ds_pod("node-logger", "worker-1", "p0"))
    result = lab.check("daemonset-covers", daemonset="node-logger")
    assert not result.passed and result.detail == "worker-2 has no pod of node-logger"


def test_two_pods_on_one_node_fail() -> None:
    lab = Lab()
    _logger(lab)
    lab.put(ds_pod("node-logger", "worker-1", "extra"))
    result = lab.check("daemonset-covers", daemonset="node-logger")
    assert not result.passed and result.detail == "worker-1 runs 2 pods of node-logger"


def test_a_pending_pod_is_named_with_its_reason() -> None:
    lab = Lab()
    nodes3(lab)
    lab.put(daemonset("node-logger"))
    lab.put(ds_pod("node-logger", "worker-1", "p0"))
    lab.put(ds_pod("node-logger", "worker-2", "p1", ready=False))
    result = lab.check("daemonset-covers", daemonset="node-logger")
    assert not result.passed
    assert result.detail.startswith("node-logger-p1 on worker-2 is Pending")


def test_a_node_selector_matching_no_node_covers_nothing() -> None:
    lab = Lab()
    nodes3(lab)
    lab.put(daemonset("gpu-monitor", node_selector={"gpu": "true"}))
    result = lab.check("daemonset-covers", daemonset="gpu-monitor")
    assert not result.passed
    assert result.detail.startswith("no node is eligible for gpu-monitor: control-plane (")
    assert "gpu=true" in result.detail


# -- daemonset-excludes -----------------------------------------------------------------------

def test_excludes_the_tainted_control_plane() -> None:
    lab = Lab()
    _logger(lab)
    result = lab.check("daemonset-excludes", daemonset="node-logger", reason="taint")
    assert result.passed
    assert result.detail.startswith("node-logger skips control-plane (taint "
                                    "node-role.kubernetes.io/control-plane")


def test_a_tolerating_daemonset_excludes_nothing_for_taints() -> None:
    lab = Lab()
    nodes3(lab)
    lab.put(daemonset("log-collector", tolerations=TOLERATE_CP))
    result = lab.check("daemonset-excludes", daemonset="log-collector", reason="taint")
    assert not result.passed
    assert result.detail == ("no node is skipped by log-collector for taint; it is eligible on "
                             "every node (3 nodes)")


def test_a_pod_on_a_node_that_should_be_skipped_fails() -> None:
    lab = Lab()
    _logger(lab)
    lab.put(ds_pod("node-logger", "control-plane", "stray"))
    result = lab.check("daemonset-excludes", daemonset="node-logger", reason="taint")
    assert not result.passed
    assert result.detail == ("node-logger-stray runs on control-plane although control-plane "
                             "should be skipped (taint)")


# -- daemonset-follows-labels -----------------------------------------------------------------

def _gpu(lab: Lab) -> None:
    nodes3(lab)
    lab.put(daemonset("gpu-monitor", node_selector={"gpu": "true"}))
    lab.at(10).edit("Node", "worker-1", lambda n: n["metadata"]["labels"].update(gpu="true"))
    lab.at(11).put(ds_pod("gpu-monitor", "worker-1", "a"))


def _unlabel(lab: Lab, node: str = "worker-1") -> None:
    lab.edit("Node", node, lambda n: n["metadata"]["labels"].pop("gpu"))


def test_a_pod_follows_the_label_on_and_off() -> None:
    lab = Lab()
    _gpu(lab)
    halfway = lab.check("daemonset-follows-labels", daemonset="gpu-monitor", label="gpu=true")
    assert not halfway.passed
    assert halfway.detail == ("gpu-monitor-a runs on worker-1, which has gpu=true; now remove "
                              "the label and watch the pod go")
    assert halfway.hint == "kubectl label nodes worker-1 gpu-"
    lab.at(20)
    _unlabel(lab)
    lab.at(21).delete("Pod", "gpu-monitor-a")
    result = lab.check("daemonset-follows-labels", daemonset="gpu-monitor", label="gpu=true")
    assert result.passed
    assert result.detail == ("gpu-monitor-a ran on worker-1 while it had gpu=true, and was "
                             "removed 1s after the label was")


def test_a_pod_that_stays_after_the_label_goes_fails() -> None:
    lab = Lab()
    _gpu(lab)
    lab.at(20)
    _unlabel(lab)
    result = lab.check("daemonset-follows-labels", daemonset="gpu-monitor", label="gpu=true")
    assert not result.passed
    assert result.detail == "worker-1 lost label gpu=true but gpu-monitor-a still runs there"


def test_a_daemonset_that_ignores_the_label_fails() -> None:
    lab = Lab()
    nodes3(lab)
    lab.put(daemonset("node-logger"))
    result = lab.check("daemonset-follows-labels", daemonset="node-logger", label="gpu=true")
    assert not result.passed
    assert result.detail == "node-logger does not choose its nodes by the label gpu=true"


def test_a_pod_deleted_with_its_daemonset_does_not_count() -> None:
    lab = Lab()
    _gpu(lab)
    lab.at(20)
    _unlabel(lab)
    lab.at(21).delete("DaemonSet", "gpu-monitor")
    lab.delete("Pod", "gpu-monitor-a")
    result = lab.check("daemonset-follows-labels", daemonset="gpu-monitor", label="gpu=true")
    assert not result.passed


# -- daemonset-hostpath -----------------------------------------------------------------------

def test_hostpath_mounted_and_every_pod_ready() -> None:
    lab = Lab()
    _logger(lab, host_paths={"varlog": "/var/log"},
            status={"desiredNumberScheduled": 2, "numberReady": 2})
    result = lab.check("daemonset-hostpath", daemonset="node-logger")
    assert result.passed
    assert result.detail == "node-logger mounts hostPath /var/log; 2/2 pods Ready"


def test_no_hostpath_fails() -> None:
    lab = Lab()
    _logger(lab)
    result = lab.check("daemonset-hostpath", daemonset="node-logger")
    assert not result.passed and result.detail == "node-logger declares no hostPath volume"


def test_a_declared_but_unmounted_hostpath_fails() -> None:
    lab = Lab()
    ds = daemonset("node-logger", host_paths={"varlog": "/var/log"})
    del ds["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    nodes3(lab)
    lab.put(ds)
    result = lab.check("daemonset-hostpath", daemonset="node-logger")
    assert not result.passed
    assert result.detail == "node-logger declares hostPath /var/log but no container mounts it"


def test_the_kube_system_daemonset_may_have_been_moved_into_the_lab_namespace() -> None:
    lab = Lab()
    _logger(lab, host_paths={"varlog": "/var/log"})
    result = lab.check("daemonset-hostpath", daemonset="node-logger", namespace="kube-system")
    assert result.passed


# -- daemonset-rolled-out ---------------------------------------------------------------------

def _update(lab: Lab, image: str) -> None:
    def change(ds: dict[str, Any]) -> None:
        ds["spec"]["template"]["spec"]["containers"][0]["image"] = image
        ds["metadata"]["generation"] += 1
        ds["status"]["observedGeneration"] = ds["metadata"]["generation"]
    lab.edit("DaemonSet", "node-logger", change)


def test_rolled_out_when_every_pod_runs_the_new_image() -> None:
    lab = Lab()
    _logger(lab, status={"desiredNumberScheduled": 2})
    assert not lab.check("daemonset-rolled-out", daemonset="node-logger").passed
    lab.at(30)
    _update(lab, "busybox:1.36")
    half = lab.check("daemonset-rolled-out", daemonset="node-logger", image="busybox:1.36")
    assert not half.passed
    assert half.detail.startswith("node-logger-p0 on worker-1 still runs busybox (want "
                                  "busybox:1.36)")
    for i, node in enumerate(("worker-1", "worker-2")):
        lab.delete("Pod", f"node-logger-p{i}")
        lab.put(ds_pod("node-logger", node, f"n{i}", image="busybox:1.36", revision="d2"))
    result = lab.check("daemonset-rolled-out", daemonset="node-logger", image="busybox:1.36")
    assert result.passed
    assert result.detail == "every pod of node-logger (2) runs busybox:1.36 and is Ready"


def test_rolled_out_to_another_image_than_asked_fails() -> None:
    lab = Lab()
    _logger(lab)
    _update(lab, "busybox:1.35")
    result = lab.check("daemonset-rolled-out", daemonset="node-logger", image="busybox:1.36")
    assert not result.passed
    assert result.detail == "node-logger's template runs busybox:1.35, not busybox:1.36"
    assert result.hint == "kubectl set image daemonset/node-logger logger=busybox:1.36"


# -- daemonset-pod-replaced -------------------------------------------------------------------

def test_a_deleted_pod_is_replaced_on_the_same_node() -> None:
    lab = Lab()
    _logger(lab)
    lab.at(30).delete("Pod", "node-logger-p0")
    waiting = lab.check("daemonset-pod-replaced", daemonset="node-logger")
    assert not waiting.passed
    assert waiting.detail == ("node-logger-p0 on worker-1 was deleted and nothing has replaced "
                              "it there yet")
    lab.at(31).put(ds_pod("node-logger", "worker-1", "p9"))
    result = lab.check("daemonset-pod-replaced", daemonset="node-logger")
    assert result.passed
    assert result.detail == ("node-logger-p0 on worker-1 was deleted and node-logger-p9 "
                             "replaced it there 1s later")


def test_a_replacement_from_a_rollout_is_not_a_replacement_after_deletion() -> None:
    lab = Lab()
    _logger(lab)
    lab.at(30).delete("Pod", "node-logger-p0")
    lab.at(31).put(ds_pod("node-logger", "worker-1", "p9", revision="d2"))
    assert not lab.check("daemonset-pod-replaced", daemonset="node-logger").passed
