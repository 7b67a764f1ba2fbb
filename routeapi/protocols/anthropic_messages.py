"""Anthropic Messages (``POST /v1/messages``) <-> IR: requests, responses, stream events and error bodies.

Same-protocol fidelity: wire details the IR does not model travel in ``provider_details["anthropic_messages"]``
(on parts, messages, tools, the request and the response) and in ``Request.extra``, so decoding a body and encoding
it again gives the same body. Keys in a part's details are wire keys merged into its block, except the markers
named in ``_MARKERS``, which record the wire shape (string content, split user turns, blocks the IR cannot hold).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import email.utils
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias, Union, cast

from .. import ir
from ..errors import (
    AuthenticationError,
    BadRequest,
    ContextLengthExceeded,
    NotFound,
    Overloaded,
    PermissionDenied,
    ProtocolError,
    ProviderError,
    RateLimited,
    ServerError,
    StreamInterrupted,
    Timeout,
    UnsupportedFeature,
)
from ._checks import array as _array
from ._checks import boolean as _boolean
from ._checks import count as _count
from ._checks import integer as _integer
from ._checks import kind as _kind
from ._checks import number as _number
from ._checks import string as _string
from .sse import SSEEvent
from .structured_output import unwrap_forced_tool

__all__ = [
    "AnthropicMessagesCodec",
    "AnthropicStreamDecoder",
    "AnthropicStreamEncoder",
    "error_from_body",
    "unwrap_forced_tool",
]

NAME = "anthropic_messages"

JSONObject: TypeAlias = dict[str, Any]

# Markers in provider_details that describe wire shape rather than being wire keys.
_STRING_CONTENT = "string_content"  # content was a string, not a list of blocks
_SAME_TURN = "same_turn"  # this IR message came from the same wire message as the previous one
_OPAQUE_BLOCKS = "opaque_blocks"  # [[position, block], ...]: blocks the IR has no part for
_MARKERS = frozenset({_STRING_CONTENT, _SAME_TURN, _OPAQUE_BLOCKS})

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

_STOP_REASON_TO_IR: dict[str, ir.FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop_sequence",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "pause",
    "model_context_window_exceeded": "context_length",
}
_FINISH_TO_WIRE: dict[ir.FinishReason, str] = {
    "stop": "end_turn",
    "stop_sequence": "stop_sequence",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
    "pause": "pause_turn",
    "context_length": "model_context_window_exceeded",
    "malformed_tool_call": "end_turn",
    "other": "end_turn",
}

# Effort -> thinking budget is a policy choice (no vendor defines it). None means "no thinking".
_EFFORT_BUDGETS: dict[str, int | None] = {
    "none": None,
    "minimal": None,
    "low": 1024,
    "medium": 4096,
    "high": 16384,
    "xhigh": 32768,
}
_MIN_THINKING_BUDGET = 1024
_DEFAULT_STRUCTURED_TOOL = "json_output"

# Settings with no Anthropic equivalent; a value in the set is a no-op and is not reported.
_UNSUPPORTED_SETTINGS: tuple[tuple[str, tuple[object, ...]], ...] = (
    ("seed", ()),
    ("presence_penalty", ()),
    ("frequency_penalty", ()),
    ("logit_bias", ()),
    ("logprobs", (False,)),
    ("top_logprobs", ()),
    ("metadata", ()),
)


# --------------------------------------------------------------------------------------------------------------
# JSON reading helpers: each names the offending path in its ProtocolError.


def _object(value: object, path: str) -> JSONObject:
    if not isinstance(value, dict):
        raise ProtocolError(f"{path}: expected an object, got {_kind(value)}")
    return cast("JSONObject", value)


def _block_type(block: JSONObject, path: str) -> str:
    return _string(block.get("type"), f"{path}.type")


def _extras(source: Mapping[str, Any], consumed: frozenset[str]) -> JSONObject:
    return {key: value for key, value in source.items() if key not in consumed}


def _details_dict(extras: Mapping[str, Any]) -> dict[str, Any] | None:
    """``provider_details`` holding ``extras`` under this codec's name, or None when there is nothing to keep."""
    return {NAME: dict(extras)} if extras else None


def _own_details(provider_details: dict[str, Any] | None) -> JSONObject:
    """This codec's entry in ``provider_details`` (a copy), or {}."""
    if not provider_details:
        return {}
    entry = provider_details.get(NAME)
    return dict(cast("JSONObject", entry)) if isinstance(entry, dict) else {}


def _wire_extras(provider_details: dict[str, Any] | None) -> JSONObject:
    """The wire keys kept for a block: this codec's details without the shape markers."""
    return {key: value for key, value in _own_details(provider_details).items() if key not in _MARKERS}


# --------------------------------------------------------------------------------------------------------------
# Content blocks -> IR parts


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
    source = _object(source_value, path)
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


def _decode_text(block: JSONObject, path: str) -> ir.TextPart:
    text = _string(block.get("text"), f"{path}.text")
    return ir.TextPart(text, provider_details=_details_dict(_extras(block, frozenset({"type", "text"}))))


def _decode_image(block: JSONObject, path: str) -> ir.ImagePart:
    extras = _extras(block, frozenset({"type", "source"}))
    data, _, url, media_type = _decode_source(block.get("source"), f"{path}.source", extras)
    return ir.ImagePart(data=data, url=url, media_type=media_type, provider_details=_details_dict(extras))


def _decode_document(block: JSONObject, path: str) -> ir.DocumentPart:
    extras = _extras(block, frozenset({"type", "source", "title"}))
    title = block.get("title")
    if title is not None:
        title = _string(title, f"{path}.title")
    elif "title" in block:
        extras["title"] = None
    data, text, url, media_type = _decode_source(block.get("source"), f"{path}.source", extras)
    return ir.DocumentPart(
        data=data, text=text, url=url, media_type=media_type, title=title, provider_details=_details_dict(extras)
    )


def _decode_tool_use(block: JSONObject, path: str) -> ir.ToolCallPart:
    tool_input = _object(block.get("input"), f"{path}.input")
    return ir.ToolCallPart(
        id=_string(block.get("id"), f"{path}.id"),
        name=_string(block.get("name"), f"{path}.name"),
        arguments=json.dumps(tool_input, ensure_ascii=False),
        provider_details=_details_dict(_extras(block, frozenset({"type", "id", "name", "input"}))),
    )


def _decode_thinking(block: JSONObject, path: str) -> ir.ThinkingPart:
    signature = block.get("signature")
    return ir.ThinkingPart(
        text=_string(block.get("thinking"), f"{path}.thinking"),
        signature=None if signature is None else _string(signature, f"{path}.signature"),
        provider_details=_details_dict(_extras(block, frozenset({"type", "thinking", "signature"}))),
    )


def _decode_redacted_thinking(block: JSONObject, path: str) -> ir.ThinkingPart:
    return ir.ThinkingPart(
        redacted=_string(block.get("data"), f"{path}.data"),
        provider_details=_details_dict(_extras(block, frozenset({"type", "data"}))),
    )


def _decode_tool_result(block: JSONObject, path: str) -> ir.ToolResultPart:
    extras = _extras(block, frozenset({"type", "tool_use_id", "content", "is_error"}))
    is_error = block.get("is_error", False)
    if is_error is None or is_error is False:
        if "is_error" in block:
            extras["is_error"] = is_error  # an explicit false/null is kept for the round trip
        is_error = False
    content: list[ir.ContentPart] = []
    raw = block.get("content")
    if isinstance(raw, str):
        content.append(ir.TextPart(raw))
        extras[_STRING_CONTENT] = True
    elif raw is not None:
        for j, item_value in enumerate(_array(raw, f"{path}.content")):
            item_path = f"{path}.content[{j}]"
            item = _object(item_value, item_path)
            kind = _block_type(item, item_path)
            if kind == "text":
                content.append(_decode_text(item, item_path))
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
        provider_details=_details_dict(extras),
    )


def _decode_block(block: JSONObject, kind: str, path: str) -> ir.Part:
    if kind == "text":
        return _decode_text(block, path)
    if kind == "image":
        return _decode_image(block, path)
    if kind == "document":
        return _decode_document(block, path)
    if kind == "tool_use":
        return _decode_tool_use(block, path)
    if kind == "tool_result":
        return _decode_tool_result(block, path)
    if kind == "thinking":
        return _decode_thinking(block, path)
    if kind == "redacted_thinking":
        return _decode_redacted_thinking(block, path)
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
            details[_SAME_TURN] = True
        if self.opaque:
            details[_OPAQUE_BLOCKS] = self.opaque
        return ir.Message(self.role, self.parts, provider_details=_details_dict(details))


def _decode_turn(role: Literal["user", "assistant"], content: object, path: str) -> list[ir.Message]:
    """One wire message -> IR messages. A user message's runs of ``tool_result`` blocks become ``tool`` messages
    (in their original order among the other blocks); the pieces after the first are marked ``same_turn``."""
    if isinstance(content, str):
        return [ir.Message(role, [ir.TextPart(content)], provider_details=_details_dict({_STRING_CONTENT: True}))]
    turns: list[_TurnBuilder] = []
    for j, value in enumerate(_array(content, path)):
        block_path = f"{path}[{j}]"
        block = _object(value, block_path)
        kind = _block_type(block, block_path)
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


# --------------------------------------------------------------------------------------------------------------
# IR parts -> content blocks


def _sniff_image_type(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


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


class _BlockEncoder:
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
        extras = _wire_extras(part.provider_details)
        if not part.text and not extras and not self.same_source and not self.for_response:
            return None  # Anthropic rejects empty text blocks; other protocols produce them freely
        return {"type": "text", "text": part.text, **extras}

    def image(self, part: ir.ImagePart, path: str) -> JSONObject:
        extras = _wire_extras(part.provider_details)
        block: JSONObject = {"type": "image"}
        if "source" not in extras:
            if part.data is not None:
                media_type = part.media_type or _sniff_image_type(part.data) or "image/png"
                block["source"] = _base64_source(part.data, media_type)
            elif part.url is not None:
                block["source"] = _url_source(part.url, part.media_type or "image/png")
            else:
                raise ProtocolError(f"{path}: an image needs data or a url")
        if part.detail is not None:
            self._adapt(f"{path}.detail", "dropped", "Anthropic has no image detail setting")
        return {**block, **extras}

    def document(self, part: ir.DocumentPart, path: str) -> JSONObject:
        extras = _wire_extras(part.provider_details)
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
        return {**block, **_wire_extras(part.provider_details)}

    def tool_result(self, part: ir.ToolResultPart, path: str) -> JSONObject:
        details = _own_details(part.provider_details)
        extras = _wire_extras(part.provider_details)
        block: JSONObject = {"type": "tool_result", "tool_use_id": part.tool_call_id}
        content = part.content
        plain_text = len(content) == 1 and isinstance(content[0], ir.TextPart) and not content[0].provider_details
        as_string = details.get(_STRING_CONTENT) if self.same_source else plain_text
        if as_string and plain_text:
            block["content"] = cast("ir.TextPart", content[0]).text
        elif content:
            block["content"] = self.blocks(list(cast("list[ir.Part]", content)), f"{path}.content")
        if part.is_error:
            block["is_error"] = True
        return {**block, **extras}

    def thinking(self, part: ir.ThinkingPart, path: str) -> JSONObject | None:
        extras = _wire_extras(part.provider_details)
        if part.redacted is not None:
            return {"type": "redacted_thinking", "data": part.redacted, **extras}
        if _is_foreign_thinking(part) and not self.for_response:
            self._adapt(path, "dropped", "reasoning from another provider cannot be replayed to Anthropic")
            return None
        return {"type": "thinking", "thinking": part.text, "signature": part.signature or "", **extras}


def _wire_content(blocks: list[JSONObject], string_content: bool) -> str | list[JSONObject]:
    """The message content: a string when the source sent one and the blocks still allow it."""
    if string_content and len(blocks) == 1 and set(blocks[0]) == {"type", "text"} and blocks[0]["type"] == "text":
        return cast("str", blocks[0]["text"])
    return blocks


# --------------------------------------------------------------------------------------------------------------
# Requests


def _decode_system(value: object) -> ir.Message:
    if isinstance(value, str):
        return ir.Message("system", [ir.TextPart(value)], provider_details=_details_dict({_STRING_CONTENT: True}))
    parts: list[ir.Part] = []
    for j, item in enumerate(_array(value, "system")):
        block = _object(item, f"system[{j}]")
        kind = _block_type(block, f"system[{j}]")
        if kind != "text":
            raise ProtocolError(f"system[{j}].type: system blocks must be text, got {kind!r}")
        parts.append(_decode_text(block, f"system[{j}]"))
    return ir.Message("system", parts)


def _decode_tool(value: object, path: str) -> ir.Tool:
    tool = _object(value, path)
    description = tool.get("description")
    strict = tool.get("strict")
    return ir.Tool(
        name=_string(tool.get("name"), f"{path}.name"),
        description=None if description is None else _string(description, f"{path}.description"),
        parameters=_object(tool.get("input_schema"), f"{path}.input_schema"),
        strict=None if strict is None else _boolean(strict, f"{path}.strict"),
        provider_details=_details_dict(_extras(tool, frozenset({"name", "description", "input_schema", "strict"}))),
    )


def _is_server_tool(tool: object) -> bool:
    return isinstance(tool, dict) and cast("JSONObject", tool).get("type") not in (None, "custom")


def _decode_tool_choice(value: object, request: ir.Request, notes: JSONObject) -> None:
    choice = _object(value, "tool_choice")
    kind = _string(choice.get("type"), "tool_choice.type")
    if kind == "auto":
        request.tool_choice = "auto"
    elif kind == "any":
        request.tool_choice = "required"
    elif kind == "none":
        request.tool_choice = "none"
    elif kind == "tool":
        request.tool_choice = ir.NamedToolChoice(_string(choice.get("name"), "tool_choice.name"))
    else:
        raise ProtocolError(f"tool_choice.type: unknown tool choice {kind!r}")
    if "disable_parallel_tool_use" in choice:
        disable = _boolean(choice["disable_parallel_tool_use"], "tool_choice.disable_parallel_tool_use")
        request.settings.parallel_tool_calls = not disable
    extras = _extras(choice, frozenset({"type", "name", "disable_parallel_tool_use"}))
    if extras:
        notes["tool_choice"] = extras


def _decode_thinking_config(value: object, request: ir.Request, notes: JSONObject) -> None:
    thinking = _object(value, "thinking")
    kind = _string(thinking.get("type"), "thinking.type")
    if kind == "enabled":
        request.settings.reasoning_budget = _integer(thinking.get("budget_tokens"), "thinking.budget_tokens")
        modelled = {"type", "budget_tokens"}
    elif kind == "disabled":
        request.settings.reasoning_budget = 0
        modelled = {"type"}
    else:  # adaptive, between_tools and future modes have no IR equivalent
        request.extra["thinking"] = thinking
        return
    if set(thinking) - modelled:
        notes["thinking"] = thinking


def _decode_output_config(value: object, request: ir.Request) -> None:
    """``output_config.format`` json_schema -> response_format; everything else stays in ``extra``."""
    config = _object(value, "output_config")
    output_format = config.get("format")
    if isinstance(output_format, dict):
        fmt = cast("JSONObject", output_format)
        if set(fmt) == {"type", "schema"} and fmt["type"] == "json_schema" and isinstance(fmt["schema"], dict):
            request.response_format = ir.ResponseFormat("json_schema", schema=cast("JSONObject", fmt["schema"]))
            rest = _extras(config, frozenset({"format"}))
            if rest:
                request.extra["output_config"] = rest
            return
    request.extra["output_config"] = config


def _decode_metadata(value: object, request: ir.Request, notes: JSONObject) -> None:
    metadata = _object(value, "metadata")
    user_id = metadata.get("user_id")
    if isinstance(user_id, str):
        request.settings.user = user_id
        rest = _extras(metadata, frozenset({"user_id"}))
    else:
        rest = dict(metadata)
    if rest or not isinstance(user_id, str):
        notes["metadata"] = rest


def _decode_settings(body: Mapping[str, Any], request: ir.Request) -> None:
    settings = request.settings
    if "max_tokens" in body:
        settings.max_tokens = _integer(body["max_tokens"], "max_tokens")
    if "temperature" in body:
        settings.temperature = _number(body["temperature"], "temperature")
    if "top_p" in body:
        settings.top_p = _number(body["top_p"], "top_p")
    if "top_k" in body:
        settings.top_k = _integer(body["top_k"], "top_k")
    if "stop_sequences" in body:
        stops = _array(body["stop_sequences"], "stop_sequences")
        settings.stop = [_string(stop, f"stop_sequences[{k}]") for k, stop in enumerate(stops)]


_SETTINGS_KEYS = frozenset({"max_tokens", "temperature", "top_p", "top_k", "stop_sequences"})
_REQUEST_KEYS = _SETTINGS_KEYS | frozenset(
    {"model", "messages", "system", "tools", "tool_choice", "metadata", "thinking", "output_config", "stream"}
)


def _decode_request(body: Mapping[str, Any]) -> ir.Request:
    request = ir.Request(model=_string(body.get("model"), "model"), source=NAME)
    notes: JSONObject = {}
    # Unmodelled keys, and modelled ones sent as null ("use the default"), stay in extra verbatim.
    present = {key: value for key, value in body.items() if key in _REQUEST_KEYS and value is not None}
    request.extra = {key: value for key, value in body.items() if key not in present}
    request.extra.pop("model", None)
    request.extra.pop("messages", None)
    if "system" in present:
        request.messages.append(_decode_system(present["system"]))
    for i, value in enumerate(_array(body.get("messages"), "messages")):
        message = _object(value, f"messages[{i}]")
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise ProtocolError(f"messages[{i}].role: expected 'user' or 'assistant', got {role!r}")
        if set(message) - {"role", "content"}:
            raise ProtocolError(f"messages[{i}]: unexpected keys {sorted(set(message) - {'role', 'content'})}")
        request.messages.extend(_decode_turn(role, message.get("content"), f"messages[{i}].content"))
    _decode_settings(present, request)
    if "tools" in present:
        tools = _array(present["tools"], "tools")
        server_tools = [tool for tool in tools if _is_server_tool(tool)]
        if server_tools:
            request.extra["tools"] = server_tools
            notes["server_tool_positions"] = [k for k, tool in enumerate(tools) if _is_server_tool(tool)]
        request.tools = [_decode_tool(tool, f"tools[{k}]") for k, tool in enumerate(tools) if not _is_server_tool(tool)]
    if "tool_choice" in present:
        _decode_tool_choice(present["tool_choice"], request, notes)
    if "metadata" in present:
        _decode_metadata(present["metadata"], request, notes)
    if "thinking" in present:
        _decode_thinking_config(present["thinking"], request, notes)
    if "output_config" in present:
        _decode_output_config(present["output_config"], request)
    if "stream" in present:
        request.stream = _boolean(present["stream"], "stream")
        request.stream_usage = request.stream  # Anthropic streams always carry usage
        if not request.stream:
            notes["stream"] = False
    if notes:
        request.provider_details = {NAME: notes}
    return request


def _thinking_budget(thinking: JSONObject) -> int:
    return cast("int", thinking.get("budget_tokens", 0)) if thinking.get("type") == "enabled" else 0


class _RequestEncoder:
    """One ``encode_request`` call: IR request -> Anthropic body plus the adaptations made."""

    def __init__(
        self,
        request: ir.Request,
        *,
        model: str,
        default_max_tokens: int,
        structured_output: Literal["native", "tool"],
    ) -> None:
        self.request = request
        self.model = model
        self.default_max_tokens = default_max_tokens
        self.structured_output = structured_output
        self.same_source = request.source == NAME
        self.notes = _own_details(request.provider_details) if self.same_source else {}
        self.adaptations: list[ir.Adaptation] = []
        self.blocks = _BlockEncoder(self.adaptations, same_source=self.same_source)
        self.forced_tool = False  # the structured-output emulation forced a tool call

    def adapt(self, param: str, action: Literal["dropped", "adapted"], reason: str) -> None:
        self.adaptations.append(ir.Adaptation(param, action, reason))

    def encode(self) -> tuple[JSONObject, list[ir.Adaptation]]:
        body: JSONObject = {"model": self.model}
        self._messages(body)
        self._settings(body)
        self._tools(body)
        self._response_format(body)
        self._thinking(body)
        self._extra(body)
        if self.request.stream:
            body["stream"] = True
        elif "stream" in self.notes:
            body["stream"] = False
        return body, self.adaptations

    # -- conversation --------------------------------------------------------------------------------------

    def _messages(self, body: JSONObject) -> None:
        system_blocks: list[JSONObject] = []
        system_messages: list[ir.Message] = []
        wire: list[JSONObject] = []
        seen_conversation = False
        for i, message in enumerate(self.request.messages):
            path = f"messages[{i}]"
            if message.name is not None:
                self.adapt(f"{path}.name", "dropped", "Anthropic messages have no name")
            if message.role in ("system", "developer"):
                if seen_conversation:
                    self.adapt("system", "adapted", f"{path} moved into the top-level system prompt")
                system_messages.append(message)
                system_blocks.extend(self._system_blocks(message, path))
                continue
            seen_conversation = True
            self._add_turn(wire, message, path)
        if system_messages and (system_blocks or self.same_source):
            only = system_messages[0]
            single = len(system_messages) == 1 and _own_details(only.provider_details).get(_STRING_CONTENT)
            body["system"] = _wire_content(system_blocks, bool(single) and self.same_source)
        body["messages"] = wire

    def _system_blocks(self, message: ir.Message, path: str) -> list[JSONObject]:
        blocks: list[JSONObject] = []
        for j, part in enumerate(message.parts):
            if isinstance(part, ir.TextPart):
                block = self.blocks.text(part)
                if block is not None:
                    blocks.append(block)
            else:
                self.adapt(f"{path}.parts[{j}]", "dropped", "Anthropic system prompts hold text only")
        return blocks

    def _add_turn(self, wire: list[JSONObject], message: ir.Message, path: str) -> None:
        details = _own_details(message.provider_details) if self.same_source else {}
        opaque = cast("list[Any] | None", _own_details(message.provider_details).get(_OPAQUE_BLOCKS))
        blocks = self.blocks.blocks(message.parts, path, opaque)
        role = "assistant" if message.role == "assistant" else "user"
        previous = wire[-1] if wire else None
        if self.same_source:
            if details.get(_SAME_TURN) and previous is not None and previous["role"] == role:
                earlier = previous["content"]
                if isinstance(earlier, str):
                    earlier = [{"type": "text", "text": earlier}]
                previous["content"] = [*cast("list[JSONObject]", earlier), *blocks]
            else:
                wire.append({"role": role, "content": _wire_content(blocks, bool(details.get(_STRING_CONTENT)))})
            return
        # From another protocol: merge same-role turns, tool results first in a user turn (Anthropic requires it).
        if not blocks:
            return
        if previous is None or previous["role"] != role:
            wire.append({"role": role, "content": []})
        content = cast("list[JSONObject]", wire[-1]["content"])
        for block in blocks:
            if block["type"] == "tool_result":
                leading_results = next((k for k, b in enumerate(content) if b["type"] != "tool_result"), len(content))
                content.insert(leading_results, block)
            else:
                content.append(block)

    # -- settings ------------------------------------------------------------------------------------------

    def _settings(self, body: JSONObject) -> None:
        settings = self.request.settings
        if ir.is_set(settings.max_tokens):
            body["max_tokens"] = settings.max_tokens
        else:
            body["max_tokens"] = self.default_max_tokens
            self.adapt("max_tokens", "adapted", f"Anthropic requires max_tokens; sent {self.default_max_tokens}")
        if ir.is_set(settings.temperature):
            body["temperature"] = settings.temperature
        if ir.is_set(settings.top_p):
            body["top_p"] = settings.top_p
        if ir.is_set(settings.top_k):
            body["top_k"] = settings.top_k
        if ir.is_set(settings.stop):
            body["stop_sequences"] = list(settings.stop)
        n = settings.n
        if ir.is_set(n) and n > 1:
            # Dropping n would silently return one answer where the caller asked for several.
            raise UnsupportedFeature(f"n={n}: Anthropic Messages returns one answer per request")
        for name, no_ops in _UNSUPPORTED_SETTINGS:
            value = getattr(settings, name)
            if ir.is_set(value) and value not in no_ops:
                self.adapt(name, "dropped", "Anthropic Messages has no equivalent")
        self._metadata(body)

    def _metadata(self, body: JSONObject) -> None:
        user = self.request.settings.user
        if "metadata" not in self.notes and not ir.is_set(user):
            return
        metadata = dict(cast("JSONObject", self.notes.get("metadata", {})))
        if ir.is_set(user):
            metadata["user_id"] = user
            if not self.same_source:
                self.adapt("user", "adapted", "sent as metadata.user_id")
        body["metadata"] = metadata

    # -- tools ---------------------------------------------------------------------------------------------

    def _tools(self, body: JSONObject) -> None:
        tools = [self._tool(tool, f"tools[{k}]") for k, tool in enumerate(self.request.tools)]
        if self.same_source:
            server_tools = cast("list[JSONObject]", self.request.extra.get("tools", []))
            positions = cast("list[int]", self.notes.get("server_tool_positions", []))
            for k, tool in enumerate(server_tools):
                tools.insert(positions[k] if k < len(positions) else len(tools), tool)
        if tools or (self.same_source and "tools" in self.request.extra):
            body["tools"] = tools
        self._tool_choice(body)

    def _tool(self, tool: ir.Tool, path: str) -> JSONObject:
        wire: JSONObject = {"name": tool.name}
        if tool.description is not None:
            wire["description"] = tool.description
        wire["input_schema"] = tool.parameters if tool.parameters is not None else {"type": "object", "properties": {}}
        if tool.strict is not None:
            if self.same_source:
                wire["strict"] = tool.strict
            elif tool.strict:
                self.adapt(f"{path}.strict", "dropped", "strict tool schemas are not sent to Anthropic")
        return {**wire, **_wire_extras(tool.provider_details)}

    def _tool_choice(self, body: JSONObject) -> None:
        choice = self.request.tool_choice
        parallel = self.request.settings.parallel_tool_calls
        has_tools = bool(body.get("tools"))
        wire: JSONObject | None
        if not ir.is_set(choice):
            wire = {"type": "auto"} if parallel is False and has_tools else None
        elif isinstance(choice, ir.NamedToolChoice):
            wire = {"type": "tool", "name": choice.name}
        else:
            wire = {"type": {"auto": "auto", "required": "any", "none": "none"}[choice]}
        if wire is None:
            return
        if not has_tools and not self.same_source:
            return  # Anthropic rejects tool_choice without tools; without tools there is nothing to choose
        if ir.is_set(parallel) and wire["type"] != "none":
            wire["disable_parallel_tool_use"] = not parallel
        body["tool_choice"] = {**wire, **cast("JSONObject", self.notes.get("tool_choice", {}))}

    # -- structured output and reasoning -------------------------------------------------------------------

    def _response_format(self, body: JSONObject) -> None:
        response_format = self.request.response_format
        if not ir.is_set(response_format) or response_format.type == "text":
            return
        if response_format.type == "json_object":
            self.adapt("response_format", "dropped", "Anthropic has no JSON mode; use json_schema")
            return
        schema = response_format.schema if response_format.schema is not None else {"type": "object"}
        if response_format.strict is not None:
            self.adapt("response_format.strict", "dropped", "Anthropic has no strict switch for output schemas")
        if self.structured_output == "native":
            body["output_config"] = {"format": {"type": "json_schema", "schema": schema}}
            return
        name = response_format.name or _DEFAULT_STRUCTURED_TOOL
        tool: JSONObject = {"name": name, "input_schema": schema}
        if response_format.description is not None:
            tool["description"] = response_format.description
        body["tools"] = [*cast("list[JSONObject]", body.get("tools", [])), tool]
        if "tool_choice" in body:
            self.adapt("tool_choice", "adapted", f"replaced by the forced tool {name!r} for structured output")
        body["tool_choice"] = {"type": "tool", "name": name}
        self.forced_tool = True
        self.adapt("response_format", "adapted", f"emulated with a forced call of the tool {name!r}")

    def _thinking(self, body: JSONObject) -> None:
        settings = self.request.settings
        budget = settings.reasoning_budget
        effort = settings.reasoning_effort if ir.is_set(settings.reasoning_effort) else None
        if not ir.is_set(budget) and effort is None:
            return
        if ir.is_set(budget) and effort is not None:
            self.adapt("reasoning_effort", "dropped", "reasoning_budget given too; the budget is used")
        wants_thinking = budget != 0 if ir.is_set(budget) else _EFFORT_BUDGETS.get(effort or "") is not None
        forced = cast("JSONObject", body.get("tool_choice", {})).get("type") in ("any", "tool")
        if wants_thinking and forced and (self.forced_tool or not self.same_source):
            self.adapt("reasoning", "dropped", "Anthropic does not allow thinking with a forced tool choice")
            return
        thinking = (
            self._thinking_from_budget(body, budget)
            if ir.is_set(budget)
            else self._thinking_from_effort(body, effort or "")
        )
        if thinking is not None:
            body["thinking"] = thinking

    def _thinking_from_budget(self, body: JSONObject, budget: int) -> JSONObject | None:
        original = cast("JSONObject | None", self.notes.get("thinking"))
        if original is not None and _thinking_budget(original) == budget:
            return original
        if budget == 0:
            return {"type": "disabled"}
        if self.same_source:
            return {"type": "enabled", "budget_tokens": budget}
        if budget < 0:
            self.adapt("reasoning_budget", "dropped", "Anthropic has no dynamic thinking budget")
            return None
        fitted = self._fit_thinking_budget(body, budget)
        if fitted is None:
            self.adapt("reasoning_budget", "dropped", f"max_tokens {body['max_tokens']} leaves no room for thinking")
            return None
        if fitted != budget:
            self.adapt("reasoning_budget", "adapted", f"sent as a thinking budget of {fitted} tokens")
        return {"type": "enabled", "budget_tokens": fitted}

    def _thinking_from_effort(self, body: JSONObject, effort: str) -> JSONObject | None:
        if effort not in _EFFORT_BUDGETS:
            self.adapt("reasoning_effort", "dropped", f"unknown effort {effort!r}")
            return None
        budget = _EFFORT_BUDGETS[effort]
        if budget is None:
            self.adapt("reasoning_effort", "adapted", f"{effort!r} sent as no thinking")
            return None
        fitted = self._fit_thinking_budget(body, budget)
        if fitted is None:
            self.adapt("reasoning_effort", "dropped", f"max_tokens {body['max_tokens']} leaves no room for thinking")
            return None
        self.adapt("reasoning_effort", "adapted", f"{effort!r} sent as a thinking budget of {fitted} tokens")
        return {"type": "enabled", "budget_tokens": fitted}

    def _fit_thinking_budget(self, body: JSONObject, budget: int) -> int | None:
        """Anthropic needs 1024 <= budget < max_tokens: raise a defaulted max_tokens, else shrink the budget.
        None when an explicit max_tokens leaves no room for the minimum budget."""
        budget = max(budget, _MIN_THINKING_BUDGET)
        max_tokens = cast("int", body["max_tokens"])
        if budget >= max_tokens:
            if ir.is_set(self.request.settings.max_tokens):
                budget = max_tokens - 1
            else:
                body["max_tokens"] = budget + self.default_max_tokens
        return budget if budget >= _MIN_THINKING_BUDGET else None

    # -- unmodelled parameters -----------------------------------------------------------------------------

    def _extra(self, body: JSONObject) -> None:
        for key, value in self.request.extra.items():
            if not self.same_source:
                source = self.request.source or "the caller"
                self.adapt(key, "dropped", f"{source} parameter not supported by Anthropic Messages")
            elif key == "tools":
                continue  # server tools, already placed
            elif key == "output_config" and isinstance(body.get("output_config"), dict):
                body["output_config"] = {**cast("JSONObject", value), **body["output_config"]}
            else:
                body.setdefault(key, value)


# --------------------------------------------------------------------------------------------------------------
# Responses


def _usage_from_wire(usage: Mapping[str, Any]) -> ir.Usage:
    cache_read = _count(usage.get("cache_read_input_tokens"))
    cache_write = _count(usage.get("cache_creation_input_tokens"))
    details = usage.get("output_tokens_details")
    reasoning = _count(cast("JSONObject", details).get("thinking_tokens")) if isinstance(details, dict) else 0
    return ir.Usage(
        input_tokens=_count(usage.get("input_tokens")) + cache_read + cache_write,
        output_tokens=_count(usage.get("output_tokens")),
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        reasoning_tokens=reasoning,
    )


def _usage_to_wire(usage: ir.Usage | None) -> JSONObject:
    usage = usage or ir.Usage()
    wire: JSONObject = {
        "input_tokens": max(0, usage.input_tokens - usage.cache_read_tokens - usage.cache_write_tokens),
        "output_tokens": usage.output_tokens,
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "cache_read_input_tokens": usage.cache_read_tokens,
    }
    if usage.reasoning_tokens:
        wire["output_tokens_details"] = {"thinking_tokens": usage.reasoning_tokens}
    return wire


_USAGE_COUNTS = frozenset({"input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"})
_RESPONSE_KEYS = frozenset({"id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"})


def _usage_extras(usage: Mapping[str, Any]) -> JSONObject:
    """Usage keys the IR does not hold, plus cache counts sent as null (restored only while they stay 0)."""
    extras = _extras(usage, _USAGE_COUNTS)
    for key in ("cache_creation_input_tokens", "cache_read_input_tokens"):
        if key in usage and usage[key] is None:
            extras[key] = None
    return extras


def _decode_response(data: Mapping[str, Any]) -> ir.Response:
    message = _decode_turn("assistant", _array(data.get("content"), "content"), "content")[0]
    stop_reason = data.get("stop_reason")
    finish: ir.FinishReason | None = None
    if stop_reason is not None:
        finish = _STOP_REASON_TO_IR.get(_string(stop_reason, "stop_reason"), "other")
    stop_sequence = data.get("stop_sequence")
    extras = _extras(data, _RESPONSE_KEYS)
    usage: ir.Usage | None = None
    if data.get("usage") is not None:
        wire_usage = _object(data["usage"], "usage")
        usage = _usage_from_wire(wire_usage)
        usage_extras = _usage_extras(wire_usage)
        if usage_extras:
            extras["usage"] = usage_extras
    choice = ir.Choice(
        message=message,
        finish_reason=finish,
        stop_sequence=None if stop_sequence is None else _string(stop_sequence, "stop_sequence"),
    )
    return ir.Response(
        id=_string(data.get("id"), "id"),
        model=_string(data.get("model"), "model"),
        choices=[choice],
        usage=usage,
        provider_details=_details_dict(extras),
    )


# Parts a Message's content can hold; others (images a model generated...) have no Anthropic block.
_RESPONSE_PART_TYPES = (ir.TextPart, ir.ToolCallPart, ir.ThinkingPart, ir.RefusalPart)


def _encode_response(response: ir.Response) -> JSONObject:
    extras = _own_details(response.provider_details)
    usage = _usage_to_wire(response.usage)
    for key, value in cast("JSONObject", extras.pop("usage", {})).items():
        if value is not None or usage.get(key) == 0:
            usage[key] = value
    choice = response.choices[0] if response.choices else None
    blocks: list[JSONObject] = []
    if choice is not None:
        encoder = _BlockEncoder([], same_source=True, for_response=True)
        opaque = _own_details(choice.message.provider_details).get(_OPAQUE_BLOCKS)
        blocks = encoder.blocks(
            [p for p in choice.message.parts if isinstance(p, _RESPONSE_PART_TYPES)],
            "content",
            cast("list[Any] | None", opaque),
        )
    finish = choice.finish_reason if choice is not None else None
    return {
        "id": response.id,
        "type": "message",
        "role": "assistant",
        "model": response.model,
        "content": blocks,
        "stop_reason": None if finish is None else _FINISH_TO_WIRE[finish],
        "stop_sequence": choice.stop_sequence if choice is not None else None,
        "usage": usage,
        **extras,
    }


# --------------------------------------------------------------------------------------------------------------
# Errors

_ERROR_TYPES: dict[str, tuple[type[ProviderError], int]] = {
    "invalid_request_error": (BadRequest, 400),
    "authentication_error": (AuthenticationError, 401),
    "billing_error": (BadRequest, 402),
    "permission_error": (PermissionDenied, 403),
    "not_found_error": (NotFound, 404),
    "request_too_large": (BadRequest, 413),
    "rate_limit_error": (RateLimited, 429),
    "api_error": (ServerError, 500),
    "timeout_error": (Timeout, 504),
    "overloaded_error": (Overloaded, 529),
}
_CONTEXT_LENGTH = re.compile(r"prompt is too long|context (window|length|limit)", re.IGNORECASE)


def _error_class_for_status(status: int) -> type[ProviderError]:
    by_status: dict[int, type[ProviderError]] = {
        401: AuthenticationError,
        403: PermissionDenied,
        404: NotFound,
        408: Timeout,
        429: RateLimited,
        503: Overloaded,
        504: Timeout,
        529: Overloaded,
    }
    if status in by_status:
        return by_status[status]
    return ServerError if status >= 500 else BadRequest


def _retry_after(headers: Mapping[str, str]) -> float | None:
    lowered = {key.lower(): value for key, value in headers.items()}
    try:
        if "retry-after-ms" in lowered:
            return float(lowered["retry-after-ms"]) / 1000
        if "retry-after" in lowered:
            return float(lowered["retry-after"])
    except ValueError:
        pass
    if "retry-after" in lowered:
        try:
            when = email.utils.parsedate_to_datetime(lowered["retry-after"])
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())
    return None


def error_from_body(status: int, body: object, headers: Mapping[str, str]) -> ProviderError:
    """The routeapi error for an Anthropic error answer. ``status`` 200 means an in-stream ``error`` event: the
    status then comes from the error type (529 overloaded, 429 rate limit...)."""
    if isinstance(body, (bytes, str)):
        with contextlib.suppress(ValueError):
            body = json.loads(body)
    error_type: str | None = None
    message = f"Anthropic returned HTTP {status}"
    request_id: str | None = None
    if isinstance(body, dict):
        payload = cast("JSONObject", body)
        error = payload.get("error")
        if isinstance(error, dict):
            error_type = cast("JSONObject", error).get("type")
            message = str(cast("JSONObject", error).get("message") or error_type or message)
        if isinstance(payload.get("request_id"), str):
            request_id = payload["request_id"]
    elif isinstance(body, (bytes, str)) and body:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        message = f"{message}: {text[:200]}"
    known = _ERROR_TYPES.get(error_type or "")
    if status < 400:
        status = known[1] if known else 500
    cls = known[0] if known else _error_class_for_status(status)
    if status in (503, 529) and issubclass(cls, ServerError):
        cls = Overloaded  # "unavailable" and "overloaded" both mean: try again later or elsewhere
    if cls is BadRequest and _CONTEXT_LENGTH.search(message):
        cls = ContextLengthExceeded
    lowered = {key.lower(): value for key, value in headers.items()}
    common: dict[str, Any] = {
        "status_code": status,
        "headers": headers,
        "body": body,
        "code": error_type if isinstance(error_type, str) else None,
        "upstream_request_id": request_id or lowered.get("request-id"),
    }
    if cls is RateLimited:
        return RateLimited(message, retry_after=_retry_after(headers), **common)
    return cls(message, **common)


# --------------------------------------------------------------------------------------------------------------
# Streaming: SSE events -> IR events


class AnthropicStreamDecoder:
    """Anthropic SSE events -> IR stream events. IR part index = Anthropic block index; block kinds the IR
    cannot hold (server tool blocks) and ``citations_delta`` produce no events."""

    def __init__(self) -> None:
        self._usage: JSONObject = {}
        self._blocks: dict[int, str] = {}  # open block index -> block type
        self._skipped: set[int] = set()
        self._done = False

    def feed(self, item: SSEEvent) -> list[ir.StreamEvent]:
        try:
            data = json.loads(item.data)
        except ValueError:
            raise ProtocolError(f"Anthropic sent a malformed stream event: {item.data[:80]!r}") from None
        if not isinstance(data, dict):
            raise ProtocolError(f"Anthropic sent a stream event that is not a JSON object: {item.data[:80]!r}")
        event = cast("JSONObject", data)
        kind = event.get("type", item.event)
        if kind == "error":
            raise error_from_body(200, event, {})
        if self._done:
            return []
        if kind == "message_start":
            return self._message_start(_object(event.get("message"), "message_start.message"))
        if kind == "content_block_start":
            return self._block_start(event)
        if kind == "content_block_delta":
            return self._block_delta(event)
        if kind == "content_block_stop":
            return self._block_stop(event)
        if kind == "message_delta":
            return self._message_delta(event)
        if kind == "message_stop":
            self._done = True
            return [ir.StreamEnd()]
        return []  # ping and event types added later

    def end(self) -> list[ir.StreamEvent]:
        if not self._done:
            raise StreamInterrupted("the Anthropic stream ended without message_stop")
        return []

    def _message_start(self, message: JSONObject) -> list[ir.StreamEvent]:
        self._usage = dict(_object(message.get("usage", {}), "message_start.message.usage"))
        extras = {
            key: value
            for key, value in _extras(message, _RESPONSE_KEYS).items()
            if value is not None  # nulls here are "not yet known", not data
        }
        start = ir.MessageStart(
            id=_string(message.get("id"), "message_start.message.id"),
            model=_string(message.get("model"), "message_start.message.model"),
            provider_details=_details_dict(extras),
        )
        return [start, ir.UsageUpdate(_usage_from_wire(self._usage))]

    def _index(self, event: JSONObject, kind: str) -> int:
        return _integer(event.get("index"), f"{kind}.index")

    def _block_start(self, event: JSONObject) -> list[ir.StreamEvent]:
        index = self._index(event, "content_block_start")
        block = _object(event.get("content_block"), "content_block_start.content_block")
        kind = _block_type(block, "content_block_start.content_block")
        path = "content_block_start.content_block"
        part: ir.TextPart | ir.ToolCallPart | ir.ThinkingPart
        if kind == "text":
            part = _decode_text(block, path)
        elif kind == "tool_use":
            tool_input = _object(block.get("input", {}), f"{path}.input")
            part = _decode_tool_use(block, path)
            part.arguments = part.arguments if tool_input else ""
        elif kind == "thinking":
            part = _decode_thinking(block, path)
            part.signature = part.signature or None  # "" at start means "not yet known"
        elif kind == "redacted_thinking":
            part = _decode_redacted_thinking(block, path)
        else:
            self._skipped.add(index)
            return []
        self._blocks[index] = kind
        return [ir.PartStart(index, part)]

    def _block_delta(self, event: JSONObject) -> list[ir.StreamEvent]:
        index = self._index(event, "content_block_delta")
        if index in self._skipped:
            return []
        if index not in self._blocks:
            raise ProtocolError(f"content_block_delta.index: block {index} was not started")
        delta = _object(event.get("delta"), "content_block_delta.delta")
        kind = _block_type(delta, "content_block_delta.delta")
        if kind == "text_delta":
            return [ir.TextDelta(index, _string(delta.get("text"), "content_block_delta.delta.text"))]
        if kind == "input_json_delta":
            partial = _string(delta.get("partial_json"), "content_block_delta.delta.partial_json")
            return [ir.ToolArgumentsDelta(index, partial)] if partial else []
        if kind == "thinking_delta":
            return [ir.ThinkingDelta(index, text=_string(delta.get("thinking"), "content_block_delta.delta.thinking"))]
        if kind == "signature_delta":
            signature = _string(delta.get("signature"), "content_block_delta.delta.signature")
            return [ir.ThinkingDelta(index, signature=signature)]
        return []  # citations_delta and later delta kinds have no IR event

    def _block_stop(self, event: JSONObject) -> list[ir.StreamEvent]:
        index = self._index(event, "content_block_stop")
        if index in self._skipped:
            return []
        if self._blocks.pop(index, None) is None:
            raise ProtocolError(f"content_block_stop.index: block {index} was not started")
        return [ir.PartEnd(index)]

    def _message_delta(self, event: JSONObject) -> list[ir.StreamEvent]:
        delta = _object(event.get("delta", {}), "message_delta.delta")
        for key, value in _object(event.get("usage", {}), "message_delta.usage").items():
            if value is not None:  # totals: they replace what message_start said
                self._usage[key] = value
        events: list[ir.StreamEvent] = []
        stop_reason = delta.get("stop_reason")
        if stop_reason is not None:
            stop_sequence = delta.get("stop_sequence")
            extras = {
                key: value
                for key, value in _extras(delta, frozenset({"stop_reason", "stop_sequence"})).items()
                if value is not None
            }
            events.append(
                ir.Finish(
                    _STOP_REASON_TO_IR.get(_string(stop_reason, "message_delta.delta.stop_reason"), "other"),
                    stop_sequence=None if stop_sequence is None else _string(stop_sequence, "stop_sequence"),
                    provider_details=_details_dict(extras),
                )
            )
        events.append(ir.UsageUpdate(_usage_from_wire(self._usage)))
        return events


# --------------------------------------------------------------------------------------------------------------
# Streaming: IR events -> Anthropic events


_DeltaEvent: TypeAlias = Union[ir.TextDelta, ir.ToolArgumentsDelta, ir.ThinkingDelta]


@dataclass
class _HeldPart:
    """A part that started while another block was open: its events wait until that block closes."""

    start: ir.PartStart
    deltas: list[_DeltaEvent] = field(default_factory=lambda: [])
    ended: bool = False


@dataclass
class _OpenBlock:
    part_index: int
    wire_index: int
    kind: str


class AnthropicStreamEncoder:
    """IR stream events -> Anthropic stream events (dicts whose ``type`` is the SSE event name).

    Anthropic blocks are strictly sequential with contiguous indexes, while IR parts may interleave (OpenAI streams
    several tool calls): one block streams at a time and parts that start meanwhile are held back, then replayed
    in start order when it closes. ``message_start`` waits for the first content (to carry input usage) and
    ``message_delta`` for ``StreamEnd`` (to carry the final usage). Only choice 0 is encoded."""

    def __init__(self) -> None:
        self._start: ir.MessageStart | None = None
        self._started = False
        self._usage = ir.Usage()
        self._finish: ir.Finish | None = None
        self._done = False
        self._next_wire_index = 0
        self._open: _OpenBlock | None = None
        self._held: dict[int, _HeldPart] = {}  # insertion order = start order

    def encode(self, event: ir.StreamEvent) -> list[JSONObject]:
        if self._done or getattr(event, "choice", 0) != 0:
            return []
        if isinstance(event, ir.MessageStart):
            self._start = self._start or event
            return []
        if isinstance(event, ir.UsageUpdate):
            self._usage = event.usage
            return []
        out = self._message_start()
        if isinstance(event, ir.PartStart):
            if self._open is None:
                out += self._open_block(event)
            else:
                self._held[event.index] = _HeldPart(event)
        elif isinstance(event, (ir.TextDelta, ir.ToolArgumentsDelta, ir.ThinkingDelta)):
            out += self._delta(event)
        elif isinstance(event, ir.PartEnd):
            out += self._part_end(event.index)
        elif isinstance(event, ir.Finish):
            self._finish = event
            out += self._flush()
        else:
            out += self._flush()
            out += [self._message_delta(), {"type": "message_stop"}]
            self._done = True
        return out

    def _message_start(self) -> list[JSONObject]:
        if self._started:
            return []
        self._started = True
        start = self._start or ir.MessageStart(id="", model="")
        usage = _usage_to_wire(self._usage)
        usage.pop("output_tokens_details", None)
        message: JSONObject = {
            "id": start.id,
            "type": "message",
            "role": "assistant",
            "model": start.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": usage,
            **_own_details(start.provider_details),
        }
        return [{"type": "message_start", "message": message}]

    def _open_block(self, start: ir.PartStart) -> list[JSONObject]:
        part = start.part
        wire_index = self._next_wire_index
        self._next_wire_index += 1
        block: JSONObject
        initial: list[_DeltaEvent] = []
        if isinstance(part, ir.TextPart):
            block = {"type": "text", "text": ""}
            initial.append(ir.TextDelta(start.index, part.text))
        elif isinstance(part, ir.ToolCallPart):
            block = {"type": "tool_use", "id": part.id, "name": part.name, "input": {}}
            initial.append(ir.ToolArgumentsDelta(start.index, part.arguments))
        elif part.redacted is not None:
            block = {"type": "redacted_thinking", "data": part.redacted}
        else:
            block = {"type": "thinking", "thinking": "", "signature": ""}
            initial.append(ir.ThinkingDelta(start.index, part.text, part.signature))
        self._open = _OpenBlock(start.index, wire_index, block["type"])
        out: list[JSONObject] = [{"type": "content_block_start", "index": wire_index, "content_block": block}]
        for delta in initial:
            out += self._delta(delta)
        return out

    def _delta(self, delta: _DeltaEvent) -> list[JSONObject]:
        held = self._held.get(delta.index)
        if held is not None:
            held.deltas.append(delta)
            return []
        block = self._open
        if block is None or block.part_index != delta.index:
            raise ProtocolError(f"stream delta for part {delta.index}, which is not open")
        payloads: list[JSONObject] = []
        if isinstance(delta, ir.TextDelta) and block.kind == "text":
            if delta.text:
                payloads.append({"type": "text_delta", "text": delta.text})
        elif isinstance(delta, ir.ToolArgumentsDelta) and block.kind == "tool_use":
            if delta.arguments:
                payloads.append({"type": "input_json_delta", "partial_json": delta.arguments})
        elif isinstance(delta, ir.ThinkingDelta) and block.kind == "thinking":
            if delta.text:
                payloads.append({"type": "thinking_delta", "thinking": delta.text})
            if delta.signature:
                payloads.append({"type": "signature_delta", "signature": delta.signature})
        else:
            raise ProtocolError(f"stream delta {type(delta).__name__} does not fit a {block.kind} block")
        return [{"type": "content_block_delta", "index": block.wire_index, "delta": p} for p in payloads]

    def _part_end(self, index: int) -> list[JSONObject]:
        if index in self._held:
            self._held[index].ended = True
            return []
        if self._open is None or self._open.part_index != index:
            return []  # already closed (a Finish closes open parts) or never opened
        return self._close() + self._drain()

    def _close(self) -> list[JSONObject]:
        block = self._open
        if block is None:
            return []
        self._open = None
        return [{"type": "content_block_stop", "index": block.wire_index}]

    def _drain(self) -> list[JSONObject]:
        """Replay held parts in start order until one is still streaming."""
        out: list[JSONObject] = []
        while self._open is None and self._held:
            index = next(iter(self._held))
            held = self._held.pop(index)
            out += self._open_block(held.start)
            for delta in held.deltas:
                out += self._delta(delta)
            if held.ended:
                out += self._close()
        return out

    def _flush(self) -> list[JSONObject]:
        """Close every open and held part (a Finish or the end of the stream arrived)."""
        out: list[JSONObject] = []
        while self._open is not None or self._held:
            out += self._close()
            out += self._drain()
        return out

    def _message_delta(self) -> JSONObject:
        finish = self._finish
        delta: JSONObject = {
            "stop_reason": _FINISH_TO_WIRE[finish.reason] if finish is not None else "end_turn",
            "stop_sequence": finish.stop_sequence if finish is not None else None,
        }
        if finish is not None:
            delta.update(_own_details(finish.provider_details))
        return {"type": "message_delta", "delta": delta, "usage": _usage_to_wire(self._usage)}


# --------------------------------------------------------------------------------------------------------------
# The codec


class AnthropicMessagesCodec:
    """Anthropic Messages, both directions (see the module docstring for what survives a round trip)."""

    name = NAME

    def decode_request(self, body: Mapping[str, Any]) -> ir.Request:
        """Inbound body -> IR. ``max_tokens`` may be missing (the router fills it from the model catalog)."""
        return _decode_request(body)

    def encode_request(
        self,
        request: ir.Request,
        *,
        model: str,
        default_max_tokens: int = 4096,
        structured_output: Literal["native", "tool"] = "native",
    ) -> tuple[JSONObject, list[ir.Adaptation]]:
        """IR -> request body. ``structured_output="tool"`` emulates a json_schema response format with a forced
        tool call (undo it on the response with :func:`unwrap_forced_tool`)."""
        encoder = _RequestEncoder(
            request, model=model, default_max_tokens=default_max_tokens, structured_output=structured_output
        )
        return encoder.encode()

    def decode_response(self, data: Mapping[str, Any]) -> ir.Response:
        if not isinstance(data, Mapping):  # pyright: ignore[reportUnnecessaryIsInstance] - upstream sent null or a list
            raise ProtocolError(f"the upstream response is not a JSON object but {type(data).__name__}")
        return _decode_response(data)

    def encode_response(self, response: ir.Response) -> JSONObject:
        return _encode_response(response)


usage_from_wire = _usage_from_wire
"""An Anthropic ``usage`` object -> IR usage (used by the same-protocol stream relay)."""
