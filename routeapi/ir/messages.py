"""Messages and the conversation roles."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .parts import Part, TextPart, ToolCallPart

Role = Literal["system", "developer", "user", "assistant", "tool"]


@dataclass(slots=True)
class Message:
    """One turn. ``system``/``developer`` messages may appear anywhere (OpenAI allows it); codecs for protocols
    with a single top-level system prompt hoist them. ``tool`` messages hold :class:`ToolResultPart` parts."""

    role: Role
    parts: list[Part] = field(default_factory=lambda: [])
    name: str | None = None
    provider_details: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        """The concatenated text parts."""
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def tool_calls(self) -> list[ToolCallPart]:
        return [p for p in self.parts if isinstance(p, ToolCallPart)]
