"""IR parts -> content blocks."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, Final, Literal, cast

from ... import ir
from ...errors import ProtocolError, UnsupportedFeature
from .._images import sniff_image_type
from .constants import AUDIO_FORMATS, DOCUMENT_FORMATS, IMAGE_FORMATS, JSON_RESULT, NAME, NO_FORMAT, JSONObject
from .reading import own_details, wire_extras

_ANTHROPIC_DETAILS: Final = "anthropic_messages"

_TOOL_NAME: Final = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_DATA_URL: Final = re.compile(r"data:(?P<media>[^;,]*)(?:;[^;,]*)*?;base64,(?P<data>.*)", re.DOTALL)


def _inline_data(url: str) -> tuple[str, bytes] | None:
    """(media type, bytes) of a base64 ``data:`` URL, or None for any other URL."""
    match = _DATA_URL.fullmatch(url)
    if match is None:
        return None
    try:
        return match["media"], base64.b64decode(match["data"], validate=True)
    except (binascii.Error, ValueError):
        return None


def _parse_tool_input(arguments: str, *, any_json: bool) -> object:
    """The arguments as JSON ({} for empty text), or None when they are not a JSON object (any JSON value when
    ``any_json``: a Converse body may carry one)."""
    if not arguments.strip():
        return {}
    try:
        value: object = json.loads(arguments)
    except ValueError:
        return None
    return value if any_json or _is_object(value) else None


def _is_object(value: object) -> bool:
    return isinstance(value, dict)


def check_tool_name(name: str, path: str) -> None:
    if _TOOL_NAME.fullmatch(name) is None:
        raise UnsupportedFeature(f"{path}: Bedrock tool names must match [a-zA-Z0-9_-]{{1,64}}, got {name!r}")


_NAME_STRAY: Final = re.compile(r"[^A-Za-z0-9\s()\[\]-]+")
_NAME_EXTENSION: Final = re.compile(r"\.[A-Za-z0-9]{1,5}$")


def _document_name(part: ir.DocumentPart) -> str:
    """A name Bedrock accepts: letters, digits, single spaces, hyphens, parentheses and square brackets."""
    raw = _NAME_EXTENSION.sub("", part.filename or part.title or "")
    name = " ".join(_NAME_STRAY.sub("-", raw).split())[:200].strip()
    return name or "document"


def _is_foreign_thinking(part: ir.ThinkingPart) -> bool:
    """Reasoning Bedrock cannot replay: no signature or redacted data from the Claude family (Bedrock or Anthropic)."""
    if part.redacted is not None:
        return False
    vendors = set(part.provider_details or {})
    return not part.signature or bool(vendors - {NAME, _ANTHROPIC_DETAILS})


def redacted_bytes(redacted: str) -> bytes:
    """The blob for redacted reasoning: the IR holds it base64-encoded (Anthropic's ``data`` is base64 too)."""
    try:
        return base64.b64decode(redacted, validate=True)
    except (binascii.Error, ValueError):
        return redacted.encode("utf-8")


def _s3_source(url: str) -> JSONObject | None:
    return {"s3Location": {"uri": url}} if url.startswith("s3://") else None


class BlockEncoder:
    """IR parts -> Converse content blocks, collecting adaptations. ``same_source`` keeps wire shapes exact."""

    def __init__(self, adaptations: list[ir.Adaptation], *, same_source: bool) -> None:
        self.adaptations = adaptations
        self.same_source = same_source

    def adapt(self, param: str, action: Literal["dropped", "adapted"], reason: str) -> None:
        self.adaptations.append(ir.Adaptation(param, action, reason))

    def blocks(self, parts: list[ir.Part], path: str, opaque: object = None) -> list[JSONObject]:
        blocks: list[JSONObject] = []
        for j, part in enumerate(parts):
            block = self.block(part, f"{path}.parts[{j}]")
            if block is not None:
                blocks.append(block)
        for entry in cast("list[Any]", opaque or []):
            position, block = cast("list[Any]", entry)
            blocks.insert(min(int(position), len(blocks)), cast("JSONObject", block))
        return blocks

    def block(self, part: ir.Part, path: str) -> JSONObject | None:
        if isinstance(part, ir.TextPart):
            return self.text(part)
        if isinstance(part, ir.ImagePart):
            return {"image": self.image(part, path)}
        if isinstance(part, ir.DocumentPart):
            return {"document": self.document(part, path)}
        if isinstance(part, ir.AudioPart):
            return {"audio": self.audio(part, path)}
        if isinstance(part, ir.ToolCallPart):
            return {"toolUse": self.tool_use(part, path)}
        if isinstance(part, ir.ToolResultPart):
            return {"toolResult": self.tool_result(part, path)}
        if isinstance(part, ir.ThinkingPart):
            return self.reasoning(part, path)
        self.adapt(path, "adapted", "a refusal is sent as text")
        return {"text": part.text}

    def text(self, part: ir.TextPart) -> JSONObject | None:
        if not part.text and not self.same_source:
            return None  # Bedrock rejects blank text blocks; other protocols produce them freely
        return {"text": part.text}

    def image(self, part: ir.ImagePart, path: str) -> JSONObject:
        extras = wire_extras(part.provider_details)
        if part.detail is not None:
            self.adapt(f"{path}.detail", "dropped", "Bedrock has no image detail setting")
        data, media_type = part.data, part.media_type
        source = extras.pop("source", None)
        if source is None and data is None and part.url is not None:
            source = _s3_source(part.url)
            inline = _inline_data(part.url)
            if inline is not None:
                media_type, data = media_type or inline[0], inline[1]
            elif source is None:
                raise UnsupportedFeature("Bedrock needs image bytes; remote image URLs must be fetched first")
        if source is None:
            if data is None:
                raise ProtocolError(f"{path}: an image needs data or a url")
            source = {"bytes": data}
        fmt = IMAGE_FORMATS.get((media_type or "").lower())
        if fmt is None and data is not None:
            fmt = (sniff_image_type(data) or "").removeprefix("image/") or None
        if fmt is None:
            raise UnsupportedFeature(f"{path}: Bedrock accepts png, jpeg, gif and webp images, not {media_type!r}")
        return {"format": fmt, "source": source, **extras}

    def document(self, part: ir.DocumentPart, path: str) -> JSONObject:
        details = own_details(part.provider_details)
        extras = wire_extras(part.provider_details)
        source = extras.pop("source", None) or self._document_source(part, path)
        block: JSONObject = {}
        if not (self.same_source and details.get(NO_FORMAT)):
            block["format"] = self._document_format(part, source, path)
        block["name"] = part.filename if self.same_source and part.filename else _document_name(part)
        block["source"] = source
        if part.title is not None and not self.same_source:
            if part.filename:
                self.adapt(f"{path}.title", "dropped", "Bedrock documents have a name only")
            else:
                self.adapt(f"{path}.title", "adapted", "sent as the document name")
        return {**block, **extras}

    @staticmethod
    def _document_source(part: ir.DocumentPart, path: str) -> JSONObject:
        if part.text is not None:
            return {"text": part.text}
        if part.data is not None:
            return {"bytes": part.data}
        if part.url is not None:
            inline = _inline_data(part.url)
            if inline is not None:
                return {"bytes": inline[1]}
            source = _s3_source(part.url)
            if source is None:
                raise UnsupportedFeature("Bedrock needs document bytes; remote document URLs must be fetched first")
            return source
        raise ProtocolError(f"{path}: a document needs data, text or a url")

    @staticmethod
    def _document_format(part: ir.DocumentPart, source: JSONObject, path: str) -> str:
        media_type = part.media_type
        if media_type is None and part.url is not None:
            inline = _inline_data(part.url)
            media_type = inline[0] if inline is not None else None
        fmt = DOCUMENT_FORMATS.get((media_type or "").lower().split(";")[0].strip())
        if fmt is not None:
            return fmt
        if media_type is None:
            blob = source.get("bytes")
            if isinstance(blob, bytes) and blob.startswith(b"%PDF"):
                return "pdf"
            if "text" in source:
                return "txt"
        raise UnsupportedFeature(f"{path}: Bedrock does not accept {media_type or 'untyped'} documents")

    def audio(self, part: ir.AudioPart, path: str) -> JSONObject:
        fmt = part.format.lower()
        if fmt not in AUDIO_FORMATS:
            raise UnsupportedFeature(f"{path}: Bedrock does not accept {part.format!r} audio")
        return {"format": fmt, "source": {"bytes": part.data}, **wire_extras(part.provider_details)}

    def tool_use(self, part: ir.ToolCallPart, path: str) -> JSONObject:
        check_tool_name(part.name, f"{path}.name")
        parsed = _parse_tool_input(part.arguments, any_json=self.same_source)
        if parsed is None:
            parsed = {"_raw_arguments": part.arguments}
            self.adapt(f"{path}.arguments", "adapted", 'not a JSON object; sent as {"_raw_arguments": <text>}')
        wire: JSONObject = {"toolUseId": part.id, "name": part.name, "input": parsed}
        return {**wire, **wire_extras(part.provider_details)}

    def tool_result(self, part: ir.ToolResultPart, path: str) -> JSONObject:
        extras = wire_extras(part.provider_details)
        content = extras.pop("content", None)
        if content is None:
            content = [
                item
                for j, result_part in enumerate(part.content)
                if (item := self._result_item(result_part, f"{path}.content[{j}]")) is not None
            ]
        wire: JSONObject = {"toolUseId": part.tool_call_id, "content": content}
        if part.is_error:
            extras.pop("status", None)
            wire["status"] = "error"
        return {**wire, **extras}

    def _result_item(self, part: ir.ContentPart, path: str) -> JSONObject | None:
        if isinstance(part, ir.TextPart):
            if own_details(part.provider_details).get(JSON_RESULT):
                try:
                    return {"json": json.loads(part.text)}
                except ValueError:
                    pass  # edited since decoding: send it as text
            return {"text": part.text}
        if isinstance(part, ir.ImagePart):
            return {"image": self.image(part, path)}
        if isinstance(part, ir.DocumentPart):
            return {"document": self.document(part, path)}
        self.adapt(path, "dropped", "Bedrock tool results cannot hold audio")
        return None

    def reasoning(self, part: ir.ThinkingPart, path: str) -> JSONObject | None:
        if part.redacted is not None:
            return {"reasoningContent": {"redactedContent": redacted_bytes(part.redacted)}}
        if not self.same_source and _is_foreign_thinking(part):
            self.adapt(path, "dropped", "reasoning from another provider cannot be replayed to Bedrock")
            return None
        text: JSONObject = {"text": part.text}
        if part.signature is not None:
            text["signature"] = part.signature
        return {"reasoningContent": {"reasoningText": text}}
