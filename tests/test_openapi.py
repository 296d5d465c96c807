"""The OpenAPI document tells the truth about errors (one shape, the statuses each route can answer), and
every text response names one charset."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from litestar import Litestar

from core.edge import Edge, one_charset
from tests.helpers import login


@pytest.fixture(scope="module")
def document(app: Litestar) -> dict[str, Any]:
    return app.openapi_schema.to_schema()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def test_every_error_response_is_the_one_error_shape(document: dict[str, Any]) -> None:
    error_body = document["components"]["schemas"]["ErrorBody"]
    assert set(error_body["required"]) == {"status", "code", "message"}
    assert {"field", "detail"} <= set(error_body["properties"])
    operations = _operations(document)
    assert len(operations) > 100
    for method, path, operation in operations:
        errors = {status: r for status, r in operation["responses"].items() if status >= "400"}
        assert "500" in errors, (method, path)
        for status, response in errors.items():
            schema = response["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status, schema)


def test_the_statuses_documented_are_the_ones_answered(document: dict[str, Any]) -> None:
    paths = document["paths"]
    login_responses = paths["/api/auth/login"]["post"]["responses"]
    assert set(login_responses) == {"200", "400", "401", "422", "429", "500"}
    assert "用户名或密码错误" in login_responses["401"]["description"]
    person = paths["/api/people/{person_id}"]["patch"]["responses"]
    assert set(person) == {"200", "400", "401", "403", "404", "409", "422", "500"}
    assert "404" not in paths["/api/people"]["get"]["responses"]
    assert set(paths["/health"]["get"]["responses"]) == {"200", "500"}


async def test_errors_answered_match_the_documented_shape(
    document: dict[str, Any], client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    properties = set(document["components"]["schemas"]["ErrorBody"]["properties"])
    answers = [
        await client.get("/api/people/"),
        await client.post("/api/auth/login", content=b"{", headers={"content-type": "application/json"}),
        await client.post("/api/auth/login", json={"username": ""}),
    ]
    await login(client, "organizer")
    answers += [await client.get("/api/people/2147483648"), await client.get("/api/people/?limit=0")]
    assert [a.status_code for a in answers] == [401, 400, 422, 404, 422]
    for answer in answers:
        assert answer.headers["content-type"] == "application/json"
        assert set(answer.json()) <= properties and {"status", "code", "message"} <= set(answer.json())


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        (b"text/csv; charset=utf-8; charset=utf-8", b"text/csv; charset=utf-8"),
        (b"text/html;charset=utf-8; charset=utf-8", b"text/html; charset=utf-8"),
        (b"text/plain; charset=utf-8", b"text/plain; charset=utf-8"),
        (b"application/json", b"application/json"),
    ],
)
def test_one_charset(given: bytes, sent: bytes) -> None:
    assert one_charset(given) == sent


async def test_the_edge_sends_one_charset() -> None:
    async def doubled(scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = [(b"content-type", b"text/csv; charset=utf-8; charset=utf-8")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": "名单".encode()})

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=Edge(doubled)), base_url="http://e") as c:
        assert (await c.get("/")).headers["content-type"] == "text/csv; charset=utf-8"


async def test_pages_name_one_charset(client: httpx.AsyncClient) -> None:
    for path in ("/", "/login", "/schema/swagger"):
        assert (await client.get(path)).headers["content-type"] == "text/html; charset=utf-8", path
