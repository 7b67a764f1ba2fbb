"""Content parts and reasoning summaries as they appear on the wire, shared by the decoders and the encoders."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast

PARAGRAPH_BREAK: Final = "\n\n"


def refusal_part(text: str) -> dict[str, Any]:
    return {"type": "refusal", "refusal": text}


def summary_part(text: str) -> dict[str, Any]:
    return {"type": "summary_text", "text": text}


def reasoning_text(summary: object, content: object) -> str:
    """The summary texts, or for models that show their raw reasoning (no summary) the reasoning texts."""
    return PARAGRAPH_BREAK.join(_texts(summary)) or "".join(_texts(content))


def summary_wire(text: str) -> list[dict[str, Any]]:
    return [summary_part(text)] if text else []


def _texts(entries: object) -> list[str]:
    if not isinstance(entries, list):
        return []
    texts: list[str] = []
    for entry in cast("list[Any]", entries):
        text = cast("Mapping[str, Any]", entry).get("text") if isinstance(entry, Mapping) else None
        if isinstance(text, str):
            texts.append(text)
    return texts


def stringable(items: list[Any]) -> bool:
    return not items or (len(items) == 1 and is_plain(items[0], "input_text"))


def is_plain(item: object, kind: str) -> bool:
    if not isinstance(item, Mapping):
        return False
    mapping = cast("Mapping[str, Any]", item)
    return set(mapping) == {"type", "text"} and mapping["type"] == kind
