"""Every integer of every input Struct is bounded to what a 4-byte column holds, so an out-of-range id never
reaches the database and msgspec's 422 names the field (issue 10, F3)."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import msgspec
import msgspec.inspect as mi
import pytest
from litestar import Litestar

from core.bounds import INT4_MAX, INT4_MIN
from tests.helpers import login


def _unbounded(info: mi.Type, path: str, seen: frozenset[type]) -> list[str]:
    """The paths of the integers under ``info`` without both bounds inside the int4 range."""
    if isinstance(info, mi.IntType):
        ok = info.ge is not None and info.le is not None and info.ge >= INT4_MIN and info.le <= INT4_MAX
        return [] if ok else [path]
    if isinstance(info, mi.StructType):
        if info.cls in seen:
            return []
        name = f"{info.cls.__module__}.{info.cls.__qualname__}"
        return [
            found
            for field in info.fields
            for found in _unbounded(field.type, f"{name}.{field.name}", seen | {info.cls})
        ]
    if isinstance(info, (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType)):
        return _unbounded(info.item_type, f"{path}[]", seen)
    if isinstance(info, mi.TupleType):
        return [found for item in info.item_types for found in _unbounded(item, f"{path}()", seen)]
    if isinstance(info, mi.DictType):
        return _unbounded(info.key_type, f"{path}{{key}}", seen) + _unbounded(
            info.value_type, f"{path}{{}}", seen
        )
    if isinstance(info, mi.UnionType):
        return [found for member in info.types for found in _unbounded(member, path, seen)]
    return []


def _input_types(app: Litestar) -> dict[str, Any]:
    """The ``data`` annotation of every route handler, by operation."""
    found: dict[str, Any] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            parameter = handler.parsed_fn_signature.parameters.get("data")
            if parameter is not None:
                found[f"{sorted(handler.http_methods)} {route.path}"] = parameter.annotation
    return found


class _Inner(msgspec.Struct):
    ids: list[int]
    fine: Annotated[int, msgspec.Meta(ge=1, le=10)]


class _Outer(msgspec.Struct):
    inner: _Inner | None
    wide: Annotated[int, msgspec.Meta(ge=0, le=2**40)] = 0


def test_the_walk_finds_an_unbounded_integer() -> None:
    assert _unbounded(mi.type_info(_Outer), "data", frozenset()) == [
        f"{__name__}._Inner.ids[]",
        f"{__name__}._Outer.wide",
    ]


def test_every_integer_of_every_input_struct_is_bounded(app: Litestar) -> None:
    inputs = _input_types(app)
    assert len(inputs) > 50  # the walk sees the app's routes, not an empty list
    problems = {
        found
        for annotation in inputs.values()
        for found in _unbounded(mi.type_info(annotation), "data", frozenset())
    }
    assert not problems, sorted(problems)


@pytest.mark.parametrize(
    ("user", "path", "body", "field"),
    [
        ("contestant", "/api/appeals", {"registration_id": 2**31, "grounds": "复核"}, "registration_id"),
        ("organizer", "/api/competitions", {"title": "大赛", "series_id": 2**63}, "series_id"),
        ("officer", "/api/competitions/1/registrations", {"person_id": 2**31}, "person_id"),
    ],
)
async def test_an_out_of_range_id_answers_422_naming_the_field(
    client: httpx.AsyncClient, world: dict[str, Any], user: str, path: str, body: dict[str, Any], field: str
) -> None:
    await login(client, user)
    response = await client.post(path, json=body)
    assert response.status_code == 422, response.text
    assert field in response.text
