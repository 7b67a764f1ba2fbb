"""Streaming: Anthropic SSE events -> IR stream events."""

from __future__ import annotations

import json
from typing import cast

from ... import ir
from ...errors import ProtocolError, StreamInterrupted
from .._checks import integer as _integer
from .._checks import string as _string
from ..sse import SSEEvent
from .block_decoder import decode_redacted_thinking, decode_text, decode_thinking, decode_tool_use
from .errors import error_from_body
from .response import RESPONSE_KEYS, STOP_REASON_TO_IR, usage_from_wire
from .shared import JSONObject, block_type, details_dict, extra_keys, json_object


class AnthropicStreamDecoder:
    """Anthropic SSE events -> IR stream events. IR part index = Anthropic block index; block kinds the IR
    cannot hold (server tool blocks) and ``citations_delta`` produce no events."""

    def __init__(self) -> None:
        self._usage: JSONObject = {}
        self._blocks: dict[int, str] = {}  # open block index -> block type
        self._skipped: set[int] = set()
        self._done = False

    def feed(self, item: SSEEvent) -> list[ir.StreamEvent]:
        try:
            data = json.loads(item.data)
        except ValueError:
            raise ProtocolError(f"Anthropic sent a malformed stream event: {item.data[:80]!r}") from None
        if not isinstance(data, dict):
            raise ProtocolError(f"Anthropic sent a stream event that is not a JSON object: {item.data[:80]!r}")
        event = cast("JSONObject", data)
        kind = event.get("type", item.event)
        if kind == "error":
            raise error_from_body(200, event, {})
        if self._done:
            return []
        if kind == "message_start":
            return self._message_start(json_object(event.get("message"), "message_start.message"))
        if kind == "content_block_start":
            return self._block_start(event)
        if kind == "content_block_delta":
            return self._block_delta(event)
        if kind == "content_block_stop":
            return self._block_stop(event)
        if kind == "message_delta":
            return self._message_delta(event)
        if kind == "message_stop":
            self._done = True
            return [ir.StreamEnd()]
        return []  # ping and event types added later

    def end(self) -> list[ir.StreamEvent]:
        if not self._done:
            raise StreamInterrupted("the Anthropic stream ended without message_stop")
        return []

    def _message_start(self, message: JSONObject) -> list[ir.StreamEvent]:
        self._usage = dict(json_object(message.get("usage", {}), "message_start.message.usage"))
        extras = {
            key: value
            for key, value in extra_keys(message, RESPONSE_KEYS).items()
            if value is not None  # nulls here are "not yet known", not data
        }
        start = ir.MessageStart(
            id=_string(message.get("id"), "message_start.message.id"),
            model=_string(message.get("model"), "message_start.message.model"),
            provider_details=details_dict(extras),
        )
        return [start, ir.UsageUpdate(usage_from_wire(self._usage))]

    def _index(self, event: JSONObject, kind: str) -> int:
        return _integer(event.get("index"), f"{kind}.index")

    def _block_start(self, event: JSONObject) -> list[ir.StreamEvent]:
        index = self._index(event, "content_block_start")
        block = json_object(event.get("content_block"), "content_block_start.content_block")
        kind = block_type(block, "content_block_start.content_block")
        path = "content_block_start.content_block"
        part: ir.TextPart | ir.ToolCallPart | ir.ThinkingPart
        if kind == "text":
            part = decode_text(block, path)
        elif kind == "tool_use":
            tool_input = json_object(block.get("input", {}), f"{path}.input")
            part = decode_tool_use(block, path)
            part.arguments = part.arguments if tool_input else ""
        elif kind == "thinking":
            part = decode_thinking(block, path)
            part.signature = part.signature or None  # "" at start means "not yet known"
        elif kind == "redacted_thinking":
            part = decode_redacted_thinking(block, path)
        else:
            self._skipped.add(index)
            return []
        self._blocks[index] = kind
        return [ir.PartStart(index, part)]

    def _block_delta(self, event: JSONObject) -> list[ir.StreamEvent]:
        index = self._index(event, "content_block_delta")
        if index in self._skipped:
            return []
        if index not in self._blocks:
            raise ProtocolError(f"content_block_delta.index: block {index} was not started")
        delta = json_object(event.get("delta"), "content_block_delta.delta")
        kind = block_type(delta, "content_block_delta.delta")
        if kind == "text_delta":
            return [ir.TextDelta(index, _string(delta.get("text"), "content_block_delta.delta.text"))]
        if kind == "input_json_delta":
            partial = _string(delta.get("partial_json"), "content_block_delta.delta.partial_json")
            return [ir.ToolArgumentsDelta(index, partial)] if partial else []
        if kind == "thinking_delta":
            return [ir.ThinkingDelta(index, text=_string(delta.get("thinking"), "content_block_delta.delta.thinking"))]
        if kind == "signature_delta":
            signature = _string(delta.get("signature"), "content_block_delta.delta.signature")
            return [ir.ThinkingDelta(index, signature=signature)]
        return []  # citations_delta and later delta kinds have no IR event

    def _block_stop(self, event: JSONObject) -> list[ir.StreamEvent]:
        index = self._index(event, "content_block_stop")
        if index in self._skipped:
            return []
        if self._blocks.pop(index, None) is None:
            raise ProtocolError(f"content_block_stop.index: block {index} was not started")
        return [ir.PartEnd(index)]

    def _message_delta(self, event: JSONObject) -> list[ir.StreamEvent]:
        delta = json_object(event.get("delta", {}), "message_delta.delta")
        for key, value in json_object(event.get("usage", {}), "message_delta.usage").items():
            if value is not None:  # totals: they replace what message_start said
                self._usage[key] = value
        events: list[ir.StreamEvent] = []
        stop_reason = delta.get("stop_reason")
        if stop_reason is not None:
            stop_sequence = delta.get("stop_sequence")
            extras = {
                key: value
                for key, value in extra_keys(delta, frozenset({"stop_reason", "stop_sequence"})).items()
                if value is not None
            }
            events.append(
                ir.Finish(
                    STOP_REASON_TO_IR.get(_string(stop_reason, "message_delta.delta.stop_reason"), "other"),
                    stop_sequence=None if stop_sequence is None else _string(stop_sequence, "stop_sequence"),
                    provider_details=details_dict(extras),
                )
            )
        events.append(ir.UsageUpdate(usage_from_wire(self._usage)))
        return events
