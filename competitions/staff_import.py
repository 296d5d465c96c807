"""Staff accounts from a spreadsheet: an organizer's XLSX (or CSV) of union officers, experts and judges.

Read by the project's one spreadsheet reader (:func:`competitions.sheets.read_table`: format by content, row
cap, blank rows) and written by :func:`accounts.staff.create_staff`, all rows or none. It lives here, not in
accounts, because the reader does: imports run one way (accounts knows no competitions).
"""

from __future__ import annotations

import re
from typing import Any

from accounts import staff
from accounts.audit import Actor
from accounts.rules import ROLE_NAMES, Role
from accounts.schemas import StaffImportResult, StaffIn, StaffRowError
from accounts.tables import GrassrootsUnion
from competitions.sheets import SheetError, cell_text, read_table, write_xlsx
from core.errors import Invalid

# (field, header, aliases)
COLUMNS = (
    ("username", "用户名", ("登录名", "账号")),
    ("display_name", "姓名", ("名字",)),
    ("role", "角色", ("账号类型",)),
    ("union", "所属工会", ("工会", "基层工会")),
)
HEADERS = {field: header for field, header, _ in COLUMNS}
STAFF_ROLES = {Role.UNION_OFFICER, Role.EXPERT, Role.JUDGE}
ROLE_OF_TEXT: dict[str, str] = {}
for _role in STAFF_ROLES:
    ROLE_OF_TEXT[ROLE_NAMES[_role]] = _role.value
    ROLE_OF_TEXT[_role.value] = _role.value
ROLE_OF_TEXT |= {"工会干部": Role.UNION_OFFICER.value, "专家": Role.EXPERT.value}
_USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{3,50}$")
EXAMPLE = ("zhang_judge", "张三", "裁判", "")


def template() -> bytes:
    """The template an organizer fills in: the four columns and one example row."""
    return write_xlsx([h for _, h, _ in COLUMNS], [EXAMPLE], title="账号导入")


def _positions(header: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for field, name, aliases in COLUMNS:
        for index, text in enumerate(header):
            if text.replace(" ", "").replace("*", "") in {name, *aliases}:
                positions[field] = index
                break
    missing = [HEADERS[f] for f in ("username", "display_name", "role") if f not in positions]
    if missing:
        raise SheetError("missing_columns", "缺少必填列：" + "、".join(missing) + "（请使用平台提供的模板）")
    return positions


def _parse(
    rows: list[tuple[int, list[Any]]], positions: dict[str, int], unions: dict[str, int]
) -> tuple[list[tuple[int, StaffIn]], list[StaffRowError]]:
    items: list[tuple[int, StaffIn]] = []
    errors: list[StaffRowError] = []
    for number, cells in rows:

        def cell(field: str, cells: list[Any] = cells) -> str:
            index = positions.get(field)
            return cell_text(cells[index]) if index is not None and index < len(cells) else ""

        found: list[StaffRowError] = []
        username, name, role_text, union_name = (
            cell(f) for f in ("username", "display_name", "role", "union")
        )
        if (username, name, role_text) == EXAMPLE[:3]:
            continue  # the template's example row, left in
        if not _USERNAME.match(username):
            found.append(
                StaffRowError(row=number, field="username", message="用户名须为 3–50 位字母、数字或 _ . -")
            )
        if not 1 <= len(name) <= 50:
            found.append(StaffRowError(row=number, field="display_name", message="姓名必填，至多 50 字"))
        role = ROLE_OF_TEXT.get(role_text)
        if role is None:
            found.append(
                StaffRowError(row=number, field="role", message="角色应为“基层工会干部”“评审专家”或“裁判”")
            )
        union_id = unions.get(union_name) if union_name else None
        if union_name and union_id is None:
            found.append(
                StaffRowError(row=number, field="union", message=f"平台上没有名为“{union_name}”的工会")
            )
        if found:
            errors.extend(found)
            continue
        data = StaffIn(username=username, display_name=name, role=role, union_id=union_id)  # type: ignore[arg-type]
        items.append((number, data))
    return items, errors


async def import_staff(actor: Actor, content: bytes) -> StaffImportResult:
    """Every bad row listed with its row number; accounts are created only when there is none."""
    try:
        header, rows = read_table(content, max_rows=staff.MAX_IMPORT_ROWS)
        positions = _positions(header)
    except SheetError as exc:
        raise Invalid(exc.message, field="file", code=exc.code) from None
    unions = {
        r["name"]: r["id"] for r in await GrassrootsUnion.select(GrassrootsUnion.id, GrassrootsUnion.name)
    }
    items, errors = _parse(rows, positions, unions)
    problems = await staff.check_staff([data for _, data in items])
    field_of = {"username": "username", "union_id": "union"}
    errors.extend(
        StaffRowError(row=items[p.index][0], field=field_of.get(p.field, p.field), message=p.message)
        for p in problems
    )
    if errors or not items:
        if not errors:
            errors.append(StaffRowError(row=1, field="file", message="表中没有要导入的账号"))
        return StaffImportResult(created=[], errors=sorted(errors, key=lambda e: e.row))
    created = await staff.create_staff(actor, [data for _, data in items], reason="表格导入")
    return StaffImportResult(created=created, errors=[])
