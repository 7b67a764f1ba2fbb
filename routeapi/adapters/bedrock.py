"""AWS Bedrock Runtime (Converse / ConverseStream, and invoke_model for embeddings), through ``boto3``.

boto3 is blocking. The async path runs each blocking step (the call, then each ``next()`` on an event stream) in a
dedicated, bounded thread pool (``max_concurrency`` threads, 64 by default), so the event loop never blocks and a slow
stream holds a thread only while it waits for bytes. botocore's own retries are off: routeapi's are the only ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import os
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from types import MappingProxyType
from typing import Any, TypeVar, cast

from .. import errors
from ..config import ProviderConfig, TimeoutConfig
from ..errors import ProtocolError
from ._log_redaction import redact_logs
from .base import CallOptions, Operation, RawResponse

REQUEST_ID_HEADER = "X-Request-ID"
_T = TypeVar("_T")
_END: Any = object()

# botocore builds and signs requests in its own call stack: the per-call headers reach its event hook this way.
_NO_HEADERS: Mapping[str, str] = MappingProxyType({})
_call_headers: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "routeapi_bedrock_headers", default=_NO_HEADERS
)


def _add_call_headers(request: Any, **_: Any) -> None:
    for name, value in _call_headers.get().items():
        request.headers[name] = value


_SDK_LOGGERS = ("botocore", "boto3", "urllib3")
_BEARER_ENV = "AWS_BEARER_TOKEN_BEDROCK"  # a Bedrock API key, which botocore sends as a bearer token


def _credentials(session: Any, config: ProviderConfig) -> list[str]:
    """Every credential a client may send: the configured ones, what the AWS chain found, a Bedrock API key."""
    configured = (config.api_key, config.aws_access_key_id, config.aws_secret_access_key, config.aws_session_token)
    found = [value.get_secret_value() for value in configured if value is not None]
    with contextlib.suppress(Exception):  # a chain that fails here fails the first call too, with a proper error
        credentials = session.get_credentials()
        if credentials is not None:
            frozen = credentials.get_frozen_credentials()
            found += [v for v in (frozen.access_key, frozen.secret_key, frozen.token) if v]
    bearer = os.environ.get(_BEARER_ENV)
    if bearer:
        found.append(bearer)
    return found


class BedrockAdapter:
    protocol = "bedrock_converse"

    def __init__(self, provider: str, config: ProviderConfig, timeouts: TimeoutConfig) -> None:
        self.provider = provider
        self._config = config
        self._timeouts = timeouts
        self._client: Any = None
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def _boto(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._new_client()
        return self._client

    def _new_client(self) -> Any:
        import boto3
        from botocore.config import Config

        config = self._config

        def secret(value: Any) -> str | None:
            return value.get_secret_value() if value is not None else None

        session = boto3.session.Session(
            aws_access_key_id=secret(config.aws_access_key_id),
            aws_secret_access_key=secret(config.aws_secret_access_key),
            aws_session_token=secret(config.aws_session_token),
            profile_name=config.profile,
            region_name=config.region,
        )
        client = session.client(
            "bedrock-runtime",
            endpoint_url=config.endpoint_url or config.base_url,
            config=Config(
                retries={"total_max_attempts": 1, "mode": "standard"},
                connect_timeout=self._timeouts.connect,
                read_timeout=config.timeout or self._timeouts.request,
                max_pool_connections=config.max_concurrency,
            ),
        )
        client.meta.events.register("before-send.bedrock-runtime.*", _add_call_headers)
        redact_logs(_SDK_LOGGERS, _credentials(session, config))
        return client

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(self._config.max_concurrency, thread_name_prefix="routeapi-bedrock")
        return self._pool

    async def _in_thread(self, fn: Callable[[], _T]) -> _T:
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(self._executor(), context.run, fn)

    # -- calls ---------------------------------------------------------------------------------------------
    def _call(self, operation: Operation, body: dict[str, Any], options: CallOptions, *, stream: bool) -> Any:
        if operation != "chat":
            raise errors.UnsupportedFeature(f"{self.provider}: {operation} is not routed through Converse")
        token = _call_headers.set({REQUEST_ID_HEADER: options.request_id, **options.headers})
        try:
            client = self._boto()
            return client.converse_stream(**body) if stream else client.converse(**body)
        except Exception as exc:
            raise self.map_error(exc) from exc
        finally:
            _call_headers.reset(token)

    def _invoke_each(self, body: dict[str, Any], options: CallOptions) -> RawResponse:
        """Embeddings: ``{"modelId", "bodies": [...]}`` -> one ``invoke_model`` per body, in order (Titan embeds one
        text per call). The answer is ``{"responses": [parsed bodies...]}`` with the last call's headers."""
        token = _call_headers.set({REQUEST_ID_HEADER: options.request_id, **options.headers})
        try:
            client = self._boto()
            responses: list[Any] = []
            metadata: dict[str, Any] = {}
            for invoke_body in body["bodies"]:
                answer = client.invoke_model(
                    modelId=body["modelId"],
                    body=json.dumps(invoke_body),
                    contentType="application/json",
                    accept="application/json",
                )
                responses.append(json.loads(answer["body"].read()))
                metadata = answer.get("ResponseMetadata") or {}
        except Exception as exc:
            raise self.map_error(exc) from exc
        finally:
            _call_headers.reset(token)
        headers: dict[str, str] = dict(metadata.get("HTTPHeaders") or {})
        return RawResponse.from_data({"responses": responses}, headers, metadata.get("RequestId"))

    def send(self, operation: Operation, body: dict[str, Any], options: CallOptions) -> RawResponse:
        if operation == "embeddings":
            return self._invoke_each(body, options)
        return _raw(self._call(operation, body, options, stream=False))

    async def asend(self, operation: Operation, body: dict[str, Any], options: CallOptions) -> RawResponse:
        if operation == "embeddings":
            return await self._in_thread(lambda: self._invoke_each(body, options))
        return _raw(await self._in_thread(lambda: self._call(operation, body, options, stream=False)))

    def stream(self, operation: Operation, body: dict[str, Any], options: CallOptions) -> EventStream:
        return EventStream(self, self._call(operation, body, options, stream=True))

    async def astream(self, operation: Operation, body: dict[str, Any], options: CallOptions) -> AsyncEventStream:
        response = await self._in_thread(lambda: self._call(operation, body, options, stream=True))
        return AsyncEventStream(EventStream(self, response))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None

    async def aclose(self) -> None:
        self.close()

    # -- errors --------------------------------------------------------------------------------------------
    def map_error(self, exc: BaseException) -> BaseException:
        from botocore import eventstream
        from botocore import exceptions as boto_errors

        if isinstance(exc, errors.RouteError):
            return exc
        if isinstance(exc, boto_errors.ClientError):
            from ..protocols.bedrock_converse import error_from_code

            response = cast("dict[str, Any]", getattr(exc, "response", None) or {})
            error: dict[str, Any] = response.get("Error") or {}
            metadata: dict[str, Any] = response.get("ResponseMetadata") or {}
            headers: dict[str, str] = dict(metadata.get("HTTPHeaders") or {})
            status: int | None = metadata.get("HTTPStatusCode")
            mapped = error_from_code(
                str(error.get("Code") or "InternalServerException"), str(error.get("Message") or exc), status, headers
            )
            mapped.provider = self.provider
            mapped.upstream_request_id = metadata.get("RequestId") or headers.get("x-amzn-requestid")
            return mapped
        name = type(exc).__name__
        timeouts = (boto_errors.ReadTimeoutError, boto_errors.ConnectTimeoutError)
        if isinstance(exc, timeouts) or name == "ReadTimeoutError":  # urllib3's, unwrapped mid-stream
            return errors.Timeout(f"{self.provider}: the upstream did not answer in time", provider=self.provider)
        if isinstance(exc, (boto_errors.ConnectionError, boto_errors.HTTPClientError)) or name == "ProtocolError":
            return errors.ConnectionError(f"{self.provider}: connection to the upstream failed", provider=self.provider)
        if isinstance(exc, eventstream.ParserError):
            return ProtocolError(f"{self.provider}: malformed event stream ({name})", provider=self.provider)
        return exc


def _raw(data: dict[str, Any]) -> RawResponse:
    metadata: dict[str, Any] = data.get("ResponseMetadata") or {}
    headers: dict[str, str] = dict(metadata.get("HTTPHeaders") or {})
    return RawResponse.from_data(data, headers, metadata.get("RequestId"))


class EventStream:
    """ConverseStream events as boto3 yields them (``{"contentBlockDelta": {...}}``); errors mapped."""

    def __init__(self, adapter: BedrockAdapter, response: dict[str, Any]) -> None:
        self._adapter = adapter
        self._events: Any = response["stream"]
        metadata: dict[str, Any] = response.get("ResponseMetadata") or {}
        self.upstream_request_id: str | None = metadata.get("RequestId")

    def __iter__(self) -> Iterator[dict[str, Any]]:
        try:
            yield from self._events
        except Exception as exc:
            raise self._adapter.map_error(exc) from exc

    def next_event(self, iterator: Iterator[dict[str, Any]]) -> Any:
        try:
            return next(iterator, _END)
        except Exception as exc:
            raise self._adapter.map_error(exc) from exc

    def close(self) -> None:
        self._events.close()

    def interrupt(self) -> None:
        """Called from another thread (a stream guard): end a read blocked on the socket at once."""
        raw = getattr(self._events, "_raw_stream", None)
        connection = getattr(raw, "connection", None) or getattr(raw, "_connection", None)
        sock = getattr(connection, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.close()


class AsyncEventStream:
    """The same stream with each blocking read done in the adapter's thread pool."""

    def __init__(self, stream: EventStream) -> None:
        self._stream = stream
        self.upstream_request_id = stream.upstream_request_id

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        iterator = iter(self._stream._events)
        while True:
            event = await self._stream._adapter._in_thread(lambda: self._stream.next_event(iterator))
            if event is _END:
                return
            yield event

    async def aclose(self) -> None:
        await self._stream._adapter._in_thread(self._stream.close)
