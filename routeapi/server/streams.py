"""Streamed answers: each protocol's framing, and the loop that moves upstream items to the client while watching
for the client leaving, the deadline, and silences that need a keep-alive."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from ..errors import RouteError
from ..faces._streaming import AsyncPayloads
from . import _json
from ._asgi import ClientGone, Headers, Receive, Responder, wait_for_disconnect
from .problems import Dialect, Problem, error_body

_T = TypeVar("_T")

SSE_CONTENT_TYPE = "text/event-stream; charset=utf-8"
_STREAM_HEADERS: Headers = [("cache-control", "no-cache"), ("x-accel-buffering", "no")]


class DeadlineExceeded(Exception):
    pass


class Watch:
    """Runs awaitables on behalf of one request: each is cancelled at once, and awaited until it has cleaned up,
    when the client disconnects (:class:`ClientGone`) or the request's deadline passes (:class:`DeadlineExceeded`).
    ``on_silence``, when given, runs after every ``interval`` seconds without a result."""

    def __init__(self, receive: Receive, deadline: float, interval: float) -> None:
        self._loop = asyncio.get_running_loop()
        self._deadline = deadline
        self._interval = interval
        self._gone = asyncio.ensure_future(wait_for_disconnect(receive))
        self.on_silence: Callable[[], Awaitable[None]] | None = None

    async def run(self, awaitable: Awaitable[_T]) -> _T:
        task = asyncio.ensure_future(awaitable)
        try:
            while True:
                remaining = self._deadline - self._loop.time()
                if remaining <= 0:
                    raise DeadlineExceeded
                timeout = remaining if self.on_silence is None else min(remaining, self._interval)
                done, _ = await asyncio.wait({task, self._gone}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                if task in done:
                    return task.result()
                if self._gone in done:
                    raise ClientGone
                if self.on_silence is not None and self._loop.time() < self._deadline:
                    await self.on_silence()
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    def close(self) -> None:
        self._gone.cancel()


class StreamWriter:
    """Frames one protocol's stream payloads. The success terminator is written only by :meth:`finish`; a failure
    after the response started becomes the protocol's error event, and the stream then ends without terminator."""

    content_type = SSE_CONTENT_TYPE

    def __init__(self, response: Responder, dialect: Dialect, request_id: str) -> None:
        self.response = response
        self.request_id = request_id
        self._dialect: Dialect = dialect

    @property
    def started(self) -> bool:
        return self.response.started

    async def start(self) -> None:
        if not self.response.started:
            await self.response.start(200, self.content_type, _STREAM_HEADERS)

    async def send(self, payload: dict[str, Any]) -> None:
        await self.start()
        await self.response.write(self._frame(payload))

    async def keep_alive(self) -> None:
        """Called after a silence; protocols without a keep-alive event send nothing."""

    async def finish(self) -> None:
        await self.start()
        await self.response.end(self._terminator())

    async def fail(self, problem: Problem) -> None:
        await self.start()
        await self.response.end(self._frame(error_body(self._dialect, problem, self.request_id)))

    def _frame(self, payload: dict[str, Any]) -> bytes:
        return b"data: " + _json.dumps(payload) + b"\n\n"

    def _terminator(self) -> bytes:
        return b""


class OpenAIStreamWriter(StreamWriter):
    def _terminator(self) -> bytes:
        return b"data: [DONE]\n\n"


class AnthropicStreamWriter(StreamWriter):
    """``event: <type>`` before each payload; ``message_stop`` (from the translator) is the terminator."""

    _PING = b'event: ping\ndata: {"type": "ping"}\n\n'

    async def keep_alive(self) -> None:
        await self.start()
        await self.response.write(self._PING)

    def _frame(self, payload: dict[str, Any]) -> bytes:
        kind = str(payload.get("type", "error"))
        return b"event: " + kind.encode() + b"\ndata: " + _json.dumps(payload) + b"\n\n"


class ResponsesStreamWriter(StreamWriter):
    """Responses API events: ``event: <type>`` before each payload, no terminator beyond ``response.completed``
    (which the translator sends). A failure is an ``error`` event the openai SDK raises on."""

    def _frame(self, payload: dict[str, Any]) -> bytes:
        kind = str(payload.get("type", "error"))
        return b"event: " + kind.encode() + b"\ndata: " + _json.dumps(payload) + b"\n\n"

    async def fail(self, problem: Problem) -> None:
        await self.start()
        body: dict[str, Any] = error_body(self._dialect, problem, self.request_id)
        error: dict[str, Any] = body.get("error") or {}
        event: dict[str, Any] = {"type": "error", "code": error.get("code"), "message": error.get("message"), **body}
        await self.response.end(self._frame(event))


class GeminiArrayWriter(StreamWriter):
    """``streamGenerateContent`` without ``alt=sse``: one JSON array written element by element. An error becomes
    the last element and the array is left unclosed, so no JSON parser can take it for a complete answer."""

    content_type = "application/json; charset=utf-8"

    def __init__(self, response: Responder, dialect: Dialect, request_id: str) -> None:
        super().__init__(response, dialect, request_id)
        self._elements = 0

    def _frame(self, payload: dict[str, Any]) -> bytes:
        self._elements += 1
        return (b"[" if self._elements == 1 else b",\r\n") + _json.dumps(payload)

    def _terminator(self) -> bytes:
        return b"]" if self._elements else b"[]"


def writer_for(
    dialect: Dialect, response: Responder, request_id: str, *, sse: bool = True, face: str = ""
) -> StreamWriter:
    if face == "openai_responses":
        return ResponsesStreamWriter(response, dialect, request_id)
    if dialect == "openai":
        return OpenAIStreamWriter(response, dialect, request_id)
    if dialect == "anthropic":
        return AnthropicStreamWriter(response, dialect, request_id)
    return StreamWriter(response, dialect, request_id) if sse else GeminiArrayWriter(response, dialect, request_id)


_END: Any = object()


async def relay(flow: AsyncPayloads, writer: StreamWriter, watch: Watch) -> None:
    """Everything after the first content: the stream's payloads (a continuation's too, when the call continues
    broken streams), then the terminator. The upstream stream is closed on every way out, the client leaving
    included. Errors propagate: a break after content is a :class:`StreamInterrupted` with the partial answer."""
    payloads = flow.iterate()
    try:
        while True:
            payload = await watch.run(anext(payloads, _END))
            if payload is _END:
                break
            await writer.send(payload)
        await writer.finish()
    except RouteError as error:
        scrub = flow.opened.scrub
        if scrub is not None:
            scrub(error)  # the provider's secrets never reach the caller or the logs
        raise
    finally:
        await payloads.aclose()
