"""One JSON error shape for every failed request.

``{"status": 422, "code": "validation_error", "message": "...", "field": "id_number", "detail": {...}}``

Domain code raises :class:`DomainError` (or a subclass) with a machine code, a Chinese message for the
pages and the offending field; framework exceptions (validation, auth, CSRF, 404, 413, 429) are mapped to
the same shape by :func:`exception_handlers`, and anything unexpected becomes a 500 without internals.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Awaitable
from typing import Any, TypeVar

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

logger = logging.getLogger("yicheng.errors")


class ErrorBody(msgspec.Struct, omit_defaults=True):
    status: int
    code: str
    message: str
    field: str | None = None
    detail: dict[str, Any] | None = None


class DomainError(Exception):
    """A request the domain refuses; carries everything the error body needs."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        detail: dict[str, Any] | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.field = field
        self.detail = detail
        self.status = status or self.status
        self.headers = headers

    def body(self) -> ErrorBody:
        return ErrorBody(self.status, self.code, self.message, self.field, self.detail)


class Invalid(DomainError):
    status = 422
    code = "invalid"


class NotFound(DomainError):
    status = 404
    code = "not_found"


T = TypeVar("T")


async def none_if_absent(call: Awaitable[T], code: str) -> T | None:
    """A read whose 404 ``code`` means "not created yet" (a rubric, a shortlist) answers 200 ``null``
    instead: a page that works as intended then logs no error in the browser's console."""
    try:
        return await call
    except NotFound as exc:
        if exc.code == code:
            return None
        raise


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class TooLarge(DomainError):
    status = 413
    code = "too_large"


class ServiceUnavailable(DomainError):
    """Something the machine lacks (a font for certificates): the message names what to install."""

    status = 503
    code = "unavailable"


class TooManyRequests(DomainError):
    """A rate limit refused the request: says when to come back, in the body and in ``Retry-After``."""

    status = 429
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        retry_after = max(1, retry_after)
        super().__init__(
            f"操作过于频繁，请 {retry_after} 秒后再试",
            detail={"retry_after": retry_after},
            headers={"Retry-After": str(retry_after)},
        )


def error_response(body: ErrorBody, headers: dict[str, str] | None = None) -> Response[ErrorBody]:
    return Response(body, status_code=body.status, media_type=MediaType.JSON, headers=headers)


def _domain_handler(_: Request, exc: DomainError) -> Response[ErrorBody]:
    return error_response(exc.body(), headers=exc.headers)


_MSGSPEC_PATH = re.compile(r"at `\$\.?([^`]*)`")


def _field_of(item: dict[str, Any]) -> str | None:
    """The field a validation error names: Litestar's ``key``, or the path inside msgspec's message."""
    match = _MSGSPEC_PATH.search(str(item.get("message", "")))
    if match and match.group(1):
        return match.group(1)
    key = item.get("key")
    return str(key) if key else None


def _validation_handler(_: Request, exc: ValidationException) -> Response[ErrorBody]:
    items = exc.extra if isinstance(exc.extra, list) else []
    first = items[0] if items and isinstance(items[0], dict) else {}
    field = _field_of(first)
    reason = str(first.get("message") or exc.detail)
    message = f"字段 {field} 无效：{reason}" if field else f"请求无效：{reason}"
    detail = {"errors": items} if len(items) > 1 else None
    return error_response(ErrorBody(422, "validation_error", message, field, detail))


def _http_handler(_: Request, exc: HTTPException) -> Response[ErrorBody]:
    status = exc.status_code
    if isinstance(exc, NotAuthorizedException):
        body = ErrorBody(401, "not_authenticated", "请先登录")
    elif isinstance(exc, PermissionDeniedException) and "CSRF" in str(exc.detail):
        body = ErrorBody(403, "csrf_failed", "页面已过期或请求来源无效，请刷新后重试（CSRF 校验失败）")
    elif isinstance(exc, PermissionDeniedException):
        body = ErrorBody(403, "forbidden", "当前角色无权执行此操作")
    elif status == 400 and "malformed" in str(exc.detail).lower():
        body = ErrorBody(400, "malformed_body", "请求内容不是有效的 JSON")
    elif status in _HTTP_MESSAGES:
        code, message = _HTTP_MESSAGES[status]
        body = ErrorBody(status, code, message)
    else:
        body = ErrorBody(status, "http_error", str(exc.detail))
    return error_response(body, headers=getattr(exc, "headers", None))


_HTTP_MESSAGES = {
    404: ("not_found", "请求的地址不存在"),
    405: ("method_not_allowed", "该地址不支持此请求方法"),
    413: ("too_large", "请求内容过大"),
    429: ("rate_limited", "操作过于频繁，请稍后再试"),
}


def is_out_of_range(exc: BaseException) -> bool:
    """A value the database cannot hold: sqlite3's ``OverflowError`` (an int past 64 bits), asyncpg's
    client-side "value out of int32 range", PostgreSQL's numeric_value_out_of_range (22003)."""
    name, text = type(exc).__name__, str(exc)
    if isinstance(exc, OverflowError) or name == "NumericValueOutOfRangeError":
        return True
    return name == "DataError" and "out of" in text and "range" in text


_BODY_EXTRACTION = os.path.join("litestar", "_kwargs", "extractors.py")


def raised_reading_the_body(exc: BaseException) -> bool:
    """True for an error Litestar raises while turning a request body into handler arguments.

    Its multipart reader assumes the form holds what the handler wants: a form without a file for an
    ``UploadFile`` parameter raises ``StopIteration`` (surfacing as ``RuntimeError: coroutine raised
    StopIteration``), an empty form for a list ``IndexError``. Either is the caller's malformed body.
    """
    frame = exc.__traceback__
    while frame is not None:
        if frame.tb_frame.f_code.co_filename.endswith(_BODY_EXTRACTION):
            return True
        frame = frame.tb_next
    return False


def is_nul_in_text(exc: BaseException) -> bool:
    """PostgreSQL refuses a NUL character in text (22021: "invalid byte sequence for encoding UTF8: 0x00")
    and ``\\u0000`` in JSON (22P05: "unsupported Unicode escape sequence"); SQLite stores both."""
    name = type(exc).__name__
    return (name == "CharacterNotInRepertoireError" and "0x00" in str(exc)) or (
        name == "UntranslatableCharacterError" and "\\u0000" in str(exc)
    )


def _internal_handler(request: Request, exc: Exception) -> Response[ErrorBody]:
    if raised_reading_the_body(exc):
        return error_response(ErrorBody(400, "malformed_body", "请求内容无法解析：表单缺少所需的文件或字段"))
    if is_out_of_range(exc):
        # The safety net behind core.bounds: the value is the caller's, so 422, but the schema that let it
        # through should bound it (and name the field): logged so that the fuzzer's runs list them.
        logger.warning("out-of-range value reached the database on %s %s", request.method, request.url.path)
        return error_response(ErrorBody(422, "out_of_range", "数值超出允许范围"))
    if is_nul_in_text(exc):
        logger.warning("a NUL character reached the database on %s %s", request.method, request.url.path)
        return error_response(ErrorBody(422, "invalid_character", "文本中含有不允许的空字符（NUL）"))
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(ErrorBody(HTTP_500_INTERNAL_SERVER_ERROR, "internal_error", "服务器内部错误"))


def exception_handlers() -> dict[Any, Any]:
    return {
        DomainError: _domain_handler,
        ValidationException: _validation_handler,
        HTTPException: _http_handler,
        Exception: _internal_handler,
    }
