"""JSON in and out of the gateway: orjson when a safe version is installed (several times faster on large
bodies), else json. Either way a body nested deeper than ``MAX_DEPTH`` is refused: deep nesting only serves to exhaust
a parser's stack (orjson before 3.11.6 crashed the process on it)."""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 100

try:
    import orjson

    if tuple(int(p) for p in orjson.__version__.split(".")[:3]) < (3, 11, 6):
        orjson = None  # type: ignore[assignment]
except ImportError:  # pragma: no cover - orjson is optional
    orjson = None


def dumps(value: Any) -> bytes:
    if orjson is not None:
        return orjson.dumps(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def loads(data: bytes) -> Any:
    """Raises ValueError on malformed or too deeply nested JSON."""
    try:
        value = orjson.loads(data) if orjson is not None else json.loads(data)
    except RecursionError:
        raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    _check_depth(value)
    return value


def _check_depth(value: Any) -> None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())  # type: ignore[misc]
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)  # type: ignore[misc]
