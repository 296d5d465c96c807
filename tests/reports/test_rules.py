"""Pure rules of the reports: periods, ages and bands (the database's cutoffs agree), quotas, taking part."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports import rules
from reports.rules import NominationGroup, Period, PeriodError, ProgrammeFacts

days = st.dates(min_value=dt.date(1940, 1, 1), max_value=dt.date(2060, 12, 31))


def test_age_counts_whole_years_and_the_birthday_itself() -> None:
    assert rules.age_on(dt.date(1990, 5, 17), dt.date(2025, 5, 16)) == 34
    assert rules.age_on(dt.date(1990, 5, 17), dt.date(2025, 5, 17)) == 35
    assert rules.age_on(dt.date(2000, 2, 29), dt.date(2025, 2, 28)) == 24
    assert rules.age_on(dt.date(2000, 2, 29), dt.date(2025, 3, 1)) == 25


@pytest.mark.parametrize(
    ("age", "band"), [(18, 0), (35, 0), (36, 1), (45, 1), (46, 2), (55, 2), (56, 3), (70, 3)]
)
def test_age_bands_have_inclusive_bounds(age: int, band: int) -> None:
    assert rules.age_band(age) == band


@given(birth=days, day=days)
def test_the_databases_cutoffs_give_the_same_band_as_the_age(birth: dt.date, day: dt.date) -> None:
    assert rules.band_by_cutoffs(birth, rules.band_cutoffs(day)) == rules.age_band(rules.age_on(birth, day))


def test_periods_are_checked() -> None:
    assert Period.term(2021) == Period(dt.date(2021, 1, 1), dt.date(2025, 12, 31))
    assert list(Period.year(2024).years) == [2024]
    with pytest.raises(PeriodError):
        Period(dt.date(2025, 1, 2), dt.date(2025, 1, 1))
    with pytest.raises(PeriodError):
        Period(dt.date(2000, 1, 1), dt.date(2025, 1, 1))


def _programme(
    pid: int, *, default: int | None, quotas: dict[str, int], awarded: bool = True
) -> ProgrammeFacts:
    return ProgrammeFacts(
        pid, f"p{pid}", 2025, "good_employee", "union", default, quotas,
        dt.date(2025, 12, 1) if awarded else None, dt.date(2025, 9, 30),
    )  # fmt: skip


def test_quota_use_counts_only_nominations_under_a_quota() -> None:
    programmes = [_programme(1, default=2, quotas={"7": 5}), _programme(2, default=None, quotas={})]
    nominations = [
        NominationGroup(1, 7, "7", "union", "awarded", 3),
        NominationGroup(1, 7, "7", "union", "withdrawn", 4),  # withdrawn: no place used
        NominationGroup(1, 8, "8", "union", "nominated", 2),
        NominationGroup(2, 8, "8", "union", "awarded", 9),  # no quota in programme 2
        NominationGroup(1, 9, "9", "direct", "awarded", 1),  # direct nominations use no union place
    ]
    figures = rules.honour_figures(
        programmes, nominations, {7: "甲", 8: "乙", 9: "丙"}, {"good_employee": "好职工"}
    )
    by_kind, by_union, quota = figures
    assert by_kind.rows[0].values == [3 + 9 + 1]
    assert {r.key: r.values[0] for r in by_union.rows} == {"7": 3, "8": 9, "9": 1}
    assert {r.key: r.values for r in quota.rows} == {"7": [5, 3, 600], "8": [2, 2, 1000]}


def test_participation_names_the_unions_that_took_no_part() -> None:
    figure, silent = rules.participation_figure({1: "甲", 2: "乙", 3: "丙"}, {2})
    assert [r.values[0] for r in figure.rows] == [1, 2]
    assert silent == [(1, "甲"), (3, "丙")]
