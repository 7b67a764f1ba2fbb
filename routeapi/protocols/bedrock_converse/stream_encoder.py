"""Streaming: IR events -> boto3 event dicts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ... import ir
from ...errors import ProtocolError
from .block_encoder import redacted_bytes
from .constants import JSONObject
from .reading import leftovers, own_details, wire_extras
from .response import usage_to_wire, wire_stop_reason


@dataclass
class _WireBlock:
    index: int  # contentBlockIndex
    kind: Literal["text", "tool", "thinking", "redacted"]
    has_delta: bool = False


class BedrockStreamEncoder:
    """IR stream events -> ConverseStream events in boto3's yielded shape (``{"contentBlockDelta": {...}}``).

    Block indexes count parts in start order. A text or reasoning part that ends without any delta gets an empty
    one, so a reader still sees the block. ``metadata`` (usage) is sent on ``StreamEnd``, after ``messageStop``;
    latency is unknown and sent as 0. Only choice 0 is encoded."""

    def __init__(self) -> None:
        self._blocks: dict[int, _WireBlock] = {}  # IR part index -> open block
        self._next_index = 0
        self._usage: ir.Usage | None = None
        self._stopped = False
        self._done = False

    def encode(self, event: ir.StreamEvent) -> list[JSONObject]:
        if self._done or getattr(event, "choice", 0) != 0:
            return []
        if isinstance(event, ir.MessageStart):
            return [{"messageStart": {"role": "assistant"}}]
        if isinstance(event, ir.PartStart):
            return self._part_start(event)
        if isinstance(event, ir.TextDelta):
            return self._delta(event.index, "text", {"text": event.text}, bool(event.text))
        if isinstance(event, ir.ToolArgumentsDelta):
            return self._delta(event.index, "tool", {"toolUse": {"input": event.arguments}}, bool(event.arguments))
        if isinstance(event, ir.ThinkingDelta):
            return self._thinking_delta(event)
        if isinstance(event, ir.PartEnd):
            return self._part_end(event.index)
        if isinstance(event, ir.UsageUpdate):
            self._usage = event.usage
            return []
        if isinstance(event, ir.Finish):
            return self._finish(event)
        out = [] if self._stopped else self._finish(ir.Finish("stop"))
        self._done = True
        return [*out, {"metadata": {"usage": usage_to_wire(self._usage), "metrics": {"latencyMs": 0}}}]

    def _part_start(self, event: ir.PartStart) -> list[JSONObject]:
        part = event.part
        block = _WireBlock(self._next_index, "text")
        self._next_index += 1
        self._blocks[event.index] = block
        if isinstance(part, ir.TextPart):
            return self._delta(event.index, "text", {"text": part.text}, bool(part.text))
        if isinstance(part, ir.ToolCallPart):
            block.kind = "tool"
            tool: JSONObject = {"toolUseId": part.id, "name": part.name, **wire_extras(part.provider_details)}
            start = {"contentBlockStart": {"contentBlockIndex": block.index, "start": {"toolUse": tool}}}
            fragment = {"toolUse": {"input": part.arguments}}
            return [start, *self._delta(event.index, "tool", fragment, bool(part.arguments))]
        if part.redacted is not None:
            block.kind = "redacted"
            redacted = {"reasoningContent": {"redactedContent": redacted_bytes(part.redacted)}}
            return self._delta(event.index, "redacted", redacted, True)
        block.kind = "thinking"
        return self._thinking_delta(ir.ThinkingDelta(event.index, part.text, part.signature))

    def _thinking_delta(self, event: ir.ThinkingDelta) -> list[JSONObject]:
        out = self._delta(event.index, "thinking", {"reasoningContent": {"text": event.text}}, bool(event.text))
        if event.signature:
            out += self._delta(event.index, "thinking", {"reasoningContent": {"signature": event.signature}}, True)
        return out

    def _delta(self, part_index: int, kind: str, delta: JSONObject, send: bool) -> list[JSONObject]:
        block = self._blocks.get(part_index)
        if block is None:
            raise ProtocolError(f"stream delta for part {part_index}, which is not open")
        if block.kind != kind:
            raise ProtocolError(f"a {kind} delta does not fit the {block.kind} part {part_index}")
        if not send:
            return []
        block.has_delta = True
        return [{"contentBlockDelta": {"contentBlockIndex": block.index, "delta": delta}}]

    def _part_end(self, part_index: int) -> list[JSONObject]:
        block = self._blocks.pop(part_index, None)
        if block is None:
            return []  # already closed (a Finish closes open parts) or never opened
        out: list[JSONObject] = []
        if not block.has_delta and block.kind in ("text", "thinking"):
            empty: JSONObject = {"text": ""} if block.kind == "text" else {"reasoningContent": {"text": ""}}
            out.append({"contentBlockDelta": {"contentBlockIndex": block.index, "delta": empty}})
        out.append({"contentBlockStop": {"contentBlockIndex": block.index}})
        return out

    def _finish(self, event: ir.Finish) -> list[JSONObject]:
        out: list[JSONObject] = []
        for part_index in sorted(self._blocks, key=lambda k: self._blocks[k].index):
            out += self._part_end(part_index)
        details = own_details(event.provider_details)
        stop: JSONObject = {"stopReason": wire_stop_reason(event.reason, details)}
        stop.update(leftovers(details, frozenset({"stopReason"})))
        self._stopped = True
        return [*out, {"messageStop": stop}]
