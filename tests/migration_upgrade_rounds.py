"""Upgrade a database holding data to the rounds migration (scoring 2026-11-30T05:41:13:348101), in a
subprocess of its own (``tests/test_migrations_upgrade.py``): contestants' facts written before it
keep their time and disqualification and read as not cut (未晋级 unknown then), and the new table works."""

from __future__ import annotations

import asyncio
import json

from tests.migration_upgrade import upgrade

ROUNDS_MIGRATION = "2026-11-30T05:41:13:348101"


async def _old_data() -> None:
    from accounts.tables import Person

    for sql in (
        "INSERT INTO person (name, id_fingerprint, skill_level) VALUES ('张三', 'fp-1', 3)",
        "INSERT INTO app_user (username, role, display_name) VALUES ('organizer', 'organizer', '组织者')",
        "INSERT INTO competition (title, occupation, state) VALUES ('旧竞赛', '电工', 'in_progress')",
        "INSERT INTO registration (competition, person, entry_key, registration_no, status)"
        " VALUES (1, 1, '1:1', 'C0001-00001', 'accepted')",
        "INSERT INTO contestant_facts (registration, time_used_seconds, disqualified, disqualified_reason)"
        " VALUES (1, 1234.5, true, '违规')",
    ):
        await Person.raw(sql)


async def _read_back() -> dict[str, object]:
    from core.db import utcnow
    from scoring.competition_facts import contestant_facts
    from scoring.rounds import recorded_closings
    from scoring.tables import RoundClose

    facts = (await contestant_facts([1]))[1]
    await RoundClose.insert(
        RoundClose(
            competition=1,
            close_key="1:r1",
            round_id="r1",
            position=0,
            standings=json.dumps(
                [
                    {
                        "registration": 1,
                        "round_score": "1",
                        "score": "1",
                        "rank": 1,
                        "qualified": True,
                        "group": None,
                    }
                ]
            ),
            start_order=json.dumps([1]),
            closed_by=1,
            closed_at=utcnow(),
        )
    )
    closings = await recorded_closings(1)
    return {
        "time_used": str(facts["time_used_seconds"]),
        "disqualified": facts["disqualified"],
        "eliminated_after": facts["eliminated_after"],
        "closings": [(c["round_id"], c["start_order"]) for c in closings],
    }


if __name__ == "__main__":
    asyncio.run(upgrade({"scoring": ROUNDS_MIGRATION}, _old_data, _read_back))
