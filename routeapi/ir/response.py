"""The vendor-neutral response."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .messages import Message
from .request import Adaptation
from .usage import Usage

FinishReason = Literal[
    "stop",  # natural end of turn
    "stop_sequence",  # a caller-given stop sequence matched (``Choice.stop_sequence`` says which)
    "length",  # max tokens reached
    "tool_calls",
    "content_filter",
    "context_length",  # the context window was exceeded while generating
    "malformed_tool_call",
    "pause",  # a long-running server tool paused the turn (Anthropic ``pause_turn``)
    "other",
]


@dataclass(slots=True)
class Choice:
    message: Message
    finish_reason: FinishReason | None = None
    index: int = 0
    stop_sequence: str | None = None
    logprobs: Any = None
    content_filter: dict[str, Any] | None = None
    """Why the provider filtered the content (its categories, as it reported them), when it did."""
    provider_details: dict[str, Any] | None = None


@dataclass(slots=True)
class Response:
    id: str
    model: str
    choices: list[Choice] = field(default_factory=lambda: [])
    usage: Usage | None = None
    created: int = 0
    adaptations: list[Adaptation] = field(default_factory=lambda: [])
    provider_details: dict[str, Any] | None = None

    @property
    def message(self) -> Message:
        return self.choices[0].message
