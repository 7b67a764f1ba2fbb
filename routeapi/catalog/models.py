"""Known models and their limits, from ``models.json`` (loaded on first lookup)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class ModelInfo:
    context_window: int | None = None
    max_output_tokens: int | None = None
    json_schema: bool = True
    """Whether the model has a native JSON-schema output mechanism (else routeapi emulates it with a forced tool)."""


@cache
def _table() -> dict[str, ModelInfo]:
    raw = json.loads(resources.files("routeapi.catalog").joinpath("models.json").read_text(encoding="utf-8"))
    return {name: ModelInfo(**fields) for name, fields in raw["models"].items()}


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
