"""Who may nominate, and when: a union officer nominates members of their own union, within the programme's
nomination window; a nomination changes while it may (officers within the window, organizers until the
eligibility review ends)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from accounts.rules import Role
from accounts.schemas import CurrentUser
from awards.rows import programme_row, programme_values
from awards.rules import ELIGIBILITY_REVIEW_STATES, STATE_NAMES, ProgrammeState
from awards.tables import Nomination
from core.db import SHANGHAI, utcnow
from core.errors import Conflict, Forbidden, NotFound


def officer_union(viewer: CurrentUser) -> int:
    """The viewer's union, if the viewer is a union officer (only they nominate); else 403."""
    if viewer.role != Role.UNION_OFFICER or viewer.union_id is None:
        raise Forbidden("只有基层工会干部可以推荐本单位会员", code="not_union_officer")
    return viewer.union_id


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def check_window(programme: dict[str, Any], now: dt.datetime | None = None) -> None:
    """409 ``nomination_closed`` unless the programme takes nominations now (saying when it opens, closed)."""
    now = now or utcnow()
    state = programme["state"]
    opens, closes = programme["nomination_opens_at"], programme["nomination_closes_at"]
    detail = {"state": state, "opens_at": opens.isoformat(), "closes_at": closes.isoformat()}
    if state != ProgrammeState.OPEN:
        message = f"评选处于「{STATE_NAMES.get(state, state)}」阶段，不接受推荐"
    elif now < opens:
        message = f"推荐将于 {_local(opens)} 开始"
    elif now >= closes:
        message = f"推荐已于 {_local(closes)} 截止"
    else:
        return
    raise Conflict(message, code="nomination_closed", field="programme_id", detail=detail)


async def writable_nomination(
    viewer: CurrentUser, nomination_id: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The nomination and its programme, if ``viewer`` may change it now (officers only in the window)."""
    row = await Nomination.select().where(Nomination.id == nomination_id).first()
    if row is None or (viewer.role == Role.UNION_OFFICER and row["union"] != viewer.union_id):
        raise NotFound(f"推荐不存在：{nomination_id}", field="nomination_id")
    programme = programme_values(await programme_row(row["programme"]))
    if viewer.role == Role.UNION_OFFICER:
        check_window(programme)
    elif programme["state"] not in ELIGIBILITY_REVIEW_STATES:
        raise Conflict(
            f"评选处于「{STATE_NAMES.get(programme['state'], programme['state'])}」阶段，推荐不能再修改",
            code="nomination_locked",
            detail={"state": programme["state"]},
        )
    return row, programme
