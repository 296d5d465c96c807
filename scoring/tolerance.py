"""Tolerance flags: judges' judgement marks on an aspect of one contestant that differ by more than the
competition's tolerance are flagged, to be re-marked by a judge or accepted by the chief judge.

Flags follow the counted marks (submitted or signed sheets, judges recused from the contestant left out):
every write that changes such marks recomputes the flags of the aspects it touched, in its transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from core.db import engine_name, run_sql, utcnow
from scoring import rules
from scoring.marks import COUNTED, plain
from scoring.schemas import FlagOut
from scoring.tables import SheetMark, ToleranceFlag

# The counted marks of one contestant's stage, recused judges left out, in one statement built once.
_COUNTED_SQL = f"""
SELECT m.aspect_id AS aspect_id, m.value AS value
FROM sheet_mark m JOIN score_sheet s ON s.id = m.sheet
WHERE s.stage = {{}} AND s.registration = {{}} AND s.status IN ({", ".join(f"'{c}'" for c in COUNTED)})
  AND s.judge NOT IN (SELECT rc.judge FROM recusal rc WHERE rc.registration = {{}})
"""
_FLAGS_SQL = """
SELECT id, aspect_id, status, spread, reason FROM tolerance_flag
WHERE stage = {} AND registration = {} ORDER BY id
"""


async def _counted_values(
    stage_id: int, registration_id: int, aspect_ids: set[str]
) -> dict[str, list[Decimal]]:
    """The counted marks of one contestant on some aspects, by aspect, recused judges left out."""
    values: dict[str, list[Decimal]] = defaultdict(list)
    for row in await run_sql(_COUNTED_SQL, stage_id, registration_id, registration_id):
        if row["aspect_id"] in aspect_ids:
            values[row["aspect_id"]].append(row["value"])
    return values


async def _stage_flags(stage_id: int, registration_id: int) -> list[dict[str, Any]]:
    """Every flag of one contestant's stage, resolved ones too, in id order."""
    return await run_sql(_FLAGS_SQL, stage_id, registration_id)


async def _open_flag(
    stage_id: int,
    registration_id: int,
    aspect_id: str,
    spread: Decimal,
    flag: Mapping[str, Any] | None,
    now: dt.datetime,
) -> int:
    """The flag open with this spread; its id."""
    if flag is None:
        rows = (
            await ToleranceFlag.insert(
                ToleranceFlag(
                    stage=stage_id,
                    registration=registration_id,
                    aspect_id=aspect_id,
                    flag_key=f"{stage_id}:{registration_id}:{aspect_id}",
                    status="open",
                    spread=spread,
                    updated_at=now,
                )
            )
            .on_conflict(
                target=ToleranceFlag.flag_key,
                action="DO UPDATE",
                values=[ToleranceFlag.status, ToleranceFlag.spread, ToleranceFlag.updated_at],
            )
            .returning(ToleranceFlag.id)
        )
        return rows[0]["id"]
    # The marks changed: whatever was accepted before no longer describes them.
    await ToleranceFlag.update(
        {
            ToleranceFlag.status: "open",
            ToleranceFlag.spread: spread,
            ToleranceFlag.accepted_by: None,
            ToleranceFlag.reason: "",
            ToleranceFlag.updated_at: now,
        }
    ).where(ToleranceFlag.id == flag["id"])
    return flag["id"]


async def recompute_flags(
    stage_id: int, registration_id: int, aspect_ids: set[str], tolerance: Decimal
) -> list[FlagOut]:
    """Open, re-open or resolve the tolerance flags of some judgement aspects of one contestant.

    Counted sheets only (submitted or signed), judges recused from the contestant left out. Writers of
    one contestant's marks take turns here (SQLite's write transaction already serialises them; on
    PostgreSQL an advisory lock per stage and contestant), so two judges submitting at once both see
    each other's marks and no spread slips through unflagged.
    """
    if engine_name() == "postgres":
        await run_sql("SELECT pg_advisory_xact_lock({}, {})", stage_id, registration_id)
    values = await _counted_values(stage_id, registration_id, aspect_ids)
    # Every flag of the contestant's stage, read once: the touched ones are recomputed, and all of them as
    # left are returned, so that the writer's answer does not read them again.
    flags = {r["aspect_id"]: r for r in await _stage_flags(stage_id, registration_id)}
    now = utcnow()
    for aspect_id in sorted(aspect_ids):
        marks = values.get(aspect_id, [])
        spread = (max(marks) - min(marks)) if len(marks) >= 2 else Decimal(0)
        flag = flags.get(aspect_id)
        if spread > tolerance:
            flag_id = await _open_flag(stage_id, registration_id, aspect_id, spread, flag, now)
            flags[aspect_id] = {"id": flag_id, "aspect_id": aspect_id, "status": "open", "spread": spread}
            flags[aspect_id]["reason"] = ""
        elif flag is not None and flag["status"] != "resolved":
            await ToleranceFlag.update(
                {
                    ToleranceFlag.status: "resolved",
                    ToleranceFlag.spread: spread,
                    ToleranceFlag.updated_at: now,
                }
            ).where(ToleranceFlag.id == flag["id"])
            flags[aspect_id] = {**flag, "status": "resolved"}
    return _flag_outs(sorted(flags.values(), key=lambda r: r["id"]))


def _flag_outs(rows: Iterable[Mapping[str, Any]], wanted: set[str] | None = None) -> list[FlagOut]:
    """Flags as a sheet shows them: open or accepted ones (of the ``wanted`` aspects), in id order."""
    return [
        FlagOut(
            id=r["id"],
            aspect_id=r["aspect_id"],
            spread=plain(r["spread"]),
            status=r["status"],
            reason=r["reason"],
        )
        for r in rows
        if r["status"] != "resolved" and (wanted is None or r["aspect_id"] in wanted)
    ]


def flaggable(aspects: Mapping[str, rules.Aspect], aspect_ids: Iterable[str]) -> bool:
    """Whether a flag can stand on any of these aspects: only judgement marks are compared, and the rubric
    is frozen before the first mark, so a sheet of measurement marks has none to read (an aspect no longer
    in the rubric is assumed to have one)."""
    return any(a not in aspects or aspects[a].kind == "judgement" for a in aspect_ids)


async def sheet_flags(stage_id: int, registration_id: int, aspect_ids: Iterable[str]) -> list[FlagOut]:
    """The flags (open or accepted) of one contestant's stage on some aspects: what a sheet shows."""
    return _flag_outs(await _stage_flags(stage_id, registration_id), set(aspect_ids))


async def open_flags_of_sheet(sheet: Mapping[str, Any]) -> list[str]:
    """The aspects marked on this sheet whose tolerance flag is open (the sheet cannot be signed)."""
    marked = {
        r["aspect_id"]
        for r in await SheetMark.select(SheetMark.aspect_id).where(SheetMark.sheet == sheet["id"])
    }
    rows = await ToleranceFlag.select(ToleranceFlag.aspect_id).where(
        (ToleranceFlag.stage == sheet["stage"])
        & (ToleranceFlag.registration == sheet["registration"])
        & (ToleranceFlag.status == "open")
    )
    return sorted(r["aspect_id"] for r in rows if r["aspect_id"] in marked)
