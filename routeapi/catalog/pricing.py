"""What a call cost, from its token usage and the catalog's list prices. Pure: no I/O after the catalog loads.

A model routeapi has no price for costs ``None``, never a guess: a wrong number in a spend dashboard is worse than
a missing one.
"""

from __future__ import annotations

import re

from ..ir import Usage
from .models import Prices, lookup_exact

_PER_MILLION = 1_000_000

# Provider types billed at the vendor's own list prices. Azure OpenAI, Bedrock and the OpenAI-compatible vendors
# price the same models differently (or name them differently), so they get no cost rather than a wrong one.
_FAMILIES = {"openai": "openai", "anthropic": "anthropic", "gemini": "gemini"}

# Dated or numbered snapshots bill like their base model: gpt-4o-2024-08-06, claude-sonnet-4-5-20250929,
# gemini-2.0-flash-001. Any other suffix names a different model (gpt-4.1-nano, o3-pro, gemini-2.5-flash-lite).
_SNAPSHOT = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{3}|latest)$")


def family_of(provider_type: str) -> str | None:
    """The catalog family whose prices a provider type pays (``openai``...), or ``None`` when not priced."""
    return _FAMILIES.get(provider_type)


def prices(family: str, model: str) -> Prices | None:
    """The list prices of ``family/model`` or of the model a snapshot name belongs to."""
    info = lookup_exact(family, model) or lookup_exact(family, _SNAPSHOT.sub("", model))
    return info.prices if info is not None else None


def cost(family: str, model: str, usage: Usage) -> float | None:
    """USD cost of ``usage`` on ``family/model``; ``None`` for a model without prices."""
    model_prices = prices(family, model)
    return cost_at(model_prices, usage) if model_prices is not None else None


def cost_at(model_prices: Prices, usage: Usage) -> float | None:
    """USD cost of ``usage`` at ``model_prices``; ``None`` when the usage is beyond what the prices cover or does
    not add up (more cached tokens than input tokens).

    ``Usage.input_tokens`` includes cache reads and writes and ``output_tokens`` includes reasoning, so each part
    is taken out once and billed at its own rate. Reasoning is billed as output unless the model prices it apart.
    """
    uncached = usage.input_tokens - usage.cache_read_tokens - usage.cache_write_tokens
    visible_output = usage.output_tokens - usage.reasoning_tokens
    if uncached < 0 or visible_output < 0:
        return None
    limit = model_prices.max_input_tokens
    if limit is not None and usage.input_tokens > limit:
        return None
    reasoning_price = model_prices.reasoning if model_prices.reasoning is not None else model_prices.output
    total = (
        uncached * model_prices.input
        + usage.cache_read_tokens * model_prices.cached_input
        + usage.cache_write_tokens * model_prices.cache_write
        + visible_output * model_prices.output
        + usage.reasoning_tokens * reasoning_price
    )
    return total / _PER_MILLION
