"""Shared by the Anthropic Messages modules: the codec name, the shape markers kept in ``provider_details`` and
the JSON reading helpers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias, cast

from ...errors import ProtocolError
from .._checks import kind as _kind
from .._checks import string as _string

NAME = "anthropic_messages"

JSONObject: TypeAlias = dict[str, Any]

# Markers in provider_details that describe wire shape rather than being wire keys.
STRING_CONTENT = "string_content"  # content was a string, not a list of blocks
SAME_TURN = "same_turn"  # this IR message came from the same wire message as the previous one
OPAQUE_BLOCKS = "opaque_blocks"  # [[position, block], ...]: blocks the IR has no part for
_MARKERS = frozenset({STRING_CONTENT, SAME_TURN, OPAQUE_BLOCKS})


# --------------------------------------------------------------------------------------------------------------
# JSON reading helpers: each names the offending path in its ProtocolError.


def json_object(value: object, path: str) -> JSONObject:
    if not isinstance(value, dict):
        raise ProtocolError(f"{path}: expected an object, got {_kind(value)}")
    return cast("JSONObject", value)


def block_type(block: JSONObject, path: str) -> str:
    return _string(block.get("type"), f"{path}.type")


def extra_keys(source: Mapping[str, Any], consumed: frozenset[str]) -> JSONObject:
    return {key: value for key, value in source.items() if key not in consumed}


def details_dict(extras: Mapping[str, Any]) -> dict[str, Any] | None:
    """``provider_details`` holding ``extras`` under this codec's name, or None when there is nothing to keep."""
    return {NAME: dict(extras)} if extras else None


def own_details(provider_details: dict[str, Any] | None) -> JSONObject:
    """This codec's entry in ``provider_details`` (a copy), or {}."""
    if not provider_details:
        return {}
    entry = provider_details.get(NAME)
    return dict(cast("JSONObject", entry)) if isinstance(entry, dict) else {}


def wire_extras(provider_details: dict[str, Any] | None) -> JSONObject:
    """The wire keys kept for a block: this codec's details without the shape markers."""
    return {key: value for key, value in own_details(provider_details).items() if key not in _MARKERS}
