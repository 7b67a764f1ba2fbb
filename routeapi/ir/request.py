"""The vendor-neutral request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ._unset import UNSET, Maybe
from .messages import Message
from .tools import ResponseFormat, Tool, ToolChoice


@dataclass(slots=True)
class GenerationSettings:
    """Sampling and output controls. Every field defaults to ``UNSET`` so an explicit ``0``/``False``/``""``
    is a value that reaches the upstream, and an omitted one never appears there."""

    max_tokens: Maybe[int] = UNSET
    temperature: Maybe[float] = UNSET
    top_p: Maybe[float] = UNSET
    top_k: Maybe[int] = UNSET
    stop: Maybe[list[str]] = UNSET
    seed: Maybe[int] = UNSET
    presence_penalty: Maybe[float] = UNSET
    frequency_penalty: Maybe[float] = UNSET
    n: Maybe[int] = UNSET
    logprobs: Maybe[bool] = UNSET
    top_logprobs: Maybe[int] = UNSET
    logit_bias: Maybe[dict[str, float]] = UNSET
    parallel_tool_calls: Maybe[bool] = UNSET
    reasoning_effort: Maybe[str] = UNSET
    """OpenAI-style effort (``none``, ``minimal``, ``low``, ``medium``, ``high``...)."""
    reasoning_budget: Maybe[int] = UNSET
    """Thinking budget in tokens (Anthropic ``budget_tokens``, Gemini ``thinkingBudget``); 0 turns thinking off."""
    user: Maybe[str] = UNSET
    metadata: Maybe[dict[str, Any]] = UNSET


@dataclass(slots=True)
class Request:
    """One generation request.

    ``source`` names the codec the request was decoded from. ``extra`` holds the inbound parameters that codec does
    not model, in its wire form: encoding back to the same protocol sends them on untouched; any other codec
    reports each one as a dropped :class:`Adaptation`.
    """

    model: str
    messages: list[Message] = field(default_factory=lambda: [])
    tools: list[Tool] = field(default_factory=lambda: [])
    tool_choice: Maybe[ToolChoice] = UNSET
    response_format: Maybe[ResponseFormat] = UNSET
    settings: GenerationSettings = field(default_factory=GenerationSettings)
    stream: bool = False
    stream_usage: bool = False
    source: str | None = None
    extra: dict[str, Any] = field(default_factory=lambda: {})
    provider_details: dict[str, Any] | None = None


@dataclass(slots=True, frozen=True)
class Adaptation:
    """A change a route made to a request parameter the target cannot honour as given."""

    param: str
    action: Literal["dropped", "adapted"]
    reason: str

    def __str__(self) -> str:
        return f"{self.param} {self.action}: {self.reason}"
