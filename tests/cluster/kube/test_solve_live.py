"""Day 10's reference solution on the real control plane, through the kube backend.

KWOK plays the nodes and the containers. `kubectl exec` works: the API server reaches KWOK
as the nodes' kubelet, and KWOK runs each command in the container shell, the sim's exec
interpreter over the real objects (tests/controlplane/README.md, "How exec is played"), so
Day 10's nslookups and its write / delete the pod / read back steps run for real. Only
`add-node` is left out: a real cluster's nodes come from its own tooling, so only the sim
can add one. Everything else must pass, exactly as on the sim. (Day 11: test_day11_live.py.)
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

import pytest

from k8slab import cli
from k8slab.cluster.kube import KubeCluster
from k8slab.grading.grader import Grader, Report
from k8slab.lessons import load_lesson
from k8slab.lessons.model import Lesson
from k8slab.runner import ActionRunner
from k8slab.state.mirror import ClusterState
from tests.cluster.kube.kwok_played import KwokPlayed

pytestmark = pytest.mark.controlplane

SIM_ONLY = "works only on the embedded sim"


@pytest.fixture(autouse=True)
def reset_afterwards(controlplane: Any, lab_namespace: str) -> Iterator[None]:
    """The solution labels and taints nodes, which outlive the namespace: reset the lab, as
    a learner would, so that later tests meet the nodes as they were."""
    yield
    kube = KubeCluster(namespace=lab_namespace, lesson_id="day10",
                       kubeconfig=str(controlplane.kubeconfig), ensure_namespace=False)
    try:
        kube.reset()
    finally:
        kube.close()


@pytest.fixture
def solver(controlplane: Any, lab_namespace: str) -> Iterator[Any]:
    opened: list[KubeCluster] = []

    def make(lesson: Lesson) -> tuple[ActionRunner, Grader]:
        kube = KwokPlayed(namespace=lab_namespace, lesson_id=lesson.id,
                          kubeconfig=str(controlplane.kubeconfig), behaviours=lesson.sim)
        opened.append(kube)
        runner = ActionRunner(kube, lesson, ClusterState(lab_namespace), answers={})
        runner.settle()
        runner.answer_all(lesson)
        return runner, Grader(lesson, kube.backend, lab_namespace)

    yield make
    for kube in opened:
        kube.close()


def solve(runner: ActionRunner, lesson: Lesson, steps: set[str] | None = None
          ) -> dict[str, str]:
    """Run each step's solution (a failing action ends its step, not the run); return the
    failures by step."""
    failed = {}
    for step in lesson.steps:
        if steps is not None and step.id not in steps:
            continue
        for outcome in runner.run_solution(step):
            if not outcome.ok:
                label = outcome.action.label() if outcome.action else ""
                failed[step.id] = f"{label}: {outcome.message}"
    runner.sync()
    return failed


def failing_items(report: Report) -> dict[str, str]:
    return {item.id: item.detail for item in report.items if not item.passed}


def test_day10_reference_solution_passes_everything(solver: Any, controlplane_exec: Any) -> None:
    lesson = load_lesson("day10")
    runner, grader = solver(lesson)
    failed = solve(runner, lesson)
    report = grader.grade(runner.state, runner.answers)
    assert failing_items(report) == {}
    assert report.passed == len(report.items) == 13
    assert list(failed) == ["scenario-node-addition"], failed
    assert SIM_ONLY in failed["scenario-node-addition"]


def test_check_day10_kube_solve_passes_all_13_items(controlplane_exec: Any,
                                                    lab_namespace: str) -> None:
    """`check --kube --solve` on KWOK: only add-node is skipped (a real cluster's nodes
    come from its own tooling); every item passes, the exec-proven ones included."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["check", "day10", "--kube", "--solve", "--json",
                         "--kubeconfig", str(controlplane_exec.kubeconfig),
                         "--namespace", lab_namespace])
    data = json.loads(out.getvalue())
    assert {item["id"]: item["detail"] for item in data["items"] if not item["passed"]} == {}, (
        data["solution"])
    assert len(data["items"]) == 13
    skipped = data["solution"]["skipped"]
    assert [s["action"] for s in skipped] == ["add-node"], skipped
    assert SIM_ONLY in skipped[0]["message"]
    assert "warning: skipped `add-node`" in err.getvalue()
    assert "Traceback" not in err.getvalue()
    assert data["solution"]["failed"] == []
    assert code == 0

