"""Reading helpers: each names the offending path in its ProtocolError. Also this codec's entry in
``provider_details`` and the made-up ids of responses and streams that carry none."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, cast

from ...errors import ProtocolError
from .._checks import kind as _kind
from .._checks import string as _string
from .constants import MARKERS, NAME, JSONObject


def as_dict(value: object, path: str) -> JSONObject:
    if not isinstance(value, Mapping):
        raise ProtocolError(f"{path}: expected an object, got {_kind(value)}")
    return dict(cast("Mapping[str, Any]", value))


def as_bytes(value: object, path: str) -> bytes:
    if not isinstance(value, (bytes, bytearray)):
        raise ProtocolError(f"{path}: expected bytes, got {_kind(value)}")
    return bytes(value)


def one_member(union: JSONObject, path: str) -> tuple[str, Any]:
    """The one member set in a union object (a content block, a tool choice...)."""
    if len(union) != 1:
        raise ProtocolError(f"{path}: expected exactly one member, got {sorted(union) or 'none'}")
    return next(iter(union.items()))


def enum_value(value: object, allowed: Mapping[str, Any] | frozenset[str], path: str) -> str:
    text = _string(value, path)
    if text not in allowed:
        raise ProtocolError(f"{path}: unknown value {text!r}")
    return text


def leftovers(source: Mapping[str, Any], consumed: frozenset[str]) -> JSONObject:
    return {key: value for key, value in source.items() if key not in consumed}


def details_dict(extras: Mapping[str, Any]) -> dict[str, Any] | None:
    """``provider_details`` holding ``extras`` under this codec's name, or None when there is nothing to keep."""
    return {NAME: dict(extras)} if extras else None


def own_details(provider_details: Mapping[str, Any] | None) -> JSONObject:
    """This codec's entry in ``provider_details`` (a copy), or {}."""
    entry = (provider_details or {}).get(NAME)
    return dict(cast("JSONObject", entry)) if isinstance(entry, dict) else {}


def wire_extras(provider_details: Mapping[str, Any] | None) -> JSONObject:
    """The wire keys kept for a block: this codec's details without the shape markers."""
    return {key: value for key, value in own_details(provider_details).items() if key not in MARKERS}


def new_id() -> str:
    return f"bedrock-{uuid.uuid4().hex}"
