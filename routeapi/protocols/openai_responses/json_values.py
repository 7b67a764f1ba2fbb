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


def sniff_image_type(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"GIF8"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"
