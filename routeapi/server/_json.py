"""JSON in and out of the gateway: orjson when installed (several times faster on large bodies), else json."""

from __future__ import annotations

import json
from typing import Any

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is optional
    orjson = None


def dumps(value: Any) -> bytes:
    if orjson is not None:
        return orjson.dumps(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def loads(data: bytes) -> Any:
    """Raises ValueError on malformed JSON (both libraries' errors subclass it)."""
    if orjson is not None:
        return orjson.loads(data)
    return json.loads(data)
