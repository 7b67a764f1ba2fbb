"""``ChatCompletionChunk`` SSE events -> IR stream events."""

from __future__ import annotations

import json
from typing import Any, Final, Literal, cast

from ... import ir
from ...errors import ProtocolError, StreamInterrupted
from .._checks import Reader as _Reader
from ..sse import SSEEvent
from .errors import error_from_body
from .provider_details import make_details
from .response import decode_usage, finish_as_sent, finish_from_wire

TERMINATOR: Final = "[DONE]"
"""The stream's last ``data:`` line; the transport writes it once the encoder has seen ``StreamEnd``."""


class OpenAIChatStreamDecoder:
    """``ChatCompletionChunk`` SSE events -> IR stream events.

    Per choice, a run of text (or of refusal text) and each tool call is one part, numbered in order of appearance;
    a new part closes the previous one. (A tool-call fragment that arrives after its part closed still yields a
    ``ToolArgumentsDelta`` for that part rather than losing data.)
    """

    __slots__ = ("_choices", "_done", "_started")

    def __init__(self) -> None:
        self._started = False
        self._done = False
        self._choices: dict[int, _ChoiceParts] = {}

    def feed(self, item: SSEEvent) -> list[ir.StreamEvent]:
        if self._done:
            return []
        if item.data.startswith(TERMINATOR):
            self._done = True
            return [ir.StreamEnd()]
        try:
            payload = json.loads(item.data)
        except ValueError:
            raise ProtocolError(f"stream chunk is not valid JSON: {item.data[:80]!r}") from None
        if not isinstance(payload, dict):
            raise ProtocolError(f"stream chunk is not a JSON object: {item.data[:80]!r}")
        chunk = cast("dict[str, Any]", payload)
        if chunk.get("error"):
            raise error_from_body(None, chunk)
        return self._chunk(_Reader(chunk, "chunk"))

    def end(self) -> list[ir.StreamEvent]:
        if not self._done:
            raise StreamInterrupted(f"the Chat Completions stream ended without its data: {TERMINATOR} terminator")
        return []

    def _chunk(self, chunk: _Reader) -> list[ir.StreamEvent]:
        events: list[ir.StreamEvent] = []
        choices = chunk.array("choices") or []
        usage = chunk.mapping("usage")
        # Wait for content: Azure sends a first chunk with an empty id and only prompt-filter results.
        if not self._started and (choices or usage is not None):
            self._started = True
            events.append(self._message_start(chunk))
        for i, raw in enumerate(choices):
            events.extend(self._choice(_Reader(raw, chunk.at(f"choices[{i}]"))))
        if usage is not None:
            events.append(ir.UsageUpdate(decode_usage(usage, chunk.at("usage"))))
        return events

    @staticmethod
    def _message_start(chunk: _Reader) -> ir.MessageStart:
        kept = {
            key: value
            for key, value in chunk.data.items()
            if key not in ("id", "object", "created", "model", "choices", "usage", "obfuscation")
        }
        return ir.MessageStart(
            id=chunk.string("id") or "",
            model=chunk.string("model") or "",
            created=chunk.integer("created") or 0,
            provider_details=make_details(extra=kept or None),
        )

    def _choice(self, choice: _Reader) -> list[ir.StreamEvent]:
        index = choice.integer("index") or 0
        parts = self._choices.setdefault(index, _ChoiceParts(index))
        events: list[ir.StreamEvent] = []
        delta = choice.reader("delta")
        if delta is not None:
            content = delta.string("content")
            if content:
                events.extend(parts.text("text", content))
            refusal = delta.string("refusal")
            if refusal:
                events.extend(parts.text("refusal", refusal))
            for i, raw in enumerate(delta.array("tool_calls") or []):
                events.extend(parts.tool_fragment(_Reader(raw, delta.at(f"tool_calls[{i}]"))))
        finish = choice.string("finish_reason")
        if finish:  # some compatible servers send "" for "not yet"
            events.extend(parts.close())
            reason = finish_from_wire(finish)
            details = make_details(finish_reason=finish_as_sent(finish, reason))
            events.append(ir.Finish(reason, index, provider_details=details))
        return events


class _ChoiceParts:
    """Part numbering for one streamed choice."""

    __slots__ = ("_choice", "_next", "_open", "_open_kind", "_tools")

    def __init__(self, choice: int) -> None:
        self._choice = choice
        self._next = 0
        self._open: int | None = None
        self._open_kind: str | None = None
        self._tools: dict[int, int] = {}  # tool_calls[].index -> part index

    def text(self, kind: Literal["text", "refusal"], text: str) -> list[ir.StreamEvent]:
        events: list[ir.StreamEvent] = []
        index = self._open
        if index is None or self._open_kind != kind:
            events.extend(self.close())
            index = self._start(kind)
            marker = make_details(refusal=True) if kind == "refusal" else None
            events.append(ir.PartStart(index, ir.TextPart("", provider_details=marker), self._choice))
        events.append(ir.TextDelta(index, text, self._choice))
        return events

    def tool_fragment(self, call: _Reader) -> list[ir.StreamEvent]:
        wire_index = self._wire_index(call)
        function = call.reader("function")
        arguments = function.string("arguments") if function is not None else None
        events: list[ir.StreamEvent] = []
        if wire_index not in self._tools:
            events.extend(self.close())
            name = function.string("name") if function is not None else None
            part = ir.ToolCallPart(id=call.string("id") or "", name=name or "")
            self._tools[wire_index] = self._start("tool")
            events.append(ir.PartStart(self._tools[wire_index], part, self._choice))
        if arguments:
            events.append(ir.ToolArgumentsDelta(self._tools[wire_index], arguments, self._choice))
        return events

    def _wire_index(self, call: _Reader) -> int:
        index = call.integer("index")
        if index is not None:
            return index
        # Some OpenAI-compatible servers omit `index`: a fragment with an id starts the next call, others continue.
        if call.peek("id") or not self._tools:
            return max(self._tools, default=-1) + 1
        return list(self._tools)[-1]

    def close(self) -> list[ir.StreamEvent]:
        if self._open is None:
            return []
        index, self._open, self._open_kind = self._open, None, None
        return [ir.PartEnd(index, self._choice)]

    def _start(self, kind: str) -> int:
        self._open, self._open_kind = self._next, kind
        self._next += 1
        return self._open
