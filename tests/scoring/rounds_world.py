"""A drawn competition of any size and stages for the rounds tests: the competition, its stages, people,
accepted and drawn registrations written into the tables (as ``entry_world`` does); everything after that
(rubric, panel, marks, closing rounds, sign-off, publication) goes through the HTTP API as organizers and
judges would, with the helpers below."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal
from typing import Any

import httpx

from tests.helpers import han_digits, make_id_number, make_mobile, members_consent

D = Decimal


async def build(
    world: dict[str, Any],
    *,
    contestants: int,
    stages: list[tuple[str, str, str]],
    seed: int = 3,
    competition_id: int | None = None,
) -> dict[str, Any]:
    """``contestants`` drawn contestants (employers and unions alternate A, B); ``stages``: (name, kind,
    weight %) of each stage row (the rubric's weights must match; only a ``theory`` stage is imported).
    ``competition_id``: an id of its own, for a running server whose caches outlive the emptied tables."""
    from accounts import service as accounts_service
    from accounts.audit import SYSTEM
    from accounts.rules import Role
    from accounts.schemas import AttestationIn, CurrentUser, PersonIn
    from competitions.rules import draw_lots
    from competitions.tables import Competition, Registration, Stage
    from core.db import utcnow

    now = utcnow()
    competition = Competition(
        **({} if competition_id is None else {"id": competition_id}),
        title="轮次赛",
        occupation="电工",
        industry="other",
        registration_opens_at=now - dt.timedelta(days=20),
        registration_closes_at=now - dt.timedelta(days=5),
        state="in_progress",
        created_at=now,
    )
    await competition.save()
    stage_ids = []
    for position, (name, kind, weight) in enumerate(stages):
        stage = Stage(
            competition=competition.id, position=position, name=name, kind=kind, weight_percent=D(weight)
        )
        await stage.save()
        stage_ids.append(stage.id)
    root = CurrentUser(id=0, username="system", role=Role.ORGANIZER, display_name="系统")
    registrations = []
    for index in range(contestants):
        person = await accounts_service.create_person(
            SYSTEM,
            root,
            PersonIn(
                name=f"选手{han_digits(index + 1, 2)}",
                id_number=make_id_number(dt.date(1980 + index % 20, 1 + index % 12, 3)),
                mobile=make_mobile(),
                employer_id=world["enterprises"][index % 2],
                union_id=world["unions"][index % 2],
                union_member=True,
                members_consent=AttestationIn(**members_consent()),
            ),
        )
        registration = Registration(
            competition=competition.id,
            person=person.id,
            entry_key=f"{competition.id}:{person.id}",
            registration_no=f"C{competition.id:04d}-{index + 1:05d}",
            employer=world["enterprises"][index % 2],
            status="accepted",
            arrival=index + 1,
            review="approved",
            attendance="present",
            created_at=now,
        )
        await registration.save()
        registrations.append(registration.id)
    draws = {d.contestant_id: d for d in draw_lots(registrations, rng=random.Random(seed))}
    for registration_id, draw in draws.items():
        await Registration.update(
            {Registration.station_no: draw.station_no, Registration.blind_code: draw.blind_code}
        ).where(Registration.id == registration_id)
    await Competition.update({Competition.drawn_at: now}).where(Competition.id == competition.id)
    return {
        "competition_id": competition.id,
        "stage_ids": stage_ids,
        "registrations": registrations,  # in entry order: contestant i is registrations[i]
        "codes": [draws[r].blind_code for r in registrations],
        "stations": [draws[r].station_no for r in registrations],
        "judge": world["users"]["judge"],
    }


async def set_rules(organizer: httpx.AsyncClient, w: dict[str, Any], rules: dict[str, Any]) -> None:
    """The rubric, then the world's judge as the one (chief) judge of every module."""
    cid = w["competition_id"]
    response = await organizer.put(f"/api/competitions/{cid}/scoring", json={"rules": rules})
    assert response.status_code == 200, response.text
    response = await organizer.post(
        f"/api/competitions/{cid}/judges", json={"judges": [{"user_id": w["judge"], "is_chief": True}]}
    )
    assert response.status_code == 200, response.text


async def import_marks(
    organizer: httpx.AsyncClient, w: dict[str, Any], stage_index: int, marks: dict[int, str]
) -> httpx.Response:
    """Import a stage's marks by blind code: contestant index -> mark."""
    rows = "\n".join(f"{w['codes'][i]},{value}" for i, value in marks.items())
    body = ("\ufeff加密号,成绩\n" + rows + "\n").encode()
    stage_id = w["stage_ids"][stage_index]
    return await organizer.post(
        f"/api/competitions/{w['competition_id']}/stages/{stage_id}/imported-marks",
        files={"data": ("marks.csv", body, "text/csv")},
    )


async def submit_sheet(
    judge: httpx.AsyncClient, w: dict[str, Any], stage_index: int, contestant: int, marks: dict[str, str]
) -> httpx.Response:
    return await judge.put(
        "/api/judge/sheets",
        json={
            "competition_id": w["competition_id"],
            "stage_id": w["stage_ids"][stage_index],
            "blind_code": w["codes"][contestant],
            "client_id": str(uuid.uuid4()),
            "base_version": 0,
            "marks": [{"aspect_id": a, "value": v} for a, v in marks.items()],
            "submit": True,
        },
    )


async def sign_everything(judge: httpx.AsyncClient, w: dict[str, Any], rubric_stages: list[int]) -> None:
    """The judge signs their sheets of the rubric stages, then (as chief) signs off every stage."""
    cid = w["competition_id"]
    for index in rubric_stages:
        response = await judge.post(f"/api/judge/competitions/{cid}/stages/{w['stage_ids'][index]}/sign")
        assert response.status_code == 200, response.text
    for stage_id in w["stage_ids"]:
        response = await judge.post(f"/api/chief/competitions/{cid}/stages/{stage_id}/signoff")
        assert response.status_code in (200, 201), response.text


async def publish(
    organizer: httpx.AsyncClient, public: httpx.AsyncClient, w: dict[str, Any]
) -> dict[str, Any]:
    """Unblind, publish; the public leaderboard and open document as anyone reads them."""
    cid = w["competition_id"]
    response = await organizer.post(f"/api/competitions/{cid}/results/unblind")
    assert response.status_code == 201, response.text
    response = await organizer.post(f"/api/competitions/{cid}/results/publish", json={"previous_version": 0})
    assert response.status_code == 201, response.text
    board = (await public.get(f"/api/public/competitions/{cid}/leaderboard")).json()
    document = (await public.get(f"/api/public/competitions/{cid}/open-document.json")).json()
    return {"board": board, "document": document}
