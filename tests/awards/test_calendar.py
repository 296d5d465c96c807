"""Public-notice dates on China's working days: real 2026 dates from the library (国庆 and 春节 with their
调休 make-up Saturdays and Sunday), a year nobody knows refused, and a year an organizer entered."""

from __future__ import annotations

import datetime as dt

import pytest

from awards.calendar import (
    InvalidSchedule,
    NoticePeriod,
    UnknownCalendarYear,
    WorkCalendar,
    YearSchedule,
    describe,
    is_open,
    library_years,
    notice_period,
    schedule_problems,
)

D = dt.date
LIBRARY = WorkCalendar()
# The first year the installed library does not know (2027 with chinese-calendar 1.11); computed, so that a
# newer library release does not turn these tests into false failures.
UNKNOWN = library_years()[1] + 1

# 2027 as an organizer might enter it. Test data, not the official schedule (which the State Council had not
# published when this was written): 春节 2027-02-06 (Sat) to 02-12 (Fri), make-up working Sunday 02-14.
ENTERED_2027 = YearSchedule(
    year=2027,
    holidays=frozenset({D(2027, 1, 1)} | {D(2027, 2, 6) + dt.timedelta(days=i) for i in range(7)}),
    makeup_workdays=frozenset({D(2027, 2, 14)}),
)


def test_library_range() -> None:
    first, last = library_years()
    assert first == 2004 and last >= 2026


# --- a known year: 2026 from the library ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "worked"),
    [
        (D(2026, 9, 28), True),  # Monday before 国庆
        (D(2026, 10, 1), False),  # 国庆 1-7 October
        (D(2026, 10, 7), False),
        (D(2026, 10, 8), True),
        (D(2026, 10, 10), True),  # Saturday, 调休 make-up working day
        (D(2026, 10, 11), False),  # Sunday
        (D(2026, 9, 20), True),  # Sunday, 调休 make-up working day before 国庆
        (D(2026, 9, 25), False),  # 中秋 (a Friday)
        (D(2026, 2, 14), True),  # Saturday, make-up working day before 春节
        (D(2026, 2, 16), False),  # 春节 15-23 February
        (D(2026, 2, 23), False),
        (D(2026, 2, 24), True),
        (D(2026, 2, 28), True),  # Saturday, make-up working day after 春节
    ],
)
def test_workdays_2026(day: dt.date, worked: bool) -> None:
    assert LIBRARY.is_workday(day) is worked
    assert LIBRARY.source(2026) == "library"


@pytest.mark.parametrize(
    ("start", "length", "expected"),
    [
        # Mon 28 Sep: 28, 29, 30 Sep, then 国庆 1-7 Oct, then Thu 8 and Fri 9 Oct.
        (D(2026, 9, 28), 5, NoticePeriod(D(2026, 9, 28), D(2026, 10, 9))),
        # Thu 8 Oct: 8, 9, and the make-up Saturday 10 Oct.
        (D(2026, 10, 8), 3, NoticePeriod(D(2026, 10, 8), D(2026, 10, 10))),
        # Published on a holiday: starts on the next working day, 8 Oct; 8, 9, 10 (Sat), 12, 13.
        (D(2026, 10, 1), 5, NoticePeriod(D(2026, 10, 8), D(2026, 10, 13))),
        # Sat 19 Sep is off, Sun 20 Sep is a make-up working day: the notice starts on the Sunday.
        (D(2026, 9, 19), 2, NoticePeriod(D(2026, 9, 20), D(2026, 9, 21))),
        # Fri 13 Feb, the make-up Saturday 14 Feb, then 春节 15-23 Feb, then Tue 24 Feb.
        (D(2026, 2, 13), 3, NoticePeriod(D(2026, 2, 13), D(2026, 2, 24))),
        # A one-day notice ends on its first day.
        (D(2026, 3, 2), 1, NoticePeriod(D(2026, 3, 2), D(2026, 3, 2))),
    ],
)
def test_working_days_2026(start: dt.date, length: int, expected: NoticePeriod) -> None:
    assert notice_period(LIBRARY, start, length, "working_days") == expected


@pytest.mark.parametrize(
    ("start", "length", "expected"),
    [
        # Calendar days run through the holiday: 28 Sep .. 4 Oct.
        (D(2026, 9, 28), 7, NoticePeriod(D(2026, 9, 28), D(2026, 10, 4))),
        # ... but a notice is still published on a working day: from 1 Oct it starts on 8 Oct.
        (D(2026, 10, 1), 7, NoticePeriod(D(2026, 10, 8), D(2026, 10, 14))),
        # A calendar-day notice may end in a year nobody knows: no day after the start is classified.
        (D(library_years()[1], 12, 28), 7, None),
    ],
)
def test_calendar_days(start: dt.date, length: int, expected: NoticePeriod | None) -> None:
    period = notice_period(LIBRARY, start, length, "calendar_days")
    if expected is not None:
        assert period == expected
    assert (period.end - period.start).days == length - 1


def test_is_open_includes_both_ends() -> None:
    period = notice_period(LIBRARY, D(2026, 9, 28), 5, "working_days")
    assert [
        is_open(day, period) for day in (D(2026, 9, 27), D(2026, 9, 28), D(2026, 10, 9), D(2026, 10, 10))
    ] == [
        False,
        True,
        True,
        False,
    ]
    assert is_open(D(2026, 10, 3), period)  # a holiday inside the period: the notice is still up
    assert describe(period, 5, "working_days") == "公示期：2026-09-28 至 2026-10-09（5 个工作日）"


# --- a year nobody knows ---------------------------------------------------------------------------------


def test_unknown_year_is_refused_with_a_message() -> None:
    with pytest.raises(UnknownCalendarYear) as caught:
        notice_period(LIBRARY, D(UNKNOWN, 3, 1), 5, "working_days")
    assert caught.value.year == UNKNOWN
    assert str(caught.value) == f"{UNKNOWN} 年的法定节假日安排尚未收录，请先录入国务院公布的当年安排"
    assert LIBRARY.source(UNKNOWN) is None and not LIBRARY.knows(UNKNOWN)
    with pytest.raises(UnknownCalendarYear):
        LIBRARY.is_workday(D(UNKNOWN, 3, 1))


def test_unknown_year_is_refused_for_calendar_days_too() -> None:
    # The start must be a working day, and whether 1 March is one is not known.
    with pytest.raises(UnknownCalendarYear):
        notice_period(LIBRARY, D(UNKNOWN, 3, 1), 7, "calendar_days")


def test_a_period_running_into_an_unknown_year_is_refused() -> None:
    last = library_years()[1]
    # Starts in a known December, but the tenth working day lies in January of a year nobody knows.
    with pytest.raises(UnknownCalendarYear) as caught:
        notice_period(LIBRARY, D(last, 12, 28), 10, "working_days")
    assert caught.value.year == last + 1


def test_years_before_the_library_are_unknown_too() -> None:
    with pytest.raises(UnknownCalendarYear):
        LIBRARY.is_workday(D(2003, 6, 2))


# --- a year an organizer entered -------------------------------------------------------------------------


def test_entered_year_takes_effect() -> None:
    calendar = WorkCalendar([ENTERED_2027])
    assert calendar.source(2027) == "entered"
    assert not calendar.is_workday(D(2027, 1, 1))  # entered holiday (a Friday)
    assert calendar.is_workday(D(2027, 1, 4))  # an ordinary Monday
    assert not calendar.is_workday(D(2027, 2, 8))  # inside the entered 春节
    assert calendar.is_workday(D(2027, 2, 14))  # entered make-up Sunday
    assert not calendar.is_workday(D(2027, 2, 13))  # an ordinary Saturday
    # Thu 4 Feb, Fri 5 Feb, holidays 6-12 Feb, make-up Sun 14 Feb, Mon 15 Feb.
    assert notice_period(calendar, D(2027, 2, 4), 4, "working_days") == NoticePeriod(
        D(2027, 2, 4), D(2027, 2, 15)
    )


def test_entered_year_lets_a_period_cross_the_year_boundary() -> None:
    calendar = WorkCalendar({2027: ENTERED_2027})
    # Mon 28 Dec 2026 .. Thu 31 Dec (4 days), 1 Jan 2027 is an entered holiday, then Mon 4 .. Wed 6 Jan.
    assert notice_period(calendar, D(2026, 12, 28), 7, "working_days") == NoticePeriod(
        D(2026, 12, 28), D(2027, 1, 6)
    )


def test_entered_data_overrides_the_library() -> None:
    # A correction for a year the library knows: 2026-09-28 declared a day off.
    fix = YearSchedule(year=2026, holidays=frozenset({D(2026, 9, 28)}))
    calendar = WorkCalendar([fix])
    assert calendar.source(2026) == "entered"
    assert not calendar.is_workday(D(2026, 9, 28))
    # Entered data replaces the whole year, so the library's 国庆 is gone unless it is entered as well.
    assert calendar.is_workday(D(2026, 10, 8)) and calendar.is_workday(D(2026, 10, 1))


@pytest.mark.parametrize(
    ("schedule", "codes"),
    [
        (ENTERED_2027, []),
        (YearSchedule(year=2027, holidays=frozenset({D(2028, 1, 1)})), ["date_outside_year"]),
        (
            YearSchedule(
                year=2027, holidays=frozenset({D(2027, 1, 1)}), makeup_workdays=frozenset({D(2026, 12, 27)})
            ),
            ["date_outside_year"],
        ),
        (
            YearSchedule(
                year=2027, holidays=frozenset({D(2027, 2, 6)}), makeup_workdays=frozenset({D(2027, 2, 6)})
            ),
            ["date_in_both_lists"],
        ),
        (
            # Monday 4 January is worked anyway; a make-up day must be a Saturday or Sunday.
            YearSchedule(
                year=2027, holidays=frozenset({D(2027, 1, 1)}), makeup_workdays=frozenset({D(2027, 1, 4)})
            ),
            ["makeup_not_weekend"],
        ),
        (YearSchedule(year=2027, holidays=frozenset()), ["holidays_required"]),
    ],
)
def test_schedule_validation(schedule: YearSchedule, codes: list[str]) -> None:
    assert [p.code for p in schedule_problems(schedule)] == codes
    if codes:
        with pytest.raises(InvalidSchedule) as caught:
            WorkCalendar([schedule])
        assert [p.code for p in caught.value.problems] == codes


def test_two_schedules_for_one_year_or_a_wrong_key_are_refused() -> None:
    with pytest.raises(ValueError, match="two schedules"):
        WorkCalendar([ENTERED_2027, ENTERED_2027])
    with pytest.raises(ValueError, match="another year"):
        WorkCalendar({2028: ENTERED_2027})


@pytest.mark.parametrize("length", [0, -1, 367])
def test_length_out_of_range(length: int) -> None:
    with pytest.raises(ValueError):
        notice_period(LIBRARY, D(2026, 3, 2), length, "working_days")


def test_unknown_unit() -> None:
    with pytest.raises(ValueError):
        notice_period(LIBRARY, D(2026, 3, 2), 5, "weeks")  # type: ignore[arg-type]
