"""FakeOpenAI: Chat Completions (plain and streamed), Embeddings and the model list, in OpenAI's wire format."""

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


class FakeOpenAI(FakeUpstream):
    """A fake ``https://api.openai.com/v1``. Auth: ``Authorization: Bearer <key>`` or ``api-key: <key>``.

    With ``n`` > 1 (``Reply.n``, else the request's ``n``) every choice carries the reply; streamed choices are
    interleaved chunk by chunk, as the real API does. ``Reply.extra`` is merged into the body (every chunk when
    streaming). Embedding vectors come from :meth:`embedding_for`; their usage is ``Reply.input_tokens``.
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
            ("POST", "/v1/embeddings"): Endpoint(self._render_embeddings, required=("model", "input")),
            ("GET", "/v1/models"): Endpoint(self._render_models, scripted=False),
        }

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
