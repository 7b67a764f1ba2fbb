"""Spans, metrics, usage and cost of real calls through RouteClient (sync and async), exported in memory."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from routeapi import AsyncRouteClient, RouteClient, route_info
from routeapi.telemetry import Telemetry
from routeapi.testing import FakeOpenAI, Fault, Reply

USER = [{"role": "user", "content": "Hi"}]


class Exported:
    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.metrics = InMemoryMetricReader()
        self.telemetry = Telemetry(
            tracer_provider=tracer_provider, meter_provider=MeterProvider(metric_readers=[self.metrics])
        )

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def metric_names(self) -> set[str]:
        data = self.metrics.get_metrics_data()
        assert data is not None
        return {m.name for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}


@pytest.fixture
def exported() -> Exported:
    return Exported()


def client(kind: str, fake: FakeOpenAI, exported: Exported, **sections: Any) -> Any:
    config: dict[str, Any] = {
        "providers": {"openai": {"type": "openai", "base_url": fake.base_url, "api_key": "sk-sentinel-key"}},
        "telemetry": exported.telemetry,
        **sections,
    }
    return AsyncRouteClient(**config) if kind == "async" else RouteClient(**config)


async def call(kind: str, routed: Any, **kwargs: Any) -> Any:
    if kind == "async":
        return await routed.chat.completions.create(**kwargs)
    return routed.chat.completions.create(**kwargs)


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_retry_and_a_fallback_give_one_call_span_and_three_attempt_spans(
    fake_openai: FakeOpenAI, exported: Exported, kind: str
) -> None:
    fake_openai.script("gpt-4o", Fault.status(500, "hiccup"), Fault.status(429, "quota"))
    fake_openai.script("gpt-4o-mini", Reply("served", input_tokens=100, output_tokens=10))
    routed = client(
        kind,
        fake_openai,
        exported,
        models={"chat": {"deployments": ["openai/gpt-4o"], "fallbacks": ["openai/gpt-4o-mini"]}},
        retry={"max_attempts": 2, "initial_backoff": 0.01, "max_backoff": 0.02},
    )
    completion = await call(kind, routed, model="chat", messages=USER, temperature=0, max_tokens=50)

    spans = exported.finished()
    parents = [s for s in spans if s.name == "chat chat"]
    assert len(parents) == 1
    parent = parents[0]
    attempts = sorted((s for s in spans if s is not parent), key=lambda s: s.start_time or 0)
    assert [s.parent.span_id for s in attempts if s.parent] == [parent.context.span_id] * 3
    assert [s.attributes.get("error.type") for s in attempts] == ["ServerError", "RateLimited", None]
    assert [s.attributes["routeapi.attempt.number"] for s in attempts] == [1, 2, 1]
    assert [s.attributes["routeapi.fallback.position"] for s in attempts] == [0, 0, 1]
    attributes = parent.attributes
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.provider.name"] == "openai"
    assert attributes["gen_ai.request.model"] == "chat"
    assert attributes["gen_ai.response.model"] == "gpt-4o-mini"
    assert attributes["gen_ai.request.temperature"] == 0
    assert attributes["gen_ai.request.max_tokens"] == 50
    assert (attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"]) == (100, 10)
    assert attributes["server.address"] == "127.0.0.1"
    info = route_info(completion)
    assert info is not None
    assert attributes["routeapi.request_id"] == info.request_id
    assert attributes["routeapi.retry.count"] == 1
    assert {"gen_ai.client.operation.duration", "gen_ai.client.token.usage"} <= exported.metric_names()
    for span in spans:  # no secret, no content unless opted in
        assert "sk-sentinel-key" not in str(span.attributes)
        assert "gen_ai.input.messages" not in (span.attributes or {})


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_streamed_call_records_time_to_first_token_and_usage(
    fake_openai: FakeOpenAI, exported: Exported, kind: str
) -> None:
    fake_openai.script("gpt-4o", Reply("streamed answer", input_tokens=7, output_tokens=3))
    routed = client(kind, fake_openai, exported)
    stream = await call(
        kind, routed, model="openai/gpt-4o", messages=USER, stream=True, stream_options={"include_usage": True}
    )
    chunks = [c async for c in stream] if kind == "async" else list(stream)

    assert chunks
    (span,) = [s for s in exported.finished() if s.name == "chat openai/gpt-4o"]
    attributes = span.attributes or {}
    assert attributes["gen_ai.response.time_to_first_chunk"] > 0
    assert (attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"]) == (7, 3)
    assert stream.route.usage is not None
    assert stream.route.usage.output_tokens == 3


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_cost_with_cached_and_reasoning_tokens_matches_a_hand_computation(
    fake_openai: FakeOpenAI, exported: Exported, kind: str
) -> None:
    fake_openai.script(
        "gpt-4o",
        Reply("ok", input_tokens=10_000, cache_read_tokens=4_000, output_tokens=2_000, reasoning_tokens=500),
    )
    routed = client(kind, fake_openai, exported)
    completion = await call(kind, routed, model="openai/gpt-4o", messages=USER)

    info = route_info(completion)
    assert info is not None
    # gpt-4o list prices (USD per million): input 2.50, cached input 1.25, output 10.00 (reasoning billed as output)
    expected = (6_000 * 2.50 + 4_000 * 1.25 + 2_000 * 10.00) / 1_000_000
    assert info.cost == pytest.approx(expected, abs=1e-12)
    (span,) = [s for s in exported.finished() if s.name == "chat openai/gpt-4o"]
    assert (span.attributes or {})["routeapi.usage.cost"] == pytest.approx(expected, abs=1e-12)


async def test_an_unpriced_model_has_no_cost(fake_openai: FakeOpenAI, exported: Exported) -> None:
    completion = await call("sync", client("sync", fake_openai, exported), model="openai/unknown-model", messages=USER)
    info = route_info(completion)
    assert info is not None
    assert info.usage is not None
    assert info.cost is None


async def read_all(kind: str, stream: Any) -> list[Any]:
    return [c async for c in stream] if kind == "async" else list(stream)


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_continued_stream_records_the_broken_attempt_as_failed(
    fake_openai: FakeOpenAI, exported: Exported, kind: str
) -> None:
    fake_openai.script("gpt-4o", Fault.cut(after_events=4, then=Reply("abcdefghijklmnop")))
    fake_openai.script("gpt-4o-mini", Reply("a fresh answer"))
    models = {
        "chat": {"deployments": ["openai/gpt-4o"], "fallbacks": ["openai/gpt-4o-mini"], "on_interrupt": "continue"}
    }
    routed = client(kind, fake_openai, exported, models=models, retry={"max_attempts": 1})
    stream = await call(kind, routed, model="chat", messages=USER, stream=True)
    await read_all(kind, stream)

    spans = {s.name: s for s in exported.finished()}
    assert (spans["chat gpt-4o"].attributes or {}).get("error.type") == "StreamInterrupted"
    assert "error.type" not in (spans["chat gpt-4o-mini"].attributes or {})
    parent = spans["chat chat"].attributes or {}
    assert parent["gen_ai.response.model"] == "gpt-4o-mini"
    assert "error.type" not in parent
    assert [a.model for a in stream.route.failed_attempts] == ["gpt-4o"]


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_the_loser_of_a_hedge_is_ended_as_cancelled_and_the_winner_serves(
    fake_openai: FakeOpenAI, exported: Exported, kind: str
) -> None:
    fake_openai.script("gpt-4o", Fault.stall(after_events=1, then=Reply("never")))
    fake_openai.script("gpt-4o-mini", Reply("quick"))
    models = {"chat": {"deployments": ["openai/gpt-4o"], "fallbacks": ["openai/gpt-4o-mini"], "hedge_after": 0.2}}
    routed = client(kind, fake_openai, exported, models=models, retry={"max_attempts": 1})
    stream = await call(kind, routed, model="chat", messages=USER, stream=True)
    await read_all(kind, stream)
    for _ in range(100):  # a sync loser ends on its own thread, a moment after the winner returned
        spans = {s.name: s for s in exported.finished()}
        if "chat gpt-4o" in spans:
            break
        await asyncio.sleep(0.01)

    assert "error.type" not in (spans["chat gpt-4o-mini"].attributes or {})
    cancelled = "routeapi.routing.hedging.HedgeCancelled" if kind == "sync" else "asyncio.exceptions.CancelledError"
    assert (spans["chat gpt-4o"].attributes or {}).get("error.type") == cancelled
    assert (spans["chat chat"].attributes or {})["gen_ai.response.model"] == "gpt-4o-mini"
