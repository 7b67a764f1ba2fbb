"""Base64 payloads and ``data:`` URLs, as Chat Completions carries images, audio and files."""

from __future__ import annotations

import base64
import binascii
import urllib.parse


def parse_data_url(url: str) -> tuple[str, bytes] | None:
    """``data:<media type>[;base64],<payload>`` -> (media type, bytes); None when ``url`` is not a valid data URL.
    The media type keeps its parameters (``text/plain;charset=utf-8``); RFC 2397's default is ``text/plain``."""
    if url[:5].lower() != "data:" or "," not in url:
        return None
    header, _, payload = url[5:].partition(",")
    media_type, is_base64 = header, False
    if header.lower().endswith(";base64"):
        media_type, is_base64 = header[: -len(";base64")], True
    if not is_base64:
        return media_type or "text/plain", urllib.parse.unquote_to_bytes(payload)
    data = b64decode_or_none(payload)
    return None if data is None else (media_type or "text/plain", data)


def to_data_url(media_type: str, data: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def b64decode_or_none(text: str) -> bytes | None:
    compact = "".join(text.split())
    try:
        return base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
