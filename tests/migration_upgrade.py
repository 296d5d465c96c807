"""Upgrade a database that holds data to this branch's migrations (run in a subprocess of its own by
``tests/test_migrations_upgrade.py``: Piccolo binds its engine once per process). ``upgrade`` serves the
other upgrade scripts too (``tests/migration_upgrade_rounds.py``).

Migrates every app up to just before the named new migrations, writes data the way the older schema held
it (raw SQL, the older columns only), applies the rest, and prints what the new code reads back, as JSON.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The migrations under test, by app; every app is migrated to just before them first.
NEW = {
    "accounts": "2026-11-30T03:22:06:197949",
    "scoring": "2026-11-30T03:22:07:362861",
    "awards": "2026-11-30T06:00:00:000000",
    "competitions": "2026-11-30T10:40:00:000000",  # the waitlist index
}
# Later new migrations of an app (pending too, applied over the same data): judges absent (缺席), the
# store_entry table dropped, attachments in the database.
LATER = {
    "scoring": "2026-11-30T05:39:44:432271",
    "accounts": "2026-11-30T06:08:04:854098",
    "awards": "2026-11-30T06:08:09:987445",
}
APPS = ("accounts", "competitions", "scoring", "awards")
OLD_RUBRIC = {
    "stages": [
        {"id": "1", "name": "理论知识", "kind": "imported", "full_marks": "100", "weight_percent": "100"},
        {
            "id": "2",
            "name": "实操",
            "kind": "rubric",
            "full_marks": "10",
            "weight_percent": "0",
            "modules": [
                {"id": "m", "aspects": [{"id": "a", "kind": "measurement", "max_mark": "10", "step": "0.5"}]}
            ],
        },
    ],
    "rounding": {"final": {"decimals": 2, "mode": "half_up"}},
    "tie_breaks": [],
    "tiers": {"method": "count", "counts": [1, 1, 1]},
    "no_ties_in_top": 0,
}
OLD_BOARD = {
    "competition": {"id": 1, "title": "旧竞赛", "occupation": "电工", "venue": ""},
    "version": 1,
    "published_at": "2026-01-01T00:00:00Z",
    "stages": [],
    "rows": [],
    "tier_counts": [1, 1, 1],
}


def _ids(app: str) -> list[str]:
    found = []
    for path in (ROOT / app / "piccolo_migrations").glob("*.py"):
        match = re.search(r'^ID = "([^"]+)"', path.read_text(encoding="utf-8"), re.M)
        if match:
            found.append(match.group(1))
    return sorted(found)


async def _migrate_to_before(new: dict[str, str]) -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    for app in APPS:
        ids = _ids(app)
        target = "all" if app not in new else ids[ids.index(new[app]) - 1]
        result = await run_forwards(app_name=app, migration_id=target)
        assert result.success, result.message


async def _old_data() -> None:
    from accounts.tables import Person

    for sql in (
        "INSERT INTO grassroots_union (name, kind) VALUES ('甲公司工会', 'enterprise')",
        "INSERT INTO person (name, id_fingerprint, skill_level, \"union\") VALUES ('张三', 'fp-1', 3, 1)",
        "INSERT INTO app_user (username, role, display_name) VALUES ('organizer', 'organizer', '组织者')",
        "INSERT INTO competition (title, occupation, state) VALUES ('旧竞赛', '电工', 'published')",
        "INSERT INTO registration (competition, person, entry_key, registration_no, status, arrival)"
        " VALUES (1, 1, '1:1', 'C0001-00001', 'waitlisted', 1)",
    ):
        await Person.raw(sql)
    # Litestar's store as the older schema kept it: the table is dropped with what is left in it.
    await Person.raw("INSERT INTO store_entry (key, value) VALUES ({}, {})", "rate_limit:1.2.3.4", b"\x00")
    # Piccolo's raw() takes {} as a placeholder: the JSON values go in as arguments.
    await Person.raw(
        "INSERT INTO programme (name, year, kind, state, nomination_opens_at, nomination_closes_at,"
        " total_awards, quotas, eligibility, constraints, qualifying_results, created_at) VALUES"
        " ('旧评选', 2025, 'craftsman', 'awarded', {}, {}, 3, {}, {}, {}, {}, {})",
        dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        dt.datetime(2025, 2, 1, tzinfo=dt.UTC),
        "{}",
        "{}",
        "[]",
        "[]",
        dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    )
    await Person.raw("INSERT INTO scoring_scheme (competition, rules) VALUES (1, {})", json.dumps(OLD_RUBRIC))
    await Person.raw(
        "INSERT INTO publication (competition, publication_key, version, published_by, results, document)"
        " VALUES (1, '1:1', 1, 1, {}, {})",
        json.dumps(OLD_BOARD, ensure_ascii=False),
        json.dumps({"format": "yicheng-open-results/1"}),
    )


async def _read_back() -> dict[str, object]:
    import msgspec

    from accounts import skill_levels
    from accounts.tables import Person, SkillLevelChange
    from core.db import utcnow
    from scoring.results_schemas import PublicBoard
    from scoring.rubric import rubric_of
    from scoring.tables import (
        CompetitionTeam,
        JudgeAbsence,
        PromotionConfirmation,
        Publication,
        ScoringScheme,
        TeamMember,
    )

    scheme = await ScoringScheme.select(ScoringScheme.rules).first()
    rules = rubric_of(scheme["rules"]).rules
    stored = await Publication.select(Publication.results).first()
    raw = stored["results"]
    board = msgspec.json.decode(raw if isinstance(raw, (str, bytes)) else json.dumps(raw), type=PublicBoard)
    # The new tables take rows that refer to the old ones.
    await CompetitionTeam.insert(CompetitionTeam(competition=1, team_key="1:一队", name="一队", union=1))
    await SkillLevelChange.insert(
        SkillLevelChange(
            person=1,
            level_before=3,
            level_after=2,
            source="manual",
            changed_at=utcnow(),
        )
    )
    await JudgeAbsence.insert(
        JudgeAbsence(competition=1, judge=1, absence_key="1:1:*:*", reason="缺席", created_at=utcnow())
    )
    aspect = rules.stages[1].modules[0].aspects[0]
    from awards.tables import AttachmentBlob

    await AttachmentBlob.insert(
        AttachmentBlob(sha256="a" * 64, content=b"%PDF-", size=5, created_at=utcnow())
    )
    tables = await _table_names()
    from awards.programmes import get_public_programme

    old_programme = await get_public_programme(1)
    from competitions.shared import waitlist_position_of

    return {
        "waitlist_index": await _index_columns("registration_competition_status_arrival"),
        "waitlist_position": await waitlist_position_of(
            {"competition": 1, "status": "waitlisted", "arrival": 1}
        ),
        "old_aspect": [str(aspect.min_mark), aspect.min_marks, rules.final],
        "absences": await JudgeAbsence.count(),
        "store_entry": "store_entry" in tables,
        "blob": bytes((await AttachmentBlob.select(AttachmentBlob.content).first())["content"]).decode(),
        "programme": [old_programme.name, old_programme.issuing_body, old_programme.objection_phone],
        "skill_level": (await Person.select(Person.skill_level).first())["skill_level"],
        "current_levels": {str(k): v for k, v in (await skill_levels.current_levels([1])).items()},
        "rules_teams": rules.teams is None and rules.promotion is None and rules.organisation_award is None,
        "tiers": list(rules.tiers.counts) if rules.tiers else None,
        "board_teams": board.teams,
        "teams": await CompetitionTeam.count(),
        "members": await TeamMember.count(),
        "confirmations": await PromotionConfirmation.count(),
        "history": await SkillLevelChange.count(),
    }


async def _table_names() -> set[str]:
    from accounts.tables import Person

    if Person._meta.db.engine_type == "sqlite":
        rows = await Person.raw("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {r["name"] for r in rows}
    rows = await Person.raw("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'")
    return {r["name"] for r in rows}


async def _index_columns(name: str) -> list[str]:
    from accounts.tables import Person

    if Person._meta.db.engine_type == "sqlite":
        rows = await Person.raw("SELECT name FROM pragma_index_info({}) ORDER BY seqno", name)
        return [r["name"] for r in rows]
    rows = await Person.raw("SELECT indexdef FROM pg_indexes WHERE indexname = {}", name)
    return [c.strip() for c in rows[0]["indexdef"].split("(", 1)[1].rstrip(")").split(",")] if rows else []


async def upgrade(
    new: dict[str, str],
    old_data: Callable[[], Awaitable[None]],
    read_back: Callable[[], Awaitable[dict[str, object]]],
) -> None:
    """Migrate every app to just before its ``new`` migration, write ``old_data``, apply the rest and print
    what ``read_back`` reads, with the migrations pending before and after, as one JSON line."""
    from core.migrations import migrate, pending_migrations

    await _migrate_to_before(new)
    pending = await pending_migrations()
    await old_data()
    await migrate()
    result = await read_back()
    result["pending_before"] = pending
    result["pending_after"] = await pending_migrations()
    print(json.dumps(result, ensure_ascii=False, default=str))


if __name__ == "__main__":
    asyncio.run(upgrade(NEW, _old_data, _read_back))
