"""Compression: a large answer is gzipped as before; a small one goes out as it is, no compressor made."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from core import compression


async def test_a_large_answer_is_gzipped_and_a_small_one_is_not(client: httpx.AsyncClient) -> None:
    large = await client.get("/schema/openapi.json", headers={"accept-encoding": "gzip"})
    assert large.status_code == 200
    assert large.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in large.headers["vary"].lower()
    assert int(large.headers["content-length"]) < len(large.content)  # httpx has unpacked it
    assert large.json()["openapi"]

    small = await client.get("/health", headers={"accept-encoding": "gzip"})
    assert small.status_code == 200
    assert "content-encoding" not in small.headers
    assert int(small.headers["content-length"]) == len(small.content) < 2048
    assert small.json()


async def test_a_small_answer_makes_no_gzip_stream(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The saving itself: Litestar's wrapper (which opens the stream) is not built for a small answer."""
    built: list[Any] = []
    original = compression.CompressionMiddleware.create_compression_send_wrapper

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        built.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(compression.CompressionMiddleware, "create_compression_send_wrapper", counting)
    await client.get("/health", headers={"accept-encoding": "gzip"})
    assert built == []
    response = await client.get("/schema/openapi.json", headers={"accept-encoding": "gzip"})
    assert len(built) == 1 and response.headers["content-encoding"] == "gzip"
