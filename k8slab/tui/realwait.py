"""`advance-clock` on a real cluster, the lab's way: nobody can move a real cluster's clock,
so the lab starts a countdown and the learner watches the panes while real time passes.

The shared runner would block in its thread for the whole wait, holding the mirror's lock, and
the panes would freeze; a countdown keeps them live.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from k8slab.actions import Action
from k8slab.cluster.cron import ScheduleError
from k8slab.runner.clock import FAST_CRON_HINT, MAX_REAL_WAIT
from k8slab.runner.cronjob import next_run, past_scheduled_times
from k8slab.state.mirror import ClusterState
from k8slab.tui.views.timebase import Timebase, short


@dataclass(frozen=True, slots=True)
class Countdown:
    """Real time the learner is waiting for: `what`, from `start` to `end` (cluster seconds)."""

    what: str
    start: float
    end: float

    def left(self, now: float) -> float:
        return max(0.0, self.end - now)


def countdown(action: Action, state: ClusterState, tb: Timebase, now: float
              ) -> tuple[Countdown | None, str, str]:
    """The countdown for an `advance-clock` action, or (None, why not, hint)."""
    p = action.params
    if p.get("scheduled-times"):
        owner, count = str(p.get("cronjob")), int(p["scheduled-times"])
        cj = state.get("CronJob", owner)
        if cj is None:
            return None, f"there is no CronJob {owner}", "apply it first"
        try:
            target = past_scheduled_times(cj, now, tb.unix_offset, count)
        except ScheduleError as exc:
            return None, exc.message, exc.hint or ""
        what = f"{count} of {owner}'s scheduled times"
    elif p.get("to-next-cron"):
        name = p.get("cronjob")
        found = next_run(state.list("CronJob"), tb.wall(now), name=name)
        which = f"CronJob {name}" if name else "a CronJob"
        if found is None:
            return None, f"{which} has no upcoming run", \
                "apply a CronJob first (a suspended one never runs)"
        at, cronjob = found
        target = at.timestamp() - tb.unix_offset + 1.0  # a moment past the run
        what = f"the next run of {cronjob}"
    else:
        seconds = float(p.get("seconds") or 0)
        if seconds <= 0:
            return None, "advance-clock needs seconds greater than 0", \
                "or to-next-cron: true"
        target, what = now + seconds, f"{short(seconds)} of real time"
    if target - now > MAX_REAL_WAIT:
        hint = FAST_CRON_HINT if p.get("to-next-cron") or p.get("scheduled-times") else \
            "wait yourself, or run the lab on the embedded sim"
        return None, (f"{what} is {short(target - now)} away: a real cluster's clock cannot "
                      "be moved"), hint
    return Countdown(what, now, target), f"waiting for {what} ({short(target - now)}); " \
        "watch the panes", ""


def record(state: ClusterState, lesson: str, namespace: str, action: Action, now: float,
           message: str, lock: Any) -> None:
    """Record the action in History as the runner records its own."""
    with lock:
        state.history.record(now, "Lab", lesson, "action", namespace=namespace,
                             action=action.kind, params=dict(action.params), ok=True,
                             message=message, objects=[])
