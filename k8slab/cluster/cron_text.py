"""Schedules in words, for the TUI and check messages: `every 5 minutes`, `daily at 02:00`,
`weekdays at 09:30`, `monthly on day 1 at 00:00`. Irregular schedules are shown as they are
written."""

from __future__ import annotations

from k8slab.cluster.cron import DAY_NAMES, MONTH_ABBR, Schedule


def _step_of(values: frozenset[int], low: int, high: int) -> int | None:
    """The step if `values` is low, low+s, low+2s, ... up to high (s > 1), else None."""
    ordered = sorted(values)
    if len(ordered) < 2 or ordered[0] != low:
        return None
    step = ordered[1] - ordered[0]
    if step < 2 or ordered != list(range(low, high + 1, step)):
        return None
    return step


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" + ("" if n == 1 else "s")


def _every_text(seconds: float) -> str:
    whole = int(seconds)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    parts = [_plural(v, u) for v, u in ((h, "hour"), (m, "minute"), (s, "second")) if v]
    return "every " + " ".join(parts)


def describe_schedule(schedule: Schedule) -> str:
    """A short English reading of a parsed schedule, without its time zone; `cron <expr>`
    for one too irregular to say briefly."""
    if schedule.every is not None:
        return _every_text(schedule.every)
    minutes, hours, dom, months, dow = schedule.fields
    m_star, h_star, dom_star, month_star, dow_star = schedule.stars
    time_text = _time_text(minutes, hours, m_star, h_star)
    days = _day_text(dom, months, dow, dom_star, month_star, dow_star)
    if time_text is None or days is None:
        return f"cron {schedule.expression.strip()}"
    if time_text.startswith("at "):  # a time of day: "weekdays at 09:00"
        return f"{days[0] or 'daily'} {time_text}"
    return f"{time_text} {days[1]}" if days[1] else time_text


def _time_text(minutes: frozenset[int], hours: frozenset[int], m_star: bool, h_star: bool
               ) -> str | None:
    if m_star and h_star:
        return "every minute"
    m_step = _step_of(minutes, 0, 59)
    if m_step and 60 % m_step == 0:
        if h_star:
            return f"every {m_step} minutes"
        ordered = sorted(hours)
        if ordered == list(range(ordered[0], ordered[-1] + 1)):
            last = f"{ordered[-1]:02d}:{60 - m_step:02d}"
            return f"every {m_step} minutes from {ordered[0]:02d}:00 to {last}"
    if len(minutes) == 1:
        (minute,) = minutes
        if h_star:
            return f"hourly at :{minute:02d}"
        h_step = _step_of(hours, 0, 23)
        if h_step and 24 % h_step == 0:
            return f"every {h_step} hours at :{minute:02d}"
    if len(minutes) * len(hours) <= 4 and not h_star:
        times = [f"{h:02d}:{m:02d}" for h in sorted(hours) for m in sorted(minutes)]
        return "at " + _join(times)
    return None


def _day_text(dom: frozenset[int], months: frozenset[int], dow: frozenset[int], dom_star: bool,
              month_star: bool, dow_star: bool) -> tuple[str, str] | None:
    """How to say the days it runs before a time of day and after an interval ("" for every
    day), or None if they are too irregular to say briefly."""
    if not month_star and not (len(dom) == 1 and len(months) == 1 and dow_star):
        return None
    if dom_star and dow_star:
        return "", ""
    if dom_star:  # days of the week only
        if dow == frozenset(range(1, 6)):
            return "weekdays", "on weekdays"
        if dow == frozenset({0, 6}):
            return "weekends", "at weekends"
        names = [DAY_NAMES[d] for d in sorted(dow)]
        if len(names) == 1:
            return f"every {names[0]}", f"on {names[0]}s"
        return f"on {_join(names)}", f"on {_join(names)}"
    if not dow_star:  # both restricted: either matches, as in cron
        return None
    days = sorted(dom)
    if not month_star:
        date = f"{days[0]} {MONTH_ABBR[next(iter(months)) - 1]}"
        return f"yearly on {date}", f"on {date}"
    if len(days) > 4:
        return None
    label = ("day " if len(days) == 1 else "days ") + _join([str(d) for d in days])
    return f"monthly on {label}", f"on {label} of the month"
