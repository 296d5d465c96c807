"""Working days of the Chinese calendar, for the dates of a public notice (公示期).

Which days are worked comes from a maintained library, ``chinese_calendar``: weekends, the public holidays
(法定节假日) and the make-up working days (调休上班日, a Saturday or Sunday worked in exchange for a bridge
day). The library only knows the years it was released for (1.11 knows 2004-2026) because the State Council
announces each year's schedule late in the year before. For any other year we refuse to count rather than
guess, unless an organizer has entered that year's official schedule as data (:class:`YearSchedule`, kept
and audited by :mod:`awards.calendar_years`). Entered data also wins over the library for a year both
know, so a correction to the library can be applied without waiting for a release.

How a notice is counted (:func:`notice_period`): it starts on ``start`` if that is a working day, otherwise on
the next working day (a notice is published by an office on a day it works). Its end is the last day of the
period, inclusive: the ``length``-th working day counted from the start (``working_days``), or the start
plus ``length - 1`` days (``calendar_days``, where holidays do not stop the count). A notice is open from
the start through the end day (:func:`is_open`).

Pure: no clock, no I/O; :mod:`awards.notice` passes "today" in Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Literal, NamedTuple

import chinese_calendar
import msgspec
from chinese_calendar.constants import holidays as _library_holidays

Unit = Literal["working_days", "calendar_days"]
UNIT_NAMES: dict[str, str] = {"working_days": "个工作日", "calendar_days": "天"}

# A notice longer than this is a typing error, and the bound keeps the day-by-day count short.
MAX_NOTICE_LENGTH = 366


class UnknownCalendarYear(Exception):
    """A year whose holidays neither the library nor the organizers' entries know (409 for the service)."""

    code = "calendar_year_unknown"

    def __init__(self, year: int) -> None:
        self.year = year
        self.message = f"{year} 年的法定节假日安排尚未收录，请先录入国务院公布的当年安排"
        super().__init__(self.message)


class ScheduleProblem(msgspec.Struct, frozen=True, kw_only=True):
    field: str
    code: str
    message: str


class InvalidSchedule(ValueError):
    """An entered schedule that fails :func:`schedule_problems`."""

    def __init__(self, problems: list[ScheduleProblem]) -> None:
        self.problems = problems
        super().__init__("；".join(p.message for p in problems))


class YearSchedule(msgspec.Struct, frozen=True, kw_only=True):
    """One year's official schedule as an organizer entered it (国务院办公厅关于某年部分节假日安排的通知)."""

    year: int
    holidays: frozenset[dt.date]  # days off, weekends inside a holiday included or not: either works
    makeup_workdays: frozenset[dt.date] = frozenset()  # 调休上班日: weekend days that are worked


class NoticePeriod(NamedTuple):
    start: dt.date
    end: dt.date  # inclusive


def library_years() -> tuple[int, int]:
    """The first and last year the installed ``chinese_calendar`` knows."""
    years = [d.year for d in _library_holidays]
    return min(years), max(years)


def schedule_problems(schedule: YearSchedule) -> list[ScheduleProblem]:
    """What is wrong with an entered schedule: dates outside its year, a day both off and worked, a
    make-up working day on a weekday (those are worked anyway), or no holidays at all."""
    problems: list[ScheduleProblem] = []
    for field, days in (("holidays", schedule.holidays), ("makeup_workdays", schedule.makeup_workdays)):
        for day in sorted(days):
            if day.year != schedule.year:
                problems.append(
                    ScheduleProblem(
                        field=field,
                        code="date_outside_year",
                        message=f"{day.isoformat()} 不在 {schedule.year} 年内",
                    )
                )
    if not schedule.holidays:
        problems.append(
            ScheduleProblem(
                field="holidays", code="holidays_required", message="请填写该年的法定节假日（放假日期）"
            )
        )
    for day in sorted(schedule.holidays & schedule.makeup_workdays):
        problems.append(
            ScheduleProblem(
                field="makeup_workdays",
                code="date_in_both_lists",
                message=f"{day.isoformat()} 不能既是放假日又是调休上班日",
            )
        )
    for day in sorted(schedule.makeup_workdays):
        if day.weekday() < 5:
            problems.append(
                ScheduleProblem(
                    field="makeup_workdays",
                    code="makeup_not_weekend",
                    message=f"{day.isoformat()} 是工作日，调休上班日应为周六或周日",
                )
            )
    return problems


class WorkCalendar:
    """Working days from the library, overridden year by year by entered schedules.

    ``entered`` is either a mapping year -> schedule or the schedules themselves; each is validated.
    """

    def __init__(self, entered: Mapping[int, YearSchedule] | Iterable[YearSchedule] = ()) -> None:
        schedules = list(entered.values()) if isinstance(entered, Mapping) else list(entered)
        if isinstance(entered, Mapping) and any(y != s.year for y, s in entered.items()):
            raise ValueError("schedule keyed under another year")
        self._entered: dict[int, YearSchedule] = {}
        for schedule in schedules:
            problems = schedule_problems(schedule)
            if problems:
                raise InvalidSchedule(problems)
            if schedule.year in self._entered:
                raise ValueError(f"two schedules for {schedule.year}")
            self._entered[schedule.year] = schedule
        self._library = library_years()

    def source(self, year: int) -> Literal["entered", "library"] | None:
        """Where the days of ``year`` come from, or None when nobody knows them."""
        if year in self._entered:
            return "entered"
        first, last = self._library
        return "library" if first <= year <= last else None

    def knows(self, year: int) -> bool:
        return self.source(year) is not None

    def is_workday(self, day: dt.date) -> bool:
        """Whether ``day`` is worked; raises :class:`UnknownCalendarYear` for a year nobody knows."""
        where = self.source(day.year)
        if where == "entered":
            schedule = self._entered[day.year]
            if day in schedule.makeup_workdays:
                return True
            return day.weekday() < 5 and day not in schedule.holidays
        if where is None:
            raise UnknownCalendarYear(day.year)
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:  # the library's own "no data for this year"; kept as a safety net
            raise UnknownCalendarYear(day.year) from None

    def next_workday(self, day: dt.date) -> dt.date:
        """``day`` itself if it is worked, else the first worked day after it."""
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        return day


def notice_period(calendar: WorkCalendar, start: dt.date, length: int, unit: Unit) -> NoticePeriod:
    """The first and last day (inclusive) of a notice of ``length`` units published on or after ``start``.

    Raises :class:`UnknownCalendarYear` when a day that must be classified (the start, and for working days
    every day up to the end) lies in a year nobody knows: the notice is then refused, never guessed.
    """
    if not 1 <= length <= MAX_NOTICE_LENGTH:
        raise ValueError(f"notice length must be 1..{MAX_NOTICE_LENGTH}, got {length}")
    first = calendar.next_workday(start)
    if unit == "calendar_days":
        return NoticePeriod(first, first + dt.timedelta(days=length - 1))
    if unit != "working_days":
        raise ValueError(f"unknown unit {unit!r}")
    day, counted = first, 1
    while counted < length:
        day += dt.timedelta(days=1)
        if calendar.is_workday(day):
            counted += 1
    return NoticePeriod(first, day)


def is_open(today: dt.date, period: NoticePeriod | tuple[dt.date, dt.date]) -> bool:
    """Whether the notice runs on ``today`` (its first and last days included)."""
    start, end = period
    return start <= today <= end


def describe(period: NoticePeriod, length: int, unit: Unit) -> str:
    """The line the notice page prints, e.g. "公示期：2026-09-28 至 2026-10-09（5 个工作日）"."""
    return f"公示期：{period.start.isoformat()} 至 {period.end.isoformat()}（{length} {UNIT_NAMES[unit]}）"
