"""CronJob checks over hand-built histories."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from k8slab.cluster.cron import parse_schedule
from k8slab.grading.checks.cronjob import _allowed
from tests.grading.builders import (
    Lab,
    at_minute,
    cronjob,
    event,
    finished,
    job,
    scheduled_job,
)

MANUAL = {"cronjob.kubernetes.io/instantiate": "manual"}


def _run(lab: Lab, cj: str, minute: int, *, lasts: float = 15.0, fail: bool = False,
         **kw: Any) -> str:
    """The CronJob controller starting a Job at `minute`, finishing `lasts` seconds later."""
    j = scheduled_job(cj, minute, **kw)
    lab.at(minute * 60).put(j)
    lab.edit("CronJob", cj, lambda o: o["status"].update(lastScheduleTime=at_minute(minute)))
    done = scheduled_job(cj, minute, **kw)
    if fail:
        finished(done, "Failed", "BackoffLimitExceeded", failed=1)
    else:
        finished(done, succeeded=1)
    lab.at(minute * 60 + lasts).put(done)
    return str(j["metadata"]["name"])


def test_jobs_created_at_scheduled_times() -> None:
    lab = Lab()
    lab.put(cronjob("system-maintenance", "*/5 * * * *"))
    _run(lab, "system-maintenance", 5)
    short = lab.check("cronjob-schedules", cronjob="system-maintenance", min_jobs=2)
    assert not short.passed
    assert short.detail == ("system-maintenance has created 1 Job on its schedule (every 5 "
                            "minutes) so far, want 2; the next run is at 00:10")
    _run(lab, "system-maintenance", 10)
    result = lab.check("cronjob-schedules", cronjob="system-maintenance", min_jobs=2)
    assert result.passed
    assert result.detail == ("system-maintenance created 2 Jobs on schedule '*/5 * * * *' "
                             "(every 5 minutes) at 00:05 and 00:10")


def test_a_job_at_a_time_the_schedule_does_not_allow_fails() -> None:
    lab = Lab()
    lab.put(cronjob("backup", "0 2 * * *"))
    name = _run(lab, "backup", 7)
    result = lab.check("cronjob-schedules", cronjob="backup")
    assert not result.passed
    assert result.detail == (f"{name} ran at 00:07, which backup's schedule '0 2 * * *' does "
                             f"not allow")


def test_manual_jobs_do_not_count_as_scheduled_runs() -> None:
    lab = Lab()
    lab.put(cronjob("backup", "*/5 * * * *"))
    lab.put(job("manual-backup", owner=("CronJob", "backup"), annotations=MANUAL))
    assert not lab.check("cronjob-schedules", cronjob="backup").passed


# -- concurrency ------------------------------------------------------------------------------

def test_forbid_that_skipped_a_run_while_one_was_active() -> None:
    lab = Lab()
    lab.put(cronjob("backup", "*/5 * * * *", policy="Forbid"))
    _run(lab, "backup", 5, lasts=400)  # runs past 00:10, so the 00:10 run is skipped
    lab.at(600).put(event("CronJob", "backup", "JobAlreadyActive", "Not starting job because "
                          "prior execution is running and concurrency policy is Forbid",
                          type_="Normal", t=600))
    _run(lab, "backup", 15)
    result = lab.check("cronjob-concurrency", cronjob="backup", policy="Forbid")
    assert result.passed
    assert result.detail == ("backup uses Forbid and never ran two Jobs at once; it skipped 1 "
                             "run while a Job was still active")


def test_allow_where_forbid_was_asked_for_fails() -> None:
    lab = Lab()
    lab.put(cronjob("backup", "*/5 * * * *", policy="Allow"))
    first = scheduled_job("backup", 5)
    lab.at(300).put(first)
    _run(lab, "backup", 10)  # starts while the first is still running
    result = lab.check("cronjob-concurrency", cronjob="backup", policy="Forbid")
    assert not result.passed
    assert result.detail == (f"backup uses concurrencyPolicy Allow (want Forbid): "
                             f"{first['metadata']['name']} and backup-"
                             f"{int(first['metadata']['name'].split('-')[1]) + 5} ran at the "
                             f"same time")


def test_replace_deletes_the_running_job() -> None:
    lab = Lab()
    lab.put(cronjob("report", "*/5 * * * *", policy="Replace"))
    old = scheduled_job("report", 5)
    lab.at(300).put(old)
    lab.at(600).delete("Job", old["metadata"]["name"])
    _run(lab, "report", 10)
    result = lab.check("cronjob-concurrency", cronjob="report", policy="Replace")
    assert result.passed
    assert f"it replaced {old['metadata']['name']}" in result.detail


# -- history limits ---------------------------------------------------------------------------

def test_finished_jobs_beyond_the_limit_are_pruned() -> None:
    lab = Lab()
    lab.put(cronjob("backup", "*/5 * * * *", keep_ok=1))
    first = _run(lab, "backup", 5)
    not_yet = lab.check("cronjob-history-limits", cronjob="backup")
    assert not not_yet.passed and "nothing has been pruned yet" in not_yet.detail
    _run(lab, "backup", 10)
    lab.delete("Job", first)
    result = lab.check("cronjob-history-limits", cronjob="backup")
    assert result.passed
    assert result.detail == (f"backup pruned {first} and keeps 1 succeeded (limit 1) and 0 "
                             f"failed (limit 1)")


def test_keeping_more_jobs_than_the_limit_fails() -> None:
    lab = Lab()
    lab.put(cronjob("backup", "*/5 * * * *", keep_ok=1))
    _run(lab, "backup", 5)
    _run(lab, "backup", 10)
    result = lab.check("cronjob-history-limits", cronjob="backup")
    assert not result.passed
    assert result.detail == "backup keeps 2 succeeded Jobs, more than its limit of 1"


# -- suspend and resume -----------------------------------------------------------------------

def _suspend(lab: Lab, value: bool) -> None:
    lab.edit("CronJob", "backup", lambda o: o["spec"].update(suspend=value))


def test_suspended_then_resumed_with_no_run_in_between() -> None:
    lab = Lab()
    lab.put(cronjob("backup", "*/5 * * * *"))
    _run(lab, "backup", 5)
    lab.at(400)
    _suspend(lab, True)
    halfway = lab.check("cronjob-suspend-resume", cronjob="backup")
    assert not halfway.passed and "now resume it" in halfway.detail
    lab.at(1300)
    _suspend(lab, False)
    _run(lab, "backup", 25)
    result = lab.check("cronjob-suspend-resume", cronjob="backup")
    assert result.passed
    assert result.detail == ("backup was suspended for 900s, started no Job meanwhile, and was "
                             "resumed")


def test_a_scheduled_run_while_suspended_fails() -> None:
    lab = Lab()
    lab.put(cronjob("backup", "*/5 * * * *"))
    lab.at(100)
    _suspend(lab, True)
    name = _run(lab, "backup", 5)
    lab.at(700)
    _suspend(lab, False)
    result = lab.check("cronjob-suspend-resume", cronjob="backup")
    assert not result.passed
    assert result.detail == f"{name} started while backup was suspended"


# -- manual trigger ---------------------------------------------------------------------------

def test_a_job_created_from_the_cronjob_by_hand() -> None:
    lab = Lab()
    lab.put(cronjob("system-maintenance"))
    lab.put(job("manual-maintenance", owner=("CronJob", "system-maintenance"),
                annotations=MANUAL))
    result = lab.check("cronjob-manual-trigger", cronjob="system-maintenance")
    assert result.passed
    assert result.detail == ("manual-maintenance was created from system-maintenance by hand "
                             "(running)")


def test_a_copied_job_without_owner_or_annotation_is_not_a_manual_trigger() -> None:
    lab = Lab()
    cj = cronjob("system-maintenance")
    lab.put(cj)
    copy = job("manual-maintenance")
    copy["spec"] = cj["spec"]["jobTemplate"]["spec"]
    lab.put(copy)
    result = lab.check("cronjob-manual-trigger", cronjob="system-maintenance")
    assert not result.passed
    assert result.detail.startswith("manual-maintenance copies system-maintenance's template "
                                    "but was not created from it")


@pytest.mark.parametrize("expr", ["*/5 * * * *", "0 2 * * *", "30 9 * * 1-5", "0 0 1,15 * 1",
                                  "15 */6 1 * *", "@hourly", "@every 90m"])
def test_schedule_matching_agrees_with_the_next_run_computation(expr: str) -> None:
    schedule = parse_schedule(expr)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for day in range(40):  # weekdays, month days and the 1st/15th all come round
        for hour in (0, 1, 2, 6, 9, 12):
            for minute in (0, 5, 15, 30, 35):
                t = start + timedelta(days=day, hours=hour, minutes=minute)
                expected = schedule.next_after(t - timedelta(seconds=1)) == t
                assert _allowed(schedule, t) is expected, (expr, t)
