"""CronJob checks: runs on schedule, concurrencyPolicy, history limits, suspend and resume,
and the manual trigger."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from k8slab.cluster import objects as o
from k8slab.cluster.cron import Schedule, ScheduleError, parse_schedule
from k8slab.grading.checks import check
from k8slab.grading.context import CheckResult, GradingContext, fail, ok
from k8slab.grading.evidence import join, missing, parse_time, plural
from k8slab.grading.lives import JobLife, job_lives

Obj = dict[str, Any]

MANUAL = "cronjob.kubernetes.io/instantiate"
SCHEDULED_AT = "batch.kubernetes.io/cronjob-scheduled-timestamp"


def _cronjob(ctx: GradingContext, p: dict[str, Any]) -> tuple[Obj | None, str]:
    ns = ctx.ns(p)
    return ctx.state.last_seen("CronJob", p["cronjob"], ns), ns


def _owned(job: Obj, cronjob: str) -> bool:
    ref = o.owner(job)
    return bool(ref and ref.get("kind") == "CronJob" and ref.get("name") == cronjob)


def jobs_of(ctx: GradingContext, cronjob: str, ns: str) -> list[Obj]:
    """Every Job the CronJob owns or owned (the last state of deleted ones), by name."""
    live = [j for j in ctx.list("Job", ns) if _owned(j, cronjob)]
    gone = [j for j in ctx.state.deleted("Job", ns) if _owned(j, cronjob)]
    return sorted(live + gone, key=o.name)


def is_manual(job: Obj) -> bool:
    return o.annotations(job).get(MANUAL) == "manual"


def scheduled_time(job: Obj, cronjob: str) -> datetime | None:
    """When the controller meant this Job to run: its annotation, or its name's minutes."""
    t = parse_time(o.annotations(job).get(SCHEDULED_AT))
    if t is None:
        m = re.fullmatch(re.escape(cronjob) + r"-(\d+)", o.name(job))
        if m is None:
            return None
        t = int(m.group(1)) * 60.0
    return datetime.fromtimestamp(t, tz=timezone.utc)


def _scheduled_names(ctx: GradingContext, cronjob: str, ns: str) -> set[str]:
    """Names of the Jobs the controller made on schedule (not by hand)."""
    return {o.name(j) for j in jobs_of(ctx, cronjob, ns) if not is_manual(j)}


def _lives(ctx: GradingContext, cronjob: str, ns: str) -> list[JobLife]:
    return job_lives(ctx.history, ns, owner=f"CronJob/{cronjob}")


def _hhmm(t: datetime) -> str:
    return t.strftime("%H:%M")


def _allowed(schedule: Schedule, t: datetime) -> bool:
    """Whether the schedule fires at `t`: its fields matched directly, as robfig/cron does
    (day of month and day of week are ANDed when either is `*`, ORed otherwise)."""
    if schedule.every is not None or not schedule.fields:
        try:
            return schedule.next_after(t - timedelta(seconds=1)) == t
        except ScheduleError:
            return False
    local = t.astimezone(schedule.zone)
    minutes, hours, dom, months, dow = schedule.fields
    if local.second or local.minute not in minutes or local.hour not in hours \
            or local.month not in months:
        return False
    dom_ok, dow_ok = local.day in dom, local.isoweekday() % 7 in dow
    if schedule.stars[2] or schedule.stars[4]:
        return dom_ok and dow_ok
    return dom_ok or dow_ok


@check("cronjob-schedules")
def schedules(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    cj, ns = _cronjob(ctx, p)
    name, want = p["cronjob"], int(p.get("min-jobs") or 1)
    if cj is None:
        return missing("CronJob", name, ns)
    expr, tz = str(o.dig(cj, "spec.schedule", "")), o.dig(cj, "spec.timeZone")
    try:
        schedule = parse_schedule(expr, tz)
    except ScheduleError as err:
        return fail(f"{name}'s schedule {expr!r} is invalid: {err.message}", err.hint or "")
    runs = [j for j in jobs_of(ctx, name, ns) if not is_manual(j)]
    times = []
    for job in runs:
        at = scheduled_time(job, name)
        if at is None:
            continue
        if not _allowed(schedule, at):
            return fail(f"{o.name(job)} ran at {_hhmm(at)}, which {name}'s schedule {expr!r} "
                        f"does not allow", "the CronJob controller only starts Jobs at the "
                                           "schedule's times")
        times.append(at)
    if len(runs) < want:
        nxt = ""
        last = parse_time(o.dig(cj, "status.lastScheduleTime"))
        if last is not None:
            try:
                nxt = "; the next run is at " + _hhmm(schedule.next_after(
                    datetime.fromtimestamp(last, tz=timezone.utc)))
            except ScheduleError:
                nxt = ""
        return fail(f"{name} has created {plural(len(runs), 'Job')} on its schedule "
                    f"({schedule.describe()}) so far, want {want}{nxt}",
                    "wait, or jump the clock to the next run")
    shown = f" at {join(_hhmm(t) for t in sorted(times))}" if times else ""
    return ok(f"{name} created {plural(len(runs), 'Job')} on schedule {expr!r} "
              f"({schedule.describe()}){shown}")


def _overlaps(lives: list[JobLife], names: set[str]) -> list[tuple[JobLife, JobLife]]:
    """Pairs of scheduled Jobs that were active at the same time."""
    runs = [life for life in lives if life.name in names and life.created]
    out = []
    for i, a in enumerate(runs):
        for b in runs[i + 1:]:
            a_end = a.ended.index if a.ended else None
            assert b.created is not None
            if a_end is None or b.created.index < a_end:
                out.append((a, b))
    return out


def _policy_events(ctx: GradingContext, cronjob: str, ns: str, reason: str) -> int:
    return sum(1 for ev in ctx.list("Event", ns)
               if o.dig(ev, "involvedObject.kind") == "CronJob"
               and o.dig(ev, "involvedObject.name") == cronjob and ev.get("reason") == reason)


@check("cronjob-concurrency")
def concurrency(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    cj, ns = _cronjob(ctx, p)
    name, want = p["cronjob"], p["policy"]
    if cj is None:
        return missing("CronJob", name, ns)
    actual = o.dig(cj, "spec.concurrencyPolicy") or "Allow"
    lives = _lives(ctx, name, ns)
    names = _scheduled_names(ctx, name, ns) | {life.name for life in lives
                                               if re.fullmatch(re.escape(name) + r"-\d+",
                                                               life.name)}
    overlaps = _overlaps(lives, names)
    if actual != want:
        seen = f": {overlaps[0][0].name} and {overlaps[0][1].name} ran at the same time" \
            if overlaps else ""
        return fail(f"{name} uses concurrencyPolicy {actual} (want {want}){seen}",
                    f"set spec.concurrencyPolicy: {want} and apply it again")
    runs = [life for life in lives if life.name in names]
    if not runs and not names:
        return fail(f"{name} uses {want} but has not run yet",
                    "wait, or jump the clock to the next run")
    if want in ("Forbid", "Replace") and overlaps:
        a, b = overlaps[0]
        return fail(f"{a.name} and {b.name} ran at the same time despite {want}",
                    "the CronJob controller should not overlap runs under this policy")
    if want == "Forbid":
        skipped = _policy_events(ctx, name, ns, "JobAlreadyActive")
        acted = f"; it skipped {plural(skipped, 'run')} while a Job was still active" \
            if skipped else "; no run has overlapped yet"
        return ok(f"{name} uses Forbid and never ran two Jobs at once{acted}")
    if want == "Replace":
        replaced = [life for life in runs if life.deleted and not life.finished]
        acted = f"; it replaced {join(life.name for life in replaced)}" if replaced else \
            "; no run has been replaced yet"
        return ok(f"{name} uses Replace and never ran two Jobs at once{acted}")
    acted = f"; {overlaps[0][0].name} and {overlaps[0][1].name} ran at the same time" \
        if overlaps else ""
    return ok(f"{name} uses Allow: runs may overlap{acted}")


def _finished_state(job: Obj) -> str:
    if o.condition_true(job, "Complete"):
        return "succeeded"
    if o.condition_true(job, "Failed"):
        return "failed"
    return ""


@check("cronjob-history-limits")
def history_limits(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    cj, ns = _cronjob(ctx, p)
    name = p["cronjob"]
    if cj is None or ctx.get("CronJob", name, ns) is None:
        return missing("CronJob", name, ns)
    limits = {"succeeded": o.dig(cj, "spec.successfulJobsHistoryLimit"),
              "failed": o.dig(cj, "spec.failedJobsHistoryLimit")}
    limits = {"succeeded": 3 if limits["succeeded"] is None else int(limits["succeeded"]),
              "failed": 1 if limits["failed"] is None else int(limits["failed"])}
    live = [j for j in ctx.list("Job", ns) if _owned(j, name)]
    kept = {k: [o.name(j) for j in live if _finished_state(j) == k] for k in limits}
    for k, names in kept.items():
        if len(names) > limits[k]:
            return fail(f"{name} keeps {len(names)} {k} Jobs, more than its limit of "
                        f"{limits[k]}", "the CronJob controller should prune the oldest")
    # Replay History: a finished Job deleted while more of its kind were kept than the limit
    # allows was pruned by the controller.
    finished: dict[str, list[str]] = {"succeeded": [], "failed": []}
    pruned: list[str] = []
    lives = {life.uid or life.name: life for life in _lives(ctx, name, ns)}
    for t in ctx.history:
        if t.kind != "Job" or t.namespace != ns or (t.uid or t.name) not in lives:
            continue
        if t.what == "complete":
            finished["succeeded"].append(t.name)
        elif t.what == "failed":
            finished["failed"].append(t.name)
        elif t.what == "deleted":
            for k, group in finished.items():
                if t.name in group:
                    if len(group) > limits[k]:
                        pruned.append(t.name)
                    group.remove(t.name)
    summary = (f"keeps {len(kept['succeeded'])} succeeded (limit {limits['succeeded']}) and "
               f"{len(kept['failed'])} failed (limit {limits['failed']})")
    if not pruned:
        total = len([life for life in lives.values() if life.finished])
        return fail(f"{name} has finished {plural(total, 'Job')} and {summary}: nothing has "
                    f"been pruned yet", "let it run more times than its history limit "
                                        "(jump the clock to the next run)")
    return ok(f"{name} pruned {join(pruned)} and {summary}")


def _window_runs(ctx: GradingContext, name: str, ns: str, start: int, end: int) -> list[str]:
    manual = {o.name(j) for j in jobs_of(ctx, name, ns) if is_manual(j)}
    return [life.name for life in _lives(ctx, name, ns)
            if life.created and start < life.created.index < end and life.name not in manual]


@check("cronjob-suspend-resume")
def suspend_resume(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    cj, ns = _cronjob(ctx, p)
    name = p["cronjob"]
    if cj is None:
        return missing("CronJob", name, ns)
    marks = [(i, t) for i, t in enumerate(ctx.history)
             if t.kind == "CronJob" and t.name == name and t.namespace == ns
             and t.what in ("suspended", "resumed")]
    patch = "kubectl patch cronjob %s -p '{\"spec\":{\"suspend\":%s}}'"
    for k, (i, t) in enumerate(marks):
        if t.what != "suspended":
            continue
        resumed = next(((j, r) for j, r in marks[k + 1:] if r.what == "resumed"), None)
        if resumed is None:
            ran = _window_runs(ctx, name, ns, i, len(ctx.history))
            if ran:
                return fail(f"{join(ran)} started while {name} was suspended",
                            "a suspended CronJob starts no Jobs")
            return fail(f"{name} has been suspended for {ctx.now - t.time:.0f}s, with no runs; "
                        f"now resume it", patch % (name, "false"))
        j, r = resumed
        ran = _window_runs(ctx, name, ns, i, j)
        if ran:
            return fail(f"{join(ran)} started while {name} was suspended",
                        "a suspended CronJob starts no Jobs")
        return ok(f"{name} was suspended for {r.time - t.time:.0f}s, started no Job meanwhile, "
                  f"and was resumed")
    return fail(f"{name} has not been suspended yet", patch % (name, "true"))


@check("cronjob-manual-trigger")
def manual_trigger(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    cj, ns = _cronjob(ctx, p)
    name = p["cronjob"]
    if cj is None:
        return missing("CronJob", name, ns)
    manual = [j for j in jobs_of(ctx, name, ns) if is_manual(j)]
    if manual:
        job = manual[-1]
        state = _finished_state(job) or "running"
        gone = "" if ctx.get("Job", o.name(job), ns) else ", since deleted"
        return ok(f"{o.name(job)} was created from {name} by hand ({state}{gone})")
    strays = [o.name(j) for j in ctx.list("Job", ns) if not _owned(j, name) and
              o.dig(j, "spec.template.spec") == o.dig(cj, "spec.jobTemplate.spec.template.spec")]
    if strays:
        return fail(f"{strays[0]} copies {name}'s template but was not created from it (no "
                    f"owner reference or {MANUAL} annotation)",
                    f"kubectl create job {strays[0]} --from=cronjob/{name}")
    return fail(f"no Job has been created from {name} by hand yet",
                f"kubectl create job manual-{name} --from=cronjob/{name}")
