"""Cron schedules for the CronJob pane: in words, and the next run times.

A thin adapter over `k8slab.cluster.cron`, which owns the parsing (the sim's CronJob
controller uses it too, so the pane and the controller agree on every run). It only shapes the
answers for the screen and never lets a bad expression break a frame.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any


def describe(expr: str, time_zone: str | None = None) -> str:
    """The schedule in words (`every 5 minutes`), or the expression itself if unknown."""
    try:
        from k8slab.cluster import cron

        return str(cron.describe(expr, time_zone))
    except Exception:
        return expr


def next_runs(cronjob: Mapping[str, Any], after_unix: float, count: int) -> list[float]:
    """The CronJob's next `count` runs after `after_unix`, as Unix seconds ([] if suspended
    or unparsable)."""
    try:
        from k8slab.cluster import cron

        now = dt.datetime.fromtimestamp(after_unix, tz=dt.timezone.utc)
        return [t.timestamp() for t in cron.upcoming_runs(cronjob, now, count)]
    except Exception:
        return []
