"""Skill-level promotion after publication: the list, the organizer's confirmation, the workbook for the
human resources bureau (人社局).

The list is the one published: each publication's open document carries the contestants a band of the
promotion rule applies to, with the level each held then (:mod:`scoring.standings`). An organizer confirms
the latest version's list once; in that transaction every ``promoted`` person's level is raised (unless they
already hold that level or a more senior one by now), their skill-level history records it
(:func:`accounts.skill_levels.promote`) and the confirmation is audited. The workbook lists the confirmed
promotions with full ID numbers, for organizers only, and its download is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import msgspec

from accounts import audit, skill_levels
from accounts.audit import Actor
from accounts.disclosure import disclose
from competitions.tables import Registration
from core.db import SHANGHAI, is_unique_violation, utcnow, write_transaction
from core.errors import Conflict
from scoring import export
from scoring import rules as engine
from scoring.results import as_bytes, competition_head
from scoring.standings_schemas import ConfirmationOut, ConfirmIn, PromotionList, PromotionRow
from scoring.tables import PromotionConfirmation, Publication

HR_HEADER = [
    "序号",
    "姓名",
    "性别",
    "身份证号",
    "工作单位",
    "职业（工种）",
    "名次",
    "奖项",
    "成绩",
    "原职业技能等级",
    "晋升职业技能等级",
    "依据",
]


class _Entry(msgspec.Struct, kw_only=True):
    blind_code: str
    band: int
    level_before: int | None
    level_after: int | None
    outcome: str


class _Figure(msgspec.Struct, kw_only=True):
    blind_code: str
    final_score: Decimal
    rank: int | None
    tier: int | None


class _Document(msgspec.Struct, kw_only=True):
    """The parts of a stored open document the promotion list reads (the rest is skipped unread)."""

    rules: engine.CompetitionRules
    published: list[_Figure]
    promotions: list[_Entry] = []


async def _latest(competition_id: int) -> tuple[int, _Document]:
    row = (
        await Publication.select(Publication.version, Publication.document)
        .where(Publication.competition == competition_id)
        .order_by(Publication.version, ascending=False)
        .first()
    )
    if row is None:
        await competition_head(competition_id)
        raise Conflict("成绩尚未发布，发布后才有晋升名单", code="not_published")
    document = msgspec.json.decode(as_bytes(row["document"]), type=_Document)
    if document.rules.promotion is None:
        raise Conflict("本竞赛未设置技能等级晋升规则", code="no_promotion_rule")
    return row["version"], document


async def _contestants(competition_id: int, codes: Sequence[str]) -> dict[str, dict[str, Any]]:
    if not codes:
        return {}
    rows = await Registration.select(
        Registration.id,
        Registration.blind_code,
        Registration.person,
        Registration.person.name.as_alias("name"),
        Registration.person.skill_level.as_alias("skill_level"),
        Registration.employer.name.as_alias("employer"),
    ).where((Registration.competition == competition_id) & Registration.blind_code.is_in(list(codes)))
    return {row["blind_code"]: row for row in rows}


def _prize(tier: int | None) -> str | None:
    return None if tier is None else engine.TIER_NAMES.get(tier, f"{tier}等奖")


def _rows(document: _Document, people: dict[str, dict[str, Any]]) -> list[PromotionRow]:
    figures = {f.blind_code: f for f in document.published}
    rows = []
    for entry in document.promotions:
        person, figure = people[entry.blind_code], figures[entry.blind_code]
        rows.append(
            PromotionRow(
                registration_id=person["id"],
                blind_code=entry.blind_code,
                name=person["name"],
                employer=person["employer"] or "",
                rank=figure.rank or 0,
                prize=_prize(figure.tier),
                final_score=figure.final_score,
                band=entry.band,
                level_before=entry.level_before,
                level_before_name=skill_levels.level_name(entry.level_before),
                level_after=entry.level_after,
                level_after_name=skill_levels.level_name(entry.level_after),
                outcome=entry.outcome,
                current_level=person["skill_level"],
            )
        )
    return sorted(rows, key=lambda r: (r.rank, r.blind_code))


async def _confirmation(competition_id: int) -> tuple[ConfirmationOut | None, dict[int, dict[str, Any]]]:
    """The confirmation, if any, and what it applied by registration id."""
    row = (
        await PromotionConfirmation.select(
            PromotionConfirmation.publication_version,
            PromotionConfirmation.confirmed_at,
            PromotionConfirmation.confirmed_by,
            PromotionConfirmation.confirmed_by.display_name.as_alias("by_name"),
            PromotionConfirmation.entries,
            PromotionConfirmation.reason,
        )
        .where(PromotionConfirmation.competition == competition_id)
        .first()
    )
    if row is None:
        return None, {}
    entries = {e["registration_id"]: e for e in msgspec.json.decode(as_bytes(row["entries"]))}
    confirmation = ConfirmationOut(
        publication_version=row["publication_version"],
        confirmed_at=row["confirmed_at"],
        confirmed_by=row["confirmed_by"],
        confirmed_by_name=row["by_name"] or "",
        promoted=sum(1 for e in entries.values() if e["applied"]),
        reason=row["reason"],
    )
    return confirmation, entries


async def promotion_list(competition_id: int) -> PromotionList:
    """The latest published version's promotion list, with each person's level now and any confirmation."""
    version, document = await _latest(competition_id)
    people = await _contestants(competition_id, [e.blind_code for e in document.promotions])
    assert document.rules.promotion is not None
    return PromotionList(
        competition_id=competition_id,
        publication_version=version,
        basis=document.rules.promotion.basis,
        rows=_rows(document, people),
        confirmation=(await _confirmation(competition_id))[0],
    )


def _basis(title: str, row: PromotionRow, rule_basis: str) -> str:
    place = f"第{row.rank}名" + (f"（{row.prize}）" if row.prize else "")
    return f"{title} {place}" + (f"；依据：{rule_basis}" if rule_basis else "")


async def _apply(
    actor: Actor, competition_id: int, title: str, listed: PromotionList
) -> list[dict[str, Any]]:
    """Raise every promoted person's level (inside the caller's transaction); what was applied."""
    applied = []
    people = await _contestants(competition_id, [r.blind_code for r in listed.rows])
    for row in listed.rows:
        changed, held = False, row.current_level
        if row.outcome == "promoted" and row.level_after is not None:
            changed, held = await skill_levels.promote(
                actor,
                people[row.blind_code]["person"],
                row.level_after,
                competition_id=competition_id,
                basis=_basis(title, row, listed.basis),
            )
        applied.append(
            {
                "registration_id": row.registration_id,
                "level_before": held,
                "level_after": row.level_after,
                "outcome": row.outcome,
                "applied": changed,
            }
        )
    return applied


async def confirm(actor: Actor, competition_id: int, data: ConfirmIn) -> PromotionList:
    """Confirm the latest version's list once (409 if a newer version exists or it is confirmed). Audited."""
    head = await competition_head(competition_id)
    try:
        async with write_transaction():
            listed = await promotion_list(competition_id)
            if listed.publication_version != data.publication_version:
                raise Conflict(
                    f"成绩已有第 {listed.publication_version} 版发布，请核对最新晋升名单后再确认",
                    code="stale_version",
                    field="publication_version",
                    detail={"current_version": listed.publication_version},
                )
            if listed.confirmation is not None:
                raise Conflict("晋升名单已确认", code="already_confirmed")
            applied = await _apply(actor, competition_id, head.title, listed)
            await PromotionConfirmation.insert(
                PromotionConfirmation(
                    competition=competition_id,
                    publication_version=listed.publication_version,
                    confirmed_by=actor.id,
                    confirmed_at=utcnow(),
                    entries=msgspec.json.encode(applied).decode(),
                    reason=data.reason.strip(),
                )
            )
            await audit.record(
                actor,
                "promotion.confirm",
                "competition",
                competition_id,
                after={
                    "publication_version": listed.publication_version,
                    "listed": len(applied),
                    "promoted": sum(1 for a in applied if a["applied"]),
                },
                reason=data.reason.strip(),
            )
    except Exception as exc:
        if is_unique_violation(exc):  # two organizers confirmed at once
            raise Conflict("晋升名单已由他人确认", code="already_confirmed") from None
        raise
    return await promotion_list(competition_id)


HR_PURPOSE = "报送人力资源社会保障部门，认定晋升的职业技能等级"


async def hr_workbook(actor: Actor, competition_id: int) -> tuple[bytes, str]:
    """The promotions the confirmation applied, as XLSX for the human resources bureau: full ID numbers,
    organizers only (audited)."""
    confirmation, applied = await _confirmation(competition_id)
    if confirmation is None:
        raise Conflict("晋升名单尚未确认，确认后才能导出", code="not_confirmed")
    listed = await promotion_list(competition_id)
    head = await competition_head(competition_id)
    done = [r for r in listed.rows if applied.get(r.registration_id, {}).get("applied")]
    people = {
        row["id"]: row
        for row in await Registration.select(
            Registration.id,
            Registration.person.as_alias("person_id"),
            Registration.person.gender.as_alias("gender"),
            Registration.person.id_sealed.as_alias("id_sealed"),
            Registration.person.mobile_sealed.as_alias("mobile_sealed"),
        ).where(Registration.id.is_in([r.registration_id for r in done] or [0]))
    }
    # Every ID number opened is audited per person, with why: the bureau records the new levels by it.
    opened = await disclose(
        actor,
        list(people.values()),
        purpose=HR_PURPOSE,
        context=f"competition {competition_id} promotion workbook",
        person_key="person_id",
    )
    body: list[list[export.Cell]] = [
        [
            number,
            row.name,
            {"M": "男", "F": "女"}.get(people[row.registration_id]["gender"], ""),
            opened[people[row.registration_id]["person_id"]].id_number,
            row.employer,
            head.occupation,
            row.rank,
            row.prize or "",
            row.final_score,
            skill_levels.level_name(applied[row.registration_id]["level_before"]) or "无",
            row.level_after_name,
            listed.basis,
        ]
        for number, row in enumerate(done, start=1)
    ]
    async with write_transaction():
        after = {"rows": len(body), "publication_version": confirmation.publication_version}
        await audit.record(actor, "promotion.export_full", "competition", competition_id, after=after)
    stamp = utcnow().astimezone(SHANGHAI).strftime("%Y%m%d")
    note = f"第 {confirmation.publication_version} 版发布成绩" + (
        f"；依据：{listed.basis}" if listed.basis else ""
    )
    exponent = done[0].final_score.as_tuple().exponent if done else -2
    content = export.xlsx_bytes(
        f"{head.title} 职业技能等级晋升人员名单",
        HR_HEADER,
        body,
        note=note,
        decimals=-exponent if isinstance(exponent, int) and exponent < 0 else 0,
        sheet_name="晋升名单",
    )
    return content, f"promotions-{competition_id}-{stamp}.xlsx"
