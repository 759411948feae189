"""Job progress: completions, parallelism, retries against the back-off limit, the deadline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from k8slab.cluster import objects as o
from k8slab.state.mirror import ClusterState
from k8slab.tui.views.timebase import Timebase
from k8slab.tui.views.tones import Tone


@dataclass(frozen=True, slots=True)
class JobRow:
    """One Job as a learner watches it run."""

    name: str
    owner: str  # "CronJob/backup" or ""
    completions: int | None  # None: a work queue (parallelism without completions)
    parallelism: int
    succeeded: int
    active: int
    failed: int
    backoff_limit: int
    restart_policy: str
    deadline: float | None  # activeDeadlineSeconds
    deadline_left: float | None  # seconds left before the deadline, None when none/finished
    ttl: float | None
    state: str  # Running, Complete, Failed, Suspended, Pending
    reason: str
    tone: Tone
    started: float | None
    finished: float | None

    @property
    def total(self) -> int:
        """The ProgressBar's total: completions, or 1 for a work queue."""
        return self.completions if self.completions is not None else 1

    @property
    def progress(self) -> int:
        if self.completions is None:
            return 1 if self.state == "Complete" else 0
        return min(self.succeeded, self.completions)

    @property
    def retries(self) -> str:
        """How close the Job is to giving up: it fails once more pods failed than its
        backoffLimit allows."""
        return f"{self.failed} failed (backoffLimit {self.backoff_limit})"


def job_row(job: dict[str, Any], tb: Timebase, now: float) -> JobRow:
    spec = job.get("spec") or {}
    status = job.get("status") or {}
    parallelism = int(spec.get("parallelism", 1) if spec.get("parallelism") is not None else 1)
    completions = spec.get("completions")
    if completions is None and spec.get("parallelism") is None:
        completions = 1  # neither set: a single-completion Job
    started = tb.parse(status.get("startTime"))
    finished = tb.parse(status.get("completionTime"))
    deadline = spec.get("activeDeadlineSeconds")
    state, reason, tone = _state(job)
    if state == "Failed" and finished is None:
        finished = tb.parse((o.condition(job, "Failed") or {}).get("lastTransitionTime"))
    left = None
    if deadline is not None and started is not None and state in ("Running", "Pending"):
        left = started + float(deadline) - now
    ref = o.owner(job)
    return JobRow(
        name=o.name(job), owner=f"{ref['kind']}/{ref['name']}" if ref else "",
        completions=int(completions) if completions is not None else None,
        parallelism=parallelism,
        succeeded=int(status.get("succeeded", 0) or 0),
        active=int(status.get("active", 0) or 0),
        failed=int(status.get("failed", 0) or 0),
        backoff_limit=int(spec.get("backoffLimit", 6) if spec.get("backoffLimit") is not None
                          else 6),
        restart_policy=str(o.dig(spec, "template.spec.restartPolicy", "") or ""),
        deadline=float(deadline) if deadline is not None else None, deadline_left=left,
        ttl=(float(spec["ttlSecondsAfterFinished"])
             if spec.get("ttlSecondsAfterFinished") is not None else None),
        state=state, reason=reason, tone=tone, started=started, finished=finished)


def _state(job: dict[str, Any]) -> tuple[str, str, Tone]:
    if o.condition_true(job, "Complete"):
        return "Complete", "", "ok"
    if o.condition_true(job, "Failed"):
        return "Failed", str((o.condition(job, "Failed") or {}).get("reason", "")), "bad"
    if o.dig(job, "spec.suspend"):
        return "Suspended", "", "idle"
    if o.dig(job, "status.startTime"):
        return "Running", "", "wait"
    return "Pending", "", "wait"


def job_rows(state: ClusterState, tb: Timebase, now: float) -> list[JobRow]:
    """Every Job in the lab namespace, standalone Jobs first, then by name."""
    rows = [job_row(job, tb, now) for job in state.list("Job")]
    return sorted(rows, key=lambda r: (bool(r.owner), r.owner, r.started or 0.0, r.name))
