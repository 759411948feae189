"""Fidelity tests of the sim's CronJob controller, written from Kubernetes 1.33's behaviour
(cronjob_controllerv2.go, utils.go and the CronJob concept page). The sim's clock starts at
2026-01-01T00:00:00Z, so `*/5 * * * *` first fires at 300 s."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from k8slab.cluster import cron
from k8slab.errors import ClusterError
from k8slab.runner.cronjob import job_from_cronjob
from tests.cluster.sim.batchlab import Lab, condition, cronjob

MINUTE0 = int(datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()) // 60


def job_name(cj: str, minutes: int) -> str:
    """The Job a CronJob creates for the run `minutes` after the sim's epoch."""
    return f"{cj}-{MINUTE0 + minutes}"


def jobs_created(lab: Lab, cj: str) -> list[tuple[float, str]]:
    return [(t.time, t.name) for t in lab.history(kind="Job", what="created")
            if t.detail.get("owner") == f"CronJob/{cj}"]


def test_forbid_skips_a_run_while_one_is_active() -> None:
    lab = Lab()
    lab.apply(cronjob("backup", "*/5 * * * *", "sleep 420", concurrencyPolicy="Forbid",
                      startingDeadlineSeconds=60))
    lab.run(16 * 60)
    # 00:05 starts a 7-minute Job; 00:10 is skipped; 00:15 starts again.
    assert [n for _, n in jobs_created(lab, "backup")] == [job_name("backup", 5),
                                                          job_name("backup", 15)]
    [skipped] = lab.events("JobAlreadyActive", "CronJob")
    assert skipped["message"] == ("Not starting job because prior execution is running and "
                                  "concurrency policy is Forbid")
    assert skipped["firstTimestamp"] == "2026-01-01T00:10:00Z"


def test_forbid_without_a_deadline_starts_the_skipped_run_when_the_other_ends() -> None:
    # The CronJob page: "when the previous Job run finishes, .spec.startingDeadlineSeconds is
    # still taken into account and may result in a new Job run". With no deadline, it does.
    lab = Lab()
    lab.apply(cronjob("backup", "*/5 * * * *", "sleep 420", concurrencyPolicy="Forbid"))
    lab.run(13 * 60)
    (_, first), (t2, late) = jobs_created(lab, "backup")
    assert (first, late) == (job_name("backup", 5), job_name("backup", 10))
    [done] = lab.history(kind="Job", name=first, what="complete")
    assert t2 == done.time > 12 * 60


def test_replace_deletes_the_running_job_and_starts_the_new_one() -> None:
    lab = Lab()
    lab.apply(cronjob("rotate", "*/5 * * * *", "sleep 420", concurrencyPolicy="Replace"))
    lab.run(11 * 60)
    first, second = job_name("rotate", 5), job_name("rotate", 10)
    assert [n for _, n in jobs_created(lab, "rotate")] == [first, second]
    [deleted] = lab.history(kind="Job", name=first, what="deleted")
    created_second = dict((n, t) for t, n in jobs_created(lab, "rotate"))[second]
    assert 600 <= deleted.time <= created_second < 601
    assert lab.job(first) is None
    assert [r["name"] for r in lab.state.get("CronJob", "rotate")["status"]["active"]] == [
        second]
    # The replaced Job's pod is stopped too.
    assert lab.history(kind="Pod", what=("terminating", "deleted"), owner=f"Job/{first}")


def test_allow_lets_runs_overlap() -> None:
    lab = Lab()
    lab.apply(cronjob("report", "*/5 * * * *", "sleep 420"))
    lab.run(11 * 60)
    status = lab.state.get("CronJob", "report")["status"]
    assert [r["name"] for r in status["active"]] == [job_name("report", 5),
                                                     job_name("report", 10)]
    assert status["lastScheduleTime"] == "2026-01-01T00:10:00Z"


def test_a_scheduled_job_carries_the_template_owner_and_scheduled_time() -> None:
    lab = Lab()
    manifest = cronjob("stamp", "*/5 * * * *", "echo hi")
    manifest["spec"]["jobTemplate"]["metadata"] = {"labels": {"app": "maintenance"}}
    lab.apply(manifest)
    lab.run(5 * 60 + 30)
    job = lab.job(job_name("stamp", 5))
    cj = lab.state.get("CronJob", "stamp")
    md = job["metadata"]
    assert md["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] == (
        "2026-01-01T00:05:00Z")
    assert md["labels"]["app"] == "maintenance"
    ref = md["ownerReferences"][0]
    assert (ref["kind"], ref["name"], ref["uid"], ref["controller"]) == (
        "CronJob", "stamp", cj["metadata"]["uid"], True)
    assert [e["message"] for e in lab.events("SuccessfulCreate", "CronJob")] == [
        f"Created job {md['name']}"]
    assert condition(job, "Complete") is not None
    assert cj["status"]["lastSuccessfulTime"] == job["status"]["completionTime"]
    assert "active" not in cj["status"]
    assert lab.events("SawCompletedJob", "CronJob")[0]["message"] == (
        f"Saw completed job: {md['name']}, condition: Complete")


def test_the_clock_knows_the_next_run_and_can_jump_to_it() -> None:
    lab = Lab()
    lab.apply(cronjob("nightly", "0 2 * * *", "sleep 5"))
    assert lab.sim.clock.next_cron_time() == pytest.approx(2 * 3600, abs=0.2)
    lab.sim.jump_to_next_cron()
    lab.run(1)
    assert [n for _, n in jobs_created(lab, "nightly")] == [job_name("nightly", 120)]
    assert lab.sim.clock.next_cron_time() == pytest.approx(26 * 3600, abs=0.2)


def test_hourly_macro_runs_on_the_hour() -> None:
    lab = Lab()
    lab.apply(cronjob("hourly", "@hourly", "sleep 5"))
    lab.run(3 * 3600 + 60)
    assert [(round(t), n) for t, n in jobs_created(lab, "hourly")] == [
        (3600, job_name("hourly", 60)), (7200, job_name("hourly", 120)),
        (10800, job_name("hourly", 180))]


def test_history_limits_prune_the_oldest_finished_jobs() -> None:
    lab = Lab()
    lab.apply(cronjob("keep", "*/5 * * * *", "sleep 10", successfulJobsHistoryLimit=2))
    lab.run(31 * 60)
    created = [n for _, n in jobs_created(lab, "keep")]
    assert len(created) == 6
    left = sorted(j["metadata"]["name"] for j in lab.state.list("Job"))
    assert left == created[-2:]
    deleted = [t.name for t in lab.history(kind="Job", what="deleted")]
    assert deleted == created[:4]  # oldest first
    assert len(lab.events("SuccessfulDelete", "CronJob")) == 4


def test_failed_jobs_history_limit() -> None:
    lab = Lab()
    lab.apply(cronjob("broken", "*/5 * * * *", "exit 1", job_spec={"backoffLimit": 0},
                      failedJobsHistoryLimit=1))
    lab.run(21 * 60)
    assert len(jobs_created(lab, "broken")) == 4
    left = lab.state.list("Job")
    assert len(left) == 1 and condition(left[0], "Failed")["reason"] == "BackoffLimitExceeded"
    assert left[0]["metadata"]["name"] == job_name("broken", 20)


def test_suspend_stops_runs_and_resume_runs_the_latest_missed_one() -> None:
    lab = Lab()
    lab.apply(cronjob("paused", "*/5 * * * *", "sleep 5", suspend=True))
    lab.run(17 * 60)
    assert jobs_created(lab, "paused") == []
    assert lab.sim.clock.next_cron_time() is None
    assert lab.history(kind="CronJob", what="suspended")
    lab.sim.patch("CronJob", "paused", {"spec": {"suspend": False}})
    lab.run(60)
    # Without startingDeadlineSeconds the most recent missed time (00:15) runs at once.
    assert [(round(t), n) for t, n in jobs_created(lab, "paused")] == [
        (17 * 60, job_name("paused", 15))]
    assert lab.history(kind="CronJob", what="resumed")
    lab.run(4 * 60)
    assert [n for _, n in jobs_created(lab, "paused")][-1] == job_name("paused", 20)


def test_resume_outside_the_starting_deadline_waits_for_the_next_run() -> None:
    lab = Lab()
    lab.apply(cronjob("strict", "*/5 * * * *", "sleep 5", suspend=True,
                      startingDeadlineSeconds=60))
    lab.run(17 * 60)
    lab.sim.patch("CronJob", "strict", {"spec": {"suspend": False}})
    lab.run(60)
    assert jobs_created(lab, "strict") == []  # 00:15 is more than 60 s ago
    # The controller looks back no further than the deadline, so it does not even see a miss.
    assert lab.events("MissSchedule", "CronJob") == []
    lab.run(3 * 60)
    assert [n for _, n in jobs_created(lab, "strict")] == [job_name("strict", 20)]


def test_resume_inside_the_starting_deadline_still_runs() -> None:
    lab = Lab()
    lab.apply(cronjob("lenient", "*/5 * * * *", "sleep 5", suspend=True,
                      startingDeadlineSeconds=180))
    lab.run(16 * 60)
    lab.sim.patch("CronJob", "lenient", {"spec": {"suspend": False}})
    lab.run(10)
    assert [n for _, n in jobs_created(lab, "lenient")] == [job_name("lenient", 15)]


def test_too_many_missed_runs_warns_and_runs_only_the_latest() -> None:
    lab = Lab()
    lab.apply(cronjob("late", "*/5 * * * *", "sleep 5", suspend=True))
    lab.run(10 * 3600 + 60)
    lab.sim.patch("CronJob", "late", {"spec": {"suspend": False}})
    lab.run(30)
    [warning] = lab.events("TooManyMissedTimes", "CronJob")
    assert warning["type"] == "Warning"
    assert warning["message"] == ("too many missed start times. Set or decrease "
                                  ".spec.startingDeadlineSeconds or check clock skew")
    assert [n for _, n in jobs_created(lab, "late")] == [job_name("late", 600)]


def test_manual_trigger_is_outside_the_schedule_but_inside_the_history() -> None:
    lab = Lab()
    lab.apply(cronjob("maint", "*/5 * * * *", "sleep 420", concurrencyPolicy="Forbid",
                      successfulJobsHistoryLimit=1))
    lab.run(60)
    lab.apply(job_from_cronjob(lab.sim.get("CronJob", "maint"), "manual-maintenance"))
    lab.run(10)
    manual = lab.job("manual-maintenance")
    assert manual["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
    assert lab.events("UnexpectedJob", "CronJob")[0]["message"] == (
        "Saw a job that the controller did not create or forgot: manual-maintenance")
    assert "active" not in lab.state.get("CronJob", "maint")["status"]
    lab.run(5 * 60)
    # The running manual Job does not make Forbid skip 00:05.
    scheduled = [n for _, n in jobs_created(lab, "maint") if n != "manual-maintenance"]
    assert scheduled == [job_name("maint", 5)]
    lab.run(20 * 60)
    # Once both finished, the history limit of 1 prunes the older: the manual one.
    assert lab.job("manual-maintenance") is None
    assert lab.history(kind="Job", name="manual-maintenance", what="deleted")


def test_the_seed_system_maintenance_cronjob_runs_for_an_hour() -> None:
    lab = Lab()
    manifest = cronjob("system-maintenance", "*/5 * * * *", "echo start; sleep 15; echo done",
                       job_spec={"activeDeadlineSeconds": 240,
                                 "ttlSecondsAfterFinished": 3600},
                       successfulJobsHistoryLimit=3, failedJobsHistoryLimit=1,
                       concurrencyPolicy="Forbid", startingDeadlineSeconds=60)
    lab.apply(manifest)
    lab.run(3600 + 60)
    assert len(jobs_created(lab, "system-maintenance")) == 12
    assert len(lab.state.list("Job")) == 3
    status = lab.state.get("CronJob", "system-maintenance")["status"]
    assert status["lastScheduleTime"] == "2026-01-01T01:00:00Z"
    assert lab.events("MissSchedule", "CronJob") == []


def test_time_zone_moves_the_runs_and_the_annotation() -> None:
    lab = Lab()
    lab.apply(cronjob("paris", "0 2 * * *", "sleep 5", timeZone="Europe/Paris"))
    lab.sim.jump_to_next_cron()
    lab.run(1)
    [(t, name)] = jobs_created(lab, "paris")
    assert round(t) == 3600  # 02:00 in Paris is 01:00 UTC in January
    assert lab.job(name)["metadata"]["annotations"][cron.SCHEDULED_ANNOTATION] == (
        "2026-01-01T02:00:00+01:00")


@pytest.mark.parametrize("seed", [2, 9])
def test_the_same_seed_gives_the_same_history(seed: int) -> None:
    def run() -> list[str]:
        lab = Lab(seed=seed)
        lab.apply(cronjob("dice", "*/5 * * * *",
                          "sleep 30; if [ $((RANDOM % 2)) -eq 0 ]; then exit 1; fi",
                          job_spec={"backoffLimit": 2}, concurrencyPolicy="Replace"))
        lab.run(40 * 60)
        return [f"{t.time:.1f} {t.kind}/{t.name} {t.what}" for t in lab.state.history]

    assert run() == run()


@pytest.mark.parametrize(("change", "message"), [
    ({"schedule": "0 0 * * 7"},
     'spec.schedule: Invalid value: "0 0 * * 7": end of range (7) above maximum (6): 7'),
    ({"schedule": "0 0 * * * *"}, 'spec.schedule: Invalid value: "0 0 * * * *": expected '
     "exactly 5 fields, found 6: [0 0 * * * *]"),
    ({"schedule": "TZ=UTC 0 2 * * *"}, "cannot use TZ or CRON_TZ in schedule, use timeZone "
     "field instead"),
    ({"timeZone": "Mars/Olympus"},
     'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus'),
])
def test_the_api_server_rejects_what_kubernetes_rejects(change: dict[str, str],
                                                          message: str) -> None:
    lab = Lab()
    manifest = cronjob("bad", "*/5 * * * *")
    manifest["spec"].update(change)
    with pytest.raises(ClusterError) as err:
        lab.apply(manifest)
    assert message in str(err.value)
    assert 'CronJob.batch "bad" is invalid' in str(err.value)


def test_a_cronjob_name_leaves_room_for_the_job_suffix() -> None:
    lab = Lab()
    with pytest.raises(ClusterError, match="must be no more than 52 characters"):
        lab.apply(cronjob("n" * 53, "*/5 * * * *"))
    lab.apply(cronjob("n" * 52, "*/5 * * * *"))
    lab.run(301)
    assert len(lab.state.list("Job")[0]["metadata"]["name"]) <= 63


def test_an_active_job_deleted_by_hand_is_forgotten() -> None:
    lab = Lab()
    lab.apply(cronjob("gone", "*/5 * * * *", "sleep 200"))
    lab.run(5 * 60 + 10)
    name = job_name("gone", 5)
    assert [r["name"] for r in lab.state.get("CronJob", "gone")["status"]["active"]] == [name]
    lab.sim.delete("Job", name)
    lab.run(5)
    assert "active" not in lab.state.get("CronJob", "gone")["status"]
    [event] = lab.events("MissingJob", "CronJob")
    assert event["message"] == f"Active job went missing: {name}"
