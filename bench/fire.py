"""The load generator for writes: a separate process that sends one request per session, all at once.

    python -m bench.fire PLAN.json  ->  prints {"elapsed_s", "statuses", "latencies_ms"} as JSON

PLAN: {"base_url", "csrf", "method", "requests": [{"path", "token", "json" | "csv", "form"?}], "connections"}

Requests go over raw HTTP/1.1 keep-alive connections (asyncio streams), ``connections`` of them, each sending
its next request when the last was answered. The bench runs on the server's own two cores, so what the client
spends the server cannot: httpx spent more CPU on the tablets' 500 requests (about 2.5 s) than the server
did (1.0 to 1.7 s), and the write figures measured the client. This one costs about a tenth of that, as wrk
does for the bare app the figures are divided by.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from urllib.parse import urlsplit

TIMEOUT_S = 120
Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def _encode(plan: dict, request: dict, host: str) -> bytes:
    """One request as bytes: a JSON body, or a multipart form with the CSV as its ``file`` field."""
    upload = request.get("csv")
    if upload is None:
        body = json.dumps(request.get("json")).encode() if request.get("json") is not None else b""
        content_type = "application/json"
    else:
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in (request.get("form") or {}).items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload.csv"\r\n'
            f"Content-Type: text/csv\r\n\r\n".encode()
            + upload.encode()
            + f"\r\n--{boundary}--\r\n".encode()
        )
        body = b"".join(parts)
        content_type = f"multipart/form-data; boundary={boundary}"
    head = (
        f"{plan['method']} {request['path']} HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        f"x-csrftoken: {plan['csrf']}\r\n"
        f"Cookie: csrftoken={plan['csrf']}; yc_session={request['token']}\r\n\r\n"
    )
    return head.encode() + body


async def _exchange(streams: Streams, data: bytes) -> tuple[int, bytes, bool]:
    """Send one request, read its answer: status, body, and whether the connection stays open."""
    reader, writer = streams
    writer.write(data)
    status = int((await reader.readline()).split()[1])
    headers: dict[str, str] = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while size := int((await reader.readline()).split(b";")[0], 16):
            chunks.append(await reader.readexactly(size + 2))
        await reader.readline()
        body = b"".join(chunk[:-2] for chunk in chunks)
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, body, headers.get("connection", "").lower() != "close"


async def fire(plan: dict) -> dict:
    url = urlsplit(plan["base_url"])
    waiting = list(enumerate(plan["requests"]))[::-1]
    results: list[tuple[int, float]] = [(0, 0.0)] * len(waiting)
    first_error: list[str] = []

    async def worker() -> None:
        streams: Streams | None = None
        while waiting:
            i, request = waiting.pop()
            data = _encode(plan, request, url.netloc)
            start = time.perf_counter()
            try:
                streams = streams or await asyncio.open_connection(url.hostname, url.port)
                status, body, keep = await asyncio.wait_for(_exchange(streams, data), TIMEOUT_S)
            except (TimeoutError, OSError, ValueError, IndexError, asyncio.IncompleteReadError):
                status, body, keep = 0, b"", False
            if status >= 400 and not first_error:
                first_error.append(body[:500].decode("utf-8", "replace"))
            results[i] = (status, (time.perf_counter() - start) * 1000)
            if not keep and streams is not None:
                streams[1].close()
                streams = None
        if streams is not None:
            streams[1].close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(plan.get("connections", 64))))
    elapsed = time.perf_counter() - start
    statuses: dict[str, int] = {}
    for status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    latencies = sorted(ms for _, ms in results)
    return {"elapsed_s": elapsed, "statuses": statuses, "latencies_ms": latencies, "first_error": first_error}


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as plan_file:
        print(json.dumps(asyncio.run(fire(json.load(plan_file)))))
