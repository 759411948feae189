"""The Day 11 lesson's Job and CronJob manifests (taken from the seed document), applied to the
sim with the lesson's own sim hints, behave as they would on a real cluster."""

from __future__ import annotations

from typing import Any

import pytest

from k8slab.lessons.loader import load_lesson
from tests.cluster.sim.batchlab import Lab, condition, finished


@pytest.fixture(scope="module")
def lesson() -> Any:
    return load_lesson("day11")


def _objects(lesson: Any, manifest: str) -> list[dict[str, Any]]:
    return [dict(o) for o in lesson.manifests[manifest].objects]


def _lab(lesson: Any, manifest: str, seed: int = 1) -> Lab:
    lab = Lab(seed=seed, behaviours=lesson.sim)
    lab.apply(*_objects(lesson, manifest))
    return lab


@pytest.mark.parametrize(("manifest", "job", "pods", "succeeded"), [
    ("data-processor.yaml", "data-processor", 1, 1),
    ("parallel-processor.yaml", "parallel-processor", 9, 9),
    ("queue-processor.yaml", "queue-processor", 4, 4),
    ("resilient-job.yaml", "resilient-job", 1, 1),
    ("hello-job.yaml", "hello", 1, 1),
])
def test_seed_jobs_run_to_completion(lesson: Any, manifest: str, job: str, pods: int,
                                     succeeded: int) -> None:
    lab = _lab(lesson, manifest)
    lab.run_until(lambda lab: finished(lab, job))
    j = lab.job(job)
    assert condition(j, "Complete") is not None, j["status"]
    assert j["status"]["succeeded"] == succeeded
    assert len(lab.pods_of(job)) == pods


def test_parallel_processor_keeps_three_running(lesson: Any) -> None:
    lab = _lab(lesson, "parallel-processor.yaml")
    lab.run_until(lambda lab: finished(lab, "parallel-processor"))
    running = lab.history(kind="Pod", what="running", owner="Job/parallel-processor")
    first_wave = [t for t in running if t.time < running[0].time + 5]
    assert len(first_wave) == 3  # parallelism: 3
    created = lab.history(kind="Pod", what="created", owner="Job/parallel-processor")
    assert len(created) == 9


def test_resilient_job_restarts_its_container_then_succeeds(lesson: Any) -> None:
    lab = _lab(lesson, "resilient-job.yaml")
    lab.run_until(lambda lab: finished(lab, "resilient-job"))
    restarts = lab.history(kind="Pod", what="restarted", owner="Job/resilient-job")
    assert [t.detail["count"] for t in restarts] == [1, 2]  # the hint fails the first two runs
    assert condition(lab.job("resilient-job"), "Complete") is not None


def test_data_processor_is_cleaned_up_by_its_ttl(lesson: Any) -> None:
    lab = _lab(lesson, "data-processor.yaml")
    lab.run_until(lambda lab: finished(lab, "data-processor"))
    done = lab.now
    lab.run_until(lambda lab: lab.job("data-processor") is None, limit=600)
    assert 118 <= lab.now - done <= 124  # ttlSecondsAfterFinished: 120


def test_broken_import_exhausts_its_backoff_limit(lesson: Any) -> None:
    lab = _lab(lesson, "backoff-limit-job.yaml")
    lab.run_until(lambda lab: finished(lab, "broken-import"))
    assert condition(lab.job("broken-import"), "Failed")["reason"] == "BackoffLimitExceeded"
    assert len(lab.pods_of("broken-import")) == 3  # backoffLimit 2: three pods in all


def test_slow_report_hits_its_deadline(lesson: Any) -> None:
    lab = _lab(lesson, "deadline-job.yaml")
    lab.run_until(lambda lab: finished(lab, "slow-report"))
    j = lab.job("slow-report")
    assert condition(j, "Failed")["reason"] == "DeadlineExceeded"
    [failed] = lab.history(kind="Job", name="slow-report", what="failed")
    assert 20 <= failed.time <= 60


@pytest.mark.parametrize(("manifest", "cronjob", "hours", "runs", "kept"), [
    ("system-maintenance.yaml", "system-maintenance", 1, 12, 3),
    # ttlSecondsAfterFinished: 1800 removes each run half an hour after it ends.
    ("log-rotation.yaml", "log-rotation", 3, 3, 1),
    ("database-backup.yaml", "database-backup", 26, 2, 2),
])
def test_seed_cronjobs_run_on_schedule_and_keep_their_history(
        lesson: Any, manifest: str, cronjob: str, hours: int, runs: int, kept: int) -> None:
    lab = _lab(lesson, manifest)
    lab.run(hours * 3600 + 120)
    created = [t for t in lab.history(kind="Job", what="created")
               if t.detail.get("owner") == f"CronJob/{cronjob}"]
    assert len(created) == runs
    jobs = [j for j in lab.state.list("Job")
            if j["metadata"]["ownerReferences"][0]["name"] == cronjob]
    assert len(jobs) == kept  # what the history limit and the TTL leave
    assert all(condition(j, "Complete") is not None for j in jobs)
    assert lab.state.get("CronJob", cronjob)["status"].get("lastSuccessfulTime")
