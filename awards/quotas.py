"""Nomination quotas (名额) in the database: the group a nomination counts under (the nominating union, or
the industry), each group's use, a union officer's programmes with their quota, and the locks that make
the quota hold under concurrency.

Every nominating transaction first takes the programme row (``FOR SHARE`` on PostgreSQL, so many unions
nominate at once while a transition or a quota edit, which update that row, wait for them), then one lock
per quota group (a transaction-scoped advisory lock on PostgreSQL), and only then counts. On SQLite
``BEGIN IMMEDIATE`` already serialises every writer."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
from piccolo.query.functions.aggregate import Count

from accounts.rules import INDUSTRIES
from accounts.schemas import CurrentUser
from accounts.tables import GrassrootsUnion
from awards.access import officer_union
from awards.programmes import open_now, programme_public
from awards.rows import chunks, from_json, nomination_key, programme_row, programme_values, quota_used
from awards.rules import WITHDRAWN, ProgrammeState
from awards.schemas import QuotaOut, UnionProgrammeOut, UnionRequestOut
from awards.tables import Nomination, Programme
from core.db import engine_name, run_sql


def quota_group(programme: dict[str, Any], union_id: int | None, industry: str | None) -> str:
    """What the programme's quota counts a nomination under: the nominating union, or the industry."""
    if programme["quota_scope"] == "industry":
        return industry or "other"
    return str(union_id) if union_id is not None else ""


def quota_of(programme: dict[str, Any], group: str) -> int | None:
    """A group's quota: its own, else the programme's default (None: no cap)."""
    quotas = (
        programme["quotas"] if isinstance(programme["quotas"], dict) else from_json(programme["quotas"], dict)
    )
    return quotas.get(group, programme["default_quota"])


def group_name(programme: dict[str, Any], group: str, union_names: dict[int, str]) -> str:
    """How the pages name a quota group: the union (from ``union_names``) or the industry."""
    if programme["quota_scope"] == "industry":
        return INDUSTRIES.get(group, group)
    return union_names.get(int(group), f"工会 #{group}") if group.isdigit() else "未指定工会"


async def lock_for_nominating(
    programme_id: int, groups: Iterable[str], *, exclusive: bool = False
) -> dict[str, Any]:
    """Inside a write transaction: the programme row (shared, or ``exclusive`` to wait for every nominating
    transaction and keep new ones out) and each quota group (exclusive).

    Locks are always taken programme first, then groups in sorted order, so two uploads never deadlock.
    """
    row = await programme_row(programme_id, lock="UPDATE" if exclusive else "SHARE")
    if engine_name() == "postgres":
        for group in sorted(set(groups)):
            await run_sql("SELECT pg_advisory_xact_lock({})", _advisory_key(programme_id, group))
    return programme_values(row)


def _advisory_key(programme_id: int, group: str) -> int:
    digest = hashlib.blake2b(f"awards.quota:{programme_id}:{group}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def existing_and_used(
    programme: dict[str, Any], person_ids: Sequence[int], groups: Iterable[str]
) -> tuple[dict[int, dict[str, Any]], dict[str, int]]:
    """Inside the nominating transaction: the programme's nominations of ``person_ids`` (by person) and the
    places used in each capped group. One query in the common case (a file of fewer than 500 rows): the
    rows of a capped group number at most its quota, so fetching them costs less than a second query."""
    programme_id = programme["id"]
    capped = sorted(g for g in set(groups) if quota_of(programme, g) is not None)
    keys = [nomination_key(programme_id, pid) for pid in person_ids]
    found: dict[int, dict[str, Any]] = {}
    for index, chunk in enumerate(list(chunks(keys)) or [[]]):
        groups_here = capped if index == 0 else []
        if not chunk and not groups_here:
            continue
        sql, args = _nominations_sql(programme_id, list(chunk), groups_here)
        for row in await run_sql(sql, *args):
            found[row["id"]] = row
    wanted = set(person_ids)
    existing = {r["person"]: r for r in found.values() if r["person"] in wanted}
    used = dict.fromkeys(capped, 0)
    for row in found.values():
        if row["quota_group"] in used and row["source"] == "union" and row["status"] != WITHDRAWN:
            used[row["quota_group"]] += 1
    return existing, used


def _nominations_sql(programme_id: int, keys: list[str], groups: list[str]) -> tuple[str, list[Any]]:
    """The programme's nominations with these keys, and every one counted against these groups: SQL text
    (every nomination and upload runs it; Piccolo's query of the same costs more to build than to run)."""
    conditions, args = [], []
    if keys:
        conditions.append(f"nomination_key IN ({', '.join(['{}'] * len(keys))})")
        args += keys
    if groups:
        conditions.append(
            f"(quota_group IN ({', '.join(['{}'] * len(groups))}) AND source = 'union' AND status != {{}})"
        )
        args += [*groups, WITHDRAWN]
    # ``+programme``: not the programme's index. SQLite without statistics (it has none unless ANALYZE ran)
    # otherwise walks every nomination of the programme, 1.7 ms at 5,000 and growing with each upload,
    # instead of one index search per key and per group (microseconds); PostgreSQL plans it the same way.
    sql = (
        "SELECT id, person, status, eligibility_status, quota_group, source, version FROM nomination "
        f"WHERE +programme = {{}} AND ({' OR '.join(conditions)})"
    )
    return sql, [programme_id, *args]


async def quota_usage(programme_id: int) -> list[QuotaOut]:
    """Every group with a quota or a nomination: its quota, used and left (organizers)."""
    programme = programme_values(await programme_row(programme_id))
    used = await quota_used(programme_id)
    groups = sorted(
        set(used) | set(programme["quotas"]), key=lambda g: (not g.isdigit(), int(g) if g.isdigit() else 0, g)
    )
    names = (
        await union_names([int(g) for g in groups if g.isdigit()])
        if programme["quota_scope"] == "union"
        else {}
    )
    return [quota_out(programme, g, used.get(g, 0), names) for g in groups]


def quota_out(programme: dict[str, Any], group: str, used: int, names: dict[int, str]) -> QuotaOut:
    quota = quota_of(programme, group)
    return QuotaOut(
        programme_id=programme["id"],
        group=group,
        group_name=group_name(programme, group, names),
        quota=quota,
        used=used,
        left=None if quota is None else max(quota - used, 0),
    )


async def union_names(ids: list[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    for chunk in chunks(sorted(set(ids))):
        rows = await GrassrootsUnion.select(GrassrootsUnion.id, GrassrootsUnion.name).where(
            GrassrootsUnion.id.is_in(list(chunk))
        )
        names |= {r["id"]: r["name"] for r in rows}
    return names


async def union_programmes(viewer: CurrentUser) -> list[UnionProgrammeOut]:
    """The programmes a union officer may nominate to (or has nominated to), with their union's quota."""
    union_id = officer_union(viewer)
    rows = (
        await Programme.select()
        .where(Programme.state.not_in([ProgrammeState.DRAFT, ProgrammeState.ARCHIVED]))
        .order_by(Programme.year, ascending=False)
        .order_by(Programme.id)
    )
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    counted = (
        await Nomination.select(Nomination.programme, Count())
        .where(
            Nomination.programme.is_in(ids)
            & (Nomination.union == union_id)
            & (Nomination.source == "union")
            & (Nomination.status != WITHDRAWN)
        )
        .group_by(Nomination.programme)
    )
    mine = {r["programme"]: r["count"] for r in counted}
    names = await union_names([union_id])
    out = []
    for row in rows:
        programme = programme_values(row)
        quota = None
        if row["quota_scope"] == "union":
            quota = quota_out(programme, str(union_id), mine.get(row["id"], 0), names)
        out.append(
            UnionProgrammeOut(
                programme=programme_public(row),
                deed_max_chars=row["deed_max_chars"],
                nomination_open_now=open_now(row),
                quota_scope=row["quota_scope"],
                quota=quota,
                nominated=mine.get(row["id"], 0),
                requests=_requests_for(row, str(union_id)),
            )
        )
    return out


class _Requests(msgspec.Struct):
    """The part of a stored shortlist report a union officer is shown: the organizer's requests."""

    requests: list[UnionRequestOut] = msgspec.field(default_factory=list)


def _requests_for(row: dict[str, Any], group: str) -> list[str]:
    """What the organizer asked of this union when the shortlist could not be formed."""
    stored = from_json(row["shortlist"], _Requests)
    if stored is None:
        return []
    return [r.message for r in stored.requests if group in r.groups]
