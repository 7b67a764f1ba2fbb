"""Streams: IR stream events -> ``GenerateContentResponse`` chunks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from ... import ir
from .json_access import JSONObject, gemini_entry
from .part_decoder import THOUGHT_SIGNATURE
from .part_encoder import PartEncoder
from .response import candidate_tail, response_envelope, usage_to_wire


@dataclass(slots=True)
class _EncodingPart:
    part: ir.TextPart | ir.ToolCallPart | ir.ThinkingPart
    arguments: list[str] = field(default_factory=lambda: [])
    emitted: bool = False


class GeminiStreamEncoder:
    """IR stream events -> GenerateContentResponse chunk dicts (the transport writes each as ``data: <json>``).

    Text and thinking deltas go out as they come; tool calls are held until their PartEnd and sent whole (Gemini has no
    argument deltas); the final chunk, on StreamEnd, carries the finish reasons and usage."""

    def __init__(self) -> None:
        self._id = ""
        self._model = ""
        self._parts: dict[tuple[int, int], _EncodingPart] = {}
        self._has_calls: set[int] = set()
        self._finishes: dict[int, ir.Finish] = {}
        self._usage: ir.Usage | None = None
        self._encoder = PartEncoder(for_request=False)

    def encode(self, event: ir.StreamEvent) -> list[JSONObject]:
        if isinstance(event, ir.MessageStart):
            self._id, self._model = event.id, event.model
        elif isinstance(event, ir.PartStart):
            return self._start(event)
        elif isinstance(event, (ir.TextDelta, ir.ThinkingDelta)):
            return self._delta(event)
        elif isinstance(event, ir.ToolArgumentsDelta):
            state = self._parts.get((event.choice, event.index))
            if state is not None:
                state.arguments.append(event.arguments)
        elif isinstance(event, ir.PartEnd):
            return self._end(event)
        elif isinstance(event, ir.UsageUpdate):
            self._usage = event.usage
        elif isinstance(event, ir.Finish):
            self._finishes[event.choice] = event
        else:
            return self._final()
        return []

    def _chunk(self, choice: int, parts: list[JSONObject]) -> JSONObject:
        candidate = {"content": {"role": "model", "parts": parts}, "index": choice}
        return {"candidates": [candidate], **response_envelope(self._id, self._model)}

    def _start(self, event: ir.PartStart) -> list[JSONObject]:
        known = event.part.arguments if isinstance(event.part, ir.ToolCallPart) else ""
        state = _EncodingPart(event.part, [known] if known else [])
        self._parts[(event.choice, event.index)] = state
        if isinstance(event.part, ir.ToolCallPart):
            self._has_calls.add(event.choice)
        original = gemini_entry(event.part.provider_details).get("part")
        if isinstance(original, dict):  # a whole wire part (media, code execution): send it as it was
            state.emitted = True
            return [self._chunk(event.choice, [cast("JSONObject", original)])]
        return []

    def _delta(self, event: ir.TextDelta | ir.ThinkingDelta) -> list[JSONObject]:
        state = self._parts.get((event.choice, event.index))
        if state is None or not event.text or gemini_entry(state.part.provider_details).get("part"):
            return []  # a bare signature delta: another vendor's, meaningless to Gemini
        return [self._chunk(event.choice, [self._piece(state, event.text)])]

    def _piece(self, state: _EncodingPart, text: str) -> JSONObject:
        """One text or thought piece; the first piece of a part carries the part's wire extras."""
        piece: JSONObject = {"text": text}
        if isinstance(state.part, ir.ThinkingPart):
            piece["thought"] = True
        if not state.emitted:
            state.emitted = True
            entry = gemini_entry(state.part.provider_details)
            if THOUGHT_SIGNATURE in entry:
                piece[THOUGHT_SIGNATURE] = entry[THOUGHT_SIGNATURE]
            piece.update(cast("JSONObject", entry.get("extra", {})))
        return piece

    def _end(self, event: ir.PartEnd) -> list[JSONObject]:
        state = self._parts.pop((event.choice, event.index), None)
        if state is None:
            return []
        part = state.part
        if isinstance(part, ir.ToolCallPart):
            call = ir.ToolCallPart(part.id, part.name, "".join(state.arguments), part.provider_details)
            return [self._chunk(event.choice, self._encoder.encode(call, f"choices[{event.choice}]"))]
        if not state.emitted and gemini_entry(part.provider_details):
            return [self._chunk(event.choice, [self._piece(state, "")])]  # e.g. a signature-only part
        return []

    def _final(self) -> list[JSONObject]:
        chunk: JSONObject = {}
        candidates: list[JSONObject] = []
        for choice, finish in sorted(self._finishes.items()):
            entry = gemini_entry(finish.provider_details)
            feedback = entry.get("promptFeedback")
            if isinstance(feedback, dict):
                chunk["promptFeedback"] = feedback
                continue
            candidates.append(candidate_tail(finish.reason, choice, entry, choice in self._has_calls))
        if candidates:
            chunk["candidates"] = candidates
        if self._usage is not None:
            chunk["usageMetadata"] = usage_to_wire(self._usage)
        self._finishes.clear()
        return [{**chunk, **response_envelope(self._id, self._model)}] if chunk else []
