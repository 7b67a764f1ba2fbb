"""Typed reads of decoded JSON values: each malformed value raises ``ProtocolError`` naming its path. Shared by the
codecs that report errors as ``path: expected X, got Y``."""

from __future__ import annotations

from typing import Any, cast

from ..errors import ProtocolError


def kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def array(value: object, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise ProtocolError(f"{path}: expected an array, got {kind(value)}")
    return cast("list[Any]", value)


def string(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise ProtocolError(f"{path}: expected a string, got {kind(value)}")
    return value


def integer(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProtocolError(f"{path}: expected an integer, got {kind(value)}")
    return value


def number(value: object, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProtocolError(f"{path}: expected a number, got {kind(value)}")
    return value


def boolean(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise ProtocolError(f"{path}: expected a boolean, got {kind(value)}")
    return value


def count(value: object) -> int:
    """A token count from a vendor payload; null or absent is 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
