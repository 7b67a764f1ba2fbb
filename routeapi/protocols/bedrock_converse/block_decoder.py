"""Content blocks -> IR parts, and one wire message -> IR messages."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from ... import ir
from ...errors import ProtocolError
from .._checks import array as _array
from .._checks import string as _string
from .constants import (
    AUDIO_FORMATS,
    DOCUMENT_MEDIA_TYPES,
    IMAGE_FORMATS,
    JSON_RESULT,
    NO_FORMAT,
    OPAQUE_BLOCKS,
    SAME_TURN,
    JSONObject,
)
from .reading import as_bytes, as_dict, details_dict, enum_value, leftovers, one_member


def _decode_image(value: object, path: str) -> ir.ImagePart:
    image = as_dict(value, path)
    fmt = enum_value(image.get("format"), frozenset(IMAGE_FORMATS.values()), f"{path}.format")
    extras = leftovers(image, frozenset({"format", "source"}))
    source = as_dict(image.get("source"), f"{path}.source")
    data: bytes | None = None
    url: str | None = None
    if set(source) == {"bytes"}:
        data = as_bytes(source["bytes"], f"{path}.source.bytes")
    elif set(source) == {"s3Location"} and set(as_dict(source["s3Location"], f"{path}.source.s3Location")) == {"uri"}:
        url = _string(source["s3Location"]["uri"], f"{path}.source.s3Location.uri")
    else:
        extras["source"] = source  # a source the IR cannot hold (an S3 bucket owner...): kept verbatim
    return ir.ImagePart(data=data, url=url, media_type=f"image/{fmt}", provider_details=details_dict(extras))


def _decode_document(value: object, path: str) -> ir.DocumentPart:
    document = as_dict(value, path)
    extras = leftovers(document, frozenset({"format", "name", "source"}))
    media_type: str | None = None
    if "format" in document:
        media_type = DOCUMENT_MEDIA_TYPES[enum_value(document["format"], DOCUMENT_MEDIA_TYPES, f"{path}.format")]
    else:
        extras[NO_FORMAT] = True
    source = as_dict(document.get("source"), f"{path}.source")
    data: bytes | None = None
    text: str | None = None
    url: str | None = None
    if set(source) == {"bytes"}:
        data = as_bytes(source["bytes"], f"{path}.source.bytes")
    elif set(source) == {"text"}:
        text = _string(source["text"], f"{path}.source.text")
    elif set(source) == {"s3Location"} and set(as_dict(source["s3Location"], f"{path}.source.s3Location")) == {"uri"}:
        url = _string(source["s3Location"]["uri"], f"{path}.source.s3Location.uri")
    else:
        extras["source"] = source  # content blocks, S3 with an owner...: kept verbatim
    return ir.DocumentPart(
        data=data,
        text=text,
        url=url,
        media_type=media_type,
        filename=_string(document.get("name"), f"{path}.name"),
        provider_details=details_dict(extras),
    )


def _decode_audio(value: object, path: str) -> ir.AudioPart | None:
    """An audio block with inline bytes, or None when its source is one the IR cannot hold (S3)."""
    audio = as_dict(value, path)
    fmt = enum_value(audio.get("format"), AUDIO_FORMATS, f"{path}.format")
    source = as_dict(audio.get("source"), f"{path}.source")
    if set(source) != {"bytes"}:
        return None
    data = as_bytes(source["bytes"], f"{path}.source.bytes")
    extras = leftovers(audio, frozenset({"format", "source"}))
    return ir.AudioPart(data=data, format=fmt, provider_details=details_dict(extras))


def _decode_tool_use(value: object, path: str) -> ir.ToolCallPart:
    tool_use = as_dict(value, path)
    if "input" not in tool_use:
        raise ProtocolError(f"{path}.input: missing")
    return ir.ToolCallPart(
        id=_string(tool_use.get("toolUseId"), f"{path}.toolUseId"),
        name=_string(tool_use.get("name"), f"{path}.name"),
        arguments=json.dumps(tool_use["input"], ensure_ascii=False),
        provider_details=details_dict(leftovers(tool_use, frozenset({"toolUseId", "name", "input"}))),
    )


def _decode_tool_result(value: object, path: str) -> ir.ToolResultPart:
    result = as_dict(value, path)
    extras = leftovers(result, frozenset({"toolUseId", "content", "status"}))
    status = result.get("status")
    if status is not None:
        status = enum_value(status, frozenset({"success", "error"}), f"{path}.status")
        if status == "success":
            extras["status"] = status  # an explicit success is kept for the round trip
    content: list[ir.ContentPart] = []
    raw = _array(result.get("content"), f"{path}.content")
    for j, item_value in enumerate(raw):
        item_path = f"{path}.content[{j}]"
        kind, item = one_member(as_dict(item_value, item_path), item_path)
        if kind == "text":
            content.append(ir.TextPart(_string(item, f"{item_path}.text")))
        elif kind == "json":
            text = json.dumps(item, ensure_ascii=False)
            content.append(ir.TextPart(text, provider_details=details_dict({JSON_RESULT: True})))
        elif kind == "image":
            content.append(_decode_image(item, f"{item_path}.image"))
        elif kind == "document":
            content.append(_decode_document(item, f"{item_path}.document"))
        else:
            extras["content"] = raw  # video, search results...: the IR cannot hold them, keep the whole content
    return ir.ToolResultPart(
        tool_call_id=_string(result.get("toolUseId"), f"{path}.toolUseId"),
        content=content,
        is_error=status == "error",
        provider_details=details_dict(extras),
    )


def _decode_reasoning(value: object, path: str) -> ir.ThinkingPart:
    kind, member = one_member(as_dict(value, path), path)
    if kind == "redactedContent":
        data = as_bytes(member, f"{path}.redactedContent")
        return ir.ThinkingPart(redacted=base64.b64encode(data).decode("ascii"))
    if kind != "reasoningText":
        raise ProtocolError(f"{path}: unknown reasoning member {kind!r}")
    reasoning = as_dict(member, f"{path}.reasoningText")
    if set(reasoning) - {"text", "signature"}:
        raise ProtocolError(f"{path}.reasoningText: unexpected keys {sorted(set(reasoning) - {'text', 'signature'})}")
    signature = reasoning.get("signature")
    return ir.ThinkingPart(
        text=_string(reasoning.get("text"), f"{path}.reasoningText.text"),
        signature=None if signature is None else _string(signature, f"{path}.reasoningText.signature"),
    )


def _decode_block(block: JSONObject, path: str) -> ir.Part | None:
    """One content block -> an IR part, or None for blocks the IR has no part for (cache points, guard content,
    video, citations, search results and members added later), which the caller keeps verbatim."""
    kind, value = one_member(block, path)
    member_path = f"{path}.{kind}"
    if kind == "text":
        return ir.TextPart(_string(value, member_path))
    if kind == "image":
        return _decode_image(value, member_path)
    if kind == "document":
        return _decode_document(value, member_path)
    if kind == "audio":
        return _decode_audio(value, member_path)
    if kind == "toolUse":
        return _decode_tool_use(value, member_path)
    if kind == "toolResult":
        return _decode_tool_result(value, member_path)
    if kind == "reasoningContent":
        return _decode_reasoning(value, member_path)
    return None


@dataclass
class TurnBuilder:
    """One IR message being assembled from (part of) a wire message."""

    role: ir.Role
    same_turn: bool
    parts: list[ir.Part] = field(default_factory=lambda: [])
    opaque: list[list[Any]] = field(default_factory=lambda: [])

    def add(self, block: JSONObject, path: str) -> None:
        part = _decode_block(block, path)
        if part is None:
            self.opaque.append([len(self.parts) + len(self.opaque), block])
        else:
            self.parts.append(part)

    def build(self) -> ir.Message:
        details: JSONObject = {}
        if self.same_turn:
            details[SAME_TURN] = True
        if self.opaque:
            details[OPAQUE_BLOCKS] = self.opaque
        return ir.Message(self.role, self.parts, provider_details=details_dict(details))


def decode_turn(role: Literal["user", "assistant"], content: object, path: str) -> list[ir.Message]:
    """One wire message -> IR messages. A user message's runs of ``toolResult`` blocks become ``tool`` messages
    (in their original order among the other blocks); the pieces after the first are marked ``same_turn``."""
    turns: list[TurnBuilder] = []
    for j, value in enumerate(_array(content, path)):
        block_path = f"{path}[{j}]"
        block = as_dict(value, block_path)
        is_result = "toolResult" in block
        if is_result and role != "user":
            raise ProtocolError(f"{block_path}.toolResult: tool results belong in user messages")
        turn_role: ir.Role = "tool" if is_result else role
        if not turns or turns[-1].role != turn_role:
            turns.append(TurnBuilder(turn_role, same_turn=bool(turns)))
        turns[-1].add(block, block_path)
    if not turns:
        return [ir.Message(role)]
    return [turn.build() for turn in turns]
