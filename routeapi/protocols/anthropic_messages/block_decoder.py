"""Anthropic content blocks -> IR parts, and one wire message -> IR messages."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from ... import ir
from ...errors import ProtocolError
from .._checks import array as _array
from .._checks import boolean as _boolean
from .._checks import string as _string
from .shared import (
    OPAQUE_BLOCKS,
    SAME_TURN,
    STRING_CONTENT,
    JSONObject,
    block_type,
    details_dict,
    extra_keys,
    json_object,
)

# Anthropic block types the IR does not model (server tools, search results...): carried verbatim.
_OPAQUE_BLOCK_TYPES = frozenset(
    {
        "search_result",
        "server_tool_use",
        "web_search_tool_result",
        "web_fetch_tool_result",
        "code_execution_tool_result",
        "bash_code_execution_tool_result",
        "text_editor_code_execution_tool_result",
        "tool_search_tool_result",
        "tool_reference",
        "container_upload",
        "mcp_tool_use",
        "mcp_tool_result",
    }
)


def _decode_base64(value: object, path: str) -> bytes:
    try:
        return base64.b64decode(_string(value, path), validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError(f"{path}: invalid base64 data") from None


def _decode_source(
    source_value: object, path: str, extras: JSONObject
) -> tuple[bytes | None, str | None, str | None, str | None]:
    """(data, text, url, media_type) of an image/document ``source``. A source kind the IR cannot hold, or one
    with extra keys, is also kept verbatim in ``extras["source"]`` so it re-encodes unchanged."""
    source = json_object(source_value, path)
    kind = _string(source.get("type"), f"{path}.type")
    data: bytes | None = None
    text: str | None = None
    url: str | None = None
    media_type: str | None = None
    if kind == "base64":
        media_type = _string(source.get("media_type"), f"{path}.media_type")
        data = _decode_base64(source.get("data"), f"{path}.data")
        modelled = frozenset({"type", "media_type", "data"})
    elif kind == "text":
        media_type = _string(source.get("media_type"), f"{path}.media_type")
        text = _string(source.get("data"), f"{path}.data")
        modelled = frozenset({"type", "media_type", "data"})
    elif kind == "url":
        url = _string(source.get("url"), f"{path}.url")
        modelled = frozenset({"type", "url"})
    else:
        modelled = frozenset[str]()
    if set(source) - modelled:
        extras["source"] = source
    return data, text, url, media_type


def decode_text(block: JSONObject, path: str) -> ir.TextPart:
    text = _string(block.get("text"), f"{path}.text")
    return ir.TextPart(text, provider_details=details_dict(extra_keys(block, frozenset({"type", "text"}))))


def _decode_image(block: JSONObject, path: str) -> ir.ImagePart:
    extras = extra_keys(block, frozenset({"type", "source"}))
    data, _, url, media_type = _decode_source(block.get("source"), f"{path}.source", extras)
    return ir.ImagePart(data=data, url=url, media_type=media_type, provider_details=details_dict(extras))


def _decode_document(block: JSONObject, path: str) -> ir.DocumentPart:
    extras = extra_keys(block, frozenset({"type", "source", "title"}))
    title = block.get("title")
    if title is not None:
        title = _string(title, f"{path}.title")
    elif "title" in block:
        extras["title"] = None
    data, text, url, media_type = _decode_source(block.get("source"), f"{path}.source", extras)
    return ir.DocumentPart(
        data=data, text=text, url=url, media_type=media_type, title=title, provider_details=details_dict(extras)
    )


def decode_tool_use(block: JSONObject, path: str) -> ir.ToolCallPart:
    tool_input = json_object(block.get("input"), f"{path}.input")
    return ir.ToolCallPart(
        id=_string(block.get("id"), f"{path}.id"),
        name=_string(block.get("name"), f"{path}.name"),
        arguments=json.dumps(tool_input, ensure_ascii=False),
        provider_details=details_dict(extra_keys(block, frozenset({"type", "id", "name", "input"}))),
    )


def decode_thinking(block: JSONObject, path: str) -> ir.ThinkingPart:
    signature = block.get("signature")
    return ir.ThinkingPart(
        text=_string(block.get("thinking"), f"{path}.thinking"),
        signature=None if signature is None else _string(signature, f"{path}.signature"),
        provider_details=details_dict(extra_keys(block, frozenset({"type", "thinking", "signature"}))),
    )


def decode_redacted_thinking(block: JSONObject, path: str) -> ir.ThinkingPart:
    return ir.ThinkingPart(
        redacted=_string(block.get("data"), f"{path}.data"),
        provider_details=details_dict(extra_keys(block, frozenset({"type", "data"}))),
    )


def _decode_tool_result(block: JSONObject, path: str) -> ir.ToolResultPart:
    extras = extra_keys(block, frozenset({"type", "tool_use_id", "content", "is_error"}))
    is_error = block.get("is_error", False)
    if is_error is None or is_error is False:
        if "is_error" in block:
            extras["is_error"] = is_error  # an explicit false/null is kept for the round trip
        is_error = False
    content: list[ir.ContentPart] = []
    raw = block.get("content")
    if isinstance(raw, str):
        content.append(ir.TextPart(raw))
        extras[STRING_CONTENT] = True
    elif raw is not None:
        for j, item_value in enumerate(_array(raw, f"{path}.content")):
            item_path = f"{path}.content[{j}]"
            item = json_object(item_value, item_path)
            kind = block_type(item, item_path)
            if kind == "text":
                content.append(decode_text(item, item_path))
            elif kind == "image":
                content.append(_decode_image(item, item_path))
            elif kind == "document":
                content.append(_decode_document(item, item_path))
            elif kind in _OPAQUE_BLOCK_TYPES:
                extras["content"] = raw  # the IR cannot hold this block: keep the whole content as sent
            else:
                raise ProtocolError(f"{item_path}.type: unsupported tool_result content type {kind!r}")
    return ir.ToolResultPart(
        tool_call_id=_string(block.get("tool_use_id"), f"{path}.tool_use_id"),
        content=content,
        is_error=_boolean(is_error, f"{path}.is_error"),
        provider_details=details_dict(extras),
    )


def _decode_block(block: JSONObject, kind: str, path: str) -> ir.Part:
    if kind == "text":
        return decode_text(block, path)
    if kind == "image":
        return _decode_image(block, path)
    if kind == "document":
        return _decode_document(block, path)
    if kind == "tool_use":
        return decode_tool_use(block, path)
    if kind == "tool_result":
        return _decode_tool_result(block, path)
    if kind == "thinking":
        return decode_thinking(block, path)
    if kind == "redacted_thinking":
        return decode_redacted_thinking(block, path)
    raise ProtocolError(f"{path}.type: unsupported content block type {kind!r}")


@dataclass
class _TurnBuilder:
    """One IR message being assembled from (part of) a wire message."""

    role: ir.Role
    same_turn: bool
    parts: list[ir.Part] = field(default_factory=lambda: [])
    opaque: list[list[Any]] = field(default_factory=lambda: [])

    def build(self) -> ir.Message:
        details: JSONObject = {}
        if self.same_turn:
            details[SAME_TURN] = True
        if self.opaque:
            details[OPAQUE_BLOCKS] = self.opaque
        return ir.Message(self.role, self.parts, provider_details=details_dict(details))


def decode_turn(role: Literal["user", "assistant"], content: object, path: str) -> list[ir.Message]:
    """One wire message -> IR messages. A user message's runs of ``tool_result`` blocks become ``tool`` messages
    (in their original order among the other blocks); the pieces after the first are marked ``same_turn``."""
    if isinstance(content, str):
        return [ir.Message(role, [ir.TextPart(content)], provider_details=details_dict({STRING_CONTENT: True}))]
    turns: list[_TurnBuilder] = []
    for j, value in enumerate(_array(content, path)):
        block_path = f"{path}[{j}]"
        block = json_object(value, block_path)
        kind = block_type(block, block_path)
        if kind == "tool_result" and role != "user":
            raise ProtocolError(f"{block_path}.type: tool_result blocks belong in user messages")
        turn_role: ir.Role = "tool" if kind == "tool_result" else role
        if not turns or turns[-1].role != turn_role:
            turns.append(_TurnBuilder(turn_role, same_turn=bool(turns)))
        turn = turns[-1]
        if kind in _OPAQUE_BLOCK_TYPES:
            turn.opaque.append([len(turn.parts) + len(turn.opaque), block])
        else:
            turn.parts.append(_decode_block(block, kind, block_path))
    if not turns:
        return [ir.Message(role)]
    return [turn.build() for turn in turns]
