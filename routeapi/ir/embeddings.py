"""Embedding requests and responses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._unset import UNSET, Maybe


@dataclass(slots=True)
class EmbeddingRequest:
    """Texts to embed. ``dimensions`` asks for shorter vectors where the model supports it; ``task_type`` is
    Gemini's / Cohere's hint (``RETRIEVAL_QUERY``, ``search_document``...), kept as given."""

    model: str
    inputs: list[str] = field(default_factory=lambda: [])
    dimensions: Maybe[int] = UNSET
    task_type: str | None = None
    user: Maybe[str] = UNSET
    source: str | None = None
    extra: dict[str, Any] = field(default_factory=lambda: {})


@dataclass(slots=True)
class EmbeddingResponse:
    """One vector per input, in input order. Codecs encode vectors as floats or base64 as their caller asked."""

    model: str
    vectors: list[list[float]] = field(default_factory=lambda: [])
    input_tokens: int = 0
