"""Media types, base64 and data URLs. A small table instead of ``mimetypes`` (which reads system files: codecs do
no I/O)."""

from __future__ import annotations

import base64
import binascii
import re

from ...errors import ProtocolError
from .json_access import as_str

_MIME_BY_EXTENSION = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "heic": "image/heic",
    "heif": "image/heif",
    "pdf": "application/pdf",
    "txt": "text/plain",
    "md": "text/md",
    "csv": "text/csv",
    "html": "text/html",
    "mp3": "audio/mp3",
    "wav": "audio/wav",
    "ogg": "audio/ogg",
    "flac": "audio/flac",
    "aac": "audio/aac",
    "mp4": "video/mp4",
    "mov": "video/mov",
    "webm": "video/webm",
}
_AUDIO_FORMAT_BY_MIME = {"audio/mpeg": "mp3", "audio/mp3": "mp3", "audio/x-wav": "wav", "audio/wave": "wav"}


def mime_from_uri(uri: str) -> str | None:
    path = uri.split("?", 1)[0].split("#", 1)[0]
    tail = path.rsplit("/", 1)[-1]
    return _MIME_BY_EXTENSION.get(tail.rsplit(".", 1)[-1].lower()) if "." in tail else None


def audio_format_from_mime(mime: str) -> str:
    return _AUDIO_FORMAT_BY_MIME.get(mime, mime.split("/", 1)[1])


def audio_mime(audio_format: str) -> str:
    return f"audio/{audio_format}"


def b64decode(value: object, where: str) -> bytes:
    text = as_str(value, where)
    try:
        if "-" in text or "_" in text:  # proto3 JSON also accepts the URL-safe alphabet
            return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProtocolError(f"{where} is not valid base64") from exc


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def parse_data_url(url: str) -> tuple[str, bytes] | None:
    match = re.fullmatch(r"data:([^;,]+)(?:;[^,]*)?;base64,(.*)", url, flags=re.DOTALL)
    if match is None:
        return None
    return match.group(1), b64decode(match.group(2), "data URL")
