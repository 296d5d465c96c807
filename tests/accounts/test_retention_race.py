"""The retention purge against a registration or nomination written for the same person at the same moment.

A registration looks the person up before its write transaction; the purge may erase them in between. The
write must then be refused (409 ``person_erased``, nothing written), never attached to the erased record.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
import pytest
from litestar import Litestar

from accounts import retention
from accounts.retention import purge_expired
from accounts.tables import Person
from app import personal_data
from awards.tables import Nomination
from competitions.tables import Registration
from tests.awards.nomination_helpers import add_member, create_programme, nomination_body
from tests.competitions.support import make_competition
from tests.helpers import login, make_id_number, make_mobile, members_consent, new_client

LATER = dt.datetime.now(dt.UTC) + dt.timedelta(days=2000)  # past the 1,095-day period of everything made now


@pytest.fixture
async def organizer(app: Litestar, world: dict[str, Any]) -> Any:
    async with new_client(app) as client:
        await login(client, "organizer")
        yield client


async def _purge() -> retention.PurgeReport:
    return await purge_expired(personal_data(), retention_days=1095, now=LATER)


async def test_a_registration_that_looked_the_person_up_before_the_purge_is_refused_after_it(
    organizer: httpx.AsyncClient, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The purge holds its transaction open after erasing; the registration read the person before that
    commit, so it finds them and goes on to write: it must wait for the purge and then see the erasure."""
    person = world["people"][3]  # entered, never registered, no account: the purge's to erase
    competition_id = await make_competition()
    erased, release = asyncio.Event(), asyncio.Event()
    erase_numbers = retention._erase_numbers

    async def erase_and_hold(*args: Any) -> None:
        await erase_numbers(*args)
        erased.set()
        await release.wait()  # still inside the purge's transaction: nothing committed yet

    monkeypatch.setattr(retention, "_erase_numbers", erase_and_hold)
    purge = asyncio.create_task(_purge())
    await asyncio.wait_for(erased.wait(), 10)
    registering = asyncio.create_task(
        organizer.post(f"/api/competitions/{competition_id}/registrations", json={"person_id": person})
    )
    await asyncio.sleep(0.5)
    assert not registering.done()  # waiting for the purge (the person's row, or SQLite's write lock)
    release.set()
    report = await asyncio.wait_for(purge, 10)
    response = await asyncio.wait_for(registering, 10)

    assert person in await _erased() and report.purged >= 1
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "person_erased" and response.json()["detail"]["person_ids"] == [person]
    assert await Registration.count().where(Registration.person == person) == 0


async def test_a_purged_person_is_registered_again_from_their_document(
    organizer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    """After the purge the record cannot take a registration; entering the document again makes a new one."""
    competition_id = await make_competition()
    id_number, mobile = make_id_number(dt.date(1988, 5, 6)), make_mobile()
    person = {"name": "钱保留", "id_number": id_number, "mobile": mobile}
    created = await organizer.post("/api/people/", json=person | {"members_consent": members_consent()})
    assert created.status_code == 201, created.text
    old_id = created.json()["id"]
    await _purge()
    assert old_id in await _erased()
    url = f"/api/competitions/{competition_id}/registrations"

    refused = await organizer.post(url, json={"person_id": old_id})
    assert refused.status_code == 409 and refused.json()["code"] == "person_erased"
    assert refused.json()["field"] == "person_id"
    again = await organizer.post(
        url,
        json={"person": person, "members_consent": members_consent()},
    )
    assert again.status_code == 201, again.text
    new_id = again.json()["registration"]["person_id"]
    assert new_id != old_id
    assert await Registration.count().where(Registration.person == old_id) == 0


async def test_a_nomination_for_a_purged_person_is_refused(
    organizer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    programme = await create_programme(organizer)
    member = await add_member(organizer, world["unions"][0], world["enterprises"][0], name="孙过期")
    await _purge()
    assert member in await _erased()
    async with new_client(organizer._transport.app) as officer:  # type: ignore[attr-defined]
        await login(officer, "officer")
        response = await officer.post(
            f"/api/programmes/{programme['id']}/nominations", json=nomination_body(member)
        )
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "person_erased"
    assert await Nomination.count().where(Nomination.person == member) == 0


async def _erased() -> set[int]:
    return {r["id"] for r in await Person.select(Person.id).where(Person.erased_at.is_not_null())}
