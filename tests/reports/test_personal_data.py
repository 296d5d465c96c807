"""Reports and a person's data: the lists behind the numbers name people but never show an ID or mobile
number, and an erasure shows in them at once (reports keeps no copy of its own)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from litestar import Litestar

from accounts import audit
from accounts.audit import SYSTEM
from accounts.erasure import ERASED_NAME, erase
from accounts.tables import Person
from app import personal_data
from competitions import registration
from competitions.tables import Competition
from core import crypto
from core.db import SHANGHAI, write_transaction
from tests.competitions.support import ORGANIZER, make_competition
from tests.helpers import login, new_client


@pytest.fixture
async def organizer(app: Litestar, world: dict[str, Any]) -> Any:
    async with new_client(app) as client:
        await login(client, "organizer")
        yield client


async def test_the_entries_list_names_people_without_their_numbers_and_follows_an_erasure(
    organizer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    person_id = world["people"][3]  # no account, no other registration
    competition_id = await make_competition()
    await registration.register_person(ORGANIZER, competition_id, person_id)
    person = await Person.select().where(Person.id == person_id).first()
    closes = (await Competition.select().where(Competition.id == competition_id).first())[
        "registration_closes_at"
    ]
    listed = (
        f"/api/reports/list?of=entries&dimension=gender&key={person['gender']}"
        f"&year={closes.astimezone(SHANGHAI).year}"
    )

    before = await organizer.get(listed)
    assert before.status_code == 200, before.text
    assert [row[1] for row in before.json()["rows"]] == [person["name"]]
    numbers = [
        crypto.unseal(bytes(person["id_sealed"])),
        crypto.unseal(bytes(person["mobile_sealed"])),
        person["id_masked"],
        person["mobile_masked"],
    ]
    assert not [n for n in numbers if n in before.text]

    async with write_transaction():  # the competition ends unpublished; the person asks to be deleted
        await Competition.update({Competition.state: "finished"}).where(Competition.id == competition_id)
        await audit.record(
            SYSTEM, "competition.transition", "competition", competition_id, after={"state": "finished"}
        )
        await erase(SYSTEM, person_id, personal_data(), reason="本人申请删除")
    after = (await organizer.get(listed)).json()
    assert after["total"] == before.json()["total"] == 1  # the entry still counts, anonymous
    assert [row[1] for row in after["rows"]] == [ERASED_NAME]
    assert person["name"] not in str(after)
