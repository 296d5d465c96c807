"""Imported marks (导入成绩): one mark per contestant for an imported stage (the theory exam), uploaded by
the organizer as XLSX or CSV, by blind code or registration number.

All or nothing: any bad row refuses the file with every row's problem listed (422). A signed-off stage's
marks are locked; the first imported mark freezes the scheme like the first judge's mark.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from accounts import audit
from accounts.audit import Actor
from competitions.rules import normalize_blind_code
from competitions.schemas import RowError
from competitions.sheets import SheetError, read_table
from competitions.tables import Registration
from core.db import utcnow, write_transaction
from core.errors import Conflict, Invalid, NotFound
from scoring import rules
from scoring.competition_facts import competition, notify
from scoring.marks import plain
from scoring.rounds import refuse_imports_outside_round
from scoring.rubric import Scheme, freeze_scheme, load_scheme
from scoring.schemas import ImportedMarkOut, ImportResult
from scoring.tables import ImportedMark, StageSignoff

_CODE_HEADERS = {"加密号", "密号", "抽签号", "blind_code", "blindcode"}
_NUMBER_HEADERS = {"报名编号", "报名号", "registration_no", "registrationno"}
_VALUE_HEADERS = {"成绩", "分数", "理论成绩", "考试成绩", "得分", "score", "mark"}


def _header_index(header: Sequence[str], names: set[str]) -> int | None:
    for index, text in enumerate(header):
        if text.replace(" ", "").replace("*", "").lower() in names:
            return index
    return None


def _cell_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None


@dataclass(frozen=True)
class _Columns:
    """Where the file has the blind code, the registration number and the mark (None: no such column)."""

    code: int | None
    number: int | None
    value: int

    def cell(self, cells: Sequence[Any], index: int | None) -> Any:
        return cells[index] if index is not None and index < len(cells) else None


def _columns(header: Sequence[str]) -> _Columns:
    code_at = _header_index(header, _CODE_HEADERS)
    number_at = _header_index(header, _NUMBER_HEADERS)
    value_at = _header_index(header, _VALUE_HEADERS)
    if value_at is None or (code_at is None and number_at is None):
        raise Invalid("表格须包含“加密号”或“报名编号”列，以及“成绩”列", code="missing_columns", field="file")
    return _Columns(code=code_at, number=number_at, value=value_at)


class _Contestants:
    """The competition's accepted registrations, by blind code and by registration number."""

    def __init__(self, registrations: Sequence[Mapping[str, Any]]) -> None:
        accepted = [r for r in registrations if r["status"] == "accepted"]
        self.by_code = {r["blind_code"]: r["id"] for r in accepted if r["blind_code"]}
        self.by_number = {r["registration_no"]: r["id"] for r in accepted}
        self.number_of = {r["id"]: r["registration_no"] for r in registrations}


def _row_contestant(
    number: int, cells: Sequence[Any], columns: _Columns, known: _Contestants
) -> int | RowError:
    """The registration a row names (by blind code first), or the row's error."""
    code_text = str(columns.cell(cells, columns.code) or "").strip()
    number_text = str(columns.cell(cells, columns.number) or "").strip().upper()
    if code_text:
        found = known.by_code.get(normalize_blind_code(code_text) or code_text.upper())
        if found is None:
            message = f"加密号“{code_text[:20]}”不是本竞赛的选手"
            return RowError(
                row=number, column="加密号", field="blind_code", code="unknown_contestant", message=message
            )
        return found
    if number_text:
        found = known.by_number.get(number_text)
        if found is None:
            message = f"报名编号“{number_text[:20]}”不是本竞赛的选手"
            return RowError(
                row=number,
                column="报名编号",
                field="registration_no",
                code="unknown_contestant",
                message=message,
            )
        return found
    return RowError(
        row=number, column="加密号", field="blind_code", code="required", message="缺少加密号或报名编号"
    )


def _row_value(
    number: int, cells: Sequence[Any], columns: _Columns, stage: rules.Stage
) -> Decimal | RowError:
    value = _cell_decimal(columns.cell(cells, columns.value))
    if value is None:
        return RowError(
            row=number, column="成绩", field="value", code="not_a_number", message="成绩不是有效数字"
        )
    problem = rules.validate_imported_mark(stage, value)
    if problem is not None:
        return RowError(row=number, column="成绩", field="value", code=problem.code, message=problem.message)
    return value


def _parse_rows(
    rows: Sequence[tuple[int, list[Any]]], columns: _Columns, known: _Contestants, stage: rules.Stage
) -> dict[int, tuple[int, Decimal]]:
    """registration id -> (row number, mark) of every row; a 422 listing every bad row if any is."""
    errors: list[RowError] = []
    parsed: dict[int, tuple[int, Decimal]] = {}
    for number, cells in rows:
        registration_id = _row_contestant(number, cells, columns, known)
        if isinstance(registration_id, RowError):
            errors.append(registration_id)
            continue
        value = _row_value(number, cells, columns, stage)
        if isinstance(value, RowError):
            errors.append(value)
            continue
        if registration_id in parsed:
            by_code = bool(str(columns.cell(cells, columns.code) or "").strip())
            errors.append(
                RowError(
                    row=number,
                    column="加密号" if by_code else "报名编号",
                    field="blind_code" if by_code else "registration_no",
                    code="duplicate_in_file",
                    message=f"与第 {parsed[registration_id][0]} 行为同一选手",
                )
            )
            continue
        parsed[registration_id] = (number, value)
    if errors:
        raise Invalid(
            f"共有{len(errors)}行有误，未导入任何成绩",
            code="rows_invalid",
            field="file",
            detail={"errors": [msgspec.to_builtins(e) for e in errors]},
        )
    if not parsed:
        raise Invalid("表格中没有成绩数据", code="empty_file", field="file")
    return parsed


async def _importable_stage(competition_id: int, stage_id: int) -> tuple[Scheme, rules.Stage]:
    await competition(competition_id)
    scheme = await load_scheme(competition_id)
    stage = scheme.rubric.stages.get(str(stage_id))
    if stage is None:
        raise NotFound("本竞赛没有该环节", code="unknown_stage", field="stage_id")
    if stage.kind != "imported":
        raise Invalid(f"环节“{stage.name}”不使用导入成绩", code="stage_not_imported", field="stage_id")
    return scheme, stage


async def _store(
    actor: Actor, scheme: Scheme, stage_id: int, marks: Mapping[int, Decimal], number_of: Mapping[int, str]
) -> int:
    """Upsert the marks that differ from the stored ones, audit them, freeze the scheme; how many changed."""
    if await StageSignoff.exists().where(StageSignoff.stage == stage_id):
        raise Conflict(
            "该环节已签字确认，成绩已锁定；如需更正请联系裁判长", code="stage_signed_off", field="stage_id"
        )
    existing = {
        r["registration"]: plain(r["value"])
        for r in await ImportedMark.select(ImportedMark.registration, ImportedMark.value).where(
            ImportedMark.stage == stage_id
        )
    }
    changed = {reg_id: value for reg_id, value in marks.items() if existing.get(reg_id) != value}
    if not changed:
        return 0
    now = utcnow()
    await ImportedMark.insert(
        *(
            ImportedMark(
                stage=stage_id,
                registration=reg_id,
                mark_key=f"{stage_id}:{reg_id}",
                value=value,
                updated_at=now,
            )
            for reg_id, value in changed.items()
        )
    ).on_conflict(
        target=ImportedMark.mark_key, action="DO UPDATE", values=[ImportedMark.value, ImportedMark.updated_at]
    )
    await audit.record(
        actor,
        "imported_mark.import",
        "stage",
        stage_id,
        before={number_of[r]: (str(existing[r]) if r in existing else None) for r in changed},
        after={number_of[r]: str(plain(v)) for r, v in changed.items()},
    )
    if scheme.frozen_at is None:
        await freeze_scheme(scheme, now)
    return len(changed)


async def import_marks(actor: Actor, competition_id: int, stage_id: int, content: bytes) -> ImportResult:
    """One mark per contestant for an imported stage (the theory exam), by blind code or registration number.

    All or nothing: any bad row refuses the file with every row's problem listed (422).
    """
    scheme, stage = await _importable_stage(competition_id, stage_id)
    try:
        header, rows = await asyncio.to_thread(read_table, content)  # CPU work: off the event loop
    except SheetError as exc:
        raise Invalid(exc.message, code=exc.code, field="file") from None
    columns = _columns(header)
    known = _Contestants(
        await Registration.select(
            Registration.id, Registration.registration_no, Registration.blind_code, Registration.status
        ).where(Registration.competition == competition_id)
    )
    parsed = await asyncio.to_thread(_parse_rows, rows, columns, known, stage)
    await refuse_imports_outside_round(competition_id, scheme.rules, str(stage_id), list(parsed))
    async with write_transaction():
        changed = await _store(
            actor, scheme, stage_id, {r: value for r, (_, value) in parsed.items()}, known.number_of
        )
    if changed:
        await notify(competition_id)
    return ImportResult(stage_id=stage_id, total_rows=len(rows), imported=len(parsed), changed=changed)


async def imported_marks(competition_id: int, stage_id: int) -> list[ImportedMarkOut]:
    await competition(competition_id)
    rows = await ImportedMark.select(
        ImportedMark.registration,
        ImportedMark.value,
        ImportedMark.registration.registration_no.as_alias("registration_no"),
        ImportedMark.registration.station_no.as_alias("station_no"),
        ImportedMark.registration.blind_code.as_alias("blind_code"),
    ).where((ImportedMark.stage == stage_id) & (ImportedMark.registration.competition == competition_id))
    return sorted(
        (
            ImportedMarkOut(
                registration_id=r["registration"],
                registration_no=r["registration_no"],
                station_no=r["station_no"],
                blind_code=r["blind_code"],
                value=plain(r["value"]),
            )
            for r in rows
        ),
        key=lambda m: m.registration_no,
    )
