"""``provider_details["openai_responses"]``: the wire-form choices this codec remembers, and how to read them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast

from ... import ir
from .._checks import Reader as _Reader

NAME: Final = "openai_responses"


def make_details(**entries: Any) -> dict[str, Any] | None:
    """``provider_details`` for this codec, holding only the entries that say something."""
    kept = {key: value for key, value in entries.items() if value is not None}
    return {NAME: kept} if kept else None


def extras(reader: _Reader) -> dict[str, Any]:
    """The keys an object carried beyond what was read."""
    left = reader.leftovers()
    return {"extra": left} if left else {}


def put_detail(part: ir.Part, key: str, value: object) -> None:
    details = dict(part.provider_details or {})
    details[NAME] = {**own_details(details), key: value}
    part.provider_details = details


def own_details(provider_details: Mapping[str, Any] | None) -> Mapping[str, Any]:
    value = (provider_details or {}).get(NAME)
    return cast("Mapping[str, Any]", value) if isinstance(value, Mapping) else {}


def section(mine: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = mine.get(key)
    return cast("Mapping[str, Any]", value) if isinstance(value, Mapping) else {}


def merge(target: dict[str, Any], extra: object) -> None:
    """Adds stored keys without overriding what the encoder set."""
    if isinstance(extra, Mapping):
        for key, value in cast("Mapping[str, Any]", extra).items():
            target.setdefault(key, value)


def with_extras(wire: dict[str, Any], details: Mapping[str, Any]) -> dict[str, Any]:
    merge(wire, details.get("extra"))
    return wire
