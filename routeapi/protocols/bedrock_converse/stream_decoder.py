"""Streaming: boto3 event dicts -> IR events."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from ... import ir
from ...errors import ProtocolError, ProviderError, StreamInterrupted
from .._checks import integer as _integer
from .._checks import string as _string
from .constants import JSONObject
from .errors import error_from_code
from .reading import as_bytes, as_dict, details_dict, leftovers, new_id, one_member
from .response import STOP_REASON_TO_IR, finish_details, usage_from_wire


@dataclass
class _OpenPart:
    index: int  # IR part index
    kind: Literal["text", "tool", "thinking"]


class BedrockStreamDecoder:
    """ConverseStream events (as boto3 yields them) -> IR stream events.

    Text and reasoning blocks have no start event: their first delta starts the part. IR part indexes count the
    parts in order of appearance (blocks the IR cannot hold, such as streamed images, are skipped). The stream is
    complete once ``messageStop`` and ``metadata`` both arrived; ``metadata`` carries the usage."""

    def __init__(self) -> None:
        self._open: dict[int, _OpenPart] = {}  # wire block index -> open part
        self._skipped: set[int] = set()
        self._next_part = 0
        self._stopped = False
        self._has_metadata = False
        self._done = False

    def feed(self, item: Mapping[str, Any]) -> list[ir.StreamEvent]:
        kind, payload = one_member(as_dict(item, "event"), "event")
        if kind.endswith("Exception"):
            raise _stream_exception(kind, payload)
        if self._done:
            return []
        if kind == "messageStart":
            return [ir.MessageStart(id=new_id(), model="")]
        if kind == "contentBlockStart":
            return self._block_start(as_dict(payload, kind))
        if kind == "contentBlockDelta":
            return self._block_delta(as_dict(payload, kind))
        if kind == "contentBlockStop":
            return self._block_stop(as_dict(payload, kind))
        if kind == "messageStop":
            return self._message_stop(as_dict(payload, kind))
        if kind == "metadata":
            return self._metadata(as_dict(payload, kind))
        return []  # event types added later

    def end(self) -> list[ir.StreamEvent]:
        if self._done:
            return []
        if not self._stopped:
            raise StreamInterrupted("the Bedrock stream ended without messageStop")
        self._done = True
        return [ir.StreamEnd()]  # no metadata event: the usage stays unknown

    def _start(self, wire_index: int, part: ir.TextPart | ir.ToolCallPart | ir.ThinkingPart) -> ir.PartStart:
        kind: Literal["text", "tool", "thinking"] = (
            "text" if isinstance(part, ir.TextPart) else "tool" if isinstance(part, ir.ToolCallPart) else "thinking"
        )
        self._open[wire_index] = _OpenPart(self._next_part, kind)
        self._next_part += 1
        return ir.PartStart(self._open[wire_index].index, part)

    def _block_start(self, event: JSONObject) -> list[ir.StreamEvent]:
        index = _integer(event.get("contentBlockIndex"), "contentBlockStart.contentBlockIndex")
        kind, start = one_member(as_dict(event.get("start"), "contentBlockStart.start"), "contentBlockStart.start")
        if kind != "toolUse":
            self._skipped.add(index)  # tool results and images have no IR stream part
            return []
        tool = as_dict(start, "contentBlockStart.start.toolUse")
        details = leftovers(tool, frozenset({"toolUseId", "name"}))
        part = ir.ToolCallPart(
            id=_string(tool.get("toolUseId"), "contentBlockStart.start.toolUse.toolUseId"),
            name=_string(tool.get("name"), "contentBlockStart.start.toolUse.name"),
            provider_details=details_dict(details),
        )
        return [self._start(index, part)]

    def _block_delta(self, event: JSONObject) -> list[ir.StreamEvent]:
        index = _integer(event.get("contentBlockIndex"), "contentBlockDelta.contentBlockIndex")
        if index in self._skipped:
            return []
        delta = as_dict(event.get("delta"), "contentBlockDelta.delta")
        kind, value = one_member(delta, "contentBlockDelta.delta")
        path = f"contentBlockDelta.delta.{kind}"
        if kind == "text":
            events = self._ensure_open(index, "text", ir.TextPart(""))
            return [*events, ir.TextDelta(self._open[index].index, _string(value, path))]
        if kind == "toolUse":
            open_part = self._open.get(index)
            if open_part is None or open_part.kind != "tool":
                raise ProtocolError(f"{path}: block {index} is not a started tool call")
            fragment = _string(as_dict(value, path).get("input"), f"{path}.input")
            return [ir.ToolArgumentsDelta(open_part.index, fragment)] if fragment else []
        if kind == "reasoningContent":
            return self._reasoning_delta(index, as_dict(value, path), path)
        return []  # citations and later delta kinds have no IR event

    def _reasoning_delta(self, index: int, delta: JSONObject, path: str) -> list[ir.StreamEvent]:
        kind, value = one_member(delta, path)
        if kind == "redactedContent":
            redacted = base64.b64encode(as_bytes(value, f"{path}.redactedContent")).decode("ascii")
            if index in self._open:
                raise ProtocolError(f"{path}.redactedContent: block {index} already holds reasoning")
            return [self._start(index, ir.ThinkingPart(redacted=redacted))]
        events = self._ensure_open(index, "thinking", ir.ThinkingPart())
        part_index = self._open[index].index
        if kind == "text":
            return [*events, ir.ThinkingDelta(part_index, text=_string(value, f"{path}.text"))]
        if kind == "signature":
            return [*events, ir.ThinkingDelta(part_index, signature=_string(value, f"{path}.signature"))]
        return events

    def _ensure_open(
        self, index: int, kind: Literal["text", "thinking"], part: ir.TextPart | ir.ThinkingPart
    ) -> list[ir.StreamEvent]:
        open_part = self._open.get(index)
        if open_part is None:
            return [self._start(index, part)]
        if open_part.kind != kind:
            raise ProtocolError(f"contentBlockDelta: block {index} is a {open_part.kind} block, not {kind}")
        return []

    def _block_stop(self, event: JSONObject) -> list[ir.StreamEvent]:
        index = _integer(event.get("contentBlockIndex"), "contentBlockStop.contentBlockIndex")
        open_part = self._open.pop(index, None)
        return [] if open_part is None else [ir.PartEnd(open_part.index)]  # a block with no delta made no part

    def _message_stop(self, event: JSONObject) -> list[ir.StreamEvent]:
        events: list[ir.StreamEvent] = [ir.PartEnd(p.index) for p in sorted(self._open.values(), key=lambda p: p.index)]
        self._open.clear()
        wire_reason = _string(event.get("stopReason"), "messageStop.stopReason")
        reason = STOP_REASON_TO_IR.get(wire_reason, "other")
        details = {**finish_details(wire_reason, reason), **leftovers(event, frozenset({"stopReason"}))}
        events.append(ir.Finish(reason, provider_details=details_dict(details)))
        self._stopped = True
        return events + self._complete()

    def _metadata(self, event: JSONObject) -> list[ir.StreamEvent]:
        events: list[ir.StreamEvent] = []
        if event.get("usage") is not None:
            events.append(ir.UsageUpdate(usage_from_wire(as_dict(event["usage"], "metadata.usage"))))
        self._has_metadata = True
        return events + self._complete()

    def _complete(self) -> list[ir.StreamEvent]:
        if self._stopped and self._has_metadata:
            self._done = True
            return [ir.StreamEnd()]
        return []


def _stream_exception(kind: str, payload: object) -> ProviderError:
    body = dict(cast("Mapping[str, Any]", payload)) if isinstance(payload, Mapping) else {}
    message = body.get("message")
    return error_from_code(kind, message if isinstance(message, str) else "", None, {}, body=body)
