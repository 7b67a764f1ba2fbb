"""This codec's ``provider_details`` entry (keyed by :data:`NAME`): building it, reading it back, and merging the
wire keys it stored into an encoded object."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast

from .._checks import Reader as _Reader

NAME: Final = "openai_chat"


def make_details(**entries: Any) -> dict[str, Any] | None:
    """``provider_details`` for this codec, holding only the entries that say something."""
    kept = {key: value for key, value in entries.items() if value is not None}
    return {NAME: kept} if kept else None


def unread_extras(outer: _Reader, inner: _Reader | None = None) -> dict[str, Any]:
    """The keys an object (and its one nested object) carried beyond what was read."""
    extras: dict[str, Any] = {}
    if outer_left := outer.leftovers():
        extras["extra"] = outer_left
    if inner is not None and (inner_left := inner.leftovers()):
        extras["inner_extra"] = inner_left
    return extras


def codec_details(provider_details: Mapping[str, Any] | None) -> Mapping[str, Any]:
    value = (provider_details or {}).get(NAME)
    return cast("Mapping[str, Any]", value) if isinstance(value, Mapping) else {}


def detail_section(mine: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = mine.get(key)
    return cast("Mapping[str, Any]", value) if isinstance(value, Mapping) else {}


def merge_missing(target: dict[str, Any], extra: object) -> None:
    """Adds stored keys without overriding what the encoder set."""
    if isinstance(extra, Mapping):
        for key, value in cast("Mapping[str, Any]", extra).items():
            target.setdefault(key, value)


def with_extras(wire: dict[str, Any], details: Mapping[str, Any], inner: str | None = None) -> dict[str, Any]:
    merge_missing(wire, details.get("extra"))
    if inner is not None and isinstance(wire.get(inner), dict):
        merge_missing(wire[inner], details.get("inner_extra"))
    return wire
