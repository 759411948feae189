"""Time in the runner: advancing the clock, waiting for a check, settling the watch.

On the sim all of this runs on the virtual clock, so a five-minute wait takes milliseconds;
on a real cluster it is wall time, with a cap.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from k8slab.cluster import objects as o
from k8slab.cluster.kinds import WATCHED_KINDS
from k8slab.errors import ClusterError, K8slabError, Unsupported
from k8slab.grading.catalog import CHECKS
from k8slab.grading.checks import evaluate
from k8slab.grading.context import CheckResult, GradingContext
from k8slab.runner.cronjob import next_run, past_scheduled_times, utc
from k8slab.runner.outcome import ActionFailed

if TYPE_CHECKING:
    from k8slab.runner.runner import ActionRunner

# The longest a real-cluster `advance-clock` may block.
MAX_REAL_WAIT = 300.0
# What to do about a CronJob run too far away on a real cluster.
FAST_CRON_HINT = ("add --fast-cron so that the CronJobs the lab applies run every minute, wait "
                  "yourself, or use the embedded sim")
# How many other CronJobs' runs a jump to one CronJob's next run may pass.
MAX_CRON_JUMPS = 200
# A virtual clock that neither moves nor delivers events for this long (wall seconds) is stuck.
STUCK_AFTER = 5.0


def _virtual(runner: ActionRunner) -> bool:
    return bool(runner.cluster.capabilities.virtual_clock)


def advance_to(runner: ActionRunner, target: float) -> None:
    """Let the cluster run until its clock reaches `target`, keeping the state in sync.

    A virtual clock is moved there at once (its `advance`), even while a UI drives it in real
    time; a real cluster's clock is waited for.
    """
    cluster = runner.cluster
    if _virtual(runner):
        jump = getattr(cluster, "advance", None) or getattr(getattr(cluster, "clock", None),
                                                            "advance", None)
        if jump is not None:
            jump(max(0.0, target - cluster.now()))
            runner.sync()
            return
    last_progress = time.monotonic()
    while True:
        now = cluster.now()
        if now >= target:
            break
        cluster.pump(target)
        moved = runner.sync() > 0 or cluster.now() > now
        if moved:
            last_progress = time.monotonic()
        elif _virtual(runner) and time.monotonic() - last_progress > STUCK_AFTER:
            raise ClusterError("the sim's clock is not moving", "is it paused?",
                               reason="Unavailable")
    runner.sync()


def advance(runner: ActionRunner, p: Mapping[str, Any]) -> str:
    """The `advance-clock` action."""
    if p.get("to-next-cron"):
        return _to_next_cron(runner, p.get("cronjob"))
    if p.get("scheduled-times"):
        return _past_scheduled_times(runner, str(p.get("cronjob")), int(p["scheduled-times"]))
    seconds = float(p.get("seconds") or 0)
    if seconds <= 0:
        raise K8slabError("advance-clock needs seconds greater than 0, or to-next-cron: true")
    if not _virtual(runner) and seconds > MAX_REAL_WAIT:
        raise Unsupported(f"a real cluster's clock cannot be moved; waiting {seconds:g}s is "
                          f"more than k8slab waits ({MAX_REAL_WAIT:g}s)",
                          "wait yourself, or use the embedded sim")
    advance_to(runner, runner.cluster.now() + seconds)
    verb = "advanced the clock" if _virtual(runner) else "waited"
    return f"{verb} {seconds:g}s"


def _next_cron_time(runner: ActionRunner, name: str | None) -> float | None:
    """Cluster time of the next run of any CronJob, or of `name` on a real cluster."""
    cluster = runner.cluster
    if _virtual(runner):  # the sim keeps its CronJobs' next runs on its own clock
        sim_clock = getattr(cluster, "clock", None)
        found = sim_clock.next_cron_time() if sim_clock is not None else None
        return float(found) if found is not None else None
    # A real cluster: cluster time is Unix time, so the schedule gives it directly.
    at = next_run(cluster.list("CronJob"), utc(cluster.now()), name=name)
    return at[0].timestamp() if at else None


def _last_run(runner: ActionRunner, name: str) -> tuple[object, int]:
    """What changes when a CronJob runs: its lastScheduleTime and how many Jobs exist."""
    cj = runner.cluster.get("CronJob", name)
    jobs = [j for j in runner.cluster.list("Job")
            if (o.owner(j) or {}).get("name") == name and (o.owner(j) or {}).get("kind")
            == "CronJob"]
    return (cj.get("status") or {}).get("lastScheduleTime"), len(jobs)


def _to_next_cron(runner: ActionRunner, name: str | None) -> str:
    cluster = runner.cluster
    which = f"CronJob {name}" if name else "CronJob"
    if name and o.dig(cluster.get("CronJob", name), "spec.suspend"):
        raise K8slabError(f"CronJob {name} is suspended, so it has no next run",
                          "resume it first")
    start = cluster.now()
    before = _last_run(runner, name) if name else None
    # On the sim, jump from run to run until this CronJob's own run has happened; other
    # CronJobs' runs on the way happen too, as they would while waiting.
    for _ in range(MAX_CRON_JUMPS):
        target = _next_cron_time(runner, name)
        if target is None:
            raise K8slabError(f"no {which} has an upcoming run",
                              "apply a CronJob first (a suspended one never runs)")
        wait = target - cluster.now()
        if not _virtual(runner) and wait > MAX_REAL_WAIT:
            raise Unsupported(f"the next run of {which} is {wait:.0f}s away, longer than "
                              f"k8slab waits on a real cluster ({MAX_REAL_WAIT:g}s)",
                              FAST_CRON_HINT)
        # A moment past the run, so that the controller's sync at that time has happened.
        advance_to(runner, target + 1.0)
        if name is None or not _virtual(runner) or _last_run(runner, name) != before:
            break
    return f"jumped {cluster.now() - start:.0f}s to the next run of {which}"


def _past_scheduled_times(runner: ActionRunner, name: str, count: int) -> str:
    """Let `count` of the CronJob's scheduled times pass (it may be suspended meanwhile)."""
    cluster = runner.cluster
    start = cluster.now()
    target = past_scheduled_times(cluster.get("CronJob", name), start, cluster.unix_epoch,
                                  count)
    wait = target - start
    which = f"{count} of CronJob {name}'s scheduled times"
    if not _virtual(runner) and wait > MAX_REAL_WAIT:
        raise Unsupported(f"{which} take {wait:.0f}s to pass, longer than k8slab waits on a "
                          f"real cluster ({MAX_REAL_WAIT:g}s)", FAST_CRON_HINT)
    advance_to(runner, target)
    verb = "advanced the clock" if _virtual(runner) else "waited"
    return f"{verb} {wait:.0f}s, past {which}"


def parse_check(spec: Any) -> tuple[str, dict[str, Any]]:
    """A `wait: {for: ...}` check, written `{kind: K, ...params}` or `{K: {...params}}`.

    Raises:
        K8slabError: not a check k8slab knows, or wrong parameters.
    """
    if not isinstance(spec, Mapping) or not spec:
        raise K8slabError("wait needs `for:` naming a check, e.g. {statefulset-ready: "
                          "{statefulset: web}}")
    if "kind" in spec:
        kind, params = str(spec["kind"]), {k: v for k, v in spec.items() if k != "kind"}
    elif len(spec) == 1:
        kind, raw = next(iter(spec.items()))
        params = dict(raw) if isinstance(raw, Mapping) else {}
    else:
        raise K8slabError(f"wait's `for:` must name one check, not {sorted(spec)}")
    catalog = CHECKS.get(str(kind))
    if catalog is None:
        raise K8slabError(f"wait: unknown check kind {kind!r}",
                          "known: " + ", ".join(sorted(CHECKS)))
    problems = catalog.problems(params)
    if problems:
        raise K8slabError("wait: " + "; ".join(msg for _, msg in problems))
    return str(kind), params


def wait(runner: ActionRunner, p: Mapping[str, Any]) -> str:
    """The `wait` action: let the cluster run until a check passes, or time out."""
    kind, params = parse_check(p.get("for"))
    timeout = float(p.get("timeout") or 300)
    cluster = runner.cluster
    ctx = GradingContext(runner.state, runner.namespace, runner.answers)
    start = cluster.now()
    deadline = start + timeout
    seen: tuple[int, int] | None = None
    result: CheckResult | None = None
    last_progress = time.monotonic()
    while True:
        with runner.lock:  # checks read the state; nobody may fold events in meanwhile
            runner.sync()
            key = (runner.state.generation, len(runner.state.history))
            if key != seen or result is None:
                result = evaluate(kind, params, ctx)
                seen = key
                last_progress = time.monotonic()
        if result.passed:
            return f"{kind}: {result.detail} (after {cluster.now() - start:.0f}s)"
        now = cluster.now()
        if now >= deadline:
            raise ActionFailed(f"timed out after {timeout:g}s waiting for {kind}: "
                               f"{result.detail}", result.hint or None)
        cluster.pump(deadline if _virtual(runner) else min(deadline, now + 1.0))
        if cluster.now() > now:
            last_progress = time.monotonic()
        elif _virtual(runner) and time.monotonic() - last_progress > STUCK_AFTER:
            raise ActionFailed(f"the sim's clock stopped while waiting for {kind}: "
                               f"{result.detail}", "is it paused?")


def settle(runner: ActionRunner, timeout: float) -> None:
    """Wait until the watch has delivered every object the cluster lists now."""
    cluster = runner.cluster
    unwatched = getattr(cluster, "unwatched", {}) or {}
    expected: list[tuple[str, str, str]] = []
    for kind in WATCHED_KINDS:
        if kind in unwatched or kind == "Event":
            continue
        try:
            for obj in cluster.list(kind):
                md = obj.get("metadata") or {}
                expected.append((kind, str(md.get("namespace") or ""), str(md.get("name"))))
        except ClusterError:
            continue
    deadline = cluster.now() + timeout
    while True:
        runner.sync()
        missing = [k for k in expected if runner.state.get(k[0], k[2], k[1] or None) is None]
        now = cluster.now()
        if not missing or now >= deadline:
            return
        cluster.pump(min(deadline, now + 0.5))
