"""The gateway as an ASGI application: authentication, limits and request IDs around the shared ``Caller``."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Sequence
from typing import Any

from pydantic import SecretStr

from ..config import RouteConfig, resolve_provider
from ..errors import ConfigurationError, ProtocolError, RouteError
from ..faces._calls import Caller, CallSpec, new_request_id
from ..faces._exchange import Exchange
from . import _json
from ._asgi import BodyTooLarge, ClientGone, Incoming, Receive, Responder, Scope, Send, read_body
from .auth import TokenCheck, presented_token
from .config import ServerConfig, ServerToken
from .demo import DEMO_TOKEN, DemoUpstreams
from .problems import Dialect, Problem, error_body, problem_from_error, status_for
from .routes import ChatCall, Endpoint, chat_call, guess_dialect, resolve
from .streams import DeadlineExceeded, StreamWriter, Watch, relay, writer_for

logger = logging.getLogger("routeapi.server")

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
_CLIENT_CLOSED = 499  # nginx's convention, for the log only


class Gateway:
    """One instance per worker process. Create it with :func:`create_app`."""

    def __init__(
        self, config: RouteConfig, server: ServerConfig, tokens: TokenCheck, demo: DemoUpstreams | None = None
    ) -> None:
        self.config = config
        self.server = server
        self.caller = Caller(config)
        self._tokens = tokens
        self._demo = demo
        self.active_requests = 0
        self.active_streams = 0
        self.draining = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def aclose(self) -> None:
        """Close every upstream connection pool, and stop the demo upstreams."""
        self.draining = True
        await self.caller.adapters.aclose()
        if self._demo is not None:
            await asyncio.to_thread(self._demo.stop)
            self._demo = None

    # -- lifespan ------------------------------------------------------------------------------------------
    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self._demo is not None:
                    logger.warning("OFFLINE DEMO: answers come from built-in fake upstreams, not real models")
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- one HTTP request ----------------------------------------------------------------------------------
    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.monotonic()
        request = Incoming.from_scope(scope)
        given_id = request.headers.get("x-request-id", "")
        request_id = given_id if _REQUEST_ID.fullmatch(given_id) else new_request_id()
        common = [("x-request-id", request_id)]
        if request.path.startswith("/v1/messages"):
            common.append(("request-id", request_id))  # where the Anthropic SDK reads it
        if self._demo is not None:
            common.append(("x-routeapi-demo", "offline demo: answers come from fake upstreams"))
        response = Responder(send, common)
        deadline = asyncio.get_running_loop().time() + self.server.request_timeout
        context = _Context(request, request_id, response, deadline)
        dialect = guess_dialect(request)
        try:
            endpoint = resolve(request)
            dialect = endpoint.dialect
            await self._dispatch(endpoint, context, receive)
        except ClientGone:
            context.outcome = "client disconnected"
        except Problem as problem:
            await _refuse(response, dialect, problem, request_id)
        except Exception:
            logger.exception("request %s: unexpected error", request_id)
            await _refuse(response, dialect, Problem("internal", "internal error in the gateway"), request_id)
        finally:
            status = response.status if response.finished else _CLIENT_CLOSED
            elapsed = (time.monotonic() - started) * 1000
            logger.info(
                "%s %s %s -> %s in %.0f ms%s",
                request_id,
                request.method,
                request.path,
                status,
                elapsed,
                context.describe(),
            )

    async def _dispatch(self, endpoint: Endpoint, context: _Context, receive: Receive) -> None:
        if endpoint.kind == "health":
            await context.response.json(200, {"status": "ok"})
            return
        if endpoint.kind == "ready":
            await self._ready(context.response)
            return
        context.caller = self._tokens.identify(presented_token(context.request))
        if context.caller is None:
            raise Problem("authentication", "missing or invalid routeapi token")
        if endpoint.kind == "models":
            await context.response.json(200, _model_list(endpoint.dialect, sorted(self.config.models)))
            return
        if endpoint.kind == "not_implemented":
            raise Problem("not_implemented", f"{endpoint.feature} is not supported by this gateway yet")
        if self.active_requests >= self.server.max_concurrent_requests:
            raise Problem("rate_limited", "the gateway is at its concurrent request limit", retry_after=1)
        self.active_requests += 1
        try:
            await self._chat(endpoint, context, receive)
        finally:
            self.active_requests -= 1

    async def _ready(self, response: Responder) -> None:
        if self.draining:
            await response.json(503, {"status": "draining"})
        elif self.active_requests >= self.server.max_concurrent_requests:
            await response.json(503, {"status": "busy", "requests": self.active_requests})
        else:
            await response.json(200, {"status": "ready", "requests": self.active_requests})

    # -- chat ----------------------------------------------------------------------------------------------
    async def _chat(self, endpoint: Endpoint, context: _Context, receive: Receive) -> None:
        request = context.request
        try:
            raw = await read_body(receive, request.headers, self.server.max_body_bytes)
        except BodyTooLarge:
            limit = self.server.max_body_bytes
            raise Problem(
                "too_large", f"the request body is larger than the gateway's limit of {limit} bytes"
            ) from None
        body = _json_object(raw)
        call = chat_call(endpoint, request, body)
        exchange = Exchange(call.face, body)
        try:
            exchange.request()  # validates the body in its protocol, whichever route it takes
        except ProtocolError as error:
            raise Problem("invalid_request", error.message) from None
        context.model = call.model
        spec = CallSpec(call.model, request_id=context.request_id)
        watch = Watch(receive, context.deadline, self.server.ping_interval)
        try:
            if call.streamed:
                await self._stream(endpoint.dialect, call, exchange, spec, context, watch)
            else:
                await self._complete(exchange, spec, context, watch)
        finally:
            watch.close()

    async def _complete(self, exchange: Exchange, spec: CallSpec, context: _Context, watch: Watch) -> None:
        try:
            data, route = await watch.run(self.caller.asend(exchange, "chat", spec))
        except DeadlineExceeded:
            raise self._deadline_problem() from None
        except RouteError as error:
            raise problem_from_error(error) from error
        context.served(route.provider, route.model)
        await context.response.json(200, data, context.route_headers())

    async def _stream(
        self, dialect: Dialect, call: ChatCall, exchange: Exchange, spec: CallSpec, context: _Context, watch: Watch
    ) -> None:
        if self.active_streams >= self.server.max_concurrent_streams:
            raise Problem("rate_limited", "the gateway is at its concurrent stream limit", retry_after=1)
        self.active_streams += 1
        writer = writer_for(dialect, context.response, context.request_id, sse=call.sse, face=call.face)
        watch.on_silence = writer.keep_alive
        try:
            try:
                opened, route = await watch.run(
                    self.caller.astream(exchange, "chat", spec, include_usage=call.include_usage)
                )
            except (RouteError, DeadlineExceeded) as error:
                await self._fail(writer, error)
                return
            context.served(route.provider, route.model)
            for name, value in context.route_headers():
                context.response.add_header(name, value)
            try:
                await writer.start()  # the upstream answered: the caller sees 200 now, even before a payload
                await relay(opened, writer, watch)
            except ClientGone:
                raise
            except Exception as error:
                if not isinstance(error, (RouteError, DeadlineExceeded, OSError)):
                    logger.exception("stream %s: unexpected error", context.request_id)
                await self._fail(writer, error)
        finally:
            self.active_streams -= 1

    async def _fail(self, writer: StreamWriter, error: Exception) -> None:
        """Before the response started: an HTTP error. After: the protocol's error event, and no terminator."""
        if isinstance(error, DeadlineExceeded):
            problem = self._deadline_problem()
        elif isinstance(error, OSError):
            problem = Problem("upstream", f"the stream broke: {type(error).__name__}")
        else:
            problem = problem_from_error(error)
        if not writer.started:
            raise problem from error
        logger.warning("stream %s failed after it started: %s", writer.request_id, problem.message)
        await writer.fail(problem)

    def _deadline_problem(self) -> Problem:
        return Problem("timeout", f"the request took longer than the gateway's {self.server.request_timeout:g} s limit")


class _Context:
    """What one request carries through the handlers, and what its log line reports."""

    def __init__(self, request: Incoming, request_id: str, response: Responder, deadline: float) -> None:
        self.request = request
        self.request_id = request_id
        self.response = response
        self.deadline = deadline
        """On the event loop's clock."""
        self.caller: str | None = None
        self.model: str | None = None
        self.provider: str | None = None
        self.upstream_model: str | None = None
        self.outcome: str | None = None

    def served(self, provider: str | None, model: str | None) -> None:
        self.provider, self.upstream_model = provider, model

    def route_headers(self) -> list[tuple[str, str]]:
        if self.provider is None or self.upstream_model is None:
            return []
        return [("x-routeapi-provider", self.provider), ("x-routeapi-model", self.upstream_model)]

    def describe(self) -> str:
        facts = [
            f"caller={self.caller}" if self.caller else "",
            f"model={self.model}" if self.model else "",
            f"served_by={self.provider}/{self.upstream_model}" if self.provider else "",
            self.outcome or "",
        ]
        text = ", ".join(f for f in facts if f)
        return f" ({text})" if text else ""


async def _refuse(response: Responder, dialect: Dialect, problem: Problem, request_id: str) -> None:
    if response.started:  # too late for a status: end what was sent (the stream writer already reported it)
        if not response.finished:
            await response.end()
        return
    headers = [("retry-after", f"{problem.retry_after:g}")] if problem.retry_after is not None else []
    await response.json(status_for(dialect, problem), error_body(dialect, problem, request_id), headers)


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        body = _json.loads(raw)
    except ValueError:
        raise Problem("invalid_request", "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise Problem("invalid_request", f"the request body must be a JSON object, not {type(body).__name__}")
    return body  # pyright: ignore[reportUnknownVariableType]


def _model_list(dialect: Dialect, names: list[str]) -> dict[str, Any]:
    """The configured aliases in each SDK's list shape (``provider/model`` IDs work too, but are not listed)."""
    if dialect == "anthropic":
        data = [{"type": "model", "id": n, "display_name": n, "created_at": "1970-01-01T00:00:00Z"} for n in names]
        return {
            "data": data,
            "has_more": False,
            "first_id": names[0] if names else None,
            "last_id": names[-1] if names else None,
        }
    if dialect == "gemini":
        methods = ["generateContent", "streamGenerateContent"]
        return {
            "models": [{"name": f"models/{n}", "displayName": n, "supportedGenerationMethods": methods} for n in names]
        }
    return {
        "object": "list",
        "data": [{"id": n, "object": "model", "created": 0, "owned_by": "routeapi"} for n in names],
    }


def create_app(
    config: RouteConfig,
    *,
    server: ServerConfig | None = None,
    tokens: Sequence[str] = (),
    demo: bool = False,
) -> Gateway:
    """The gateway ASGI app. ``server`` holds tokens and limits (default: ``config.server`` once the configuration
    has that section, else the defaults); ``tokens`` adds tokens given in code. ``demo`` replaces the providers and
    models with the offline demo ones (and, when no token is configured, accepts ``routeapi-demo``).

    Raises ConfigurationError when no token is configured outside demo mode, or a provider lacks credentials."""
    server = server or config.server
    accepted = [*server.tokens, *(ServerToken(name=f"token-{i}", token=SecretStr(t)) for i, t in enumerate(tokens, 1))]
    upstreams = DemoUpstreams().start() if demo else None
    try:
        if upstreams is not None:
            config = upstreams.config(config)
            if not accepted:
                accepted = [ServerToken(name="demo", token=SecretStr(DEMO_TOKEN))]
        if not accepted:
            raise ConfigurationError("server.tokens: no token configured; the gateway does not run without one")
        _check_credentials(config)
    except BaseException:
        if upstreams is not None:
            upstreams.stop()
        raise
    return Gateway(config, server, TokenCheck(accepted), upstreams)


def _check_credentials(config: RouteConfig) -> None:
    """Fail at start, not at the first request, when a provider in use has no credentials."""
    names = set(config.providers)
    names.update(d.provider for m in config.models.values() for d in m.deployments)
    for name in sorted(names):
        resolve_provider(config, name)
