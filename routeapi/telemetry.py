"""Spans, metrics and the one log record of every routeapi call.

Built on ``opentelemetry-api`` alone: until the application installs an OpenTelemetry SDK every span is the no-op
span and every instrument a no-op, so a call costs a few flag checks. Names follow the OpenTelemetry GenAI semantic
conventions (``gen_ai.*``); what they do not cover is under ``routeapi.*``. ``docs/telemetry.md`` lists them all.

One call, retries and fallbacks included::

    call = CallTelemetry.start("chat", "chat-default", request.settings, request_id)
    with call.attempt("openai", "gpt-4o", position=0) as attempt:  # once per try, each a child span
        ...
        attempt.succeeded(response_model="gpt-4o-2024-08-06", usage=usage, cost=cost)
    call.finish()  # or call.fail(error); a stream finishes when it ends

Message content is recorded only when asked for (``capture_content``): prompts hold personal data and secrets.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from contextvars import Token
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Union, cast
from urllib.parse import urlsplit

from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, StatusCode
from opentelemetry.util.types import AttributeValue

from . import __version__, ir
from .errors import RouteError

__all__ = [
    "CALLS_LOGGER",
    "CallRecord",
    "CallTelemetry",
    "AttemptTelemetry",
    "Telemetry",
    "default_telemetry",
    "error_type",
    "log_call",
    "provider_name",
    "server_of",
]

CALLS_LOGGER = "routeapi.calls"
CAPTURE_CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
_SCOPE = "routeapi"

# Bucket boundaries the GenAI semantic conventions advise for these histograms.
_SECONDS_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
_TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864)

# gen_ai.provider.name for each provider type, where the conventions define one; other types are their own name.
_PROVIDER_NAMES = {
    "openai": "openai",
    "azure_openai": "azure.ai.openai",
    "anthropic": "anthropic",
    "gemini": "gcp.gemini",
    "bedrock": "aws.bedrock",
    "deepseek": "deepseek",
    "groq": "groq",
    "mistral": "mistral_ai",
    "xai": "x_ai",
}
_DEFAULT_HOSTS = {
    "openai": "api.openai.com",
    "anthropic": "api.anthropic.com",
    "gemini": "generativelanguage.googleapis.com",
}

# Request parameters recorded on the call span: IR setting (or wire key) -> attribute.
_PARAM_ATTRIBUTES = {
    "max_tokens": "gen_ai.request.max_tokens",
    "temperature": "gen_ai.request.temperature",
    "top_p": "gen_ai.request.top_p",
    "top_k": "gen_ai.request.top_k",
    "frequency_penalty": "gen_ai.request.frequency_penalty",
    "presence_penalty": "gen_ai.request.presence_penalty",
    "seed": "gen_ai.request.seed",
    "stop": "gen_ai.request.stop_sequences",
    "n": "gen_ai.request.choice.count",
    "dimensions": "gen_ai.embeddings.dimension.count",
}
_PARAM_ALIASES = {
    "max_completion_tokens": "max_tokens",
    "max_output_tokens": "max_tokens",
    "maxOutputTokens": "max_tokens",
    "stop_sequences": "stop",
    "stopSequences": "stop",
    "topP": "top_p",
    "topK": "top_k",
    "candidateCount": "n",
}

RequestParams = Union[ir.GenerationSettings, Mapping[str, Any]]
"""The IR settings, or a flat wire body (OpenAI/Anthropic key names) when the request was not decoded."""


def provider_name(provider_type: str, *, vertexai: bool = False) -> str:
    """``gen_ai.provider.name`` for a provider type (``azure_openai`` -> ``azure.ai.openai``...)."""
    if provider_type == "gemini" and vertexai:
        return "gcp.vertex_ai"
    return _PROVIDER_NAMES.get(provider_type, provider_type)


def server_of(url: str | None, provider_type: str = "") -> tuple[str | None, int | None]:
    """``server.address`` and ``server.port`` of a provider's base URL, or of the vendor's default endpoint."""
    if not url:
        host = _DEFAULT_HOSTS.get(provider_type)
        return (host, 443) if host else (None, None)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None, None
    if parts.hostname is None:
        return None, None
    return parts.hostname, port or {"https": 443, "http": 80}.get(parts.scheme)


def error_type(error: BaseException) -> str:
    """``error.type``: a routeapi error's class name (``RateLimited``), else the exception's qualified name."""
    cls = type(error)
    if isinstance(error, RouteError) or cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


class Telemetry:
    """Where spans, metrics and log records go, and whether message content is recorded.

    The default (:func:`default_telemetry`) uses the global providers, which are no-ops until the application
    configures an SDK. Tests and applications with their own providers pass them here.
    """

    def __init__(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
        capture_content: bool | None = None,
        logger: logging.Logger | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.clock = clock
        """Seconds from an arbitrary origin, for durations and time to first token."""
        self.tracer = trace.get_tracer(_SCOPE, __version__, tracer_provider=tracer_provider)
        if capture_content is None:
            capture_content = os.environ.get(CAPTURE_CONTENT_ENV, "").strip().lower() in ("1", "true")
        self.capture_content = capture_content
        self.logger = logger or logging.getLogger(CALLS_LOGGER)
        meter = metrics.get_meter(_SCOPE, __version__, meter_provider=meter_provider)
        self.operation_duration = meter.create_histogram(
            "gen_ai.client.operation.duration",
            unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=_SECONDS_BUCKETS,
        )
        self.token_usage = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=_TOKEN_BUCKETS,
        )
        self.time_to_first_chunk = meter.create_histogram(
            "gen_ai.client.operation.time_to_first_chunk",
            unit="s",
            description="Time to receive the first chunk of a streamed response.",
            explicit_bucket_boundaries_advisory=_SECONDS_BUCKETS,
        )
        self.attempts = meter.create_counter(
            "routeapi.client.attempts",
            unit="{attempt}",
            description="Upstream attempts (retries and fallbacks included), by outcome.",
        )


_default: Telemetry | None = None


def default_telemetry() -> Telemetry:
    """The process-wide :class:`Telemetry` over the global providers, built on first use."""
    global _default
    if _default is None:
        _default = Telemetry()
    return _default


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What a successful attempt answered."""

    response_model: str | None = None
    response_id: str | None = None
    finish_reasons: tuple[str, ...] = ()
    usage: ir.Usage | None = None
    cost: float | None = None
    adaptations: tuple[ir.Adaptation, ...] = ()


class CallTelemetry:
    """One call: its span (``{operation} {model}``), metrics and log record. Not shared between calls."""

    __slots__ = (
        "_attempts",
        "_ended",
        "_recording",
        "_span",
        "_started",
        "_telemetry",
        "_ttft",
        "capture_content",
        "operation",
        "request_id",
        "request_model",
        "stream",
    )

    def __init__(
        self,
        telemetry: Telemetry,
        span: Span,
        operation: str,
        request_model: str,
        request_id: str,
        *,
        stream: bool,
        capture_content: bool,
    ) -> None:
        self._telemetry = telemetry
        self._span = span
        self._recording = span.is_recording()
        self._started = telemetry.clock()
        self._ttft: float | None = None
        self._attempts: list[AttemptTelemetry] = []
        self._ended = False
        self.operation = operation
        self.request_model = request_model
        self.request_id = request_id
        self.stream = stream
        self.capture_content = capture_content

    @classmethod
    def start(
        cls,
        operation: str,
        request_model: str,
        request_params: RequestParams | None = None,
        request_id: str = "",
        capture_content: bool | None = None,
        *,
        stream: bool = False,
        telemetry: Telemetry | None = None,
    ) -> CallTelemetry:
        """Open the call span (a child of the current span). ``operation``: ``chat``, ``embeddings``..."""
        telemetry = telemetry or default_telemetry()
        span = telemetry.tracer.start_span(f"{operation} {request_model}", kind=SpanKind.CLIENT)
        if capture_content is None:
            capture_content = telemetry.capture_content
        call = cls(
            telemetry, span, operation, request_model, request_id, stream=stream, capture_content=capture_content
        )
        if call._recording:
            attributes: dict[str, AttributeValue] = {
                "gen_ai.operation.name": operation,
                "gen_ai.request.model": request_model,
                "gen_ai.request.stream": stream,
                "routeapi.request_id": request_id,
            }
            if request_params is not None:
                attributes.update(_param_attributes(request_params))
            span.set_attributes(attributes)
        return call

    # -- attempts ----------------------------------------------------------------------------------------------
    def attempt(
        self,
        provider: str,
        model: str,
        *,
        provider_type: str | None = None,
        position: int = 0,
        number: int | None = None,
        server_address: str | None = None,
        server_port: int | None = None,
    ) -> AttemptTelemetry:
        """Start one try at ``provider`` (the configured name) / ``model`` (the upstream model).

        ``position``: place in the fallback chain (0: the requested model). ``number``: the try's number at that
        target, counted here when not given (1 for the first try, 2 for the first retry...).
        ``provider_type`` (``openai``, ``azure_openai``...) picks ``gen_ai.provider.name``; default ``provider``.
        """
        if number is None:
            number = 1 + sum(1 for a in self._attempts if a.target == (provider, model, position))
        attempt = AttemptTelemetry(
            self,
            provider,
            provider_name(provider_type or provider),
            model,
            position,
            number,
            server_address,
            server_port,
        )
        self._attempts.append(attempt)
        return attempt

    def first_token(self) -> None:
        """The first content reached the caller (streams); later calls are ignored."""
        if self._ttft is None:
            self._ttft = self._telemetry.clock() - self._started

    # -- content (opt-in) -----------------------------------------------------------------------------------------
    def record_input(self, messages: Sequence[ir.Message]) -> None:
        """Record the prompt as ``gen_ai.input.messages`` and ``gen_ai.system_instructions``, if opted in."""
        if not (self._recording and self.capture_content):
            return
        system = [m for m in messages if m.role in ("system", "developer")]
        others = [m for m in messages if m.role not in ("system", "developer")]
        attributes = {"gen_ai.input.messages": json.dumps([_message_json(m) for m in others])}
        if system:
            attributes["gen_ai.system_instructions"] = json.dumps([_part_json(p) for m in system for p in m.parts])
        self._span.set_attributes(attributes)

    # -- the end: exactly one of finish / fail ----------------------------------------------------------------
    def finish(
        self,
        *,
        response_model: str | None = None,
        response_id: str | None = None,
        finish_reasons: Sequence[str] | None = None,
        usage: ir.Usage | None = None,
        cost: float | None = None,
        adaptations: Sequence[ir.Adaptation] | None = None,
        output_messages: Sequence[ir.Message] | None = None,
    ) -> None:
        """The call succeeded. Details not given are taken from the attempt that served it; an attempt still open
        (a stream's) ends now as that success."""
        if self._ended:
            return
        self._ended = True
        served = next((a for a in reversed(self._attempts) if a.error is None), None)
        if served is not None and served.open:
            served.succeeded(response_model, response_id, finish_reasons or (), usage, cost, adaptations or ())
        base = served.outcome if served is not None and served.outcome is not None else _Outcome()
        outcome = _Outcome(
            response_model or base.response_model,
            response_id or base.response_id,
            tuple(finish_reasons) if finish_reasons is not None else base.finish_reasons,
            usage if usage is not None else base.usage,
            cost if cost is not None else base.cost,
            tuple(adaptations) if adaptations is not None else base.adaptations,
        )
        latency = self._telemetry.clock() - self._started
        if self._recording:
            attributes = self._served_attributes(served)
            attributes.update(_outcome_attributes(outcome))
            if self._ttft is not None:
                attributes["gen_ai.response.time_to_first_chunk"] = self._ttft
            if output_messages is not None and self.capture_content:
                attributes["gen_ai.output.messages"] = json.dumps(
                    [_message_json(m, reason) for m, reason in _with_reasons(output_messages, outcome)]
                )
            self._span.set_attributes(attributes)
            self._span.end()
        self._record_metrics(served, outcome, latency, None)
        if self._telemetry.logger.isEnabledFor(logging.INFO):
            log_call(self._record(served, outcome, latency, None), self._telemetry.logger)

    def fail(self, error: BaseException) -> None:
        """The call failed with ``error`` (every attempt failed, or a stream broke after content)."""
        if self._ended:
            return
        self._ended = True
        for attempt in self._attempts:
            if attempt.open:
                attempt.failed(error)
        last = self._attempts[-1] if self._attempts else None
        latency = self._telemetry.clock() - self._started
        kind = error_type(error)
        if self._recording:
            attributes = self._served_attributes(last)
            attributes["error.type"] = kind
            self._span.set_attributes(attributes)
            # The description is the type only: upstream messages can echo keys and prompt text.
            self._span.set_status(StatusCode.ERROR, kind)
            self._span.end()
        self._record_metrics(last, None, latency, kind)
        if self._telemetry.logger.isEnabledFor(logging.WARNING):
            log_call(self._record(last, None, latency, kind), self._telemetry.logger)

    # -- internals ---------------------------------------------------------------------------------------------
    def _served_attributes(self, attempt: AttemptTelemetry | None) -> dict[str, AttributeValue]:
        attributes: dict[str, AttributeValue] = {
            "routeapi.attempt.count": len(self._attempts),
            "routeapi.retry.count": sum(1 for a in self._attempts if a.number > 1),
        }
        if attempt is not None:
            attributes.update(attempt.target_attributes())
            attributes["routeapi.fallback.position"] = attempt.position
        return attributes

    def _metric_attributes(self, attempt: AttemptTelemetry | None, response_model: str | None) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": self.operation,
            "gen_ai.request.model": self.request_model,
        }
        if attempt is not None:
            attributes["gen_ai.provider.name"] = attempt.provider_name
            if attempt.server_address is not None:
                attributes["server.address"] = attempt.server_address
                if attempt.server_port is not None:
                    attributes["server.port"] = attempt.server_port
        if response_model:
            attributes["gen_ai.response.model"] = response_model
        return attributes

    def _record_metrics(
        self, attempt: AttemptTelemetry | None, outcome: _Outcome | None, latency: float, kind: str | None
    ) -> None:
        telemetry = self._telemetry
        attributes = self._metric_attributes(attempt, outcome.response_model if outcome else None)
        if kind is not None:
            telemetry.operation_duration.record(latency, {**attributes, "error.type": kind})
            return
        telemetry.operation_duration.record(latency, attributes)
        if self.stream and self._ttft is not None:
            telemetry.time_to_first_chunk.record(self._ttft, attributes)
        usage = outcome.usage if outcome else None
        if usage is not None:
            telemetry.token_usage.record(usage.input_tokens, {**attributes, "gen_ai.token.type": "input"})
            if self.operation != "embeddings":
                telemetry.token_usage.record(usage.output_tokens, {**attributes, "gen_ai.token.type": "output"})

    def _record(
        self, attempt: AttemptTelemetry | None, outcome: _Outcome | None, latency: float, kind: str | None
    ) -> CallRecord:
        usage = outcome.usage if outcome else None
        return CallRecord(
            request_id=self.request_id,
            operation=self.operation,
            requested_model=self.request_model,
            provider=attempt.provider if attempt else None,
            model=(outcome.response_model if outcome else None) or (attempt.model if attempt else None),
            status="error" if kind else "ok",
            error_type=kind,
            latency_ms=round(latency * 1000, 3),
            ttft_ms=round(self._ttft * 1000, 3) if self._ttft is not None else None,
            input_tokens=usage.input_tokens if usage else None,
            output_tokens=usage.output_tokens if usage else None,
            cached_tokens=usage.cache_read_tokens if usage else None,
            cache_write_tokens=usage.cache_write_tokens if usage else None,
            reasoning_tokens=usage.reasoning_tokens if usage else None,
            cost_usd=outcome.cost if outcome else None,
            attempts=len(self._attempts),
            stream=self.stream,
        )


class AttemptTelemetry:
    """One try at one deployment: a child span of the call. As a context manager it makes its span current (so
    HTTP client spans nest under it) and records an exception leaving the block as the attempt's failure. Leaving
    the block normally without an outcome keeps the attempt open: a stream's attempt ends with the call."""

    __slots__ = (
        "_call",
        "_span",
        "_started",
        "_token",
        "_ttft",
        "error",
        "model",
        "number",
        "open",
        "outcome",
        "position",
        "provider",
        "provider_name",
        "server_address",
        "server_port",
    )

    def __init__(
        self,
        call: CallTelemetry,
        provider: str,
        provider_name: str,
        model: str,
        position: int,
        number: int,
        server_address: str | None,
        server_port: int | None,
    ) -> None:
        self._call = call
        self.provider = provider
        self.provider_name = provider_name
        self.model = model
        self.position = position
        self.number = number
        self.server_address = server_address
        self.server_port = server_port
        self.outcome: _Outcome | None = None
        self.error: BaseException | None = None
        self.open = True
        self._token: Token[Context] | None = None
        self._ttft: float | None = None
        self._started = call._telemetry.clock()
        if call._recording:
            parent = trace.set_span_in_context(call._span)
            self._span = call._telemetry.tracer.start_span(
                f"{call.operation} {model}", context=parent, kind=SpanKind.CLIENT
            )
            attributes: dict[str, AttributeValue] = {
                "gen_ai.operation.name": call.operation,
                "gen_ai.request.model": model,
                "routeapi.attempt.number": number,
                "routeapi.fallback.position": position,
            }
            attributes.update(self.target_attributes())
            self._span.set_attributes(attributes)
        else:
            self._span = trace.INVALID_SPAN

    @property
    def target(self) -> tuple[str, str, int]:
        return self.provider, self.model, self.position

    def target_attributes(self) -> dict[str, AttributeValue]:
        attributes: dict[str, AttributeValue] = {
            "gen_ai.provider.name": self.provider_name,
            "routeapi.provider": self.provider,
        }
        if self.server_address is not None:
            attributes["server.address"] = self.server_address
            if self.server_port is not None:
                attributes["server.port"] = self.server_port
        return attributes

    def first_token(self) -> None:
        """The first content of this attempt's stream arrived (also the call's first token)."""
        if self._ttft is None:
            self._ttft = self._call._telemetry.clock() - self._started
        self._call.first_token()

    def succeeded(
        self,
        response_model: str | None = None,
        response_id: str | None = None,
        finish_reasons: Sequence[str] = (),
        usage: ir.Usage | None = None,
        cost: float | None = None,
        adaptations: Sequence[ir.Adaptation] = (),
    ) -> None:
        """The attempt answered. ``cost`` in USD (``routeapi.catalog.pricing.cost``); ``adaptations`` are the
        parameters this route dropped or adapted."""
        if not self.open:
            return
        self.outcome = _Outcome(response_model, response_id, tuple(finish_reasons), usage, cost, tuple(adaptations))
        self._end(None)

    def failed(self, error: BaseException) -> None:
        if not self.open:
            return
        self.error = error
        self._end(error_type(error))

    def _end(self, kind: str | None) -> None:
        self.open = False
        call = self._call
        if call._recording:
            attributes: dict[str, AttributeValue] = {}
            if kind is not None:
                attributes["error.type"] = kind
                self._span.set_status(StatusCode.ERROR, kind)
            elif self.outcome is not None:
                # Usage and cost stay on the call span only, so summing spans never counts a call twice.
                attributes.update(_outcome_attributes(self.outcome, with_usage=False))
            if self._ttft is not None:
                attributes["gen_ai.response.time_to_first_chunk"] = self._ttft
            self._span.set_attributes(attributes)
            self._span.end()
        outcome_attributes: dict[str, Any] = {
            "gen_ai.operation.name": call.operation,
            "gen_ai.provider.name": self.provider_name,
            "gen_ai.request.model": self.model,
            "routeapi.attempt.outcome": "failure" if kind else "success",
        }
        if kind is not None:
            outcome_attributes["error.type"] = kind
        call._telemetry.attempts.add(1, outcome_attributes)

    def __enter__(self) -> AttemptTelemetry:
        if self._call._recording:
            self._token = otel_context.attach(trace.set_span_in_context(self._span))
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._token is not None:
            otel_context.detach(self._token)
            self._token = None
        if exc is not None:
            self.failed(exc)


def _param_attributes(params: RequestParams) -> dict[str, AttributeValue]:
    values: dict[str, Any] = {}
    if isinstance(params, ir.GenerationSettings):
        for name in _PARAM_ATTRIBUTES:
            value = getattr(params, name, ir.UNSET)
            if ir.is_set(value):
                values[name] = value
    else:
        for key, value in params.items():
            name = _PARAM_ALIASES.get(key, key)
            if name in _PARAM_ATTRIBUTES:
                values.setdefault(name, value)
    attributes: dict[str, AttributeValue] = {}
    for name, value in values.items():
        key = _PARAM_ATTRIBUTES[name]
        if name == "stop":
            stops = _strings(value)
            if stops:
                attributes[key] = stops
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        elif name != "n" or value != 1:  # choice count only when not the default
            attributes[key] = value
    return attributes


def _strings(value: object) -> list[str] | None:
    """A stop setting as a list of strings (OpenAI also accepts a single string)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        items = cast("list[object]", value)
        if all(isinstance(item, str) for item in items):
            return [str(item) for item in items]
    return None


def _outcome_attributes(outcome: _Outcome, *, with_usage: bool = True) -> dict[str, AttributeValue]:
    attributes: dict[str, AttributeValue] = {}
    if outcome.response_model:
        attributes["gen_ai.response.model"] = outcome.response_model
    if outcome.response_id:
        attributes["gen_ai.response.id"] = outcome.response_id
    if outcome.finish_reasons:
        attributes["gen_ai.response.finish_reasons"] = list(outcome.finish_reasons)
    usage = outcome.usage if with_usage else None
    if usage is not None:
        attributes["gen_ai.usage.input_tokens"] = usage.input_tokens
        attributes["gen_ai.usage.output_tokens"] = usage.output_tokens
        attributes["gen_ai.usage.cache_read.input_tokens"] = usage.cache_read_tokens
        attributes["gen_ai.usage.cache_creation.input_tokens"] = usage.cache_write_tokens
        attributes["gen_ai.usage.reasoning.output_tokens"] = usage.reasoning_tokens
    if outcome.cost is not None and with_usage:
        attributes["routeapi.usage.cost"] = outcome.cost
    dropped = [a.param for a in outcome.adaptations if a.action == "dropped"]
    adapted = [a.param for a in outcome.adaptations if a.action == "adapted"]
    if dropped:
        attributes["routeapi.request.dropped_params"] = dropped
    if adapted:
        attributes["routeapi.request.adapted_params"] = adapted
    return attributes


def _with_reasons(messages: Sequence[ir.Message], outcome: _Outcome) -> list[tuple[ir.Message, str | None]]:
    reasons = outcome.finish_reasons
    return [(m, reasons[i] if i < len(reasons) else None) for i, m in enumerate(messages)]


def _message_json(message: ir.Message, finish_reason: str | None = None) -> dict[str, Any]:
    """A message in the conventions' ``gen_ai.*.messages`` shape. Binary data (images, audio) is never copied:
    only its kind and media type, or its URL."""
    data: dict[str, Any] = {"role": message.role, "parts": [_part_json(p) for p in message.parts]}
    if finish_reason is not None:
        data["finish_reason"] = finish_reason
    return data


def _part_json(part: ir.Part) -> dict[str, Any]:
    if isinstance(part, (ir.TextPart, ir.RefusalPart)):
        return {"type": "text", "content": part.text}
    if isinstance(part, ir.ThinkingPart):
        return {"type": "reasoning", "content": part.text}
    if isinstance(part, ir.ToolCallPart):
        return {"type": "tool_call", "id": part.id, "name": part.name, "arguments": _json_or_text(part.arguments)}
    if isinstance(part, ir.ToolResultPart):
        text = "".join(p.text for p in part.content if isinstance(p, ir.TextPart))
        return {"type": "tool_call_response", "id": part.tool_call_id, "response": text}
    if isinstance(part, ir.ImagePart):
        if part.url:
            return {"type": "uri", "modality": "image", "uri": part.url}
        return {"type": "blob", "modality": "image", "mime_type": part.media_type}
    if isinstance(part, ir.AudioPart):
        return {"type": "blob", "modality": "audio", "mime_type": f"audio/{part.format}"}
    if part.text is not None:
        return {"type": "text", "content": part.text}
    if part.url:
        return {"type": "uri", "modality": "document", "uri": part.url}
    return {"type": "blob", "modality": "document", "mime_type": part.media_type}


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


@dataclass(frozen=True, slots=True)
class CallRecord:
    """The fields of a call's log record (``extra=`` on the record, so JSON log formatters pick them up). Only
    these fields: never a header, a key, an error message or message content."""

    request_id: str
    operation: str
    requested_model: str
    provider: str | None
    model: str | None
    status: Literal["ok", "error"]
    error_type: str | None
    latency_ms: float
    ttft_ms: float | None
    input_tokens: int | None
    output_tokens: int | None
    cached_tokens: int | None
    cache_write_tokens: int | None
    reasoning_tokens: int | None
    cost_usd: float | None
    attempts: int
    stream: bool

    def fields(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def log_call(record: CallRecord, logger: logging.Logger | None = None) -> None:
    """Emit the call's one log record: INFO when it succeeded, WARNING when it failed."""
    logger = logger or logging.getLogger(CALLS_LOGGER)
    level = logging.INFO if record.status == "ok" else logging.WARNING
    if not logger.isEnabledFor(level):
        return
    outcome = "ok" if record.error_type is None else record.error_type
    logger.log(
        level,
        "%s %s %s -> %s/%s: %s in %.0f ms, %d attempt(s)",
        record.request_id,
        record.operation,
        record.requested_model,
        record.provider,
        record.model,
        outcome,
        record.latency_ms,
        record.attempts,
        extra=record.fields(),
    )
