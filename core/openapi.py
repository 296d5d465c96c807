"""The error responses of every operation in the OpenAPI document, in the one error shape.

Litestar documents a 400 with its own ``{status_code, detail, extra}`` body, which no route answers: every
error is :class:`core.errors.ErrorBody`, validation errors are 422, and guards, ids and rate limits add
401/403, 404 and 429. :func:`document_errors` writes what each handler can answer into its ``responses``
(a handler's own entries win), before the document is first built; a file download (:func:`download`) is
documented with every media type it answers, each a binary body.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Schema,
)
from litestar.routes import HTTPRoute

from core.errors import ErrorBody

# Parameters Litestar fills itself, not the caller.
_FRAMEWORK_KWARGS = frozenset({"request", "state", "scope", "socket", "headers", "cookies"})

_DESCRIPTIONS = {
    400: "请求内容无法解析（不是有效的 JSON 或表单）",
    401: "未登录：code = not_authenticated",
    403: "当前角色无权执行此操作，或 CSRF 校验失败：code = forbidden | csrf_failed",
    404: "记录不存在（编号超出范围的也是 404）：code = not_found",
    422: "字段无效：field 指出哪个字段，message 说明原因",
    429: "操作过于频繁：Retry-After 与 detail.retry_after 给出等待秒数；code = rate_limited",
    409: "版本已过期（他人已修改）或与当前状态冲突：code = stale_version 等，detail 给出当前版本",
    500: "服务器内部错误：code = internal_error",
}


def _takes_input(route: HTTPRoute, handler: HTTPRouteHandler) -> bool:
    dependencies = set(handler.resolve_dependencies())
    names = set(handler.parsed_fn_signature.parameters) - _FRAMEWORK_KWARGS - dependencies
    return bool(route.path_parameters) or bool(names)


# A write whose input names the version the writer read is refused with 409 when another write came first.
_VERSION_FIELDS = frozenset({"version", "base_version", "previous_version", "publication_version"})


def _versioned(handler: HTTPRouteHandler) -> bool:
    parameter = handler.parsed_fn_signature.parameters.get("data")
    annotation = getattr(parameter, "annotation", None)
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    fields = getattr(annotation, "__struct_fields__", ())
    return bool(_VERSION_FIELDS.intersection(fields))


def error_statuses(route: HTTPRoute, handler: HTTPRouteHandler) -> list[int]:
    statuses = [500]
    if _versioned(handler):
        statuses.append(409)
    if _takes_input(route, handler):
        statuses += [400, 422]
    if not handler.opt.get("public"):
        statuses += [401, 403]
    if route.path_parameters:
        statuses.append(404)
    if any(getattr(guard, "answers_429", False) for guard in handler.guards or ()):
        statuses.append(429)
    return sorted(statuses)


def errors(described: dict[int, str]) -> dict[int, ResponseSpec]:
    """A route's own error answers for its ``responses=`` (e.g. 409 on a stale version), in the one shape."""
    return {
        status: ResponseSpec(data_container=ErrorBody, description=text, generate_examples=False)
        for status, text in described.items()
    }


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
PDF = "application/pdf"
_TYPE_NAMES = {XLSX: "XLSX", CSV: "CSV（UTF-8，带 BOM）", PDF: "PDF"}


@dataclass
class _Download(ResponseSpec):
    """The 200 of a file download; ``media_types`` are every type it answers (the first is the default)."""

    media_types: tuple[str, ...] = ()


def download(
    media_type: str, *others: str, note: str = "", disposition: str = "attachment"
) -> dict[int, ResponseSpec]:
    """The 200 of a file download for a route's ``responses=``: its media types (``others`` are the ones a
    query picks), each a binary body, not the JSON Litestar would document for ``Response[bytes]``."""
    names = "、".join(_TYPE_NAMES.get(m, m) for m in (media_type, *others))
    return {
        200: _Download(
            data_container=bytes,
            media_type=media_type,
            description=f"文件下载：{names}（Content-Disposition: {disposition}）"
            + (f"；{note}" if note else ""),
            generate_examples=False,
            media_types=(media_type, *others),
        )
    }


class _DownloadOperation(Operation):
    """An operation whose 200 lists every media type of its download, each ``format: binary``: Litestar's
    ``ResponseSpec`` takes one media type and documents ``bytes`` as a plain string."""

    media_types: ClassVar[tuple[str, ...]] = ()

    def __init__(self, **fields: Any) -> None:
        super().__init__(**fields)
        ok = (self.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse):
            binary = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
            ok.content = {media_type: OpenAPIMediaType(schema=binary) for media_type in self.media_types}


def _document_download(handler: HTTPRouteHandler) -> None:
    """A download's 200 as binary bodies of its media types: declared by :func:`download`, or the file type
    a handler names as its own ``media_type``."""
    ok = (handler.responses or {}).get(200)
    if isinstance(ok, _Download):
        media_types = ok.media_types
    elif handler.media_type in _TYPE_NAMES:
        media_types = (str(handler.media_type),)
    else:
        return
    handler.operation_class = type("DownloadOperation", (_DownloadOperation,), {"media_types": media_types})


CONFLICT = "与当前状态冲突（版本已过期、状态不允许或重复）：code 说明原因，如 stale_version"


def document_errors(app: Litestar) -> None:
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.include_in_schema:
                continue
            documented = errors({status: _DESCRIPTIONS[status] for status in error_statuses(route, handler)})
            handler.responses = {**documented, **(handler.responses or {})}
            _document_download(handler)
