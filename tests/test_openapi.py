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


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Every media type each download answers, the default first.
DOWNLOADS = {
    "/api/competitions/{competition_id}/registrations/export": [XLSX, "text/csv"],
    "/api/registrations/template": [XLSX, "text/csv"],
    "/api/competitions/{competition_id}/results/export.xlsx": [XLSX],
    "/api/competitions/{competition_id}/results/export.csv": ["text/csv"],
    "/api/competitions/{competition_id}/results/teams/export.csv": ["text/csv"],
    "/api/competitions/{competition_id}/results/promotions/export.xlsx": [XLSX],
    "/api/programmes/{programme_id}/nominations/template": [XLSX, "text/csv"],
    "/api/public/programmes/{programme_id}/honours.xlsx": [XLSX],
    "/api/nominations/{nomination_id}/certificate.pdf": ["application/pdf"],
    "/api/attachments/{attachment_id}": ["application/pdf", "image/png", "image/jpeg"],
    # A handler's own file media type (no ``download()``) is documented the same way.
    "/api/reports/term-report.pdf": ["application/pdf"],
    "/api/reports/figures/{name}/table.xlsx": [XLSX],
}


def test_file_downloads_declare_every_media_type_they_answer_as_binary(document: dict[str, Any]) -> None:
    for path, media_types in DOWNLOADS.items():
        content = document["paths"][path]["get"]["responses"]["200"]["content"]
        assert list(content) == media_types, path
        assert all(c["schema"] == {"type": "string", "format": "binary"} for c in content.values()), path
    # Every .xlsx / .csv / .pdf path declares a file, never JSON.
    for path in (p for p in document["paths"] if p.endswith((".xlsx", ".csv", ".pdf"))):
        content = document["paths"][path]["get"]["responses"]["200"]["content"]
        assert "application/json" not in content, path
        assert all(c["schema"].get("format") == "binary" for c in content.values()), path


async def test_a_download_answers_the_media_types_it_documents(
    document: dict[str, Any], client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    documented = document["paths"]["/api/registrations/template"]["get"]["responses"]["200"]["content"]
    await login(client, "officer")
    answered = [
        (await client.get("/api/registrations/template", params=params)).headers["content-type"]
        for params in ({}, {"format": "xlsx"}, {"format": "csv"})
    ]
    assert [a.split(";")[0] for a in answered] == [XLSX, XLSX, "text/csv"]
    assert {a.split(";")[0] for a in answered} == set(documented)


def test_versioned_and_state_changing_writes_declare_409(document: dict[str, Any]) -> None:
    writes = [(m, p, op) for m, p, op in _operations(document) if m in {"POST", "PUT", "PATCH", "DELETE"}]
    versioned = [
        (m, p)
        for m, p, op in writes
        if any(
            name in {"version", "base_version", "previous_version", "publication_version"}
            for name in _body_fields(document, op)
        )
    ]
    assert len(versioned) > 10
    missing = [
        (m, p)
        for m, p in versioned
        if "409" not in next(op for mm, pp, op in writes if (mm, pp) == (m, p))["responses"]
    ]
    assert missing == []
    paths = document["paths"]
    assert (
        "409" in paths["/api/competitions/{competition_id}/judges/{judge_id}/conflicts"]["post"]["responses"]
    )
    assert "409" in paths["/api/judge/sheets"]["put"]["responses"]


def _body_fields(document: dict[str, Any], operation: dict[str, Any]) -> set[str]:
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "")
    if not ref:
        return set(schema.get("properties", {}))
    return set(document["components"]["schemas"][ref.rsplit("/", 1)[-1]].get("properties", {}))
