"""The codec's name, the markers it keeps in ``provider_details`` and the media formats Converse accepts."""

from __future__ import annotations

from typing import Any, Final, TypeAlias

NAME: Final = "bedrock_converse"

JSONObject: TypeAlias = dict[str, Any]

# Markers in provider_details that describe wire shape rather than being wire keys.
SAME_TURN: Final = "same_turn"  # this IR message came from the same wire message as the previous one
OPAQUE_BLOCKS: Final = "opaque_blocks"  # [[position, block], ...]: blocks the IR has no part for
JSON_RESULT: Final = "json"  # a tool-result text part that was a {"json": value} item
NO_FORMAT: Final = "no_format"  # a document block sent without its optional format
MARKERS: Final = frozenset({SAME_TURN, OPAQUE_BLOCKS, JSON_RESULT, NO_FORMAT})

IMAGE_FORMATS: Final[dict[str, str]] = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
}
DOCUMENT_MEDIA_TYPES: Final[dict[str, str]] = {
    "pdf": "application/pdf",
    "csv": "text/csv",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html",
    "txt": "text/plain",
    "md": "text/markdown",
}
DOCUMENT_FORMATS: Final[dict[str, str]] = {
    **{media_type: fmt for fmt, media_type in DOCUMENT_MEDIA_TYPES.items()},
    "text/x-markdown": "md",
    "application/csv": "csv",
}
AUDIO_FORMATS: Final = frozenset(
    {"mp3", "opus", "wav", "aac", "flac", "mp4", "ogg", "mkv", "mka", "x-aac", "m4a", "mpeg", "mpga", "pcm", "webm"}
)
