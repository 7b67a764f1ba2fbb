"""routeapi.telemetry driven directly, against the OpenTelemetry SDK's in-memory exporter and reader."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, Metric
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NoOpTracerProvider, SpanKind, StatusCode

from routeapi import errors, ir
from routeapi.catalog import pricing
from routeapi.catalog.models import Prices
from routeapi.config import RouteConfig
from routeapi.telemetry import (
    CALLS_LOGGER,
    CallRecord,
    CallTelemetry,
    Telemetry,
    error_type,
    log_call,
    provider_name,
    server_of,
)

SECONDS_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864)
SECRET = "sk-SENTINEL-0123456789abcdef"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def fail_after(self, seconds: float, error: BaseException) -> None:
        self.advance(seconds)
        raise error


@dataclass
class Otel:
    telemetry: Telemetry
    spans: InMemorySpanExporter
    metrics: InMemoryMetricReader
    clock: FakeClock

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def metric(self, name: str) -> Metric:
        data = self.metrics.get_metrics_data()
        assert data is not None
        found = [m for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics if m.name == name]
        assert len(found) == 1, name
        return found[0]


@pytest.fixture
def otel() -> Iterator[Otel]:
    # Providers are local to the test and passed in: the global ones are never set.
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    clock = FakeClock()
    telemetry = Telemetry(tracer_provider=tracer_provider, meter_provider=meter_provider, clock=clock)
    yield Otel(telemetry, exporter, reader, clock)
    tracer_provider.shutdown()
    meter_provider.shutdown()


def attributes(span: ReadableSpan) -> dict[str, Any]:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in (span.attributes or {}).items()}


def sonnet_usage() -> ir.Usage:
    return ir.Usage(
        input_tokens=10_000,
        output_tokens=3_000,
        cache_read_tokens=6_000,
        cache_write_tokens=2_000,
        reasoning_tokens=1_000,
    )


def retried_then_fallback(otel: Otel, **start: Any) -> CallTelemetry:
    """gpt-4o is rate limited, retried and overloaded; the fallback claude-sonnet-4-5 answers."""
    settings = ir.GenerationSettings(temperature=0.0, max_tokens=256, top_p=0.9, stop=["END"], seed=7, n=1)
    call = CallTelemetry.start("chat", "chat-default", settings, "req_42", telemetry=otel.telemetry, **start)
    server = server_of(None, "openai")
    openai_target: dict[str, Any] = {"server_address": server[0], "server_port": server[1]}
    with pytest.raises(errors.RateLimited), call.attempt("openai", "gpt-4o", **openai_target):
        otel.clock.fail_after(0.5, errors.RateLimited("slow down", retry_after=1.0))
    with pytest.raises(errors.Overloaded), call.attempt("openai", "gpt-4o", **openai_target):
        otel.clock.fail_after(0.25, errors.Overloaded("busy"))
    with call.attempt(
        "claude",
        "claude-sonnet-4-5",
        provider_type="anthropic",
        position=1,
        server_address="api.anthropic.com",
        server_port=443,
    ) as attempt:
        otel.clock.advance(1.0)
        usage = sonnet_usage()
        attempt.succeeded(
            response_model="claude-sonnet-4-5-20250929",
            response_id="msg_01",
            finish_reasons=["stop"],
            usage=usage,
            cost=pricing.cost("anthropic", "claude-sonnet-4-5-20250929", usage),
            adaptations=[
                ir.Adaptation("logit_bias", "dropped", "anthropic has no logit_bias"),
                ir.Adaptation("response_format", "adapted", "emulated with a forced tool"),
            ],
        )
    return call


# -- spans ---------------------------------------------------------------------------------------------------------


def test_a_retry_and_a_fallback_make_one_call_span_and_three_attempt_spans(otel: Otel) -> None:
    retried_then_fallback(otel).finish()

    spans = otel.finished()
    parent = next(s for s in spans if s.parent is None)
    children = sorted((s for s in spans if s.parent is not None), key=lambda s: s.start_time or 0)
    assert len(spans) == 4
    assert parent.name == "chat chat-default"
    assert parent.kind is SpanKind.CLIENT
    assert parent.status.status_code is StatusCode.UNSET
    assert attributes(parent) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "chat-default",
        "gen_ai.request.stream": False,
        "routeapi.request_id": "req_42",
        "gen_ai.request.temperature": 0.0,
        "gen_ai.request.max_tokens": 256,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.seed": 7,
        "gen_ai.request.stop_sequences": ["END"],
        "gen_ai.provider.name": "anthropic",
        "routeapi.provider": "claude",
        "server.address": "api.anthropic.com",
        "server.port": 443,
        "routeapi.attempt.count": 3,
        "routeapi.retry.count": 1,
        "routeapi.fallback.position": 1,
        "gen_ai.response.model": "claude-sonnet-4-5-20250929",
        "gen_ai.response.id": "msg_01",
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": 10_000,
        "gen_ai.usage.output_tokens": 3_000,
        "gen_ai.usage.cache_read.input_tokens": 6_000,
        "gen_ai.usage.cache_creation.input_tokens": 2_000,
        "gen_ai.usage.reasoning.output_tokens": 1_000,
        "routeapi.usage.cost": pytest.approx(0.0603, rel=1e-12),
        "routeapi.request.dropped_params": ["logit_bias"],
        "routeapi.request.adapted_params": ["response_format"],
    }

    assert [c.name for c in children] == ["chat gpt-4o", "chat gpt-4o", "chat claude-sonnet-4-5"]
    assert all(c.parent is not None and c.parent.span_id == parent.context.span_id for c in children)
    assert all(c.kind is SpanKind.CLIENT for c in children)
    openai_target = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.provider.name": "openai",
        "routeapi.provider": "openai",
        "routeapi.fallback.position": 0,
        "server.address": "api.openai.com",
        "server.port": 443,
    }
    assert attributes(children[0]) == {**openai_target, "routeapi.attempt.number": 1, "error.type": "RateLimited"}
    assert attributes(children[1]) == {**openai_target, "routeapi.attempt.number": 2, "error.type": "Overloaded"}
    assert [c.status.status_code for c in children] == [StatusCode.ERROR, StatusCode.ERROR, StatusCode.UNSET]
    assert [c.status.description for c in children[:2]] == ["RateLimited", "Overloaded"]
    # Usage and cost live on the call span only, so summing spans never counts the call twice.
    assert attributes(children[2]) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "claude-sonnet-4-5",
        "gen_ai.provider.name": "anthropic",
        "routeapi.provider": "claude",
        "routeapi.fallback.position": 1,
        "routeapi.attempt.number": 1,
        "server.address": "api.anthropic.com",
        "server.port": 443,
        "gen_ai.response.model": "claude-sonnet-4-5-20250929",
        "gen_ai.response.id": "msg_01",
        "gen_ai.response.finish_reasons": ["stop"],
        "routeapi.request.dropped_params": ["logit_bias"],
        "routeapi.request.adapted_params": ["response_format"],
    }


def test_an_attempt_span_is_current_inside_its_block(otel: Otel) -> None:
    from opentelemetry import trace

    call = CallTelemetry.start("chat", "gpt-4o", telemetry=otel.telemetry)
    with call.attempt("openai", "gpt-4o") as attempt:
        inner = otel.telemetry.tracer.start_span("POST /v1/chat/completions")
        inner.end()
        attempt.succeeded()
    assert trace.get_current_span() is trace.INVALID_SPAN
    call.finish()
    spans = otel.finished()
    http = next(s for s in spans if s.name == "POST /v1/chat/completions")
    call_span = next(s for s in spans if s.parent is None)
    attempt_span = next(s for s in spans if s.name == "chat gpt-4o" and s.parent is not None)
    assert http.parent is not None
    assert http.parent.span_id == attempt_span.context.span_id
    assert attempt_span.parent is not None
    assert attempt_span.parent.span_id == call_span.context.span_id


def test_a_failed_call_records_the_error_type_on_the_call_span(otel: Otel) -> None:
    call = CallTelemetry.start("chat", "gpt-4o", telemetry=otel.telemetry)
    attempt_error = errors.ServerError("boom")
    with pytest.raises(errors.ServerError), call.attempt("openai", "gpt-4o"):
        raise attempt_error
    call.fail(errors.AllAttemptsFailed("all failed", attempts=[errors.Attempt("openai", "gpt-4o", attempt_error)]))
    call.finish()  # ignored: the call already ended

    spans = otel.finished()
    parent = next(s for s in spans if s.parent is None)
    assert len(spans) == 2
    assert parent.status.status_code is StatusCode.ERROR
    assert parent.status.description == "AllAttemptsFailed"
    assert attributes(parent)["error.type"] == "AllAttemptsFailed"
    assert attributes(parent)["routeapi.attempt.count"] == 1
    assert "gen_ai.usage.input_tokens" not in attributes(parent)


def test_a_streamed_call_records_time_to_first_chunk_and_usage(otel: Otel) -> None:
    call = CallTelemetry.start("chat", "gpt-4o-mini", {"stream": True}, "req_s", stream=True, telemetry=otel.telemetry)
    otel.clock.advance(0.125)
    with call.attempt("openai", "gpt-4o-mini") as attempt:
        otel.clock.advance(0.25)
        attempt.first_token()  # the stream is open: the attempt stays open until the stream ends
    assert otel.finished() == []
    otel.clock.advance(2.0)
    usage = ir.Usage(input_tokens=1_200, output_tokens=300, cache_read_tokens=1_024)
    call.finish(
        response_model="gpt-4o-mini-2024-07-18",
        response_id="chatcmpl-9",
        finish_reasons=["length"],
        usage=usage,
        cost=pricing.cost("openai", "gpt-4o-mini-2024-07-18", usage),
    )

    spans = otel.finished()
    parent = next(s for s in spans if s.parent is None)
    child = next(s for s in spans if s.parent is not None)
    assert attributes(parent)["gen_ai.request.stream"] is True
    assert attributes(parent)["gen_ai.response.time_to_first_chunk"] == pytest.approx(0.375)
    assert attributes(child)["gen_ai.response.time_to_first_chunk"] == pytest.approx(0.25)
    assert attributes(parent)["gen_ai.usage.input_tokens"] == 1_200
    assert attributes(parent)["gen_ai.usage.output_tokens"] == 300
    assert attributes(parent)["gen_ai.usage.cache_read.input_tokens"] == 1_024
    # (176 * 0.15 + 1024 * 0.075 + 300 * 0.60) / 1e6
    assert attributes(parent)["routeapi.usage.cost"] == pytest.approx(0.0002832, rel=1e-12)
    assert attributes(child)["gen_ai.response.finish_reasons"] == ["length"]
    assert child.end_time is not None
    assert parent.end_time is not None
    assert child.end_time <= parent.end_time

    ttft = otel.metric("gen_ai.client.operation.time_to_first_chunk")
    assert ttft.unit == "s"
    (point,) = ttft.data.data_points
    assert (point.count, point.sum) == (1, pytest.approx(0.375))


def test_a_stream_broken_after_content_fails_its_open_attempt(otel: Otel) -> None:
    call = CallTelemetry.start("chat", "gpt-4o", stream=True, telemetry=otel.telemetry)
    with call.attempt("openai", "gpt-4o") as attempt:
        attempt.first_token()
    call.fail(errors.StreamInterrupted("cut"))
    child = next(s for s in otel.finished() if s.parent is not None)
    assert attributes(child)["error.type"] == "StreamInterrupted"
    assert child.status.status_code is StatusCode.ERROR


def test_request_parameters_from_a_wire_body(otel: Otel) -> None:
    body = {"model": "x", "max_completion_tokens": 50, "stop": "END", "temperature": 1, "n": 2, "top_k": True}
    CallTelemetry.start("chat", "x", body, telemetry=otel.telemetry).finish()
    (span,) = otel.finished()
    params = {
        k: v for k, v in attributes(span).items() if k.startswith("gen_ai.request.") and k != "gen_ai.request.model"
    }
    assert params == {
        "gen_ai.request.stream": False,
        "gen_ai.request.max_tokens": 50,
        "gen_ai.request.stop_sequences": ["END"],
        "gen_ai.request.temperature": 1,
        "gen_ai.request.choice.count": 2,
    }


def test_an_embeddings_call_is_named_for_its_operation(otel: Otel) -> None:
    call = CallTelemetry.start("embeddings", "text-embedding-3-small", {"dimensions": 256}, telemetry=otel.telemetry)
    with call.attempt("openai", "text-embedding-3-small") as attempt:
        attempt.succeeded(usage=ir.Usage(input_tokens=12))
    call.finish()
    parent = next(s for s in otel.finished() if s.parent is None)
    assert parent.name == "embeddings text-embedding-3-small"
    assert attributes(parent)["gen_ai.embeddings.dimension.count"] == 256
    points = otel.metric("gen_ai.client.token.usage").data.data_points
    assert [(dict(p.attributes)["gen_ai.token.type"], p.sum) for p in points] == [("input", 12)]


# -- content capture -------------------------------------------------------------------------------------------------

MESSAGES = [
    ir.Message("system", [ir.TextPart("Be brief.")]),
    ir.Message("user", [ir.TextPart("Weather in Paris?"), ir.ImagePart(data=b"\x89PNG", media_type="image/png")]),
    ir.Message("assistant", [ir.ToolCallPart("call_1", "weather", '{"city": "Paris"}')]),
    ir.Message("tool", [ir.ToolResultPart("call_1", [ir.TextPart("rainy")])]),
]
CONTENT_KEYS = {"gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions"}


def content_call(otel: Otel, capture_content: bool | None) -> dict[str, Any]:
    call = CallTelemetry.start("chat", "gpt-4o", capture_content=capture_content, telemetry=otel.telemetry)
    call.record_input(MESSAGES)
    call.finish(finish_reasons=["stop"], output_messages=[ir.Message("assistant", [ir.TextPart("Rainy.")])])
    (span,) = otel.finished()
    return attributes(span)


def test_message_content_is_not_recorded_by_default(otel: Otel) -> None:
    assert CONTENT_KEYS.isdisjoint(content_call(otel, None))


def test_message_content_is_recorded_when_opted_in(otel: Otel) -> None:
    recorded = content_call(otel, True)
    assert json.loads(recorded["gen_ai.system_instructions"]) == [{"type": "text", "content": "Be brief."}]
    assert json.loads(recorded["gen_ai.input.messages"]) == [
        {
            "role": "user",
            "parts": [
                {"type": "text", "content": "Weather in Paris?"},
                {"type": "blob", "modality": "image", "mime_type": "image/png"},  # the bytes are never copied
            ],
        },
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "call_1", "name": "weather", "arguments": {"city": "Paris"}}],
        },
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1", "response": "rainy"}]},
    ]
    assert json.loads(recorded["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "Rainy."}], "finish_reason": "stop"}
    ]


def test_the_environment_variable_opts_in(otel: Otel, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    assert Telemetry().capture_content is True
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "false")
    assert Telemetry().capture_content is False


# -- metrics -----------------------------------------------------------------------------------------------------


def test_metrics_have_the_semantic_convention_names_units_and_buckets(otel: Otel) -> None:
    retried_then_fallback(otel).finish()
    call_attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "chat-default",
        "gen_ai.provider.name": "anthropic",
        "gen_ai.response.model": "claude-sonnet-4-5-20250929",
        "server.address": "api.anthropic.com",
        "server.port": 443,
    }

    duration = otel.metric("gen_ai.client.operation.duration")
    assert duration.unit == "s"
    (point,) = duration.data.data_points
    assert dict(point.attributes) == call_attributes
    assert (point.count, point.sum) == (1, pytest.approx(1.75))
    assert tuple(point.explicit_bounds) == SECONDS_BUCKETS

    tokens = otel.metric("gen_ai.client.token.usage")
    assert tokens.unit == "{token}"
    by_type = {dict(p.attributes)["gen_ai.token.type"]: p for p in tokens.data.data_points}
    assert {t: p.sum for t, p in by_type.items()} == {"input": 10_000, "output": 3_000}
    assert tuple(by_type["input"].explicit_bounds) == TOKEN_BUCKETS

    attempts = otel.metric("routeapi.client.attempts")
    assert attempts.unit == "{attempt}"
    outcomes = {
        (a["gen_ai.request.model"], a["routeapi.attempt.outcome"], a.get("error.type")): p.value
        for p in attempts.data.data_points
        for a in [dict(p.attributes or {})]
    }
    assert outcomes == {
        ("gpt-4o", "failure", "RateLimited"): 1,
        ("gpt-4o", "failure", "Overloaded"): 1,
        ("claude-sonnet-4-5", "success", None): 1,
    }
    # Time to first chunk is for streams only.
    data = otel.metrics.get_metrics_data()
    assert data is not None
    names = {m.name for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}
    assert "gen_ai.client.operation.time_to_first_chunk" not in names


def test_a_failed_call_duration_carries_its_error_type(otel: Otel) -> None:
    call = CallTelemetry.start("chat", "gpt-4o", telemetry=otel.telemetry)
    otel.clock.advance(0.5)
    call.fail(errors.Timeout("slow"))
    (point,) = otel.metric("gen_ai.client.operation.duration").data.data_points
    assert dict(point.attributes) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o",
        "error.type": "Timeout",
    }


# -- logging ---------------------------------------------------------------------------------------------------------

RECORD_FIELDS = (
    "request_id",
    "operation",
    "requested_model",
    "provider",
    "model",
    "status",
    "error_type",
    "latency_ms",
    "ttft_ms",
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "cost_usd",
    "attempts",
    "stream",
)


def calls_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == CALLS_LOGGER]


def test_one_structured_record_per_call(otel: Otel, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=CALLS_LOGGER)
    retried_then_fallback(otel).finish()

    (record,) = calls_records(caplog)
    assert record.levelno == logging.INFO
    assert {name: getattr(record, name) for name in RECORD_FIELDS} == {
        "request_id": "req_42",
        "operation": "chat",
        "requested_model": "chat-default",
        "provider": "claude",
        "model": "claude-sonnet-4-5-20250929",
        "status": "ok",
        "error_type": None,
        "latency_ms": 1750.0,
        "ttft_ms": None,
        "input_tokens": 10_000,
        "output_tokens": 3_000,
        "cached_tokens": 6_000,
        "cache_write_tokens": 2_000,
        "reasoning_tokens": 1_000,
        "cost_usd": pytest.approx(0.0603, rel=1e-12),
        "attempts": 3,
        "stream": False,
    }
    assert (
        record.getMessage()
        == "req_42 chat chat-default -> claude/claude-sonnet-4-5-20250929: ok in 1750 ms, 3 attempt(s)"
    )


def test_no_secret_reaches_logs_or_spans(otel: Otel, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    config = RouteConfig.model_validate({"providers": {"openai": {"type": "openai", "api_key": SECRET}}})
    provider = config.providers["openai"]
    # A wire body and an upstream error that both carry the key, as a careless caller or a vendor might.
    body = {
        "model": "gpt-4o",
        "user": SECRET,
        "metadata": {"api_key": SECRET},
        "extra_headers": {"Authorization": f"Bearer {SECRET}"},
    }
    call = CallTelemetry.start("chat", "gpt-4o", body, "req_1", telemetry=otel.telemetry)
    address, port = server_of(provider.base_url, provider.type)
    with (
        pytest.raises(errors.AuthenticationError),
        call.attempt("openai", "gpt-4o", server_address=address, server_port=port),
    ):
        raise errors.AuthenticationError(
            f"Incorrect API key provided: {SECRET}", status_code=401, headers={"x-key": SECRET}
        )
    call.fail(errors.AuthenticationError(f"Incorrect API key provided: {SECRET}", status_code=401))

    (record,) = calls_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.error_type == "AuthenticationError"
    assert SECRET not in caplog.text
    assert all(SECRET not in repr(vars(r)) for r in caplog.records)
    for span in otel.finished():
        assert SECRET not in repr(attributes(span)) + repr(span.status.description) + repr(span.events)


def test_log_call_emits_exactly_the_record_fields(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=CALLS_LOGGER)
    record = CallRecord("req_9", "chat", "m", "p", "m-1", "ok", None, 12.5, 3.0, 1, 2, 0, 0, 0, None, 1, True)
    log_call(record)
    (logged,) = calls_records(caplog)
    assert {name: getattr(logged, name) for name in RECORD_FIELDS} == record.fields()
    assert tuple(record.fields()) == RECORD_FIELDS


def test_a_disabled_logger_builds_no_record(otel: Otel, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger=CALLS_LOGGER)
    CallTelemetry.start("chat", "gpt-4o", telemetry=otel.telemetry).finish()
    assert calls_records(caplog) == []


# -- without an SDK ------------------------------------------------------------------------------------------------


def test_without_an_sdk_nothing_is_recorded_and_nothing_fails() -> None:
    telemetry = Telemetry(tracer_provider=NoOpTracerProvider())
    call = CallTelemetry.start("chat", "gpt-4o", ir.GenerationSettings(temperature=1.0), "r", True, telemetry=telemetry)
    call.record_input(MESSAGES)
    with call.attempt("openai", "gpt-4o") as attempt:
        attempt.first_token()
        attempt.succeeded(usage=ir.Usage(1, 1))
    call.finish(output_messages=[ir.Message("assistant", [ir.TextPart("hi")])])
    assert not call._span.is_recording()
    assert not attempt._span.is_recording()


def test_importing_routeapi_loads_no_opentelemetry_sdk() -> None:
    code = (
        "import sys, routeapi, routeapi.telemetry, routeapi.catalog.pricing\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry.sdk')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# -- helpers ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider_type", "vertexai", "expected"),
    [
        ("openai", False, "openai"),
        ("azure_openai", False, "azure.ai.openai"),
        ("anthropic", False, "anthropic"),
        ("gemini", False, "gcp.gemini"),
        ("gemini", True, "gcp.vertex_ai"),
        ("bedrock", False, "aws.bedrock"),
        ("mistral", False, "mistral_ai"),
        ("xai", False, "x_ai"),
        ("ollama", False, "ollama"),
    ],
)
def test_provider_names_follow_the_semantic_conventions(provider_type: str, vertexai: bool, expected: str) -> None:
    assert provider_name(provider_type, vertexai=vertexai) == expected


@pytest.mark.parametrize(
    ("url", "provider_type", "expected"),
    [
        ("http://127.0.0.1:8080/v1", "openai", ("127.0.0.1", 8080)),
        ("https://api.deepseek.com/v1", "deepseek", ("api.deepseek.com", 443)),
        ("http://localhost/v1", "ollama", ("localhost", 80)),
        (None, "anthropic", ("api.anthropic.com", 443)),
        (None, "bedrock", (None, None)),
        ("http://host:notaport", "openai", (None, None)),
    ],
)
def test_server_address_and_port(url: str | None, provider_type: str, expected: tuple[str | None, int | None]) -> None:
    assert server_of(url, provider_type) == expected


def test_error_types() -> None:
    assert error_type(errors.RateLimited("x")) == "RateLimited"
    assert error_type(errors.ConnectionError("x")) == "ConnectionError"
    assert error_type(ValueError("x")) == "ValueError"
    assert error_type(json.JSONDecodeError("x", "", 0)) == "json.decoder.JSONDecodeError"


# -- cost ------------------------------------------------------------------------------------------------------------


def test_cost_with_cached_and_reasoning_tokens_matches_a_hand_computation() -> None:
    # claude-sonnet-4-5: $3 input, $0.30 cache read, $3.75 cache write, $15 output (reasoning billed as output).
    # uncached 10000 - 6000 - 2000 = 2000 -> 2000*3 + 6000*0.3 + 2000*3.75 + (3000-1000)*15 + 1000*15 = 60300
    assert pricing.cost("anthropic", "claude-sonnet-4-5", sonnet_usage()) == pytest.approx(0.0603, rel=1e-12)
    # o4-mini: $1.10 input, $0.275 cached, $4.40 output. 1000*1.1 + 4000*0.275 + 500*4.4 + 1500*4.4 = 11000
    usage = ir.Usage(input_tokens=5_000, output_tokens=2_000, cache_read_tokens=4_000, reasoning_tokens=1_500)
    assert pricing.cost("openai", "o4-mini", usage) == pytest.approx(0.011, rel=1e-12)


def test_reasoning_tokens_billed_at_their_own_price_when_the_model_has_one() -> None:
    prices = Prices(input=1.0, cached_input=0.5, cache_write=2.0, output=4.0, reasoning=8.0)
    usage = ir.Usage(
        input_tokens=1_000, output_tokens=600, cache_read_tokens=200, cache_write_tokens=100, reasoning_tokens=400
    )
    # 700*1 + 200*0.5 + 100*2 + 200*4 + 400*8 = 5000
    assert pricing.cost_at(prices, usage) == pytest.approx(0.005, rel=1e-12)


@pytest.mark.parametrize(
    ("family", "model", "expected"),
    [
        ("openai", "gpt-4o-2024-08-06", 2.5 * 1_000 / 1e6 + 10 * 100 / 1e6),  # a snapshot bills like its model
        ("openai", "gpt-4o-2024-05-13", 5 * 1_000 / 1e6 + 15 * 100 / 1e6),  # except the one priced apart
        ("gemini", "gemini-2.0-flash-001", 0.1 * 1_000 / 1e6 + 0.4 * 100 / 1e6),
        ("openai", "gpt-4.1-nano", None),  # a variant is another model, not a price guess
        ("gemini", "gemini-2.5-flash-lite", None),
        ("openai", "gpt-5-unknown", None),
        ("mistral", "mistral-large", None),
    ],
)
def test_unknown_models_cost_nothing_rather_than_a_guess(family: str, model: str, expected: float | None) -> None:
    cost = pricing.cost(family, model, ir.Usage(input_tokens=1_000, output_tokens=100))
    assert cost == (pytest.approx(expected, rel=1e-12) if expected is not None else None)


def test_no_cost_beyond_the_priced_input_range_or_for_inconsistent_usage() -> None:
    long_prompt = ir.Usage(input_tokens=250_000, output_tokens=10)
    assert pricing.cost("gemini", "gemini-2.5-pro", long_prompt) is None
    assert pricing.cost("gemini", "gemini-2.5-pro", ir.Usage(input_tokens=200_000)) == pytest.approx(0.25, rel=1e-12)
    assert pricing.cost("openai", "gpt-4o", ir.Usage(input_tokens=10, cache_read_tokens=20)) is None
    assert pricing.cost("openai", "gpt-4o", ir.Usage(output_tokens=10, reasoning_tokens=20)) is None


def test_only_vendors_list_prices_are_used() -> None:
    assert [pricing.family_of(t) for t in ("openai", "anthropic", "gemini", "azure_openai", "bedrock", "groq")] == [
        "openai",
        "anthropic",
        "gemini",
        None,
        None,
        None,
    ]


def test_the_catalog_names_its_price_source_and_date() -> None:
    from importlib import resources

    raw = json.loads(resources.files("routeapi.catalog").joinpath("models.json").read_text(encoding="utf-8"))
    assert raw["prices_as_of"] == "2026-11-25"
    assert set(raw["prices_source"]) == {"openai", "anthropic", "gemini"}
    assert all("prices" in entry for entry in raw["models"].values())
