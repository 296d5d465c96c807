"""The page of a judge's one-time log-in link (``/judge/login?token=``, the URL the QR code holds).

Its GET only shows a page with a button: a chat app's link preview, a mail scanner or a browser's prefetch
fetches the URL too, and a GET that spent the link would leave the judge with a dead QR code. The button
POSTs the token (a plain form, with the CSRF field: it works without the page's scripts), and only that
POST uses the link, opens the session and sends the tablet to ``/judge``. Both are rate-limited per address
against token guessing, each with its own count (a venue's tablets share one address); an unusable link gets
the same 400 page either way.
"""

from __future__ import annotations

from html import escape
from typing import Annotated, Any

import msgspec
from litestar import MediaType, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect
from litestar.utils.scope.state import ScopeState

from accounts.ratelimit import JUDGE_LINK_LIMIT, JUDGE_LINK_USE_LIMIT
from accounts.security import PUBLIC
from accounts.sessions import session_cookie
from core.db import utcnow
from scoring import links

# The token is in the page's URL: no Referer carries it elsewhere, and nothing keeps a copy of the page.
_HEADERS = {"cache-control": "no-store", "referrer-policy": "no-referrer", "x-robots-tag": "noindex"}

_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<link rel="stylesheet" href="/static/css/app.css"></head><body>
<header class="bar"><a class="title" href="/">亦城平台</a></header>
<main style="max-width:520px"><h1>{title}</h1>
{body}</main></body></html>"""

_INVALID = """<div class="notice bad">该登录链接无效、已使用、已撤销或已过期。
请联系组织者重新打印二维码，或使用账号密码登录。</div>
<p><a class="button" href="/login?next=%2Fjudge">账号密码登录</a></p>"""

_CONFIRM = """<p id="link-competition">竞赛：{competition}</p>
<form method="post" action="/judge/login">
<input type="hidden" name="token" value="{token}">
<input type="hidden" name="_csrf_token" value="{csrf}">
<p><button id="use-link" class="block" type="submit">进入评分</button></p>
</form>
<p class="muted">该二维码只能使用一次：点击按钮后，本设备将以裁判身份登录，直到今天 23:59。</p>"""


class LinkForm(msgspec.Struct, kw_only=True):
    """What the page's button posts (the CSRF field is the middleware's)."""

    token: str = ""


def _invalid() -> Response[str]:
    html = _PAGE.format(title="登录链接无效", body=_INVALID)
    return Response(html, status_code=400, media_type=MediaType.HTML, headers=_HEADERS)


@get(
    "/judge/login",
    opt=PUBLIC,
    guards=[JUDGE_LINK_LIMIT],
    include_in_schema=False,
    summary="A judge's one-time log-in link: a page with a button (reading it does not use the link)",
)
async def judge_link_page(request: Request[Any, Any, Any], token: FromQuery[str] = "") -> Response[str]:
    competition = await links.live_link(token)
    if competition is None:
        return _invalid()
    csrf = ScopeState.from_scope(request.scope).csrf_token
    body = _CONFIRM.format(competition=escape(competition), token=escape(token), csrf=escape(str(csrf)))
    return Response(_PAGE.format(title="裁判登录", body=body), media_type=MediaType.HTML, headers=_HEADERS)


@post(
    "/judge/login",
    opt=PUBLIC,
    guards=[JUDGE_LINK_USE_LIMIT],
    include_in_schema=False,
    summary="Use a judge's one-time log-in link (the page's button; rate-limited per address)",
)
async def judge_login(
    data: Annotated[LinkForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[Any]:
    login = await links.consume_link(data.token)
    if login is None:
        return _invalid()
    max_age = max(60, int((login.expires_at - utcnow()).total_seconds()))
    return Redirect(
        path=f"/judge?competition={login.competition_id}",
        status_code=303,  # the tablet GETs the page it is sent to
        cookies=[session_cookie(login.session_token, max_age=max_age)],
        headers={"cache-control": "no-store"},
    )


ROUTES = [judge_link_page, judge_login]
