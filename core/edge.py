"""What every request goes through before routing: who the client really is, and HEAD.

- **Client address.** Behind a reverse proxy every request comes from the proxy, and the client's address
  is in ``X-Forwarded-For``, a header anyone can also send. The header is believed only when the peer is one
  of the trusted proxies (``YICHENG_TRUSTED_PROXIES``); the client is then the right-most hop that is not a
  trusted proxy (each proxy appends the address it saw, so hops to the left of it are the client's word).
  Rate limits and logs read ``scope["client"]``, rewritten here.
- **HEAD** is answered as the GET of the same path, with the headers and without the body (Litestar routes
  HEAD only to handlers declared for it, and answers 405 otherwise). A GET that changes something would
  declare ``opt=NO_HEAD``: the input guard (core/bounds.py) answers its HEAD 405, so a link checker's HEAD
  never runs it. None does today: a judge's one-time link, the one that did, is now spent by a POST.
- **One charset.** Litestar appends ``; charset=utf-8`` to every ``text/*`` type, also to one that already
  names it (``text/csv; charset=utf-8``); the second is dropped here.
- **OPTIONS** is Litestar's own answer (204), with an ``Allow`` header listing every method of the path:
  Litestar's handler lists only the methods of the first controller that registered the path (a
  collection's GET and POST from two handlers gave ``OPTIONS, POST``).

It wraps the Litestar app's ASGI handler (inside the framework's own entry point), so the app the tests
drive in process and the one the server runs behave alike.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
ASGIApp = Any

HEAD_MARK = "yicheng.head"  # in the scope of a HEAD request answered as a GET
NO_HEAD: dict[str, Any] = {"no_head": True}
"""``opt`` of a GET handler with effects: its HEAD is refused rather than run."""


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip().strip('"')
    if text.startswith("["):  # [2001:db8::1]:443
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:  # 203.0.113.9:51234
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def client_address(peer: str, forwarded_for: Sequence[str], proxies: Sequence[Network]) -> str:
    """The client's address: ``peer`` unless it is a trusted proxy, else the right-most untrusted hop."""

    def trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
        return address is not None and any(address in network for network in proxies)

    if not trusted(_address(peer)):
        return peer
    hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return peer  # a hop a proxy would never write: believe nothing beyond the proxy
        if not trusted(address):
            return str(address)
    return str(_address(hops[0])) if hops else peer


def one_charset(content_type: bytes) -> bytes:
    """``text/csv; charset=utf-8; charset=utf-8`` -> ``text/csv; charset=utf-8``."""
    kept, seen = [], False
    for part in (p.strip() for p in content_type.split(b";")):
        if part.lower().startswith(b"charset="):
            if seen:
                continue
            seen = True
        kept.append(part)
    return b"; ".join(kept)


def _one_charset(send: Any) -> Any:
    async def sending(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            headers = [
                (k, one_charset(v) if k.lower() == b"content-type" and v.count(b"charset=") > 1 else v)
                for k, v in message["headers"]
            ]
            message = {**message, "headers": headers}
        await send(message)

    return sending


class Edge:
    """The ASGI wrapper described in the module docstring."""

    def __init__(
        self, app: ASGIApp, proxies: Sequence[Network] = (), methods: dict[str, set[str]] | None = None
    ) -> None:
        self.app = app
        self.proxies = tuple(proxies)
        # path template -> the Allow header (HEAD wherever GET is, since HEAD is answered here)
        self.allow = {
            path: ", ".join(sorted(verbs | ({"HEAD"} if "GET" in verbs else set())))
            for path, verbs in (methods or {}).items()
        }

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.proxies and scope.get("client"):
            forwarded = [v.decode("latin-1") for k, v in scope["headers"] if k == b"x-forwarded-for"]
            host, port = scope["client"]
            scope["client"] = (client_address(host, forwarded, self.proxies), port)
        send = _one_charset(send)
        if scope["method"] == "HEAD":
            await self._head(scope, receive, send)
        elif scope["method"] == "OPTIONS":
            await self._options(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _options(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        async def with_allow(message: dict[str, Any]) -> None:
            # The router has written the matched path's template into the scope by now.
            allow = self.allow.get(scope.get("path_template", ""))
            if message["type"] == "http.response.start" and message["status"] == 204 and allow:
                headers = [(k, v) for k, v in message["headers"] if k.lower() != b"allow"]
                message = {**message, "headers": [*headers, (b"allow", allow.encode())]}
            await send(message)

        await self.app(scope, receive, with_allow)

    async def _head(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        answered = False

        async def headers_only(message: dict[str, Any]) -> None:
            nonlocal answered
            if message["type"] == "http.response.start":
                answered = True
                await send(message)
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        async def receive_until_answered() -> dict[str, Any]:
            # Once the headers are out, a streaming GET (server-sent events) hears a disconnect and stops.
            return {"type": "http.disconnect"} if answered else await receive()

        await self.app({**scope, "method": "GET", HEAD_MARK: True}, receive_until_answered, headers_only)
