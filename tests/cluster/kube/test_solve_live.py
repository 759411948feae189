"""The lessons' reference solutions on the real control plane, through the kube backend.

KWOK plays the nodes, so containers never run. What that rules out, and why:

- exec (Day 10's nslookup and the data-persistence steps): the API server cannot reach a
  kubelet on a KWOK node, and there is no container to run a command in;
- `add-node`: only the sim can add nodes;
- a container's own logic (resilient-job's coin flip): KWOK completes a pod after a delay
  and with an exit code taken from the pod's annotations, which the tests derive from the
  lesson's sim hints (below), but it cannot fail a container "the first two times";
- CronJob schedules: a real cluster has no virtual clock, and Day 11's schedules are every
  5 minutes, hourly and daily at 02:00, so those steps take real hours.

Everything else must pass, exactly as on the sim.
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

KUBELET = "the API server could not reach the kubelet"
SIM_ONLY = "works only on the embedded sim"


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


def test_day10_reference_solution_passes_everything_but_exec(solver: Any) -> None:
    lesson = load_lesson("day10")
    runner, grader = solver(lesson)
    failed = solve(runner, lesson)
    assert set(failed) == {"statefulset-dns", "statefulset-persistence", "distributed-db",
                           "scenario-node-addition", "scenario-data-persistence",
                           "scenario-scale-down"}, failed
    for step, why in failed.items():
        assert (KUBELET in why) or (step == "scenario-node-addition" and SIM_ONLY in why), why
    report = grader.grade(runner.state, runner.answers)
    assert failing_items(report) == {
        "data-persistence": "no data has been written into a pod of nginx-sts through exec yet"}
    assert report.passed == len(report.items) - 1


def test_check_day10_kube_solve_skips_what_the_cluster_cannot_do(controlplane: Any,
                                                                 lab_namespace: str) -> None:
    """`check --kube --solve` on KWOK: exec and add-node are skipped (no kubelet, no node
    provisioning), everything else is solved and graded; only the exec-proven item fails."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["check", "day10", "--kube", "--solve", "--json",
                         "--kubeconfig", str(controlplane.kubeconfig),
                         "--namespace", lab_namespace])
    data = json.loads(out.getvalue())
    assert data["solution"]["failed"] == []
    skipped = data["solution"]["skipped"]
    assert skipped[0]["action"].startswith("exec web-0: nslookup web-1.web")
    assert all(KUBELET in s["message"] or SIM_ONLY in s["message"] for s in skipped), skipped
    failing = [item["id"] for item in data["items"] if not item["passed"]]
    assert failing == ["data-persistence"]
    assert code == 1
    assert "warning: skipped `exec web-0" in err.getvalue()
    assert "Traceback" not in err.getvalue()
