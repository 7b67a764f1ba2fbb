"""IR parts -> Anthropic content blocks."""

from __future__ import annotations

import base64
import json
import re
from typing import Any, Literal, cast

from ... import ir
from ...errors import ProtocolError, UnsupportedFeature
from .._images import sniff_image_type
from .shared import NAME, STRING_CONTENT, JSONObject, own_details, wire_extras

_DATA_URL = re.compile(r"data:(?P<media>[^;,]*)(?P<params>(;[^;,]*)*?);base64,(?P<data>.*)", re.DOTALL)


def _base64_source(data: bytes, media_type: str) -> JSONObject:
    return {"type": "base64", "media_type": media_type, "data": base64.b64encode(data).decode("ascii")}


def _url_source(url: str, default_media_type: str) -> JSONObject:
    """A ``url`` source; a ``data:`` URL becomes an inline base64 source."""
    match = _DATA_URL.fullmatch(url)
    if match is None:
        return {"type": "url", "url": url}
    return {"type": "base64", "media_type": match["media"] or default_media_type, "data": match["data"]}


def _parse_tool_input(arguments: str) -> JSONObject | None:
    """The arguments as a JSON object ({} for empty text), or None when they are not one."""
    if not arguments.strip():
        return {}
    try:
        value = json.loads(arguments)
    except ValueError:
        return None
    return cast("JSONObject", value) if isinstance(value, dict) else None


def _is_foreign_thinking(part: ir.ThinkingPart) -> bool:
    """Reasoning from another vendor (no Anthropic signature or data): Anthropic would reject it."""
    return not part.signature and part.redacted is None and NAME not in (part.provider_details or {})


class BlockEncoder:
    """IR parts -> Anthropic content blocks, collecting adaptations. ``same_source`` keeps wire shapes exact."""

    def __init__(self, adaptations: list[ir.Adaptation], *, same_source: bool, for_response: bool = False) -> None:
        self.adaptations = adaptations
        self.same_source = same_source
        self.for_response = for_response

    def blocks(self, parts: list[ir.Part], path: str, opaque: list[Any] | None = None) -> list[JSONObject]:
        blocks: list[JSONObject] = []
        for j, part in enumerate(parts):
            block = self.block(part, f"{path}.parts[{j}]")
            if block is not None:
                blocks.append(block)
        for entry in opaque or ():
            position, block = cast("list[Any]", entry)
            blocks.insert(min(int(position), len(blocks)), cast("JSONObject", block))
        return blocks

    def block(self, part: ir.Part, path: str) -> JSONObject | None:
        if isinstance(part, ir.TextPart):
            return self.text(part)
        if isinstance(part, ir.ImagePart):
            return self.image(part, path)
        if isinstance(part, ir.DocumentPart):
            return self.document(part, path)
        if isinstance(part, ir.AudioPart):
            raise UnsupportedFeature(f"{path}: Anthropic Messages does not accept audio input")
        if isinstance(part, ir.ToolCallPart):
            return self.tool_use(part, path)
        if isinstance(part, ir.ToolResultPart):
            return self.tool_result(part, path)
        if isinstance(part, ir.ThinkingPart):
            return self.thinking(part, path)
        self._adapt(path, "adapted", "a refusal is sent as text")
        return {"type": "text", "text": part.text}

    def _adapt(self, param: str, action: Literal["dropped", "adapted"], reason: str) -> None:
        self.adaptations.append(ir.Adaptation(param, action, reason))

    def text(self, part: ir.TextPart) -> JSONObject | None:
        extras = wire_extras(part.provider_details)
        if not part.text and not extras and not self.same_source and not self.for_response:
            return None  # Anthropic rejects empty text blocks; other protocols produce them freely
        return {"type": "text", "text": part.text, **extras}

    def image(self, part: ir.ImagePart, path: str) -> JSONObject:
        extras = wire_extras(part.provider_details)
        block: JSONObject = {"type": "image"}
        if "source" not in extras:
            if part.data is not None:
                media_type = part.media_type or sniff_image_type(part.data) or "image/png"
                block["source"] = _base64_source(part.data, media_type)
            elif part.url is not None:
                block["source"] = _url_source(part.url, part.media_type or "image/png")
            else:
                raise ProtocolError(f"{path}: an image needs data or a url")
        if part.detail is not None:
            self._adapt(f"{path}.detail", "dropped", "Anthropic has no image detail setting")
        return {**block, **extras}

    def document(self, part: ir.DocumentPart, path: str) -> JSONObject:
        extras = wire_extras(part.provider_details)
        block: JSONObject = {"type": "document"}
        if "source" not in extras:
            block["source"] = self._document_source(part, path)
        title = part.title if part.title is not None else part.filename
        if title is not None:
            block["title"] = title
        return {**block, **extras}

    @staticmethod
    def _document_source(part: ir.DocumentPart, path: str) -> JSONObject:
        if part.text is not None:
            return {"type": "text", "media_type": "text/plain", "data": part.text}
        if part.data is not None:
            if part.media_type == "text/plain":
                return {"type": "text", "media_type": "text/plain", "data": part.data.decode("utf-8", "replace")}
            return _base64_source(part.data, part.media_type or "application/pdf")
        if part.url is not None:
            return _url_source(part.url, part.media_type or "application/pdf")
        raise ProtocolError(f"{path}: a document needs data, text or a url")

    def tool_use(self, part: ir.ToolCallPart, path: str) -> JSONObject:
        parsed = _parse_tool_input(part.arguments)
        if parsed is None:
            parsed = {"_raw_arguments": part.arguments}
            self._adapt(f"{path}.arguments", "adapted", 'not a JSON object; sent as {"_raw_arguments": <text>}')
        block: JSONObject = {"type": "tool_use", "id": part.id, "name": part.name, "input": parsed}
        return {**block, **wire_extras(part.provider_details)}

    def tool_result(self, part: ir.ToolResultPart, path: str) -> JSONObject:
        details = own_details(part.provider_details)
        extras = wire_extras(part.provider_details)
        block: JSONObject = {"type": "tool_result", "tool_use_id": part.tool_call_id}
        content = part.content
        plain_text = len(content) == 1 and isinstance(content[0], ir.TextPart) and not content[0].provider_details
        as_string = details.get(STRING_CONTENT) if self.same_source else plain_text
        if as_string and plain_text:
            block["content"] = cast("ir.TextPart", content[0]).text
        elif content:
            block["content"] = self.blocks(list(cast("list[ir.Part]", content)), f"{path}.content")
        if part.is_error:
            block["is_error"] = True
        return {**block, **extras}

    def thinking(self, part: ir.ThinkingPart, path: str) -> JSONObject | None:
        extras = wire_extras(part.provider_details)
        if part.redacted is not None:
            return {"type": "redacted_thinking", "data": part.redacted, **extras}
        if _is_foreign_thinking(part) and not self.for_response:
            self._adapt(path, "dropped", "reasoning from another provider cannot be replayed to Anthropic")
            return None
        return {"type": "thinking", "thinking": part.text, "signature": part.signature or "", **extras}


def wire_content(blocks: list[JSONObject], string_content: bool) -> str | list[JSONObject]:
    """The message content: a string when the source sent one and the blocks still allow it."""
    if string_content and len(blocks) == 1 and set(blocks[0]) == {"type", "text"} and blocks[0]["type"] == "text":
        return cast("str", blocks[0]["text"])
    return blocks
