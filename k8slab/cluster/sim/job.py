"""The Job controller, as kube-controller-manager's pkg/controller/job plays it (Kubernetes 1.33).

What it reproduces:

- pods: `min(parallelism, completions - succeeded)` active (`parallelism` alone for a work
  queue Job, which completes once a pod has succeeded and none is left running); NonIndexed
  pods named `<job>-<random>`, Indexed pods `<job>-<index>-<random>` with the completion index
  in an annotation, a label, the hostname and `JOB_COMPLETION_INDEX`;
- counting: every finished pod counted exactly once, even if it is deleted before the
  controller sees it (upstream uses the `batch.kubernetes.io/job-tracking` finalizer); a pod
  deleted before it succeeded counts as failed;
- failures: `backoffLimit` (failed pods with restartPolicy Never, container restarts of running
  pods with OnFailure), pod re-creation delayed 10 s, 20 s, 40 s ... capped at 10 minutes after
  consecutive failures, `activeDeadlineSeconds`;
- the 1.33 conditions: `FailureTarget` then `Failed` (BackoffLimitExceeded, DeadlineExceeded)
  once the pods it killed are gone, `SuccessCriteriaMet` then `Complete` (CompletionsReached);
  `Suspended` with suspend/resume (resuming restarts the deadline clock);
- status: active, ready, terminating, succeeded, failed, startTime, completionTime,
  completedIndexes, uncountedTerminatedPods; the events the real controller records.

Not modelled: podFailurePolicy, successPolicy, backoffLimitPerIndex, managedBy.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from k8slab.cluster.sim.core import Controller, SyncKey, owner_reference
from k8slab.cluster.sim.jobpods import (
    INDEX_KEY,
    TRACKING_FINALIZER,
    Indexes,
    finish_time,
    index_of,
    is_active,
    is_failed,
    is_terminating,
    job_pod,
    pod_ready,
    restarts,
)
from k8slab.cluster.sim.store import Obj, parse_timestamp, timestamp
from k8slab.errors import ClusterError

# Pod events reach a Job's sync batched by this much (syncJobBatchPeriod).
SYNC_BATCH = 1.0
# Pod re-creation back-off after failures (DefaultJobPodFailureBackOff, MaxJobPodFailureBackOff).
POD_FAILURE_BACKOFF = 10.0
MAX_POD_FAILURE_BACKOFF = 600.0
# A sync that failed to create pods is retried after 1 s, doubling to 1 minute
# (DefaultJobApiBackOff, MaxJobApiBackOff).
API_BACKOFF, MAX_API_BACKOFF = 1.0, 60.0
# Creations or deletions per sync (MaxPodCreateDeletePerSync).
MAX_PER_SYNC = 500

COMPLETE_REASON = "CompletionsReached"
COMPLETE_MESSAGE = "Reached expected number of succeeded pods"
BACKOFF_MESSAGE = "Job has reached the specified backoff limit"
DEADLINE_MESSAGE = "Job was active longer than specified deadline"


@dataclass(slots=True)
class _Tracking:
    """What the controller knows about one Job's pods, kept current from the change feed
    (upstream: the pod informer, the tracking finalizers and the backoff store)."""

    active: dict[str, Obj] = field(default_factory=dict)  # uid -> running or about to
    terminating: dict[str, Obj] = field(default_factory=dict)  # being deleted, not finished
    finished: dict[str, Obj] = field(default_factory=dict)  # ended since the last sync
    counted: set[str] = field(default_factory=set)  # uids already in succeeded/failed
    done_indexes: set[int] = field(default_factory=set)  # Indexed: succeeded indexes
    failures_since_success: int = 0
    last_failure: float | None = None
    create_errors: int = 0  # consecutive syncs whose pod creation the API refused

    def observe(self, type_: str, pod: Obj) -> None:
        uid = pod["metadata"]["uid"]
        gone = type_ == "DELETED"
        if not gone and is_active(pod):
            self.active[uid] = pod
        else:
            self.active.pop(uid, None)
        if not gone and is_terminating(pod):
            self.terminating[uid] = pod
        else:
            self.terminating.pop(uid, None)
        if uid not in self.counted and (gone or is_failed(pod) or (
                pod.get("status") or {}).get("phase") == "Succeeded"):
            self.finished[uid] = pod


def is_finished(job: Obj) -> bool:
    """Whether a Job has its Complete or Failed condition."""
    return any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
               for c in (job.get("status") or {}).get("conditions") or ())


def _condition(job: Obj, ctype: str) -> dict[str, Any] | None:
    for c in (job.get("status") or {}).get("conditions") or ():
        if c.get("type") == ctype and c.get("status") == "True":
            return dict(c)
    return None


class JobController(Controller):
    """Creates a Job's pods, counts how they end and decides when the Job is finished."""

    name = "job-controller"
    primary = "Job"
    kinds = ("Pod",)
    component = "job-controller"

    def __init__(self, core: Any) -> None:
        super().__init__(core)
        self._jobs: dict[str, _Tracking] = {}

    # -- watching ---------------------------------------------------------------------------
    def keys_for(self, type_: str, old: Obj | None, new: Obj | None) -> Iterable[SyncKey]:
        obj = new if new is not None else old
        assert obj is not None
        md = obj["metadata"]
        if obj["kind"] == "Job":
            if type_ == "DELETED":
                self._jobs.pop(md["uid"], None)
            return ((md["namespace"], md["name"]),)
        for ref in md.get("ownerReferences") or ():
            if ref.get("controller") and ref.get("kind") == "Job":
                break
        else:
            return ()
        track = self._jobs.get(ref["uid"])
        if track is None:
            if type_ != "ADDED":
                return ()
            track = self._jobs[ref["uid"]] = _Tracking()
        track.observe(type_, obj)
        # Pod changes reach the Job batched, as upstream's enqueueSyncJobBatched.
        self.queue((md["namespace"], ref["name"]), SYNC_BATCH)
        return ()

    # -- syncing ----------------------------------------------------------------------------
    def sync(self, key: SyncKey) -> None:
        job = self.core.store.get("Job", *key)
        if job is None or is_finished(job):
            return
        now = self.core.clock.now
        track = self._jobs.setdefault(job["metadata"]["uid"], _Tracking())
        spec, status = job["spec"], dict(job.get("status") or {})
        indexed = spec.get("completionMode") == "Indexed"
        completions = spec.get("completions")

        # Count pods that finished since the last sync (even those already deleted).
        finished_now = sorted(track.finished.values(), key=finish_time)
        track.finished.clear()
        track.counted.update(p["metadata"]["uid"] for p in finished_now)
        new_ok: list[Obj] = []
        new_failed: list[Obj] = []
        for p in finished_now:
            ok = (p.get("status") or {}).get("phase") == "Succeeded"
            (new_ok if ok else new_failed).append(p)
        succeeded = int(status.get("succeeded", 0)) + len(new_ok)
        failed = int(status.get("failed", 0)) + len(new_failed)
        self._backoff(track, new_ok, new_failed)
        if indexed:
            track.done_indexes.update(i for p in new_ok if (i := index_of(p)) is not None
                                      and i < int(completions or 0))
            succeeded = len(track.done_indexes)
        if status.get("startTime") is None and not spec.get("suspend"):
            status["startTime"] = timestamp(now)

        conditions = list(status.get("conditions") or ())
        finishing: tuple[str, str, str] | None = None  # (final type, reason, message)
        if _condition(job, "SuccessCriteriaMet"):
            finishing = ("Complete", COMPLETE_REASON, COMPLETE_MESSAGE)
        elif (target := _condition(job, "FailureTarget")) is not None:
            finishing = ("Failed", target.get("reason", ""), target.get("message", ""))
        elif failed > int(spec.get("backoffLimit", 6)) or self._past_limit_on_failure(job,
                                                                                      track):
            finishing = ("Failed", "BackoffLimitExceeded", BACKOFF_MESSAGE)
        elif self._past_deadline(job, status, now):
            finishing = ("Failed", "DeadlineExceeded", DEADLINE_MESSAGE)
        elif spec.get("activeDeadlineSeconds") is not None and not spec.get("suspend"):
            start = parse_timestamp(status["startTime"])
            self.queue(key, start + float(spec["activeDeadlineSeconds"]) - now)

        suspend_changed = False
        if finishing is not None and finishing[0] == "Failed":
            # Every pod still running is stopped, and counted as failed.
            running = list(track.active.values())
            failed += sum(1 for p in running if p["metadata"]["uid"] not in track.counted)
            for pod in running:
                self._delete_pod(job, pod, counted=True)
            if _condition(job, "FailureTarget") is None:
                conditions.append(_new_condition("FailureTarget", finishing[1], finishing[2],
                                                 now))
        elif finishing is None:
            self._manage(job, key, succeeded, track, now)
            completions_met = (succeeded > 0 if completions is None
                               else succeeded >= int(completions))
            if completions_met and not track.active:
                finishing = ("Complete", COMPLETE_REASON, COMPLETE_MESSAGE)
                conditions.append(_new_condition("SuccessCriteriaMet", *finishing[1:], now))
            else:
                conditions, suspend_changed = self._suspension(job, conditions, status, now)

        terminating = len(track.terminating)
        status["active"] = len(track.active)
        status["ready"] = sum(1 for p in track.active.values() if pod_ready(p))
        status["terminating"] = terminating
        status["succeeded"], status["failed"] = succeeded, failed
        if indexed and track.done_indexes:
            status["completedIndexes"] = Indexes(track.done_indexes).text
        status["uncountedTerminatedPods"] = {}
        if finishing is not None and terminating == 0:
            conditions.append(_new_condition(*finishing, now))
            if finishing[0] == "Complete":
                status["completionTime"] = timestamp(now)
        status["conditions"] = conditions
        self._write(job, status)
        self._untrack(finished_now)
        if finishing is not None and terminating == 0:
            self._record_finished(job, finishing, succeeded)
        elif finishing is not None or suspend_changed:
            self.queue(key, SYNC_BATCH)

    # -- pieces of a sync -------------------------------------------------------------------
    @staticmethod
    def _backoff(track: _Tracking, ok: list[Obj], failed: list[Obj]) -> None:
        """Consecutive failures since the last success, as backoff_utils.go counts them."""
        if not ok:
            if failed:
                track.failures_since_success += len(failed)
                track.last_failure = finish_time(failed[-1])
            return
        last_success = finish_time(ok[-1])
        later = [finish_time(p) for p in failed if finish_time(p) > last_success]
        track.failures_since_success = len(later)
        track.last_failure = max(later) if later else None

    def _backoff_remaining(self, track: _Tracking, now: float) -> float:
        if track.failures_since_success == 0 or track.last_failure is None:
            return 0.0
        delay = POD_FAILURE_BACKOFF
        for _ in range(1, track.failures_since_success):
            delay *= 2
            if delay >= MAX_POD_FAILURE_BACKOFF:
                delay = MAX_POD_FAILURE_BACKOFF
                break
        return max(0.0, delay - (now - track.last_failure))

    @staticmethod
    def _past_limit_on_failure(job: Obj, track: _Tracking) -> bool:
        """With restartPolicy OnFailure, container restarts of pods still running count."""
        if job["spec"]["template"]["spec"].get("restartPolicy") != "OnFailure":
            return False
        total = sum(restarts(p) for p in (*track.active.values(), *track.terminating.values())
                    if (p.get("status") or {}).get("phase") in ("Pending", "Running"))
        limit = int(job["spec"].get("backoffLimit", 6))
        return total > 0 if limit == 0 else total >= limit

    @staticmethod
    def _past_deadline(job: Obj, status: dict[str, Any], now: float) -> bool:
        deadline = job["spec"].get("activeDeadlineSeconds")
        if deadline is None or status.get("startTime") is None or job["spec"].get("suspend"):
            return False
        return now - parse_timestamp(status["startTime"]) >= float(deadline)

    def _manage(self, job: Obj, key: SyncKey, succeeded: int, track: _Tracking, now: float
                ) -> None:
        """Create or delete pods toward the wanted number of active ones (manageJob)."""
        spec = job["spec"]
        active = list(track.active.values())
        if spec.get("suspend"):
            for pod in active:
                self._delete_pod(job, pod, counted=False)
            return
        parallelism = int(spec.get("parallelism", 1))
        completions = spec.get("completions")
        if completions is None:
            want = len(active) if succeeded > 0 else parallelism
        else:
            want = max(0, min(int(completions) - succeeded, parallelism))
        if len(active) > want:
            # Delete those least far along first: not ready, unscheduled, pending.
            victims = sorted(active, key=_removal_order)[:len(active) - want][:MAX_PER_SYNC]
            for pod in victims:
                self._delete_pod(job, pod, counted=False)
            return
        diff = min(want - len(active), MAX_PER_SYNC)
        if diff <= 0:
            return
        wait = self._backoff_remaining(track, now)
        if wait > 0:
            self.queue(key, wait)
            return
        indexes: list[int | None] = [None] * diff
        if spec.get("completionMode") == "Indexed":
            taken = {index_of(p) for p in active}
            free = (i for i in range(int(completions or 0))
                    if i not in taken and i not in track.done_indexes)
            indexes = list(itertools.islice(free, diff))
        for index in indexes:
            if not self._create_pod(job, index):
                # Like the real work queue's rate limiter: retry later, backing off.
                track.create_errors += 1
                self.queue(key, min(MAX_API_BACKOFF,
                                    API_BACKOFF * 2 ** (track.create_errors - 1)))
                return
            track.create_errors = 0

    def _suspension(self, job: Obj, conditions: list[dict[str, Any]], status: dict[str, Any],
                    now: float) -> tuple[list[dict[str, Any]], bool]:
        """The Suspended condition (and its events) after a suspend or resume."""
        suspended = bool(job["spec"].get("suspend"))
        current = next((c for c in conditions if c.get("type") == "Suspended"), None)
        if suspended and (current is None or current.get("status") != "True"):
            new = _new_condition("Suspended", "JobSuspended", "Job suspended", now)
            self.core.events.normal(job, "Suspended", "Job suspended", component=self.component)
        elif not suspended and current is not None and current.get("status") == "True":
            new = {**_new_condition("Suspended", "JobResumed", "Job resumed", now),
                   "status": "False"}
            self.core.events.normal(job, "Resumed", "Job resumed", component=self.component)
            # The deadline counts from the resume (activeDeadlineSeconds is continuous time).
            status["startTime"] = timestamp(now)
        else:
            return conditions, False
        return [c for c in conditions if c.get("type") != "Suspended"] + [new], True

    # -- pod operations ---------------------------------------------------------------------
    def _create_pod(self, job: Obj, index: int | None) -> bool:
        pod = job_pod(job, index, owner_reference(job))
        try:
            created = self.core.api.create(pod, owned=True)
        except ClusterError as err:
            self.core.events.warning(job, "FailedCreate", f"Error creating: {err.message}",
                                     component=self.component)
            return False
        self.core.events.normal(job, "SuccessfulCreate",
                                f"Created pod: {created['metadata']['name']}",
                                component=self.component)
        return True

    def _delete_pod(self, job: Obj, pod: Obj, *, counted: bool) -> None:
        """Delete a pod. `counted`: it is already in `failed` (a Job that failed stops its
        pods); otherwise (scale-down, suspend) it stays out of `failed`, as upstream removes
        the tracking finalizer before such deletions. Either way it is not counted again."""
        md = pod["metadata"]
        self._jobs[job["metadata"]["uid"]].counted.add(md["uid"])
        try:
            self.core.api.delete("Pod", md["name"], md["namespace"])
        except ClusterError:
            return
        self.core.events.normal(job, "SuccessfulDelete", f"Deleted pod: {md['name']}",
                                component=self.component)

    def _untrack(self, pods: list[Obj]) -> None:
        """Drop the tracking finalizer from the pods just counted, as upstream does once a
        pod's outcome is in the Job's status."""
        for pod in pods:
            md = pod["metadata"]
            if TRACKING_FINALIZER not in (md.get("finalizers") or ()):
                continue
            current = self.core.store.get("Pod", md["namespace"], md["name"])
            if current is None or current["metadata"]["uid"] != md["uid"]:
                continue
            cur_md = current["metadata"]
            rest = [f for f in cur_md.get("finalizers") or () if f != TRACKING_FINALIZER]
            new_md = {k: v for k, v in cur_md.items() if k != "finalizers"}
            if rest:
                new_md["finalizers"] = rest
            self.core.api.update_status({**current, "metadata": new_md})

    def _write(self, job: Obj, status: dict[str, Any]) -> None:
        for zero in ("active", "succeeded", "failed"):
            if not status.get(zero):
                status.pop(zero, None)
        current = self.core.store.get("Job", job["metadata"]["namespace"],
                                      job["metadata"]["name"])
        if current is None:
            return
        self.core.api.update_status({**current, "status": status})

    def _record_finished(self, job: Obj, finishing: tuple[str, str, str], succeeded: int
                         ) -> None:
        ctype, reason, message = finishing
        if ctype == "Complete":
            completions = job["spec"].get("completions")
            if completions is not None and succeeded > int(completions):
                self.core.events.warning(job, "TooManySucceededPods",
                                         "Too many succeeded pods running after completion "
                                         "count reached", component=self.component)
            self.core.events.normal(job, "Completed", "Job completed", component=self.component)
        else:
            self.core.events.warning(job, reason, message, component=self.component)


def _removal_order(pod: Obj) -> tuple[int, int, int]:
    """controller.ActivePods order: unscheduled, then pending, then not ready go first."""
    phase = (pod.get("status") or {}).get("phase")
    return (1 if pod["spec"].get("nodeName") else 0, 1 if phase == "Running" else 0,
            1 if pod_ready(pod) else 0)


def _new_condition(ctype: str, reason: str, message: str, now: float) -> dict[str, Any]:
    ts = timestamp(now)
    return {"type": ctype, "status": "True", "lastProbeTime": ts, "lastTransitionTime": ts,
            "reason": reason, "message": message}


__all__ = ["INDEX_KEY", "JobController", "is_finished"]
