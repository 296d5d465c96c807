"""scoring.published: the latest published results as typed lines, tied to each contestant by blind code;
what awards reads instead of scoring's tables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import msgspec

from scoring.published import PublishedResult, published_results

NOW = dt.datetime(2026, 5, 20, 2, 0, tzinfo=dt.UTC)


async def _competition(title: str, series_year: int | None) -> int:
    from competitions.tables import Competition, Series

    series = None
    if series_year is not None:
        series = Series(name=f"{series_year} 年技能竞赛 {title}", year=series_year, created_at=NOW)
        await series.save()
    competition = Competition(
        series=None if series is None else series.id,
        title=title,
        occupation="电工",
        industry="intelligent_manufacturing",
        registration_opens_at=NOW - dt.timedelta(days=60),
        registration_closes_at=NOW - dt.timedelta(days=30),
        state="finished",
        created_at=NOW,
    )
    await competition.save()
    return competition.id


async def _register(competition_id: int, people: list[int]) -> None:
    from competitions.tables import Registration

    for arrival, person in enumerate(people, start=1):
        await Registration(
            competition=competition_id,
            person=person,
            entry_key=f"{competition_id}:{person}",
            registration_no=f"C{competition_id:04d}-{arrival:05d}",
            status="accepted",
            arrival=arrival,
            station_no=arrival,
            blind_code=f"B{arrival:03d}",
            created_at=NOW,
        ).save()


def _row(arrival: int, rank: int, tier: int | None, score: str, *, disqualified: bool = False) -> Any:
    from scoring.results_schemas import PublicRow

    return PublicRow(
        rank=rank,
        tier=tier,
        prize={1: "一等奖", 2: "二等奖", 3: "三等奖"}.get(tier or 0),
        name="某",
        employer="某公司",
        blind_code=f"B{arrival:03d}",
        station_no=arrival,
        final_score=Decimal(score),
        stage_scores={},
        disqualified=disqualified,
    )


async def _publish(world: dict[str, Any], competition_id: int, version: int, rows: list[Any]) -> None:
    from scoring.results_schemas import CompetitionHead, PublicBoard
    from scoring.tables import Publication

    head = CompetitionHead(id=competition_id, title="", occupation="电工", venue="")
    board = PublicBoard(
        competition=head, version=version, published_at=NOW, stages=[], rows=rows, tier_counts=[]
    )
    await Publication(
        competition=competition_id,
        publication_key=f"{competition_id}:{version}",
        version=version,
        published_by=world["users"]["organizer"],
        published_at=NOW + dt.timedelta(hours=version),
        results=msgspec.json.encode(board).decode(),
        document="{}",
    ).save()


async def test_the_latest_version_counts_each_row_tied_to_its_person(world: dict[str, Any]) -> None:
    a, b, c = world["people"][:3]
    electric = await _competition("电工技能竞赛", 2025)
    await _register(electric, [a, b, c])
    await _publish(world, electric, 1, [_row(1, 1, 1, "70"), _row(2, 2, 2, "60")])
    await _publish(world, electric, 2, [_row(2, 1, 1, "91.5"), _row(1, 2, 2, "88"), _row(3, 3, None, "50")])
    lines = await published_results()
    assert lines == [
        PublishedResult(
            competition_id=electric,
            competition_title="电工技能竞赛",
            year=2025,
            person_id=b,
            rank=1,
            tier=1,
            prize="一等奖",
            final_score=Decimal("91.5"),
            published_version=2,
            published_at=NOW + dt.timedelta(hours=2),
        ),
        PublishedResult(
            competition_id=electric,
            competition_title="电工技能竞赛",
            year=2025,
            person_id=a,
            rank=2,
            tier=2,
            prize="二等奖",
            final_score=Decimal("88"),
            published_version=2,
            published_at=NOW + dt.timedelta(hours=2),
        ),
        PublishedResult(
            competition_id=electric,
            competition_title="电工技能竞赛",
            year=2025,
            person_id=c,
            rank=3,
            tier=None,
            prize=None,
            final_score=Decimal("50"),
            published_version=2,
            published_at=NOW + dt.timedelta(hours=2),
        ),
    ]


async def test_filters_disqualified_rows_and_competitions_without_a_series(world: dict[str, Any]) -> None:
    a, b, c = world["people"][:3]
    welding = await _competition("焊工技能竞赛", None)
    lathe = await _competition("数控车工技能竞赛", 2026)
    unpublished = await _competition("钳工技能竞赛", 2026)
    await _register(welding, [a, b])
    await _register(lathe, [c, a])
    await _register(unpublished, [a])
    await _publish(world, welding, 1, [_row(1, 1, 1, "95", disqualified=True), _row(2, 1, 1, "90")])
    await _publish(world, lathe, 1, [_row(1, 1, 1, "80"), _row(2, 2, 3, "70"), _row(7, 3, None, "1")])

    mine = await published_results(person_ids=[a])
    assert [(r.competition_id, r.rank, r.tier) for r in mine] == [(lathe, 2, 3)]  # disqualified in welding
    # Without a series the year is the publication's (Asia/Shanghai).
    assert [(r.person_id, r.year) for r in await published_results([welding])] == [(b, 2026)]
    assert {r.person_id for r in await published_results([lathe, unpublished], person_ids=[a, c])} == {a, c}
    assert await published_results([unpublished]) == []
    assert await published_results([]) == [] and await published_results(person_ids=[]) == []
