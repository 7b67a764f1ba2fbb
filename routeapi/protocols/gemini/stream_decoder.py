"""Streams: parsed ``streamGenerateContent`` chunks -> IR stream events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ... import ir
from ...errors import StreamInterrupted
from .call_ids import CallLedger
from .errors import error_from_body
from .json_access import NAME, JSONObject, as_int, as_list, as_object, as_str, gemini_entry
from .key_normalisation import RESPONSE_SPEC, normalise
from .part_decoder import decode_part, leftover_fields
from .response import blocked_choice, blocked_feedback, finish_from_wire, synthetic_response_id, usage_from_wire


@dataclass(slots=True)
class _DecodingChoice:
    next_index: int = 0
    open_index: int | None = None
    open_kind: Literal["text", "thinking"] | None = None
    has_calls: bool = False
    finished: bool = False
    candidate: JSONObject = field(default_factory=lambda: {})  # candidate fields seen so far (safetyRatings...)


class GeminiStreamDecoder:
    """Parsed ``streamGenerateContent`` chunks (each a GenerateContentResponse) -> IR stream events.

    Gemini streams have no terminator: a stream is complete once every candidate had a ``finishReason`` (or the
    prompt was blocked)."""

    def __init__(self) -> None:
        self._started = False
        self._choices: dict[int, _DecodingChoice] = {}
        self._ledger = CallLedger()
        self._usage: ir.Usage | None = None
        self._blocked = False

    def feed(self, item: Mapping[str, Any]) -> list[ir.StreamEvent]:
        data = as_object(normalise(item, RESPONSE_SPEC), "chunk")
        if "error" in data:
            raise error_from_body(None, data)
        events: list[ir.StreamEvent] = []
        if not self._started:
            self._started = True
            response_id = data.get("responseId")
            model = data.get("modelVersion", "")
            events.append(ir.MessageStart(str(response_id or synthetic_response_id()), str(model)))
        finishes: list[ir.StreamEvent] = []
        for position, value in enumerate(as_list(data.get("candidates", []), "candidates")):
            candidate = as_object(value, f"candidates[{position}]")
            choice = as_int(candidate.get("index", position), f"candidates[{position}].index")
            state = self._choices.setdefault(choice, _DecodingChoice())
            content = candidate.get("content")
            if content:
                where = f"candidates[{position}].content"
                for j, part in enumerate(as_list(as_object(content, where).get("parts", []), f"{where}.parts")):
                    events.extend(
                        self._part(state, choice, as_object(part, f"{where}.parts[{j}]"), f"{where}.parts[{j}]")
                    )
            state.candidate.update(leftover_fields(candidate, ("content", "index", "finishReason")))
            if "finishReason" in candidate:
                events.extend(self._close(state, choice))
                finishes.append(self._finish(state, choice, as_str(candidate["finishReason"], "finishReason")))
        if "usageMetadata" in data:
            usage = usage_from_wire(as_object(data["usageMetadata"], "usageMetadata"))
            if usage != self._usage:
                self._usage = usage
                events.append(ir.UsageUpdate(usage))
        feedback = blocked_feedback(data)
        if feedback is not None and not self._blocked:
            self._blocked = True
            choice = blocked_choice(feedback)
            finishes.append(ir.Finish("content_filter", provider_details=choice.provider_details))
        return events + finishes

    def end(self) -> list[ir.StreamEvent]:
        if self._blocked or (self._choices and all(state.finished for state in self._choices.values())):
            return [ir.StreamEnd()]
        raise StreamInterrupted("the Gemini stream ended before a finishReason arrived")

    def _open(self, state: _DecodingChoice) -> int:
        index = state.next_index
        state.next_index += 1
        return index

    def _close(self, state: _DecodingChoice, choice: int) -> list[ir.StreamEvent]:
        if state.open_index is None:
            return []
        index, state.open_index, state.open_kind = state.open_index, None, None
        return [ir.PartEnd(index, choice)]

    def _part(self, state: _DecodingChoice, choice: int, raw: JSONObject, where: str) -> list[ir.StreamEvent]:
        part = decode_part(raw, where, self._ledger, 0)
        entry = gemini_entry(part.provider_details)
        events: list[ir.StreamEvent] = []
        if isinstance(part, ir.ToolCallPart):  # function calls arrive whole
            state.has_calls = True
            events += self._close(state, choice)
            index = self._open(state)
            start = ir.ToolCallPart(part.id, part.name, "", provider_details=part.provider_details)
            events += [
                ir.PartStart(index, start, choice),
                ir.ToolArgumentsDelta(index, part.arguments, choice),
                ir.PartEnd(index, choice),
            ]
        elif isinstance(part, (ir.TextPart, ir.ThinkingPart)) and "part" not in entry:
            kind: Literal["text", "thinking"] = "thinking" if isinstance(part, ir.ThinkingPart) else "text"
            index = state.open_index
            # a part carrying wire extras (a thought signature...) starts a new IR part: details live on PartStart
            if index is None or state.open_kind != kind or entry:
                events += self._close(state, choice)
                index = state.open_index = self._open(state)
                state.open_kind = kind
                details = part.provider_details
                start = ir.ThinkingPart(provider_details=details) if kind == "thinking" else ir.TextPart("", details)
                events.append(ir.PartStart(index, start, choice))
            if part.text and kind == "thinking":
                events.append(ir.ThinkingDelta(index, part.text, choice=choice))
            elif part.text:
                events.append(ir.TextDelta(index, part.text, choice))
        else:  # media and server-side tool parts: an empty text part carrying the whole wire part
            events += self._close(state, choice)
            index = self._open(state)
            events.append(ir.PartStart(index, ir.TextPart("", provider_details={NAME: {"part": raw}}), choice))
            text = part.text if isinstance(part, ir.TextPart) else ""
            if text:
                events.append(ir.TextDelta(index, text, choice))
            events.append(ir.PartEnd(index, choice))
        return events

    @staticmethod
    def _finish(state: _DecodingChoice, choice: int, raw: str) -> ir.Finish:
        state.finished = True
        entry = {"finishReason": raw, **state.candidate}
        return ir.Finish(finish_from_wire(raw, state.has_calls), choice, provider_details={NAME: entry})
