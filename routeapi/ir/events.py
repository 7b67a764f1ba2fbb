"""Stream events: what every stream decoder produces and every stream encoder consumes.

A well-formed stream is: ``MessageStart``, then per part ``PartStart`` / deltas / ``PartEnd`` (parts are numbered
from 0 per choice in order of appearance), ``UsageUpdate`` whenever usage is known, ``Finish`` per choice, and
``StreamEnd`` once the protocol's own terminator arrived. A decoder that reaches the end of the bytes without
the terminator raises :class:`routeapi.errors.StreamInterrupted` instead of producing ``StreamEnd``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias, Union

from .parts import TextPart, ThinkingPart, ToolCallPart
from .response import FinishReason
from .usage import Usage


@dataclass(slots=True)
class MessageStart:
    id: str
    model: str
    created: int = 0
    provider_details: dict[str, Any] | None = None


@dataclass(slots=True)
class PartStart:
    """A new part. Its content fields hold what is known at start (a tool call's id and name; usually no text)."""

    index: int
    part: TextPart | ToolCallPart | ThinkingPart
    choice: int = 0


@dataclass(slots=True)
class TextDelta:
    index: int
    text: str
    choice: int = 0


@dataclass(slots=True)
class ToolArgumentsDelta:
    index: int
    arguments: str
    choice: int = 0


@dataclass(slots=True)
class ThinkingDelta:
    index: int
    text: str = ""
    signature: str | None = None
    choice: int = 0


@dataclass(slots=True)
class PartEnd:
    index: int
    choice: int = 0


@dataclass(slots=True)
class UsageUpdate:
    """Usage so far, as totals (not increments)."""

    usage: Usage


@dataclass(slots=True)
class Finish:
    reason: FinishReason
    choice: int = 0
    stop_sequence: str | None = None
    provider_details: dict[str, Any] | None = None


@dataclass(slots=True)
class StreamEnd:
    """The protocol's terminator arrived: the stream is complete."""


StreamEvent: TypeAlias = Union[
    MessageStart, PartStart, TextDelta, ToolArgumentsDelta, ThinkingDelta, PartEnd, UsageUpdate, Finish, StreamEnd
]
