"""Input refused at the edge: integers out of the range of the columns they reach, and NUL characters.

Every id is a Piccolo ``Serial`` and every count an ``Integer``: 4-byte ``int4`` on PostgreSQL, 8-byte on
SQLite. A larger number reaching the driver fails there (asyncpg's "value out of int32 range", SQLite's
``OverflowError``) as a 500, so the edge refuses it first, the same way on both engines:

- an integer path parameter out of range names a row that cannot exist: 404;
- an integer query parameter out of range: 422 naming the parameter;
- an integer in a JSON body: the schema types it :data:`Id`, :data:`Int4` or :data:`Count` (msgspec
  refuses it with a 422 naming the field), and :func:`core.errors.exception_handlers` maps a driver
  overflow that still gets through to 422 as the safety net.

:func:`input_guard` is an app-wide guard: it runs after the role guard (an anonymous caller still
gets 401 first) and reads each handler's signature once, so domain routes need no change. It also refuses a
NUL character anywhere in the path, the query or a JSON body (PostgreSQL cannot store one: a 500 there,
silently stored on SQLite): 404 in the path, 422 naming the field elsewhere; and the HEAD of a GET with
effects (``opt=core.edge.NO_HEAD``): 405.
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any

import msgspec
from litestar.connection import ASGIConnection, Request
from litestar.enums import ParamType
from litestar.handlers.base import BaseRouteHandler
from litestar.params import ParameterKwarg

from core.edge import HEAD_MARK
from core.errors import DomainError, Invalid, NotFound

INT4_MIN = -(2**31)
INT4_MAX = 2**31 - 1

Int4 = Annotated[int, msgspec.Meta(ge=INT4_MIN, le=INT4_MAX)]
"""Any integer stored in an ``Integer`` column."""
Id = Annotated[int, msgspec.Meta(ge=1, le=INT4_MAX)]
"""A reference to a row (every table's id is a ``Serial``)."""
Count = Annotated[int, msgspec.Meta(ge=0, le=INT4_MAX)]
"""A count, version, offset or position: never negative."""
SeenVersion = Annotated[int, msgspec.Meta(ge=0, le=INT4_MAX - 1)]
"""The version a writer last read, 0 before the first write (the next write still fits an int4)."""
SeenWrittenVersion = Annotated[int, msgspec.Meta(ge=1, le=INT4_MAX - 1)]
"""The version a writer last read of a row that exists (as ``accounts.schemas.Version``)."""

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


def _nul_field(value: Any, path: str = "") -> str | None:
    """The path of the first string holding a NUL character in decoded JSON, or None."""
    if isinstance(value, str):
        return path or "body" if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str) and "\x00" in key:
            return f"{path}.{key}".lstrip(".")
        found = _nul_field(item, f"{path}.{key}".lstrip(".") if isinstance(key, str) else f"{path}[{key}]")
        if found:
            return found
    return None


def _nul_refused(field: str) -> Invalid:
    return Invalid(f"字段 {field} 含有不允许的空字符（NUL）", field=field, code="invalid_character")


async def _refuse_nul(connection: ASGIConnection) -> None:
    """A NUL character fits no text column (PostgreSQL refuses it, SQLite would store it): none gets in,
    from the path, the query or a JSON body, on either engine."""
    if "\x00" in connection.scope["path"]:
        raise NotFound("地址中含有不允许的空字符（NUL）")
    if b"%00" in connection.scope["query_string"]:
        for key, value in connection.query_params.multi_items():
            if "\x00" in key or "\x00" in str(value):
                raise _nul_refused(key)
    if isinstance(connection, Request) and connection.content_type[0] == "application/json":
        body = await connection.body()
        if b"\\u0000" in body:
            try:
                field = _nul_field(msgspec.json.decode(body))
            except msgspec.DecodeError:
                return  # not JSON: the handler refuses it
            if field:
                raise _nul_refused(field)


async def input_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    if connection.scope.get(HEAD_MARK) and handler.opt.get("no_head"):
        raise DomainError(
            "该地址不支持 HEAD 请求", code="method_not_allowed", status=405, headers={"Allow": "GET"}
        )
    await _refuse_nul(connection)
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
