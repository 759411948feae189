"""The CronJob controller, as kube-controller-manager's cronjob_controllerv2.go plays it (1.33).

Each sync, like upstream:

1. prunes finished Jobs beyond `successfulJobsHistoryLimit` / `failedJobsHistoryLimit`, oldest
   start first (manual Jobs count too: they are owned by the CronJob);
2. takes finished Jobs out of `status.active` (`SawCompletedJob`), records
   `lastSuccessfulTime`, forgets Jobs that vanished (`MissingJob`), and warns about running Jobs
   it did not start (`UnexpectedJob`: a manual `kubectl create job --from=cronjob/...`, which
   it leaves alone, outside `active` and the schedule);
3. unless suspended, finds the most recent unmet start time (older than
   `startingDeadlineSeconds` is ignored; more than 100 missed gives `TooManyMissedTimes`, and
   still only the latest runs), then applies `concurrencyPolicy`: Forbid skips it
   (`JobAlreadyActive`), Replace deletes the running Jobs first, Allow overlaps;
4. creates `<name>-<minutes since the epoch>` with the scheduled-timestamp annotation, and
   wakes again just after the next start time, which it also registers with the clock so
   "jump to the next CronJob run" knows where to go.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from k8slab.cluster import cron
from k8slab.cluster.sim.core import Controller, SyncKey
from k8slab.cluster.sim.store import EPOCH, Obj, parse_timestamp, timestamp
from k8slab.errors import AlreadyExists, ClusterError

# Upstream requeues 100 ms after the next start time (nextScheduleDelta).
NEXT_SCHEDULE_DELTA = 0.1


def to_datetime(t: float) -> datetime:
    """The wall time of virtual time `t`."""
    return EPOCH + timedelta(seconds=t)


def to_virtual(t: datetime) -> float:
    return (t.astimezone(timezone.utc) - EPOCH).total_seconds()


def _finished_type(job: Obj) -> str:
    for c in (job.get("status") or {}).get("conditions") or ():
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            return str(c["type"])
    return ""


def _start_key(job: Obj) -> tuple[int, float, str]:
    """byJobStartTime: Jobs with a start time first, oldest first, then by name."""
    start = (job.get("status") or {}).get("startTime")
    return (0, parse_timestamp(start), job["metadata"]["name"]) if start else (
        1, 0.0, job["metadata"]["name"])


def job_ref(job: Obj) -> dict[str, Any]:
    """An ObjectReference to a Job, as status.active lists them."""
    md = job["metadata"]
    return {"apiVersion": "batch/v1", "kind": "Job", "name": md["name"],
            "namespace": md["namespace"], "resourceVersion": md.get("resourceVersion", ""),
            "uid": md["uid"]}


class CronJobController(Controller):
    """Creates a CronJob's Jobs on schedule and keeps its status and history."""

    name = "cronjob-controller"
    primary = "CronJob"
    kinds = ("Job",)
    component = "cronjob-controller"

    def sync(self, key: SyncKey) -> None:
        cj = self.core.store.get("CronJob", *key)
        clock_key = f"{key[0]}/{key[1]}"
        if cj is None:
            self.core.clock.set_cron(clock_key, None)
            return
        uid = cj["metadata"]["uid"]
        jobs = [j for j in self.core.store.owned_by(uid, "Job")
                if any(r.get("controller") and r.get("uid") == uid
                       for r in j["metadata"].get("ownerReferences") or ())]
        status = dict(cj.get("status") or {})
        active = list(status.get("active") or ())
        jobs = self._prune(cj, jobs, active)
        wake = self._sync(cj, jobs, status, active)
        status["active"] = active
        if not active:
            status.pop("active")
        self._write(cj, status)
        self.core.clock.set_cron(clock_key, wake)
        if wake is not None:
            self.queue(key, wake - self.core.clock.now)

    # -- history ----------------------------------------------------------------------------
    def _prune(self, cj: Obj, jobs: list[Obj], active: list[dict[str, Any]]) -> list[Obj]:
        """cleanupFinishedJobs: delete the oldest finished Jobs beyond the history limits."""
        spec = cj["spec"]
        kept = list(jobs)
        for ctype, field in (("Complete", "successfulJobsHistoryLimit"),
                             ("Failed", "failedJobsHistoryLimit")):
            limit = spec.get(field)
            if limit is None:
                continue
            done = sorted((j for j in jobs if _finished_type(j) == ctype), key=_start_key)
            for job in done[:max(0, len(done) - int(limit))]:
                if self._delete_job(cj, job, active):
                    kept.remove(job)
        return kept

    def _delete_job(self, cj: Obj, job: Obj, active: list[dict[str, Any]]) -> bool:
        md = job["metadata"]
        try:
            self.core.api.delete("Job", md["name"], md["namespace"], propagation="Background")
        except ClusterError as err:
            self.core.events.warning(cj, "FailedDelete", f"Deleted job: {err.message}",
                                     component=self.component)
            return False
        active[:] = [r for r in active if r.get("uid") != md["uid"]]
        self.core.events.normal(cj, "SuccessfulDelete", f"Deleted job {md['name']}",
                                component=self.component)
        return True

    # -- scheduling -------------------------------------------------------------------------
    def _sync(self, cj: Obj, jobs: list[Obj], status: dict[str, Any],
              active: list[dict[str, Any]]) -> float | None:
        """syncCronJob: returns the virtual time to look again, or None."""
        now = self.core.clock.now
        ev = self.core.events
        active_uids = {r.get("uid") for r in active}
        for job in jobs:
            juid = job["metadata"]["uid"]
            finished = _finished_type(job)
            if not finished and juid not in active_uids:
                ev.warning(cj, "UnexpectedJob", "Saw a job that the controller did not create "
                           f"or forgot: {job['metadata']['name']}", component=self.component)
            elif finished:
                if juid in active_uids:
                    active[:] = [r for r in active if r.get("uid") != juid]
                    ev.normal(cj, "SawCompletedJob", f"Saw completed job: "
                              f"{job['metadata']['name']}, condition: {finished}",
                              component=self.component)
                done_at = (job.get("status") or {}).get("completionTime")
                if finished == "Complete" and done_at:
                    last = status.get("lastSuccessfulTime")
                    if last is None or parse_timestamp(done_at) > parse_timestamp(last):
                        status["lastSuccessfulTime"] = done_at
        present = {j["metadata"]["uid"] for j in jobs}
        for ref in list(active):
            if ref.get("uid") not in present:
                ev.normal(cj, "MissingJob", f"Active job went missing: {ref.get('name')}",
                          component=self.component)
                active.remove(ref)
        spec = cj["spec"]
        if cj["metadata"].get("deletionTimestamp") or spec.get("suspend"):
            return None
        try:
            schedule = cron.parse_schedule(spec["schedule"], spec.get("timeZone"))
        except cron.ScheduleError as err:
            ev.warning(cj, "UnparseableSchedule",
                       f'unparseable schedule: "{spec.get("schedule")}" : {err.message}',
                       component=self.component)
            return None
        created = to_datetime(parse_timestamp(cj["metadata"]["creationTimestamp"]))
        last_raw = status.get("lastScheduleTime")
        last = to_datetime(parse_timestamp(last_raw)) if last_raw else None
        deadline = spec.get("startingDeadlineSeconds")
        try:
            missed = cron.missed_runs(schedule, created=created, last_scheduled=last,
                                      now=to_datetime(now), starting_deadline=deadline)
        except cron.ScheduleError as err:
            ev.warning(cj, "InvalidSchedule",
                       f"invalid schedule: {spec['schedule']} : {err.message}",
                       component=self.component)
            return None
        if missed.most_recent is not None and missed.too_many:
            ev.warning(cj, "TooManyMissedTimes", "too many missed start times. Set or decrease "
                       ".spec.startingDeadlineSeconds or check clock skew",
                       component=self.component)

        def wake() -> float | None:
            nxt = cron.next_wakeup(schedule, created=created, last_scheduled=last,
                                   now=to_datetime(now))
            return None if nxt is None else to_virtual(nxt) + NEXT_SCHEDULE_DELTA

        scheduled = missed.most_recent
        if scheduled is None:
            return wake()
        if deadline is not None and to_virtual(scheduled) + float(deadline) < now:
            ev.warning(cj, "MissSchedule", "Missed scheduled time to start a job: "
                       + scheduled.strftime("%a, %d %b %Y %H:%M:%S +0000"),
                       component=self.component)
            return wake()
        name = cron.job_name(cj["metadata"]["name"], scheduled)
        if any(r.get("name") == name for r in active) or last == scheduled:
            return wake()
        policy = spec.get("concurrencyPolicy", "Allow")
        if policy == "Forbid" and active:
            ev.normal(cj, "JobAlreadyActive", "Not starting job because prior execution is "
                      "running and concurrency policy is Forbid", component=self.component)
            return wake()
        if policy == "Replace":
            for ref in list(active):
                running = self.core.store.get("Job", ref.get("namespace", ""),
                                              ref.get("name", ""))
                if running is not None:
                    self._delete_job(cj, running, active)
        created_job = self._create(cj, scheduled, active)
        if created_job is None:
            return None
        active.append(job_ref(created_job))
        status["lastScheduleTime"] = timestamp(to_virtual(scheduled))
        last = scheduled
        return wake()

    def _create(self, cj: Obj, scheduled: datetime, active: list[dict[str, Any]]
                ) -> Obj | None:
        request = cron.scheduled_job(cj, scheduled)
        try:
            job = self.core.api.create(request, owned=True)
        except AlreadyExists:
            md = request["metadata"]
            found = self.core.store.get("Job", md["namespace"], md["name"])
            owned = found is not None and any(
                r.get("uid") == cj["metadata"]["uid"]
                for r in found["metadata"].get("ownerReferences") or ())
            if found is None or not owned or any(r.get("uid") == found["metadata"]["uid"]
                                                  for r in active):
                return None
            return found
        except ClusterError as err:
            self.core.events.warning(cj, "FailedCreate", f"Error creating job: {err.message}",
                                     component=self.component)
            return None
        self.core.events.normal(cj, "SuccessfulCreate", f"Created job {job['metadata']['name']}",
                                component=self.component)
        return job

    def _write(self, cj: Obj, status: dict[str, Any]) -> None:
        current = self.core.store.get("CronJob", cj["metadata"]["namespace"],
                                      cj["metadata"]["name"])
        if current is not None and current.get("status") != status:
            self.core.api.update_status({**current, "status": status})


__all__ = ["CronJobController", "job_ref"]
