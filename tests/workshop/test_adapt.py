"""How steps adapt to a workshop learner: ok, rewritten into their namespace, or a demo."""

from __future__ import annotations

from k8slab.workshop.adapt import (
    adapt_lesson,
    demo_items,
    object_risks,
    rewrite_into,
    workshop_view,
)
from tests.workshop.lessons import daemonset, mini_lesson


def test_workshop_view() -> None:
    assert workshop_view(mini_lesson()) == {
        "web": "ok",
        "fluentd": "demo",
        "agent": "rewritten",
        "gpu": "demo",
        "cron": "ok",
        "storage": "demo",
        "taints": "demo",
    }


def test_reasons_say_why() -> None:
    views = adapt_lesson(mini_lesson())
    assert "hostPath" in views["fluentd"].reason
    assert "kube-system" in views["agent"].reason and "your own namespace" in views["agent"].reason
    assert views["gpu"].reason.startswith("only the instructor may change node labels")
    assert "StorageClass" in views["storage"].reason
    # A node label set by the instructor still reaches each learner's DaemonSet.
    assert views["gpu"].earnable
    assert not views["fluentd"].earnable


def test_demo_items_are_the_unearnable_ones() -> None:
    assert demo_items(mini_lesson()) == {"fluentd"}


def test_object_risks() -> None:
    assert object_risks(daemonset("a", "kube-system")) == {"kube-system"}
    risky = daemonset("b", hostNetwork=True,
                      containers=[{"name": "c", "image": "x",
                                   "securityContext": {"privileged": True},
                                   "ports": [{"containerPort": 80, "hostPort": 80}]}])
    assert object_risks(risky) == {"hostNetwork", "privileged", "hostPort"}
    assert object_risks({"kind": "Node", "metadata": {"name": "n"}}) == {"cluster-scoped:Node"}


def test_rewrite_into_moves_other_namespaces() -> None:
    objs = [daemonset("agent", "kube-system"), daemonset("mine"),
            {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}}]
    moved, notes = rewrite_into(objs, "ws-ana")
    assert [o["metadata"].get("namespace") for o in moved] == ["ws-ana", None, None]
    assert notes == ["daemonset/agent: kube-system → ws-ana"]
    assert objs[0]["metadata"]["namespace"] == "kube-system"  # the input is untouched


def test_day10_demos() -> None:
    from k8slab.lessons import load_lesson

    lesson = load_lesson("day10")
    views = adapt_lesson(lesson)
    # hostPath and host namespaces are refused by the namespace's Pod Security level.
    assert views["log-collector"].mode == "demo" and not views["log-collector"].earnable
    assert "hostPath" in views["log-collector"].reason
    assert not views["node-monitor"].earnable
    # Node labels are the instructor's; the learner's DaemonSet still reacts to them.
    assert views["node-selector"].mode == "demo" and views["node-selector"].earnable
    assert views["statefulset-basics"].mode == "ok"
    assert demo_items(lesson) == {"host-paths"}
