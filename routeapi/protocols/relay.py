"""Same-protocol stream relays: pass each upstream event on as parsed JSON, checking only what must be checked —
in-stream errors, malformed events, and whether the protocol's terminator arrived. No IR round trip."""

from __future__ import annotations

import json
from typing import Any, cast

from .. import ir
from ..errors import ProtocolError, StreamInterrupted
from .sse import SSEEvent

NON_TEXT = "non_text_omitted"
"""Set in a relay's partial answer's ``provider_details`` when the stream had more than text (a tool call,
reasoning), which a relay does not keep: such an answer cannot be continued as a text prefix."""


class _Seen:
    """What a relay keeps of a stream for its partial answer: the text, the id and model, whether more came."""

    __slots__ = ("id", "model", "non_text", "text_details", "texts")

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.id = ""
        self.model = ""
        self.non_text = False
        self.text_details: dict[str, Any] | None = None
        """The text part's ``provider_details`` (a Responses message item's id, which a continuation must reuse)."""

    def name(self, id_: object, model: object) -> None:
        if not self.id and isinstance(id_, str):
            self.id = id_
        if not self.model and isinstance(model, str):
            self.model = model

    def response(self, usage: ir.Usage | None = None) -> ir.Response:
        message = ir.Message("assistant", [ir.TextPart("".join(self.texts), self.text_details)])
        details = {NON_TEXT: True} if self.non_text else None
        return ir.Response(self.id, self.model, [ir.Choice(message)], usage, provider_details=details)


class OpenAIChatRelay:
    """Chat Completions chunks. ``[DONE]`` ends the stream; a chunk with a top-level ``error`` is an error.
    The text of the first choice is kept, for the partial answer of an interrupted stream."""

    __slots__ = ("_seen", "_usage", "done", "has_content")

    def __init__(self) -> None:
        self.done = False
        self.has_content = False
        self._seen = _Seen()
        self._usage: dict[str, Any] | None = None

    def partial(self) -> ir.Response:
        from .openai_chat import usage_from_wire

        return self._seen.response(usage_from_wire(self._usage) if self._usage else None)

    def feed(self, item: SSEEvent) -> list[dict[str, Any]]:
        data = item.data
        if data.startswith("[DONE]"):
            self.done = True
            return []
        try:
            chunk = json.loads(data)
        except ValueError:
            raise ProtocolError(f"upstream sent a malformed stream event: {data[:80]!r}") from None
        if not isinstance(chunk, dict):
            raise ProtocolError(f"upstream sent a stream event that is not a JSON object: {data[:80]!r}")
        chunk = cast("dict[str, Any]", chunk)
        if "error" in chunk:
            from .openai_chat import error_from_body

            raise error_from_body(200, chunk, {})
        if chunk.get("usage"):
            self._usage = chunk["usage"]
        choices = cast("list[dict[str, Any]]", chunk.get("choices") or [])
        self._seen.name(chunk.get("id"), chunk.get("model"))
        if choices:
            delta: dict[str, Any] = choices[0].get("delta") or {}
            text = delta.get("content")
            if text:
                self._seen.texts.append(text)
            if delta.get("tool_calls") or delta.get("function_call") or delta.get("refusal"):
                self._seen.non_text = True
        if not self.has_content:
            self.has_content = _has_content(chunk)
        return [chunk]

    def end(self) -> list[dict[str, Any]]:
        if not self.done:
            raise StreamInterrupted("the upstream stream ended without its [DONE] terminator")
        return []


def _has_content(chunk: dict[str, Any]) -> bool:
    if chunk.get("usage"):
        return True
    for choice in cast("list[dict[str, Any]]", chunk.get("choices") or []):
        delta: dict[str, Any] = choice.get("delta") or {}
        if choice.get("finish_reason") or delta.get("content") or delta.get("tool_calls") or delta.get("refusal"):
            return True
    return False


class AnthropicRelay:
    """Messages events. ``message_stop`` ends the stream; ``ping`` is dropped (as the SDK does); ``error`` raises."""

    __slots__ = ("_blocks", "_seen", "_usage", "done", "has_content")

    def __init__(self) -> None:
        self.done = False
        self.has_content = False
        self._seen = _Seen()
        self._usage: dict[str, Any] = {}
        self._blocks = 0

    def partial(self) -> ir.Response:
        from .anthropic_messages import usage_from_wire

        return self._seen.response(usage_from_wire(self._usage) if self._usage else None)

    def feed(self, item: SSEEvent) -> list[dict[str, Any]]:
        name = item.event
        if name is None or name == "ping" or not item.data:
            return []
        try:
            event = json.loads(item.data)
        except ValueError:
            raise ProtocolError(f"upstream sent a malformed stream event: {item.data[:80]!r}") from None
        if not isinstance(event, dict):
            raise ProtocolError(f"upstream sent a stream event that is not a JSON object: {item.data[:80]!r}")
        event = cast("dict[str, Any]", event)
        if name == "error":
            from .anthropic_messages import error_from_body

            raise error_from_body(200, event, {})
        if name == "message_start":
            message: dict[str, Any] = event.get("message") or {}
            self._usage.update(cast("dict[str, Any]", message.get("usage") or {}))
            self._seen.name(message.get("id"), message.get("model"))
        elif name == "message_delta":
            self._usage.update(cast("dict[str, Any]", event.get("usage") or {}))  # totals: they replace
        if name == "message_stop":
            self.done = True
        elif name != "message_start":
            self.has_content = True
            if name == "content_block_delta":
                delta: dict[str, Any] = event.get("delta") or {}
                if delta.get("type") == "text_delta":
                    self._seen.texts.append(delta.get("text") or "")
            elif name == "content_block_start":
                block: dict[str, Any] = event.get("content_block") or {}
                # The partial answer keeps one text part: a second block of any kind makes it more than text.
                self._seen.non_text = self._seen.non_text or block.get("type") != "text" or self._blocks > 0
                self._blocks += 1
        return [event]

    def end(self) -> list[dict[str, Any]]:
        if not self.done:
            raise StreamInterrupted("the upstream stream ended without its message_stop event")
        return []


class GeminiRelay:
    """generateContent chunks (already parsed). Gemini streams have no terminator: the stream is complete once a
    candidate carried a ``finishReason`` (or the prompt was blocked)."""

    __slots__ = ("_seen", "_usage", "done", "has_content")

    def __init__(self) -> None:
        self.done = False
        self.has_content = False
        self._seen = _Seen()
        self._usage: dict[str, Any] | None = None

    def partial(self) -> ir.Response:
        from .gemini import usage_from_wire

        return self._seen.response(usage_from_wire(self._usage) if self._usage else None)

    def feed(self, item: dict[str, Any]) -> list[dict[str, Any]]:
        if "error" in item:
            from .gemini import error_from_body

            raise error_from_body(None, item, {})
        candidates = cast("list[dict[str, Any]]", item.get("candidates") or [])
        if item.get("usageMetadata"):
            self._usage = item["usageMetadata"]
        feedback: dict[str, Any] = item.get("promptFeedback") or {}
        if any(c.get("finishReason") for c in candidates) or feedback.get("blockReason"):
            self.done = True
        if candidates:
            first: dict[str, Any] = candidates[0].get("content") or {}
            parts = cast("list[dict[str, Any]]", first.get("parts") or [])
            self._seen.name(item.get("responseId"), item.get("modelVersion"))
            self._seen.texts.extend(p["text"] for p in parts if "text" in p and not p.get("thought"))
            self._seen.non_text = self._seen.non_text or any("text" not in p or p.get("thought") for p in parts)
            self.has_content = self.has_content or bool(parts)
        self.has_content = self.has_content or self.done
        return [item]

    def end(self) -> list[dict[str, Any]]:
        if not self.done:
            raise StreamInterrupted("the upstream stream ended before any candidate finished")
        return []


_RESPONSES_CONTENT = frozenset(
    {
        "response.output_item.added",
        "response.output_text.delta",
        "response.function_call_arguments.delta",
        "response.refusal.delta",
        "response.reasoning_summary_text.delta",
    }
)


class OpenAIResponsesRelay:
    """Responses API events. ``response.completed`` / ``response.incomplete`` end the stream; ``error`` events and
    ``response.failed`` raise. The output text and the final usage are kept for the partial answer."""

    __slots__ = ("_final", "_seen", "done", "has_content")

    def __init__(self) -> None:
        self.done = False
        self.has_content = False
        self._seen = _Seen()
        self._final: dict[str, Any] | None = None

    def partial(self) -> ir.Response:
        if self._final is not None:
            from .registry import get_codec

            return get_codec("openai_responses").decode_response(self._final)
        return self._seen.response()

    def feed(self, item: SSEEvent) -> list[dict[str, Any]]:
        if not item.data or item.data.startswith("[DONE]"):
            return []
        try:
            event = json.loads(item.data)
        except ValueError:
            raise ProtocolError(f"upstream sent a malformed stream event: {item.data[:80]!r}") from None
        if not isinstance(event, dict):
            raise ProtocolError(f"upstream sent a stream event that is not a JSON object: {item.data[:80]!r}")
        event = cast("dict[str, Any]", event)
        kind = event.get("type")
        if kind == "error":
            from .openai_chat import error_from_body

            raise error_from_body(None, {"error": event}, {})
        if kind == "response.failed":
            from .registry import get_codec

            get_codec("openai_responses").decode_response(event.get("response") or {})  # raises the mapped error
        if kind == "response.created":
            response: dict[str, Any] = event.get("response") or {}
            self._seen.name(response.get("id"), response.get("model"))
        if kind in ("response.completed", "response.incomplete"):
            self.done = True
            self.has_content = True
            self._final = event.get("response")
        elif kind in _RESPONSES_CONTENT:
            self.has_content = True
            if kind == "response.output_text.delta":
                self._seen.texts.append(str(event.get("delta") or ""))
            elif kind == "response.output_item.added":
                added: dict[str, Any] = event.get("item") or {}
                # The partial answer keeps one message: a second item of any kind makes it more than text.
                if added.get("type") != "message" or self._seen.text_details is not None:
                    self._seen.non_text = True
                elif isinstance(added.get("id"), str):
                    self._seen.text_details = {"openai_responses": {"extra": {"id": added["id"]}}}
                else:
                    self._seen.text_details = {}
            else:
                self._seen.non_text = True
        return [event]

    def end(self) -> list[dict[str, Any]]:
        if not self.done:
            raise StreamInterrupted("the upstream stream ended without response.completed")
        return []
