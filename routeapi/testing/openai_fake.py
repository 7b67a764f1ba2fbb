"""FakeOpenAI: Chat Completions and Responses (plain and streamed), Embeddings and the model list, in OpenAI's wire
format."""

from __future__ import annotations

import base64
import hashlib
import math
import struct
import time
from collections.abc import Mapping
from typing import Any, ClassVar

from routeapi.testing._base import (
    Endpoint,
    FakeUpstream,
    JSONObject,
    RecordedRequest,
    as_list,
    as_object,
    blocked_message,
    sse_event,
)
from routeapi.testing._http import HTTPExchange
from routeapi.testing._script import Fault, Reply, ToolCall

_WIRE_FINISH = {
    "stop": "stop",
    "stop_sequence": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
}
_ERROR_CODES = {401: "invalid_api_key", 429: "rate_limit_exceeded"}
_LISTED_MODELS = ("gpt-4o", "gpt-4o-mini", "text-embedding-3-small")
# Responses API: finish reasons that end a response as `incomplete`, with the reason it reports.
_INCOMPLETE_REASONS = {"length": "max_output_tokens", "content_filter": "content_filter"}


class FakeOpenAI(FakeUpstream):
    """A fake ``https://api.openai.com/v1``. Auth: ``Authorization: Bearer <key>`` or ``api-key: <key>``.

    With ``n`` > 1 (``Reply.n``, else the request's ``n``) every choice carries the reply; streamed choices are
    interleaved chunk by chunk, as the real API does. ``Reply.extra`` is merged into the body (every chunk when
    streaming).

    ``POST /v1/responses`` (Responses API) renders a reply as output items in order: a reasoning item (summary =
    ``thinking``, ``encrypted_content`` = ``thinking_signature``), a message with one ``output_text`` part, one
    ``function_call`` per tool call; a ``length`` or ``content_filter`` finish makes the response ``incomplete``.
    Request settings (instructions, tools, tool_choice, temperature...) are echoed back as the real API does.
    ``Reply.extra`` is merged into the Response object (also inside streamed lifecycle events). Streams send typed
    events (``event: <type>``) numbered from 0 and end with ``response.completed`` or ``response.incomplete``;
    ``Fault.stream_error`` sends an ``error`` event with ``code: "server_error"``.

    Embedding vectors come from :meth:`embedding_for`; their usage is ``Reply.input_tokens``.
    ``Fault.blocked`` answers 400 with ``code: "content_filter"`` and ``param: "prompt"``, like Azure OpenAI.
    """

    vendor: ClassVar[str] = "OpenAI"
    request_id_header: ClassVar[str] = "x-request-id"
    base_path: ClassVar[str] = "/v1"

    def __init__(self, api_key: str | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(api_key, host, port)
        self._routes = {
            ("POST", "/v1/chat/completions"): Endpoint(
                self._render_completion, self._render_completion_stream, required=("model", "messages")
            ),
            ("POST", "/v1/responses"): self._responses_endpoint(),
            ("POST", "/v1/embeddings"): Endpoint(self._render_embeddings, required=("model", "input")),
            ("GET", "/v1/models"): Endpoint(self._render_models, scripted=False),
        }

    def _responses_endpoint(self) -> Endpoint:
        """The Responses API endpoint (the deployment or model travels as the body's ``model``)."""
        return Endpoint(
            self._render_response,
            self._render_response_stream,
            _responses_stream_error,
            required=("model",),
        )

    @staticmethod
    def embedding_for(text: str, dimensions: int = 8) -> list[float]:
        """The fake's deterministic unit vector for ``text`` (values exactly representable as float32)."""
        raw: list[float] = []
        block = 0
        while len(raw) < dimensions:
            digest = hashlib.sha256(f"{block}:{text}".encode()).digest()
            raw += [int.from_bytes(digest[i : i + 4], "little") / 2**31 - 1.0 for i in range(0, 32, 4)]
            block += 1
        raw = raw[:dimensions]
        norm = math.sqrt(sum(value * value for value in raw)) or 1.0
        packed = struct.pack(f"<{dimensions}f", *(value / norm for value in raw))
        return list(struct.unpack(f"<{dimensions}f", packed))

    # FakeUpstream hooks

    def _endpoint(self, method: str, path: str) -> Endpoint | None:
        return self._routes.get((method, path.rstrip("/")))

    def _presented_key(self, headers: Mapping[str, str]) -> str | None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
        return headers.get("api-key") or None

    def _error_body(self, status: int, message: str, error_type: str | None) -> JSONObject:
        if error_type is None:
            error_type = "requests" if status == 429 else "server_error" if status >= 500 else "invalid_request_error"
        return {"error": {"message": message, "type": error_type, "param": None, "code": _ERROR_CODES.get(status)}}

    def _stream_error_event(self, error_type: str, message: str) -> bytes:
        return sse_event({"error": {"message": message, "type": error_type, "param": None, "code": None}})

    def _malformed_event(self) -> bytes:
        return b'data: {"broken\n\n'

    async def _send_blocked(
        self, exchange: HTTPExchange, request: RecordedRequest, fault: Fault, sequence: int, streaming: bool
    ) -> None:
        await self._send_json_with(exchange, request, 400, self._blocked_body(fault), {"x-should-retry": "false"})

    def _blocked_body(self, fault: Fault) -> JSONObject:
        """The 400 body of a prompt the safety system blocked."""
        message = blocked_message(fault)
        return {
            "error": {"message": message, "type": "invalid_request_error", "param": "prompt", "code": "content_filter"}
        }

    def _validate(self, request: RecordedRequest) -> str | None:
        body: dict[str, Any] = request.json
        if request.path.endswith("/embeddings"):
            if body.get("encoding_format", "float") not in ("float", "base64"):
                return "encoding_format must be 'float' or 'base64'."
            dimensions = body.get("dimensions", 8)
            if not isinstance(dimensions, int) or isinstance(dimensions, bool) or dimensions < 1:
                return "dimensions must be a positive integer."
        return None

    # chat completions

    def _render_completion(self, reply: Reply, request: RecordedRequest, sequence: int) -> JSONObject:
        message: JSONObject = {"role": "assistant", "content": reply.text or None, "refusal": None, "annotations": []}
        if reply.tool_calls:
            message["tool_calls"] = [
                {"id": _call_id(call, sequence, i), "type": "function", "function": _function(call)}
                for i, call in enumerate(reply.tool_calls)
            ]
        choices = [
            {"index": i, "message": message, "logprobs": None, "finish_reason": _WIRE_FINISH[reply.finish_reason]}
            for i in range(_choice_count(reply, request))
        ]
        return {
            "id": reply.id or f"chatcmpl-fake{sequence}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": reply.model or request.model,
            "choices": choices,
            "usage": _usage(reply),
            "system_fingerprint": "fp_fake",
            "service_tier": "default",
            **reply.extra,
        }

    def _render_completion_stream(self, reply: Reply, request: RecordedRequest, sequence: int) -> list[bytes]:
        events = [sse_event(chunk) for chunk in self._completion_chunks(reply, request, sequence)]
        events.append(b"data: [DONE]\n\n")
        return events

    def _completion_chunks(self, reply: Reply, request: RecordedRequest, sequence: int) -> list[JSONObject]:
        """The chunk objects of a streamed completion, before SSE framing; the usage chunk last when asked for."""
        options = as_object(request.param("stream_options")) or {}
        include_usage = options.get("include_usage") is True
        envelope: JSONObject = {
            "id": reply.id or f"chatcmpl-fake{sequence}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": reply.model or request.model,
            "system_fingerprint": "fp_fake",
        }

        def chunk(choices: list[JSONObject], usage: JSONObject | None = None) -> JSONObject:
            usage_field: JSONObject = {"usage": usage} if include_usage else {}
            return {**envelope, "choices": choices, **usage_field, **reply.extra}

        per_choice = [_choice_deltas(reply, index, sequence) for index in range(_choice_count(reply, request))]
        # Interleave the choices chunk by chunk, so clients must merge by `index`.
        chunks = [chunk([deltas[step]]) for step in range(len(per_choice[0])) for deltas in per_choice]
        if include_usage:
            chunks.append(chunk([], _usage(reply)))
        return chunks

    # responses

    def _render_response(self, reply: Reply, request: RecordedRequest, sequence: int) -> JSONObject:
        return _ResponseRendering(reply, request, sequence).final()

    def _render_response_stream(self, reply: Reply, request: RecordedRequest, sequence: int) -> list[bytes]:
        return [
            sse_event(event, event=event["type"]) for event in _ResponseRendering(reply, request, sequence).events()
        ]

    # embeddings and models

    def _render_embeddings(self, reply: Reply, request: RecordedRequest, sequence: int) -> JSONObject:
        body: dict[str, Any] = request.json
        dimensions: int = body.get("dimensions", 8)
        as_base64 = body.get("encoding_format") == "base64"
        data: list[JSONObject] = []
        for index, text in enumerate(_embedding_inputs(body["input"])):
            vector = self.embedding_for(text, dimensions)
            encoded: Any = base64.b64encode(struct.pack(f"<{dimensions}f", *vector)).decode() if as_base64 else vector
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        return {
            "object": "list",
            "data": data,
            "model": reply.model or request.model,
            "usage": {"prompt_tokens": reply.input_tokens, "total_tokens": reply.input_tokens},
            **reply.extra,
        }

    def _render_models(self, reply: Reply, request: RecordedRequest, sequence: int) -> JSONObject:
        with self._lock:
            names = sorted(set(_LISTED_MODELS) | set(self._scripts))
        return {
            "object": "list",
            "data": [{"id": name, "object": "model", "created": 1700000000, "owned_by": "fake"} for name in names],
        }


def _choice_count(reply: Reply, request: RecordedRequest) -> int:
    if reply.n > 1:
        return reply.n
    requested = request.param("n")
    return requested if isinstance(requested, int) and requested > 1 else 1


def _call_id(call: ToolCall, sequence: int, index: int) -> str:
    return call.id or f"call_fake{sequence}_{index}"


def _function(call: ToolCall) -> JSONObject:
    return {"name": call.name, "arguments": call.arguments_json}


def _choice_deltas(reply: Reply, index: int, sequence: int) -> list[JSONObject]:
    """The streamed choice objects of one choice: role, text pieces, tool-call fragments, finish."""

    def choice(delta: JSONObject, finish_reason: str | None = None) -> JSONObject:
        return {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish_reason}

    deltas = [choice({"role": "assistant", "content": "" if reply.text else None, "refusal": None})]
    deltas += [choice({"content": piece}) for piece in reply.pieces(reply.text)]
    for position, call in enumerate(reply.tool_calls):
        # id, type and name only in the first fragment: clients concatenate repeated string fields.
        first = {"index": position, "id": _call_id(call, sequence, position), "type": "function"}
        deltas.append(choice({"tool_calls": [{**first, "function": {"name": call.name, "arguments": ""}}]}))
        deltas += [
            choice({"tool_calls": [{"index": position, "function": {"arguments": piece}}]})
            for piece in reply.pieces(call.arguments_json)
        ]
    deltas.append(choice({}, _WIRE_FINISH[reply.finish_reason]))
    return deltas


def _usage(reply: Reply) -> JSONObject:
    prompt_details: JSONObject = {"cached_tokens": reply.cache_read_tokens, "audio_tokens": 0}
    if reply.cache_write_tokens:
        prompt_details["cache_write_tokens"] = reply.cache_write_tokens
    return {
        "prompt_tokens": reply.input_tokens,
        "completion_tokens": reply.output_tokens,
        "total_tokens": reply.input_tokens + reply.output_tokens,
        "prompt_tokens_details": prompt_details,
        "completion_tokens_details": {
            "reasoning_tokens": reply.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


class _ResponseRendering:
    """One reply as a Responses API ``Response`` object, or as the event stream that builds it."""

    def __init__(self, reply: Reply, request: RecordedRequest, sequence: int) -> None:
        self.reply = reply
        self.request = request
        self.sequence = sequence
        self.created_at = int(time.time())
        self.incomplete_reason = _INCOMPLETE_REASONS.get(reply.finish_reason)

    def final(self) -> JSONObject:
        status = "completed" if self.incomplete_reason is None else "incomplete"
        return self._response(status, self._items(), _response_usage(self.reply))

    def events(self) -> list[JSONObject]:
        """The stream's events in order, each with its ``type`` and ``sequence_number``."""
        started = self._response("in_progress", [], None)
        bodies: list[tuple[str, JSONObject]] = [
            ("response.created", {"response": started}),
            ("response.in_progress", {"response": started}),
        ]
        for index, item in enumerate(self._items()):
            bodies.append(("response.output_item.added", {"output_index": index, "item": _item_in_progress(item)}))
            bodies += self._item_content_events(index, item)
            bodies.append(("response.output_item.done", {"output_index": index, "item": item}))
        final = self.final()
        bodies.append((f"response.{final['status']}", {"response": final}))
        return [{"type": kind, "sequence_number": number, **body} for number, (kind, body) in enumerate(bodies)]

    def _item_content_events(self, index: int, item: JSONObject) -> list[tuple[str, JSONObject]]:
        where: JSONObject = {"item_id": item["id"], "output_index": index}
        pieces = self.reply.pieces
        if item["type"] == "reasoning":
            part: JSONObject = item["summary"][0]
            at_summary = {**where, "summary_index": 0}
            return [
                ("response.reasoning_summary_part.added", {**at_summary, "part": {**part, "text": ""}}),
                *(("response.reasoning_summary_text.delta", {**at_summary, "delta": p}) for p in pieces(part["text"])),
                ("response.reasoning_summary_text.done", {**at_summary, "text": part["text"]}),
                ("response.reasoning_summary_part.done", {**at_summary, "part": part}),
            ]
        if item["type"] == "message":
            part = item["content"][0]
            at_part = {**where, "content_index": 0}
            return [
                ("response.content_part.added", {**at_part, "part": {**part, "text": ""}}),
                *(
                    ("response.output_text.delta", {**at_part, "delta": p, "logprobs": []})
                    for p in pieces(part["text"])
                ),
                ("response.output_text.done", {**at_part, "text": part["text"], "logprobs": []}),
                ("response.content_part.done", {**at_part, "part": part}),
            ]
        arguments: str = item["arguments"]
        return [
            *(("response.function_call_arguments.delta", {**where, "delta": p}) for p in pieces(arguments)),
            ("response.function_call_arguments.done", {**where, "arguments": arguments}),
        ]

    def _items(self) -> list[JSONObject]:
        """The finished output items: reasoning, message, then one function call per tool call."""
        reply, sequence = self.reply, self.sequence
        items: list[JSONObject] = []
        if reply.thinking is not None:
            reasoning: JSONObject = {
                "id": f"rs_{sequence}",
                "type": "reasoning",
                "summary": [{"type": "summary_text", "text": reply.thinking}],
            }
            if reply.thinking_signature is not None:
                reasoning["encrypted_content"] = reply.thinking_signature
            items.append(reasoning)
        if reply.text:
            items.append(
                {
                    "id": f"msg_{sequence}",
                    "type": "message",
                    "status": "completed" if self.incomplete_reason is None else "incomplete",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": reply.text, "annotations": [], "logprobs": []}],
                }
            )
        items += [
            {
                "id": f"fc_{sequence}_{index}",
                "type": "function_call",
                "status": "completed",
                "call_id": call.id or f"call_{sequence}_{index}",
                "name": call.name,
                "arguments": call.arguments_json,
            }
            for index, call in enumerate(reply.tool_calls)
        ]
        return items

    def _response(self, status: str, output: list[JSONObject], usage: JSONObject | None) -> JSONObject:
        reply = self.reply
        incomplete = {"reason": self.incomplete_reason} if status == "incomplete" else None
        return {
            "id": reply.id or f"resp_{self.sequence}",
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "background": False,
            "completed_at": int(time.time()) if status == "completed" else None,
            "error": None,
            "incomplete_details": incomplete,
            "instructions": self._echo("instructions", None),
            "max_output_tokens": self._echo("max_output_tokens", None),
            "model": reply.model or self.request.model,
            "output": output,
            "parallel_tool_calls": self._echo("parallel_tool_calls", True),
            "previous_response_id": self._echo("previous_response_id", None),
            "reasoning": {"effort": None, "summary": None, **(as_object(self.request.param("reasoning")) or {})},
            "service_tier": "default",
            "store": self._echo("store", True),
            "temperature": self._echo("temperature", 1.0),
            "text": self._echo("text", {"format": {"type": "text"}}),
            "tool_choice": self._echo("tool_choice", "auto"),
            "tools": self._echo("tools", []),
            "top_p": self._echo("top_p", 1.0),
            "truncation": self._echo("truncation", "disabled"),
            "usage": usage,
            "user": None,
            "metadata": self._echo("metadata", {}),
            **reply.extra,
        }

    def _echo(self, name: str, default: Any) -> Any:
        """The request's value of a setting the Response object reports, or the API's default."""
        value = self.request.param(name)
        return default if value is None else value


def _item_in_progress(item: JSONObject) -> JSONObject:
    """An output item as ``response.output_item.added`` announces it: no content yet."""
    if item["type"] == "reasoning":
        return {"id": item["id"], "type": "reasoning", "summary": []}
    if item["type"] == "message":
        return {**item, "status": "in_progress", "content": []}
    return {**item, "status": "in_progress", "arguments": ""}


def _response_usage(reply: Reply) -> JSONObject:
    return {
        "input_tokens": reply.input_tokens,
        "input_tokens_details": {
            "cached_tokens": reply.cache_read_tokens,
            "cache_write_tokens": reply.cache_write_tokens,
        },
        "output_tokens": reply.output_tokens,
        "output_tokens_details": {"reasoning_tokens": reply.reasoning_tokens},
        "total_tokens": reply.input_tokens + reply.output_tokens,
    }


def _responses_stream_error(error_type: str, message: str, position: int) -> bytes:
    """The Responses API's in-stream ``error`` event, numbered after the ``position`` events sent before it."""
    payload = {"type": "error", "code": "server_error", "message": message, "param": None, "sequence_number": position}
    return sse_event(payload, event="error")


def _embedding_inputs(value: Any) -> list[str]:
    """One text per input: a string, a list of strings, a token list, or a list of token lists."""
    if isinstance(value, str):
        return [value]
    items = as_list(value)
    if items is None:
        items = [value]
    if items and all(isinstance(item, int) for item in items):
        return [_token_text(items)]
    return [item if isinstance(item, str) else _token_text(item) for item in items]


def _token_text(tokens: Any) -> str:
    """Token-id inputs are hashed through their decimal text."""
    values = as_list(tokens)
    if values is None:
        values = [tokens]
    return " ".join(str(token) for token in values)
