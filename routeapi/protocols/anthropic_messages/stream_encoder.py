"""Streaming: IR stream events -> Anthropic stream events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias, Union

from ... import ir
from ...errors import ProtocolError
from .response import FINISH_TO_WIRE, usage_to_wire
from .shared import JSONObject, own_details

_DeltaEvent: TypeAlias = Union[ir.TextDelta, ir.ToolArgumentsDelta, ir.ThinkingDelta]


@dataclass
class _HeldPart:
    """A part that started while another block was open: its events wait until that block closes."""

    start: ir.PartStart
    deltas: list[_DeltaEvent] = field(default_factory=lambda: [])
    ended: bool = False


@dataclass
class _OpenBlock:
    part_index: int
    wire_index: int
    kind: str


class AnthropicStreamEncoder:
    """IR stream events -> Anthropic stream events (dicts whose ``type`` is the SSE event name).

    Anthropic blocks are strictly sequential with contiguous indexes, while IR parts may interleave (OpenAI streams
    several tool calls): one block streams at a time and parts that start meanwhile are held back, then replayed
    in start order when it closes. ``message_start`` waits for the first content (to carry input usage) and
    ``message_delta`` for ``StreamEnd`` (to carry the final usage). Only choice 0 is encoded."""

    def __init__(self) -> None:
        self._start: ir.MessageStart | None = None
        self._started = False
        self._usage = ir.Usage()
        self._finish: ir.Finish | None = None
        self._done = False
        self._next_wire_index = 0
        self._open: _OpenBlock | None = None
        self._held: dict[int, _HeldPart] = {}  # insertion order = start order

    def encode(self, event: ir.StreamEvent) -> list[JSONObject]:
        if self._done or getattr(event, "choice", 0) != 0:
            return []
        if isinstance(event, ir.MessageStart):
            self._start = self._start or event
            return []
        if isinstance(event, ir.UsageUpdate):
            self._usage = event.usage
            return []
        out = self._message_start()
        if isinstance(event, ir.PartStart):
            if self._open is None:
                out += self._open_block(event)
            else:
                self._held[event.index] = _HeldPart(event)
        elif isinstance(event, (ir.TextDelta, ir.ToolArgumentsDelta, ir.ThinkingDelta)):
            out += self._delta(event)
        elif isinstance(event, ir.PartEnd):
            out += self._part_end(event.index)
        elif isinstance(event, ir.Finish):
            self._finish = event
            out += self._flush()
        else:
            out += self._flush()
            out += [self._message_delta(), {"type": "message_stop"}]
            self._done = True
        return out

    def _message_start(self) -> list[JSONObject]:
        if self._started:
            return []
        self._started = True
        start = self._start or ir.MessageStart(id="", model="")
        usage = usage_to_wire(self._usage)
        usage.pop("output_tokens_details", None)
        message: JSONObject = {
            "id": start.id,
            "type": "message",
            "role": "assistant",
            "model": start.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": usage,
            **own_details(start.provider_details),
        }
        return [{"type": "message_start", "message": message}]

    def _open_block(self, start: ir.PartStart) -> list[JSONObject]:
        part = start.part
        wire_index = self._next_wire_index
        self._next_wire_index += 1
        block: JSONObject
        initial: list[_DeltaEvent] = []
        if isinstance(part, ir.TextPart):
            block = {"type": "text", "text": ""}
            initial.append(ir.TextDelta(start.index, part.text))
        elif isinstance(part, ir.ToolCallPart):
            block = {"type": "tool_use", "id": part.id, "name": part.name, "input": {}}
            initial.append(ir.ToolArgumentsDelta(start.index, part.arguments))
        elif part.redacted is not None:
            block = {"type": "redacted_thinking", "data": part.redacted}
        else:
            block = {"type": "thinking", "thinking": "", "signature": ""}
            initial.append(ir.ThinkingDelta(start.index, part.text, part.signature))
        self._open = _OpenBlock(start.index, wire_index, block["type"])
        out: list[JSONObject] = [{"type": "content_block_start", "index": wire_index, "content_block": block}]
        for delta in initial:
            out += self._delta(delta)
        return out

    def _delta(self, delta: _DeltaEvent) -> list[JSONObject]:
        held = self._held.get(delta.index)
        if held is not None:
            held.deltas.append(delta)
            return []
        block = self._open
        if block is None or block.part_index != delta.index:
            raise ProtocolError(f"stream delta for part {delta.index}, which is not open")
        payloads: list[JSONObject] = []
        if isinstance(delta, ir.TextDelta) and block.kind == "text":
            if delta.text:
                payloads.append({"type": "text_delta", "text": delta.text})
        elif isinstance(delta, ir.ToolArgumentsDelta) and block.kind == "tool_use":
            if delta.arguments:
                payloads.append({"type": "input_json_delta", "partial_json": delta.arguments})
        elif isinstance(delta, ir.ThinkingDelta) and block.kind == "thinking":
            if delta.text:
                payloads.append({"type": "thinking_delta", "thinking": delta.text})
            if delta.signature:
                payloads.append({"type": "signature_delta", "signature": delta.signature})
        else:
            raise ProtocolError(f"stream delta {type(delta).__name__} does not fit a {block.kind} block")
        return [{"type": "content_block_delta", "index": block.wire_index, "delta": p} for p in payloads]

    def _part_end(self, index: int) -> list[JSONObject]:
        if index in self._held:
            self._held[index].ended = True
            return []
        if self._open is None or self._open.part_index != index:
            return []  # already closed (a Finish closes open parts) or never opened
        return self._close() + self._drain()

    def _close(self) -> list[JSONObject]:
        block = self._open
        if block is None:
            return []
        self._open = None
        return [{"type": "content_block_stop", "index": block.wire_index}]

    def _drain(self) -> list[JSONObject]:
        """Replay held parts in start order until one is still streaming."""
        out: list[JSONObject] = []
        while self._open is None and self._held:
            index = next(iter(self._held))
            held = self._held.pop(index)
            out += self._open_block(held.start)
            for delta in held.deltas:
                out += self._delta(delta)
            if held.ended:
                out += self._close()
        return out

    def _flush(self) -> list[JSONObject]:
        """Close every open and held part (a Finish or the end of the stream arrived)."""
        out: list[JSONObject] = []
        while self._open is not None or self._held:
            out += self._close()
            out += self._drain()
        return out

    def _message_delta(self) -> JSONObject:
        finish = self._finish
        delta: JSONObject = {
            "stop_reason": FINISH_TO_WIRE[finish.reason] if finish is not None else "end_turn",
            "stop_sequence": finish.stop_sequence if finish is not None else None,
        }
        if finish is not None:
            delta.update(own_details(finish.provider_details))
        return {"type": "message_delta", "delta": delta, "usage": usage_to_wire(self._usage)}
