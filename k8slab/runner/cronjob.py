"""CronJob actions: the manual trigger as `kubectl create job --from=cronjob/NAME` builds it,
suspend and resume, and when the next scheduled run is."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from k8slab.cluster import objects as o
from k8slab.cluster.cron import ScheduleError, parse_schedule
from k8slab.cluster.protocol import Cluster
from k8slab.errors import ClusterError, NotFound
from k8slab.runner.outcome import Done

MANUAL_ANNOTATION = "cronjob.kubernetes.io/instantiate"


def job_from_cronjob(cronjob: Mapping[str, Any], job_name: str) -> dict[str, Any]:
    """The Job `kubectl create job NAME --from=cronjob/CRONJOB` creates.

    Like kubectl: the jobTemplate's labels and annotations, plus the annotation
    `cronjob.kubernetes.io/instantiate: manual`, and a controller owner reference to the
    CronJob, so the CronJob controller counts the Job as its own (history limits, `active`).
    """
    template = o.dig(cronjob, "spec.jobTemplate", {}) or {}
    tmeta = template.get("metadata") or {}
    annotations = {**(tmeta.get("annotations") or {}), MANUAL_ANNOTATION: "manual"}
    metadata: dict[str, Any] = {
        "name": job_name,
        "annotations": annotations,
        "ownerReferences": [{
            "apiVersion": str(cronjob.get("apiVersion") or "batch/v1"),
            "kind": "CronJob",
            "name": o.name(cronjob),
            "uid": o.uid(cronjob),
            "controller": True,
        }],
    }
    if tmeta.get("labels"):
        metadata["labels"] = dict(tmeta["labels"])
    if o.namespace(cronjob):
        metadata["namespace"] = o.namespace(cronjob)
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata,
            "spec": copy.deepcopy(template.get("spec") or {})}


def next_run(cronjobs: Iterable[Mapping[str, Any]], after: datetime, *, name: str | None = None
             ) -> tuple[datetime, str] | None:
    """The earliest next run (and its CronJob's name) among unsuspended CronJobs."""
    best: tuple[datetime, str] | None = None
    for cj in cronjobs:
        if name is not None and o.name(cj) != name:
            continue
        if o.dig(cj, "spec.suspend"):
            continue
        try:
            schedule = parse_schedule(str(o.dig(cj, "spec.schedule", "")),
                                      o.dig(cj, "spec.timeZone"))
            at = schedule.next_after(after)
        except ScheduleError:
            continue
        if best is None or at < best[0]:
            best = (at, o.name(cj))
    return best


def scheduled_times(cronjob: Mapping[str, Any], after: datetime, count: int
                    ) -> list[datetime]:
    """The next `count` times the CronJob's schedule names after `after`, whether or not it
    is suspended (a suspended CronJob lets them pass without a run).

    Raises:
        ScheduleError: the schedule or its time zone is invalid.
    """
    schedule = parse_schedule(str(o.dig(cronjob, "spec.schedule", "")),
                              o.dig(cronjob, "spec.timeZone"))
    times: list[datetime] = []
    for _ in range(count):
        after = schedule.next_after(after)
        times.append(after)
    return times


def past_scheduled_times(cronjob: Mapping[str, Any], now: float, unix_epoch: float,
                         count: int) -> float:
    """Cluster time a moment past the `count`-th scheduled time after cluster time `now`
    (`unix_epoch`: the cluster's), so that the controller's sync at that time has happened.

    Raises:
        ScheduleError: the schedule or its time zone is invalid.
    """
    times = scheduled_times(cronjob, utc(now + unix_epoch), count)
    return times[-1].timestamp() - unix_epoch + 1.0


def utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def trigger(cluster: Cluster, p: Mapping[str, Any]) -> Done:
    """`trigger-cronjob`: create the manual Job, refusing a name in use as kubectl does."""
    cj, name = cluster.get("CronJob", p["cronjob"]), str(p["job"])
    try:
        cluster.get("Job", name)
    except NotFound:
        pass
    else:
        raise ClusterError(f'jobs.batch "{name}" already exists',
                           "choose another name for the manual Job", reason="AlreadyExists")
    applied = tuple(cluster.apply([job_from_cronjob(cj, name)]))
    return Done(f"job.batch/{name} created", applied, (f"Job/{name}",))


def suspend(cluster: Cluster, name: str, value: bool) -> Done:
    """`suspend-cronjob` / `resume-cronjob`."""
    cluster.patch("CronJob", name, {"spec": {"suspend": value}}, patch_type="merge")
    return Done(f"cronjob.batch/{name} {'suspended' if value else 'resumed'}")
