"""Day 11's reference solution on the real control plane, through the kube backend.

KWOK plays the containers from the lesson's sim hints (see kwok_played.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from k8slab.grading.checks import evaluate
from k8slab.grading.context import GradingContext
from k8slab.grading.grader import Grader
from k8slab.lessons import load_lesson
from k8slab.runner import ActionRunner
from k8slab.state.mirror import ClusterState
from tests.cluster.kube.kwok_played import KwokPlayed

pytestmark = pytest.mark.controlplane

DAY11_JOB_STEPS = {"hello-job", "data-processor", "parallel-processor", "queue-processor",
                   "job-failures"}


@pytest.fixture
def day11(controlplane: Any, lab_namespace: str) -> Iterator[tuple[ActionRunner, Grader]]:
    lesson = load_lesson("day11")
    kube = KwokPlayed(namespace=lab_namespace, lesson_id=lesson.id,
                      kubeconfig=str(controlplane.kubeconfig), behaviours=lesson.sim)
    runner = ActionRunner(kube, lesson, ClusterState(lab_namespace), answers={})
    runner.settle()
    runner.answer_all(lesson)
    yield runner, Grader(lesson, kube.backend, lab_namespace)
    kube.close()


def test_day11_job_steps_pass_on_the_real_controllers(
        day11: tuple[ActionRunner, Grader]) -> None:
    runner, grader = day11
    lesson = runner.lesson
    failed = {}
    for step in lesson.steps:
        if step.id in DAY11_JOB_STEPS:
            for outcome in runner.run_solution(step):
                if not outcome.ok:
                    failed[step.id] = outcome.message
    runner.sync()
    assert failed == {}
    report = grader.grade(runner.state, runner.answers)
    failing = {item.id: item.detail for item in report.items if not item.passed}
    assert not {"job-completion", "parallel-jobs", "ttl-cleanup"} & set(failing), failing
    # resilient-job's step is not run here; the rest of its item (broken-import's
    # BackoffLimitExceeded, slow-report's DeadlineExceeded) is checked on its own.
    assert "resilient-job" in failing["retries-and-deadlines"]
    for check in lesson.item("retries-and-deadlines").checks:
        if check.params.get("job") == "resilient-job":
            continue
        result = evaluate(check.kind, check.params,
                          GradingContext(runner.state, runner.namespace, runner.answers))
        assert result.passed, result.detail
