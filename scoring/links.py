"""Judges' one-time log-in links (and their QR codes): printed by the organizer, scanned on the tablet.

Only a token's hash is stored, so a link can be shown once; a new one for the same judge revokes their
earlier unused links. Using a link opens a session until the link's expiry (23:59:59 Beijing time of the
day it was made); revoking a judge's links ends the sessions they opened, in every process. Reading a link
(:func:`live_link`) never uses it: only :func:`consume_link` does, behind the page's button.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence

import msgspec
import segno

from accounts import audit
from accounts.audit import Actor
from accounts.rules import Role
from accounts.schemas import CurrentUser
from accounts.sessions import end_sessions_from, start_session
from core.db import SHANGHAI, today_shanghai, utcnow, write_transaction
from core.errors import Invalid, NotFound
from scoring.competition_facts import competition
from scoring.judges import Judge, assignment, panel, refresh_recusals, require_chief
from scoring.schemas import LinkOut
from scoring.tables import JudgeLink


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def end_of_day_shanghai() -> dt.datetime:
    """23:59:59 today in Asia/Shanghai, as UTC."""
    return dt.datetime.combine(today_shanghai(), dt.time(23, 59, 59), tzinfo=SHANGHAI).astimezone(dt.UTC)


def qr_svg(url: str) -> str:
    return segno.make_qr(url, error="m").svg_inline(scale=4, border=2)


async def revoke_judge_links(competition_id: int, judge_user_id: int, *, unused_only: bool = False) -> int:
    """Revoke a judge's links (``unused_only``: those not used yet) and end the sessions they opened."""
    query = JudgeLink.select(JudgeLink.id).where(
        (JudgeLink.competition == competition_id)
        & (JudgeLink.judge == judge_user_id)
        & JudgeLink.revoked_at.is_null()
    )
    if unused_only:
        query = query.where(JudgeLink.used_at.is_null())
    ids = [r["id"] for r in await query]
    if ids:
        await JudgeLink.update({JudgeLink.revoked_at: utcnow()}).where(JudgeLink.id.is_in(ids))
        for link_id in ids:
            await end_sessions_from(f"judge_link:{link_id}")
    return len(ids)


async def _new_link(
    actor: Actor,
    competition_id: int,
    judge: Judge,
    base_url: str,
    expires_at: dt.datetime,
    *,
    action: str = "judge_link.create",
) -> LinkOut:
    """A fresh link for one judge (their earlier unused ones revoked), inside the caller's transaction."""
    revoked = await revoke_judge_links(competition_id, judge.user_id, unused_only=True)
    token = secrets.token_urlsafe(32)
    link = JudgeLink(
        competition=competition_id,
        judge=judge.user_id,
        token_hash=_token_hash(token),
        expires_at=expires_at,
        created_at=utcnow(),
    )
    await link.save()
    await audit.record(
        actor,
        action,
        "judge_link",
        link.id,
        after={
            "judge_user_id": judge.user_id,
            "judge_no": judge.judge_no,
            "expires_at": expires_at.isoformat(),
            "revoked_unused": revoked,
        },
    )
    url = f"{base_url.rstrip('/')}/judge/login?token={token}"
    return LinkOut(
        link_id=link.id,
        judge_user_id=judge.user_id,
        judge_no=judge.judge_no,
        display_name=judge.display_name,
        is_chief=judge.is_chief,
        url=url,
        expires_at=expires_at,
        qr_svg=qr_svg(url),
    )


async def create_links(
    actor: Actor, competition_id: int, judge_user_ids: Sequence[int] | None, base_url: str
) -> list[LinkOut]:
    """One-time log-in links (and QR codes) valid until 23:59:59 Beijing time today, for some judges of
    the panel (None: every judge)."""
    await competition(competition_id)
    judges = await panel(competition_id)
    if judge_user_ids is not None:
        by_id = {j.user_id: j for j in judges}
        if any(j not in by_id for j in judge_user_ids):
            raise NotFound("该裁判不在本竞赛的裁判组中", field="judge_id")
        judges = [by_id[j] for j in judge_user_ids]
    if not judges:
        raise Invalid("本竞赛还没有裁判", code="no_judges", field="competition_id")
    expires_at = end_of_day_shanghai()
    async with write_transaction():
        await refresh_recusals(competition_id)
        return [await _new_link(actor, competition_id, judge, base_url, expires_at) for judge in judges]


async def reissue_link(
    user: CurrentUser, actor: Actor, competition_id: int, judge_user_id: int, base_url: str
) -> LinkOut:
    """At the venue, the chief judge (or an organizer) gives a judge a new one-time link from a phone: the
    judge's unused links die at once (a lost printout cannot be used), a tablet logged in keeps working.
    Audited as ``judge_link.reissue``."""
    if user.role != Role.ORGANIZER:
        await require_chief(competition_id, user)
    judge = await assignment(competition_id, judge_user_id)
    if judge is None:
        raise NotFound("该裁判不在本竞赛的裁判组中", field="judge_id")
    async with write_transaction():
        return await _new_link(
            actor, competition_id, judge, base_url, end_of_day_shanghai(), action="judge_link.reissue"
        )


async def revoke_links(actor: Actor, competition_id: int, judge_user_id: int) -> int:
    async with write_transaction():
        if await assignment(competition_id, judge_user_id) is None:
            raise NotFound("该裁判不在本竞赛的裁判组中", field="judge_id")
        revoked = await revoke_judge_links(competition_id, judge_user_id)
        await audit.record(
            actor,
            "judge_link.revoke",
            "judge_assignment",
            f"{competition_id}:{judge_user_id}",
            after={"revoked": revoked},
        )
    return revoked


class LinkLogin(msgspec.Struct, kw_only=True):
    session_token: str
    competition_id: int
    expires_at: dt.datetime


async def live_link(token: str) -> str | None:
    """The title of the competition a link opens while it is unused, unrevoked and unexpired; None when it
    is not. A plain read that writes nothing: what the link's page shows before the judge uses it."""
    if not token or len(token) > 200:
        return None
    row = (
        await JudgeLink.select(JudgeLink.competition.title.as_alias("title"))
        .where(
            (JudgeLink.token_hash == _token_hash(token))
            & (JudgeLink.expires_at > utcnow())
            & JudgeLink.used_at.is_null()
            & JudgeLink.revoked_at.is_null()
        )
        .first()
    )
    return None if row is None else row["title"]


async def consume_link(token: str) -> LinkLogin | None:
    """Use a one-time link: mark it used and open a session until its expiry; None if it cannot be used."""
    # A guessed or stale token is answered from a plain read: only a live one takes the write lock.
    if await live_link(token) is None:
        return None
    now = utcnow()
    async with write_transaction():
        link = (
            await JudgeLink.select(
                JudgeLink.id,
                JudgeLink.competition,
                JudgeLink.judge,
                JudgeLink.expires_at,
                JudgeLink.judge.active.as_alias("active"),
                JudgeLink.judge.display_name.as_alias("name"),
            )
            .where(JudgeLink.token_hash == _token_hash(token))
            .first()
        )
        if link is None or not link["active"] or link["expires_at"] <= now:
            return None
        if await assignment(link["competition"], link["judge"]) is None:
            return None
        used = await (
            JudgeLink.update({JudgeLink.used_at: now})
            .where(
                (JudgeLink.id == link["id"]) & JudgeLink.used_at.is_null() & JudgeLink.revoked_at.is_null()
            )
            .returning(JudgeLink.id)
        )
        if not used:
            return None
        session = await start_session(
            link["judge"], expires_at=link["expires_at"], origin=f"judge_link:{link['id']}"
        )
        await audit.record(
            Actor(link["judge"], link["name"], Role.JUDGE), "judge_link.use", "judge_link", link["id"]
        )
    return LinkLogin(session_token=session, competition_id=link["competition"], expires_at=link["expires_at"])
