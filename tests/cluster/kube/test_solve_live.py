"""The lessons' reference solutions on the real control plane, through the kube backend.

KWOK plays the nodes and the containers. `kubectl exec` works: the API server reaches KWOK
as the nodes' kubelet, and KWOK runs each command in the container shell, the sim's exec
interpreter over the real objects (tests/controlplane/README.md, "How exec is played"), so
Day 10's nslookups and its write / delete the pod / read back steps run for real. What is
still ruled out, and why:

- `add-node`: only the sim can add nodes;
- a container's own logic (resilient-job's coin flip): KWOK completes a pod after a delay
  and with an exit code taken from the pod's annotations, which the tests derive from the
  lesson's sim hints (tests/cluster/kube/kwok_played.py);
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

SIM_ONLY = "works only on the embedded sim"
RACE = ("is terminating, so nothing can run in it", "was not found in namespace",
        "is Pending, not Running, so exec cannot reach it")


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
    race = failed.pop("scenario-data-persistence", "")
    assert list(failed) == ["scenario-node-addition"], failed
    assert SIM_ONLY in failed["scenario-node-addition"]
    if race:
        known_race(race)


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
    failed = data["solution"]["failed"]
    if failed:
        assert [f["action"] for f in failed] == ["exec distributed-db-0: cat /data/file.txt"]
        known_race(failed[0]["message"])
    assert code == 0


def known_race(message: str) -> None:
    """Day 10's scenario-data-persistence solution deletes distributed-db-0, then waits for
    `statefulset-ready`, which holds at once: the watch has not yet shown the deletion, so
    the state still has the old pod Ready. The exec that follows then meets the old pod
    terminating or gone, or its successor not yet Running. On the sim the deletion is in the
    state as soon as the action returns. Until the runner's delete-pod waits for the watch
    to show the deletion, the test xfails on exactly this failure, and on nothing else."""
    assert any(race in message for race in RACE), message
    pytest.xfail(f"the runner's delete-pod races the watch: {message}")
