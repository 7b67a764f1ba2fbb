"""IR stream events -> Responses stream events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from ... import ir
from ...errors import ProtocolError
from .assistant_encoding import ItemIds
from .content import refusal_part, summary_part
from .provider_details import NAME, own_details, section
from .response import encode_usage, finish_to_wire, response_envelope, with_response_defaults

_StreamKind = Literal["text", "refusal", "function_call", "reasoning"]


@dataclass
class _OpenItem:
    """An output item the encoder has added and not yet finished."""

    part: int
    output_index: int
    kind: _StreamKind
    item: dict[str, Any]  # as added
    received: str = ""
    summary_open: bool = False


class OpenAIResponsesStreamEncoder:
    """IR stream events -> Responses stream events (dicts whose ``type`` is also the SSE event name), numbered by
    ``sequence_number`` from 0, in the order the SDK's accumulator checks: ``response.created`` and
    ``response.in_progress`` with an in-progress snapshot, then per part an output item (``output_index`` = its
    position in ``output``) with its content events, then ``response.completed`` (``response.incomplete`` for a
    length or content-filter finish) carrying the whole response.

    Each text part is one ``message`` item, each tool call a ``function_call`` item, each thinking part a
    ``reasoning`` item with one ``summary_text``; redacted thinking is skipped. Items are added as their parts
    start, so parts that interleave (OpenAI Chat streams several tool calls) stream side by side with distinct
    output indexes. Function calls finish at the ``Finish`` rather than at their ``PartEnd``: the Chat decoder
    may deliver a late fragment after a call's part ended. Only choice 0 is encoded."""

    __slots__ = (
        "_done",
        "_finish",
        "_ids",
        "_next_output",
        "_open",
        "_output",
        "_sequence",
        "_skipped",
        "_start",
        "_usage",
    )

    def __init__(self) -> None:
        self._sequence = 0
        self._start: ir.MessageStart | None = None
        self._ids = ItemIds("")
        self._finish: ir.Finish | None = None
        self._usage: ir.Usage | None = None
        self._done = False
        self._open: dict[int, _OpenItem] = {}  # IR part index -> item still streaming
        self._skipped: set[int] = set()
        self._output: dict[int, dict[str, Any]] = {}  # output_index -> finished item
        self._next_output = 0

    def encode(self, event: ir.StreamEvent) -> list[dict[str, Any]]:
        if self._done or getattr(event, "choice", 0) != 0:
            return []
        out: list[dict[str, Any]] = []
        if self._start is None:
            out += self._begin(event if isinstance(event, ir.MessageStart) else ir.MessageStart(id="", model=""))
        if isinstance(event, ir.MessageStart):
            return out
        if isinstance(event, ir.UsageUpdate):
            self._usage = event.usage
        elif isinstance(event, ir.PartStart):
            out += self._part_start(event)
        elif isinstance(event, (ir.TextDelta, ir.ToolArgumentsDelta, ir.ThinkingDelta)):
            out += self._delta(event)
        elif isinstance(event, ir.PartEnd):
            out += self._part_end(event.index)
        elif isinstance(event, ir.Finish):
            self._finish = event
            out += self._close_all()
        else:
            self._done = True
            out += [*self._close_all(), self._terminal()]
        return out

    # lifecycle -----------------------------------------------------------------------------------------------
    def _begin(self, start: ir.MessageStart) -> list[dict[str, Any]]:
        self._start = start
        self._ids = ItemIds(start.id)
        return [
            self._event("response.created", response=self._snapshot()),
            self._event("response.in_progress", response=self._snapshot()),
        ]

    def _snapshot(self) -> dict[str, Any]:
        start = self._start or ir.MessageStart(id="", model="")
        return with_response_defaults(response_envelope(start.id, start.model, start.created, "in_progress", [], None))

    def _terminal(self) -> dict[str, Any]:
        start = self._start or ir.MessageStart(id="", model="")
        status, incomplete = finish_to_wire(self._finish.reason if self._finish is not None else None)
        output = [self._output[index] for index in sorted(self._output)]
        usage = encode_usage(self._usage) if self._usage is not None else None
        response = response_envelope(start.id, start.model, start.created, status, output, usage)
        response["incomplete_details"] = incomplete
        kind = "response.completed" if status == "completed" else "response.incomplete"
        return self._event(kind, response=with_response_defaults(response))

    def _event(self, kind: str, **fields: Any) -> dict[str, Any]:
        event = {"type": kind, **fields, "sequence_number": self._sequence}
        self._sequence += 1
        return event

    # items ---------------------------------------------------------------------------------------------------
    def _part_start(self, start: ir.PartStart) -> list[dict[str, Any]]:
        part = start.part
        if isinstance(part, ir.ThinkingPart) and part.redacted is not None and not part.text:
            self._skipped.add(start.index)  # opaque reasoning of another vendor: nothing to show
            return []
        output_index = self._next_output
        self._next_output += 1
        stored_id = section(own_details(part.provider_details), "extra").get("id")
        kind: _StreamKind
        if isinstance(part, ir.TextPart):
            kind = "refusal" if _is_refusal(part) else "text"
            item: dict[str, Any] = {"type": "message", "status": "in_progress", "role": "assistant", "content": []}
            prefix, initial = "msg", part.text
        elif isinstance(part, ir.ToolCallPart):
            kind = "function_call"
            item = {"type": "function_call", "status": "in_progress", "call_id": part.id, "name": part.name}
            item["arguments"] = ""
            prefix, initial = "fc", part.arguments
        else:
            kind, prefix, initial = "reasoning", "rs", part.text
            item = {"type": "reasoning", "summary": []}
        item = {"id": stored_id if isinstance(stored_id, str) else self._ids.make(prefix, output_index), **item}
        opened = _OpenItem(start.index, output_index, kind, item)
        self._open[start.index] = opened
        out = [self._event("response.output_item.added", output_index=output_index, item=dict(item))]
        if kind in ("text", "refusal"):
            empty = _output_text("") if kind == "text" else refusal_part("")
            out.append(self._event("response.content_part.added", **self._at(opened, 0), part=empty))
        return out + self._emit(opened, initial)

    def _delta(self, delta: ir.TextDelta | ir.ToolArgumentsDelta | ir.ThinkingDelta) -> list[dict[str, Any]]:
        if delta.index in self._skipped:
            return []
        opened = self._open.get(delta.index)
        if opened is None:
            raise ProtocolError(f"stream delta for part {delta.index}, which is not open")
        fits = (
            (isinstance(delta, ir.TextDelta) and opened.kind in ("text", "refusal"))
            or (isinstance(delta, ir.ToolArgumentsDelta) and opened.kind == "function_call")
            or (isinstance(delta, ir.ThinkingDelta) and opened.kind == "reasoning")
        )
        if not fits:
            raise ProtocolError(f"stream delta {type(delta).__name__} does not fit a {opened.kind} item")
        return self._emit(opened, delta.arguments if isinstance(delta, ir.ToolArgumentsDelta) else delta.text)

    def _emit(self, opened: _OpenItem, text: str) -> list[dict[str, Any]]:
        if not text:
            return []
        opened.received += text
        if opened.kind == "text":
            return [self._event("response.output_text.delta", **self._at(opened, 0), delta=text, logprobs=[])]
        if opened.kind == "refusal":
            return [self._event("response.refusal.delta", **self._at(opened, 0), delta=text)]
        if opened.kind == "function_call":
            return [self._event("response.function_call_arguments.delta", **self._at(opened), delta=text)]
        out: list[dict[str, Any]] = []
        if not opened.summary_open:
            opened.summary_open = True
            part = summary_part("")
            out.append(self._event("response.reasoning_summary_part.added", **self._summary_at(opened), part=part))
        out.append(self._event("response.reasoning_summary_text.delta", **self._summary_at(opened), delta=text))
        return out

    def _part_end(self, index: int) -> list[dict[str, Any]]:
        opened = self._open.get(index)
        if opened is None or opened.kind == "function_call":  # calls finish with the response (late fragments)
            return []
        return self._close(opened)

    def _close_all(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for opened in sorted(self._open.values(), key=lambda item: item.output_index):
            out += self._close(opened)
        return out

    def _close(self, opened: _OpenItem) -> list[dict[str, Any]]:
        del self._open[opened.part]
        text = opened.received
        out: list[dict[str, Any]] = []
        done = dict(opened.item)
        if opened.kind in ("text", "refusal"):
            if opened.kind == "text":
                part = _output_text(text)
                out.append(self._event("response.output_text.done", **self._at(opened, 0), text=text, logprobs=[]))
            else:
                part = refusal_part(text)
                out.append(self._event("response.refusal.done", **self._at(opened, 0), refusal=text))
            out.append(self._event("response.content_part.done", **self._at(opened, 0), part=dict(part)))
            done.update(status="completed", content=[part])
        elif opened.kind == "function_call":
            out.append(self._event("response.function_call_arguments.done", **self._at(opened), arguments=text))
            done.update(status="completed", arguments=text)
        else:
            summary = [summary_part(text)] if opened.summary_open else []
            if opened.summary_open:
                out.append(self._event("response.reasoning_summary_text.done", **self._summary_at(opened), text=text))
                part = summary_part(text)
                out.append(self._event("response.reasoning_summary_part.done", **self._summary_at(opened), part=part))
            done["summary"] = summary
        self._output[opened.output_index] = done
        out.append(self._event("response.output_item.done", output_index=opened.output_index, item=dict(done)))
        return out

    @staticmethod
    def _at(opened: _OpenItem, content_index: int | None = None) -> dict[str, Any]:
        where: dict[str, Any] = {"item_id": opened.item["id"], "output_index": opened.output_index}
        if content_index is not None:
            where["content_index"] = content_index
        return where

    @staticmethod
    def _summary_at(opened: _OpenItem) -> dict[str, Any]:
        return {"item_id": opened.item["id"], "output_index": opened.output_index, "summary_index": 0}


def _output_text(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": []}


def _is_refusal(part: ir.TextPart) -> bool:
    """A text part that carries refusal text (marked by this codec's or the Chat codec's stream decoder)."""
    details = part.provider_details or {}
    return any(
        isinstance(details.get(name), Mapping) and cast("Mapping[str, Any]", details[name]).get("refusal") is True
        for name in (NAME, "openai_chat")
    )
