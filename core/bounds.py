"""Integers bounded at the edge to the range of the columns they reach.

Every id is a Piccolo ``Serial`` and every count an ``Integer``: 4-byte ``int4`` on PostgreSQL, 8-byte on
SQLite. A larger number reaching the driver fails there (asyncpg's "value out of int32 range", SQLite's
``OverflowError``) as a 500, so the edge refuses it first, the same way on both engines:

- an integer path parameter out of range names a row that cannot exist: 404;
- an integer query parameter out of range: 422 naming the parameter;
- an integer in a JSON body: the schema types it :data:`Id`, :data:`Int4` or :data:`Count` (msgspec
  refuses it with a 422 naming the field), and :func:`core.errors.exception_handlers` maps a driver
  overflow that still gets through to 422 as the safety net.

:func:`integer_bounds_guard` is an app-wide guard: it runs after the role guard (an anonymous caller still
gets 401 first) and reads each handler's signature once, so domain routes need no change.
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.enums import ParamType
from litestar.handlers.base import BaseRouteHandler
from litestar.params import ParameterKwarg

from core.errors import Invalid, NotFound

INT4_MIN = -(2**31)
INT4_MAX = 2**31 - 1

Int4 = Annotated[int, msgspec.Meta(ge=INT4_MIN, le=INT4_MAX)]
"""Any integer stored in an ``Integer`` column."""
Id = Annotated[int, msgspec.Meta(ge=1, le=INT4_MAX)]
"""A reference to a row (every table's id is a ``Serial``)."""
Count = Annotated[int, msgspec.Meta(ge=0, le=INT4_MAX)]
"""A count, version, offset or position: never negative."""

# Names Litestar fills itself: never query parameters.
_RESERVED = frozenset({"state", "headers", "cookies", "request", "socket", "data", "query", "scope", "body"})
# Per handler function (guards are handed a copy of the handler, so neither it nor its id is stable).
_QUERY_INTS: dict[Any, tuple[str, ...]] = {}


def in_range(value: int) -> bool:
    return INT4_MIN <= value <= INT4_MAX


def _holds_int(annotation: Any) -> bool:
    """``int``, ``int | None``, ``Annotated[int, ...]`` or ``list[int]`` (never ``bool`` or an enum)."""
    if annotation is int:
        return True
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _holds_int(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, tuple, set, frozenset):
        return any(_holds_int(arg) for arg in typing.get_args(annotation))
    return False


def _query_name(name: str, kwarg: Any) -> str | None:
    """The query key of a handler parameter, or None when it is a path, header, cookie or body value."""
    if isinstance(kwarg, ParameterKwarg):
        if kwarg.param_type in (ParamType.HEADER, ParamType.COOKIE, ParamType.PATH):
            return None
        return kwarg.name or kwarg.query or name
    return None if kwarg is not None or name in _RESERVED else name


def query_integers(handler: BaseRouteHandler) -> tuple[str, ...]:
    """The query keys of a handler's integer parameters (path parameters are read from the route)."""
    cached = _QUERY_INTS.get(handler.fn)
    if cached is None:
        dependencies = set(handler.resolve_dependencies())
        found = []
        for name, field in handler.parsed_fn_signature.parameters.items():
            key = None if name in dependencies else _query_name(name, field.kwarg_definition)
            if key is not None and _holds_int(field.annotation):
                found.append(key)
        cached = _QUERY_INTS[handler.fn] = tuple(found)
    return cached


def _as_int(raw: str) -> int | None:
    try:
        return int(raw)
    except ValueError:
        return None  # not a number at all: the framework's own validation answers it


async def integer_bounds_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    for name, value in connection.path_params.items():
        if isinstance(value, int) and not in_range(value):
            raise NotFound(f"记录不存在：{name}={value}", field=name)
    for key in query_integers(handler):
        if key in connection.path_params:
            continue
        for raw in connection.query_params.getall(key, ()):
            value = _as_int(raw)
            if value is not None and not in_range(value):
                raise Invalid(
                    f"字段 {key} 超出范围：应在 {INT4_MIN} 到 {INT4_MAX} 之间",
                    field=key,
                    code="out_of_range",
                )
