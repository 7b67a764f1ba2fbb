"""FakeUpstream: the vendor-neutral half of every fake (lifecycle, scripts, recording, fault execution).

A subclass names its endpoints and renders replies and errors in its vendor's wire format; this class decides
what to answer and when, so every fake injects faults the same way.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, ClassVar, cast

from typing_extensions import Self

from routeapi.testing._http import HTTPExchange, HTTPRequest, HTTPServer
from routeapi.testing._script import STREAM_ONLY_FAULTS, Fault, Reply, Step


@dataclass
class RecordedRequest:
    """One request as the fake received it. ``stream``: the fake answers it with a stream (the body's
    ``"stream": true``, or a streaming path on vendors that stream by path). ``finished`` and
    ``client_disconnected`` are filled in when the response ends (``client_disconnected``: the client closed the
    connection before the response ended)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any
    model: str | None
    started: float
    request_id: str
    stream: bool = False
    finished: float | None = None
    client_disconnected: bool = False
    _ended: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)

    def param(self, name: str) -> Any:
        """A top-level field of the JSON body; None when absent or when the body is not a JSON object."""
        body = as_object(self.json)
        return body.get(name) if body is not None else None

    def wait_finished(self, timeout: float = 1.0) -> bool:
        """Wait until the fake has finished this response (the client may have read it a moment earlier)."""
        return self._ended.wait(timeout)

    def _end(self, *, client_disconnected: bool) -> None:
        self.client_disconnected = client_disconnected
        self.finished = time.monotonic()
        self._ended.set()


JSONObject = dict[str, Any]
ReplyRenderer = Callable[[Reply, RecordedRequest, int], JSONObject]
StreamRenderer = Callable[[Reply, RecordedRequest, int], list[bytes]]
StreamErrorRenderer = Callable[[str, str, int], bytes]


@dataclass(frozen=True)
class Endpoint:
    """How a fake answers one (method, path).

    ``render`` builds the JSON body of a reply. ``render_stream`` (streaming endpoints only) builds the wire
    events of a streamed reply, each a complete event (an SSE event, or a binary frame), the last one being
    the protocol terminator. ``render_stream_error`` builds the in-stream error event from (error type, message,
    number of events sent before it), for endpoints whose error event differs from the fake's
    ``_stream_error_event``.
    A ``scripted`` endpoint consumes the model's script steps; others always answer with ``render``.
    The int passed to renderers is the request's sequence number, for ids.
    """

    render: ReplyRenderer
    render_stream: StreamRenderer | None = None
    render_stream_error: StreamErrorRenderer | None = None
    required: tuple[str, ...] = ()
    scripted: bool = True


class FakeUpstream(ABC):
    """A fake vendor API on loopback. Use as a context manager, or call ``start()`` and ``stop()``.

    A subclass sets ``vendor``, ``request_id_header`` and ``base_path`` and implements the abstract hooks
    (endpoints, key extraction, error and special stream events); replies are rendered by its endpoints.
    """

    vendor: ClassVar[str]
    request_id_header: ClassVar[str]
    base_path: ClassVar[str] = ""
    stream_content_type: ClassVar[str] = "text/event-stream; charset=utf-8"

    def __init__(self, api_key: str | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.api_key = api_key
        self._http = HTTPServer(self._handle, host, port)
        self._lock = threading.Lock()
        self._records_changed = threading.Condition(self._lock)
        self._requests: list[RecordedRequest] = []
        self._scripts: dict[str, list[Step]] = {}
        self._default_script: list[Step] = []
        self._sequence = 0

    # lifecycle

    def start(self) -> Self:
        self._http.start()
        return self

    def stop(self) -> None:
        self._http.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if not self._http.running:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._http.port

    @property
    def url(self) -> str:
        """Scheme, host and port, without the API path prefix."""
        return f"http://{self._http.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What to pass as the vendor SDK's ``base_url``."""
        return self.url + self.base_path

    # scripts and records

    def script(self, model: str, *steps: Step) -> None:
        """Requests for ``model`` consume ``steps`` in order; the last step repeats forever."""
        checked = _checked_steps(steps)
        with self._lock:
            self._scripts[model] = checked

    def script_default(self, *steps: Step) -> None:
        """Steps for every model that has no script of its own."""
        checked = _checked_steps(steps)
        with self._lock:
            self._default_script = checked

    def reset(self) -> None:
        """Forget all scripts and recorded requests."""
        with self._lock:
            self._scripts.clear()
            self._default_script = []
            self._requests.clear()
            self._sequence = 0

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._requests

    def wait_for_disconnect(self, index: int, timeout: float) -> bool:
        """Wait until request ``index`` ends; True if the client disconnected before its response ended."""
        deadline = time.monotonic() + timeout
        with self._records_changed:
            arrived = self._records_changed.wait_for(lambda: len(self._requests) > index, timeout)
            if not arrived:
                return False
            record = self._requests[index]
        record._ended.wait(max(0.0, deadline - time.monotonic()))
        return record.client_disconnected

    # for subclasses

    @abstractmethod
    def _endpoint(self, method: str, path: str) -> Endpoint | None:
        """The endpoint serving this request, or None for a 404."""

    @abstractmethod
    def _presented_key(self, headers: Mapping[str, str]) -> str | None:
        """The API key the request carries, or None."""

    @abstractmethod
    def _error_body(self, status: int, message: str, error_type: str | None) -> JSONObject:
        """An error body in the vendor's shape; ``error_type`` None means the vendor's type for ``status``."""

    @abstractmethod
    def _stream_error_event(self, error_type: str, message: str) -> bytes:
        """The protocol's in-stream error event."""

    @abstractmethod
    def _malformed_event(self) -> bytes:
        """An event the client cannot parse (for SSE: an event whose JSON is broken)."""

    def _error_headers(self, status: int, error_type: str | None) -> dict[str, str]:
        """Extra headers of an error response, for vendors that name the error in a header."""
        return {}

    def _auth_problem(self, key: str | None) -> tuple[int, str, str | None] | None:
        """Why the presented key is refused, as (status, message, error type), or None to accept it."""
        if key is None:
            return 401, "No API key provided.", None
        if self.api_key is not None and key != self.api_key:
            return 401, "Incorrect API key provided.", None
        return None

    def _validate(self, request: RecordedRequest) -> str | None:
        """A reason to answer 400 before scripts run (beyond missing required fields), or None."""
        return None

    def _model_of(self, request: HTTPRequest, body: Any) -> str | None:
        fields = as_object(body)
        model = fields.get("model") if fields is not None else None
        return model if isinstance(model, str) else None

    def _is_stream(self, request: HTTPRequest, body: Any) -> bool:
        """Whether to answer with a stream; vendors that stream by path override this."""
        fields = as_object(body)
        return fields is not None and fields.get("stream") is True

    def _request_key(self, request: RecordedRequest) -> str | None:
        """The API key ``request`` carries; override for vendors that also accept it outside the headers."""
        return self._presented_key(request.headers)

    def _route(self, request: RecordedRequest) -> Endpoint | None:
        """The endpoint serving ``request``, or None for a 404; override when the query string matters."""
        return self._endpoint(request.method, request.path)

    def _stream_content_type(self, request: RecordedRequest) -> str:
        """The content type of a streamed answer, for vendors whose stream format depends on the request."""
        return self.stream_content_type

    def _frame_stream(self, request: RecordedRequest, events: Sequence[bytes], *, complete: bool) -> list[bytes]:
        """The body chunks carrying ``events`` (from the renderers and the fault hooks): by default the events
        themselves. ``complete`` is False when a fault ends the answer early."""
        return list(events)

    async def _send_blocked(
        self, exchange: HTTPExchange, request: RecordedRequest, fault: Fault, sequence: int, streaming: bool
    ) -> None:
        """Answer ``Fault.blocked`` (the safety system refused the prompt): by default a 400 in the vendor's shape."""
        await self._send_error(exchange, request, 400, blocked_message(fault))

    def _default_reply(self) -> Reply:
        return Reply(f"Hello from fake {self.vendor}!")

    # request handling (runs on the server's event loop thread)

    async def _handle(self, exchange: HTTPExchange) -> None:
        record, sequence = self._record(exchange.request)
        try:
            await self._answer(exchange, record, sequence)
        finally:
            record._end(client_disconnected=exchange.client_disconnected)

    def _record(self, request: HTTPRequest) -> tuple[RecordedRequest, int]:
        body: Any = None
        with contextlib.suppress(ValueError):
            body = json.loads(request.body) if request.body else None
        with self._records_changed:
            self._sequence += 1
            sequence = self._sequence
            record = RecordedRequest(
                method=request.method,
                path=request.path,
                query=request.query,
                headers=request.headers,
                body=request.body,
                json=body,
                model=self._model_of(request, body),
                started=time.monotonic(),
                request_id=f"req_{sequence}",
                stream=self._is_stream(request, body),
            )
            self._requests.append(record)
            self._records_changed.notify_all()
        return record, sequence

    async def _answer(self, exchange: HTTPExchange, record: RecordedRequest, sequence: int) -> None:
        refusal = self._auth_problem(self._request_key(record))
        if refusal is not None:
            status, message, error_type = refusal
            await self._send_error(exchange, record, status, message, error_type)
            return
        endpoint = self._route(record)
        if endpoint is None:
            await self._send_error(exchange, record, 404, f"Unknown endpoint: {record.method} {record.path}")
            return
        problem = self._problem(endpoint, record)
        if problem is not None:
            await self._send_error(exchange, record, 400, problem)
            return
        if not endpoint.scripted:
            await self._send_json(exchange, record, 200, endpoint.render(self._default_reply(), record, sequence))
            return
        await self._run_step(self._next_step(record.model), exchange, record, sequence, endpoint)

    def _problem(self, endpoint: Endpoint, record: RecordedRequest) -> str | None:
        body = as_object(record.json)
        if endpoint.required or record.body:
            if body is None:
                return "The request body must be a JSON object."
            missing = [name for name in endpoint.required if name not in body]
            if missing:
                return f"Missing required parameter: '{missing[0]}'."
        return self._validate(record)

    def _next_step(self, model: str | None) -> Step:
        with self._lock:
            steps = self._scripts.get(model or "") or self._default_script
            if not steps:
                return self._default_reply()
            return steps.pop(0) if len(steps) > 1 else steps[0]

    async def _run_step(
        self, step: Step, exchange: HTTPExchange, record: RecordedRequest, sequence: int, endpoint: Endpoint
    ) -> None:
        streaming = record.stream and endpoint.render_stream is not None
        if isinstance(step, Reply):
            if streaming:
                await self._send_events(exchange, record, self._events(endpoint, step, record, sequence), end=True)
            else:
                await self._send_json(exchange, record, 200, endpoint.render(step, record, sequence))
            return
        if step.kind == "status":
            await self._send_fault_status(exchange, record, step)
        elif step.kind == "delay":
            assert step.then is not None
            if await exchange.sleep(step.seconds):
                await self._run_step(step.then, exchange, record, sequence, endpoint)
        elif step.kind == "reset":
            exchange.abort()
        elif step.kind == "blocked":
            await self._send_blocked(exchange, record, step, sequence, streaming)
        elif step.kind == "stall" and not streaming:
            await exchange.wait_connection_lost()
        elif step.kind in STREAM_ONLY_FAULTS and not streaming:
            await self._run_step(step.then or self._default_reply(), exchange, record, sequence, endpoint)
        else:
            then = step.then if isinstance(step.then, Reply) else self._default_reply()
            events = self._events(endpoint, then, record, sequence)
            await self._run_stream_fault(step, exchange, record, endpoint, events)

    async def _run_stream_fault(
        self, fault: Fault, exchange: HTTPExchange, record: RecordedRequest, endpoint: Endpoint, events: list[bytes]
    ) -> None:
        head, rest = events[: fault.after_events], events[fault.after_events :]
        if fault.kind == "stall":
            await self._send_events(exchange, record, head, end=False, complete=False)
            await exchange.wait_connection_lost()
        elif fault.kind == "cut":
            kept = events[: min(fault.after_events, len(events) - 1)]
            await self._send_events(exchange, record, kept, end=True, complete=False)
        elif fault.kind == "malformed":
            await self._send_events(exchange, record, [*head, self._malformed_event(), *rest], end=True)
        else:
            error_type = fault.error_type or "api_error"
            if endpoint.render_stream_error is not None:
                error = endpoint.render_stream_error(error_type, fault.message, len(head))
            else:
                error = self._stream_error_event(error_type, fault.message)
            await self._send_events(exchange, record, [*head, error], end=True, complete=False)

    def _events(self, endpoint: Endpoint, reply: Reply, record: RecordedRequest, sequence: int) -> list[bytes]:
        assert endpoint.render_stream is not None
        return endpoint.render_stream(reply, record, sequence)

    # response writing

    def _headers(self, record: RecordedRequest, content_type: str) -> dict[str, str]:
        return {"content-type": content_type, self.request_id_header: record.request_id}

    async def _send_json(self, exchange: HTTPExchange, record: RecordedRequest, status: int, body: Any) -> None:
        await self._send_json_with(exchange, record, status, body, {})

    async def _send_json_with(
        self,
        exchange: HTTPExchange,
        record: RecordedRequest,
        status: int,
        body: Any,
        headers: Mapping[str, str],
    ) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode()
        await exchange.respond(status, {**self._headers(record, "application/json"), **headers}, payload)

    async def _send_error(
        self, exchange: HTTPExchange, record: RecordedRequest, status: int, message: str, error_type: str | None = None
    ) -> None:
        body = self._error_body(status, message, error_type)
        headers = {"x-should-retry": "false", **self._error_headers(status, error_type)}
        await self._send_json_with(exchange, record, status, body, headers)

    async def _send_fault_status(self, exchange: HTTPExchange, record: RecordedRequest, fault: Fault) -> None:
        headers = {"x-should-retry": "false", **(fault.headers or {})}
        if isinstance(fault.body, bytes):  # e.g. an HTML page from a proxy in front of the API
            raw_headers = {**self._headers(record, "text/plain; charset=utf-8"), **headers}
            await exchange.respond(fault.status_code, raw_headers, fault.body)
            return
        body = fault.body
        if body is None:
            body = self._error_body(fault.status_code, fault.message, fault.error_type)
        headers = {**self._error_headers(fault.status_code, fault.error_type), **headers}
        await self._send_json_with(exchange, record, fault.status_code, body, headers)

    async def _send_events(
        self,
        exchange: HTTPExchange,
        record: RecordedRequest,
        events: Sequence[bytes],
        *,
        end: bool,
        complete: bool = True,
    ) -> None:
        headers = {**self._headers(record, self._stream_content_type(record)), "cache-control": "no-cache"}
        await exchange.start_stream(200, headers)
        for chunk in self._frame_stream(record, events, complete=complete):
            await exchange.send_chunk(chunk)
        if end:
            await exchange.end_stream()


def _checked_steps(steps: Sequence[Step]) -> list[Step]:
    if not steps:
        raise ValueError("a script needs at least one step")
    for step in steps:
        if not isinstance(step, (Reply, Fault)):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(f"script steps are Reply or Fault, got {type(step).__name__}")
        if isinstance(step, Fault) and step.kind == "delay" and step.then is None:
            raise ValueError("Fault.delay needs a `then` step")
    return list(steps)


def blocked_message(fault: Fault) -> str:
    """The error text of a ``Fault.blocked``: the script's message, else a neutral one naming the reason."""
    return fault.message or f"The prompt was blocked by the provider's safety system (reason: {fault.reason})."


def as_object(value: Any) -> dict[str, Any] | None:
    """``value`` typed as a JSON object, or None when it is something else."""
    return cast("dict[str, Any]", value) if isinstance(value, dict) else None


def as_list(value: Any) -> list[Any] | None:
    """``value`` typed as a JSON array, or None when it is something else."""
    return cast("list[Any]", value) if isinstance(value, list) else None


def sse_event(payload: Mapping[str, Any] | str, event: str | None = None) -> bytes:
    """One SSE event: an optional ``event:`` line and one ``data:`` line (JSON unless given as text)."""
    data = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    head = f"event: {event}\n" if event is not None else ""
    return f"{head}data: {data}\n\n".encode()
