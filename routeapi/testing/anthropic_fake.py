"""FakeAnthropic: Messages (plain and streamed) and token counting, in Anthropic's wire format."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from routeapi.testing._base import Endpoint, FakeUpstream, JSONObject, RecordedRequest, as_list, sse_event
from routeapi.testing._script import Reply

_STOP_REASONS = {
    "stop": "end_turn",
    "stop_sequence": "stop_sequence",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
}
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
_DEFAULT_SIGNATURE = "ZmFrZS1zaWduYXR1cmU="


class FakeAnthropic(FakeUpstream):
    """A fake ``https://api.anthropic.com``. Auth: ``x-api-key`` or ``Authorization: Bearer``; any
    ``anthropic-version`` (the header must be present).

    A ``stop_sequence`` finish reports the request's first ``stop_sequences`` entry. A tool call whose string
    arguments are not JSON keeps them as a raw string ``input`` when not streamed. ``Reply.extra`` is merged into
    the message (``message_start``'s message when streaming). A thinking reply without a signature gets a fixed one.
    """

    vendor: ClassVar[str] = "Anthropic"
    request_id_header: ClassVar[str] = "request-id"

    def __init__(self, api_key: str | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(api_key, host, port)
        self._routes = {
            ("POST", "/v1/messages"): Endpoint(
                self._render_message, self._render_message_stream, required=("model", "max_tokens", "messages")
            ),
            ("POST", "/v1/messages/count_tokens"): Endpoint(
                self._render_token_count, required=("model", "messages"), scripted=False
            ),
        }

    # FakeUpstream hooks

    def _endpoint(self, method: str, path: str) -> Endpoint | None:
        return self._routes.get((method, path.rstrip("/")))

    def _presented_key(self, headers: Mapping[str, str]) -> str | None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
        return headers.get("x-api-key") or None

    def _error_body(self, status: int, message: str, error_type: str | None) -> JSONObject:
        if error_type is None:
            error_type = _ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
        return {"type": "error", "error": {"type": error_type, "message": message}}

    def _stream_error_event(self, error_type: str, message: str) -> bytes:
        return sse_event({"type": "error", "error": {"type": error_type, "message": message}}, "error")

    def _malformed_event(self) -> bytes:
        return b'event: content_block_delta\ndata: {"broken\n\n'

    def _validate(self, request: RecordedRequest) -> str | None:
        if "anthropic-version" not in request.headers:
            return "anthropic-version: header is required"
        return None

    # messages

    def _render_message(self, reply: Reply, request: RecordedRequest, sequence: int) -> JSONObject:
        content: list[JSONObject] = []
        if reply.thinking is not None:
            signature = reply.thinking_signature or _DEFAULT_SIGNATURE
            content.append({"type": "thinking", "thinking": reply.thinking, "signature": signature})
        if reply.text:
            content.append({"type": "text", "text": reply.text})
        for index, call in enumerate(reply.tool_calls):
            tool_id = call.id or f"toolu_fake{sequence}_{index}"
            content.append({"type": "tool_use", "id": tool_id, "name": call.name, "input": _tool_input(call.arguments)})
        return {
            **self._message_envelope(reply, request, sequence),
            "content": content,
            "stop_reason": _STOP_REASONS[reply.finish_reason],
            "stop_sequence": _stop_sequence(reply, request),
            "usage": _usage(reply, reply.output_tokens, with_details=True),
            **reply.extra,
        }

    def _render_message_stream(self, reply: Reply, request: RecordedRequest, sequence: int) -> list[bytes]:
        def event(kind: str, **fields: Any) -> bytes:
            return sse_event({"type": kind, **fields}, kind)

        start_message: JSONObject = {
            **self._message_envelope(reply, request, sequence),
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": _usage(reply, min(1, reply.output_tokens), with_details=False),
            **reply.extra,
        }
        events = [event("message_start", message=start_message), event("ping")]
        blocks: list[tuple[JSONObject, list[JSONObject]]] = []
        if reply.thinking is not None:
            deltas = [{"type": "thinking_delta", "thinking": piece} for piece in reply.pieces(reply.thinking)]
            deltas.append({"type": "signature_delta", "signature": reply.thinking_signature or _DEFAULT_SIGNATURE})
            blocks.append(({"type": "thinking", "thinking": "", "signature": ""}, deltas))
        if reply.text:
            text_deltas = [{"type": "text_delta", "text": piece} for piece in reply.pieces(reply.text)]
            blocks.append(({"type": "text", "text": ""}, text_deltas))
        for position, call in enumerate(reply.tool_calls):
            tool_id = call.id or f"toolu_fake{sequence}_{position}"
            pieces = ["", *reply.pieces(call.arguments_json)]
            json_deltas = [{"type": "input_json_delta", "partial_json": piece} for piece in pieces]
            blocks.append(({"type": "tool_use", "id": tool_id, "name": call.name, "input": {}}, json_deltas))
        for index, (block, deltas) in enumerate(blocks):
            events.append(event("content_block_start", index=index, content_block=block))
            events += [event("content_block_delta", index=index, delta=delta) for delta in deltas]
            events.append(event("content_block_stop", index=index))
        stop = {"stop_reason": _STOP_REASONS[reply.finish_reason], "stop_sequence": _stop_sequence(reply, request)}
        final_usage = {"output_tokens": reply.output_tokens, **_output_details(reply)}
        events.append(event("message_delta", delta=stop, usage=final_usage))
        events.append(event("message_stop"))
        return events

    def _message_envelope(self, reply: Reply, request: RecordedRequest, sequence: int) -> JSONObject:
        return {
            "id": reply.id or f"msg_fake{sequence}",
            "type": "message",
            "role": "assistant",
            "model": reply.model or request.model,
        }

    def _render_token_count(self, reply: Reply, request: RecordedRequest, sequence: int) -> JSONObject:
        body: dict[str, Any] = request.json
        counted = {key: body.get(key) for key in ("system", "messages", "tools")}
        # Roughly four characters a token, like the real tokenizers on English text.
        return {"input_tokens": max(1, len(json.dumps(counted, sort_keys=True)) // 4)}


def _usage(reply: Reply, output_tokens: int, *, with_details: bool) -> JSONObject:
    return {
        # Anthropic's input_tokens excludes cache reads and writes; the script's count includes them.
        "input_tokens": reply.input_tokens - reply.cache_read_tokens - reply.cache_write_tokens,
        "output_tokens": output_tokens,
        "cache_creation_input_tokens": reply.cache_write_tokens,
        "cache_read_input_tokens": reply.cache_read_tokens,
        "service_tier": "standard",
        **(_output_details(reply) if with_details else {}),
    }


def _output_details(reply: Reply) -> JSONObject:
    """Thinking tokens, reported (as the 2.x SDK models them) only when the script sets some."""
    return {"output_tokens_details": {"thinking_tokens": reply.reasoning_tokens}} if reply.reasoning_tokens else {}


def _stop_sequence(reply: Reply, request: RecordedRequest) -> str | None:
    sequences = as_list(request.param("stop_sequences"))
    if reply.finish_reason != "stop_sequence" or not sequences:
        return None
    first = sequences[0]
    return first if isinstance(first, str) else None


def _tool_input(arguments: Mapping[str, Any] | str) -> Any:
    if not isinstance(arguments, str):
        return dict(arguments)
    try:
        return json.loads(arguments)
    except ValueError:
        return arguments
