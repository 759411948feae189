"""Day 11's reference solution on the real control plane, through the kube backend.

KWOK plays the containers from the lesson's sim hints (see kwok_played.py): how long each
runs, its exit code, and resilient-job's loaded coin (two failed runs, restarted in place
because of restartPolicy OnFailure, then success). The CronJob steps run on the real
CronJob controller in real time, with `--fast-cron` so that every run is at most a minute
away. The whole solution took 13 minutes of wall time here (2026-11-21, 2 shared CPUs),
nearly all of it the lesson's own waits: data-processor's two-minute TTL, the Jobs' run
times, and eight CronJob runs a minute apart.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

import pytest

from k8slab import cli
from k8slab.cluster import objects as o
from k8slab.cluster.cron import LESSON_SCHEDULE
from k8slab.grading.grader import Grader
from k8slab.lessons import load_lesson
from k8slab.runner import ActionRunner
from k8slab.state.mirror import ClusterState
from tests.cluster.kube.kwok_played import KwokPlayed

pytestmark = pytest.mark.controlplane


@pytest.fixture
def day11(controlplane: Any, lab_namespace: str) -> Iterator[tuple[ActionRunner, Grader]]:
    lesson = load_lesson("day11")
    kube = KwokPlayed(namespace=lab_namespace, lesson_id=lesson.id,
                      kubeconfig=str(controlplane.kubeconfig), behaviours=lesson.sim)
    runner = ActionRunner(kube, lesson, ClusterState(lab_namespace), answers={})
    runner.settle()
    yield runner, Grader(lesson, kube.backend, lab_namespace)
    kube.close()


def test_resilient_job_restarts_its_container_in_place_then_completes(
        day11: tuple[ActionRunner, Grader]) -> None:
    runner, grader = day11
    outcomes = runner.run_solution(runner.lesson.step("resilient-job"))
    assert [o_.message for o_ in outcomes if not o_.ok] == []
    (pod,) = [p for p in runner.cluster.list("Pod")
              if o.labels(p).get("job-name") == "resilient-job"]
    (status,) = o.dig(pod, "status.containerStatuses")
    assert status["restartCount"] == 2  # the same pod, restarted twice: OnFailure
    assert o.dig(status, "lastState.terminated.exitCode") == 1
    job = runner.cluster.get("Job", "resilient-job")
    assert o.condition(job, "Complete") is not None
    report = grader.grade(runner.state, runner.answers)
    (retries,) = [c for c in report.item("retries-and-deadlines").checks
                  if c.params.get("job") == "resilient-job"]
    assert retries.passed, retries.result.detail
    assert "retried 2 times with restarted containers" in retries.result.detail


def test_check_day11_kube_solve_passes_everything_with_fast_cron(
        controlplane: Any, lab_namespace: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The done-when: `k8slab check day11 --kube --solve` passes on the real controllers."""
    lesson = load_lesson("day11")
    monkeypatch.setattr("k8slab.cluster.kube.KubeCluster",
                        functools.partial(KwokPlayed, behaviours=lesson.sim))
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["check", "day11", "--kube", "--solve", "--fast-cron", "--json",
                         "--kubeconfig", str(controlplane.kubeconfig),
                         "--namespace", lab_namespace])
    assert "Traceback" not in err.getvalue()
    data = json.loads(out.getvalue())
    assert data["solution"]["failed"] == [] and data["solution"]["skipped"] == [], \
        data["solution"]
    failing = {item["id"]: item for item in data["items"] if not item["passed"]}
    assert failing == {}
    assert data["passed"] == len(lesson.checklist) == 10
    assert code == 0
    # The lesson's schedules stay on the objects, for the learner and the instructor.
    schedules = {
        name: o.annotations(controlplane.get(
            f"/apis/batch/v1/namespaces/{lab_namespace}/cronjobs/{name}")).get(LESSON_SCHEDULE)
        for name in ("system-maintenance", "database-backup", "log-rotation")}
    assert schedules == {"system-maintenance": "*/5 * * * *", "database-backup": "0 2 * * *",
                         "log-rotation": "0 * * * *"}

