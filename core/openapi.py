"""The error responses of every operation in the OpenAPI document, in the one error shape.

Litestar documents a 400 with its own ``{status_code, detail, extra}`` body, which no route answers: every
error is :class:`core.errors.ErrorBody`, validation errors are 422, and guards, ids and rate limits add
401/403, 404 and 429. :func:`document_errors` writes what each handler can answer into its ``responses``
(a handler's own entries win), before the document is first built.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
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
    500: "服务器内部错误：code = internal_error",
}


def _takes_input(route: HTTPRoute, handler: HTTPRouteHandler) -> bool:
    dependencies = set(handler.resolve_dependencies())
    names = set(handler.parsed_fn_signature.parameters) - _FRAMEWORK_KWARGS - dependencies
    return bool(route.path_parameters) or bool(names)


def error_statuses(route: HTTPRoute, handler: HTTPRouteHandler) -> list[int]:
    statuses = [500]
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


def document_errors(app: Litestar) -> None:
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.include_in_schema:
                continue
            documented = errors({status: _DESCRIPTIONS[status] for status in error_statuses(route, handler)})
            handler.responses = {**documented, **(handler.responses or {})}
