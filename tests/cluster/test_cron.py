"""CronJob schedule helpers, checked against robfig/cron's grammar and the upstream controller's
own test cases (pkg/controller/cronjob/utils_test.go)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k8slab.cluster import cron

UTC = timezone.utc
# utils_test.go's topOfTheHour: a Thursday.
TOP = datetime(2016, 5, 19, 10, 0, tzinfo=UTC)


def at(**delta: float) -> datetime:
    return TOP + timedelta(**delta)


# -- grammar -----------------------------------------------------------------------------------

@pytest.mark.parametrize("expression", [
    "*/5 * * * *", "0 2 * * *", "0 * * * *", "30 6-16/4 * * 1-5", "0 0 1,15 * *",
    "5 4 * * sun", "0 0 1 jan *", "0 0 ? * MON", "@hourly", "@daily", "@midnight", "@weekly",
    "@monthly", "@yearly", "@annually", "@every 1h30m", "@every 90s", "59 23 31 2 *",
])
def test_the_api_server_accepts(expression: str) -> None:
    assert cron.schedule_problem(expression) is None


@pytest.mark.parametrize(("expression", "message"), [
    ("0 0 * * 7", "end of range (7) above maximum (6): 7"),
    ("* * * * * *", "expected exactly 5 fields, found 6: [* * * * * *]"),
    ("0 2 * *", "expected exactly 5 fields, found 4: [0 2 * *]"),
    ("0 0 L * *", 'failed to parse int from L: strconv.Atoi: parsing "L": invalid syntax'),
    ("60 * * * *", "end of range (60) above maximum (59): 60"),
    ("0 0 0 * *", "beginning of range (0) below minimum (1): 0"),
    ("5-3 * * * *", "beginning of range (5) beyond end of range (3): 5-3"),
    ("*/0 * * * *", "step of range should be a positive number: */0"),
    ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
    ("*/2/3 * * * *", "too many slashes: */2/3"),
    ("@fortnightly", "unrecognized descriptor: @fortnightly"),
    ("@every soon", 'failed to parse duration @every soon: time: invalid duration "soon"'),
    ("", "empty spec string"),
    ("TZ=Europe/Paris 0 2 * * *",
     "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"),
])
def test_the_api_server_rejects_with_robfig_words(expression: str, message: str) -> None:
    assert cron.schedule_problem(expression) == message
    with pytest.raises(cron.ScheduleError) as err:
        cron.parse_schedule(expression)
    assert err.value.hint


def test_an_unknown_time_zone_is_rejected() -> None:
    assert cron.time_zone_problem("Mars/Olympus_Mons") == "unknown time zone Mars/Olympus_Mons"
    assert cron.time_zone_problem("Europe/Paris") is None
    assert cron.time_zone_problem(None) is None
    assert cron.schedule_problem("0 2 * * *", "Nowhere") == "unknown time zone Nowhere"


# -- next runs ---------------------------------------------------------------------------------

def test_next_runs_of_the_seed_schedules() -> None:
    start = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    every5 = cron.parse_schedule("*/5 * * * *").runs_after(start, 3)
    assert every5 == [start + timedelta(minutes=m) for m in (5, 10, 15)]
    backup = cron.parse_schedule("0 2 * * *").runs_after(start, 2)
    assert backup == [datetime(2026, 1, 1, 2, tzinfo=UTC), datetime(2026, 1, 2, 2, tzinfo=UTC)]
    hourly = cron.parse_schedule("0 * * * *").runs_after(start + timedelta(minutes=59), 1)
    assert hourly == [datetime(2026, 1, 1, 1, tzinfo=UTC)]


def test_a_run_time_itself_is_not_next_but_a_fraction_before_it_is() -> None:
    s = cron.parse_schedule("*/5 * * * *")
    five = datetime(2026, 1, 1, 0, 5, tzinfo=UTC)
    assert s.next_after(five) == five + timedelta(minutes=5)
    assert s.next_after(five - timedelta(milliseconds=500)) == five


def test_a_time_zone_moves_the_runs() -> None:
    s = cron.parse_schedule("0 2 * * *", "Europe/Paris")
    assert s.next_after(datetime(2026, 1, 1, tzinfo=UTC)) == datetime(2026, 1, 1, 1, tzinfo=UTC)
    summer = s.next_after(datetime(2026, 6, 30, 12, tzinfo=UTC))
    assert summer == datetime(2026, 7, 1, 0, tzinfo=UTC)


def test_every_counts_from_the_given_time() -> None:
    s = cron.parse_schedule("@every 90s")
    t = datetime(2026, 1, 1, 0, 0, 10, 400_000, tzinfo=UTC)
    assert s.next_after(t) == datetime(2026, 1, 1, 0, 1, 40, tzinfo=UTC)


def test_a_schedule_that_matches_no_date() -> None:
    s = cron.parse_schedule("59 23 31 2 *")
    with pytest.raises(cron.ScheduleError):
        s.next_after(TOP)
    assert cron.upcoming_runs({"spec": {"schedule": "59 23 31 2 *"}}, TOP) == []


def test_upcoming_runs_of_a_cronjob_object() -> None:
    cj = {"spec": {"schedule": "@hourly"}}
    assert cron.upcoming_runs(cj, TOP, 2) == [at(hours=1), at(hours=2)]
    assert cron.upcoming_runs({"spec": {"schedule": "@hourly", "suspend": True}}, TOP) == []
    assert cron.upcoming_runs({"spec": {"schedule": "61 * * * *"}}, TOP) == []


def _matches(schedule: cron.Schedule, t: datetime) -> bool:
    """robfig/cron's matching rule, written out: day of month and day of week are ANDed when
    either is a star, ORed otherwise."""
    minutes, hours, dom, months, dow = schedule.fields
    _, _, dom_star, _, dow_star = schedule.stars
    weekday = (t.weekday() + 1) % 7
    day_ok = ((t.day in dom and weekday in dow) if dom_star or dow_star
              else (t.day in dom or weekday in dow))
    return t.minute in minutes and t.hour in hours and t.month in months and day_ok


_FIELD = st.one_of(
    st.just("*"),
    st.builds(lambda a, b: f"{min(a, b)}-{max(a, b)}", st.integers(1, 6), st.integers(1, 6)),
    st.builds(lambda a: f"*/{a}", st.integers(1, 7)),
    st.builds(lambda a, b: f"{a},{b}", st.integers(1, 6), st.integers(1, 6)),
    st.builds(str, st.integers(1, 6)),
)


@settings(max_examples=60, deadline=None)
@given(minute=_FIELD, hour=_FIELD, dom=_FIELD, dow=_FIELD,
       start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 1, 1)))
def test_next_after_agrees_with_robfig_matching(minute: str, hour: str, dom: str, dow: str,
                                                 start: datetime) -> None:
    schedule = cron.parse_schedule(f"{minute} {hour} {dom} * {dow}")
    t = start.replace(tzinfo=UTC)
    found = schedule.next_after(t)
    assert found > t.replace(microsecond=0) and _matches(schedule, found)
    # Nothing matches in between (scan at most a few months minute by minute).
    probe = t.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while probe < found and probe < t + timedelta(days=62):
        assert not _matches(schedule, probe), probe
        probe += timedelta(minutes=1)


# -- missed runs: utils_test.go TestMostRecentScheduleTime ----------------------------------------

@pytest.mark.parametrize(("schedule", "created", "last", "now", "deadline", "earliest",
                          "recent", "many"), [
    ("0 * * * *", TOP, None, at(seconds=30), None, TOP, None, False),
    ("0 * * * *", TOP, None, at(minutes=61), None, TOP, at(minutes=60), False),
    ("0 * * * *", at(seconds=10), None, at(minutes=301), None, at(seconds=10), at(minutes=300),
     False),
    ("30 6-16/4 * * 1-5", TOP, at(minutes=30), at(hours=24, minutes=31), None, at(minutes=30),
     at(hours=24, minutes=30), False),
    # The controller's estimate overshoots here and finds nothing: so does ours.
    ("30 10,11,12 * * 1-5", TOP, at(minutes=30), at(hours=30, minutes=30), None,
     at(minutes=30), None, False),
    ("30 6-16/4 * * 1-5", TOP, at(minutes=30), at(hours=96, minutes=31), None, at(minutes=30),
     at(hours=96, minutes=30), False),
    ("30 6-16/4 * * 1-5", TOP, None, at(hours=24, minutes=31), None, TOP,
     at(hours=24, minutes=30), False),
    ("@every 1h", at(minutes=-59), at(minutes=1), at(days=7), None, at(minutes=1),
     at(days=6, hours=23, minutes=1), True),
    ("0 * * * *", TOP, TOP, at(seconds=30), None, TOP, None, False),
    ("*/5 * * * *", TOP, at(minutes=30), at(minutes=31), None, at(minutes=30), None, False),
    ("*/5 * * * *", TOP, at(minutes=30), at(minutes=32), 60, at(minutes=31), None, False),
])
def test_missed_runs_as_upstream(schedule: str, created: datetime, last: datetime | None,
                                 now: datetime, deadline: float | None, earliest: datetime,
                                 recent: datetime | None, many: bool) -> None:
    found = cron.missed_runs(cron.parse_schedule(schedule), created=created,
                             last_scheduled=last, now=now, starting_deadline=deadline)
    assert (found.earliest, found.most_recent, found.too_many) == (earliest, recent, many)


def test_a_schedule_with_no_date_is_the_controllers_error() -> None:
    with pytest.raises(cron.ScheduleError, match="less than 1 second"):
        cron.missed_runs(cron.parse_schedule("59 23 31 2 *"), created=at(seconds=10),
                         last_scheduled=None, now=at(hours=1))


def test_only_the_most_recent_of_many_missed_runs_is_returned() -> None:
    found = cron.missed_runs(cron.parse_schedule("*/5 * * * *"), created=TOP,
                             last_scheduled=None, now=at(hours=10, minutes=2))
    assert found.most_recent == at(hours=10) and found.count == 120 and found.too_many


def test_starting_deadline_hides_runs_older_than_it() -> None:
    s = cron.parse_schedule("*/5 * * * *")
    within = cron.missed_runs(s, created=TOP, last_scheduled=None, now=at(hours=10, minutes=1),
                              starting_deadline=120)
    assert within.most_recent == at(hours=10) and not within.too_many
    outside = cron.missed_runs(s, created=TOP, last_scheduled=None,
                               now=at(hours=10, minutes=3), starting_deadline=120)
    assert outside.most_recent is None


# -- TestNextScheduleTimeDuration (without the controller's 100 ms) ------------------------------

@pytest.mark.parametrize(("schedule", "last", "now", "wait"), [
    ("30 6-16/4 * * 1-5", at(minutes=30), at(hours=24, minutes=31),
     timedelta(hours=3, minutes=59)),
    ("30 10,11,12 * * 1-5", at(minutes=30), at(hours=30, minutes=30), timedelta(hours=66)),
    ("0 12 * * 4", at(hours=2), at(days=19, hours=1, minutes=30),
     timedelta(hours=48, minutes=30)),
    ("0 12 * * 5", None, at(hours=6), timedelta(hours=20)),
])
def test_next_wakeup_as_upstream(schedule: str, last: datetime | None, now: datetime,
                                 wait: timedelta) -> None:
    wake = cron.next_wakeup(cron.parse_schedule(schedule), created=TOP, last_scheduled=last,
                            now=now)
    assert wake is not None and wake - now == wait


def test_next_wakeup_of_a_schedule_that_never_runs() -> None:
    assert cron.next_wakeup(cron.parse_schedule("59 23 31 2 *"), created=TOP,
                            last_scheduled=None, now=TOP) is None


# -- names and annotations ---------------------------------------------------------------------

def test_job_name_is_minutes_since_the_epoch() -> None:
    scheduled = datetime(2026, 1, 1, 0, 5, tzinfo=UTC)
    assert cron.job_name("system-maintenance", scheduled) == "system-maintenance-29453765"


def test_scheduled_timestamp_is_rfc3339_in_the_schedule_zone() -> None:
    t = datetime(2026, 1, 1, 1, 0, tzinfo=UTC)
    assert cron.scheduled_timestamp(t) == "2026-01-01T01:00:00Z"
    assert cron.scheduled_timestamp(t, "Europe/Paris") == "2026-01-01T02:00:00+01:00"
    assert cron.scheduled_timestamp(t, "Europe/London") == "2026-01-01T01:00:00Z"


# -- descriptions ------------------------------------------------------------------------------

@pytest.mark.parametrize(("expression", "text"), [
    ("* * * * *", "every minute"),
    ("*/5 * * * *", "every 5 minutes"),
    ("0 * * * *", "hourly at :00"),
    ("@hourly", "hourly at :00"),
    ("0 */2 * * *", "every 2 hours at :00"),
    ("0 2 * * *", "daily at 02:00"),
    ("@daily", "daily at 00:00"),
    ("15 3,15 * * *", "daily at 03:15 and 15:15"),
    ("0 9 * * 1-5", "weekdays at 09:00"),
    ("30 6 * * 0,6", "weekends at 06:30"),
    ("@weekly", "every Sunday at 00:00"),
    ("0 9 * * 1,3,5", "on Monday, Wednesday and Friday at 09:00"),
    ("@monthly", "monthly on day 1 at 00:00"),
    ("0 0 1,15 * *", "monthly on days 1 and 15 at 00:00"),
    ("@yearly", "yearly on 1 Jan at 00:00"),
    ("*/10 * * * 1", "every 10 minutes on Mondays"),
    ("*/15 9-17 * * 1-5", "every 15 minutes from 09:00 to 17:45 on weekdays"),
    ("@every 1h30m", "every 1 hour 30 minutes"),
    ("0 0 13 * 5", "cron 0 0 13 * 5"),
])
def test_describe(expression: str, text: str) -> None:
    assert cron.describe(expression) == text


def test_describe_names_the_zone_and_the_error() -> None:
    assert cron.describe("0 2 * * *", "Europe/Paris") == "daily at 02:00 (Europe/Paris)"
    assert cron.describe("0 0 * * 7") == (
        "invalid schedule: end of range (7) above maximum (6): 7")
