"""The quota and the one-nomination-per-person rule hold when officers write at the same moment, against
the real server (two worker processes) over the test database."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from awards.sheets import nomination_csv
from tests.awards.nomination_helpers import add_member, create_programme, nomination_body
from tests.helpers import han_digits, login, make_id_number, make_mobile, new_client, upload_consent

pytestmark = pytest.mark.slow


async def test_concurrent_nominations_never_exceed_the_quota(live_server: str, world: dict[str, Any]) -> None:
    union_a = world["unions"][0]
    async with new_client(base_url=live_server) as organizer:
        await login(organizer, "organizer")
        programme = await create_programme(organizer, default_quota=2)
        people = [
            await add_member(organizer, union_a, world["enterprises"][0], name=f"并发{han_digits(i)}")
            for i in range(8)
        ]
        async with new_client(base_url=live_server) as officer:
            await login(officer, "officer")

            async def nominate(person: int) -> int:
                response = await officer.post(
                    f"/api/programmes/{programme['id']}/nominations", json=nomination_body(person)
                )
                assert response.status_code in (201, 409), response.text
                return response.status_code

            statuses = await asyncio.gather(*(nominate(p) for p in people))
        assert sorted(statuses) == [201, 201] + [409] * 6
        listed = (await organizer.get(f"/api/programmes/{programme['id']}/nominations")).json()
        assert listed["total"] == 2


async def test_concurrent_duplicates_make_one_nomination_and_no_500(
    live_server: str, world: dict[str, Any]
) -> None:
    async with new_client(base_url=live_server) as organizer:
        await login(organizer, "organizer")
        programme = await create_programme(organizer, default_quota=5)
        async with new_client(base_url=live_server) as officer:
            await login(officer, "officer")

            async def nominate() -> tuple[int, int]:
                response = await officer.post(
                    f"/api/programmes/{programme['id']}/nominations", json=nomination_body(world["people"][0])
                )
                assert response.status_code in (200, 201), response.text
                return response.status_code, response.json()["nomination"]["id"]

            results = await asyncio.gather(*(nominate() for _ in range(6)))
        assert sorted(status for status, _ in results) == [200] * 5 + [201]
        assert len({nomination_id for _, nomination_id in results}) == 1


async def test_concurrent_uploads_share_the_quota(live_server: str, world: dict[str, Any]) -> None:
    """Two lists of one union arrive at once: the quota holds across both files."""
    async with new_client(base_url=live_server) as organizer:
        await login(organizer, "organizer")
        programme = await create_programme(organizer, default_quota=5)

        def sheet(tag: str) -> bytes:
            return nomination_csv(
                {
                    "name": f"{tag}{han_digits(i)}",
                    "id_number": make_id_number(),
                    "mobile": make_mobile(),
                    "deed": "事迹",
                }
                for i in range(4)
            )

        async with new_client(base_url=live_server) as officer:
            await login(officer, "officer")

            async def upload(content: bytes) -> dict[str, Any]:
                response = await officer.post(
                    f"/api/programmes/{programme['id']}/nominations/upload",
                    files={"file": ("名单.csv", content, "text/csv")},
                    data={"import_valid_only": "true"} | upload_consent(),
                )
                assert response.status_code == 200, response.text
                return response.json()

            first, second = await asyncio.gather(upload(sheet("甲")), upload(sheet("乙")))
        assert first["created"] + second["created"] == 5
        assert len(first["errors"]) + len(second["errors"]) == 3
        assert {e["code"] for e in first["errors"] + second["errors"]} == {"nomination_quota_exceeded"}
        listed = (await organizer.get(f"/api/programmes/{programme['id']}/nominations")).json()
        assert listed["total"] == 5
