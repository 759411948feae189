"""`k8slab doctor`: what it concludes from a cluster's answers, and how it says it."""

from __future__ import annotations

import argparse
from typing import Any

import pytest
from rich.console import Console

from k8slab.cluster.kube.diagnose import (
    CLUSTER,
    NAMESPACED,
    Diagnosis,
    NodeInfo,
    Permission,
    _consequences,
)
from k8slab.commands import doctor


def everything_allowed(d: Diagnosis, *denied: tuple[str, str]) -> None:
    for group, resource, verbs in NAMESPACED + CLUSTER:
        for verb in verbs:
            ns = d.namespace if (group, resource, verbs) in NAMESPACED else ""
            d.permissions.append(Permission(group, resource, verb, ns,
                                            (resource, verb) not in denied))


def healthy() -> Diagnosis:
    d = Diagnosis(server="https://10.0.0.1:6443", context="kind-lab", source="~/.kube/config",
                  namespace="k8slab-day10", user="admin", version="v1.33.1",
                  namespace_state="does not exist yet: the lab creates it")
    d.nodes = [NodeInfo("cp", True, ("node-role.kubernetes.io/control-plane:NoSchedule",), False),
               NodeInfo("w1", True, (), False), NodeInfo("w2", True, (), False)]
    d.storage_classes, d.default_class = ["standard"], "standard"
    return d


def render(d: Diagnosis) -> str:
    console = Console(record=True, width=120, color_system=None)
    doctor.render(console, d)
    return console.export_text()


def test_a_cluster_with_everything_passes() -> None:
    d = healthy()
    everything_allowed(d)
    _consequences(d, missing_ns=True)
    assert d.ok and d.problems == []
    text = render(d)
    assert "Everything the lessons need works on this cluster." in text
    assert "cp" in text and "node-role.kubernetes.io/control-plane:NoSchedule" in text
    assert "default StorageClass: standard" in text
    assert "Kubernetes v1.33.1" in text
    # Not a problem, but worth knowing before Day 11 on a real cluster.
    assert any("--fast-cron" in note for note in d.notes)
    assert "--fast-cron" in text


def test_a_workshop_learner_hears_what_will_not_work_and_why() -> None:
    d = healthy()
    everything_allowed(d, ("nodes", "patch"), ("pods/exec", "create"))
    d.default_class = None
    _consequences(d, missing_ns=False)
    assert d.problems == [
        "exec is not allowed: the steps that write data into a pod's volume cannot run "
        "(not allowed: create pods/exec)",
        "labelling nodes is not allowed: the DaemonSet nodeSelector and taint steps become "
        "read-only demonstrations",
        "there is no default StorageClass: the claims of StatefulSet volumeClaimTemplates "
        "stay Pending, so the storage steps cannot progress (install one, for example "
        "local-path-provisioner)"]
    text = render(d)
    assert "What will not work" in text
    assert "✗ labelling nodes is not allowed" in text


def test_kwok_nodes_and_untolerated_taints_are_explained() -> None:
    d = healthy()
    everything_allowed(d)
    d.nodes = [NodeInfo("cp", True, ("node-role.kubernetes.io/control-plane:NoSchedule",), True)]
    _consequences(d, missing_ns=False)
    assert d.problems[0].startswith("no node accepts ordinary pods")
    assert d.problems[1].startswith("the nodes are simulated by KWOK")


def test_without_kube_it_describes_the_sim_and_succeeds(capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    assert doctor.run(argparse.Namespace(kube=False)) == 0
    assert "embedded simulated cluster" in capsys.readouterr().out


def test_an_unreachable_cluster_is_one_sentence_and_exit_1(
        capsys: pytest.CaptureFixture[str], tmp_path: object) -> None:
    args = argparse.Namespace(kube=True, context=None, kubeconfig="/nonexistent/kubeconfig",
                              namespace=None)
    assert doctor.run(args) == 1
    out = capsys.readouterr().out
    assert "No kubeconfig found at /nonexistent/kubeconfig." in out
    assert "Traceback" not in out


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # one finding per line, for the assertions


@pytest.mark.controlplane
@pytest.mark.usefixtures("wide")
def test_doctor_on_the_real_control_plane(controlplane: Any,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(kube=True, context=None, kubeconfig=str(controlplane.kubeconfig),
                              namespace=None)
    code = doctor.run(args)
    out = capsys.readouterr().out
    assert f"server     {controlplane.server}  Kubernetes {controlplane.version}" in out
    assert "Nodes (3)" in out
    assert "node-role.kubernetes.io/control-plane:NoSchedule" in out
    assert "default StorageClass: standard" in out
    assert "✗" not in out.split("What will not work")[0]  # admin may do everything
    # KWOK's nodes run no containers: doctor says so, and that is a failure for the lessons.
    assert "the nodes are simulated by KWOK" in out
    assert code == 1


@pytest.mark.controlplane
@pytest.mark.usefixtures("wide")
def test_doctor_tells_a_user_without_rbac_what_will_not_work(
        controlplane: Any, controlplane_namespace: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    ns = controlplane_namespace
    controlplane.request("POST", f"/api/v1/namespaces/{ns}/serviceaccounts",
                         {"apiVersion": "v1", "kind": "ServiceAccount",
                          "metadata": {"name": "learner"}})
    args = argparse.Namespace(kube=True, context=None, namespace=ns,
                              kubeconfig=str(controlplane.kubeconfig_for_service_account(
                                  ns, "learner")))
    assert doctor.run(args) == 1
    out = capsys.readouterr().out
    assert f"user       system:serviceaccount:{ns}:learner" in out
    assert "Nodes  ! not allowed to list nodes" in out
    assert ("labelling nodes is not allowed: the DaemonSet nodeSelector and taint steps "
            "become read-only demonstrations") in out
    assert "the StatefulSet exercises (Day 10) cannot run (not allowed: get, list, watch, " \
           "create, patch, delete statefulsets)" in out
