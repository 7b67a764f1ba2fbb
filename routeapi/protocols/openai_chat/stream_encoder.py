"""IR stream events -> ``ChatCompletionChunk`` dicts."""

from __future__ import annotations

from typing import Any

from ... import ir
from ...errors import ProtocolError
from .provider_details import codec_details, merge_missing
from .response import encode_usage, finish_to_wire


class OpenAIChatStreamEncoder:
    """IR stream events -> ``ChatCompletionChunk`` dicts, following the rules the SDK's accumulator relies on: one
    id/created/model throughout, ``role`` in each choice's first delta, a tool call's id/type/name only in its first
    fragment (``index`` = its ordinal among the choice's tool calls), ``delta: {}`` with the finish reason, and with
    ``include_usage`` a ``"usage": null`` on every chunk plus one ``choices: []`` usage chunk before the end.
    Reasoning events are dropped: Chat Completions has no reasoning text. ``finished`` turns true on ``StreamEnd``,
    when the transport writes ``data: [DONE]``."""

    __slots__ = ("_choices", "_envelope", "_include_usage", "_usage", "finished")

    def __init__(self, *, include_usage: bool = False) -> None:
        self._include_usage = include_usage
        self._envelope: dict[str, Any] | None = None
        self._choices: dict[int, _ChoiceOutput] = {}
        self._usage: ir.Usage | None = None
        self.finished = False

    def encode(self, event: ir.StreamEvent) -> list[dict[str, Any]]:
        if isinstance(event, ir.MessageStart):
            envelope = {
                "id": event.id,
                "object": "chat.completion.chunk",
                "created": event.created,
                "model": event.model,
            }
            merge_missing(envelope, codec_details(event.provider_details).get("extra"))
            self._envelope = envelope
            return []
        if isinstance(event, ir.UsageUpdate):
            self._usage = event.usage
            return []
        if isinstance(event, ir.StreamEnd):
            self.finished = True
            if self._include_usage and self._usage is not None:
                return [self._chunk([], usage=encode_usage(self._usage))]
            return []
        if isinstance(event, (ir.PartEnd, ir.ThinkingDelta)):
            return []
        if isinstance(event, ir.Finish):
            chunks = [] if self._output(event.choice).started else self._delta(event.choice, {})
            reason = finish_to_wire(event.reason, codec_details(event.provider_details))
            return [*chunks, self._chunk([_choice_chunk(event.choice, {}, reason)])]
        if isinstance(event, ir.PartStart):
            return self._part_start(event)
        if isinstance(event, ir.TextDelta):
            return self._text(event.choice, self._output(event.choice).kinds.get(event.index, "text"), event.text)
        ordinal = self._output(event.choice).tool_ordinals.get(event.index)
        if ordinal is None:
            raise ProtocolError(f"tool arguments for part {event.index}, which is not a started tool call")
        if not event.arguments:
            return []
        return self._delta(
            event.choice, {"tool_calls": [{"index": ordinal, "function": {"arguments": event.arguments}}]}
        )

    def _part_start(self, event: ir.PartStart) -> list[dict[str, Any]]:
        output = self._output(event.choice)
        part = event.part
        if isinstance(part, ir.ThinkingPart):
            output.kinds[event.index] = "skip"
            return []
        if isinstance(part, ir.TextPart):
            kind = "refusal" if codec_details(part.provider_details).get("refusal") else "text"
            output.kinds[event.index] = kind
            return self._text(event.choice, kind, part.text)
        ordinal = len(output.tool_ordinals)
        output.tool_ordinals[event.index] = ordinal
        output.kinds[event.index] = "tool"
        function = {"name": part.name, "arguments": part.arguments}
        call: dict[str, Any] = {"index": ordinal, "id": part.id, "type": "function", "function": function}
        return self._delta(event.choice, {"tool_calls": [call]})

    def _text(self, choice: int, kind: str, text: str) -> list[dict[str, Any]]:
        if kind == "skip" or not text:
            return []
        return self._delta(choice, {"refusal" if kind == "refusal" else "content": text})

    def _output(self, choice: int) -> _ChoiceOutput:
        return self._choices.setdefault(choice, _ChoiceOutput())

    def _delta(self, choice: int, delta: dict[str, Any]) -> list[dict[str, Any]]:
        """A content chunk; the first one of each choice carries the role. The SDK accumulator adds choices in
        index order, so choices below this one that have not spoken yet get a role-only chunk first."""
        chunks: list[dict[str, Any]] = []
        for earlier in range(choice):
            if not self._output(earlier).started:
                self._output(earlier).started = True
                chunks.append(self._chunk([_choice_chunk(earlier, {"role": "assistant"}, None)]))
        output = self._output(choice)
        if not output.started:
            output.started = True
            delta = {"role": "assistant", **delta}
        chunks.append(self._chunk([_choice_chunk(choice, delta, None)]))
        return chunks

    def _chunk(self, choices: list[dict[str, Any]], *, usage: dict[str, Any] | None = None) -> dict[str, Any]:
        if self._envelope is None:
            raise ProtocolError("stream event before MessageStart")
        chunk = {**self._envelope, "choices": choices}
        if self._include_usage:
            chunk["usage"] = usage
        return chunk


class _ChoiceOutput:
    __slots__ = ("kinds", "started", "tool_ordinals")

    def __init__(self) -> None:
        self.started = False
        self.kinds: dict[int, str] = {}  # part index -> "text" | "refusal" | "tool" | "skip"
        self.tool_ordinals: dict[int, int] = {}  # part index -> tool_calls[].index


def _choice_chunk(index: int, delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
    return {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
