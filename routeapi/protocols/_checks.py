"""Typed reads of decoded JSON values, shared by the codecs: each malformed value raises ``ProtocolError`` naming its
path (the functions say ``path: expected X, got Y``; :class:`Reader` reads one object and keeps what it left)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from .. import ir
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


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def set_if_given(settings: ir.GenerationSettings, key: str, value: object) -> None:
    if value is not None:
        setattr(settings, key, value)


class Reader:
    """Typed reads from one JSON object. Errors name the field path. Keys not read are left over for a verbatim
    round trip, and so are explicit nulls: a null means "not given", so reads return None for it."""

    __slots__ = ("_path", "_taken", "data")

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, Mapping):
            raise ProtocolError(f"{path or 'the body'} must be a JSON object")
        self.data = cast("Mapping[str, Any]", data)
        self._path = path
        self._taken: set[str] = set()

    def at(self, key: str) -> str:
        return f"{self._path}.{key}" if self._path else key

    def has(self, key: str) -> bool:
        return key in self.data

    def peek(self, key: str) -> Any:
        return self.data.get(key)

    def take(self, key: str) -> Any:
        value = self.data.get(key)
        if value is not None:
            self._taken.add(key)
        return value

    def keep(self, key: str) -> None:
        """Leave a key that was read to the leftovers after all."""
        self._taken.discard(key)

    def claim(self, key: str) -> None:
        """Count a key as read although its value is null (for a null the IR models)."""
        self._taken.add(key)

    def required(self, key: str) -> Any:
        value = self.take(key)
        if value is None:
            raise ProtocolError(f"{self.at(key)} is required")
        return value

    def string(self, key: str) -> str | None:
        value = self.take(key)
        if value is None or isinstance(value, str):
            return value
        raise ProtocolError(f"{self.at(key)} must be a string")

    def required_string(self, key: str) -> str:
        self.required(key)
        return cast("str", self.string(key))

    def integer(self, key: str) -> int | None:
        value = self.take(key)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        raise ProtocolError(f"{self.at(key)} must be an integer")

    def number(self, key: str) -> float | None:
        value = self.take(key)
        if value is None or is_number(value):
            return value
        raise ProtocolError(f"{self.at(key)} must be a number")

    def boolean(self, key: str) -> bool | None:
        value = self.take(key)
        if value is None or isinstance(value, bool):
            return value
        raise ProtocolError(f"{self.at(key)} must be a boolean")

    def array(self, key: str) -> list[Any] | None:
        value = self.take(key)
        if value is None or isinstance(value, list):
            return cast("list[Any] | None", value)
        raise ProtocolError(f"{self.at(key)} must be an array")

    def required_array(self, key: str) -> list[Any]:
        self.required(key)
        return cast("list[Any]", self.array(key))

    def mapping(self, key: str) -> dict[str, Any] | None:
        """A free-form object, kept as given."""
        value = self.take(key)
        if value is None:
            return None
        if isinstance(value, Mapping):
            return dict(cast("Mapping[str, Any]", value))
        raise ProtocolError(f"{self.at(key)} must be an object")

    def reader(self, key: str) -> Reader | None:
        value = self.take(key)
        return None if value is None else Reader(value, self.at(key))

    def required_reader(self, key: str) -> Reader:
        return Reader(self.required(key), self.at(key))

    def leftovers(self) -> dict[str, Any]:
        return {key: value for key, value in self.data.items() if key not in self._taken}
