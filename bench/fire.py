"""The load generator for writes: a separate process that sends one request per session, all at once.

    python -m bench.fire PLAN.json  ->  prints {"elapsed_s", "statuses", "latencies_ms"} as JSON

PLAN: {"base_url", "csrf", "method", "requests": [{"path", "token", "json" | "csv", "form"?}], "connections"}
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import httpx


async def fire(plan: dict) -> dict:
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
    statuses: dict[str, int] = {}
    for status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    latencies = sorted(ms for _, ms in results)
    return {"elapsed_s": elapsed, "statuses": statuses, "latencies_ms": latencies, "first_error": first_error}


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as plan_file:
        print(json.dumps(asyncio.run(fire(json.load(plan_file)))))
