"""A mixed load for usage-record tests: successes, upstream failures, cut streams, client disconnects and invalid
bodies, in every protocol, each request tagged with its own X-Request-ID so its record can be checked."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx2

from routeapi.server.store import UsageRecord
from routeapi.testing import FakeUpstream, Fault, Reply

from .stored import PRICED, chat, headers

ANSWER = Reply(
    "a streamed answer long enough to cut", input_tokens=11, output_tokens=7, cache_read_tokens=3, reasoning_tokens=2
)
KINDS = ("ok", "stream_ok", "upstream_failure", "cut_stream", "disconnect", "invalid")


def script(openai_fake: FakeUpstream) -> None:
    openai_fake.script(PRICED, ANSWER)
    openai_fake.script("failing", Fault.status(500, "upstream trouble"))
    openai_fake.script("cutting", Fault.cut(after_events=3, then=ANSWER))
    openai_fake.script("stalling", Fault.stall(after_events=3, then=ANSWER))


def kind_of(index: int) -> str:
    return KINDS[index % len(KINDS)]


@dataclass(frozen=True)
class Sent:
    request_id: str
    kind: str
    status: int | None
    """What the client saw; None when it left before the end."""


async def one(client: httpx2.AsyncClient, token: str, index: int) -> Sent:
    kind = kind_of(index)
    request_id = f"load-{kind}-{index}"
    dialect = ("openai", "anthropic", "gemini")[(index // len(KINDS)) % 3]  # every kind in every protocol
    model = {"upstream_failure": "openai/failing", "cut_stream": "openai/cutting", "disconnect": "openai/stalling"}
    stream = kind in ("stream_ok", "cut_stream", "disconnect")
    path, body = chat(dialect, model.get(kind, "priced"), stream=stream)
    if kind == "invalid":
        path, body = chat("openai", "priced")
        body = {"model": "priced", "messages": "not a list"}
    sent_headers = headers(dialect if kind != "invalid" else "openai", token) | {"x-request-id": request_id}
    async with client.stream("POST", path, json=body, headers=sent_headers) as response:
        if kind == "disconnect":
            async for _ in response.aiter_bytes():
                break  # the first bytes arrived: leave
            return Sent(request_id, kind, None)
        await response.aread()
        return Sent(request_id, kind, response.status_code)


async def run_load(base_url: str, token: str, count: int, concurrency: int = 16) -> list[Sent]:
    limits = httpx2.Limits(max_connections=concurrency)
    async with httpx2.AsyncClient(base_url=base_url, timeout=20, limits=limits) as client:
        gate = asyncio.Semaphore(concurrency)

        async def bounded(index: int) -> Sent:
            async with gate:
                return await one(client, token, index)

        return list(await asyncio.gather(*(bounded(i) for i in range(count))))


EXPECTED_STATUS = {
    "ok": 200,
    "stream_ok": 200,
    "upstream_failure": 502,
    "cut_stream": 200,
    "disconnect": 499,
    "invalid": 400,
}
EXPECTED_ERROR = {
    "ok": None,
    "stream_ok": None,
    "upstream_failure": "upstream",
    "cut_stream": "upstream",
    "disconnect": "client_disconnected",
    "invalid": "invalid_request",
}


def check_records(records: list[UsageRecord], sent: list[Sent], token_name: str) -> None:
    """Exactly one record per request, with the fields each kind of request must have."""
    by_id = {r.request_id: r for r in records}
    assert len(by_id) == len(records) == len(sent)
    assert Counter(kind_of(int(r.request_id.rsplit("-", 1)[1])) for r in records) == Counter(s.kind for s in sent)
    for request in sent:
        record = by_id[request.request_id]
        kind = request.kind
        assert (record.request_id, record.token) == (request.request_id, token_name)
        assert record.status == EXPECTED_STATUS[kind], record
        assert record.error_type == EXPECTED_ERROR[kind], record
        if request.status is not None:
            assert request.status == record.status
        assert record.latency_ms > 0
        assert record.day == time.strftime("%Y-%m-%d", time.gmtime(record.started_at))
        _check_kind(record, kind)


def _check_kind(record: UsageRecord, kind: str) -> None:
    expected: dict[str, Any]
    if kind in ("ok", "stream_ok"):
        expected = {
            "provider": "openai",
            "served_model": PRICED,
            "requested_model": "priced",
            "attempts": 1,
            "input_tokens": 11,
            "output_tokens": 7,
            "cached_tokens": 3,
            "reasoning_tokens": 2,
            "streamed": kind == "stream_ok",
        }
        assert record.cost_usd is not None
        assert abs(record.cost_usd - 5.625e-06) < 1e-12
    elif kind == "invalid":
        expected = {"provider": None, "served_model": None, "attempts": 0, "input_tokens": None, "cost_usd": None}
    else:
        model = {"upstream_failure": "failing", "cut_stream": "cutting", "disconnect": "stalling"}[kind]
        expected = {"provider": "openai", "served_model": model, "attempts": 1, "streamed": kind != "upstream_failure"}
    actual = {name: getattr(record, name) for name in expected}
    assert actual == expected, (kind, record)
    if record.streamed and kind != "disconnect":
        assert record.ttft_ms is not None
        assert 0 < record.ttft_ms <= record.latency_ms
    if not record.streamed:
        assert record.ttft_ms is None
