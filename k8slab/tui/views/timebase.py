"""Cluster time as a learner reads it.

Cluster time is seconds: on the sim, virtual seconds since the sim's epoch; on a real cluster,
the Unix wall clock. The lab shows times as elapsed lab time (`+1:05`) so both read the same,
and converts the RFC 3339 stamps found in objects (`status.startTime`) into cluster seconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

#: The sim's epoch, 2026-01-01T00:00:00Z, as Unix seconds (see k8slab.cluster.sim.clock).
SIM_EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc).timestamp()


@dataclass(frozen=True, slots=True)
class Timebase:
    """Converts between cluster seconds, Unix seconds and what the screen shows.

    Attributes:
        origin: cluster time the lab started at; `elapsed()` counts from here.
        unix_offset: add to cluster seconds to get Unix seconds: the cluster's `unix_epoch`
            (SIM_EPOCH on the sim, 0 on a real cluster).
    """

    origin: float = 0.0
    unix_offset: float = SIM_EPOCH

    def elapsed(self, t: float | None) -> str:
        """`+m:ss` (or `+h:mm:ss`) of lab time at cluster time `t`; `—` for None."""
        if t is None:
            return "—"
        return "+" + duration(max(0.0, t - self.origin))

    def parse(self, stamp: object) -> float | None:
        """Cluster seconds for an RFC 3339 timestamp from an object, or None."""
        if not isinstance(stamp, str) or not stamp:
            return None
        try:
            when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        return when.timestamp() - self.unix_offset

    def wall(self, t: float) -> dt.datetime:
        """The UTC datetime of cluster time `t` (for cron schedules)."""
        return dt.datetime.fromtimestamp(t + self.unix_offset, tz=dt.timezone.utc)

    def clock(self, t: float) -> str:
        """`HH:MM:SS` of cluster time `t`, UTC."""
        return self.wall(t).strftime("%H:%M:%S")


def duration(seconds: float) -> str:
    """`m:ss` under an hour, `h:mm:ss` above, `Nd hh:mm` past a day."""
    s = int(seconds)
    days, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    if days:
        return f"{days}d {h:02d}:{m:02d}"
    if h:
        return f"{h}:{m:02d}:{s:02d}"
    return f"{m}:{s:02d}"


def short(seconds: float) -> str:
    """A compact duration: `45s`, `3m`, `2h`, `1d`."""
    s = abs(seconds)
    if s < 90:
        return f"{s:.0f}s"
    if s < 90 * 60:
        return f"{s / 60:.0f}m"
    if s < 36 * 3600:
        return f"{s / 3600:.0f}h"
    return f"{s / 86400:.0f}d"
