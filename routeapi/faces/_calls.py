"""The machinery every face shares: one call = an exchange run by the router over adapters."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .. import ir
from .._route import Continuation, RouteInfo
from ..adapters.base import CallOptions, Operation
from ..adapters.pool import AdapterPool
from ..catalog import pricing
from ..catalog.models import lookup
from ..catalog.vendors import VENDORS
from ..config import RouteConfig
from ..errors import BadRequest, ContentFiltered, RouteError, StreamInterrupted, UnsupportedFeature, redact
from ..media import media_policy
from ..routing.capabilities import PREFILL_PROTOCOLS, Capabilities, Needs, needs_of, resolve, shortfall
from ..routing.deadline import Deadline
from ..routing.engine import CallState, Router, Screen
from ..routing.health import HealthBackend
from ..routing.hedging import Branch, HedgeCancelled, ahedge, hedge
from ..routing.targets import Target
from ..telemetry import AttemptTelemetry, CallTelemetry, Telemetry, default_telemetry, server_of
from ._exchange import Exchange, Resume, StreamTranslator, continuable
from ._streaming import AsyncOpened, Opened, adiscard, aopen_stream, discard, new_guard, open_stream

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
    on_interrupt: Literal["raise", "continue"] | None = None
    """Overrides the model's ``on_interrupt``."""
    hedge_after: float | None = None
    """Overrides the model's ``hedge_after``."""


class Caller:
    def __init__(
        self, config: RouteConfig, *, health: HealthBackend | None = None, telemetry: Telemetry | None = None
    ) -> None:
        self.config = config
        self.router = Router(config, health=health)
        self.adapters = AdapterPool(config)
        self.telemetry = telemetry or default_telemetry()
        self.media = media_policy(config.media_fetch)
        self._servers: dict[str, tuple[str, str | None, int | None]] = {}
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

    def account_partial(self, route: RouteInfo, response: ir.Response) -> None:
        """Usage and cost of an interrupted stream: what the upstream reported before it broke."""
        if route.usage is None and response.usage is not None:
            self._account(route, Target(route.provider or "", route.model or "", ""), response)

    def _stream_end(self, call: CallTelemetry, route: RouteInfo, translator: Any, error: BaseException | None) -> None:
        if error is not None:
            self.account_partial(route, translator.partial())
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
        run = _StreamCall(
            exchange, operation, spec, targets, state, route, call, include_usage, self.screen_for(exchange)
        )
        try:
            return self._run_stream(run), route
        except BaseException as error:
            call.fail(error)
            raise

    def _stream_attempt(
        self, run: _StreamCall, partial: ir.Response | None = None, branch: Branch | None = None
    ) -> Callable[[Target], Opened]:
        """Opens the stream of one target: the call's own, or with ``partial`` the continuation of that answer."""

        def attempt(target: Target) -> Opened:
            if partial is not None:
                opened = self._continue_on(run, target, partial)
            else:
                opened = self._open(run, run.exchange, target, branch=branch)
            if _continues(run.spec, target):
                opened.resume = lambda interrupted: self._resume(run, target, opened, interrupted)
            return opened

        return attempt

    def _open(
        self,
        run: _StreamCall,
        exchange: Exchange,
        target: Target,
        resume: Resume | None = None,
        branch: Branch | None = None,
    ) -> Opened:
        if branch is not None:
            branch.check()  # this side of a hedge lost: start nothing more
        with self._attempt_span(run.call, target) as att, _hedge_side(branch):
            adapter = self.adapters.get(target.provider)
            wire, op = _wire(exchange, adapter, run.operation)
            exchange.inline_media(wire, self.media)
            leg = exchange.leg(target, wire, stream=True)
            raw = adapter.stream(op, leg.body, self._options(run.spec, target, run.state))
            if branch is not None:
                branch.hold(raw)
            translator = exchange.stream_translator(leg, wire, include_usage=run.include_usage, resume=resume)
            # A guard fires from another thread: it needs a stop that wakes a blocked read.
            stop = getattr(raw, "interrupt", raw.close)
            opened = open_stream(raw, translator, new_guard(*self._guard_times(run.spec, target), stop))
            opened.attempt = att
            self._opened(run, target, raw.upstream_request_id, leg.adaptations, translator, opened)
            return opened

    def _continue_on(self, run: _StreamCall, target: Target, partial: ir.Response) -> Opened:
        prefix, merge = self._continuation_mode(target, partial)
        try:
            opened = self._open(run, run.exchange.continuation(partial, prefix=prefix), target, Resume(partial, merge))
        except BadRequest as error:
            if not prefix or isinstance(error, ContentFiltered):
                raise
            # Newer models refuse a prefill: restart there rather than let the refusal reach the caller.
            prefix = False
            opened = self._open(run, run.exchange.continuation(partial, prefix=False), target, Resume(partial, False))
        run.route.continuations.append(_continuation(run, target, partial, prefix))
        return opened

    def _resume(self, run: _StreamCall, broken: Target, opened: Opened, interrupted: StreamInterrupted) -> Opened:
        """The stream from ``broken`` stopped after part of the answer reached the caller: carry the text on with
        the targets after it, as a prefix where the target continues one, else restarting the answer."""
        return self.router.run(
            run.after(broken),
            self._stream_attempt(run, self._broke(run, broken, opened, interrupted)),
            run.state,
            run.screen,
        )

    def _broke(
        self, run: _StreamCall, broken: Target, opened: Opened | AsyncOpened, interrupted: StreamInterrupted
    ) -> ir.Response:
        """Records the break (an attempt that failed, for the route, the telemetry and the circuit) and returns the
        partial answer a continuation picks up. Only text is carried on: a half-made tool call or reasoning cannot
        be."""
        if opened.attempt is not None:
            opened.attempt.failed(interrupted)
        self.router.failed(interrupted, broken, run.state)
        run.broken = broken
        partial = interrupted.partial or ir.Response("", "")
        if not continuable(partial):
            raise UnsupportedFeature("the partial answer holds more than text (a tool call or reasoning)")
        return partial

    def _opened(
        self,
        run: _StreamCall,
        target: Target,
        upstream_request_id: str | None,
        adaptations: list[Any],
        translator: StreamTranslator,
        opened: Opened | AsyncOpened,
    ) -> None:
        def claim() -> None:
            _served(run.route, target, upstream_request_id, adaptations, run.state)

        claim()
        opened.claim = claim
        run.call.first_token()
        opened.on_end = lambda error: self._stream_end(run.call, run.route, translator, error)
        opened.scrub = lambda error: self.scrub(error, target)

    def _run_stream(self, run: _StreamCall) -> Opened:
        """The plan, hedged when the first target's model (or the call) sets ``hedge_after``."""

        def go(targets: list[Target], branch: Branch | None = None) -> Opened:
            return self.router.run(targets, self._stream_attempt(run, branch=branch), run.state, run.screen)

        after = _hedge_after(run.spec, run.targets)
        if after is None:
            return go(run.targets)
        branches = (Branch(), Branch())
        opened = hedge(
            lambda: go(run.targets[:1], branches[0]),
            lambda: go(run.targets[1:], branches[1]),
            after,
            branches=branches,
            stops=lambda error: not self.router.moves_on(error),
            discard=_lost,
            started=lambda: _hedging(run),
        )
        if opened.claim is not None:
            opened.claim()  # the loser may have opened too, and named itself as the server meanwhile
        return opened

    async def _arun_stream(self, run: _StreamCall) -> AsyncOpened:
        def go(targets: list[Target]) -> Awaitable[AsyncOpened]:
            return self.router.arun(targets, self._astream_attempt(run), run.state, run.screen)

        after = _hedge_after(run.spec, run.targets)
        if after is None:
            return await go(run.targets)
        opened = await ahedge(
            lambda: go(run.targets[:1]),
            lambda: go(run.targets[1:]),
            after,
            stops=lambda error: not self.router.moves_on(error),
            discard=_alost,
            started=lambda: _hedging(run),
        )
        if opened.claim is not None:
            opened.claim()
        return opened

    async def astream(
        self, exchange: Exchange, operation: Operation, spec: CallSpec, *, include_usage: bool = False
    ) -> tuple[AsyncOpened, RouteInfo]:
        targets, state, route = self._start(spec)
        call = CallTelemetry.start(
            operation, spec.model, exchange.body, spec.request_id, stream=True, telemetry=self.telemetry
        )
        run = _StreamCall(
            exchange, operation, spec, targets, state, route, call, include_usage, self.screen_for(exchange)
        )
        try:
            return await self._arun_stream(run), route
        except BaseException as error:
            call.fail(error)
            raise

    def _astream_attempt(
        self, run: _StreamCall, partial: ir.Response | None = None
    ) -> Callable[[Target], Awaitable[AsyncOpened]]:
        async def attempt(target: Target) -> AsyncOpened:
            if partial is not None:
                opened = await self._acontinue_on(run, target, partial)
            else:
                opened = await self._aopen(run, run.exchange, target)
            if _continues(run.spec, target):
                opened.resume = lambda interrupted: self._aresume(run, target, opened, interrupted)
            return opened

        return attempt

    async def _aopen(
        self, run: _StreamCall, exchange: Exchange, target: Target, resume: Resume | None = None
    ) -> AsyncOpened:
        with self._attempt_span(run.call, target) as att:
            adapter = self.adapters.get(target.provider)
            wire, op = _wire(exchange, adapter, run.operation)
            await exchange.ainline_media(wire, self.media)
            leg = exchange.leg(target, wire, stream=True)
            raw = await adapter.astream(op, leg.body, self._options(run.spec, target, run.state))
            translator = exchange.stream_translator(leg, wire, include_usage=run.include_usage, resume=resume)
            guard = new_guard(*self._guard_times(run.spec, target), _no_close)
            opened = await aopen_stream(raw, translator, guard)
            opened.attempt = att
            self._opened(run, target, raw.upstream_request_id, leg.adaptations, translator, opened)
            return opened

    async def _acontinue_on(self, run: _StreamCall, target: Target, partial: ir.Response) -> AsyncOpened:
        prefix, merge = self._continuation_mode(target, partial)
        try:
            resume = Resume(partial, merge)
            opened = await self._aopen(run, run.exchange.continuation(partial, prefix=prefix), target, resume)
        except BadRequest as error:
            if not prefix or isinstance(error, ContentFiltered):
                raise
            prefix = False
            resume = Resume(partial, False)
            opened = await self._aopen(run, run.exchange.continuation(partial, prefix=False), target, resume)
        run.route.continuations.append(_continuation(run, target, partial, prefix))
        return opened

    def _continuation_mode(self, target: Target, partial: ir.Response) -> tuple[bool, bool]:
        """(send the partial text as a prefix, splice into the caller's open part). With no text delivered yet, the
        original request simply fills the open part."""
        said = bool(partial.message.text.strip()) if partial.choices else False
        prefix = said and self.capabilities(target).prefill is True
        return prefix, prefix or not said

    async def _aresume(
        self, run: _StreamCall, broken: Target, opened: AsyncOpened, interrupted: StreamInterrupted
    ) -> AsyncOpened:
        partial = self._broke(run, broken, opened, interrupted)
        return await self.router.arun(run.after(broken), self._astream_attempt(run, partial), run.state, run.screen)


@dataclass(slots=True)
class _StreamCall:
    """One streamed call, as its attempts and continuations need it."""

    exchange: Exchange
    operation: Operation
    spec: CallSpec
    targets: list[Target]
    state: CallState
    route: RouteInfo
    call: CallTelemetry
    include_usage: bool
    screen: Screen
    broken: Target | None = None

    def after(self, target: Target) -> list[Target]:
        """The targets after ``target`` in the plan: where a broken stream is carried on."""
        return self.targets[self.targets.index(target) + 1 :]


def _hedge_after(spec: CallSpec, targets: list[Target]) -> float | None:
    """The hedge delay of this call (a per-call 0 turns the model's off), or None."""
    after = spec.hedge_after if spec.hedge_after is not None else targets[0].hedge_after if targets else None
    return after if after and len(targets) > 1 else None


@contextlib.contextmanager
def _hedge_side(branch: Branch | None) -> Generator[None, None, None]:
    """A read that fails because the other side of the hedge won was interrupted by us: not the deployment's
    failure, and the router must neither retry nor record it."""
    try:
        yield
    except (RouteError, OSError):
        if branch is not None and branch.cancelled:
            raise HedgeCancelled from None
        raise


def _lost(opened: Opened) -> None:
    """The side of a hedge that opened too late: closed, its attempt ended as cancelled."""
    if opened.attempt is not None:
        opened.attempt.failed(HedgeCancelled())
    discard(opened)


async def _alost(opened: AsyncOpened) -> None:
    if opened.attempt is not None:
        opened.attempt.failed(HedgeCancelled())
    await adiscard(opened)


def _hedging(run: _StreamCall) -> None:
    run.route.hedged = True
    first = run.targets[0]
    logger.info("request %s: no first token from %s yet, hedging on the next target", run.route.request_id, first.key)


def _continues(spec: CallSpec, target: Target) -> bool:
    return (spec.on_interrupt or target.on_interrupt) == "continue"


def _continuation(run: _StreamCall, target: Target, partial: ir.Response, prefix: bool) -> Continuation:
    broken = run.broken.key if run.broken is not None else ""
    offset = len(partial.message.text) if partial.choices else 0
    return Continuation(broken, target.key, "prefix" if prefix else "restart", offset)


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
