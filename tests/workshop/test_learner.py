"""The learner's side of a workshop without a cluster: which actions a learner may run, how
saved progress joins the namespace's record, and which namespace the lab works in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from k8slab.cluster.factory import context_namespace
from k8slab.errors import Forbidden, NotFound
from k8slab.lessons import load_lesson
from k8slab.progress import Progress
from k8slab.workshop.learner import NODES_ARE_SHARED, LearnerWorkshop, detect, merge_progress
from k8slab.workshop.progress_store import Membership, ProgressRecord
from tests.workshop.lessons import act, mini_lesson


def learner(lesson: Any = None) -> LearnerWorkshop:
    return LearnerWorkshop.for_lesson(Membership("ws-mini", "ana"), lesson or mini_lesson())


# -- what a learner may run ------------------------------------------------------------------

def test_node_changes_are_the_instructors_everywhere() -> None:
    ws = learner()
    for step in ("web", "gpu", "agent"):
        assert ws.blocked(step, act("label-node", labels={"gpu": "true"})) == NODES_ARE_SHARED
        assert ws.blocked(step, act("taint-node", node="worker-1", key="x")) == \
            NODES_ARE_SHARED


def test_a_demo_that_still_counts_keeps_its_apply() -> None:
    ws = learner()
    assert ws.view("gpu").mode == "demo" and ws.view("gpu").earnable
    assert ws.blocked("gpu", act("apply", manifest="gpu.yaml")) == ""


def test_a_demo_the_namespace_refuses_runs_nothing() -> None:
    ws = learner()
    why = ws.blocked("fluentd", act("apply", manifest="fluentd.yaml"))
    assert "hostPath" in why and "instructor" in why
    assert "cluster-wide" in ws.blocked("taints", act("delete-pod", name="x"))


def test_ok_and_rewritten_steps_run_as_written() -> None:
    ws = learner()
    assert ws.view("agent").mode == "rewritten"
    assert ws.blocked("agent", act("apply", manifest="agent.yaml")) == ""
    assert all(ws.blocked("web", a) == "" for a in mini_lesson().step("web").actions)
    assert ws.view("no-such-step").mode == "ok"


def test_day10_demo_items_are_the_host_path_ones() -> None:
    ws = learner(load_lesson("day10"))
    assert ws.demo_items == {"host-paths"}
    assert ws.view("node-selector").mode == "demo" and ws.view("node-selector").earnable
    assert not ws.view("log-collector").earnable


def test_detect_is_none_on_the_sim() -> None:
    from k8slab.cluster.factory import open_cluster

    lesson = load_lesson("day10")
    cluster = open_cluster(lesson)
    try:
        assert detect(cluster, lesson) is None
    finally:
        cluster.close()


# -- joining saved progress ------------------------------------------------------------------

def record(saved: float, **progress: Any) -> ProgressRecord:
    return ProgressRecord("day10", Progress("day10", "kube", "ws-ana", **progress).to_json(),
                          saved=saved)


def test_a_fresh_start_takes_everything_from_the_namespace() -> None:
    local = Progress("day10", "kube", "ws-ana")
    merged = merge_progress(local, record(100.0, step="mysql", steps_done={"intro"},
                                          answers={"q1": 2}, passed={"item": 3.0}))
    assert merged is local
    assert (local.step, local.steps_done, local.answers, local.passed) == (
        "mysql", {"intro"}, {"q1": 2}, {"item": 3.0})


def test_the_newer_side_wins_a_conflict_and_both_sides_are_kept() -> None:
    remote = record(100.0, step="mysql", answers={"q1": 2, "q2": 0}, passed={"b": 1.0})
    older = Progress("day10", "kube", "ws-ana", step="intro", answers={"q1": 1, "q3": 1},
                     passed={"a": 5.0}, updated=50.0)
    merge_progress(older, remote)
    assert older.answers == {"q1": 2, "q2": 0, "q3": 1}
    assert older.step == "mysql" and older.passed == {"a": 5.0, "b": 1.0}
    newer = Progress("day10", "kube", "ws-ana", step="intro", answers={"q1": 1},
                     updated=200.0)
    merge_progress(newer, remote)
    assert newer.answers == {"q1": 1, "q2": 0} and newer.step == "intro"


def test_no_record_or_another_lessons_changes_nothing() -> None:
    local = Progress("day10", "kube", "ws-ana", answers={"q": 1})
    assert merge_progress(local, None).answers == {"q": 1}
    other = ProgressRecord("day11", {"answers": {"q": 0}, "step": "cron"}, saved=1e12)
    assert merge_progress(local, other).answers == {"q": 1} and local.step is None


# -- the lab namespace from the kubeconfig context -------------------------------------------

@dataclass
class Connection:
    namespace: str | None


@dataclass
class StubCluster:
    """What `context_namespace` reads of a KubeCluster: the context, and one namespace GET."""

    context_ns: str | None
    labels: dict[str, str] = field(default_factory=dict)
    error: Exception | None = None
    asked: list[str] = field(default_factory=list)

    @property
    def connection(self) -> Connection:
        return Connection(self.context_ns)

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        self.asked.append(f"{kind}/{name}")
        if self.error is not None:
            raise self.error
        return {"kind": kind, "metadata": {"name": name, "labels": self.labels}}


WORKSHOP_LABELS = {"app.kubernetes.io/managed-by": "k8slab", "k8slab.io/workshop": "ws-day10",
                   "k8slab.io/learner": "ana"}


@pytest.mark.parametrize(("stub", "expected"), [
    (StubCluster("ws-day10-ana", WORKSHOP_LABELS), "ws-day10-ana"),
    (StubCluster("team-a", {"team": "a"}), None),  # an ordinary context: k8slab-LESSON
    (StubCluster("default"), None),
    (StubCluster("gone", error=NotFound("namespaces \"gone\" not found")), None),
    # Credentials that cannot read their own namespace are bound to it.
    (StubCluster("ns-only", error=Forbidden("cannot get namespaces")), "ns-only"),
], ids=["workshop", "team", "default", "missing", "forbidden"])
def test_context_namespace(stub: StubCluster, expected: str | None) -> None:
    assert context_namespace(cast(Any, stub)) == expected
    assert stub.asked == [f"Namespace/{stub.context_ns}"]


def test_a_context_without_a_namespace_asks_nothing() -> None:
    stub = StubCluster(None)
    assert context_namespace(cast(Any, stub)) is None
    assert stub.asked == []
