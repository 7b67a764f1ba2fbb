"""The machinery every face shares: one call = an exchange run by the router over adapters."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .._route import RouteInfo
from ..adapters.base import CallOptions, Operation
from ..adapters.pool import AdapterPool
from ..config import RouteConfig
from ..errors import Attempt
from ..routing.engine import Router
from ..routing.targets import Target
from ._exchange import Exchange
from ._streaming import AsyncOpened, Opened, aopen_stream, open_stream

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


class Caller:
    def __init__(self, config: RouteConfig) -> None:
        self.config = config
        self.router = Router(config)
        self.adapters = AdapterPool(config)

    def _start(self, spec: CallSpec) -> tuple[list[Target], CallOptions, RouteInfo, list[Attempt]]:
        targets = self.router.targets(spec.model, spec.fallbacks)
        options = CallOptions(spec.request_id, spec.timeout, spec.headers)
        attempts: list[Attempt] = []
        return targets, options, RouteInfo(spec.request_id, failed_attempts=attempts), attempts

    def send(self, exchange: Exchange, operation: Operation, spec: CallSpec) -> tuple[dict[str, Any], RouteInfo]:
        targets, options, route, attempts = self._start(spec)

        def attempt(target: Target) -> dict[str, Any]:
            adapter = self.adapters.get(target.provider)
            leg = exchange.leg(target, adapter.protocol)
            raw = adapter.send(operation, leg.body, replace(options, model=target.model))
            _served(route, target, raw.upstream_request_id, leg.adaptations)
            response = exchange.response(leg, adapter.protocol, raw)
            route.content_filter = leg.content_filter
            return response

        return self.router.run(targets, attempt, request_id=spec.request_id, attempts=attempts), route

    async def asend(self, exchange: Exchange, operation: Operation, spec: CallSpec) -> tuple[dict[str, Any], RouteInfo]:
        targets, options, route, attempts = self._start(spec)

        async def attempt(target: Target) -> dict[str, Any]:
            adapter = self.adapters.get(target.provider)
            leg = exchange.leg(target, adapter.protocol)
            raw = await adapter.asend(operation, leg.body, replace(options, model=target.model))
            _served(route, target, raw.upstream_request_id, leg.adaptations)
            response = exchange.response(leg, adapter.protocol, raw)
            route.content_filter = leg.content_filter
            return response

        return await self.router.arun(targets, attempt, request_id=spec.request_id, attempts=attempts), route

    def stream(
        self, exchange: Exchange, operation: Operation, spec: CallSpec, *, include_usage: bool = False
    ) -> tuple[Opened, RouteInfo]:
        targets, options, route, attempts = self._start(spec)

        def attempt(target: Target) -> Opened:
            adapter = self.adapters.get(target.provider)
            leg = exchange.leg(target, adapter.protocol, stream=True)
            raw = adapter.stream(operation, leg.body, replace(options, model=target.model))
            opened = open_stream(raw, exchange.stream_translator(leg, adapter.protocol, include_usage=include_usage))
            _served(route, target, raw.upstream_request_id, leg.adaptations)
            return opened

        return self.router.run(targets, attempt, request_id=spec.request_id, attempts=attempts), route

    async def astream(
        self, exchange: Exchange, operation: Operation, spec: CallSpec, *, include_usage: bool = False
    ) -> tuple[AsyncOpened, RouteInfo]:
        targets, options, route, attempts = self._start(spec)

        async def attempt(target: Target) -> AsyncOpened:
            adapter = self.adapters.get(target.provider)
            leg = exchange.leg(target, adapter.protocol, stream=True)
            raw = await adapter.astream(operation, leg.body, replace(options, model=target.model))
            translator = exchange.stream_translator(leg, adapter.protocol, include_usage=include_usage)
            opened = await aopen_stream(raw, translator)
            _served(route, target, raw.upstream_request_id, leg.adaptations)
            return opened

        return await self.router.arun(targets, attempt, request_id=spec.request_id, attempts=attempts), route


def _served(route: RouteInfo, target: Target, upstream_request_id: str | None, adaptations: list[Any]) -> None:
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
