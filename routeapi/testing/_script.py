"""The fakes' vendor-neutral script language: what an upstream answers (Reply) or how it fails (Fault).

Each fake renders a Reply in its own wire protocol, so one script can drive any vendor's fake.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Literal, Union

FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "stop_sequence"]
FINISH_REASONS: tuple[FinishReason, ...] = ("stop", "length", "tool_calls", "content_filter", "stop_sequence")

FaultKind = Literal["status", "delay", "reset", "stall", "cut", "malformed", "stream_error", "blocked"]
STREAM_ONLY_FAULTS: frozenset[FaultKind] = frozenset({"stall", "cut", "malformed", "stream_error"})


@dataclass(frozen=True)
class ToolCall:
    """One tool call of a reply. ``arguments`` given as a string are sent verbatim (they may be invalid JSON)."""

    name: str
    arguments: Mapping[str, Any] | str
    id: str | None = None

    @property
    def arguments_json(self) -> str:
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, init=False)
class Reply:
    """A successful answer. Token counts are vendor-neutral totals: ``input_tokens`` includes cache reads and
    writes, ``output_tokens`` includes reasoning tokens; each fake converts them to its own usage shape."""

    text: str
    tool_calls: tuple[ToolCall, ...]
    thinking: str | None
    thinking_signature: str | None
    finish_reason: FinishReason
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int
    n: int
    chunk_size: int
    id: str | None
    model: str | None
    extra: Mapping[str, Any]

    def __init__(
        self,
        text: str = "",
        *,
        tool_calls: Sequence[ToolCall] = (),
        thinking: str | None = None,
        thinking_signature: str | None = None,
        finish_reason: FinishReason | None = None,
        input_tokens: int = 10,
        output_tokens: int = 5,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
        reasoning_tokens: int = 0,
        n: int = 1,
        chunk_size: int = 4,
        id: str | None = None,  # noqa: A002 - mirrors the wire field name
        model: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        if finish_reason is None:
            finish_reason = "tool_calls" if tool_calls else "stop"
        if finish_reason not in FINISH_REASONS:
            raise ValueError(f"finish_reason must be one of {FINISH_REASONS}, got {finish_reason!r}")
        if n < 1 or chunk_size < 1:
            raise ValueError("n and chunk_size must be at least 1")
        if min(input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens) < 0:
            raise ValueError("token counts cannot be negative")
        if cache_read_tokens + cache_write_tokens > input_tokens:
            raise ValueError("input_tokens is a total: it must include cache_read_tokens and cache_write_tokens")
        if reasoning_tokens > output_tokens:
            raise ValueError("output_tokens is a total: it must include reasoning_tokens")
        values: dict[str, Any] = {
            "text": text,
            "tool_calls": tuple(tool_calls),
            "thinking": thinking,
            "thinking_signature": thinking_signature,
            "finish_reason": finish_reason,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cache_read_tokens": cache_read_tokens,
            "cache_write_tokens": cache_write_tokens,
            "reasoning_tokens": reasoning_tokens,
            "n": n,
            "chunk_size": chunk_size,
            "id": id,
            "model": model,
            "extra": dict(extra or {}),
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @classmethod
    def json(cls, obj: Any, **kwargs: Any) -> Reply:
        """A reply whose text is ``obj`` serialised as JSON (structured-output answers)."""
        return cls(json.dumps(obj), **kwargs)

    def pieces(self, text: str) -> list[str]:
        """``text`` split in ``chunk_size`` pieces, the way the fakes stream it."""
        return [text[i : i + self.chunk_size] for i in range(0, len(text), self.chunk_size)]


@dataclass(frozen=True)
class Fault:
    """A failure to inject. Build one with the class methods; ``then`` is the reply used around the fault."""

    kind: FaultKind
    status_code: int = 0
    message: str = ""
    headers: Mapping[str, str] | None = None
    body: Any = None
    error_type: str | None = None
    seconds: float = 0.0
    after_events: int = 0
    then: Reply | Fault | None = None
    reason: str | None = None

    @classmethod
    def status(
        cls,
        code: int,
        message: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        error_type: str | None = None,
    ) -> Fault:
        """An HTTP error with a body in the vendor's error shape. ``body`` replaces the whole JSON body; given as
        bytes it is sent verbatim as text/plain (``headers`` may set another content-type)."""
        if message is None:
            message = _status_phrase(code)
        return cls("status", status_code=code, message=message, headers=headers, body=body, error_type=error_type)

    @classmethod
    def delay(cls, seconds: float, then: Reply | Fault) -> Fault:
        """Wait ``seconds`` before sending anything, then answer with ``then``."""
        return cls("delay", seconds=seconds, then=then)

    @classmethod
    def reset(cls) -> Fault:
        """Abort the TCP connection (RST) before any response byte."""
        return cls("reset")

    @classmethod
    def stall(cls, after_events: int = 0, then: Reply | None = None) -> Fault:
        """Stream: send headers and ``after_events`` events, then nothing until the client leaves.
        Non-stream: hang before the headers."""
        return cls("stall", after_events=after_events, then=then)

    @classmethod
    def cut(cls, after_events: int, then: Reply | None = None) -> Fault:
        """Stream: send ``after_events`` events, then end the HTTP body cleanly without the protocol terminator."""
        return cls("cut", after_events=after_events, then=then)

    @classmethod
    def malformed(cls, after_events: int, then: Reply | None = None) -> Fault:
        """Stream: send ``after_events`` events, one event with broken JSON, then the rest of the reply."""
        return cls("malformed", after_events=after_events, then=then)

    @classmethod
    def stream_error(
        cls,
        after_events: int,
        *,
        error_type: str = "overloaded_error",
        message: str = "Overloaded",
        then: Reply | None = None,
    ) -> Fault:
        """Stream: send ``after_events`` events, then the protocol's in-stream error event, then end the body."""
        return cls("stream_error", after_events=after_events, error_type=error_type, message=message, then=then)

    @classmethod
    def blocked(cls, reason: str = "SAFETY", message: str | None = None) -> Fault:
        """The provider's safety system blocked the prompt; each fake answers the way its vendor does (an error
        or an empty, flagged reply). ``reason`` names the cause in Gemini's terms (``SAFETY``, ``JAILBREAK``,
        ``PROHIBITED_CONTENT``...); ``message``, when given, replaces the vendor's own wording."""
        return cls("blocked", message=message or "", reason=reason)


Step = Union[Reply, Fault]


def _status_phrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Overloaded" if code == 529 else f"HTTP {code}"
