"""Reading registrations: one, a contestant's own, and a competition's list with filters.

Who registered is itself personal data: a union officer sees their own union's members only, a contestant
their own registrations, and a registration they may not see answers as a missing one.
"""

from __future__ import annotations

from typing import Any

from accounts.rules import Role
from accounts.schemas import CurrentUser
from competitions.schemas import RegistrationOut, RegistrationsPage
from competitions.shared import (
    REG_COLUMNS,
    competition_row,
    count_registrations,
    may_see,
    registration_out,
    registration_row,
    waitlist_position_of,
    waitlist_positions,
)
from competitions.tables import Registration
from core.errors import NotFound


async def get_registration(viewer: CurrentUser, registration_id: int) -> RegistrationOut:
    row = await registration_row(registration_id)
    if not may_see(viewer, row):
        # Whether someone registered is itself personal data: the same answer as a missing one.
        raise NotFound(f"报名记录不存在：{registration_id}", field="registration_id")
    return registration_out(row, await waitlist_position_of(row), show_blind=viewer.role == Role.ORGANIZER)


async def my_registrations(viewer: CurrentUser) -> list[RegistrationOut]:
    if viewer.person_id is None:
        return []
    rows = (
        await Registration.select(*REG_COLUMNS)
        .where(Registration.person == viewer.person_id)
        .order_by(Registration.id, ascending=False)
    )
    return [registration_out(r, await waitlist_position_of(r), show_blind=False) for r in rows]


def registration_filter(
    viewer: CurrentUser,
    competition_id: int,
    *,
    status: str | None = None,
    review: str | None = None,
    attendance: str | None = None,
    enterprise_id: int | None = None,
    query: str | None = None,
) -> Any:
    condition = Registration.competition == competition_id
    if viewer.role == Role.UNION_OFFICER:
        condition &= Registration.person.union == viewer.union_id
    if status:
        condition &= Registration.status == status
    if review:
        condition &= Registration.review == review
    if attendance == "unmarked":
        condition &= Registration.attendance.is_null()
    elif attendance:
        condition &= Registration.attendance == attendance
    if enterprise_id is not None:
        condition &= Registration.employer == enterprise_id
    if query:
        text = query.strip()
        condition &= Registration.person.name.like(f"%{text}%") | (
            Registration.registration_no == text.upper()
        )
    return condition


async def list_registrations(
    viewer: CurrentUser, competition_id: int, *, limit: int = 50, offset: int = 0, **filters: Any
) -> RegistrationsPage:
    await competition_row(competition_id)
    condition = registration_filter(viewer, competition_id, **filters)
    total = await count_registrations(condition)
    rows = (
        await Registration.select(*REG_COLUMNS)
        .where(condition)
        .order_by(Registration.arrival)
        .limit(limit)
        .offset(offset)
    )
    positions = await waitlist_positions(competition_id)
    show_blind = viewer.role == Role.ORGANIZER
    items = [registration_out(r, positions.get(r["id"]), show_blind=show_blind) for r in rows]
    return RegistrationsPage(total=total, limit=limit, offset=offset, items=items)
