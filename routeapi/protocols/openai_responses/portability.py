"""Whether a request this codec decoded may be routed to another protocol."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from ... import ir
from ...errors import UnsupportedFeature
from .json_values import as_list
from .provider_details import NAME, own_details


def check_portable(request: ir.Request, target: str) -> None:
    """Raise ``UnsupportedFeature`` when a request this codec decoded needs OpenAI itself and ``target`` is another
    protocol: a built-in tool (web search, MCP...) or a file referenced by ``file_id``. Other codecs would only
    report the ``tools`` extra as dropped, and a missing tool silently changes what the model does."""
    if request.source != NAME or target == NAME:
        return
    hosted = as_list(request.extra.get("tools")) or []
    if hosted:
        kind = cast("Mapping[str, Any]", hosted[0]).get("type") if isinstance(hosted[0], Mapping) else None
        raise UnsupportedFeature(f"built-in tool {kind} is only available on OpenAI")
    for i, message in enumerate(request.messages):
        for part in message.parts:
            inner = part.content if isinstance(part, ir.ToolResultPart) else [part]
            for piece in inner:
                if isinstance(piece, (ir.ImagePart, ir.DocumentPart)) and "file_id" in own_details(
                    piece.provider_details
                ):
                    raise UnsupportedFeature(f"messages[{i}]: a file referenced by file_id is only available on OpenAI")
