"""The machinery every face shares: one call = an exchange run by the router over adapters."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import ir
from .._route import RouteInfo
from ..adapters.base import CallOptions, Operation
from ..adapters.pool import AdapterPool
from ..catalog import pricing
from ..catalog.models import lookup
from ..catalog.vendors import VENDORS
from ..config import RouteConfig
from ..errors import RouteError, redact
from ..media import media_policy
from ..routing.capabilities import PREFILL_PROTOCOLS, Capabilities, Needs, needs_of, resolve, shortfall
from ..routing.deadline import Deadline
from ..routing.engine import CallState, Router, Screen
from ..routing.health import HealthBackend
from ..routing.targets import Target
from ..telemetry import AttemptTelemetry, CallTelemetry, Telemetry, default_telemetry, server_of
from ._exchange import Exchange
from ._streaming import AsyncOpened, Opened, aopen_stream, new_guard, open_stream

logger = logging.getLogger("routeapi")


def new_request_id() -> str:
    return f"req_{uuid.uuid4().hex}"


@dataclass(slots=True)
class CallSpec:
    """Routing options of one call, taken from the face's keyword arguments."""

    model: str
    fallbacks: Sequence[str] = ()
    request_id: str = field(default_factory=new_request_id)
    timeout: float | None = None
    headers: Mapping[str, str] = field(default_factory=lambda: {})
    deadline: float | None = None
    """Seconds for the whole call (overrides ``timeouts.total``)."""
    first_token_timeout: float | None = None
    stream_idle_timeout: float | None = None


class Caller:
    def __init__(
        self, config: RouteConfig, *, health: HealthBackend | None = None, telemetry: Telemetry | None = None
    ) -> None:
        self.config = config
        self.router = Router(config, health=health)
        self.adapters = AdapterPool(config)
        self.telemetry = telemetry or default_telemetry()
        self._servers: dict[str, tuple[str, str | None, int | None]] = {}
        self.media = media_policy(config.media_fetch)
        self._capabilities: dict[Target, Capabilities] = {}
        self.router.scrub = self.scrub

    def scrub(self, error: RouteError, target: Target) -> None:
        redact(error, self.adapters.secrets(target.provider))

    # -- telemetry -----------------------------------------------------------------------------------------
    def _server(self, provider: str) -> tuple[str, str | None, int | None]:
        """(provider type, server address, server port) of a configured provider, computed once."""
        known = self._servers.get(provider)
        if known is None:
            configured = self.config.providers.get(provider)
            kind = configured.type if configured is not None else provider
            url = None
            if configured is not None:
                url = configured.base_url or configured.endpoint or configured.endpoint_url
            vendor = VENDORS.get(kind)
            known = (kind, *server_of(url or (vendor.base_url if vendor else None), kind))
            self._servers[provider] = known
        return known

    def _attempt_span(self, call: CallTelemetry, target: Target) -> AttemptTelemetry:
        kind, address, port = self._server(target.provider)
        return call.attempt(
            target.provider,
            target.model,
            provider_type=kind,
            position=target.position,
            server_address=address,
            server_port=port,
        )

    def _account(self, route: RouteInfo, target: Target, response: ir.Response) -> float | None:
        """Usage and cost of the attempt that served (failed attempts are never billed here)."""
        family = pricing.family_of(self._server(target.provider)[0])
        usage = response.usage
        cost = pricing.cost(family, response.model or target.model, usage) if family and usage else None
        route.usage, route.cost = usage, cost
        return cost

    def _finished(self, call: CallTelemetry, att: AttemptTelemetry, route: RouteInfo, response: ir.Response) -> None:
        target = Target(route.provider or "", route.model or "", "")
        cost = self._account(route, target, response)
        reasons = [c.finish_reason for c in response.choices if c.finish_reason]
        att.succeeded(response.model, response.id, reasons, response.usage, cost, route.adaptations)

    def _stream_end(self, call: CallTelemetry, route: RouteInfo, translator: Any, error: BaseException | None) -> None:
        if error is not None:
            call.fail(error)
            return
        response: ir.Response = translator.partial()
        target = Target(route.provider or "", route.model or "", "")
        cost = self._account(route, target, response)
        reasons = [c.finish_reason for c in response.choices if c.finish_reason]
        call.finish(response_model=response.model or None, finish_reasons=reasons, usage=response.usage, cost=cost)

    # -- per call and per attempt --------------------------------------------------------------------------
    def _start(self, spec: CallSpec) -> tuple[list[Target], CallState, RouteInfo]:
        targets = self.router.targets(spec.model, spec.fallbacks)
        deadline = Deadline(spec.deadline if spec.deadline is not None else self.config.timeouts.total)
        state = CallState(spec.request_id, deadline)
        return targets, state, RouteInfo(spec.request_id, failed_attempts=state.attempts)

    def _options(self, spec: CallSpec, target: Target, state: CallState) -> CallOptions:
        limits = [t for t in (spec.timeout, state.deadline.remaining()) if t is not None]
        return CallOptions(spec.request_id, min(limits) if limits else None, spec.headers, target.model)

    def _guard_times(self, spec: CallSpec, target: Target) -> tuple[float | None, float | None]:
        timeouts = self.config.timeouts
        first = spec.first_token_timeout or target.first_token_timeout or timeouts.first_token
        idle = spec.stream_idle_timeout or target.stream_idle_timeout or timeouts.stream_idle
        return first, idle

    def screen(self, target: Target, state: CallState) -> str | None:
        """After a context-length failure only a model with a known, larger context window is worth a try."""
        if not state.too_long_for:
            return None
        failed = max((self.capabilities(t).context_window or 0) for t in state.too_long_for)
        window = self.capabilities(target).context_window
        if window is None or window <= failed:
            return f"context window {window or 'unknown'} is not larger than the {failed or 'unknown'} that overflowed"
        return None

    def screen_for(self, exchange: Exchange) -> Screen:
        """The screen of one call: the context window, then what the request needs (tools, images, JSON schema,
        prefill) against what the target can do. The request is inspected only for a target known to lack one."""
        needs: list[Needs] = []

        def screen(target: Target, state: CallState) -> str | None:
            reason = self.screen(target, state)
            if reason is not None:
                return reason
            capabilities = self.capabilities(target)
            if not capabilities.lacks(prefill_matters=exchange.face in PREFILL_PROTOCOLS):
                return None
            if not needs:
                needs.append(needs_of(exchange.request(), exchange.face))
            return shortfall(needs[0], capabilities)

        return screen

    def capabilities(self, target: Target) -> Capabilities:
        known = self._capabilities.get(target)
        if known is None:
            family = self.adapters.family(target.provider)
            info = lookup(family, target.model)
            known = resolve(info, family, target.model, target.capabilities)
            self._capabilities[target] = known
        return known

    # -- the four call styles ------------------------------------------------------------------------------
    def send(self, exchange: Exchange, operation: Operation, spec: CallSpec) -> tuple[dict[str, Any], RouteInfo]:
        targets, state, route = self._start(spec)
        call = CallTelemetry.start(operation, spec.model, exchange.body, spec.request_id, telemetry=self.telemetry)

        def attempt(target: Target) -> dict[str, Any]:
            with self._attempt_span(call, target) as att:
                adapter = self.adapters.get(target.provider)
                wire, op = _wire(exchange, adapter, operation)
                exchange.inline_media(wire, self.media)
                leg = exchange.leg(target, wire)
                raw = adapter.send(op, leg.body, self._options(spec, target, state))
                _served(route, target, raw.upstream_request_id, leg.adaptations, state)
                data, response = exchange.response(leg, wire, raw)
                route.content_filter = leg.content_filter
                self._finished(call, att, route, response)
                return data

        try:
            data = self.router.run(targets, attempt, state, self.screen_for(exchange))
        except BaseException as error:
            call.fail(error)
            raise
        call.finish()
        return data, route

    async def asend(self, exchange: Exchange, operation: Operation, spec: CallSpec) -> tuple[dict[str, Any], RouteInfo]:
        targets, state, route = self._start(spec)
        call = CallTelemetry.start(operation, spec.model, exchange.body, spec.request_id, telemetry=self.telemetry)

        async def attempt(target: Target) -> dict[str, Any]:
            with self._attempt_span(call, target) as att:
                adapter = self.adapters.get(target.provider)
                wire, op = _wire(exchange, adapter, operation)
                await exchange.ainline_media(wire, self.media)
                leg = exchange.leg(target, wire)
                raw = await adapter.asend(op, leg.body, self._options(spec, target, state))
                _served(route, target, raw.upstream_request_id, leg.adaptations, state)
                data, response = exchange.response(leg, wire, raw)
                route.content_filter = leg.content_filter
                self._finished(call, att, route, response)
                return data

        try:
            data = await self.router.arun(targets, attempt, state, self.screen_for(exchange))
        except BaseException as error:
            call.fail(error)
            raise
        call.finish()
        return data, route

    def stream(
        self, exchange: Exchange, operation: Operation, spec: CallSpec, *, include_usage: bool = False
    ) -> tuple[Opened, RouteInfo]:
        targets, state, route = self._start(spec)
        call = CallTelemetry.start(
            operation, spec.model, exchange.body, spec.request_id, stream=True, telemetry=self.telemetry
        )

        def attempt(target: Target) -> Opened:
            with self._attempt_span(call, target):
                adapter = self.adapters.get(target.provider)
                wire, op = _wire(exchange, adapter, operation)
                exchange.inline_media(wire, self.media)
                leg = exchange.leg(target, wire, stream=True)
                raw = adapter.stream(op, leg.body, self._options(spec, target, state))
                translator = exchange.stream_translator(leg, wire, include_usage=include_usage)
                # A guard fires from another thread: it needs a stop that wakes a blocked read.
                stop = getattr(raw, "interrupt", raw.close)
                opened = open_stream(raw, translator, new_guard(*self._guard_times(spec, target), stop))
                _served(route, target, raw.upstream_request_id, leg.adaptations, state)
                call.first_token()
                opened.on_end = lambda error: self._stream_end(call, route, translator, error)
                opened.scrub = lambda error: self.scrub(error, target)
                return opened

        try:
            return self.router.run(targets, attempt, state, self.screen_for(exchange)), route
        except BaseException as error:
            call.fail(error)
            raise

    async def astream(
        self, exchange: Exchange, operation: Operation, spec: CallSpec, *, include_usage: bool = False
    ) -> tuple[AsyncOpened, RouteInfo]:
        targets, state, route = self._start(spec)
        call = CallTelemetry.start(
            operation, spec.model, exchange.body, spec.request_id, stream=True, telemetry=self.telemetry
        )

        async def attempt(target: Target) -> AsyncOpened:
            with self._attempt_span(call, target):
                adapter = self.adapters.get(target.provider)
                wire, op = _wire(exchange, adapter, operation)
                await exchange.ainline_media(wire, self.media)
                leg = exchange.leg(target, wire, stream=True)
                raw = await adapter.astream(op, leg.body, self._options(spec, target, state))
                translator = exchange.stream_translator(leg, wire, include_usage=include_usage)
                guard = new_guard(*self._guard_times(spec, target), _no_close)
                opened = await aopen_stream(raw, translator, guard)
                _served(route, target, raw.upstream_request_id, leg.adaptations, state)
                call.first_token()
                opened.on_end = lambda error: self._stream_end(call, route, translator, error)
                opened.scrub = lambda error: self.scrub(error, target)
                return opened

        try:
            return await self.router.arun(targets, attempt, state, self.screen_for(exchange)), route
        except BaseException as error:
            call.fail(error)
            raise


_OPERATIONS: dict[str, Operation] = {"openai_responses": "responses"}


def _wire(exchange: Exchange, adapter: Any, operation: Operation) -> tuple[str, Operation]:
    """The protocol to speak to this adapter — the caller's own when the adapter speaks it too (OpenAI and Azure
    speak Responses as well as Chat Completions), else the adapter's — and the operation that goes with it."""
    spoken: tuple[str, ...] = getattr(adapter, "protocols", (adapter.protocol,))
    wire = exchange.face if exchange.face in spoken else adapter.protocol
    return wire, _OPERATIONS.get(wire, operation)


def _no_close() -> None:
    """Async guards interrupt the reading task instead of closing the stream from outside."""


def _served(
    route: RouteInfo, target: Target, upstream_request_id: str | None, adaptations: list[Any], state: CallState
) -> None:
    route.skipped = [(skipped.key, why) for skipped, why in state.skipped]
    route.provider = target.provider
    route.model = target.model
    route.upstream_request_id = upstream_request_id
    route.adaptations = list(adaptations)
    if adaptations:
        # Every parameter a route could not honour as given is reported, never silently lost.
        logger.warning(
            "request %s to %s/%s: %s",
            route.request_id,
            target.provider,
            target.model,
            "; ".join(str(a) for a in adaptations),
        )
