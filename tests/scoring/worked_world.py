"""A competition with one stage, many contestants and judges, for published results entered through the API.

The world is written to the database as registration and the draw leave it (people, registrations with
stations and blind codes, judge accounts); everything that scoring does -- the rubric, the panel judge by
judge, the judges' sheets, their signatures, the chief's sign-off, unblinding, publication and the open
document -- goes through the HTTP API as the organizer and the judges would do it.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal
from typing import Any

from tests.helpers import PASSWORD, login, new_client


async def build(world: dict[str, Any], *, contestants: int, judges: int, stage_name: str) -> dict[str, Any]:
    """Competition (checked in, drawn), one stage, ``contestants`` registrations by index, ``judges`` accounts
    (``judge`` first, then ``judge2``...). Contestant i is ``contestants[i]`` (its blind code and ids)."""
    from accounts import service as accounts_service
    from accounts.audit import SYSTEM
    from accounts.rules import Role
    from accounts.schemas import UserIn
    from competitions.rules import draw_lots
    from competitions.tables import Competition, Registration, Stage
    from core.db import utcnow
    from tests.scoring.factories import _people

    now = utcnow()
    competition = Competition(
        title="已发布成绩复算",
        occupation="其他",
        industry="other",
        registration_opens_at=now - dt.timedelta(days=20),
        registration_closes_at=now - dt.timedelta(days=5),
        state="checked_in",
        created_at=now,
    )
    await competition.save()
    stage = Stage(
        competition=competition.id,
        position=0,
        name=stage_name,
        kind="practical",
        weight_percent=Decimal(100),
        ends_at=now - dt.timedelta(hours=1),
    )
    await stage.save()
    people = await _people(world, contestants)
    registrations = []
    for index, person in enumerate(people):
        registration = Registration(
            competition=competition.id,
            person=person,
            entry_key=f"{competition.id}:{person}",
            registration_no=f"C{competition.id:04d}-{index + 1:05d}",
            status="accepted",
            arrival=index + 1,
            review="approved",
            attendance="present",
            created_at=now,
        )
        await registration.save()
        registrations.append(registration.id)
    draws = {d.contestant_id: d for d in draw_lots(registrations, rng=random.Random(11))}
    for registration_id, draw in draws.items():
        await Registration.update(
            {Registration.station_no: draw.station_no, Registration.blind_code: draw.blind_code}
        ).where(Registration.id == registration_id)
    await Competition.update({Competition.drawn_at: now}).where(Competition.id == competition.id)
    accounts = {"judge": world["users"]["judge"]}
    for number in range(2, judges + 1):
        user = await accounts_service.create_user(
            SYSTEM,
            UserIn(
                username=f"judge{number}", password=PASSWORD, role=Role.JUDGE, display_name=f"裁判{number}"
            ),
        )
        accounts[f"judge{number}"] = user.id
    return {
        "competition_id": competition.id,
        "stage_id": stage.id,
        "contestants": [
            {"registration_id": r, "blind_code": draws[r].blind_code, "station_no": draws[r].station_no}
            for r in registrations
        ],
        "judges": accounts,
    }


async def judge_marks(app: Any, w: dict[str, Any], username: str, sheets: dict[int, dict[str, str]]) -> None:
    """As one judge: submit a sheet per contestant index, then sign every submitted sheet of the stage."""
    async with new_client(app) as judge:
        await login(judge, username)
        for index, marks in sheets.items():
            body = {
                "competition_id": w["competition_id"],
                "stage_id": w["stage_id"],
                "blind_code": w["contestants"][index]["blind_code"],
                "client_id": str(uuid.uuid4()),
                "base_version": 0,
                "marks": [{"aspect_id": a, "value": v} for a, v in marks.items()],
                "submit": True,
            }
            done = await judge.put("/api/judge/sheets", json=body)
            assert done.status_code == 200, done.text
        signed = await judge.post(
            f"/api/judge/competitions/{w['competition_id']}/stages/{w['stage_id']}/sign"
        )
        assert signed.status_code == 200, signed.text


async def publish(app: Any, w: dict[str, Any]) -> dict[str, Any]:
    """The chief signs the stage off, the organizer unblinds and publishes; the public open document."""
    cid = w["competition_id"]
    async with new_client(app) as chief:
        await login(chief, "judge")
        signed = await chief.post(f"/api/chief/competitions/{cid}/stages/{w['stage_id']}/signoff")
        assert signed.status_code == 200, signed.text
    async with new_client(app) as organizer:
        await login(organizer, "organizer")
        assert (await organizer.post(f"/api/competitions/{cid}/results/unblind")).status_code == 201
        published = await organizer.post(
            f"/api/competitions/{cid}/results/publish", json={"previous_version": 0}
        )
        assert published.status_code == 201, published.text
    async with new_client(app) as public:
        document = await public.get(f"/api/public/competitions/{cid}/open-document.json")
        assert document.status_code == 200, document.text
        return document.json()
