"""The rush's load generator (``bench.fire``'s lean client) counts what the server answered, as httpx does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.fire import fire
from bench.remote import csrf_token
from tests.helpers import PASSWORD
from tests.servers import running_server


@pytest.mark.slow
async def test_the_lean_client_sees_what_httpx_sees(world: dict[str, Any], tmp_path: Path) -> None:
    with running_server(tmp_path / "server.log") as base_url:
        logins = [
            {"username": "organizer", "password": PASSWORD},
            {"username": "organizer", "password": "wrong-password"},
            {"username": "nobody", "password": PASSWORD},
        ]
        plan = {
            "base_url": base_url,
            "csrf": csrf_token(base_url),
            "method": "POST",
            "connections": 2,  # a connection is kept alive for a second request
            "requests": [{"path": "/api/auth/login", "token": "none", "json": data} for data in logins],
        }
        lean = await fire({**plan, "client": "lean"})
        stock = await fire(plan)
    assert lean["statuses"] == stock["statuses"] == {"200": 1, "401": 2}
    assert lean["first_error"] and lean["first_error"][0].startswith("{")  # the JSON error body, whole
    assert len(lean["latencies_ms"]) == 3 and lean["elapsed_s"] > 0
