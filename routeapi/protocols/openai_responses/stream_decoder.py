"""Responses stream events -> IR stream events."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from ... import ir
from ...errors import ProtocolError, StreamInterrupted
from .._checks import Reader as _Reader
from ..sse import SSEEvent
from .content import PARAGRAPH_BREAK, reasoning_text
from .errors import failure
from .provider_details import make_details
from .response import ASSISTANT_ITEMS, decode_usage, finish_from_wire


@dataclass
class _StreamItem:
    """One output item as the decoder follows it."""

    kind: str
    parts: dict[int, int] = field(default_factory=lambda: {})  # content index (0 for calls, reasoning) -> IR part
    open: list[int] = field(default_factory=lambda: [])
    received: dict[int, str] = field(default_factory=lambda: {})  # IR part -> text or arguments so far
    summaries: int = 0


class OpenAIResponsesStreamDecoder:
    """Responses stream events (SSE, dispatched on the JSON ``type``) -> IR stream events.

    Each ``output_text``/``refusal`` content part, function call and reasoning item is one part, numbered in order
    of appearance. Reasoning summary parts are joined with a blank line. A ``*.done`` or ``output_item.done`` that
    carries more than its deltas did yields the missing text, and a terminal response whose items never streamed
    yields them whole. ``encrypted_content`` does not fit a stream event and is not carried.
    """

    __slots__ = ("_done", "_handlers", "_items", "_next_part", "_saw_calls", "_started")

    def __init__(self) -> None:
        self._started = False
        self._done = False
        self._next_part = 0
        self._saw_calls = False
        self._items: dict[int, _StreamItem] = {}  # output_index -> item
        self._handlers: dict[str, Callable[[_Reader], list[ir.StreamEvent]]] = {
            "response.created": self._lifecycle,
            "response.queued": self._lifecycle,
            "response.in_progress": self._lifecycle,
            "response.completed": self._terminal,
            "response.incomplete": self._terminal,
            "response.output_item.added": self._item_added,
            "response.output_item.done": self._item_done,
            "response.content_part.added": self._content_added,
            "response.content_part.done": self._content_done,
            "response.output_text.delta": self._content_delta,
            "response.refusal.delta": self._content_delta,
            "response.output_text.done": self._content_text_done,
            "response.refusal.done": self._content_text_done,
            "response.function_call_arguments.delta": self._arguments_delta,
            "response.function_call_arguments.done": self._arguments_done,
            "response.reasoning_summary_part.added": self._summary_part_added,
            "response.reasoning_summary_text.delta": self._reasoning_delta,
            "response.reasoning_text.delta": self._reasoning_delta,
        }

    def feed(self, item: SSEEvent) -> list[ir.StreamEvent]:
        if self._done or item.data.strip() == "[DONE]":
            return []
        try:
            payload = json.loads(item.data)
        except ValueError:
            raise ProtocolError(f"stream event is not valid JSON: {item.data[:80]!r}") from None
        if not isinstance(payload, dict):
            raise ProtocolError(f"stream event is not a JSON object: {item.data[:80]!r}")
        event = _Reader(cast("dict[str, Any]", payload), "event")
        kind = event.string("type") or item.event or ""
        if kind == "error":
            raise failure(event.data)
        if kind == "response.failed":
            raise failure(event.required_reader("response").data)
        handler = self._handlers.get(kind)
        if handler is None:
            return []  # hosted-tool progress, annotations and future events
        events: list[ir.StreamEvent] = []
        if not self._started:
            self._started = True
            events.append(self._message_start(event))
        events.extend(handler(event))
        return events

    def end(self) -> list[ir.StreamEvent]:
        if not self._done:
            raise StreamInterrupted("the Responses stream ended without response.completed or response.incomplete")
        return []

    # lifecycle -----------------------------------------------------------------------------------------------
    @staticmethod
    def _message_start(event: _Reader) -> ir.MessageStart:
        response = _Reader(event.peek("response") or {}, event.at("response"))
        created_at = response.number("created_at")
        return ir.MessageStart(
            id=response.string("id") or "",
            model=response.string("model") or "",
            created=int(created_at) if created_at is not None else 0,
        )

    def _lifecycle(self, event: _Reader) -> list[ir.StreamEvent]:
        return []  # feed() turned the first lifecycle event into MessageStart; the others say nothing new

    def _terminal(self, event: _Reader) -> list[ir.StreamEvent]:
        response = event.required_reader("response")
        events: list[ir.StreamEvent] = []
        if not self._items:  # nothing streamed: a server that only sends the final response
            for i, raw in enumerate(response.array("output") or []):
                events.extend(self._whole_item(i, _Reader(raw, response.at(f"output[{i}]"))))
        for index in sorted(i for item in self._items.values() for i in item.open):
            events.append(ir.PartEnd(index))
        for item in self._items.values():
            item.open.clear()
        usage = response.mapping("usage")
        if usage is not None:
            events.append(ir.UsageUpdate(decode_usage(usage, response.at("usage"))))
        status = response.string("status") or event.string("type")
        if status is not None and status.startswith("response."):
            status = status[len("response.") :]
        reason = finish_from_wire(status, response.mapping("incomplete_details"), self._saw_calls)
        events.extend([ir.Finish(reason or "stop"), ir.StreamEnd()])
        self._done = True
        return events

    # items ---------------------------------------------------------------------------------------------------
    def _item_added(self, event: _Reader) -> list[ir.StreamEvent]:
        index = event.integer("output_index") or 0
        item = event.required_reader("item")
        return self._start_item(index, item)

    def _start_item(self, output_index: int, item: _Reader) -> list[ir.StreamEvent]:
        kind = item.string("type") or ""
        state = _StreamItem(kind if kind in ASSISTANT_ITEMS else "other")
        self._items[output_index] = state
        item_id = make_details(extra={"id": item.peek("id")}) if isinstance(item.peek("id"), str) else None
        if kind == "function_call":
            self._saw_calls = True
            part = ir.ToolCallPart(item.string("call_id") or "", item.string("name") or "", provider_details=item_id)
            return self._start_part(state, 0, part, item.string("arguments") or "")
        if kind == "reasoning":
            return self._start_part(state, 0, ir.ThinkingPart(provider_details=item_id), "")
        return []

    def _start_part(
        self, state: _StreamItem, key: int, part: ir.TextPart | ir.ToolCallPart | ir.ThinkingPart, initial: str
    ) -> list[ir.StreamEvent]:
        index = self._next_part
        self._next_part += 1
        state.parts[key] = index
        state.open.append(index)
        state.received[index] = ""
        return [ir.PartStart(index, part), *self._delta(state, index, initial)]

    def _delta(self, state: _StreamItem, index: int, text: str) -> list[ir.StreamEvent]:
        if not text or index not in state.open:
            return []
        state.received[index] += text
        if state.kind == "function_call":
            return [ir.ToolArgumentsDelta(index, text)]
        if state.kind == "reasoning":
            return [ir.ThinkingDelta(index, text)]
        return [ir.TextDelta(index, text)]

    def _rest(self, state: _StreamItem, index: int, full: str | None) -> list[ir.StreamEvent]:
        """What a ``.done`` event carries beyond the deltas received (servers that skip deltas)."""
        received = state.received.get(index, "")
        if full is None or not full.startswith(received):
            return []
        return self._delta(state, index, full[len(received) :])

    def _item_done(self, event: _Reader) -> list[ir.StreamEvent]:
        output_index = event.integer("output_index") or 0
        item = event.required_reader("item")
        if output_index not in self._items:
            return self._whole_item(output_index, item)
        state = self._items[output_index]
        events: list[ir.StreamEvent] = []
        if state.kind == "function_call":
            events.extend(self._rest(state, state.parts[0], item.string("arguments")))
        return events + self._close(state, list(state.open))

    def _whole_item(self, output_index: int, item: _Reader) -> list[ir.StreamEvent]:
        """An item that arrived complete: start, content and end at once."""
        events = self._start_item(output_index, item)
        state = self._items[output_index]
        if state.kind == "message":
            for j, raw in enumerate(item.array("content") or []):
                content = _Reader(raw, item.at(f"content[{j}]"))
                kind = content.string("type")
                text = content.string("refusal" if kind == "refusal" else "text") or ""
                events.extend(self._start_part(state, j, _stream_text_part(kind), text))
        elif state.kind == "reasoning":
            text = reasoning_text(item.peek("summary"), item.peek("content"))
            events.extend(self._delta(state, state.parts[0], text))
        return events + self._close(state, list(state.open))

    @staticmethod
    def _close(state: _StreamItem, indexes: list[int]) -> list[ir.StreamEvent]:
        events: list[ir.StreamEvent] = []
        for index in indexes:
            if index in state.open:
                state.open.remove(index)
                events.append(ir.PartEnd(index))
        return events

    def _item(self, event: _Reader) -> _StreamItem | None:
        return self._items.get(event.integer("output_index") or 0)

    # content -------------------------------------------------------------------------------------------------
    def _content_added(self, event: _Reader) -> list[ir.StreamEvent]:
        state = self._item(event)
        if state is None or state.kind != "message":
            return []
        part = event.required_reader("part")
        kind = part.string("type")
        text = part.string("refusal" if kind == "refusal" else "text") or ""
        return self._start_part(state, event.integer("content_index") or 0, _stream_text_part(kind), text)

    def _content_delta(self, event: _Reader) -> list[ir.StreamEvent]:
        state = self._item(event)
        if state is None or state.kind != "message":
            return []
        delta = event.string("delta") or ""
        content_index = event.integer("content_index") or 0
        if content_index not in state.parts:  # the server skipped content_part.added
            kind = "refusal" if event.string("type") == "response.refusal.delta" else "output_text"
            return self._start_part(state, content_index, _stream_text_part(kind), delta)
        return self._delta(state, state.parts[content_index], delta)

    def _content_text_done(self, event: _Reader) -> list[ir.StreamEvent]:
        state = self._item(event)
        index = self._content_part(state, event)
        if state is None or index is None:
            return []
        full = event.string("refusal") if event.string("type") == "response.refusal.done" else event.string("text")
        return self._rest(state, index, full)

    def _content_done(self, event: _Reader) -> list[ir.StreamEvent]:
        state = self._item(event)
        index = self._content_part(state, event)
        if state is None or index is None:
            return []
        return self._close(state, [index])

    @staticmethod
    def _content_part(state: _StreamItem | None, event: _Reader) -> int | None:
        if state is None or state.kind != "message":
            return None
        return state.parts.get(event.integer("content_index") or 0)

    def _arguments_delta(self, event: _Reader) -> list[ir.StreamEvent]:
        state = self._item(event)
        if state is None or state.kind != "function_call":
            return []
        return self._delta(state, state.parts[0], event.string("delta") or "")

    def _arguments_done(self, event: _Reader) -> list[ir.StreamEvent]:
        state = self._item(event)
        if state is None or state.kind != "function_call":
            return []
        return self._rest(state, state.parts[0], event.string("arguments"))

    def _summary_part_added(self, event: _Reader) -> list[ir.StreamEvent]:
        state = self._item(event)
        if state is None or state.kind != "reasoning":
            return []
        state.summaries += 1
        if state.summaries == 1 or not state.received.get(state.parts[0]):
            return []
        return self._delta(state, state.parts[0], PARAGRAPH_BREAK)

    def _reasoning_delta(self, event: _Reader) -> list[ir.StreamEvent]:
        state = self._item(event)
        if state is None or state.kind != "reasoning":
            return []
        return self._delta(state, state.parts[0], event.string("delta") or "")


def _stream_text_part(kind: str | None) -> ir.TextPart:
    return ir.TextPart("", provider_details=make_details(refusal=True) if kind == "refusal" else None)
