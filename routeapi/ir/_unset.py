"""The "not given" marker, distinct from ``None``, ``0``, ``False`` and ``""``."""

from __future__ import annotations

from typing import Final, TypeAlias, TypeGuard, TypeVar, Union, final

_T = TypeVar("_T")


@final
class Unset:
    """Type of :data:`UNSET`. Falsy, so ``x or default`` still reads well, but never equal to a value."""

    _instance: Unset | None = None

    def __new__(cls) -> Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNSET"

    def __reduce__(self) -> str:
        return "UNSET"


UNSET: Final = Unset()

Maybe: TypeAlias = Union[_T, Unset]
"""A value the caller may not have given: ``Maybe[float]`` is ``float | Unset``."""


def is_set(value: _T | Unset) -> TypeGuard[_T]:
    return value is not UNSET
