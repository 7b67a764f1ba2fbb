"""AWS Bedrock Runtime Converse / ConverseStream <-> IR: requests, responses, stream events and error codes.

Bodies are what boto3's ``converse(**kwargs)`` takes and returns: Python dicts whose blobs (image, document and
audio bytes, redacted reasoning) are ``bytes``; boto3 does the base64 on the wire. ``modelId`` is one of the keys.
Stream items are the dicts boto3 yields (``{"contentBlockDelta": {...}}``).

Same-protocol fidelity: wire details the IR does not model travel in ``provider_details["bedrock_converse"]`` (on
parts, messages, tools, choices, the request and the response) and in ``Request.extra``, so decoding a body and
encoding it again gives the same body. Keys in a part's details are wire keys merged into its block, except the
markers named in ``_MARKERS``, which record the wire shape.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias, cast

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

__all__ = [
    "BedrockConverseCodec",
    "BedrockStreamDecoder",
    "BedrockStreamEncoder",
    "error_from_code",
]

NAME: Final = "bedrock_converse"

JSONObject: TypeAlias = dict[str, Any]

# Markers in provider_details that describe wire shape rather than being wire keys.
_SAME_TURN: Final = "same_turn"  # this IR message came from the same wire message as the previous one
_OPAQUE_BLOCKS: Final = "opaque_blocks"  # [[position, block], ...]: blocks the IR has no part for
_JSON_RESULT: Final = "json"  # a tool-result text part that was a {"json": value} item
_NO_FORMAT: Final = "no_format"  # a document block sent without its optional format
_MARKERS: Final = frozenset({_SAME_TURN, _OPAQUE_BLOCKS, _JSON_RESULT, _NO_FORMAT})

# The vendor prefix of a Bedrock model id ("anthropic.claude-...", "us.anthropic.claude-...", ARNs naming one).
_ANTHROPIC_MODEL: Final = "anthropic."
_ANTHROPIC_DETAILS: Final = "anthropic_messages"

_TOOL_NAME: Final = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_DATA_URL: Final = re.compile(r"data:(?P<media>[^;,]*)(?:;[^;,]*)*?;base64,(?P<data>.*)", re.DOTALL)

_IMAGE_FORMATS: Final[dict[str, str]] = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
}
_DOCUMENT_MEDIA_TYPES: Final[dict[str, str]] = {
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
_DOCUMENT_FORMATS: Final[dict[str, str]] = {
    **{media_type: fmt for fmt, media_type in _DOCUMENT_MEDIA_TYPES.items()},
    "text/x-markdown": "md",
    "application/csv": "csv",
}
_AUDIO_FORMATS: Final = frozenset(
    {"mp3", "opus", "wav", "aac", "flac", "mp4", "ogg", "mkv", "mka", "x-aac", "m4a", "mpeg", "mpga", "pcm", "webm"}
)

_STOP_REASON_TO_IR: Final[dict[str, ir.FinishReason]] = {
    "end_turn": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "stop_sequence": "stop_sequence",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
    "malformed_model_output": "malformed_tool_call",
    "malformed_tool_use": "malformed_tool_call",
    "model_context_window_exceeded": "context_length",
}
_FINISH_TO_WIRE: Final[dict[ir.FinishReason, str]] = {
    "stop": "end_turn",
    "stop_sequence": "stop_sequence",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "content_filtered",
    "context_length": "model_context_window_exceeded",
    "malformed_tool_call": "malformed_tool_use",
    "pause": "end_turn",
    "other": "end_turn",
}

# Settings with no Converse equivalent: (name, values that are no-ops and not reported, reason).
_NO_EQUIVALENT: Final = "Bedrock Converse has no equivalent"
_UNSUPPORTED_SETTINGS: Final[tuple[tuple[str, tuple[object, ...], str], ...]] = (
    ("seed", (), _NO_EQUIVALENT),
    ("presence_penalty", (), _NO_EQUIVALENT),
    ("frequency_penalty", (), _NO_EQUIVALENT),
    ("logit_bias", (), _NO_EQUIVALENT),
    ("logprobs", (False,), _NO_EQUIVALENT),
    ("top_logprobs", (), _NO_EQUIVALENT),
    ("parallel_tool_calls", (True,), _NO_EQUIVALENT),
    ("reasoning_effort", (), "Converse takes a thinking budget (reasoning_budget), not an effort"),
    ("user", (), _NO_EQUIVALENT),
)


# --------------------------------------------------------------------------------------------------------------
# Reading helpers: each names the offending path in its ProtocolError.


def _object(value: object, path: str) -> JSONObject:
    if not isinstance(value, Mapping):
        raise ProtocolError(f"{path}: expected an object, got {_kind(value)}")
    return dict(cast("Mapping[str, Any]", value))


def _blob(value: object, path: str) -> bytes:
    if not isinstance(value, (bytes, bytearray)):
        raise ProtocolError(f"{path}: expected bytes, got {_kind(value)}")
    return bytes(value)


def _member(union: JSONObject, path: str) -> tuple[str, Any]:
    """The one member set in a union object (a content block, a tool choice...)."""
    if len(union) != 1:
        raise ProtocolError(f"{path}: expected exactly one member, got {sorted(union) or 'none'}")
    return next(iter(union.items()))


def _enum(value: object, allowed: Mapping[str, Any] | frozenset[str], path: str) -> str:
    text = _string(value, path)
    if text not in allowed:
        raise ProtocolError(f"{path}: unknown value {text!r}")
    return text


def _extras(source: Mapping[str, Any], consumed: frozenset[str]) -> JSONObject:
    return {key: value for key, value in source.items() if key not in consumed}


def _details_dict(extras: Mapping[str, Any]) -> dict[str, Any] | None:
    """``provider_details`` holding ``extras`` under this codec's name, or None when there is nothing to keep."""
    return {NAME: dict(extras)} if extras else None


def _own_details(provider_details: Mapping[str, Any] | None) -> JSONObject:
    """This codec's entry in ``provider_details`` (a copy), or {}."""
    entry = (provider_details or {}).get(NAME)
    return dict(cast("JSONObject", entry)) if isinstance(entry, dict) else {}


def _wire_extras(provider_details: Mapping[str, Any] | None) -> JSONObject:
    """The wire keys kept for a block: this codec's details without the shape markers."""
    return {key: value for key, value in _own_details(provider_details).items() if key not in _MARKERS}


def _new_id() -> str:
    return f"bedrock-{uuid.uuid4().hex}"


# --------------------------------------------------------------------------------------------------------------
# Content blocks -> IR parts


def _decode_image(value: object, path: str) -> ir.ImagePart:
    image = _object(value, path)
    fmt = _enum(image.get("format"), frozenset(_IMAGE_FORMATS.values()), f"{path}.format")
    extras = _extras(image, frozenset({"format", "source"}))
    source = _object(image.get("source"), f"{path}.source")
    data: bytes | None = None
    url: str | None = None
    if set(source) == {"bytes"}:
        data = _blob(source["bytes"], f"{path}.source.bytes")
    elif set(source) == {"s3Location"} and set(_object(source["s3Location"], f"{path}.source.s3Location")) == {"uri"}:
        url = _string(source["s3Location"]["uri"], f"{path}.source.s3Location.uri")
    else:
        extras["source"] = source  # a source the IR cannot hold (an S3 bucket owner...): kept verbatim
    return ir.ImagePart(data=data, url=url, media_type=f"image/{fmt}", provider_details=_details_dict(extras))


def _decode_document(value: object, path: str) -> ir.DocumentPart:
    document = _object(value, path)
    extras = _extras(document, frozenset({"format", "name", "source"}))
    media_type: str | None = None
    if "format" in document:
        media_type = _DOCUMENT_MEDIA_TYPES[_enum(document["format"], _DOCUMENT_MEDIA_TYPES, f"{path}.format")]
    else:
        extras[_NO_FORMAT] = True
    source = _object(document.get("source"), f"{path}.source")
    data: bytes | None = None
    text: str | None = None
    url: str | None = None
    if set(source) == {"bytes"}:
        data = _blob(source["bytes"], f"{path}.source.bytes")
    elif set(source) == {"text"}:
        text = _string(source["text"], f"{path}.source.text")
    elif set(source) == {"s3Location"} and set(_object(source["s3Location"], f"{path}.source.s3Location")) == {"uri"}:
        url = _string(source["s3Location"]["uri"], f"{path}.source.s3Location.uri")
    else:
        extras["source"] = source  # content blocks, S3 with an owner...: kept verbatim
    return ir.DocumentPart(
        data=data,
        text=text,
        url=url,
        media_type=media_type,
        filename=_string(document.get("name"), f"{path}.name"),
        provider_details=_details_dict(extras),
    )


def _decode_audio(value: object, path: str) -> ir.AudioPart | None:
    """An audio block with inline bytes, or None when its source is one the IR cannot hold (S3)."""
    audio = _object(value, path)
    fmt = _enum(audio.get("format"), _AUDIO_FORMATS, f"{path}.format")
    source = _object(audio.get("source"), f"{path}.source")
    if set(source) != {"bytes"}:
        return None
    data = _blob(source["bytes"], f"{path}.source.bytes")
    extras = _extras(audio, frozenset({"format", "source"}))
    return ir.AudioPart(data=data, format=fmt, provider_details=_details_dict(extras))


def _decode_tool_use(value: object, path: str) -> ir.ToolCallPart:
    tool_use = _object(value, path)
    if "input" not in tool_use:
        raise ProtocolError(f"{path}.input: missing")
    return ir.ToolCallPart(
        id=_string(tool_use.get("toolUseId"), f"{path}.toolUseId"),
        name=_string(tool_use.get("name"), f"{path}.name"),
        arguments=json.dumps(tool_use["input"], ensure_ascii=False),
        provider_details=_details_dict(_extras(tool_use, frozenset({"toolUseId", "name", "input"}))),
    )


def _decode_tool_result(value: object, path: str) -> ir.ToolResultPart:
    result = _object(value, path)
    extras = _extras(result, frozenset({"toolUseId", "content", "status"}))
    status = result.get("status")
    if status is not None:
        status = _enum(status, frozenset({"success", "error"}), f"{path}.status")
        if status == "success":
            extras["status"] = status  # an explicit success is kept for the round trip
    content: list[ir.ContentPart] = []
    raw = _array(result.get("content"), f"{path}.content")
    for j, item_value in enumerate(raw):
        item_path = f"{path}.content[{j}]"
        kind, item = _member(_object(item_value, item_path), item_path)
        if kind == "text":
            content.append(ir.TextPart(_string(item, f"{item_path}.text")))
        elif kind == "json":
            text = json.dumps(item, ensure_ascii=False)
            content.append(ir.TextPart(text, provider_details=_details_dict({_JSON_RESULT: True})))
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
        provider_details=_details_dict(extras),
    )


def _decode_reasoning(value: object, path: str) -> ir.ThinkingPart:
    kind, member = _member(_object(value, path), path)
    if kind == "redactedContent":
        data = _blob(member, f"{path}.redactedContent")
        return ir.ThinkingPart(redacted=base64.b64encode(data).decode("ascii"))
    if kind != "reasoningText":
        raise ProtocolError(f"{path}: unknown reasoning member {kind!r}")
    reasoning = _object(member, f"{path}.reasoningText")
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
    kind, value = _member(block, path)
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
class _TurnBuilder:
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
            details[_SAME_TURN] = True
        if self.opaque:
            details[_OPAQUE_BLOCKS] = self.opaque
        return ir.Message(self.role, self.parts, provider_details=_details_dict(details))


def _decode_turn(role: Literal["user", "assistant"], content: object, path: str) -> list[ir.Message]:
    """One wire message -> IR messages. A user message's runs of ``toolResult`` blocks become ``tool`` messages
    (in their original order among the other blocks); the pieces after the first are marked ``same_turn``."""
    turns: list[_TurnBuilder] = []
    for j, value in enumerate(_array(content, path)):
        block_path = f"{path}[{j}]"
        block = _object(value, block_path)
        is_result = "toolResult" in block
        if is_result and role != "user":
            raise ProtocolError(f"{block_path}.toolResult: tool results belong in user messages")
        turn_role: ir.Role = "tool" if is_result else role
        if not turns or turns[-1].role != turn_role:
            turns.append(_TurnBuilder(turn_role, same_turn=bool(turns)))
        turns[-1].add(block, block_path)
    if not turns:
        return [ir.Message(role)]
    return [turn.build() for turn in turns]


# --------------------------------------------------------------------------------------------------------------
# IR parts -> content blocks


def _sniff_image_format(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


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


def _check_tool_name(name: str, path: str) -> None:
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


def _redacted_bytes(redacted: str) -> bytes:
    """The blob for redacted reasoning: the IR holds it base64-encoded (Anthropic's ``data`` is base64 too)."""
    try:
        return base64.b64decode(redacted, validate=True)
    except (binascii.Error, ValueError):
        return redacted.encode("utf-8")


def _s3_source(url: str) -> JSONObject | None:
    return {"s3Location": {"uri": url}} if url.startswith("s3://") else None


class _BlockEncoder:
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
        extras = _wire_extras(part.provider_details)
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
        fmt = _IMAGE_FORMATS.get((media_type or "").lower())
        if fmt is None and data is not None:
            fmt = _sniff_image_format(data)
        if fmt is None:
            raise UnsupportedFeature(f"{path}: Bedrock accepts png, jpeg, gif and webp images, not {media_type!r}")
        return {"format": fmt, "source": source, **extras}

    def document(self, part: ir.DocumentPart, path: str) -> JSONObject:
        details = _own_details(part.provider_details)
        extras = _wire_extras(part.provider_details)
        source = extras.pop("source", None) or self._document_source(part, path)
        block: JSONObject = {}
        if not (self.same_source and details.get(_NO_FORMAT)):
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
        fmt = _DOCUMENT_FORMATS.get((media_type or "").lower().split(";")[0].strip())
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
        if fmt not in _AUDIO_FORMATS:
            raise UnsupportedFeature(f"{path}: Bedrock does not accept {part.format!r} audio")
        return {"format": fmt, "source": {"bytes": part.data}, **_wire_extras(part.provider_details)}

    def tool_use(self, part: ir.ToolCallPart, path: str) -> JSONObject:
        _check_tool_name(part.name, f"{path}.name")
        parsed = _parse_tool_input(part.arguments, any_json=self.same_source)
        if parsed is None:
            parsed = {"_raw_arguments": part.arguments}
            self.adapt(f"{path}.arguments", "adapted", 'not a JSON object; sent as {"_raw_arguments": <text>}')
        wire: JSONObject = {"toolUseId": part.id, "name": part.name, "input": parsed}
        return {**wire, **_wire_extras(part.provider_details)}

    def tool_result(self, part: ir.ToolResultPart, path: str) -> JSONObject:
        extras = _wire_extras(part.provider_details)
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
            if _own_details(part.provider_details).get(_JSON_RESULT):
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
            return {"reasoningContent": {"redactedContent": _redacted_bytes(part.redacted)}}
        if not self.same_source and _is_foreign_thinking(part):
            self.adapt(path, "dropped", "reasoning from another provider cannot be replayed to Bedrock")
            return None
        text: JSONObject = {"text": part.text}
        if part.signature is not None:
            text["signature"] = part.signature
        return {"reasoningContent": {"reasoningText": text}}


# --------------------------------------------------------------------------------------------------------------
# Requests


def _decode_system(value: object) -> ir.Message:
    turn = _TurnBuilder("system", same_turn=False)
    for j, item in enumerate(_array(value, "system")):
        path = f"system[{j}]"
        block = _object(item, path)
        kind, text = _member(block, path)
        if kind == "text":
            turn.parts.append(ir.TextPart(_string(text, f"{path}.text")))
        else:  # guard content and cache points
            turn.opaque.append([len(turn.parts) + len(turn.opaque), block])
    return turn.build()


def _decode_inference_config(value: object, settings: ir.GenerationSettings, notes: JSONObject) -> None:
    config = _object(value, "inferenceConfig")
    if "maxTokens" in config:
        settings.max_tokens = _integer(config["maxTokens"], "inferenceConfig.maxTokens")
    if "temperature" in config:
        settings.temperature = _number(config["temperature"], "inferenceConfig.temperature")
    if "topP" in config:
        settings.top_p = _number(config["topP"], "inferenceConfig.topP")
    if "stopSequences" in config:
        stops = _array(config["stopSequences"], "inferenceConfig.stopSequences")
        settings.stop = [_string(stop, f"inferenceConfig.stopSequences[{k}]") for k, stop in enumerate(stops)]
    # Kept even when empty, so an empty inferenceConfig re-encodes as one.
    notes["inferenceConfig"] = _extras(config, frozenset({"maxTokens", "temperature", "topP", "stopSequences"}))


def _decode_tool(value: object, path: str) -> ir.Tool:
    spec = _object(value, path)
    description = spec.get("description")
    strict = spec.get("strict")
    kind, schema = _member(_object(spec.get("inputSchema"), f"{path}.inputSchema"), f"{path}.inputSchema")
    if kind != "json":
        raise ProtocolError(f"{path}.inputSchema: unknown member {kind!r}")
    return ir.Tool(
        name=_string(spec.get("name"), f"{path}.name"),
        description=None if description is None else _string(description, f"{path}.description"),
        parameters=_object(schema, f"{path}.inputSchema.json"),
        strict=None if strict is None else _boolean(strict, f"{path}.strict"),
        provider_details=_details_dict(_extras(spec, frozenset({"name", "description", "inputSchema", "strict"}))),
    )


def _decode_tool_choice(value: object) -> ir.ToolChoice:
    kind, choice = _member(_object(value, "toolConfig.toolChoice"), "toolConfig.toolChoice")
    if kind == "auto":
        return "auto"
    if kind == "any":
        return "required"
    if kind == "tool":
        name = _object(choice, "toolConfig.toolChoice.tool").get("name")
        return ir.NamedToolChoice(_string(name, "toolConfig.toolChoice.tool.name"))
    raise ProtocolError(f"toolConfig.toolChoice: unknown member {kind!r}")


def _decode_tool_config(value: object, request: ir.Request, notes: JSONObject) -> None:
    config = _object(value, "toolConfig")
    opaque: list[list[Any]] = []
    for k, entry_value in enumerate(_array(config.get("tools"), "toolConfig.tools")):
        path = f"toolConfig.tools[{k}]"
        entry = _object(entry_value, path)
        kind, spec = _member(entry, path)
        if kind == "toolSpec":
            request.tools.append(_decode_tool(spec, f"{path}.toolSpec"))
        else:  # system tools and cache points
            opaque.append([k, entry])
    if opaque:
        notes["opaque_tools"] = opaque
    if "toolChoice" in config:
        request.tool_choice = _decode_tool_choice(config["toolChoice"])
    rest = _extras(config, frozenset({"tools", "toolChoice"}))
    if rest:
        notes["toolConfig"] = rest


def _decode_model_fields(value: object, request: ir.Request) -> None:
    """``top_k`` and an enabled ``thinking`` become settings; the rest stays in ``extra`` verbatim."""
    fields = _object(value, "additionalModelRequestFields")
    rest = dict(fields)
    top_k = fields.get("top_k")
    if isinstance(top_k, int) and not isinstance(top_k, bool):
        request.settings.top_k = top_k
        del rest["top_k"]
    thinking = fields.get("thinking")
    if isinstance(thinking, dict):
        config = cast("JSONObject", thinking)
        budget = config.get("budget_tokens")
        is_enabled = set(config) == {"type", "budget_tokens"} and config["type"] == "enabled"
        if is_enabled and isinstance(budget, int) and not isinstance(budget, bool):
            request.settings.reasoning_budget = budget
            del rest["thinking"]
    if rest or not fields:
        request.extra["additionalModelRequestFields"] = rest


def _compact_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json_schema_definition(config: JSONObject) -> JSONObject | None:
    """The ``jsonSchema`` object when ``config`` is exactly ``{"textFormat": {json_schema structure}}``."""
    text_format = config.get("textFormat")
    if set(config) != {"textFormat"} or not isinstance(text_format, dict):
        return None
    text_format = cast("JSONObject", text_format)
    structure = text_format.get("structure")
    if set(text_format) != {"type", "structure"} or text_format["type"] != "json_schema":
        return None
    if not isinstance(structure, dict) or set(cast("JSONObject", structure)) != {"jsonSchema"}:
        return None
    definition = cast("JSONObject", structure)["jsonSchema"]
    return cast("JSONObject", definition) if isinstance(definition, dict) else None


def _decode_output_config(value: object, request: ir.Request, notes: JSONObject) -> None:
    """``outputConfig.textFormat`` json_schema -> response_format; any other shape stays in ``extra``."""
    config = _object(value, "outputConfig")
    definition = _json_schema_definition(config)
    if definition is not None and set(definition) <= {"schema", "name", "description"}:
        text = definition.get("schema")
        name = definition.get("name")
        description = definition.get("description")
        try:
            schema: object = json.loads(text) if isinstance(text, str) else None
        except ValueError:
            schema = None
        if isinstance(schema, dict) and all(item is None or isinstance(item, str) for item in (name, description)):
            request.response_format = ir.ResponseFormat(
                "json_schema", name=name, schema=cast("JSONObject", schema), description=description
            )
            if _compact_json(request.response_format.schema) != text:
                notes["schema_text"] = text  # the caller's exact spelling
            return
    request.extra["outputConfig"] = config


def _decode_request_metadata(value: object, request: ir.Request) -> None:
    metadata = _object(value, "requestMetadata")
    if all(isinstance(item, str) for item in metadata.values()):
        request.settings.metadata = metadata
    else:
        request.extra["requestMetadata"] = metadata


_MODELLED_KEYS: Final = frozenset(
    {
        "modelId",
        "messages",
        "system",
        "inferenceConfig",
        "toolConfig",
        "additionalModelRequestFields",
        "outputConfig",
        "requestMetadata",
    }
)


def _decode_request(body: Mapping[str, Any]) -> ir.Request:
    request = ir.Request(model=_string(body.get("modelId"), "modelId"), source=NAME)
    notes: JSONObject = {}
    request.extra = _extras(body, _MODELLED_KEYS)
    if "system" in body:
        request.messages.append(_decode_system(body["system"]))
    for i, value in enumerate(_array(body.get("messages", []), "messages")):
        message = _object(value, f"messages[{i}]")
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise ProtocolError(f"messages[{i}].role: expected 'user' or 'assistant', got {role!r}")
        if set(message) - {"role", "content"}:
            raise ProtocolError(f"messages[{i}]: unexpected keys {sorted(set(message) - {'role', 'content'})}")
        request.messages.extend(_decode_turn(role, message.get("content"), f"messages[{i}].content"))
    if "messages" not in body:
        notes["no_messages"] = True
    if "inferenceConfig" in body:
        _decode_inference_config(body["inferenceConfig"], request.settings, notes)
    if "toolConfig" in body:
        _decode_tool_config(body["toolConfig"], request, notes)
    if "additionalModelRequestFields" in body:
        _decode_model_fields(body["additionalModelRequestFields"], request)
    if "outputConfig" in body:
        _decode_output_config(body["outputConfig"], request, notes)
    if "requestMetadata" in body:
        _decode_request_metadata(body["requestMetadata"], request)
    if notes:
        request.provider_details = {NAME: notes}
    return request


def _has_tool_history(messages: list[ir.Message]) -> bool:
    return any(isinstance(part, (ir.ToolCallPart, ir.ToolResultPart)) for m in messages for part in m.parts)


_METADATA_TEXT: Final = re.compile(r"[a-zA-Z0-9\s:_@$#=/+,\-.]{0,256}")


def _valid_request_metadata(metadata: Mapping[str, Any]) -> bool:
    """Bedrock's limits: 1 to 16 string pairs in a restricted character set."""
    allowed = _METADATA_TEXT
    return 0 < len(metadata) <= 16 and all(
        key and isinstance(value, str) and allowed.fullmatch(key) and allowed.fullmatch(value)
        for key, value in metadata.items()
    )


class _RequestEncoder:
    """One ``encode_request`` call: IR request -> Converse kwargs plus the adaptations made."""

    def __init__(self, request: ir.Request, *, model: str) -> None:
        self.request = request
        self.model = model
        self.same_source = request.source == NAME
        self.anthropic_model = _ANTHROPIC_MODEL in model
        self.notes = _own_details(request.provider_details) if self.same_source else {}
        self.adaptations: list[ir.Adaptation] = []
        self.blocks = _BlockEncoder(self.adaptations, same_source=self.same_source)
        self.model_fields: JSONObject = {}  # additionalModelRequestFields being built

    def adapt(self, param: str, action: Literal["dropped", "adapted"], reason: str) -> None:
        self.adaptations.append(ir.Adaptation(param, action, reason))

    def encode(self) -> tuple[JSONObject, list[ir.Adaptation]]:
        body: JSONObject = {"modelId": self.model}
        self._messages(body)
        self._inference_config(body)
        self._tools(body)
        self._model_specific_settings()
        self._other_settings(body)
        self._response_format(body)
        self._extra(body)
        return body, self.adaptations

    # -- conversation --------------------------------------------------------------------------------------

    def _messages(self, body: JSONObject) -> None:
        system_blocks: list[JSONObject] = []
        has_system = False
        wire: list[JSONObject] = []
        for i, message in enumerate(self.request.messages):
            path = f"messages[{i}]"
            if message.name is not None:
                self.adapt(f"{path}.name", "dropped", "Bedrock messages have no name")
            if message.role in ("system", "developer"):
                if wire:
                    self.adapt("system", "adapted", f"{path} moved into the top-level system prompt")
                has_system = True
                system_blocks.extend(self._system_blocks(message, path))
            else:
                self._add_turn(wire, message, path)
        if system_blocks or (has_system and self.same_source):
            body["system"] = system_blocks
        if wire or not self.notes.get("no_messages"):
            body["messages"] = wire

    def _system_blocks(self, message: ir.Message, path: str) -> list[JSONObject]:
        blocks: list[JSONObject] = []
        for j, part in enumerate(message.parts):
            if isinstance(part, ir.TextPart):
                if part.text or self.same_source:  # system text must not be empty
                    blocks.append({"text": part.text})
            else:
                self.adapt(f"{path}.parts[{j}]", "dropped", "Bedrock system prompts hold text only")
        opaque = cast("list[Any]", _own_details(message.provider_details).get(_OPAQUE_BLOCKS, []))
        for entry in opaque if self.same_source else []:
            position, block = cast("list[Any]", entry)
            blocks.insert(min(int(position), len(blocks)), cast("JSONObject", block))
        return blocks

    def _add_turn(self, wire: list[JSONObject], message: ir.Message, path: str) -> None:
        details = _own_details(message.provider_details)
        opaque = details.get(_OPAQUE_BLOCKS) if self.same_source else None
        blocks = self.blocks.blocks(message.parts, path, opaque)
        role = "assistant" if message.role == "assistant" else "user"
        previous = wire[-1] if wire else None
        if self.same_source:
            if details.get(_SAME_TURN) and previous is not None and previous["role"] == role:
                previous["content"].extend(blocks)
            else:
                wire.append({"role": role, "content": blocks})
            return
        # From another protocol: merge same-role turns, tool results first in a user turn (one turn answers
        # every call of the assistant turn before it).
        if not blocks:
            return
        if previous is None or previous["role"] != role:
            wire.append({"role": role, "content": []})
        content = cast("list[JSONObject]", wire[-1]["content"])
        for block in blocks:
            if "toolResult" in block:
                leading_results = next((k for k, b in enumerate(content) if "toolResult" not in b), len(content))
                content.insert(leading_results, block)
            else:
                content.append(block)

    # -- settings ------------------------------------------------------------------------------------------

    def _inference_config(self, body: JSONObject) -> None:
        settings = self.request.settings
        config: JSONObject = dict(cast("JSONObject", self.notes.get("inferenceConfig", {})))
        if ir.is_set(settings.max_tokens):
            config["maxTokens"] = settings.max_tokens
        if ir.is_set(settings.temperature):
            temperature = settings.temperature
            if temperature > 1 and not self.same_source:
                temperature = 1.0
                self.adapt("temperature", "adapted", f"Bedrock accepts 0 to 1; {settings.temperature} sent as 1")
            config["temperature"] = temperature
        if ir.is_set(settings.top_p):
            config["topP"] = settings.top_p
        if ir.is_set(settings.stop):
            config["stopSequences"] = list(settings.stop)
        if config or "inferenceConfig" in self.notes:
            body["inferenceConfig"] = config

    def _model_specific_settings(self) -> None:
        """top_k and the thinking budget go in ``additionalModelRequestFields``, in Anthropic's spelling."""
        settings = self.request.settings
        if ir.is_set(settings.top_k):
            if self.same_source:
                self.model_fields["top_k"] = settings.top_k
            elif self.anthropic_model:
                self.model_fields["top_k"] = settings.top_k
                self.adapt("top_k", "adapted", "sent as additionalModelRequestFields.top_k")
            else:
                self.adapt("top_k", "dropped", "Converse has no top_k for this model")
        budget = settings.reasoning_budget
        if not ir.is_set(budget):
            return
        if self.same_source:
            self.model_fields["thinking"] = {"type": "enabled", "budget_tokens": budget}
        elif not self.anthropic_model:
            self.adapt("reasoning_budget", "dropped", "Converse has no thinking budget for this model")
        elif budget < 0:
            self.adapt("reasoning_budget", "dropped", "Claude has no dynamic thinking budget")
        elif budget > 0:
            self.model_fields["thinking"] = {"type": "enabled", "budget_tokens": budget}
            self.adapt("reasoning_budget", "adapted", "sent as additionalModelRequestFields.thinking")
        # 0 means "no thinking", Claude's default: nothing to send

    def _other_settings(self, body: JSONObject) -> None:
        settings = self.request.settings
        if ir.is_set(settings.n) and settings.n > 1:
            raise UnsupportedFeature(f"n={settings.n}: Bedrock Converse returns one choice")
        for name, no_ops, reason in _UNSUPPORTED_SETTINGS:
            value = getattr(settings, name)
            if ir.is_set(value) and value not in no_ops:
                self.adapt(name, "dropped", reason)
        metadata = settings.metadata
        if not ir.is_set(metadata):
            return
        if self.same_source:
            body["requestMetadata"] = metadata
        elif _valid_request_metadata(metadata):
            body["requestMetadata"] = dict(metadata)
            self.adapt("metadata", "adapted", "sent as requestMetadata")
        else:
            self.adapt("metadata", "dropped", "requestMetadata takes 1 to 16 plain string pairs")

    # -- tools ---------------------------------------------------------------------------------------------

    def _tools(self, body: JSONObject) -> None:
        tools: list[JSONObject] = [
            {"toolSpec": self._tool(tool, f"tools[{k}]")} for k, tool in enumerate(self.request.tools)
        ]
        for entry in cast("list[Any]", self.notes.get("opaque_tools", [])):
            position, tool = cast("list[Any]", entry)
            tools.insert(min(int(position), len(tools)), cast("JSONObject", tool))
        choice = self._tool_choice(tools)
        if not tools:
            return
        config: JSONObject = {"tools": tools}
        if choice is not None:
            config["toolChoice"] = choice
        body["toolConfig"] = {**config, **cast("JSONObject", self.notes.get("toolConfig", {}))}

    def _tool(self, tool: ir.Tool, path: str) -> JSONObject:
        _check_tool_name(tool.name, f"{path}.name")
        spec: JSONObject = {"name": tool.name}
        if tool.description:
            spec["description"] = tool.description
        parameters: JSONObject = {"type": "object", "properties": {}} if tool.parameters is None else tool.parameters
        spec["inputSchema"] = {"json": parameters}
        if tool.strict is not None:
            spec["strict"] = tool.strict
        return {**spec, **_wire_extras(tool.provider_details)}

    def _tool_choice(self, tools: list[JSONObject]) -> JSONObject | None:
        """The wire toolChoice; for ``none`` (which Converse cannot say) it may also empty ``tools``."""
        choice = self.request.tool_choice
        if not ir.is_set(choice):
            return None
        if choice == "none":
            if tools and not _has_tool_history(self.request.messages):
                tools.clear()
                self.adapt("tool_choice", "adapted", "Bedrock has no 'none'; the tools were not sent")
            elif tools:
                self.adapt("tool_choice", "dropped", "Bedrock has no 'none' and the history needs the tools")
            return None
        wire: JSONObject
        if isinstance(choice, ir.NamedToolChoice):
            _check_tool_name(choice.name, "tool_choice.name")
            wire = {"tool": {"name": choice.name}}
        else:
            wire = {"auto": {}} if choice == "auto" else {"any": {}}
        if not tools:
            if choice != "auto":
                self.adapt("tool_choice", "dropped", "no tools were given")
            return None
        return wire

    # -- structured output ---------------------------------------------------------------------------------

    def _response_format(self, body: JSONObject) -> None:
        response_format = self.request.response_format
        if not ir.is_set(response_format) or response_format.type == "text":
            return
        if response_format.type == "json_object":
            self.adapt("response_format", "dropped", "Bedrock has no JSON mode; use json_schema")
            return
        schema = response_format.schema if response_format.schema is not None else {"type": "object"}
        text = self.notes.get("schema_text")
        if not (isinstance(text, str) and _parses_to(text, schema)):
            text = _compact_json(schema)
        definition: JSONObject = {"schema": text}
        if response_format.name is not None:
            definition["name"] = response_format.name
        if response_format.description is not None:
            definition["description"] = response_format.description
        if response_format.strict:
            self.adapt("response_format.strict", "dropped", "Bedrock output schemas have no strict switch")
        body["outputConfig"] = {"textFormat": {"type": "json_schema", "structure": {"jsonSchema": definition}}}

    # -- unmodelled parameters -----------------------------------------------------------------------------

    def _extra(self, body: JSONObject) -> None:
        fields = dict(self.model_fields)
        sent_fields = bool(fields)
        for key, value in self.request.extra.items():
            if not self.same_source:
                source = self.request.source or "the caller"
                self.adapt(key, "dropped", f"{source} parameter not supported by Bedrock Converse")
            elif key == "additionalModelRequestFields" and isinstance(value, dict):
                fields = {**cast("JSONObject", value), **fields}
                sent_fields = True
            else:
                body.setdefault(key, value)
        if sent_fields:
            body["additionalModelRequestFields"] = fields


def _parses_to(text: str, value: object) -> bool:
    try:
        return bool(json.loads(text) == value)
    except ValueError:
        return False


# --------------------------------------------------------------------------------------------------------------
# Responses


def _usage_from_wire(usage: Mapping[str, Any]) -> ir.Usage:
    cache_read = _count(usage.get("cacheReadInputTokens"))
    cache_write = _count(usage.get("cacheWriteInputTokens"))
    # Bedrock reports cached tokens apart from inputTokens; the IR's input total includes them.
    return ir.Usage(
        input_tokens=_count(usage.get("inputTokens")) + cache_read + cache_write,
        output_tokens=_count(usage.get("outputTokens")),
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
    )


def _usage_to_wire(usage: ir.Usage | None, extras: Mapping[str, Any] | None = None) -> JSONObject:
    usage = usage or ir.Usage()
    wire: JSONObject = {
        "inputTokens": max(0, usage.input_tokens - usage.cache_read_tokens - usage.cache_write_tokens),
        "outputTokens": usage.output_tokens,
        "totalTokens": usage.input_tokens + usage.output_tokens,
    }
    if usage.cache_read_tokens:
        wire["cacheReadInputTokens"] = usage.cache_read_tokens
    if usage.cache_write_tokens:
        wire["cacheWriteInputTokens"] = usage.cache_write_tokens
    for key, value in (extras or {}).items():
        if key == "totalTokens":
            wire[key] = value  # the vendor's own total, when it was not input + output
        else:
            wire.setdefault(key, value)  # cache counts sent as 0 come back only while they are still 0
    return wire


def _usage_extras(usage: Mapping[str, Any]) -> JSONObject:
    """What a re-encoding would not reproduce: unmodelled keys, zero cache counts, an unexpected total."""
    modelled = frozenset(
        {"inputTokens", "outputTokens", "totalTokens", "cacheReadInputTokens", "cacheWriteInputTokens"}
    )
    extras = _extras(usage, modelled)
    for key in ("cacheReadInputTokens", "cacheWriteInputTokens"):
        if key in usage and not usage[key]:
            extras[key] = usage[key]
    if "totalTokens" in usage and usage["totalTokens"] != _usage_to_wire(_usage_from_wire(usage))["totalTokens"]:
        extras["totalTokens"] = usage["totalTokens"]
    return extras


def _finish_details(wire: str, reason: ir.FinishReason) -> JSONObject:
    """The wire stop reason, kept when the IR reason would encode back to another one."""
    return {} if _FINISH_TO_WIRE[reason] == wire else {"stopReason": wire}


def _stop_reason(reason: ir.FinishReason, details: Mapping[str, Any]) -> str:
    kept = details.get("stopReason")
    if isinstance(kept, str) and _STOP_REASON_TO_IR.get(kept, "other") == reason:
        return kept
    return _FINISH_TO_WIRE[reason]


_RESPONSE_KEYS: Final = frozenset({"output", "stopReason", "usage", "ResponseMetadata"})


def _decode_response(data: Mapping[str, Any]) -> ir.Response:
    output = _object(data.get("output"), "output")
    message = _object(output.get("message"), "output.message")
    if message.get("role") != "assistant":
        raise ProtocolError(f"output.message.role: expected 'assistant', got {message.get('role')!r}")
    turn = _TurnBuilder("assistant", same_turn=False)
    for j, value in enumerate(_array(message.get("content"), "output.message.content")):
        path = f"output.message.content[{j}]"
        turn.add(_object(value, path), path)
    finish: ir.FinishReason | None = None
    choice_details: JSONObject = {}
    if data.get("stopReason") is not None:
        wire_reason = _string(data["stopReason"], "stopReason")
        finish = _STOP_REASON_TO_IR.get(wire_reason, "other")
        choice_details = _finish_details(wire_reason, finish)
    extras = _extras(data, _RESPONSE_KEYS)
    usage: ir.Usage | None = None
    if data.get("usage") is not None:
        wire_usage = _object(data["usage"], "usage")
        usage = _usage_from_wire(wire_usage)
        usage_extras = _usage_extras(wire_usage)
        if usage_extras:
            extras["usage"] = usage_extras
    metadata = data.get("ResponseMetadata")
    request_id = cast("Mapping[str, Any]", metadata).get("RequestId") if isinstance(metadata, Mapping) else None
    if not isinstance(request_id, str) or not request_id:
        request_id = _new_id()
        extras["generated_id"] = True
    choice = ir.Choice(turn.build(), finish_reason=finish, provider_details=_details_dict(choice_details))
    return ir.Response(id=request_id, model="", choices=[choice], usage=usage, provider_details=_details_dict(extras))


def _encode_response(response: ir.Response) -> JSONObject:
    extras = _own_details(response.provider_details)
    generated_id = extras.pop("generated_id", False)
    usage = _usage_to_wire(response.usage, cast("JSONObject", extras.pop("usage", {})))
    choice = response.choices[0] if response.choices else None
    blocks: list[JSONObject] = []
    stop_reason = "end_turn"
    if choice is not None:
        encoder = _BlockEncoder([], same_source=True)
        opaque = _own_details(choice.message.provider_details).get(_OPAQUE_BLOCKS)
        blocks = encoder.blocks(choice.message.parts, "content", opaque)
        if choice.finish_reason is not None:
            stop_reason = _stop_reason(choice.finish_reason, _own_details(choice.provider_details))
    wire: JSONObject = {
        "output": {"message": {"role": "assistant", "content": blocks}},
        "stopReason": stop_reason,
        "usage": usage,
        "metrics": {"latencyMs": 0},  # required by the shape; the IR has no latency
        **extras,
    }
    if not generated_id:
        wire["ResponseMetadata"] = {"RequestId": response.id}
    return wire


# --------------------------------------------------------------------------------------------------------------
# Errors

_ERROR_CODES: Final[dict[str, tuple[type[ProviderError], int]]] = {
    "ThrottlingException": (RateLimited, 429),
    "ValidationException": (BadRequest, 400),
    "AccessDeniedException": (PermissionDenied, 403),
    "UnrecognizedClientException": (AuthenticationError, 403),
    "ExpiredTokenException": (AuthenticationError, 403),
    "ResourceNotFoundException": (NotFound, 404),
    "ModelTimeoutException": (Timeout, 408),
    "ServiceUnavailableException": (Overloaded, 503),
    "InternalServerException": (ServerError, 500),
    "ModelStreamErrorException": (ServerError, 424),
    "ModelErrorException": (ServerError, 424),
    "ModelNotReadyException": (ServerError, 429),
}
_CONTEXT_LENGTH: Final = re.compile(
    r"input length|too long|context (window|length|limit)|token limit|too many (input )?tokens", re.IGNORECASE
)


def _class_for_status(status: int | None) -> type[ProviderError]:
    by_status: dict[int, type[ProviderError]] = {
        400: BadRequest,
        401: AuthenticationError,
        403: PermissionDenied,
        404: NotFound,
        408: Timeout,
        429: RateLimited,
        503: Overloaded,
    }
    if status is None:
        return ProviderError
    return by_status.get(status, ServerError if status >= 500 else BadRequest)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = {key.lower(): item for key, item in headers.items()}.get("retry-after")
    try:
        return None if value is None else max(0.0, float(value))
    except ValueError:
        return None


def error_from_code(
    code: str, message: str, status: int | None, headers: Mapping[str, str] | None = None, *, body: object = None
) -> ProviderError:
    """The routeapi error for a Bedrock error code: botocore's ``Error.Code`` (``ThrottlingException``), an
    ``x-amzn-ErrorType`` value (``ThrottlingException:http://...``) or a stream exception event name
    (``throttlingException``). ``status`` None takes the code's documented HTTP status."""
    headers = headers or {}
    name = code.split(":", 1)[0].rsplit("#", 1)[-1]
    name = name[:1].upper() + name[1:]
    known = _ERROR_CODES.get(name)
    cls = known[0] if known else _class_for_status(status)
    if cls is ServerError and status in (503, 529):
        cls = Overloaded  # "unavailable" and "overloaded" mean the same to a router: try later or elsewhere
    if status is None and known:
        status = known[1]
    if cls is BadRequest and _CONTEXT_LENGTH.search(message):
        cls = ContextLengthExceeded
    lowered = {key.lower(): value for key, value in headers.items()}
    common: dict[str, Any] = {
        "status_code": status,
        "headers": headers,
        "body": body,
        "code": name or None,
        "upstream_request_id": lowered.get("x-amzn-requestid"),
    }
    text = message or name or "Bedrock returned an error"
    if cls is RateLimited:
        return RateLimited(text, retry_after=_retry_after(headers), **common)
    return cls(text, **common)


# --------------------------------------------------------------------------------------------------------------
# Streaming: boto3 event dicts -> IR events


@dataclass
class _OpenPart:
    index: int  # IR part index
    kind: Literal["text", "tool", "thinking"]


class BedrockStreamDecoder:
    """ConverseStream events (as boto3 yields them) -> IR stream events.

    Text and reasoning blocks have no start event: their first delta starts the part. IR part indexes count the
    parts in order of appearance (blocks the IR cannot hold, such as streamed images, are skipped). The stream is
    complete once ``messageStop`` and ``metadata`` both arrived; ``metadata`` carries the usage."""

    def __init__(self) -> None:
        self._open: dict[int, _OpenPart] = {}  # wire block index -> open part
        self._skipped: set[int] = set()
        self._next_part = 0
        self._stopped = False
        self._has_metadata = False
        self._done = False

    def feed(self, item: Mapping[str, Any]) -> list[ir.StreamEvent]:
        kind, payload = _member(_object(item, "event"), "event")
        if kind.endswith("Exception"):
            raise _stream_exception(kind, payload)
        if self._done:
            return []
        if kind == "messageStart":
            return [ir.MessageStart(id=_new_id(), model="")]
        if kind == "contentBlockStart":
            return self._block_start(_object(payload, kind))
        if kind == "contentBlockDelta":
            return self._block_delta(_object(payload, kind))
        if kind == "contentBlockStop":
            return self._block_stop(_object(payload, kind))
        if kind == "messageStop":
            return self._message_stop(_object(payload, kind))
        if kind == "metadata":
            return self._metadata(_object(payload, kind))
        return []  # event types added later

    def end(self) -> list[ir.StreamEvent]:
        if self._done:
            return []
        if not self._stopped:
            raise StreamInterrupted("the Bedrock stream ended without messageStop")
        self._done = True
        return [ir.StreamEnd()]  # no metadata event: the usage stays unknown

    def _start(self, wire_index: int, part: ir.TextPart | ir.ToolCallPart | ir.ThinkingPart) -> ir.PartStart:
        kind: Literal["text", "tool", "thinking"] = (
            "text" if isinstance(part, ir.TextPart) else "tool" if isinstance(part, ir.ToolCallPart) else "thinking"
        )
        self._open[wire_index] = _OpenPart(self._next_part, kind)
        self._next_part += 1
        return ir.PartStart(self._open[wire_index].index, part)

    def _block_start(self, event: JSONObject) -> list[ir.StreamEvent]:
        index = _integer(event.get("contentBlockIndex"), "contentBlockStart.contentBlockIndex")
        kind, start = _member(_object(event.get("start"), "contentBlockStart.start"), "contentBlockStart.start")
        if kind != "toolUse":
            self._skipped.add(index)  # tool results and images have no IR stream part
            return []
        tool = _object(start, "contentBlockStart.start.toolUse")
        details = _extras(tool, frozenset({"toolUseId", "name"}))
        part = ir.ToolCallPart(
            id=_string(tool.get("toolUseId"), "contentBlockStart.start.toolUse.toolUseId"),
            name=_string(tool.get("name"), "contentBlockStart.start.toolUse.name"),
            provider_details=_details_dict(details),
        )
        return [self._start(index, part)]

    def _block_delta(self, event: JSONObject) -> list[ir.StreamEvent]:
        index = _integer(event.get("contentBlockIndex"), "contentBlockDelta.contentBlockIndex")
        if index in self._skipped:
            return []
        delta = _object(event.get("delta"), "contentBlockDelta.delta")
        kind, value = _member(delta, "contentBlockDelta.delta")
        path = f"contentBlockDelta.delta.{kind}"
        if kind == "text":
            events = self._ensure_open(index, "text", ir.TextPart(""))
            return [*events, ir.TextDelta(self._open[index].index, _string(value, path))]
        if kind == "toolUse":
            open_part = self._open.get(index)
            if open_part is None or open_part.kind != "tool":
                raise ProtocolError(f"{path}: block {index} is not a started tool call")
            fragment = _string(_object(value, path).get("input"), f"{path}.input")
            return [ir.ToolArgumentsDelta(open_part.index, fragment)] if fragment else []
        if kind == "reasoningContent":
            return self._reasoning_delta(index, _object(value, path), path)
        return []  # citations and later delta kinds have no IR event

    def _reasoning_delta(self, index: int, delta: JSONObject, path: str) -> list[ir.StreamEvent]:
        kind, value = _member(delta, path)
        if kind == "redactedContent":
            redacted = base64.b64encode(_blob(value, f"{path}.redactedContent")).decode("ascii")
            if index in self._open:
                raise ProtocolError(f"{path}.redactedContent: block {index} already holds reasoning")
            return [self._start(index, ir.ThinkingPart(redacted=redacted))]
        events = self._ensure_open(index, "thinking", ir.ThinkingPart())
        part_index = self._open[index].index
        if kind == "text":
            return [*events, ir.ThinkingDelta(part_index, text=_string(value, f"{path}.text"))]
        if kind == "signature":
            return [*events, ir.ThinkingDelta(part_index, signature=_string(value, f"{path}.signature"))]
        return events

    def _ensure_open(
        self, index: int, kind: Literal["text", "thinking"], part: ir.TextPart | ir.ThinkingPart
    ) -> list[ir.StreamEvent]:
        open_part = self._open.get(index)
        if open_part is None:
            return [self._start(index, part)]
        if open_part.kind != kind:
            raise ProtocolError(f"contentBlockDelta: block {index} is a {open_part.kind} block, not {kind}")
        return []

    def _block_stop(self, event: JSONObject) -> list[ir.StreamEvent]:
        index = _integer(event.get("contentBlockIndex"), "contentBlockStop.contentBlockIndex")
        open_part = self._open.pop(index, None)
        return [] if open_part is None else [ir.PartEnd(open_part.index)]  # a block with no delta made no part

    def _message_stop(self, event: JSONObject) -> list[ir.StreamEvent]:
        events: list[ir.StreamEvent] = [ir.PartEnd(p.index) for p in sorted(self._open.values(), key=lambda p: p.index)]
        self._open.clear()
        wire_reason = _string(event.get("stopReason"), "messageStop.stopReason")
        reason = _STOP_REASON_TO_IR.get(wire_reason, "other")
        details = {**_finish_details(wire_reason, reason), **_extras(event, frozenset({"stopReason"}))}
        events.append(ir.Finish(reason, provider_details=_details_dict(details)))
        self._stopped = True
        return events + self._complete()

    def _metadata(self, event: JSONObject) -> list[ir.StreamEvent]:
        events: list[ir.StreamEvent] = []
        if event.get("usage") is not None:
            events.append(ir.UsageUpdate(_usage_from_wire(_object(event["usage"], "metadata.usage"))))
        self._has_metadata = True
        return events + self._complete()

    def _complete(self) -> list[ir.StreamEvent]:
        if self._stopped and self._has_metadata:
            self._done = True
            return [ir.StreamEnd()]
        return []


def _stream_exception(kind: str, payload: object) -> ProviderError:
    body = dict(cast("Mapping[str, Any]", payload)) if isinstance(payload, Mapping) else {}
    message = body.get("message")
    return error_from_code(kind, message if isinstance(message, str) else "", None, {}, body=body)


# --------------------------------------------------------------------------------------------------------------
# Streaming: IR events -> boto3 event dicts


@dataclass
class _WireBlock:
    index: int  # contentBlockIndex
    kind: Literal["text", "tool", "thinking", "redacted"]
    has_delta: bool = False


class BedrockStreamEncoder:
    """IR stream events -> ConverseStream events in boto3's yielded shape (``{"contentBlockDelta": {...}}``).

    Block indexes count parts in start order. A text or reasoning part that ends without any delta gets an empty
    one, so a reader still sees the block. ``metadata`` (usage) is sent on ``StreamEnd``, after ``messageStop``;
    latency is unknown and sent as 0. Only choice 0 is encoded."""

    def __init__(self) -> None:
        self._blocks: dict[int, _WireBlock] = {}  # IR part index -> open block
        self._next_index = 0
        self._usage: ir.Usage | None = None
        self._stopped = False
        self._done = False

    def encode(self, event: ir.StreamEvent) -> list[JSONObject]:
        if self._done or getattr(event, "choice", 0) != 0:
            return []
        if isinstance(event, ir.MessageStart):
            return [{"messageStart": {"role": "assistant"}}]
        if isinstance(event, ir.PartStart):
            return self._part_start(event)
        if isinstance(event, ir.TextDelta):
            return self._delta(event.index, "text", {"text": event.text}, bool(event.text))
        if isinstance(event, ir.ToolArgumentsDelta):
            return self._delta(event.index, "tool", {"toolUse": {"input": event.arguments}}, bool(event.arguments))
        if isinstance(event, ir.ThinkingDelta):
            return self._thinking_delta(event)
        if isinstance(event, ir.PartEnd):
            return self._part_end(event.index)
        if isinstance(event, ir.UsageUpdate):
            self._usage = event.usage
            return []
        if isinstance(event, ir.Finish):
            return self._finish(event)
        out = [] if self._stopped else self._finish(ir.Finish("stop"))
        self._done = True
        return [*out, {"metadata": {"usage": _usage_to_wire(self._usage), "metrics": {"latencyMs": 0}}}]

    def _part_start(self, event: ir.PartStart) -> list[JSONObject]:
        part = event.part
        block = _WireBlock(self._next_index, "text")
        self._next_index += 1
        self._blocks[event.index] = block
        if isinstance(part, ir.TextPart):
            return self._delta(event.index, "text", {"text": part.text}, bool(part.text))
        if isinstance(part, ir.ToolCallPart):
            block.kind = "tool"
            tool: JSONObject = {"toolUseId": part.id, "name": part.name, **_wire_extras(part.provider_details)}
            start = {"contentBlockStart": {"contentBlockIndex": block.index, "start": {"toolUse": tool}}}
            fragment = {"toolUse": {"input": part.arguments}}
            return [start, *self._delta(event.index, "tool", fragment, bool(part.arguments))]
        if part.redacted is not None:
            block.kind = "redacted"
            redacted = {"reasoningContent": {"redactedContent": _redacted_bytes(part.redacted)}}
            return self._delta(event.index, "redacted", redacted, True)
        block.kind = "thinking"
        return self._thinking_delta(ir.ThinkingDelta(event.index, part.text, part.signature))

    def _thinking_delta(self, event: ir.ThinkingDelta) -> list[JSONObject]:
        out = self._delta(event.index, "thinking", {"reasoningContent": {"text": event.text}}, bool(event.text))
        if event.signature:
            out += self._delta(event.index, "thinking", {"reasoningContent": {"signature": event.signature}}, True)
        return out

    def _delta(self, part_index: int, kind: str, delta: JSONObject, send: bool) -> list[JSONObject]:
        block = self._blocks.get(part_index)
        if block is None:
            raise ProtocolError(f"stream delta for part {part_index}, which is not open")
        if block.kind != kind:
            raise ProtocolError(f"a {kind} delta does not fit the {block.kind} part {part_index}")
        if not send:
            return []
        block.has_delta = True
        return [{"contentBlockDelta": {"contentBlockIndex": block.index, "delta": delta}}]

    def _part_end(self, part_index: int) -> list[JSONObject]:
        block = self._blocks.pop(part_index, None)
        if block is None:
            return []  # already closed (a Finish closes open parts) or never opened
        out: list[JSONObject] = []
        if not block.has_delta and block.kind in ("text", "thinking"):
            empty: JSONObject = {"text": ""} if block.kind == "text" else {"reasoningContent": {"text": ""}}
            out.append({"contentBlockDelta": {"contentBlockIndex": block.index, "delta": empty}})
        out.append({"contentBlockStop": {"contentBlockIndex": block.index}})
        return out

    def _finish(self, event: ir.Finish) -> list[JSONObject]:
        out: list[JSONObject] = []
        for part_index in sorted(self._blocks, key=lambda k: self._blocks[k].index):
            out += self._part_end(part_index)
        details = _own_details(event.provider_details)
        stop: JSONObject = {"stopReason": _stop_reason(event.reason, details)}
        stop.update(_extras(details, frozenset({"stopReason"})))
        self._stopped = True
        return [*out, {"messageStop": stop}]


# --------------------------------------------------------------------------------------------------------------
# The codec


class BedrockConverseCodec:
    """Bedrock Converse, both directions (see the module docstring for what survives a round trip)."""

    name = NAME

    def decode_request(self, body: Mapping[str, Any]) -> ir.Request:
        """``converse`` kwargs -> IR."""
        return _decode_request(body)

    def encode_request(self, request: ir.Request, *, model: str) -> tuple[JSONObject, list[ir.Adaptation]]:
        """IR -> ``converse`` / ``converse_stream`` kwargs (``modelId`` included; ``request.stream`` picks the
        operation, not a body key)."""
        return _RequestEncoder(request, model=model).encode()

    def decode_response(self, data: Mapping[str, Any]) -> ir.Response:
        """A ``converse`` result -> IR. ``model`` is left empty: the response does not name it."""
        if not isinstance(data, Mapping):  # pyright: ignore[reportUnnecessaryIsInstance] - upstream sent null or a list
            raise ProtocolError(f"the upstream response is not a JSON object but {type(data).__name__}")
        return _decode_response(data)

    def encode_response(self, response: ir.Response) -> JSONObject:
        return _encode_response(response)
