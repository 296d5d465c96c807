"""The load generator for writes: a separate process that sends one request per session, all at once.

    python -m bench.fire PLAN.json  ->  prints {"elapsed_s", "statuses", "latencies_ms"} as JSON

PLAN: {"base_url", "csrf", "method", "requests": [{"path", "token", "json" | "csv", "form"?}], "connections",
       "client"?: "lean"}

The default client is httpx. ``"client": "lean"`` (JSON requests only) speaks HTTP/1.1 over asyncio streams
itself, one kept-alive connection per simulated client: httpx's pool of 256 connections cost the load
generator about 6 ms of CPU per request, four times what the server spent answering it, and on a 2-core
machine the rush then measured the client (the ceiling's wrk, in C, costs next to nothing).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import httpx


def outcome(elapsed: float, results: list[tuple[int, float]], first_error: list[str]) -> dict:
    statuses: dict[str, int] = {}
    for status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    latencies = sorted(ms for _, ms in results)
    return {"elapsed_s": elapsed, "statuses": statuses, "latencies_ms": latencies, "first_error": first_error}


async def fire(plan: dict) -> dict:
    if plan.get("client") == "lean":
        return await fire_lean(plan)
    connections = plan.get("connections", 64)
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    # At most ``connections`` requests in flight: httpx's pool slows down badly with thousands of waiters,
    # and a request's latency should not include its wait for a free connection in this client.
    in_flight = asyncio.Semaphore(connections)
    first_error: list[str] = []
    async with httpx.AsyncClient(base_url=plan["base_url"], limits=limits, timeout=120) as client:

        async def one(request: dict) -> tuple[int, float]:
            async with in_flight:
                return await send(request)

        async def send(request: dict) -> tuple[int, float]:
            cookies = f"csrftoken={plan['csrf']}; yc_session={request['token']}"
            headers = {"x-csrftoken": plan["csrf"], "cookie": cookies}
            start = time.perf_counter()
            try:
                upload = request.get("csv")  # a file field named "file", sent as multipart
                files = {"file": ("upload.csv", upload.encode(), "text/csv")} if upload is not None else None
                response = await client.request(
                    plan["method"],
                    request["path"],
                    json=request.get("json"),
                    files=files,
                    data=request.get("form"),  # the multipart's other fields
                    headers=headers,
                )
                status = response.status_code
                if status >= 400 and not first_error:
                    first_error.append(response.text[:500])
            except httpx.HTTPError:
                status = 0
            return status, (time.perf_counter() - start) * 1000

        start = time.perf_counter()
        results = await asyncio.gather(*(one(r) for r in plan["requests"]))
        elapsed = time.perf_counter() - start
    return outcome(elapsed, results, first_error)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the connection stays open, of one HTTP/1.1 response."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        body = b""
        while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
            body += (await reader.readexactly(size + 2))[:-2]
        await reader.readuntil(b"\r\n")
    else:
        body = b""
    return status, body, headers.get("connection") != "close"


async def fire_lean(plan: dict) -> dict:
    url = httpx.URL(plan["base_url"])
    host, port = url.host, url.port or 80
    requests = plan["requests"]
    results: list[tuple[int, float]] = [(0, 0.0)] * len(requests)
    first_error: list[str] = []
    upcoming = iter(enumerate(requests))
    common = (
        f"Host: {host}:{port}\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate\r\n"
        f"Content-Type: application/json\r\nX-CSRFToken: {plan['csrf']}\r\n"
    )

    async def client() -> None:
        connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        for index, request in upcoming:  # each simulated client takes the next request
            body = json.dumps(request["json"]).encode()
            head = (
                f"{plan['method']} {request['path']} HTTP/1.1\r\n{common}Content-Length: {len(body)}\r\n"
                f"Cookie: csrftoken={plan['csrf']}; yc_session={request['token']}\r\n\r\n"
            )
            start = time.perf_counter()
            try:
                async with asyncio.timeout(120):
                    if connection is None:
                        connection = await asyncio.open_connection(host, port)
                    reader, writer = connection
                    writer.write(head.encode() + body)
                    status, answer, keep = await _read_response(reader)
                if status >= 400 and not first_error:
                    first_error.append(answer[:500].decode(errors="replace"))
            except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError):
                status, keep = 0, False
            if not keep and connection is not None:
                connection[1].close()
                connection = None
            results[index] = (status, (time.perf_counter() - start) * 1000)
        if connection is not None:
            connection[1].close()

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(plan.get("connections", 64))))
    elapsed = time.perf_counter() - start
    return outcome(elapsed, results, first_error)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as plan_file:
        print(json.dumps(asyncio.run(fire(json.load(plan_file)))))
