"""CronJobs: the schedule in words, the next runs, the active Jobs and the kept history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from k8slab.cluster import objects as o
from k8slab.cluster.cron import LESSON_SCHEDULE
from k8slab.state.mirror import ClusterState
from k8slab.tui.views import schedule
from k8slab.tui.views.timebase import Timebase
from k8slab.tui.views.tones import Tone


@dataclass(frozen=True, slots=True)
class RunChip:
    """One Job a CronJob made, oldest first, for the history strip."""

    job: str
    tone: Tone  # ok complete, bad failed, wait running


@dataclass(frozen=True, slots=True)
class CronJobRow:
    name: str
    schedule: str
    words: str
    time_zone: str
    suspended: bool
    policy: str  # concurrencyPolicy
    next_runs: tuple[float, ...]  # cluster seconds
    last_schedule: float | None
    active: tuple[str, ...]  # names of running Jobs
    history: tuple[RunChip, ...]
    keep_ok: int  # successfulJobsHistoryLimit
    keep_failed: int  # failedJobsHistoryLimit
    deadline: float | None  # startingDeadlineSeconds
    tone: Tone

    @property
    def kept(self) -> str:
        ok = sum(1 for c in self.history if c.tone == "ok")
        bad = sum(1 for c in self.history if c.tone == "bad")
        return f"✓{ok}/{self.keep_ok} ✗{bad}/{self.keep_failed}"


def cronjob_row(state: ClusterState, cj: dict[str, Any], tb: Timebase, now: float,
                runs: int = 3) -> CronJobRow:
    spec = cj.get("spec") or {}
    name = o.name(cj)
    sched = str(spec.get("schedule", ""))
    tz = str(spec.get("timeZone") or "")
    suspended = bool(spec.get("suspend"))
    next_runs = tuple(t - tb.unix_offset
                      for t in schedule.next_runs(cj, now + tb.unix_offset, runs))
    jobs = state.list("Job", owner=f"CronJob/{name}")
    jobs.sort(key=lambda j: (tb.parse(o.dig(j, "metadata.creationTimestamp")) or 0.0,
                             o.name(j)))
    chips = tuple(RunChip(o.name(j), _job_tone(j)) for j in jobs)
    active = tuple(str(ref.get("name", "")) for ref in o.dig(cj, "status.active", []) or [])
    if not active:
        active = tuple(c.job for c in chips if c.tone == "wait")
    tone: Tone = "idle" if suspended else ("wait" if active else "ok")
    if chips and chips[-1].tone == "bad":
        tone = "bad"
    words = schedule.describe(sched, tz or None)
    lesson_schedule = o.annotations(cj).get(LESSON_SCHEDULE)
    if lesson_schedule:  # applied with --fast-cron on a real cluster
        words += f"; lesson: {lesson_schedule}"
    return CronJobRow(
        name=name, schedule=sched, words=words, time_zone=tz,
        suspended=suspended, policy=str(spec.get("concurrencyPolicy") or "Allow"),
        next_runs=next_runs, last_schedule=tb.parse(o.dig(cj, "status.lastScheduleTime")),
        active=active, history=chips,
        keep_ok=int(_default(spec.get("successfulJobsHistoryLimit"), 3)),
        keep_failed=int(_default(spec.get("failedJobsHistoryLimit"), 1)),
        deadline=(float(spec["startingDeadlineSeconds"])
                  if spec.get("startingDeadlineSeconds") is not None else None),
        tone=tone)


def cronjob_rows(state: ClusterState, tb: Timebase, now: float) -> list[CronJobRow]:
    return [cronjob_row(state, cj, tb, now) for cj in state.list("CronJob")]


def _default(value: Any, default: int) -> int:
    return default if value is None else int(value)


def _job_tone(job: dict[str, Any]) -> Tone:
    if o.condition_true(job, "Complete"):
        return "ok"
    if o.condition_true(job, "Failed"):
        return "bad"
    return "wait"
