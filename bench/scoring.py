"""Scoring: exact aggregation and ranking at 1,000 and 10,000 contestants (7 judges, 40 aspects), and
public leaderboard reads against the framework ceiling.

The leaderboard read is measured on a published board of 100 contestants written straight into the
``publication`` table (the read path, a cache hit, is the same whatever wrote the row; publishing itself is
covered by the tests). Its ratio is given twice: against the ``GET /health`` ceiling of the run, and
against the bare framework serving the same bytes (a 25 KB body costs more to send than 56 bytes).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import tempfile
from decimal import Decimal

import httpx

from bench.load import wrk_rps
from bench.pure import aggregate_ms
from bench.servers import serve
from bench.tablets import run_tablets

# A competition's board: 100 contestants (a typical capacity), about 25 KB of JSON.
BOARD_ROWS = 100


async def _publish_a_board(contestants: int = 300) -> int:
    import msgspec

    from accounts.tables import User
    from competitions.tables import Competition
    from core.db import utcnow, write_transaction
    from scoring.results_schemas import CompetitionHead, PublicBoard, PublicRow, StageHead
    from scoring.tables import Publication

    competition = await Competition.select(Competition.id, Competition.title).first()
    organizer = await User.select(User.id).where(User.role == "organizer").first()
    rng = random.Random(3)
    scores = sorted((Decimal(rng.randint(5000, 9900)) / 100 for _ in range(contestants)), reverse=True)
    board = PublicBoard(
        competition=CompetitionHead(
            id=competition["id"], title=competition["title"], occupation="焊工", venue=""
        ),
        version=1,
        published_at=utcnow(),
        stages=[StageHead(id="1", name="实际操作", weight_percent=Decimal(100), full_marks=Decimal(100))],
        rows=[
            PublicRow(
                rank=i + 1,
                tier=1 if i < 30 else 2 if i < 90 else 3 if i < 180 else None,
                prize=None,
                name=f"选手{i:03d}",
                employer="亦城精密数控机床有限公司",
                blind_code=f"K{i:03d}-XY",
                station_no=i + 1,
                final_score=score,
                stage_scores={"1": score},
                disqualified=False,
            )
            for i, score in enumerate(scores)
        ],
        tier_counts=[30, 60, 90],
    )
    async with write_transaction():
        await Publication.insert(
            Publication(
                competition=competition["id"],
                publication_key=f"{competition['id']}:bench",
                version=1,
                published_by=organizer["id"],
                published_at=utcnow() - dt.timedelta(minutes=1),
                results=msgspec.json.encode(board).decode(),
                document="{}",
            )
        )
    return competition["id"]


def _same_bytes_ceiling(body: bytes) -> float:
    """The bare framework serving the very bytes of the board: the ceiling for a read of this size."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as body_file:
        body_file.write(body)
    with serve("bench.bare_app:create_app", {"YICHENG_BENCH_BODY_FILE": body_file.name}) as bare:
        return wrk_rps(f"{bare}/body")


def run(ceiling_rps: float, base_url: str, env: dict[str, str]) -> dict[str, float]:
    one_k = aggregate_ms(1_000)
    ten_k = aggregate_ms(10_000)
    competition_id = asyncio.run(_publish_a_board(BOARD_ROWS))
    url = f"{base_url}/api/public/competitions/{competition_id}/leaderboard"
    board_rps = wrk_rps(url)
    same_bytes_rps = _same_bytes_ceiling(httpx.get(url).content)
    return {
        **run_tablets(ceiling_rps, base_url),
        "aggregate_1k_ms": round(one_k, 1),
        "aggregate_growth": round(ten_k / one_k, 2),
        "leaderboard_rps": round(board_rps, 1),
        "leaderboard_ratio": round(board_rps / ceiling_rps, 3),
        "leaderboard_same_bytes_ratio": round(board_rps / same_bytes_rps, 3),
    }
