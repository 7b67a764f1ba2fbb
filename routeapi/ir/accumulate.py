"""Stream events folded into a response: what a stream said so far (the partial answer of an interrupted stream, or
the whole answer of a complete one)."""

from __future__ import annotations

from .events import (
    Finish,
    MessageStart,
    PartStart,
    StreamEvent,
    TextDelta,
    ThinkingDelta,
    ToolArgumentsDelta,
    UsageUpdate,
)
from .messages import Message
from .parts import Part, TextPart, ThinkingPart, ToolCallPart
from .response import Choice, Response
from .usage import Usage


class Accumulator:
    __slots__ = ("_choices", "_finish", "_id", "_model", "_parts", "usage")

    def __init__(self) -> None:
        self._id = ""
        self._model = ""
        self._parts: dict[int, dict[int, Part]] = {}
        self._finish: dict[int, Finish] = {}
        self.usage: Usage | None = None

    def add(self, event: StreamEvent) -> None:
        if isinstance(event, MessageStart):
            self._id, self._model = event.id, event.model
        elif isinstance(event, PartStart):
            part = event.part
            copy: Part = (
                ToolCallPart(part.id, part.name, part.arguments)
                if isinstance(part, ToolCallPart)
                else ThinkingPart(part.text, part.signature, part.redacted)
                if isinstance(part, ThinkingPart)
                else TextPart(part.text)
            )
            self._parts.setdefault(event.choice, {})[event.index] = copy
        elif isinstance(event, TextDelta):
            part = self._part(event.choice, event.index)
            if isinstance(part, TextPart):
                part.text += event.text
        elif isinstance(event, ToolArgumentsDelta):
            part = self._part(event.choice, event.index)
            if isinstance(part, ToolCallPart):
                part.arguments += event.arguments
        elif isinstance(event, ThinkingDelta):
            part = self._part(event.choice, event.index)
            if isinstance(part, ThinkingPart):
                part.text += event.text
                if event.signature is not None:
                    part.signature = event.signature
        elif isinstance(event, UsageUpdate):
            self.usage = event.usage
        elif isinstance(event, Finish):
            self._finish[event.choice] = event

    def _part(self, choice: int, index: int) -> Part | None:
        return self._parts.get(choice, {}).get(index)

    def response(self) -> Response:
        choices: list[Choice] = []
        for number in sorted(set(self._parts) | set(self._finish)):
            parts = [part for _, part in sorted(self._parts.get(number, {}).items())]
            finish = self._finish.get(number)
            choices.append(
                Choice(
                    Message("assistant", parts),
                    finish.reason if finish else None,
                    number,
                    finish.stop_sequence if finish else None,
                )
            )
        return Response(self._id, self._model, choices, self.usage)
