"""CronJob schedules as Kubernetes reads them: validation, next runs, missed runs, a description.

Pure functions over `datetime`s, shared by the sim's CronJob controller, the lesson loader and
the TUI on both backends (nothing here imports the sim or a client library).

Kubernetes parses `spec.schedule` with robfig/cron v3's standard parser. Its grammar is a little
stricter than classic cron and than croniter's: exactly five fields, day-of-week 0-6 (a 7 for
Sunday is rejected), no `L`, `W`, `#` or `H`, and the `@every <duration>` descriptor besides the
`@hourly`-style macros. `parse_schedule()` checks that grammar and reports errors in robfig's
words (the API server puts them after `spec.schedule: Invalid value: ...`); the times themselves
are computed by croniter on an explicit expansion of each field, so both agree on every run.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter

from k8slab.errors import K8slabError

# On a real cluster with `--fast-cron`, the lab applies a CronJob with an every-minute schedule
# and keeps the lesson's own schedule in this annotation (for the screen and the learner).
LESSON_SCHEDULE = "k8slab.io/lesson-schedule"

# More missed start times than this and the controller warns (`TooManyMissedTimes`).
TOO_MANY_MISSED = 100
# The longest CronJob name: its Jobs append "-" and up to 10 digits of minutes since the epoch.
MAX_NAME_LENGTH = 52


class ScheduleError(K8slabError):
    """A schedule or time zone the API server would reject. `message` is the API's wording."""


# -- grammar ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Bounds:
    low: int
    high: int
    names: Mapping[str, int] | None = None


DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
              "Dec")
_MONTH_NAMES = {m.lower(): i + 1 for i, m in enumerate(MONTH_ABBR)}
_DOW_NAMES = {d[:3].lower(): i for i, d in enumerate(DAY_NAMES)}
_FIELDS = (
    _Bounds(0, 59), _Bounds(0, 23), _Bounds(1, 31), _Bounds(1, 12, _MONTH_NAMES),
    _Bounds(0, 6, _DOW_NAMES),
)
_FIELD_NAMES = ("minute", "hour", "day-of-month", "month", "day-of-week")
_MACROS = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_INT = re.compile(r"[+-]?\d+")
_GO_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0,
             "h": 3600.0}


def _int(text: str) -> int:
    if not _INT.fullmatch(text):
        raise ScheduleError(f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": '
                            "invalid syntax")
    value = int(text)
    if value < 0:
        raise ScheduleError(f"negative number ({value}) not allowed: {text}")
    return value


def _int_or_name(text: str, bounds: _Bounds) -> int:
    if bounds.names is not None and text.lower() in bounds.names:
        return bounds.names[text.lower()]
    return _int(text)


def _field(text: str, bounds: _Bounds) -> tuple[frozenset[int], bool]:
    """The values a field selects, and whether it is a star (which changes day matching)."""
    values: set[int] = set()
    star = False
    for expr in filter(None, text.split(",")):
        range_and_step = expr.split("/")
        low_high = range_and_step[0].split("-")
        extra_star = False
        if low_high[0] in ("*", "?"):
            start, end, extra_star = bounds.low, bounds.high, True
        else:
            start = _int_or_name(low_high[0], bounds)
            if len(low_high) == 1:
                end = start
            elif len(low_high) == 2:
                end = _int_or_name(low_high[1], bounds)
            else:
                raise ScheduleError(f"too many hyphens: {expr}")
        if len(range_and_step) == 1:
            step = 1
        elif len(range_and_step) == 2:
            step = _int(range_and_step[1])
            if len(low_high) == 1:  # "N/step" means "N-max/step"
                end = bounds.high
            if step > 1:
                extra_star = False
        else:
            raise ScheduleError(f"too many slashes: {expr}")
        if start < bounds.low:
            raise ScheduleError(f"beginning of range ({start}) below minimum ({bounds.low}): "
                                f"{expr}")
        if end > bounds.high:
            raise ScheduleError(f"end of range ({end}) above maximum ({bounds.high}): {expr}")
        if start > end:
            raise ScheduleError(f"beginning of range ({start}) beyond end of range ({end}): "
                                f"{expr}")
        if step == 0:
            raise ScheduleError(f"step of range should be a positive number: {expr}")
        values.update(range(start, end + 1, step))
        star = star or extra_star
    return frozenset(values), star


def _go_duration(text: str) -> float:
    """Seconds in a Go duration string (`1h30m`, `90s`, `1.5h`), as time.ParseDuration reads it."""
    body = text[1:] if text[:1] in "+-" else text
    if body == "0":
        return 0.0
    pos, total = 0, 0.0
    while pos < len(body):
        m = _GO_DURATION_PART.match(body, pos)
        if m is None:
            raise ValueError(text)
        total += float(m.group(1)) * _GO_UNITS[m.group(2)]
        pos = m.end()
    if not body:
        raise ValueError(text)
    return -total if text.startswith("-") else total


# -- schedules -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Schedule:
    """A parsed, valid CronJob schedule in its time zone.

    `fields` holds the selected values of minute, hour, day of month, month and day of week;
    `stars` says which of them were written as `*` or `?`. An `@every` schedule has `every`
    (seconds) instead.
    """

    expression: str
    time_zone: str | None
    fields: tuple[frozenset[int], ...] = ()
    stars: tuple[bool, ...] = ()
    every: float | None = None

    @property
    def zone(self) -> tzinfo:
        return ZoneInfo(self.time_zone) if self.time_zone else timezone.utc

    def next_after(self, t: datetime) -> datetime:
        """The first run after `t` cut to whole seconds (as robfig/cron counts), in UTC.

        Raises:
            ScheduleError: the schedule matches no date at all.
        """
        start = _whole_seconds(t)
        if self.every is not None:
            return start + timedelta(seconds=self.every)
        it = croniter(self._croniter_expression(), start.astimezone(self.zone))
        try:
            nxt = it.get_next(datetime)
        except CroniterBadDateError:  # e.g. "59 23 31 2 *": valid grammar, no such date
            raise ScheduleError(f"the schedule {self.expression!r} matches no date") from None
        return nxt.astimezone(timezone.utc)

    def runs_after(self, t: datetime, count: int) -> list[datetime]:
        """The next `count` runs strictly after `t`, in UTC."""
        out: list[datetime] = []
        cur = t
        for _ in range(max(0, count)):
            cur = self.next_after(cur)
            out.append(cur)
        return out

    def describe(self) -> str:
        """A short English reading: `every 5 minutes`, `daily at 02:00`, `weekdays at 09:30`."""
        from k8slab.cluster.cron_text import describe_schedule

        text = describe_schedule(self)
        return f"{text} ({self.time_zone})" if self.time_zone else text

    def _croniter_expression(self) -> str:
        # Explicit value lists leave croniter nothing to interpret differently from robfig; a
        # star stays a star because it decides whether day of month and day of week AND or OR.
        return " ".join("*" if star else ",".join(map(str, sorted(values)))
                        for values, star in zip(self.fields, self.stars, strict=True))


def _whole_seconds(t: datetime) -> datetime:
    if t.tzinfo is None:
        raise ValueError("cron times must be timezone-aware")
    return t.astimezone(timezone.utc).replace(microsecond=0)


def time_zone_problem(time_zone: str | None) -> str | None:
    """Why the API server would reject `spec.timeZone`, or None if it is fine."""
    if time_zone is None:
        return None
    if not time_zone:
        return "timeZone must be nil or non-empty string"
    if time_zone.lower() == "local":
        return ("timeZone must be an explicit time zone as defined in "
                "https://www.iana.org/time-zones")
    if time_zone.startswith(("/", ".")) or ".." in time_zone:
        return f"unknown time zone {time_zone}"
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return f"unknown time zone {time_zone}"
    return None


def parse_schedule(expression: str, time_zone: str | None = None) -> Schedule:
    """Parse a CronJob schedule as the API server validates it.

    Raises:
        ScheduleError: with the API server's message, e.g. `end of range (7) above maximum
            (6): 7` or `expected exactly 5 fields, found 6: [0 0 * * * *]`.
    """
    problem = time_zone_problem(time_zone)
    if problem:
        raise ScheduleError(problem, hint="use an IANA zone name such as Europe/Paris")
    spec = expression.strip()
    if "TZ" in spec:
        raise ScheduleError("cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
                            hint="move the zone to spec.timeZone")
    if not spec:
        raise ScheduleError("empty spec string", hint="write five fields, e.g. */5 * * * *")
    if spec.startswith("@"):
        if spec in _MACROS:
            return _from_fields(expression, time_zone, _MACROS[spec])
        if spec.startswith("@every "):
            try:
                seconds = _go_duration(spec[len("@every "):])
            except ValueError:
                raise ScheduleError(f'failed to parse duration {spec}: time: invalid duration '
                                    f'"{spec[len("@every "):]}"',
                                    hint="write a Go duration such as 90s, 15m or 1h30m"
                                    ) from None
            # robfig rounds down to whole seconds, with a floor of one second.
            every = max(1.0, float(math.floor(seconds)))
            return Schedule(expression, time_zone, every=every)
        raise ScheduleError(f"unrecognized descriptor: {spec}",
                            hint="use @hourly, @daily, @weekly, @monthly, @yearly or @every 1h")
    return _from_fields(expression, time_zone, spec)


def _from_fields(expression: str, time_zone: str | None, spec: str) -> Schedule:
    fields = spec.split()
    if len(fields) != 5:
        raise ScheduleError(f"expected exactly 5 fields, found {len(fields)}: "
                            f"[{' '.join(fields)}]",
                            hint="minute hour day-of-month month day-of-week, e.g. 0 2 * * *")
    parsed = []
    for text, bounds, what in zip(fields, _FIELDS, _FIELD_NAMES, strict=True):
        try:
            parsed.append(_field(text, bounds))
        except ScheduleError as err:
            hint = f"the {what} field takes {bounds.low}-{bounds.high}"
            if bounds.names is _DOW_NAMES:
                hint += " (0 is Sunday; 7 is not accepted)"
            raise ScheduleError(err.message, hint=hint + f"; it was {text!r}") from None
    return Schedule(expression, time_zone, tuple(v for v, _ in parsed),
                    tuple(s for _, s in parsed))


def schedule_problem(expression: str, time_zone: str | None = None) -> str | None:
    """The API server's complaint about a schedule (or its time zone), or None if it is valid."""
    try:
        parse_schedule(expression, time_zone)
    except ScheduleError as err:
        return err.message
    return None


# -- missed runs (pkg/controller/cronjob/utils.go) -------------------------------------------

@dataclass(frozen=True, slots=True)
class MissedRuns:
    """What the CronJob controller finds when it wakes up.

    Attributes:
        earliest: the time it counts from (last schedule time or creation, possibly moved up
            to `now - startingDeadlineSeconds`).
        most_recent: the latest start time at or before now that has not run, or None.
        count: the controller's estimate of how many start times were missed.
    """

    earliest: datetime
    most_recent: datetime | None
    count: int

    @property
    def too_many(self) -> bool:
        return self.count > TOO_MANY_MISSED


def missed_runs(schedule: Schedule, *, created: datetime, last_scheduled: datetime | None,
                now: datetime, starting_deadline: float | None = None) -> MissedRuns:
    """The most recent unmet start time, computed as the upstream controller does.

    Like upstream it estimates the number of missed runs from the gap between the next two
    runs rather than listing them all, then walks only the last stretch with the schedule.
    Start times older than `now - starting_deadline` are not considered.
    """
    earliest = last_scheduled if last_scheduled is not None else created
    if starting_deadline is not None:
        deadline = now - timedelta(seconds=starting_deadline)
        earliest = max(earliest, deadline)
    try:
        t1 = schedule.next_after(earliest)
        t2 = schedule.next_after(t1)
    except ScheduleError:
        # robfig returns the zero time here, and the controller's arithmetic then fails so.
        raise ScheduleError("time difference between two schedules is less than 1 second"
                            ) from None
    if now < t1:
        return MissedRuns(earliest, None, 0)
    if now < t2:
        return MissedRuns(earliest, t1, 1)
    interval = round((t2 - t1).total_seconds())
    if interval < 1:
        raise ScheduleError("time difference between two schedules is less than 1 second")
    missed = int((now - t1).total_seconds()) // interval + 1
    most_recent: datetime | None = None
    cur = t1 + timedelta(seconds=(missed - 2) * interval)
    while True:
        cur = schedule.next_after(cur)
        if cur > now:
            break
        most_recent = cur
    return MissedRuns(earliest, most_recent, missed)


def next_wakeup(schedule: Schedule, *, created: datetime, last_scheduled: datetime | None,
                now: datetime) -> datetime | None:
    """When the controller next needs to look at the CronJob (upstream adds 100 ms to this),
    or None for a schedule that never runs."""
    try:
        found = missed_runs(schedule, created=created, last_scheduled=last_scheduled, now=now)
        if found.most_recent is not None:
            return schedule.next_after(found.most_recent)
        return schedule.next_after(found.earliest if found.count == 0 else now)
    except ScheduleError:
        return None


# -- naming ------------------------------------------------------------------------------------

def job_name(cronjob: str, scheduled: datetime) -> str:
    """The Job a CronJob creates for a start time: `<cronjob>-<minutes since the epoch>`."""
    return f"{cronjob}-{int(scheduled.timestamp()) // 60}"


def scheduled_timestamp(scheduled: datetime, time_zone: str | None = None) -> str:
    """RFC 3339 value of `batch.kubernetes.io/cronjob-scheduled-timestamp`, in the schedule's
    zone (`2026-01-01T02:00:00Z`, or `2026-01-01T02:00:00+01:00` with a time zone)."""
    local = scheduled.astimezone(ZoneInfo(time_zone) if time_zone else timezone.utc)
    text = local.replace(microsecond=0).isoformat()
    # Go's RFC 3339 layout writes a zero offset as "Z", whatever the zone.
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def upcoming_runs(cronjob: Mapping[str, Any], now: datetime, count: int = 3) -> list[datetime]:
    """The next `count` scheduled runs of a CronJob object after `now`; [] when it is
    suspended or its schedule is invalid. For the TUI, on either backend."""
    spec = cronjob.get("spec") or {}
    if spec.get("suspend"):
        return []
    try:
        return parse_schedule(str(spec.get("schedule", "")), spec.get("timeZone")
                              ).runs_after(now, count)
    except ScheduleError:
        return []


def describe(expression: str, time_zone: str | None = None) -> str:
    """A short English reading of a schedule, or the error the API server would give."""
    try:
        return parse_schedule(expression, time_zone).describe()
    except ScheduleError as err:
        return f"invalid schedule: {err.message}"


# -- Jobs made from a CronJob ----------------------------------------------------------------

SCHEDULED_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"


def scheduled_job(cronjob: Mapping[str, Any], scheduled: datetime) -> dict[str, Any]:
    """The Job the CronJob controller creates for a start time (getJobFromTemplate2): the
    template's labels, annotations and spec, the scheduled-timestamp annotation, and the
    CronJob as controlling owner."""
    spec = cronjob.get("spec") or {}
    template = spec.get("jobTemplate") or {}
    tmd = template.get("metadata") or {}
    md = cronjob.get("metadata") or {}
    annotations = {**(tmd.get("annotations") or {}),
                   SCHEDULED_ANNOTATION: scheduled_timestamp(scheduled, spec.get("timeZone"))}
    owner = {"apiVersion": "batch/v1", "kind": "CronJob", "name": md.get("name", ""),
             "uid": md.get("uid", ""), "controller": True, "blockOwnerDeletion": True}
    meta: dict[str, Any] = {"name": job_name(str(md.get("name", "")), scheduled),
                            "namespace": md.get("namespace", ""),
                            "annotations": annotations, "ownerReferences": [owner]}
    if tmd.get("labels"):
        meta["labels"] = dict(tmd["labels"])
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta,
            "spec": copy.deepcopy(template.get("spec") or {})}
