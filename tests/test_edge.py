"""The edge, over the whole route table: OPTIONS and HEAD everywhere, integers bounded to int4, proxies.

Runs on both engines (``make test``): the out-of-range ids that gave 500 on SQLite (past 2^63) and on
PostgreSQL (past 2^31) answer 404, out-of-range query values 422, never 500.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from core.bounds import INT4_MAX, INT4_MIN
from core.edge import Edge, client_address
from core.errors import is_out_of_range
from settings import load_settings
from tests.conftest import ENGINE
from tests.helpers import login, new_client

ROLE_USERS = {
    "organizer": "organizer",
    "judge": "judge",
    "union_officer": "officer",
    "expert": "expert",
    "contestant": "contestant",
}


def _concrete(path: str, number: int | str = 1) -> str:
    path = re.sub(r"\{[^}:]+:int\}", str(number), path)
    path = re.sub(r"\{[^}:]+:path\}", "/css/app.css", path)
    return re.sub(r"\{[^}:]+(:[a-z]+)?\}", "x", path).replace("//", "/")


def _routes(app: Litestar) -> list[HTTPRoute]:
    return [route for route in app.routes if isinstance(route, HTTPRoute)]


def _handlers(app: Litestar) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, route path, opt) of every handler but Litestar's own OPTIONS ones."""
    found = []
    for route in _routes(app):
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                found.append((method, route.path, handler.opt))
    return found


# --- OPTIONS and HEAD -----------------------------------------------------------------------------------


async def test_options_on_every_path_is_204_with_every_method(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    for route in _routes(app):
        response = await client.options(_concrete(route.path))
        assert response.status_code == 204, (route.path, response.text)
        allowed = set(response.headers["allow"].split(", "))
        expected = set(route.methods) | ({"HEAD"} if "GET" in route.methods else set())
        assert allowed == expected, route.path


@pytest.mark.parametrize("role", [None, "organizer", "union_officer", "contestant"])
async def test_head_answers_like_get_without_a_body(
    app: Litestar, world: dict[str, Any], role: str | None
) -> None:
    async with new_client(app) as client:
        if role:
            await login(client, ROLE_USERS[role])
        for method, path, opt in _handlers(app):
            if method != "GET" or "/events" in path:  # server-sent events: see the streaming test
                continue
            url = _concrete(path, world["people"][0])
            if opt.get("no_head"):  # a GET that spends something (a one-time link): its HEAD is refused
                assert (await client.head(url)).status_code == 405, url
                continue
            get, head = await client.get(url), await client.head(url)
            assert head.status_code == get.status_code, (role, url, head.status_code, get.text[:200])
            assert head.content == b"", url
            assert head.headers.get("content-type") == get.headers.get("content-type"), url


async def test_head_on_a_stream_answers_its_headers_and_ends(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    streams = [path for method, path, opt in _handlers(app) if method == "GET" and path.endswith("/events")]
    assert streams, "the live results stream moved: update this test"
    for path in streams:
        response = await client.head(_concrete(path))
        assert response.status_code < 500 and response.status_code != 405, (path, response.status_code)
        assert response.content == b""


async def test_a_method_a_path_does_not_have_is_405_in_chinese(client: httpx.AsyncClient) -> None:
    response = await client.delete("/health")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert "请求方法" in response.json()["message"]


# --- integers bounded to the columns' range -------------------------------------------------------------


@pytest.mark.parametrize("number", [INT4_MAX + 1, INT4_MIN - 1, 2**63, 10**20])
async def test_every_integer_path_parameter_out_of_range_is_404(
    app: Litestar, world: dict[str, Any], number: int
) -> None:
    """Each handler with an id in its path, called by a role it allows, answers 404 — never 500."""
    checked = 0
    async with contextlib.AsyncExitStack() as stack:
        clients = {None: await stack.enter_async_context(new_client(app))}
        for role, username in ROLE_USERS.items():
            clients[role] = await stack.enter_async_context(new_client(app))
            await login(clients[role], username)
        for method, path, opt in _handlers(app):
            if ":int}" not in path:
                continue
            roles = sorted(opt.get("roles") or ())
            client = clients[None if opt.get("public") or not roles else roles[0]]
            response = await client.request(method, _concrete(path, number), json={})
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["code"] == "not_found"
            checked += 1
    assert checked > 50


async def test_an_anonymous_caller_still_gets_401_before_the_bounds(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/people/{INT4_MAX + 1}")
    assert response.status_code == 401


async def test_reported_out_of_range_ids(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    response = await client.get("/api/competitions/99999999999999999999")
    assert (response.status_code, response.json()["field"]) == (404, "competition_id")
    await login(client, "organizer")
    response = await client.get("/api/people/2147483648")
    assert (response.status_code, response.json()["field"]) == (404, "person_id")
    assert (await client.get(f"/api/people/{INT4_MAX}")).status_code == 404  # in range, simply absent


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/people/?offset=2147483648", "offset"),
        ("/api/people/?offset=99999999999999999999", "offset"),
        ("/api/people/?union_id=2147483648", "union_id"),
        ("/api/people/?union_id=-2147483649", "union_id"),
        ("/api/audit/?actor_id=99999999999999999999", "actor_id"),
    ],
)
async def test_integer_query_out_of_range_is_422_naming_it(
    client: httpx.AsyncClient, world: dict[str, Any], url: str, field: str
) -> None:
    await login(client, "organizer")
    response = await client.get(url)
    assert response.status_code == 422, response.text
    assert (response.json()["code"], response.json()["field"]) == ("out_of_range", field)


async def test_a_searched_number_is_text_not_an_integer(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    """Only integer parameters are bounded: a long digit string typed in the search box is fine."""
    await login(client, "organizer")
    response = await client.get("/api/people/", params={"q": "99999999999999999999"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": 1, "employer_id": 2147483648}, "employer_id"),
        ({"version": 1, "union_id": -1}, "union_id"),
        ({"version": 2147483647}, "version"),
        ({"version": 99999999999999999999}, "version"),
    ],
)
async def test_integer_in_a_body_out_of_range_is_422_naming_it(
    client: httpx.AsyncClient, world: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    await login(client, "organizer")
    person_id = world["people"][0]
    response = await client.patch(f"/api/people/{person_id}", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert (await client.get(f"/api/people/{person_id}")).json()["version"] == 1  # nothing changed


def test_driver_overflows_are_recognised() -> None:
    import asyncpg

    with sqlite3.connect(":memory:") as connection, pytest.raises(OverflowError) as sqlite_error:
        connection.execute("SELECT ?", (2**63,))
    assert is_out_of_range(sqlite_error.value)
    assert is_out_of_range(
        asyncpg.exceptions.DataError(
            "invalid input for query argument $1: 2147483648 (value out of int32 range)"
        )
    )
    assert is_out_of_range(asyncpg.exceptions.NumericValueOutOfRangeError("integer out of range"))
    assert not is_out_of_range(asyncpg.exceptions.DataError("invalid input syntax for type uuid"))
    assert not is_out_of_range(ValueError("out of range"))


# --- the client address behind trusted proxies ----------------------------------------------------------

PROXIES = load_settings({"YICHENG_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1"}).proxy_networks


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("203.0.113.7", ["198.51.100.1"], "203.0.113.7"),  # not a proxy: its header is not believed
        ("127.0.0.1", ["198.51.100.1"], "198.51.100.1"),
        ("127.0.0.1", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),  # the left hop is the client's word
        ("127.0.0.1", ["198.51.100.1, 10.1.2.3"], "198.51.100.1"),  # a chain of trusted proxies
        ("127.0.0.1", ["198.51.100.1", "10.1.2.3"], "198.51.100.1"),  # the header sent twice
        ("127.0.0.1", ["[2001:db8::5]:443"], "2001:db8::5"),
        ("127.0.0.1", ["198.51.100.1:5123"], "198.51.100.1"),
        ("127.0.0.1", [], "127.0.0.1"),
        ("127.0.0.1", ["not-an-address, 10.1.2.3"], "127.0.0.1"),
        ("127.0.0.1", ["10.9.9.9"], "10.9.9.9"),  # every hop trusted: the first
    ],
)
def test_client_address(peer: str, forwarded: list[str], client: str) -> None:
    assert client_address(peer, forwarded, PROXIES) == client


async def _echo_client(scope: dict[str, Any], receive: Any, send: Any) -> None:
    body = msgspec.json.encode({"client": scope["client"][0], "method": scope["method"]})
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]}
    )
    await send({"type": "http.response.body", "body": body})


@pytest.mark.parametrize(("trusted", "seen"), [(PROXIES, "198.51.100.1"), ((), "127.0.0.1")])
async def test_edge_rewrites_the_client_only_behind_a_trusted_proxy(trusted: Any, seen: str) -> None:
    transport = httpx.ASGITransport(app=Edge(_echo_client, trusted), client=("127.0.0.1", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://edge") as client:
        response = await client.get("/", headers={"x-forwarded-for": "198.51.100.1"})
        assert response.json()["client"] == seen
        get, head = await client.get("/"), await client.head("/")
        assert (head.status_code, head.content) == (200, b"")
        assert head.headers["content-length"] == get.headers["content-length"]


@pytest.fixture
def app_with() -> Iterator[Callable[..., Litestar]]:
    """Another app with some settings changed (never started: the started app's live events stay its own,
    tests/scoring/test_live.py)."""
    from app import create_app

    def build(extra_routes: tuple[Any, ...] = (), **changes: Any) -> Litestar:
        return create_app(msgspec.structs.replace(load_settings(), **changes), extra_routes=extra_routes)

    yield build


async def test_login_limit_counts_the_forwarded_address_behind_a_proxy(
    app: Litestar, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch, app_with: Callable[..., Litestar]
) -> None:
    """Two clients behind the same trusted proxy have an allowance each; a spoofed header from a client
    that is no proxy changes nothing."""
    monkeypatch.setenv("YICHENG_ADDRESS_ATTEMPTS_PER_MINUTE", "3")
    monkeypatch.setenv("YICHENG_LOGIN_ATTEMPTS_PER_MINUTE", "100")
    behind_proxy = app_with(trusted_proxies="127.0.0.1")

    async def statuses(application: Litestar, forwarded_for: str) -> list[int]:
        async with new_client(application) as client:
            client.headers["x-forwarded-for"] = forwarded_for
            return [
                (
                    await client.post("/api/auth/login", json={"username": f"u{n}", "password": "x"})
                ).status_code
                for n in range(4)
            ]

    assert await statuses(behind_proxy, "198.51.100.1") == [401, 401, 401, 429]
    assert await statuses(behind_proxy, "198.51.100.2") == [401, 401, 401, 429]
    # The in-process test app trusts no proxy: the header is ignored, the peer (127.0.0.1) is counted.
    assert await statuses(app, "198.51.100.3") == [401, 401, 401, 429]
    assert await statuses(app, "198.51.100.4") == [429, 429, 429, 429]


# --- cookies --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "secure"), [("https://jingsai.example.cn", True), ("http://127.0.0.1:8000", False)]
)
async def test_cookies_are_secure_when_the_public_origin_is_https(
    world: dict[str, Any], app_with: Callable[..., Litestar], origin: str, secure: bool
) -> None:
    application = app_with(public_origin=origin)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application), base_url="https://t"
    ) as client:
        page = await client.get("/login")
        csrf = page.headers["set-cookie"]
        assert csrf.startswith("csrftoken=") and ("Secure" in csrf) is secure
        client.headers["x-csrftoken"] = client.cookies["csrftoken"]
        response = await client.post(
            "/api/auth/login", json={"username": "organizer", "password": "secret123"}
        )
        assert response.status_code == 200
        session = response.headers["set-cookie"]
        assert session.startswith("yc_session=") and ("Secure" in session) is secure
        assert "HttpOnly" in session


# --- request bodies the framework cannot read -----------------------------------------------------------


def _upload_handlers(app: Litestar) -> list[tuple[str, str, dict[str, Any]]]:
    from litestar.datastructures import UploadFile

    found = []
    for route in _routes(app):
        for handler in route.route_handlers:
            data = handler.parsed_fn_signature.parameters.get("data")
            if data is not None and UploadFile in (
                data.annotation,
                *getattr(data.annotation, "__args__", ()),
            ):
                found.extend((method, route.path, handler.opt) for method in handler.http_methods)
    return found


async def test_a_form_without_its_file_is_400_on_every_upload(app: Litestar, world: dict[str, Any]) -> None:
    """Litestar's multipart reader raised StopIteration (a 500) for a form without the file it wanted."""
    uploads = _upload_handlers(app)
    assert uploads, "no handler takes an UploadFile any more: drop this test"
    for method, path, opt in uploads:
        async with new_client(app) as client:
            await login(client, ROLE_USERS[sorted(opt["roles"])[0]])
            response = await client.request(method, _concrete(path), files={"note": (None, "no file here")})
        assert response.status_code == 400, (path, response.text)
        assert response.json()["code"] == "malformed_body"


# --- NUL characters ---------------------------------------------------------------------------------------


async def test_a_nul_character_in_a_query_is_422_naming_it(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    """Found by the fuzzer on PostgreSQL (GET /api/competitions?q=...%00...: 500); SQLite searched for it."""
    for url, field in [("/api/competitions?q=a%00b", "q"), ("/api/public/programmes?x%00=1", "x\x00")]:
        response = await client.get(url)
        assert response.status_code == 422, (url, response.text)
        assert (response.json()["code"], response.json()["field"]) == ("invalid_character", field)
    await login(client, "organizer")
    assert (await client.get("/api/people/?q=%00")).status_code == 422
    assert (await client.get("/api/people/?q=%2500")).status_code == 200  # a literal "%00" searched is fine


async def test_a_nul_character_in_a_path_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/schema/open%00api.json")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": 1, "name": "张\u0000三"}, "name"),
        ({"version": 1, "mobile": "139\u00000000000"}, "mobile"),
    ],
)
async def test_a_nul_character_in_a_json_body_is_422_naming_the_field(
    client: httpx.AsyncClient, world: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    await login(client, "organizer")
    person_id = world["people"][0]
    response = await client.patch(f"/api/people/{person_id}", json=body)
    assert response.status_code == 422, response.text
    assert (response.json()["code"], response.json()["field"]) == ("invalid_character", field)
    assert (await client.get(f"/api/people/{person_id}")).json()["version"] == 1


async def test_an_escaped_backslash_is_no_nul(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    await login(client, "organizer")
    response = await client.patch(
        f"/api/people/{world['people'][0]}", json={"version": 1, "name": "a\\u0000b"}
    )
    # The edge lets the text through (it holds no NUL); the name rules then refuse the backslash itself.
    assert response.json()["code"] != "invalid_character", response.text
    assert response.json()["field"] == "name"


def test_a_nul_the_database_refuses_is_recognised() -> None:
    import asyncpg

    from core.errors import is_nul_in_text

    assert is_nul_in_text(
        asyncpg.exceptions.CharacterNotInRepertoireError('invalid byte sequence for encoding "UTF8": 0x00')
    )
    assert is_nul_in_text(
        asyncpg.exceptions.UntranslatableCharacterError("\\u0000 cannot be converted to text.")
    )
    assert not is_nul_in_text(
        asyncpg.exceptions.CharacterNotInRepertoireError("invalid byte sequence: 0xe4 0xb8")
    )


@pytest.mark.skipif(ENGINE != "postgres", reason="the column types PostgreSQL gives Piccolo's columns")
async def test_every_integer_column_is_within_the_edge_bound(migrated: None) -> None:
    """The edge bounds integers to int4 because that is what Piccolo's Serial ids and Integer columns are on
    PostgreSQL; a bigint column would need a wider bound where it is exposed."""
    from core.db import engine

    rows = await engine().run_ddl(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'public' AND data_type = 'bigint' AND table_name <> 'migration'"
    )
    wide = {(r["table_name"], r["column_name"]) for r in rows}
    assert wide == {("rate_counter", "window_ends")}  # epoch milliseconds, never read from a request
    ids = await engine().run_ddl(
        "SELECT DISTINCT data_type FROM information_schema.columns "
        "WHERE table_schema = 'public' AND column_name = 'id' AND table_name <> 'migration'"
    )
    assert [r["data_type"] for r in ids] == ["integer"]


async def test_the_head_of_a_get_with_effects_is_refused(app_with: Callable[..., Litestar]) -> None:
    """A one-time link is consumed by its GET: a link checker's HEAD must not consume it."""
    from litestar import get
    from litestar.params import FromQuery

    from accounts.security import PUBLIC
    from core.edge import NO_HEAD

    used: list[str] = []

    @get("/test/one-time", opt={**PUBLIC, **NO_HEAD}, include_in_schema=False)
    async def one_time(token: FromQuery[str]) -> dict[str, int]:
        used.append(token)
        return {"uses": len(used)}

    application = app_with(extra_routes=(one_time,))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application), base_url="http://t"
    ) as client:
        head = await client.head("/test/one-time", params={"token": "t1"})
        assert (head.status_code, head.headers["allow"], used) == (405, "GET", [])
        assert (await client.get("/test/one-time", params={"token": "t1"})).json() == {"uses": 1}
        assert (await client.head("/health")).status_code == 200  # every other GET still answers HEAD
