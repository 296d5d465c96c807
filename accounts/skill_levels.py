"""A person's skill level (职业技能等级) now and its history.

``Person.skill_level`` is the level a person holds now (5 初级工 .. 1 高级技师): what eligibility rules of
competitions and honours read. Every change of it is appended to ``skill_level_change`` in the transaction
that makes it: a promotion confirmed from a competition's results (:func:`promote`) or an edit of the
person (:func:`record_change`, called by ``accounts.service.update_person``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from accounts import audit
from accounts.audit import Actor
from accounts.rules import SKILL_LEVEL_NAMES
from accounts.schemas import SkillLevelChangeOut, SkillLevelsOut
from accounts.tables import Person, SkillLevelChange, User
from core.db import utcnow
from core.errors import Conflict

Source = Literal["promotion", "manual"]


def level_name(level: int | None) -> str:
    return "" if level is None else SKILL_LEVEL_NAMES[level]


async def record_change(
    actor: Actor,
    person_id: int,
    level_before: int | None,
    level_after: int | None,
    *,
    source: Source,
    competition_id: int | None = None,
    basis: str = "",
) -> None:
    """Append one change to the person's history (inside the caller's transaction); no change, no row."""
    if level_before == level_after:
        return
    await SkillLevelChange.insert(
        SkillLevelChange(
            person=person_id,
            level_before=level_before,
            level_after=level_after,
            source=source,
            competition_id=competition_id,
            basis=basis,
            changed_by=actor.id,
            changed_at=utcnow(),
        )
    )


async def promote(
    actor: Actor, person_id: int, level_after: int, *, competition_id: int, basis: str
) -> tuple[bool, int | None]:
    """Raise the person's level to ``level_after`` unless they already hold it or a more senior one.

    Inside the caller's transaction: the person row (version-checked), the history row and the audit row
    commit together. Returns (whether it changed, the level held before). 409 if the person was edited
    meanwhile.
    """
    row = await Person.select(Person.skill_level, Person.version).where(Person.id == person_id).first()
    if row is None:
        raise Conflict(f"人员不存在：{person_id}", code="person_missing", field="person_id")
    held = row["skill_level"]
    if held is not None and held <= level_after:  # a smaller number is more senior
        return False, held
    updated = await (
        Person.update({Person.skill_level: level_after, Person.version: row["version"] + 1})
        .where((Person.id == person_id) & (Person.version == row["version"]))
        .returning(Person.id)
    )
    if not updated:
        raise Conflict("人员信息刚被修改，请重试", code="stale_version", field="person_id")
    await record_change(
        actor, person_id, held, level_after, source="promotion", competition_id=competition_id, basis=basis
    )
    await audit.record(
        actor,
        "person.promote",
        "person",
        person_id,
        before={"skill_level": held},
        after={"skill_level": level_after},
        reason=basis,
    )
    return True, held


async def current_levels(person_ids: Iterable[int]) -> dict[int, int | None]:
    """The level each person holds now (None: none), for eligibility checks in other domains."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    rows = await Person.select(Person.id, Person.skill_level).where(Person.id.is_in(ids))
    return {row["id"]: row["skill_level"] for row in rows}


async def history(person_id: int) -> SkillLevelsOut:
    """The person's level now and every change, newest first (the caller has checked who may read it)."""
    current = await current_levels([person_id])
    rows = (
        await SkillLevelChange.select(
            SkillLevelChange.level_before,
            SkillLevelChange.level_after,
            SkillLevelChange.source,
            SkillLevelChange.competition_id,
            SkillLevelChange.basis,
            SkillLevelChange.changed_by,
            SkillLevelChange.changed_at,
        )
        .where(SkillLevelChange.person == person_id)
        .order_by(SkillLevelChange.id, ascending=False)
    )
    users = {
        u["id"]: u["display_name"]
        for u in await User.select(User.id, User.display_name).where(
            User.id.is_in([r["changed_by"] for r in rows if r["changed_by"] is not None] or [0])
        )
    }
    level = current.get(person_id)
    return SkillLevelsOut(
        person_id=person_id,
        skill_level=level,
        skill_level_name=level_name(level),
        history=[
            SkillLevelChangeOut(
                level_before=r["level_before"],
                level_before_name=level_name(r["level_before"]),
                level_after=r["level_after"],
                level_after_name=level_name(r["level_after"]),
                source=r["source"],
                competition_id=r["competition_id"],
                basis=r["basis"],
                changed_by_name=users.get(r["changed_by"], "系统"),
                changed_at=r["changed_at"],
            )
            for r in rows
        ],
    )
