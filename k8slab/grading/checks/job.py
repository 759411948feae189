"""Job checks: completion, parallelism, retries, failure reasons, TTL clean-up."""

from __future__ import annotations

from typing import Any

from k8slab.cluster import objects as o
from k8slab.grading.checks import check
from k8slab.grading.context import CheckResult, GradingContext, fail, ok
from k8slab.grading.evidence import (
    missing,
    owned_pods,
    parse_time,
    plural,
    pod_problem,
)
from k8slab.grading.lives import max_concurrent, pod_lives

Obj = dict[str, Any]


def _job(ctx: GradingContext, p: dict[str, Any]) -> tuple[Obj | None, str]:
    """The Job, or the last state of it if it is gone (TTL), and its namespace."""
    ns = ctx.ns(p)
    return ctx.state.last_seen("Job", p["job"], ns), ns


def _counts(job: Obj) -> str:
    st = job.get("status") or {}
    completions = o.dig(job, "spec.completions")
    done = f"{st.get('succeeded', 0)}/{completions}" if completions is not None else \
        str(st.get("succeeded", 0))
    parts = [f"{done} succeeded"]
    if st.get("failed"):
        parts.append(f"{st['failed']} failed")
    if st.get("active"):
        parts.append(f"{st['active']} active")
    return ", ".join(parts)


def _state(job: Obj) -> tuple[str, str]:
    """("complete" | "failed" | "suspended" | "running", reason/message)."""
    if o.condition_true(job, "Complete"):
        return "complete", ""
    cond = o.condition(job, "Failed")
    if cond and cond.get("status") == "True":
        reason = str(cond.get("reason") or "")
        msg = str(cond.get("message") or "")
        return "failed", reason + (f" ({msg.rstrip('.')})" if msg else "")
    if o.dig(job, "spec.suspend"):
        return "suspended", ""
    return "running", ""


def _duration(job: Obj) -> str:
    start, end = parse_time(o.dig(job, "status.startTime")), \
        parse_time(o.dig(job, "status.completionTime"))
    return f" in {end - start:.0f}s" if start is not None and end is not None else ""


def _pending_pod(ctx: GradingContext, job: Obj, ns: str) -> str:
    for pod in owned_pods(ctx, "Job", o.name(job), ns):
        if o.pod_phase(pod) == "Pending":
            return f"; {o.name(pod)} is {pod_problem(ctx, pod)}"
    return ""


@check("job-complete")
def complete(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    job, ns = _job(ctx, p)
    name = p["job"]
    if job is None:
        if ctx.select(kind="Job", name=name, namespace=ns, what="complete"):
            return ok(f"{name} completed (and has since been deleted)")
        return missing("Job", name, ns)
    state, why = _state(job)
    if state == "complete":
        gone = "" if ctx.get("Job", name, ns) else " (and has since been deleted)"
        return ok(f"{name} completed: {_counts(job)}{_duration(job)}{gone}")
    if state == "failed":
        return fail(f"{name} failed: {why}", f"kubectl logs job/{name} shows what went wrong; "
                                             f"fix it, delete the Job and apply it again")
    if state == "suspended":
        return fail(f"{name} is suspended: {_counts(job)}",
                    f"resume it: kubectl patch job {name} -p '{{\"spec\":{{\"suspend\":false}}}}'")
    return fail(f"{name} has not completed yet: {_counts(job)}{_pending_pod(ctx, job, ns)}",
                "wait for it to finish (kubectl get job -w)")


def _intervals(ctx: GradingContext, name: str, ns: str) -> tuple[int, int]:
    """The most pods of a Job active at once: from History, and from the pods' own times.

    Both can only under-count (History begins when k8slab started watching; timestamps are
    whole seconds, which never makes two pods that did not overlap look as if they had), so
    the larger one is the better estimate.
    """
    lives = pod_lives(ctx.history, ns, owner=f"Job/{name}")
    from_history = max_concurrent(
        (float(life.created.index), float(life.ended.index) if life.ended else None)
        for life in lives if life.created)
    spans: list[tuple[float, float | None]] = []
    for pod in owned_pods(ctx, "Job", name, ns, everything=True):
        start = parse_time(o.dig(pod, "status.startTime")) or \
            parse_time(o.dig(pod, "metadata.creationTimestamp"))
        if start is None:
            continue
        ends = [parse_time((s.get("state") or {}).get("terminated", {}).get("finishedAt"))
                for s in o.dig(pod, "status.containerStatuses", []) or []]
        finished = [e for e in ends if e is not None]
        if o.pod_phase(pod) in ("Succeeded", "Failed"):
            spans.append((start, max(finished) if finished else start))
        else:
            spans.append((start, None))
    return from_history, max_concurrent(spans)


@check("job-parallelism")
def parallelism(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    job, ns = _job(ctx, p)
    name = p["job"]
    if job is None:
        return missing("Job", name, ns)
    limit = int(o.dig(job, "spec.parallelism", 1) if o.dig(job, "spec.parallelism")
                is not None else 1)
    completions = o.dig(job, "spec.completions")
    target = min(limit, int(completions)) if completions is not None else limit
    peak = max(_intervals(ctx, name, ns))
    if peak > limit:
        return fail(f"up to {peak} pods of {name} ran at once, more than its parallelism "
                    f"{limit}", "the Job controller should never exceed parallelism")
    succeeded = int(o.dig(job, "status.succeeded", 0) or 0)
    state, why = _state(job)
    if state == "failed":
        return fail(f"{name} failed before reaching its completions: {why}",
                    f"kubectl logs job/{name} shows why its pods fail")
    if completions is not None and succeeded < int(completions):
        return fail(f"{name} has {succeeded}/{completions} completions so far "
                    f"(at most {plural(peak, 'pod')} at once, parallelism {limit})",
                    "wait for it to finish (kubectl get job -w)")
    if completions is None and not o.condition_true(job, "Complete"):
        return fail(f"{name} has not completed yet ({_counts(job)})", "wait for it to finish")
    if peak < target:
        return fail(f"{name} never ran more than {plural(peak, 'pod')} at once "
                    f"(parallelism {limit})",
                    "set spec.parallelism and give the pods work long enough to overlap")
    done = f"{succeeded}/{completions}" if completions is not None else str(succeeded)
    return ok(f"{name} ran {peak} pods at once (parallelism {limit}) and reached {done} "
              f"completions")


@check("job-retries")
def retries(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    job, ns = _job(ctx, p)
    name = p["job"]
    if job is None:
        return missing("Job", name, ns)
    limit = o.dig(job, "spec.backoffLimit")
    limit = 6 if limit is None else int(limit)
    policy = o.dig(job, "spec.template.spec.restartPolicy", "Never")
    lives = pod_lives(ctx.history, ns, owner=f"Job/{name}")
    failed_pods = max(int(o.dig(job, "status.failed", 0) or 0),
                      sum(1 for life in lives if life.failed))
    restarts = sum(life.restarts for life in lives)
    for pod in owned_pods(ctx, "Job", name, ns, everything=True):
        counted = next((life.restarts for life in lives if life.uid == o.uid(pod)), 0)
        now = sum(int(s.get("restartCount", 0) or 0)
                  for s in o.dig(pod, "status.containerStatuses", []) or [])
        restarts += max(0, now - counted)
    failures = failed_pods + restarts
    state, why = _state(job)
    how = "restarted containers" if policy == "OnFailure" else "new pods"
    if state == "failed":
        return fail(f"{name} failed after {plural(failures, 'failure')} "
                    f"(backoffLimit {limit}): {why}",
                    "raise backoffLimit or make the task fail less often")
    if failures == 0:
        if state == "complete":
            return fail(f"{name} completed at the first attempt: nothing failed, so nothing "
                        f"was retried", "run it again (delete and re-apply) until an attempt "
                                        "fails")
        return fail(f"no attempt of {name} has failed yet ({_counts(job)})",
                    "wait: the task fails at random")
    if failures > limit:
        return fail(f"{name} retried {failures} times, beyond its backoffLimit {limit}",
                    "the Job controller should stop at backoffLimit")
    if state != "complete":
        return fail(f"{name} has retried {plural(failures, 'time')} with {how} (backoffLimit "
                    f"{limit}) and is still running", "wait for it to finish")
    return ok(f"{name} retried {plural(failures, 'time')} with {how}, within backoffLimit "
              f"{limit}, and completed")


@check("job-failed")
def failed(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    job, ns = _job(ctx, p)
    name, reason = p["job"], p["reason"]
    if job is None:
        gone = ctx.select(kind="Job", name=name, namespace=ns, what="failed")
        if gone and gone[-1].detail.get("reason") == reason:
            return ok(f"{name} failed with {reason} (and has since been deleted)")
        return missing("Job", name, ns)
    state, why = _state(job)
    if state == "failed":
        got = str((o.condition(job, "Failed") or {}).get("reason") or "")
        if got == reason:
            return ok(f"{name} failed with {why}")
        return fail(f"{name} failed with {got}, not {reason}", _FAIL_HINTS[reason])
    if state == "complete":
        return fail(f"{name} completed successfully; it was meant to fail with {reason}",
                    _FAIL_HINTS[reason])
    deadline = o.dig(job, "spec.activeDeadlineSeconds")
    extra = f"; activeDeadlineSeconds is {deadline}s" if deadline and \
        reason == "DeadlineExceeded" else ""
    return fail(f"{name} has not failed yet ({_counts(job)}){extra}",
                "wait (or advance the clock) until the Job controller gives up")


_FAIL_HINTS = {
    "BackoffLimitExceeded": "a Job fails with BackoffLimitExceeded when more pods fail than "
                            "backoffLimit allows",
    "DeadlineExceeded": "a Job fails with DeadlineExceeded when it runs longer than "
                        "activeDeadlineSeconds",
}


def _deleted_by_hand(ctx: GradingContext, name: str, ns: str) -> bool:
    target = f"Job/{name}"
    return any(t.detail.get("ok") and t.detail.get("action") in ("delete", "delete-manifest")
               and target in (t.detail.get("objects") or ())
               for t in ctx.select(kind="Lab", what="action", namespace=ns))


@check("job-ttl-cleanup")
def ttl_cleanup(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    job, ns = _job(ctx, p)
    name = p["job"]
    if job is None:
        return missing("Job", name, ns)
    ttl = o.dig(job, "spec.ttlSecondsAfterFinished")
    if ttl is None:
        return fail(f"{name} has no ttlSecondsAfterFinished, so nothing cleans it up",
                    "set spec.ttlSecondsAfterFinished")
    ttl = int(ttl)
    transitions = ctx.select(kind="Job", name=name, namespace=ns)
    finished = next((t for t in transitions if t.what in ("complete", "failed")), None)
    if ctx.get("Job", name, ns) is not None:
        state, _ = _state(job)
        if state not in ("complete", "failed"):
            return fail(f"{name} has not finished yet ({_counts(job)}); its TTL of {ttl}s "
                        f"starts when it does", "wait for it to finish")
        if finished is None:
            return fail(f"{name} finished; its TTL of {ttl}s removes it afterwards",
                        "wait, or advance the clock")
        left = max(0.0, ttl - (ctx.now - finished.time))
        return fail(f"{name} finished {ctx.now - finished.time:.0f}s ago; its TTL of {ttl}s "
                    f"removes it in about {left:.0f}s", "wait, or advance the clock")
    deleted = next((t for t in transitions if t.what == "deleted"), None)
    if deleted is None or finished is None:
        return fail(f"{name} is gone, but k8slab did not see it finish and be deleted",
                    "apply the Job again and let its TTL remove it")
    if _deleted_by_hand(ctx, name, ns):
        return fail(f"{name} was deleted by hand, not by its TTL", "let the TTL remove it")
    after = deleted.time - finished.time
    if after + 2.0 < ttl:  # timestamps and watch delivery blur a second or two
        return fail(f"{name} was deleted {after:.0f}s after it finished, before its TTL of "
                    f"{ttl}s: it was deleted by hand", "let the TTL remove it")
    return ok(f"{name} finished and was deleted {after:.0f}s later by its "
              f"ttlSecondsAfterFinished ({ttl}s)")
