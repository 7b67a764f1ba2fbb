"""The gateway as an ASGI application: authentication, limits and request IDs around the shared ``Caller``."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any

from pydantic import SecretStr

from .. import ir
from .._route import RouteInfo
from ..config import RouteConfig, resolve_provider
from ..errors import ConfigurationError, ProtocolError, RouteError
from ..faces._calls import Caller, CallSpec, new_request_id
from ..faces._exchange import Exchange
from ..faces._streaming import AsyncOpened, AsyncPayloads
from ..routing.engine import CallState
from ..routing.targets import Target
from . import _json
from ._asgi import BodyTooLarge, ClientGone, Incoming, Receive, Responder, Scope, Send, read_body
from .auth import presented_token
from .config import ServerConfig, ServerToken
from .counters import Counters, MemoryCounters, open_counters
from .demo import DEMO_TOKEN, DemoUpstreams
from .health_redis import RedisHealthBackend
from .limits import Admission, Limiter
from .problems import Dialect, Problem, error_body, problem_from_error, status_for
from .routes import ChatCall, Endpoint, chat_call, guess_dialect, resolve
from .settings import StorageSettings
from .store import Store, UsageRecord, open_store
from .streams import DeadlineExceeded, StreamWriter, Watch, relay, writer_for
from .tokens import Authenticator, Identity
from .usage import UsageWriter

logger = logging.getLogger("routeapi.server")

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
_CLIENT_CLOSED = 499  # nginx's convention, for the log and the usage records
_DEFAULT_OUTPUT_RESERVATION = 1024  # tokens reserved for a request that sets no max output tokens
_BYTES_PER_TOKEN = 4  # a prompt's tokens estimated from its size, until the provider counts them
# Collects the RouteInfo of the call made on behalf of the current request (its attempts, even when it fails).
_ROUTES: ContextVar[list[RouteInfo] | None] = ContextVar("routeapi_gateway_routes", default=None)


class _GatewayCaller(Caller):
    """The shared Caller, telling the request handler about each call's RouteInfo as soon as the call starts."""

    def _start(self, spec: CallSpec) -> tuple[list[Target], CallState, RouteInfo]:
        targets, state, route = super()._start(spec)
        routes = _ROUTES.get()
        if routes is not None:
            routes.append(route)
        return targets, state, route


class Gateway:
    """One instance per worker process. Create it with :func:`create_app`."""

    def __init__(
        self,
        config: RouteConfig,
        server: ServerConfig,
        tokens: Authenticator,
        demo: DemoUpstreams | None = None,
        *,
        store: Store | None = None,
        counters: Counters | None = None,
        storage: StorageSettings | None = None,
    ) -> None:
        self.config = config
        self.server = server
        # With Redis, circuit breakers are shared by every replica; otherwise each process keeps its own.
        health = RedisHealthBackend(storage.redis) if storage is not None and storage.redis else None
        self.caller = _GatewayCaller(config, health=health)
        self._tokens = tokens
        self._demo = demo
        self.store = store
        storage = storage or StorageSettings()
        self.usage = (
            UsageWriter(
                store,
                flush_interval=storage.usage_flush_interval,
                batch_size=storage.usage_batch_size,
                queue_limit=storage.usage_queue_limit,
            )
            if store is not None
            else None
        )
        self.counters = counters or MemoryCounters()
        self.limiter = Limiter(self.counters, store.spent if store is not None else None)
        self.active_requests = 0
        self.active_streams = 0
        self.draining = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def startup(self) -> None:
        """Bring the database schema up to date (every replica may; one migrates at a time)."""
        if self.store is not None:
            version = await self.store.migrate()
            logger.info("database %s at schema version %d", self.store.where, version)
        if self.usage is not None:
            self.usage.start()

    async def aclose(self) -> None:
        """Write the queued usage records, close the database, Redis and every upstream connection pool, and stop
        the demo upstreams."""
        self.draining = True
        if self.usage is not None:
            await self.usage.aclose()
        if self.store is not None:
            await self.store.close()
        await self.counters.aclose()
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
                try:
                    await self.startup()
                except Exception as error:
                    logger.exception("the gateway could not start")
                    await send({"type": "lifespan.startup.failed", "message": f"{type(error).__name__}: {error}"})
                    return
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
            context.error_type = "client_disconnected"
        except Problem as problem:
            problem = context.discreet(problem)
            context.error_type = context.error_type or problem.kind
            await _refuse(response, dialect, problem, request_id)
        except Exception:
            logger.exception("request %s: unexpected error", request_id)
            context.error_type = "internal"
            await _refuse(response, dialect, Problem("internal", "internal error in the gateway"), request_id)
        finally:
            status = response.status if response.finished else _CLIENT_CLOSED
            if status == _CLIENT_CLOSED and context.error_type is None:
                context.error_type = "client_disconnected"
            elapsed = (time.monotonic() - started) * 1000
            await self._account(context, status or _CLIENT_CLOSED, elapsed)
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
        identity = await self._tokens.identify(presented_token(context.request))
        if identity is None:
            raise Problem("authentication", "missing or invalid routeapi token")
        context.identity, context.caller = identity, identity.name
        if endpoint.kind == "models":
            names = sorted(m for m in self.config.models if identity.may_call(m))
            await context.response.json(200, _model_list(endpoint.dialect, names))
            return
        if endpoint.kind == "not_implemented":
            raise Problem("not_implemented", f"{endpoint.feature} is not supported by this gateway yet")
        if self.active_requests >= self.server.max_concurrent_requests:
            raise Problem("rate_limited", "the gateway is at its concurrent request limit", retry_after=1)
        self.active_requests += 1
        context.protocol = endpoint.face or _FACE_OF[endpoint.dialect]
        context.recorded = self.usage is not None
        try:
            if endpoint.kind == "embeddings":
                await self._embed(endpoint, context, receive)
            else:
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

    async def _body(self, receive: Receive, context: _Context) -> bytes:
        """The request body, within the size limit and, against slowly dripped bodies, the body deadline."""
        limit, deadline = self.server.max_body_bytes, self.server.body_timeout
        try:
            return await asyncio.wait_for(read_body(receive, context.request.headers, limit), deadline)
        except BodyTooLarge:
            raise Problem(
                "too_large", f"the request body is larger than the gateway's limit of {limit} bytes"
            ) from None
        except asyncio.TimeoutError:
            message = f"the request body did not arrive within {deadline:g} s"
            context.response.add_header("connection", "close")  # the rest of that body must not read as a request
            raise Problem("invalid_request", message, status=408, code="request_timeout") from None

    # -- chat ----------------------------------------------------------------------------------------------
    async def _chat(self, endpoint: Endpoint, context: _Context, receive: Receive) -> None:
        request = context.request
        raw = await self._body(receive, context)
        body = _json_object(raw)
        call = chat_call(endpoint, request, body)
        context.model, context.streamed, context.protocol = call.model, call.streamed, call.face
        exchange = Exchange(call.face, body)
        try:
            parsed = exchange.request()  # validates the body in its protocol, whichever route it takes
        except ProtocolError as error:
            raise Problem("invalid_request", error.message) from None
        identity = context.identity
        assert identity is not None
        if not identity.may_call(call.model):
            raise Problem("not_found", _no_such_model(call.model), code="model_not_found")
        if _limited(identity):
            context.admission = await self.limiter.admit(identity, call.model, _reservation(len(raw), parsed))
        _ROUTES.set(context.routes)
        spec = CallSpec(call.model, request_id=context.request_id)
        watch = Watch(receive, context.deadline, self.server.ping_interval)
        try:
            if call.streamed:
                await self._stream(endpoint.dialect, call, exchange, spec, context, watch)
            else:
                await self._complete(exchange, spec, context, watch)
        finally:
            watch.close()

    async def _embed(self, endpoint: Endpoint, context: _Context, receive: Receive) -> None:
        """``/v1/embeddings`` (OpenAI) and Gemini's ``:embedContent`` / ``:batchEmbedContents``, to any provider."""
        from ..faces.embeddings import EmbeddingExchange, aembed
        from ..protocols.embeddings import GeminiEmbeddingsCodec, OpenAIEmbeddingsCodec

        raw = await self._body(receive, context)
        body = _json_object(raw)
        single = endpoint.feature == "single"
        if endpoint.dialect == "gemini":
            model, face = endpoint.model or "", GeminiEmbeddingsCodec(single=single)
        else:
            requested = body.get("model")
            model, face = (requested if isinstance(requested, str) else ""), OpenAIEmbeddingsCodec()
        context.model = model
        try:
            exchange = EmbeddingExchange.of(face, body, model=model)
        except ProtocolError as error:
            raise Problem("invalid_request", error.message) from None
        identity = context.identity
        assert identity is not None
        if not identity.may_call(model):
            raise Problem("not_found", _no_such_model(model), code="model_not_found")
        _ROUTES.set(context.routes)
        watch = Watch(receive, context.deadline, self.server.ping_interval)
        try:
            data, route = await watch.run(aembed(self.caller, exchange, CallSpec(model, request_id=context.request_id)))
        except DeadlineExceeded:
            raise self._deadline_problem() from None
        except RouteError as error:
            raise problem_from_error(error) from error
        finally:
            watch.close()
        if single and "embeddings" in data:  # the upstream answered the batch form
            vectors: list[Any] = data["embeddings"] or [{}]
            data = {"embedding": vectors[0]}
        context.served(route.provider, route.model)
        await context.response.json(200, data, context.route_headers())

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
            context.first_content = time.monotonic()
            context.served(route.provider, route.model)
            for name, value in context.route_headers():
                context.response.add_header(name, value)
            flow = AsyncPayloads(opened, route)
            try:
                await writer.start()  # the upstream answered: the caller sees 200 now, even before a payload
                await relay(flow, writer, watch)
                self._stream_ended(flow.opened, route, None)
            except ClientGone:
                self._stream_ended(flow.opened, route, None)
                raise
            except Exception as error:
                self._stream_ended(flow.opened, route, error)
                if not isinstance(error, (RouteError, DeadlineExceeded, OSError)):
                    logger.exception("stream %s: unexpected error", context.request_id)
                context.error_type = await self._fail(writer, error)
        finally:
            self.active_streams -= 1

    def _stream_ended(self, opened: AsyncOpened, route: RouteInfo, error: BaseException | None) -> None:
        """Telemetry and usage of a stream that ended, completely or not (then with the usage it had so far)."""
        if opened.on_end is not None:
            opened.on_end(error)
            opened.on_end = None
        self.caller.account_partial(route, opened.translator.partial())

    async def _fail(self, writer: StreamWriter, error: Exception) -> str:
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
        return problem.kind

    async def _account(self, context: _Context, status: int, elapsed_ms: float) -> None:
        """The request's usage record, and its tokens and cost against its limits. Never raises."""
        route = context.routes[-1] if context.routes else None
        usage = route.usage if route is not None else None
        cost = route.cost if route is not None else None
        if context.admission is not None:
            # A failure that reached no upstream used nothing; an answer without usage keeps its reservation.
            used = usage.input_tokens + usage.output_tokens if usage is not None else None
            if used is None and context.error_type is not None and (route is None or route.provider is None):
                used = 0
            try:
                await self.limiter.settle(context.admission, used, cost)
            except Exception as error:
                logger.error("request %s: settling limits failed: %s", context.request_id, type(error).__name__)
        if self.usage is None or not context.recorded:
            return
        first = context.first_content
        self.usage.record(
            UsageRecord(
                request_id=context.request_id,
                token=context.caller,
                protocol=context.protocol,
                requested_model=context.model,
                provider=_served_provider(route),
                served_model=_served_model(route),
                streamed=context.streamed,
                attempts=_attempts(route),
                status=status,
                error_type=context.error_type,
                latency_ms=round(elapsed_ms, 3),
                ttft_ms=round((first - context.monotonic_start) * 1000, 3) if first is not None else None,
                input_tokens=usage.input_tokens if usage is not None else None,
                output_tokens=usage.output_tokens if usage is not None else None,
                cached_tokens=usage.cache_read_tokens if usage is not None else None,
                reasoning_tokens=usage.reasoning_tokens if usage is not None else None,
                cost_usd=cost,
                started_at=context.started_at,
                day=time.strftime("%Y-%m-%d", time.gmtime(context.started_at)),
            )
        )

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
        self.started_at = time.time()
        self.monotonic_start = time.monotonic()
        self.caller: str | None = None
        self.identity: Identity | None = None
        self.model: str | None = None
        self.provider: str | None = None
        self.upstream_model: str | None = None
        self.outcome: str | None = None
        # What the usage record and the limits need.
        self.recorded = False
        self.protocol = ""
        self.streamed = False
        self.routes: list[RouteInfo] = []
        self.first_content: float | None = None
        """``time.monotonic()`` when a stream's first content was ready."""
        self.error_type: str | None = None
        self.admission: Admission | None = None

    def discreet(self, problem: Problem) -> Problem:
        """A token limited to some models must not learn the others' names (the unknown-model message lists the
        configured aliases)."""
        restricted = self.identity is not None and self.identity.models is not None
        if restricted and problem.code == "model_not_found":
            return Problem("not_found", _no_such_model(self.model or ""), code="model_not_found")
        return problem

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


_FACE_OF: dict[Dialect, str] = {"openai": "openai_chat", "anthropic": "anthropic_messages", "gemini": "gemini"}


def _no_such_model(model: str) -> str:
    # The same words whether the model is unknown or not allowed: a token learns nothing about other models.
    return f"The model {model!r} does not exist or you do not have access to it."


def _limited(identity: Identity) -> bool:
    return bool(identity.rpm or identity.tpm or identity.model_limits or identity.budget_usd is not None)


def _reservation(body_size: int, request: ir.Request) -> int:
    """Tokens reserved before the call: the prompt estimated from its size, plus the most it may generate."""
    limit = request.settings.max_tokens
    output = limit if isinstance(limit, int) else _DEFAULT_OUTPUT_RESERVATION
    return body_size // _BYTES_PER_TOKEN + output


def _served_provider(route: RouteInfo | None) -> str | None:
    if route is None:
        return None
    if route.provider is None and route.failed_attempts:
        return route.failed_attempts[-1].provider
    return route.provider


def _served_model(route: RouteInfo | None) -> str | None:
    if route is None:
        return None
    if route.model is None and route.failed_attempts:
        return route.failed_attempts[-1].model
    return route.model


def _attempts(route: RouteInfo | None) -> int:
    """Every upstream attempt: the failed ones, plus the one that answered."""
    if route is None:
        return 0
    answered = route.provider is not None and not any(
        a.provider == route.provider and a.model == route.model for a in route.failed_attempts[-1:]
    )
    return len(route.failed_attempts) + (1 if answered else 0)


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
    storage: StorageSettings | None = None,
) -> Gateway:
    """The gateway ASGI app. ``server`` holds tokens and limits (default: ``config.server`` once the configuration
    has that section, else the defaults); ``tokens`` adds tokens given in code. ``demo`` replaces the providers and
    models with the offline demo ones (and, when no token is configured, accepts ``routeapi-demo``). ``storage``
    (default: ``server.storage`` when the configuration has it) enables managed tokens and usage records in its
    database, and shares limit counters through its Redis; without it there are neither, and counters are in memory.

    Raises ConfigurationError when no token is configured outside demo mode, or a provider lacks credentials."""
    server = server or config.server
    storage = storage or getattr(server, "storage", None)
    accepted = [*server.tokens, *(ServerToken(name=f"token-{i}", token=SecretStr(t)) for i, t in enumerate(tokens, 1))]
    upstreams = DemoUpstreams().start() if demo else None
    try:
        if upstreams is not None:
            config = upstreams.config(config)
            if not accepted:
                accepted = [ServerToken(name="demo", token=SecretStr(DEMO_TOKEN))]
        if not accepted and storage is None:
            raise ConfigurationError(
                "server.tokens: no token configured and no database for managed tokens; the gateway does not run "
                "without one"
            )
        _check_credentials(config)
        store = open_store(storage.database) if storage is not None else None
        counters = open_counters(storage.redis) if storage is not None else None
    except BaseException:
        if upstreams is not None:
            upstreams.stop()
        raise
    ttl = storage.token_cache_ttl if storage is not None else 2.0
    tokens_check = Authenticator(accepted, store, cache_ttl=ttl)
    return Gateway(config, server, tokens_check, upstreams, store=store, counters=counters, storage=storage)


def _check_credentials(config: RouteConfig) -> None:
    """Fail at start, not at the first request, when a provider in use has no credentials."""
    names = set(config.providers)
    names.update(d.provider for m in config.models.values() for d in m.deployments)
    for name in sorted(names):
        resolve_provider(config, name)
