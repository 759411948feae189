"""advance-clock on a real cluster becomes a countdown the learner watches."""

from __future__ import annotations

import pytest

from k8slab.actions import Action
from k8slab.cluster.protocol import WatchEvent
from k8slab.state.mirror import ClusterState
from k8slab.tui.realwait import MAX_REAL_WAIT, countdown, record
from k8slab.tui.views.timebase import Timebase

# A real cluster's clock: Unix seconds. 2026-01-01T10:00:30Z.
NOW = 1767261630.0
TB = Timebase(NOW, 0.0)  # a real cluster: cluster time is Unix time


def cronjob(name: str, schedule: str, suspend: bool = False) -> WatchEvent:
    return WatchEvent("ADDED", {
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": name, "namespace": "lab", "uid": name, "resourceVersion": "1"},
        "spec": {"schedule": schedule, "suspend": suspend, "jobTemplate": {}}}, NOW)


def test_seconds_become_a_countdown() -> None:
    timer, message, hint = countdown(Action("advance-clock", {"seconds": 120}),
                                     ClusterState("lab"), TB, NOW)
    assert timer is not None and hint == ""
    assert timer.end - timer.start == 120
    assert timer.left(NOW + 100) == 20 and timer.left(NOW + 500) == 0
    assert "2m of real time" in message


def test_to_next_cron_waits_for_the_schedule() -> None:
    state = ClusterState("lab")
    state.apply(cronjob("every-minute", "*/1 * * * *"))
    state.apply(cronjob("hourly", "0 * * * *"))
    timer, message, _ = countdown(Action("advance-clock", {"to-next-cron": True}), state, TB,
                                  NOW)
    assert timer is not None
    assert timer.end == NOW + 30 + 1  # 10:01:00, and a moment after
    assert "every-minute" in message
    timer, message, hint = countdown(Action("advance-clock", {"to-next-cron": True,
                                                              "cronjob": "hourly"}),
                                     state, TB, NOW)
    assert timer is None  # 59.5 minutes away: longer than the lab waits
    assert "cannot be moved" in message and hint.startswith("add --fast-cron")


def test_scheduled_times_count_down_even_while_suspended() -> None:
    state = ClusterState("lab")
    state.apply(cronjob("paused", "*/1 * * * *", suspend=True))
    timer, message, _ = countdown(Action("advance-clock", {"scheduled-times": 2,
                                                           "cronjob": "paused"}), state, TB, NOW)
    assert timer is not None
    assert timer.end == NOW + 90 + 1  # 10:01:00 and 10:02:00, and a moment after
    assert "2 of paused's scheduled times" in message
    timer, message, hint = countdown(Action("advance-clock", {"scheduled-times": 1,
                                                              "cronjob": "gone"}), state, TB,
                                     NOW)
    assert timer is None and "no CronJob gone" in message and hint


@pytest.mark.parametrize("params, why", [
    ({"seconds": MAX_REAL_WAIT + 1}, "cannot be moved"),
    ({"seconds": 0}, "greater than 0"),
    ({"to-next-cron": True}, "no upcoming run"),
])
def test_what_cannot_be_waited_for(params: dict[str, object], why: str) -> None:
    state = ClusterState("lab")
    state.apply(cronjob("paused", "*/1 * * * *", suspend=True))
    timer, message, hint = countdown(Action("advance-clock", params), state, TB, NOW)
    assert timer is None and why in message and hint


def test_the_wait_is_recorded_like_the_runners_actions() -> None:
    import threading

    state = ClusterState("lab")
    record(state, "day11", "lab", Action("advance-clock", {"seconds": 60}), NOW, "waiting",
           threading.RLock())
    [t] = state.history.select(kind="Lab", what="action")
    assert t.detail["action"] == "advance-clock" and t.detail["ok"] is True
