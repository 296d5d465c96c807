"""One versioned, idempotent, audited writer for every kind of score sheet.

A *sheet* is one marker's marks for one subject: a judge's score sheet for a contestant in a stage
(:mod:`scoring.entry`), or an expert's review sheet for a nomination (awards' expert review). Both are
written the same way, and this module is that way, once.

What it guarantees
------------------
* **Idempotent**: every write carries the tablet's ``client_id`` (a UUID made once per write). The first
  answer is stored with it in the same transaction as the marks, and a replay, even one racing the
  original, gets that answer back (``replayed=True``): never a second write, never a 500. A client id used
  by another marker is refused (409 ``client_id_reused``).
* **Versioned**: the sheet row is updated ``WHERE version = base_version``; a stale write gets 409
  ``stale_version`` with the current version, status and marks, never a silent overwrite.
* **Complete on submit**: a submitted sheet has a mark for every aspect (422 ``sheet_incomplete``).
* **Audited**: ``<action>.save`` or ``<action>.submit`` with the old and new value of every changed mark,
  in the same transaction; a write that changes nothing writes no audit row (but still stores its answer).
* **All or nothing**: the version bump, the marks, the audit row, the caller's ``after_write`` step and
  the stored answer commit together or not at all.

What the caller provides
------------------------
A :class:`SheetKind`, once per kind of sheet (a module constant):

- ``sheet``, ``mark``, ``submission``: three Piccolo tables with (at least) these columns:

  - sheet: ``id``, ``sheet_key`` (unique), ``status`` (``draft`` | ``submitted`` | the caller's own),
    ``version``, ``submitted_at``, ``updated_at``, and a foreign key to the marker's user named ``owner``;
  - mark: ``sheet``, ``aspect_id``, ``mark_key`` (unique, ``"<sheet>:<aspect>"``), ``value``, ``updated_at``;
  - submission: ``client_id`` (unique UUID), ``sheet``, ``response`` (JSON), ``created_at``;
- ``response``: the msgspec Struct the write answers with (stored per client id, decoded on a replay);
- ``audit_entity`` and ``audit_action`` (``score_sheet`` / ``sheet`` gives ``sheet.save``, ``sheet.submit``);
- ``stale_message``: the Chinese message of the 409;
- ``refuse_status`` (optional): raises for a sheet status no write may change (judges' ``signed``).

Per request, a :class:`SheetWrite` (the sheet's key and the columns of a new sheet row, the marker, the
client id, the base version, the marks, already checked with :func:`check_marks`, whether to submit, the
sheet's aspects in rubric order, the actor and the facts for the audit row), and two async callables:
``respond(written)`` makes the answer from the :class:`WrittenSheet`; ``after_write(written)`` (optional)
runs after the audit row, inside the transaction (judges: freeze the rubric, recompute tolerance flags).

How to call it
--------------
::

    async def put_sheet(user, actor, data) -> tuple[Answer, bool]:
        async def write() -> Answer | None:
            ...  # checks that must hold under the write lock (entry rights, locks, state)
            return await sheet_writer.write_sheet(KIND, SheetWrite(...), respond=respond)

        return await sheet_writer.submit_once(KIND, data.client_id, user.id, write)

:func:`submit_once` opens the write transaction, answers a replay from the stored submission (before the
write, unless the caller has looked already; and when the write lost a race with its own replay), and
turns the unique violation of a concurrent replay into that replay's answer.

Mark values (:func:`plain`, :func:`check_marks`) live in :mod:`scoring.marks` and are exported here too.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, NoReturn, TypeVar

import msgspec
from piccolo.table import Table

from accounts import audit
from accounts.audit import Actor
from core.db import is_unique_violation, run_sql, utcnow, write_transaction
from core.errors import Conflict, DomainError, Invalid
from scoring.marks import MarkLike, check_marks, plain

__all__ = [
    "SheetKind",
    "SheetWrite",
    "WrittenSheet",
    "check_marks",
    "decode_answer",
    "mark_order",
    "plain",
    "sheet_marks",
    "stale_version",
    "stored_answer",
    "submit_once",
    "write_sheet",
]

Answer = TypeVar("Answer", bound=msgspec.Struct)
DRAFT, SUBMITTED = "draft", "submitted"


def _any_status(status: str) -> None:
    """Every status may be written (the default of :attr:`SheetKind.refuse_status`)."""


@dataclass(frozen=True)
class SheetKind(Generic[Answer]):
    """A kind of sheet: its tables, its answer, its audit names and its 409 (see the module docstring)."""

    sheet: type[Table]
    mark: type[Table]
    submission: type[Table]
    owner: str  # the sheet's column naming the marker: "judge", "expert"
    response: type[Answer]
    audit_entity: str
    audit_action: str
    stale_message: str
    refuse_status: Callable[[str], None] = _any_status


@dataclass(frozen=True)
class SheetWrite:
    """One write of one sheet, as the caller has checked it."""

    key: str  # the sheet's unique sheet_key
    new_sheet: Mapping[str, Any]  # columns of the sheet row the first write creates (besides the writer's)
    owner_id: int  # the marker's user id: a replay must be theirs
    client_id: uuid.UUID
    base_version: int
    marks: Sequence[MarkLike]  # checked with check_marks
    submit: bool
    aspects: Sequence[str]  # every aspect of the sheet, in rubric order
    actor: Actor
    audit_facts: Mapping[str, Any]  # added to the audit row's "after" (which contestant, which stage ...)


@dataclass(frozen=True)
class WrittenSheet:
    """What a write did, for the caller's answer and its ``after_write`` step."""

    sheet_id: int
    old_status: str
    status: str
    version: int
    marks: dict[str, Decimal]  # every mark on the sheet now, plain
    changed: dict[str, Decimal]  # the marks this write changed: aspect id -> new value
    submitted_at: dt.datetime | None
    at: dt.datetime

    @property
    def status_changed(self) -> bool:
        return self.status != self.old_status


# ------------------------------------------------------------------------------------------- answers


def decode_answer(kind: SheetKind[Answer], raw: Any) -> Answer:
    """A stored answer (JSON text, or already decoded by the driver) as the kind's response Struct."""
    return msgspec.json.decode(
        raw.encode() if isinstance(raw, str) else msgspec.json.encode(raw), type=kind.response
    )


@functools.cache
def _stored_answer_sql(kind: SheetKind[Any]) -> str:
    """A client id's stored answer and the marker of its sheet (built once per kind of sheet)."""
    submission, sheet = kind.submission._meta.tablename, kind.sheet._meta.tablename
    return (
        f"SELECT sub.response AS response, s.{kind.owner} AS owner FROM {submission} sub "
        f"JOIN {sheet} s ON s.id = sub.sheet WHERE sub.client_id = {{}}"
    )


async def stored_answer(kind: SheetKind[Answer], client_id: uuid.UUID, owner_id: int) -> Answer | None:
    """The first answer given to this client id, or None; another marker's client id is a 409."""
    rows = await run_sql(_stored_answer_sql(kind), client_id)
    if not rows:
        return None
    row = rows[0]
    if row["owner"] != owner_id:
        raise Conflict("提交编号已被使用", code="client_id_reused", field="client_id")
    return decode_answer(kind, row["response"])


async def submit_once(
    kind: SheetKind[Answer],
    client_id: uuid.UUID,
    owner_id: int,
    write: Callable[[], Awaitable[Answer | None]],
    *,
    check_first: bool = True,
) -> tuple[Answer, bool]:
    """Run ``write`` (usually ending in :func:`write_sheet`) in one write transaction, once per client id:
    returns (answer, replayed). ``check_first=False`` when the caller has already looked for a replay."""
    _FIRST_WRITE.set(None)
    try:
        async with write_transaction():
            if check_first:
                replay = await stored_answer(kind, client_id, owner_id)
                if replay is not None:
                    return replay, True
            answer = await write()
            if answer is None:  # lost a race with a replay of itself: the stored answer is committed
                replay = await stored_answer(kind, client_id, owner_id)
                assert replay is not None
                return replay, True
    except DomainError:
        raise
    except Exception as exc:  # a concurrent replay committed first: its client id is taken
        if not is_unique_violation(exc):
            raise
        replay = await stored_answer(kind, client_id, owner_id)
        if replay is None:
            await _lost_first_write(kind)
            raise
        return replay, True
    return answer, False


# -------------------------------------------------------------------------------------------- marks


def mark_order(marks: Mapping[str, Any], order: Iterable[str]) -> list[str]:
    """The aspects of ``marks`` in rubric ``order``, then any others (no longer in the rubric) sorted."""
    ordered = list(order)
    known = set(ordered)
    return [a for a in ordered if a in marks] + sorted(a for a in marks if a not in known)


async def sheet_marks(kind: SheetKind[Any], sheet_id: int) -> dict[str, Decimal]:
    """A sheet's marks, aspect id -> plain value."""
    mark: Any = kind.mark
    rows = await mark.select(mark.aspect_id, mark.value).where(mark.sheet == sheet_id)
    return {r["aspect_id"]: plain(r["value"]) for r in rows}


@functools.cache
def _upsert_marks_sql(kind: SheetKind[Any], rows: int) -> str:
    """The marks' upsert for ``rows`` marks (built once per kind and count)."""
    values = ", ".join(["({}, {}, {}, {}, {})"] * rows)
    return (
        f"INSERT INTO {kind.mark._meta.tablename} (sheet, aspect_id, mark_key, value, updated_at) "
        f"VALUES {values} ON CONFLICT (mark_key) DO UPDATE SET value = EXCLUDED.value, "
        "updated_at = EXCLUDED.updated_at"
    )


async def _upsert_marks(
    kind: SheetKind[Any], sheet_id: int, changed: Mapping[str, Decimal], now: dt.datetime
) -> None:
    if not changed:
        return
    args: list[Any] = []
    for aspect_id, value in changed.items():
        args += [sheet_id, aspect_id, f"{sheet_id}:{aspect_id}", value, now]
    await run_sql(_upsert_marks_sql(kind, len(changed)), *args)


def stale_version(
    kind: SheetKind[Any], version: int, status: str, marks: Mapping[str, Decimal], order: Iterable[str]
) -> Conflict:
    """The 409 of a write based on an older version: the current version, status and marks."""
    return Conflict(
        kind.stale_message,
        code="stale_version",
        field="base_version",
        detail={
            "current_version": version,
            "status": status,
            "marks": [{"aspect_id": a, "value": str(marks[a])} for a in mark_order(marks, order)],
        },
    )


# -------------------------------------------------------------------------------------------- the write


@functools.cache
def _sheet_and_marks_sql(kind: SheetKind[Any]) -> str:
    """The sheet and its marks in one statement (built once per kind of sheet)."""
    sheet, mark = kind.sheet._meta.tablename, kind.mark._meta.tablename
    return (
        "SELECT s.id AS id, s.status AS status, s.version AS version, s.submitted_at AS submitted_at, "
        f"m.aspect_id AS aspect_id, m.value AS value FROM {sheet} s LEFT JOIN {mark} m ON m.sheet = s.id "
        "WHERE s.sheet_key = {}"
    )


async def _sheet_and_marks(
    kind: SheetKind[Any], key: str
) -> tuple[dict[str, Any] | None, dict[str, Decimal]]:
    """The sheet's row (None before its first write) and its marks, aspect id -> plain value."""
    rows = await run_sql(_sheet_and_marks_sql(kind), key)
    if not rows:
        return None, {}
    marks = {r["aspect_id"]: plain(r["value"]) for r in rows if r["aspect_id"] is not None}
    return rows[0], marks


# The sheet key and aspects of a first write in this task: a concurrent first write of the same sheet fails
# on the unique sheet_key, and submit_once answers that with the 409 of a stale version (the other won).
_FIRST_WRITE: contextvars.ContextVar[tuple[str, Sequence[str]] | None] = contextvars.ContextVar(
    "first_sheet_write", default=None
)


@functools.cache
def _insert_submission_sql(kind: SheetKind[Any]) -> str:
    return (
        f"INSERT INTO {kind.submission._meta.tablename} (client_id, sheet, response, created_at) "
        "VALUES ({}, {}, {}, {})"
    )


@functools.cache
def _insert_sheet_sql(kind: SheetKind[Any], columns: tuple[str, ...]) -> str:
    names = (*columns, "sheet_key", "status", "version", "submitted_at", "updated_at")
    quoted = ", ".join(f'"{name}"' for name in names)
    return (
        f"INSERT INTO {kind.sheet._meta.tablename} ({quoted}) "
        f"VALUES ({', '.join(['{}'] * len(names))}) RETURNING id"
    )


async def _insert_sheet(kind: SheetKind[Any], write: SheetWrite, status: str, now: dt.datetime) -> int:
    """A sheet's first write: the row inserted with its final values (version 1), its id returned."""
    _FIRST_WRITE.set((write.key, write.aspects))
    columns = tuple(write.new_sheet)
    rows = await run_sql(
        _insert_sheet_sql(kind, columns),
        *write.new_sheet.values(),
        write.key,
        status,
        1,
        now if status == SUBMITTED else None,
        now,
    )
    return rows[0]["id"]


async def _lost_first_write(kind: SheetKind[Any]) -> None:
    """After a unique violation: the 409 of a first write that another one (same sheet) beat, if it was."""
    first = _FIRST_WRITE.get()
    if first is None:
        return None
    row, marks = await _sheet_and_marks(kind, first[0])
    if row is None:
        return None
    raise stale_version(kind, row["version"], row["status"], marks, first[1])


@functools.cache
def _bump_version_sql(kind: SheetKind[Any], stamp_submitted: bool) -> str:
    stamp = ", submitted_at = {}" if stamp_submitted else ""
    return (
        f"UPDATE {kind.sheet._meta.tablename} SET version = version + 1, status = {{}}, updated_at = {{}}"
        f"{stamp} WHERE id = {{}} AND version = {{}} RETURNING version"
    )


async def _bump_version(
    kind: SheetKind[Any], row: Mapping[str, Any], status: str, base_version: int, now: dt.datetime
) -> int | None:
    """Move the sheet to ``status`` and its next version if it is still at ``base_version``."""
    stamp_submitted = status == SUBMITTED and row["status"] != SUBMITTED
    stamp = (now,) if stamp_submitted else ()
    updated = await run_sql(
        _bump_version_sql(kind, stamp_submitted), status, now, *stamp, row["id"], base_version
    )
    return updated[0]["version"] if updated else None


async def _refuse_stale(kind: SheetKind[Any], key: str, order: Iterable[str]) -> NoReturn:
    current, marks = await _sheet_and_marks(kind, key)
    assert current is not None
    kind.refuse_status(current["status"])
    raise stale_version(kind, current["version"], current["status"], marks, order)


def _require_complete(written: WrittenSheet, aspects: Sequence[str]) -> None:
    missing = [a for a in aspects if a not in written.marks]
    if missing:
        raise Invalid(
            f"还有{len(missing)}个评分项未评分，不能提交",
            code="sheet_incomplete",
            field="marks",
            detail={"missing": missing},
        )


async def _audit(
    kind: SheetKind[Any], write: SheetWrite, before: Mapping[str, Decimal], written: WrittenSheet
) -> None:
    if not written.changed and not written.status_changed:
        return
    changed = written.changed
    await audit.record(
        write.actor,
        f"{kind.audit_action}.{'submit' if written.status_changed else 'save'}",
        kind.audit_entity,
        written.sheet_id,
        before={
            "status": written.old_status,
            "marks": {a: (str(before[a]) if a in before else None) for a in changed},
        },
        after={
            "status": written.status,
            "marks": {a: str(plain(v)) for a, v in changed.items()},
            **write.audit_facts,
        },
    )


async def write_sheet(
    kind: SheetKind[Answer],
    write: SheetWrite,
    *,
    respond: Callable[[WrittenSheet], Awaitable[Answer]],
    after_write: Callable[[WrittenSheet], Awaitable[None]] | None = None,
) -> Answer | None:
    """Write one sheet inside the caller's write transaction and store the answer with the client id.

    Returns None when the version check failed because a replay of this very write has committed
    meanwhile (:func:`submit_once` then answers with the stored answer).
    """
    now = utcnow()
    row, before = await _sheet_and_marks(kind, write.key)
    if row is None:
        row = {"id": 0, "status": DRAFT, "version": 0, "submitted_at": None}
    kind.refuse_status(row["status"])
    status = SUBMITTED if write.submit or row["status"] == SUBMITTED else DRAFT
    if row["id"] == 0 and write.base_version == 0:
        row["id"], version = await _insert_sheet(kind, write, status, now), 1
    elif row["id"] == 0:
        version = None
    else:
        version = await _bump_version(kind, row, status, write.base_version, now)
    if version is None:
        if await stored_answer(kind, write.client_id, write.owner_id) is not None:
            return None
        if row["id"] == 0:
            raise stale_version(kind, 0, DRAFT, {}, write.aspects)
        await _refuse_stale(kind, write.key, write.aspects)
    changed = {m.aspect_id: m.value for m in write.marks if before.get(m.aspect_id) != m.value}
    await _upsert_marks(kind, row["id"], changed, now)
    written = WrittenSheet(
        sheet_id=row["id"],
        old_status=row["status"],
        status=status,
        version=version,
        marks={**before, **{a: plain(v) for a, v in changed.items()}},
        changed=changed,
        submitted_at=now if status == SUBMITTED and row["status"] != SUBMITTED else row["submitted_at"],
        at=now,
    )
    if status == SUBMITTED:
        _require_complete(written, write.aspects)
    await _audit(kind, write, before, written)
    if after_write is not None:
        await after_write(written)
    answer = await respond(written)
    await run_sql(
        _insert_submission_sql(kind), write.client_id, row["id"], msgspec.json.encode(answer).decode(), now
    )
    return answer
