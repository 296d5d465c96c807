"""The bench's tablets section against a real server, sent by a load generator that costs little.

    .venv/bin/python bench/probes/tablets_raw_client.py

``bench.fire`` (httpx) spent 2.5 s of CPU on the section's 500 requests on the shared 2-core machine, more
than the server itself (1.0 to 1.7 s): the marks figure measured the client. Here the same plan goes over
raw HTTP/1.1 keep-alive connections (asyncio streams, ~0.1 s of CPU), so what is left is the server. Prints
the section's figures and the CPU of the client and of the server's processes. The answers must carry a
Content-Length (the sheet's JSON does); chunked answers are not read.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]


async def _send(plan: dict) -> dict:
    """``bench.fire``'s plan and answer, ``connections`` workers each on one kept connection."""
    url = urlsplit(plan["base_url"])
    waiting = list(enumerate(plan["requests"]))[::-1]
    results: list[tuple[int, float]] = [(0, 0.0)] * len(waiting)

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        while waiting:
            i, request = waiting.pop()
            body = json.dumps(request["json"]).encode()
            head = (
                f"{plan['method']} {request['path']} HTTP/1.1\r\nHost: {url.netloc}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                f"x-csrftoken: {plan['csrf']}\r\n"
                f"Cookie: csrftoken={plan['csrf']}; yc_session={request['token']}\r\n\r\n"
            )
            start = time.perf_counter()
            writer.write(head.encode() + body)
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                length = int(value) if name.lower() == "content-length" else length
            await reader.readexactly(length)
            results[i] = (status, (time.perf_counter() - start) * 1000)
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(plan.get("connections", 64))))
    statuses: dict[str, int] = {}
    for status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    latencies = sorted(ms for _, ms in results)
    return {"elapsed_s": time.perf_counter() - start, "statuses": statuses, "latencies_ms": latencies}


def _server_cpu_s() -> float:
    """CPU seconds of this process's descendants still running (the server and its workers)."""
    parent, cpu = {}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parent[int(entry.name)] = int(fields[1])
            cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    mine = {os.getpid()}
    while grown := {p for p, pp in parent.items() if pp in mine and p not in mine}:
        mine |= grown
    return sum(cpu[p] for p in mine - {os.getpid()})


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from bench import tablets
    from bench.servers import platform_database, serve

    tablets.fire = lambda plan: asyncio.run(_send(plan))  # the section's own plan, sent by this client
    with platform_database() as env, serve("app:create_server_app", env) as base_url:
        os.environ.update(env)
        client, server = resource.getrusage(resource.RUSAGE_SELF), _server_cpu_s()
        for name, value in tablets.run_tablets(1.0, base_url).items():
            print(f"{name}: {value}")
        spent = resource.getrusage(resource.RUSAGE_SELF)
        print(
            f"CPU s: this process (set-up and client) {spent.ru_utime - client.ru_utime:.2f}, "
            f"server {_server_cpu_s() - server:.2f}"
        )


if __name__ == "__main__":
    main()
