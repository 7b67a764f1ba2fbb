"""Content parts: the pieces a message is made of."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias, Union


@dataclass(slots=True)
class TextPart:
    text: str
    provider_details: dict[str, Any] | None = None
    kind: Literal["text"] = field(default="text", init=False, repr=False)


@dataclass(slots=True)
class ImagePart:
    """An image given inline (``data`` + ``media_type``) or by ``url``."""

    data: bytes | None = None
    url: str | None = None
    media_type: str | None = None
    detail: str | None = None
    provider_details: dict[str, Any] | None = None
    kind: Literal["image"] = field(default="image", init=False, repr=False)


@dataclass(slots=True)
class DocumentPart:
    """A document (PDF, plain text...) given inline, as text, or by ``url``."""

    data: bytes | None = None
    text: str | None = None
    url: str | None = None
    media_type: str | None = None
    filename: str | None = None
    title: str | None = None
    provider_details: dict[str, Any] | None = None
    kind: Literal["document"] = field(default="document", init=False, repr=False)


@dataclass(slots=True)
class AudioPart:
    data: bytes
    format: str
    provider_details: dict[str, Any] | None = None
    kind: Literal["audio"] = field(default="audio", init=False, repr=False)


@dataclass(slots=True)
class ToolCallPart:
    """A call the model makes. ``arguments`` is the JSON text as the model produced it (possibly invalid)."""

    id: str
    name: str
    arguments: str = ""
    provider_details: dict[str, Any] | None = None
    kind: Literal["tool_call"] = field(default="tool_call", init=False, repr=False)


@dataclass(slots=True)
class ToolResultPart:
    """The caller's answer to a tool call. ``name`` is known on some protocols (Gemini needs it)."""

    tool_call_id: str
    content: list[ContentPart] = field(default_factory=lambda: [])
    is_error: bool = False
    name: str | None = None
    provider_details: dict[str, Any] | None = None
    kind: Literal["tool_result"] = field(default="tool_result", init=False, repr=False)


@dataclass(slots=True)
class ThinkingPart:
    """Model reasoning. ``redacted`` holds opaque encrypted reasoning (Anthropic ``redacted_thinking``)."""

    text: str = ""
    signature: str | None = None
    redacted: str | None = None
    provider_details: dict[str, Any] | None = None
    kind: Literal["thinking"] = field(default="thinking", init=False, repr=False)


@dataclass(slots=True)
class RefusalPart:
    text: str
    provider_details: dict[str, Any] | None = None
    kind: Literal["refusal"] = field(default="refusal", init=False, repr=False)


ContentPart: TypeAlias = Union[TextPart, ImagePart, DocumentPart, AudioPart]
"""Parts that may appear inside a tool result."""

Part: TypeAlias = Union[
    TextPart, ImagePart, DocumentPart, AudioPart, ToolCallPart, ToolResultPart, ThinkingPart, RefusalPart
]
