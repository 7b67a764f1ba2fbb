"""The protocol name, the JSON object type and small JSON access helpers: every malformed field raises
ProtocolError naming it."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, TypeAlias, cast

from ...errors import ProtocolError

NAME = "gemini"

JSONObject: TypeAlias = dict[str, Any]


def as_object(value: object, where: str) -> JSONObject:
    if not isinstance(value, dict):
        raise ProtocolError(f"{where} must be an object")
    return cast("JSONObject", value)


def as_list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ProtocolError(f"{where} must be a list")
    return cast("list[Any]", value)


def as_str(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ProtocolError(f"{where} must be a string")
    return value


def as_number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProtocolError(f"{where} must be a number")
    return value  # kept as given (int or float) so a round trip does not turn 1 into 1.0


def as_int(value: object, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):  # proto3 JSON writes int64 as a string
        return int(value)
    raise ProtocolError(f"{where} must be an integer")


def as_bool(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise ProtocolError(f"{where} must be a boolean")
    return value


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def gemini_entry(details: Mapping[str, Any] | None) -> JSONObject:
    """This codec's entry of a ``provider_details`` dict (empty when absent)."""
    entry = (details or {}).get(NAME)
    return cast("JSONObject", entry) if isinstance(entry, dict) else {}


def provider_details(entry: JSONObject) -> dict[str, Any] | None:
    return {NAME: entry} if entry else None


def deep_merge(base: JSONObject, overlay: Mapping[str, Any]) -> JSONObject:
    """Deep-merge ``overlay`` into ``base`` (objects merge, anything else replaces)."""
    for key, value in overlay.items():
        current = base.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            deep_merge(cast("JSONObject", current), cast("JSONObject", value))
        else:
            base[key] = value
    return base
