"""Every message a person can see is Chinese: msgspec's and Litestar's validation errors are translated in
core/errors.py to the field's Chinese name, what is wrong and what to do; a sweep of fuzzer-style bad inputs
over every operation of the OpenAPI document finds no error body whose message is English."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from litestar import Litestar

from core.validation_messages import translate
from tests.helpers import login, new_client

CJK = re.compile(r"[\u4e00-\u9fff]")
# English prose inside a message ("Object missing required field", "Not Found"): two English words in a row.
ENGLISH = re.compile(r"[A-Za-z]{2,} [A-Za-z]{2,}")


def is_english(message: str) -> bool:
    return not CJK.search(message) or bool(ENGLISH.search(message))


@pytest.mark.parametrize(
    ("raw", "field", "want_field", "says"),
    [
        ("Object missing required field `name`", "data", "name", "缺少必填项：名称（name）"),
        ("Object missing required field `mobile` - at `$.members[0]`", "data", "members[0].mobile", "手机号"),
        ("Expected `datetime` with a timezone component", "registration_closes_at", None, "须带时区"),
        ("Invalid decimal string", "weight_percent", None, "不是有效的数字"),
        ("Invalid UUID", "client_id", None, "不是有效的 UUID"),
        ("Expected `int`, got `str`", "limit", None, "每页条数（limit）应为整数，收到的是文字"),
        ("Expected `int` >= 1", "limit", None, "不能小于 1"),
        ("Expected `str` of length <= 50", "name", None, "最多 50 个字符"),
        ("Invalid enum value 'weird'", "role", None, "“weird”不在可选范围内"),
        ("Object contains unknown field `zzz`", "data", "zzz", "不认识的字段"),
        ("Missing required query parameter 'year' for path /api/x", None, "year", "缺少必填的查询参数"),
        ("Expected `str` matching regex '^[a-z]+$' - at `$.username`", "data", "username", "格式不正确"),
        ("Expected `str` matching regex '\\\\S' - at `$.name`", "data", "name", "名称（name）不能只有空格"),
        ("Invalid RFC3339 encoded datetime", "since", None, "不是有效的日期时间"),
        ("Something nobody foresaw", "some_field", None, "字段 some_field 的值无效"),
    ],
)
def test_framework_messages_become_chinese_naming_the_field(
    raw: str, field: str | None, want_field: str | None, says: str
) -> None:
    got_field, message = translate(raw, field)
    assert got_field == (want_field or field)
    assert says.replace(" 的", "的") in message.replace(" 的", "的"), message
    assert "`" not in message and not is_english(message)


def test_a_persons_name_and_a_things_name_differ() -> None:
    assert translate("Object missing required field `name`", "data", "/api/competitions/3/signup")[
        1
    ].startswith("缺少必填项：姓名（name）")
    assert "名称（name）" in translate("Object missing required field `name`", "data", "/api/unions/")[1]
    assert "姓名（members[0].name）" in translate("Expected `str` of length >= 1", "members[0].name")[1]


@given(
    st.text(alphabet=st.characters(max_codepoint=127), max_size=80),
    st.none() | st.from_regex(r"\A[a-z_]{1,20}\Z"),
)
def test_whatever_the_framework_says_the_message_is_chinese(raw: str, field: str | None) -> None:
    _, message = translate(raw, field)
    assert CJK.search(message)


# --- the sweep ---------------------------------------------------------------------------------------

# Operations that end the caller's own session (they would turn the rest of the sweep into 401s).
SESSION_ENDING = {
    ("POST", "/api/auth/logout"),
    ("POST", "/api/auth/password"),
    ("PATCH", "/api/users/{user_id}"),
    ("POST", "/api/users/{user_id}/deactivate"),
    ("POST", "/api/users/{user_id}/reset-password"),
}
BAD_VALUES: list[Any] = ["abc", -1, 10**30, "", "2026-13-45T99:00", {"x": 1}, [1], None, "1.2.3"]


def _path(template: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, template)


def _bodies(schema: dict[str, Any], components: dict[str, Any]) -> list[Any]:
    """Fuzzer-style bad bodies: wrong shape, missing fields, each property given each bad value."""
    ref = schema.get("$ref", "")
    resolved = components.get(ref.rsplit("/", 1)[-1], schema) if ref else schema
    bodies: list[Any] = [{}, [], "text", {"unknown_field": 1}]
    properties = list((resolved.get("properties") or {}).keys())[:12]
    for name in properties:
        bodies += [{name: value} for value in BAD_VALUES[:6]]
    return bodies


def _messages(body: Any) -> list[str]:
    found: list[str] = []
    if isinstance(body, dict):
        for key, value in body.items():
            if key == "message" and isinstance(value, str):
                found.append(value)
            found += _messages(value)
    elif isinstance(body, list):
        for value in body:
            found += _messages(value)
    return found


async def _sweep(client: httpx.AsyncClient, schema: dict[str, Any]) -> tuple[int, list[str]]:
    components = schema.get("components", {}).get("schemas", {})
    english: list[str] = []
    errors = 0
    for template, operations in schema["paths"].items():
        for method, operation in operations.items():
            method = method.upper()
            if (method, template) in SESSION_ENDING or method not in {
                "GET",
                "POST",
                "PUT",
                "PATCH",
                "DELETE",
            }:
                continue
            requests: list[tuple[str, dict[str, Any]]] = []
            for value in ("abc", "1", "99999999999999999999"):
                requests.append((_path(template, value), {}))
            query = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]
            for name in query:
                for value in ("abc", "-1", "2026-13-45", "9" * 30, ""):
                    requests.append((_path(template, "1"), {"params": {name: value}}))
            body_schema = (
                operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            )
            if body_schema is not None:
                for body in _bodies(body_schema, components):
                    requests.append((_path(template, "1"), {"json": body}))
                requests.append(
                    (
                        _path(template, "1"),
                        {"content": b"{not json", "headers": {"content-type": "application/json"}},
                    )
                )
            for url, options in requests:
                response = await client.request(method, url, **options)
                if response.status_code < 400 or "json" not in response.headers.get("content-type", ""):
                    continue
                errors += 1
                for message in _messages(response.json()):
                    if is_english(message):
                        english.append(f"{method} {url} {options} -> {response.status_code} {message}")
    return errors, english


@pytest.mark.slow
async def test_no_english_message_reaches_anyone_over_every_route(
    app: Litestar, world: dict[str, Any]
) -> None:
    async with new_client(app) as anonymous, new_client(app) as organizer, new_client(app) as officer:
        schema = (await anonymous.get("/schema/openapi.json")).json()
        await login(organizer, "organizer")
        await login(officer, "officer")
        english: list[str] = []
        total = 0
        for client in (organizer, officer, anonymous):
            errors, found = await _sweep(client, schema)
            total += errors
            english += found
        for method, url in [("GET", "/api/no-such-thing"), ("DELETE", "/api/auth/login"), ("PUT", "/health")]:
            response = await anonymous.request(method, url)
            english += [m for m in _messages(response.json()) if is_english(m)]
    assert total > 1000  # the sweep reached the routes: thousands of refused requests, not a handful
    assert english == [], "\n".join(english[:40])
