"""How awards reads its own rows: the programme row (locked when asked) with its JSON columns decoded, the
union nominations counted against each quota, the key that makes a person's nomination unique, JSON in and
out of columns, and the chunks every ``IN (...)`` is cut into."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

import msgspec
from piccolo.query.functions.aggregate import Count

from awards.rules import WITHDRAWN
from awards.schemas import ConstraintIn, QualifyingResult
from awards.tables import Nomination
from competitions.rules import EligibilityRules
from core.db import Sql, engine_name
from core.errors import NotFound
from scoring.rules import CompetitionRules

CHUNK = 500  # rows per INSERT / values per IN (...): far under both engines' bound-parameter limits


def to_json(value: Any) -> str:
    """What a JSON column stores."""
    return msgspec.json.encode(value).decode()


def from_json(value: Any, kind: Any = Any) -> Any:
    """A JSON column's value as ``kind`` (None for SQL or JSON null): the engines give text or objects."""
    if value is None or value in ("null", b"null"):
        return None
    if isinstance(value, str | bytes):
        return msgspec.json.decode(value, type=kind)
    return msgspec.convert(value, kind)


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    """``values`` cut into runs of ``size``, for bulk inserts and ``IN (...)`` lists."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def nomination_key(programme_id: int, person_id: int) -> str:
    """The unique key of a person's nomination to a programme: one per person, even under concurrency."""
    return f"{programme_id}:{person_id}"


async def programme_row(
    programme_id: int, *, lock: Literal["UPDATE", "SHARE"] | None = None
) -> dict[str, Any]:
    """The programme row; inside a write transaction ``lock`` takes it FOR UPDATE/SHARE on PostgreSQL."""
    # SQL text: every nomination, upload and review read runs this, and Piccolo's select of the whole row
    # costs more to build than the database takes to answer it (the rows are the same, on both engines).
    # Read by its key, outside a transaction SQLite answers it on the loop's thread (core.db.Sql).
    statement = _PROGRAMME_LOCKED[lock] if lock and engine_name() == "postgres" else _PROGRAMME
    rows = await statement.rows(programme_id)
    if not rows:
        raise NotFound(f"评选不存在：{programme_id}", field="programme_id")
    return rows[0]


_PROGRAMME_SQL = "SELECT * FROM programme WHERE id = {}"
_PROGRAMME = Sql(_PROGRAMME_SQL, key_read=True)
_PROGRAMME_LOCKED = {lock: Sql(f"{_PROGRAMME_SQL} FOR {lock}") for lock in ("UPDATE", "SHARE")}


async def quota_used(programme_id: int) -> dict[str, int]:
    """Quota group -> the union nominations that count against its quota (withdrawn ones do not)."""
    rows = (
        await Nomination.select(Nomination.quota_group, Count())
        .where(
            (Nomination.programme == programme_id)
            & (Nomination.source == "union")
            & (Nomination.status != WITHDRAWN)
        )
        .group_by(Nomination.quota_group)
    )
    return {row["quota_group"]: row["count"] for row in rows}


def programme_values(row: dict[str, Any]) -> dict[str, Any]:
    """The row's JSON columns decoded into their Structs."""
    return {
        **row,
        "quotas": from_json(row["quotas"], dict[str, int]) or {},
        "eligibility": from_json(row["eligibility"], EligibilityRules) or EligibilityRules(),
        "constraints": from_json(row["constraints"], list[ConstraintIn]) or [],
        "review_rules": from_json(row["review_rules"], CompetitionRules),
        "qualifying_results": from_json(row["qualifying_results"], list[QualifyingResult]) or [],
    }
