"""Reading JSON values: arrays, file data (data URL or base64) and the image type of raw bytes."""

from __future__ import annotations

import base64
import binascii
from typing import Any, cast

from ..openai_chat import parse_data_url


def as_list(value: object) -> list[Any] | None:
    return cast("list[Any]", value) if isinstance(value, list) else None


def decode_file_data(value: str) -> tuple[str | None, bytes] | None:
    """``file_data`` is normally a data URL; plain base64 is accepted too."""
    if value[:5].lower() == "data:":
        return parse_data_url(value)
    compact = "".join(value.split())
    try:
        return None, base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
