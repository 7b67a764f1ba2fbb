"""Known models, their limits and list prices, from ``models.json`` (loaded on first lookup)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True, slots=True)
class Prices:
    """List prices in USD per million tokens (see ``prices_source`` and ``prices_as_of`` in ``models.json``)."""

    input: float
    """Uncached input tokens."""
    cached_input: float
    """Input tokens read from the provider's prompt cache."""
    cache_write: float
    """Input tokens written to the prompt cache (Anthropic's 5-minute rate; the input price where writes cost no
    extra)."""
    output: float
    reasoning: float | None = None
    """Set only where reasoning tokens are billed differently from output tokens."""
    max_input_tokens: int | None = None
    """These prices hold up to this many input tokens per request; above it the price is unknown (a long-context
    tier routeapi does not model), so no cost is reported."""


@dataclass(frozen=True, slots=True)
class ModelInfo:
    context_window: int | None = None
    max_output_tokens: int | None = None
    json_schema: bool = True
    """Whether the model has a native JSON-schema output mechanism (else routeapi emulates it with a forced tool)."""
    tools: bool = True
    """Whether the model can call tools (function calling)."""
    vision: bool = True
    """Whether the model accepts images."""
    prefill: bool | None = None
    """Whether a final assistant message is continued as a prefix (Anthropic's prefill); None: not known."""
    prices: Prices | None = None


@cache
def _table() -> dict[str, ModelInfo]:
    raw = json.loads(resources.files("routeapi.catalog").joinpath("models.json").read_text(encoding="utf-8"))
    return {name: _model_info(fields) for name, fields in raw["models"].items()}


def _model_info(fields: dict[str, Any]) -> ModelInfo:
    limits = {key: value for key, value in fields.items() if key != "prices"}
    prices = fields.get("prices")
    return ModelInfo(**limits, prices=Prices(**prices) if prices is not None else None)


def lookup(family: str, model: str) -> ModelInfo | None:
    """The entry for ``family/model`` (family: ``openai``, ``anthropic``, ``gemini``...). Dated snapshots match their
    base name (``claude-sonnet-4-5-20250929`` -> ``claude-sonnet-4-5``); the longest known prefix wins."""
    table = _table()
    name = f"{family}/{model}"
    best: str | None = None
    for known in table:
        if (name == known or name.startswith(known + "-")) and (best is None or len(known) > len(best)):
            best = known
    return table[best] if best is not None else None


def lookup_exact(family: str, model: str) -> ModelInfo | None:
    """The entry named exactly ``family/model``: no prefix matching, for facts a variant does not share with its
    base model (``gpt-4.1-nano`` is not priced like ``gpt-4.1``)."""
    return _table().get(f"{family}/{model}")
