"""Over HTTP: without a declared final rounding, the published board ranks and awards on the figure it
shows (issue 10; formerly FINDINGS R1).

The worked competition (tests/scoring/factories.py) has c6's exact final 70.440333... and c4's 70.436666...:
both are shown 70.44. The organizer declares the rules without ``rounding.final`` and a prize floor of
70.44. Before, c4 (shown 70.44) got no prize under the 70.44 minimum and ranked below c6 with no visible
reason; now both meet the floor and the declared tie-break (the practical stage) puts c4 first.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import msgspec
import pytest

from scoring import live, public_boards
from tests.helpers import login, new_client
from tests.scoring import factories, recompute_reference


@pytest.fixture
async def built(world: dict[str, Any]) -> factories.Built:
    live.results_cache.clear()
    public_boards.provisional_cache.clear()
    return await factories.build(world, marks=False)


async def test_the_board_ranks_and_awards_on_the_figure_it_shows(
    app: object, client: httpx.AsyncClient, built: factories.Built
) -> None:
    cid = built.competition_id
    rules = msgspec.to_builtins(built.rules)
    rules["rounding"].pop("final")  # only the panel mark is rounded by declaration
    rules["tiers"] = {"method": "count", "counts": [2, 4, 6], "min_score": "70.44"}
    async with new_client(app) as organizer:
        await login(organizer, "organizer")
        scheme = (await organizer.get(f"/api/competitions/{cid}/scoring")).json()
        declared = await organizer.put(
            f"/api/competitions/{cid}/scoring", json={"rules": rules, "version": scheme["version"]}
        )
        assert declared.status_code == 200, declared.text
        assert declared.json()["rules"]["rounding"].get("final") is None
        for index in range(factories.CONTESTANTS):
            await factories.submit_contestant(built, index)
        await factories.sign_off(built)
        assert (await organizer.post(f"/api/competitions/{cid}/results/unblind")).status_code == 201
        published = await organizer.post(
            f"/api/competitions/{cid}/results/publish", json={"previous_version": 0}
        )
        assert published.status_code == 201, published.text
    response = await client.get(f"/api/public/competitions/{cid}/leaderboard")
    assert response.status_code == 200, response.text
    rows = {row["blind_code"]: row for row in response.json()["rows"]}
    c4, c6 = rows[built.blind_codes[4]], rows[built.blind_codes[6]]
    assert c4["final_score"] == c6["final_score"] == "70.44"
    # Shown equal: the practical stage decides (c4 has the higher one), not c6's invisible 0.004.
    assert c4["rank"] < c6["rank"]
    practical = str(built.practical_id)
    assert Decimal(c4["stage_scores"][practical]) > Decimal(c6["stage_scores"][practical])
    # Shown 70.44 meets a 70.44 minimum; everyone shown below it gets nothing, whatever room is left.
    ranked = [row for row in rows.values() if row["rank"] is not None]
    assert len(ranked) <= 12  # the tiers hold everyone: only the floor stops prizes
    for row in ranked:
        meets = Decimal(row["final_score"]) >= Decimal("70.44")
        assert (row["prize"] is not None) == meets, row
    assert c4["prize"] is not None and c6["prize"] is not None
    assert any(row["prize"] is None for row in ranked)  # the floor does bite somewhere
    # The open document states the published rounding, and the independent script agrees with every figure.
    document = (await client.get(f"/api/public/competitions/{cid}/open-document.json")).json()
    assert document["published_rounding"] == {"decimals": 2, "mode": "half_up"}
    assert recompute_reference.check(document) == []
