"""The fake upstream's ceiling: requests per second a raw client gets from it, printed before any benchmark, so a
reader can check it was never the bottleneck."""

from __future__ import annotations

import asyncio

from ._http_load import http_request, load
from ._procs import Running
from ._stats import table

CHAT_BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}]}
CHAT_STREAM_BODY = {**CHAT_BODY, "stream": True}


def fake_ceiling(fake: Running, *, seconds: float = 1.0, concurrency: int = 16) -> float:
    """Prints the ceiling table and returns the plain (not streamed) requests per second."""
    plain = http_request("/v1/chat/completions", CHAT_BODY)
    streamed = http_request("/v1/chat/completions", CHAT_STREAM_BODY)

    async def measure() -> tuple[float, float]:
        await load(fake.port, plain, concurrency=concurrency, duration=min(0.2, seconds))  # warm up
        json_rate = (await load(fake.port, plain, concurrency=concurrency, duration=seconds)).rate
        stream_rate = (
            await load(fake.port, streamed, concurrency=concurrency, duration=seconds, expect=b"[DONE]")
        ).rate
        return json_rate, stream_rate

    json_rate, stream_rate = asyncio.run(measure())
    print(f"Fake upstream ceiling (raw asyncio client, {concurrency} keep-alive connections, {seconds:g} s each):")
    print(table(["request", "req/s"], [["chat completion", json_rate], ["chat completion, streamed", stream_rate]]))
    print()
    return json_rate
