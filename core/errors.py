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

from core.validation_messages import translate

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


def _validation_handler(request: Request, exc: ValidationException) -> Response[ErrorBody]:
    """msgspec's and Litestar's validation errors, in Chinese and naming the field (core.validation_messages).
    Several problems: the first is the message, all of them (translated) are in ``detail.errors``."""
    items = [i for i in exc.extra if isinstance(i, dict)] if isinstance(exc.extra, list) else []
    translated = []
    for item in items or [{"message": exc.detail}]:
        key = item.get("key")
        field, message = translate(
            str(item.get("message") or exc.detail), str(key) if key else None, request.url.path
        )
        translated.append({"field": field, "message": message, "source": item.get("source")})
    field, message = translated[0]["field"], str(translated[0]["message"])
    detail = {"errors": translated} if len(translated) > 1 else None
    if detail:
        message += f"（另有 {len(translated) - 1} 处问题）"
    return error_response(ErrorBody(422, "validation_error", message, field, detail))


def _http_handler(_: Request, exc: HTTPException) -> Response[ErrorBody]:
    status = exc.status_code
    if isinstance(exc, NotAuthorizedException):
        body = ErrorBody(401, "not_authenticated", "请先登录")
    elif isinstance(exc, PermissionDeniedException) and "CSRF" in str(exc.detail):
        body = ErrorBody(403, "csrf_failed", "页面已过期或请求来源无效，请刷新后重试（CSRF 校验失败）")
    elif isinstance(exc, PermissionDeniedException):
        body = ErrorBody(403, "forbidden", "当前角色无权执行此操作")
    elif status == 400 and ("malformed" in str(exc.detail).lower() or "decode" in str(exc.detail).lower()):
        body = ErrorBody(400, "malformed_body", "请求内容不是有效的 JSON")
    elif status in _HTTP_MESSAGES:
        code, message = _HTTP_MESSAGES[status]
        body = ErrorBody(status, code, message)
    else:
        body = ErrorBody(status, "http_error", _chinese_or(str(exc.detail), status))
    return error_response(body, headers=getattr(exc, "headers", None))


def _chinese_or(text: str, status: int) -> str:
    """The framework's text when it is already Chinese, else the Chinese sentence for the status."""
    if re.search(r"[\u4e00-\u9fff]", text):
        return text
    return _GENERIC.get(status, f"请求未能完成（状态 {status}），请检查后重试")


_GENERIC = {
    400: "请求无效，请检查填写的内容后重试",
    401: "请先登录",
    403: "当前角色无权执行此操作",
    406: "无法按所要求的格式返回内容",
    408: "请求超时，请重试",
    409: "操作与当前状态冲突，请刷新后重试",
    411: "请求缺少内容长度",
    415: "不支持的内容类型，请以 JSON 或表单提交",
    422: "请求内容无效，请检查后重新填写",
    503: "服务暂不可用，请稍后再试",
}


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


# What the database drivers raise when the database is out of reach, not when a statement is wrong: a server
# restarting, failing over or refusing connections (asyncpg's SQLSTATE classes 08 and 57P, 53300 too many
# connections), a pooled connection it cut (asyncpg raises ``InternalClientError`` "cannot switch to state"
# for about one in three of those), SQLite's write lock held past the busy timeout.
_UNAVAILABLE_ERRORS = {
    "ConnectionDoesNotExistError",
    "ConnectionFailureError",
    "ClientCannotConnectError",
    "CannotConnectNowError",
    "AdminShutdownError",
    "CrashShutdownError",
    "TooManyConnectionsError",
    "InternalClientError",
}
RETRY_AFTER_UNAVAILABLE_S = 5


def is_database_unavailable(exc: BaseException) -> bool:
    """True when a request failed because the database was out of reach, not because of the request: the
    same request is worth sending again shortly (the tablets' outbox does)."""
    name = type(exc).__name__
    if name in _UNAVAILABLE_ERRORS or isinstance(exc, ConnectionError):
        return True
    if name == "InterfaceError" and ("is closed" in str(exc) or "is closing" in str(exc)):
        return True  # asyncpg: "connection is closed", "pool is closing" (a worker stopping)
    return name == "OperationalError" and "database is locked" in str(exc)


def _internal_handler(request: Request, exc: Exception) -> Response[ErrorBody]:
    if is_database_unavailable(exc):
        # Logged without the trace: an outage writes one of these per request; the next try succeeds.
        logger.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
        body = ErrorBody(503, "database_unavailable", "数据库暂时无法访问，请稍后重试")
        return error_response(body, headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE_S)})
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
