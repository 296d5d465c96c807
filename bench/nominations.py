"""Nominations by spreadsheet: a good-employee programme, 5,000 nominees from 1,400 unions.

Each union's officer (a session made straight in the database) uploads one CSV of their members, through
the real server and the real upload path (parse, validate, create people, check quotas, insert, audit);
the load comes from another process (bench.fire), 32 uploads in flight.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import sys

from bench.remote import csrf_token, fire

UNIONS = 1_400
NOMINEES = 5_000


async def _open_programme() -> int:
    from accounts.audit import SYSTEM
    from awards import lifecycle, programmes
    from awards.schemas import ProgrammeIn, TransitionIn
    from core.db import utcnow

    now = utcnow()
    programme = await programmes.create_programme(
        SYSTEM,
        ProgrammeIn(
            name="基准测试·爱企业的好职工",
            year=now.year,
            kind="good_employee",
            nomination_opens_at=now - dt.timedelta(hours=1),
            nomination_closes_at=now + dt.timedelta(days=7),
            total_awards=1_000,
            default_quota=10,
        ),
    )
    await lifecycle.transition_programme(SYSTEM, programme.id, TransitionIn(target="open"))
    return programme.id


async def _officers() -> list[str]:
    """A union and an officer with a session for each of ``UNIONS`` grassroots unions."""
    from accounts.tables import GrassrootsUnion, User
    from bench.crowd import open_sessions
    from core.db import write_transaction

    async with write_transaction():
        unions = await GrassrootsUnion.insert(
            *(GrassrootsUnion(name=f"基准工会{i:04d}", kind="enterprise") for i in range(UNIONS))
        ).returning(GrassrootsUnion.id)
        users = await User.insert(
            *(
                User(
                    username=f"officer{i:04d}",
                    password_hash="!",
                    role="union_officer",
                    display_name=f"工会{i}",
                    union=u["id"],
                )
                for i, u in enumerate(unions)
            )
        ).returning(User.id)
    return await open_sessions([u["id"] for u in users])


def _files(rng: random.Random) -> list[str]:
    from awards.sheets import nomination_csv
    from bench.crowd import han_serial, id_number

    per_union = [NOMINEES // UNIONS + (1 if i < NOMINEES % UNIONS else 0) for i in range(UNIONS)]
    files, serial = [], 0
    for count in per_union:
        rows = []
        for _ in range(count):
            rows.append(
                {
                    "name": "职工" + han_serial(serial, 5),
                    "id_number": id_number(rng, serial),
                    "mobile": f"136{serial:08d}",
                    "deed": "爱岗敬业，带徒传技。",
                }
            )
            serial += 1
        files.append(nomination_csv(rows).decode("utf-8-sig"))
    return files


def run(ceiling_rps: float, base_url: str, env: dict[str, str]) -> dict[str, float]:
    programme_id = asyncio.run(_open_programme())
    tokens = asyncio.run(_officers())
    files = _files(random.Random(1400))
    path = f"/api/programmes/{programme_id}/nominations/upload"
    plan = {
        "base_url": base_url,
        "csrf": csrf_token(base_url),
        "method": "POST",
        "connections": 32,
        "requests": [
            {"path": path, "token": token, "csv": csv, "form": _members_consent()}
            for token, csv in zip(tokens, files, strict=True)
        ],
    }
    outcome = fire(plan)
    errors = sum(n for status, n in outcome["statuses"].items() if status != "200")
    if errors:
        print(f"nominations upload errors: {outcome['statuses']} {outcome['first_error']}", file=sys.stderr)
    return {
        "nominations_upload_rows_per_s": round(NOMINEES / outcome["elapsed_s"], 1),
        # Uploads (requests) per second against the bare framework's requests per second, as every other
        # throughput here: the figure to compare across machines.
        "nominations_upload_ratio": round(UNIONS / outcome["elapsed_s"] / ceiling_rps, 4),
        "nominations_upload_errors": errors,
        "nominations_stored": asyncio.run(_stored(programme_id)),
    }


def _members_consent() -> dict[str, str]:
    """The officers confirm they hold their members' consent, as the upload form does."""
    from accounts.consent import current_notice
    from accounts.notices import NoticeKind

    return {"members_consent": "true", "notice_version": current_notice(NoticeKind.MEMBER_ENTRY).version}


async def _stored(programme_id: int) -> int:
    from awards.tables import Nomination

    return await Nomination.count().where(Nomination.programme == programme_id)
