"""Job checks over hand-built histories."""

from __future__ import annotations

from tests.grading.builders import Lab, finished, job, nodes3, pod


def _job_pod(lab: Lab, name: str, job_name: str, t0: float, t1: float | None, *,
             fail: bool = False) -> None:
    """A Job pod created at t0 that succeeds (or fails) at t1."""
    base = dict(owner=("Job", job_name), node_name="worker-1", labels={"job-name": job_name})
    lab.at(t0).put(pod(name, ready=True, started=t0, **base))  # type: ignore[arg-type]
    if t1 is not None:
        phase = "Failed" if fail else "Succeeded"
        lab.at(t1).put(pod(name, phase=phase, ready=False, started=t0, finished=t1,
                           exit_code=1 if fail else 0, **base))  # type: ignore[arg-type]


def test_job_complete() -> None:
    lab = Lab()
    nodes3(lab)
    lab.put(job("hello", status={"active": 1}))
    running = lab.check("job-complete", job="hello")
    assert not running.passed
    assert running.detail == "hello has not completed yet: 0/1 succeeded, 1 active"
    j = job("hello")
    finished(j, succeeded=1)
    j["status"].update(startTime="2026-01-01T00:00:00Z", completionTime="2026-01-01T00:00:07Z")
    lab.at(7).put(j)
    result = lab.check("job-complete", job="hello")
    assert result.passed and result.detail == "hello completed: 1/1 succeeded in 7s"


def test_a_job_whose_pods_all_fail_is_not_complete() -> None:
    lab = Lab()
    j = job("resilient-job", backoff=2)
    finished(j, "Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit",
             failed=3)
    lab.put(j)
    result = lab.check("job-complete", job="resilient-job")
    assert not result.passed
    assert result.detail == ("resilient-job failed: BackoffLimitExceeded (Job has reached the "
                             "specified backoff limit)")
    retries = lab.check("job-retries", job="resilient-job")
    assert not retries.passed
    assert retries.detail.startswith("resilient-job failed after 3 failures (backoffLimit 2)")


def _parallel(lab: Lab, width: int) -> None:
    """9 completions in waves of `width` pods, each wave 10s long."""
    nodes3(lab)
    lab.put(job("parallel-processor", completions=9, parallelism=3, status={"active": 3}))
    names = [f"pp-{i}" for i in range(9)]
    for wave, first in enumerate(range(0, 9, width)):
        t0 = wave * 10
        for name in names[first:first + width]:
            _job_pod(lab, name, "parallel-processor", t0, None)
        for name in names[first:first + width]:
            _job_pod(lab, name, "parallel-processor", t0, t0 + 10)
    j = job("parallel-processor", completions=9, parallelism=3)
    finished(j, succeeded=9)
    lab.at(100).put(j)


def test_parallelism_respected_and_reached() -> None:
    lab = Lab()
    _parallel(lab, 3)
    result = lab.check("job-parallelism", job="parallel-processor")
    assert result.passed
    assert result.detail == ("parallel-processor ran 3 pods at once (parallelism 3) and "
                             "reached 9/9 completions")


def test_more_pods_than_parallelism_fails() -> None:
    lab = Lab()
    _parallel(lab, 4)
    result = lab.check("job-parallelism", job="parallel-processor")
    assert not result.passed
    assert result.detail == ("up to 4 pods of parallel-processor ran at once, more than its "
                             "parallelism 3")


def test_one_pod_at_a_time_never_reaches_parallelism() -> None:
    lab = Lab()
    _parallel(lab, 1)
    result = lab.check("job-parallelism", job="parallel-processor")
    assert not result.passed
    assert result.detail == "parallel-processor never ran more than 1 pod at once (parallelism 3)"


def test_retries_with_new_pods_within_backoff_limit() -> None:
    lab = Lab()
    nodes3(lab)
    lab.put(job("resilient-job", backoff=5, status={"active": 1}))
    _job_pod(lab, "rj-a", "resilient-job", 0, 3, fail=True)
    _job_pod(lab, "rj-b", "resilient-job", 13, 16, fail=True)
    _job_pod(lab, "rj-c", "resilient-job", 36, 39)
    j = job("resilient-job", backoff=5)
    finished(j, succeeded=1, failed=2)
    lab.at(39).put(j)
    result = lab.check("job-retries", job="resilient-job")
    assert result.passed
    assert result.detail == ("resilient-job retried 2 times with new pods, within backoffLimit "
                             "5, and completed")


def test_retries_by_restarting_the_container_count_too() -> None:
    lab = Lab()
    nodes3(lab)
    lab.put(job("resilient-job", restart="OnFailure", status={"active": 1}))
    lab.put(pod("rj-a", owner=("Job", "resilient-job"), node_name="worker-1", restarts=2))
    j = job("resilient-job", restart="OnFailure")
    finished(j, succeeded=1)
    lab.at(30).put(j)
    result = lab.check("job-retries", job="resilient-job")
    assert result.passed and "with restarted containers" in result.detail


def test_a_job_that_succeeds_first_time_shows_no_retries() -> None:
    lab = Lab()
    j = job("resilient-job")
    finished(j, succeeded=1)
    lab.put(j)
    result = lab.check("job-retries", job="resilient-job")
    assert not result.passed and "nothing was retried" in result.detail


def test_job_failed_with_the_reason_asked_for() -> None:
    lab = Lab()
    j = job("deadline-job", deadline=30)
    finished(j, "Failed", "DeadlineExceeded", "Job was active longer than specified deadline")
    lab.put(j)
    assert lab.check("job-failed", job="deadline-job", reason="DeadlineExceeded").passed
    wrong = lab.check("job-failed", job="deadline-job", reason="BackoffLimitExceeded")
    assert not wrong.passed
    assert wrong.detail == "deadline-job failed with DeadlineExceeded, not BackoffLimitExceeded"


def test_a_job_that_completes_did_not_fail() -> None:
    lab = Lab()
    j = job("deadline-job", deadline=300)
    finished(j, succeeded=1)
    lab.put(j)
    result = lab.check("job-failed", job="deadline-job", reason="DeadlineExceeded")
    assert not result.passed
    assert result.detail == ("deadline-job completed successfully; it was meant to fail with "
                             "DeadlineExceeded")


def test_ttl_cleanup_after_the_ttl() -> None:
    lab = Lab()
    lab.action("apply", ["Job/data-processor"])
    lab.put(job("data-processor", ttl=120, status={"active": 1}))
    j = job("data-processor", ttl=120)
    finished(j, succeeded=1)
    lab.at(30).put(j)
    waiting = lab.check("job-ttl-cleanup", job="data-processor")
    assert not waiting.passed and "removes it in about 120s" in waiting.detail
    lab.at(150).delete("Job", "data-processor")
    result = lab.check("job-ttl-cleanup", job="data-processor")
    assert result.passed
    assert result.detail == ("data-processor finished and was deleted 120s later by its "
                             "ttlSecondsAfterFinished (120s)")
    assert lab.check("job-complete", job="data-processor").passed


def test_a_job_deleted_by_hand_was_not_cleaned_up_by_its_ttl() -> None:
    lab = Lab()
    lab.put(job("data-processor", ttl=120, status={"active": 1}))
    j = job("data-processor", ttl=120)
    finished(j, succeeded=1)
    lab.at(30).put(j)
    lab.at(40).action("delete", ["Job/data-processor"])
    lab.delete("Job", "data-processor")
    result = lab.check("job-ttl-cleanup", job="data-processor")
    assert not result.passed
    assert result.detail == "data-processor was deleted by hand, not by its TTL"


def test_a_job_without_ttl_is_never_cleaned_up() -> None:
    lab = Lab()
    j = job("hello")
    finished(j, succeeded=1)
    lab.put(j)
    result = lab.check("job-ttl-cleanup", job="hello")
    assert not result.passed and "no ttlSecondsAfterFinished" in result.detail
