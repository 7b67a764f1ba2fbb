"""Google Gemini ``generateContent`` (Developer API) wire format <-> IR: requests, responses, streams, errors and
embeddings.

What this codec absorbs:

- The model is part of the URL path, never of the body: ``decode_request`` takes it as an argument and
  ``encode_request`` leaves it out.
- Proto3 JSON accepts camelCase and snake_case field names (and the SDKs send both). Decoding renames the structural
  keys to camelCase once, leaving user JSON (JSON schemas, function arguments and responses) untouched; encoding
  always emits camelCase.
- Function calls usually carry no id: ids are synthesised as ``call_<name>_<n>`` and function responses are paired
  with their call by id, else by name and order.
- What a same-protocol round trip needs but the IR does not model is kept in ``provider_details["gemini"]`` (thought
  signatures, the Gemini-flavoured schemas a caller sent, a function response's exact object...).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Mapping, Sequence
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

__all__ = [
    "GeminiCodec",
    "GeminiStreamDecoder",
    "GeminiStreamEncoder",
    "decode_embed_request",
    "decode_embed_response",
    "encode_embed_request",
    "error_from_body",
    "gemini_schema_to_json_schema",
    "json_schema_to_gemini_schema",
    "prompt_block",
]

NAME = "gemini"

JSONObject: TypeAlias = dict[str, Any]

# --------------------------------------------------------------------------------------------------------------------
# Small JSON access helpers: every malformed field raises ProtocolError naming it.


def _obj(value: object, where: str) -> JSONObject:
    if not isinstance(value, dict):
        raise ProtocolError(f"{where} must be an object")
    return cast("JSONObject", value)


def _list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ProtocolError(f"{where} must be a list")
    return cast("list[Any]", value)


def _str(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ProtocolError(f"{where} must be a string")
    return value


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProtocolError(f"{where} must be a number")
    return value  # kept as given (int or float) so a round trip does not turn 1 into 1.0


def _int(value: object, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):  # proto3 JSON writes int64 as a string
        return int(value)
    raise ProtocolError(f"{where} must be an integer")


def _bool(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise ProtocolError(f"{where} must be a boolean")
    return value


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _gemini(details: Mapping[str, Any] | None) -> JSONObject:
    """This codec's entry of a ``provider_details`` dict (empty when absent)."""
    entry = (details or {}).get(NAME)
    return cast("JSONObject", entry) if isinstance(entry, dict) else {}


def _details(entry: JSONObject) -> dict[str, Any] | None:
    return {NAME: entry} if entry else None


def _merge(base: JSONObject, overlay: Mapping[str, Any]) -> JSONObject:
    """Deep-merge ``overlay`` into ``base`` (objects merge, anything else replaces)."""
    for key, value in overlay.items():
        current = base.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            _merge(cast("JSONObject", current), cast("JSONObject", value))
        else:
            base[key] = value
    return base


# --------------------------------------------------------------------------------------------------------------------
# Key normalisation. A spec names, per structural object, the keys whose values are structural too; the keys of every
# structural object are camelCased, values of keys outside the spec are kept verbatim (user JSON lives there).

_SCHEMA = "gemini-schema"
_Spec: TypeAlias = Union["dict[str, _Spec]", str]

_BLOB: _Spec = {}
_PART: _Spec = {
    "inlineData": _BLOB,
    "fileData": _BLOB,
    "functionCall": {},  # args stays verbatim
    "functionResponse": {"parts": {"inlineData": _BLOB, "fileData": _BLOB}},  # response stays verbatim
    "executableCode": {},
    "codeExecutionResult": {},
    "videoMetadata": {},
}
_CONTENT: _Spec = {"parts": _PART}
_TOOL: _Spec = {
    "functionDeclarations": {"parameters": _SCHEMA, "response": _SCHEMA},  # the *JsonSchema forms stay verbatim
    "googleSearch": {},
    "googleSearchRetrieval": {"dynamicRetrievalConfig": {}},
    "codeExecution": {},
    "urlContext": {},
}
_REQUEST: _Spec = {
    "contents": _CONTENT,
    "systemInstruction": _CONTENT,
    "tools": _TOOL,
    "toolConfig": {"functionCallingConfig": {}, "retrievalConfig": {}},
    "safetySettings": {},
    "generationConfig": {"thinkingConfig": {}, "responseSchema": _SCHEMA, "imageConfig": {}},
}
_USAGE: _Spec = {
    "promptTokensDetails": {},
    "candidatesTokensDetails": {},
    "cacheTokensDetails": {},
    "toolUsePromptTokensDetails": {},
}
_RESPONSE: _Spec = {
    "candidates": {"content": _CONTENT, "safetyRatings": {}, "citationMetadata": {"citations": {}}},
    "usageMetadata": _USAGE,
    "promptFeedback": {"safetyRatings": {}},
    "error": {},
}
_EMBED_REQUEST: _Spec = {"content": _CONTENT, "requests": {"content": _CONTENT}}


def _camel(key: str) -> str:
    if "_" not in key or key.startswith("_"):
        return key
    head, *rest = key.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def _normalise(value: Any, spec: _Spec) -> Any:
    if isinstance(spec, str):
        return _normalise_schema(value)
    if isinstance(value, list):
        return [_normalise(item, spec) for item in cast("list[Any]", value)]
    if not isinstance(value, Mapping):
        return value
    out: JSONObject = {}
    for key, item in cast("Mapping[str, Any]", value).items():
        if item is None:  # SDK ``model_dump()`` output spells absent fields as None
            continue
        name = _camel(key)
        sub = spec.get(name)
        out[name] = item if sub is None else _normalise(item, sub)
    return out


def _normalise_schema(value: Any) -> Any:
    """camelCase a Gemini Schema's keywords, but not the property names it defines."""
    if not isinstance(value, Mapping):
        return value
    out: JSONObject = {}
    for key, item in cast("Mapping[str, Any]", value).items():
        if item is None:
            continue
        name = _camel(key)
        if name in ("properties", "defs") and isinstance(item, Mapping):
            out[name] = {prop: _normalise_schema(sub) for prop, sub in cast("Mapping[str, Any]", item).items()}
        elif name in ("items", "additionalProperties"):
            out[name] = _normalise_schema(item)
        elif name == "anyOf" and isinstance(item, list):
            out[name] = [_normalise_schema(sub) for sub in cast("list[Any]", item)]
        else:
            out[name] = item
    return out


# --------------------------------------------------------------------------------------------------------------------
# Schemas: Gemini's OpenAPI subset (uppercase types, ``nullable``) <-> JSON Schema.

_COUNT_KEYWORDS = ("minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties")
_SHARED_KEYWORDS = ("description", "title", "format", "pattern", "default", "minimum", "maximum", "required", "enum")


def gemini_schema_to_json_schema(schema: Mapping[str, Any]) -> JSONObject:
    """A Gemini ``Schema`` as JSON Schema. ``propertyOrdering`` and the ``enum`` format have no JSON Schema meaning and
    are dropped."""
    return _gemini_to_json(_obj(_normalise_schema(schema), "schema"))


def _gemini_to_json(schema: JSONObject) -> JSONObject:
    out: JSONObject = {}
    for key, value in schema.items():
        if key == "type":
            if isinstance(value, str) and value.upper() != "TYPE_UNSPECIFIED":
                out["type"] = value.lower()
        elif key == "properties" and isinstance(value, dict):
            out["properties"] = {name: _gemini_to_json_any(sub) for name, sub in cast("JSONObject", value).items()}
        elif key in ("items", "additionalProperties"):
            out[key] = _gemini_to_json_any(value)
        elif key == "anyOf" and isinstance(value, list):
            out["anyOf"] = [_gemini_to_json_any(sub) for sub in cast("list[Any]", value)]
        elif key == "defs" and isinstance(value, dict):
            out["$defs"] = {name: _gemini_to_json_any(sub) for name, sub in cast("JSONObject", value).items()}
        elif key == "ref" and isinstance(value, str):
            out["$ref"] = value.replace("#/defs/", "#/$defs/", 1)
        elif key == "example":
            out["examples"] = [value]
        elif key in _COUNT_KEYWORDS:
            out[key] = _int(value, f"schema.{key}")
        elif key == "format" and value == "enum":
            continue
        elif key in _SHARED_KEYWORDS:
            out[key] = value
    if schema.get("nullable") is True:
        _make_nullable(out)
    return out


def _gemini_to_json_any(value: Any) -> Any:
    return _gemini_to_json(cast("JSONObject", value)) if isinstance(value, dict) else value


def _make_nullable(schema: JSONObject) -> None:
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    elif isinstance(schema.get("anyOf"), list):
        schema["anyOf"] = [*schema["anyOf"], {"type": "null"}]
    enum = schema.get("enum")
    if isinstance(enum, list) and None not in enum:
        schema["enum"] = [*cast("list[Any]", enum), None]


def json_schema_to_gemini_schema(schema: Mapping[str, Any]) -> JSONObject:
    """JSON Schema as a Gemini ``Schema``: lowercase types become uppercase, ``null`` unions become ``nullable``,
    ``oneOf`` becomes ``anyOf``, ``const`` a one-value ``enum``; keywords Gemini lacks are dropped."""
    out: JSONObject = {}
    nullable = False
    for key, value in schema.items():
        if key == "type":
            kinds = [value] if isinstance(value, str) else cast("list[Any]", value) if isinstance(value, list) else []
            concrete = [str(kind).upper() for kind in kinds if kind != "null"]
            nullable = nullable or len(concrete) < len(kinds)
            if len(concrete) == 1:
                out["type"] = concrete[0]
            elif concrete:
                out.setdefault("anyOf", []).extend({"type": kind} for kind in concrete)
            elif kinds:
                out["type"] = "NULL"
        elif key in ("anyOf", "oneOf") and isinstance(value, list):
            for branch in cast("list[Any]", value):
                if branch == {"type": "null"}:
                    nullable = True
                else:
                    out.setdefault("anyOf", []).append(_json_to_gemini_any(branch))
        elif key == "const":
            out["enum"] = [value]
        elif key == "enum" and isinstance(value, list):
            values = [item for item in cast("list[Any]", value) if item is not None]
            nullable = nullable or len(values) < len(cast("list[Any]", value))
            out["enum"] = values
        elif key == "properties" and isinstance(value, dict):
            out["properties"] = {name: _json_to_gemini_any(sub) for name, sub in cast("JSONObject", value).items()}
        elif key in ("items", "additionalProperties"):
            if isinstance(value, (dict, bool)):
                out[key] = _json_to_gemini_any(value)
        elif key in ("$defs", "definitions") and isinstance(value, dict):
            out["defs"] = {name: _json_to_gemini_any(sub) for name, sub in cast("JSONObject", value).items()}
        elif key == "$ref" and isinstance(value, str):
            out["ref"] = re.sub(r"^#/(\$defs|definitions)/", "#/defs/", value)
        elif key == "examples" and isinstance(value, list) and value:
            out["example"] = cast("list[Any]", value)[0]
        elif key in _COUNT_KEYWORDS or key in _SHARED_KEYWORDS or key == "propertyOrdering":
            out[key] = value
    if nullable:
        out["nullable"] = True
    return out


def _json_to_gemini_any(value: Any) -> Any:
    return json_schema_to_gemini_schema(cast("JSONObject", value)) if isinstance(value, dict) else value


# --------------------------------------------------------------------------------------------------------------------
# Media types. A small table instead of ``mimetypes`` (which reads system files: codecs do no I/O).

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
_IMAGE_SIGNATURES = ((b"\x89PNG", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif"))


def _mime_from_uri(uri: str) -> str | None:
    path = uri.split("?", 1)[0].split("#", 1)[0]
    tail = path.rsplit("/", 1)[-1]
    return _MIME_BY_EXTENSION.get(tail.rsplit(".", 1)[-1].lower()) if "." in tail else None


def _mime_from_image_bytes(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((mime for magic, mime in _IMAGE_SIGNATURES if data.startswith(magic)), None)


def _audio_format(mime: str) -> str:
    return _AUDIO_FORMAT_BY_MIME.get(mime, mime.split("/", 1)[1])


def _audio_mime(audio_format: str) -> str:
    return f"audio/{audio_format}"


def _b64decode(value: object, where: str) -> bytes:
    text = _str(value, where)
    try:
        if "-" in text or "_" in text:  # proto3 JSON also accepts the URL-safe alphabet
            return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProtocolError(f"{where} is not valid base64") from exc


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _parse_data_url(url: str) -> tuple[str, bytes] | None:
    match = re.fullmatch(r"data:([^;,]+)(?:;[^,]*)?;base64,(.*)", url, flags=re.DOTALL)
    if match is None:
        return None
    return match.group(1), _b64decode(match.group(2), "data URL")


# --------------------------------------------------------------------------------------------------------------------
# Function call ids. Gemini rarely sends ids: synthesise stable ones and pair each response with its call.


@dataclass(slots=True)
class _Call:
    id: str
    name: str
    turn: int
    answered: bool = False


class _CallLedger:
    """Function calls seen so far in one request, response or stream, in order."""

    def __init__(self) -> None:
        self._calls: list[_Call] = []
        self._orphans = 0

    def add_call(self, name: str, wire_id: str | None, turn: int) -> str:
        call_id = wire_id or f"call_{name}_{len(self._calls)}"
        self._calls.append(_Call(call_id, name, turn))
        return call_id

    def match_response(self, name: str, wire_id: str | None, turn: int) -> str:
        """The id of the call a function response answers: by id when given, else the earliest unanswered call of
        that name in the latest earlier turn that has one."""
        if wire_id:
            for call in self._calls:
                if call.id == wire_id and not call.answered:
                    call.answered = True
                    break
            return wire_id
        pending = [call for call in self._calls if call.name == name and call.turn < turn and not call.answered]
        if not pending:
            self._orphans += 1
            return f"call_{name}_r{self._orphans}"
        latest_turn = max(call.turn for call in pending)
        call = next(call for call in pending if call.turn == latest_turn)
        call.answered = True
        return call.id


# --------------------------------------------------------------------------------------------------------------------
# Parts: wire -> IR.

_THOUGHT_SIGNATURE = "thoughtSignature"


def _result_text(response: JSONObject) -> tuple[str, bool]:
    """A function response object as (text, is_error), per the SDK docstring's ``output``/``error`` convention."""
    if len(response) == 1 and ("output" in response or "error" in response):
        key, value = next(iter(response.items()))
        return (value if isinstance(value, str) else _dumps(value)), key == "error"
    return _dumps(response), False


def _result_response(text: str, is_error: bool) -> JSONObject:
    return {"error": text} if is_error else {"output": text}


def _render_opaque(part: JSONObject) -> str:
    """Readable text for part kinds the IR lacks (server-side code execution), for other protocols."""
    code = part.get("executableCode")
    if isinstance(code, dict):
        code = cast("JSONObject", code)
        return f"```{str(code.get('language', '')).lower()}\n{code.get('code', '')}\n```"
    result = part.get("codeExecutionResult")
    if isinstance(result, dict):
        return str(cast("JSONObject", result).get("output", ""))
    return ""


def _leftover(raw: JSONObject, consumed: Sequence[str]) -> JSONObject:
    return {key: value for key, value in raw.items() if key not in consumed}


def _decode_part(raw: JSONObject, where: str, ledger: _CallLedger, turn: int) -> ir.Part:
    """One wire part. Keys the IR does not model stay in provider_details for the way back."""
    entry: JSONObject = {}
    if _THOUGHT_SIGNATURE in raw:
        entry[_THOUGHT_SIGNATURE] = raw[_THOUGHT_SIGNATURE]
    if "functionCall" in raw:
        consumed: tuple[str, ...] = ("functionCall",)
        part: ir.Part = _decode_function_call(_obj(raw["functionCall"], f"{where}.functionCall"), where, ledger, turn)
    elif "functionResponse" in raw:
        consumed = ("functionResponse",)
        fr = _obj(raw["functionResponse"], f"{where}.functionResponse")
        part = _decode_function_response(fr, where, ledger, turn)
    elif "text" in raw or raw.get("thought") is True:
        thought = raw.get("thought") is True
        consumed = ("text", "thought") if thought else ("text",)
        text = _str(raw.get("text", ""), f"{where}.text")
        part = ir.ThinkingPart(text) if thought else ir.TextPart(text)
    elif "inlineData" in raw:
        consumed = ("inlineData",)
        part = _decode_inline_data(_obj(raw["inlineData"], f"{where}.inlineData"), f"{where}.inlineData", entry)
    elif "fileData" in raw:
        consumed = ("fileData",)
        part = _decode_file_data(_obj(raw["fileData"], f"{where}.fileData"), f"{where}.fileData", entry)
    else:  # executableCode, codeExecutionResult and kinds this codec does not know: kept whole
        return ir.TextPart(_render_opaque(raw), provider_details={NAME: {"part": raw}})
    extra = _leftover(raw, (*consumed, _THOUGHT_SIGNATURE))
    if extra:
        entry["extra"] = extra
    entry.update(_gemini(part.provider_details))
    part.provider_details = _details(entry)
    return part


def _decode_function_call(call: JSONObject, where: str, ledger: _CallLedger, turn: int) -> ir.ToolCallPart:
    name = _str(call.get("name"), f"{where}.functionCall.name")
    args = _obj(call.get("args", {}), f"{where}.functionCall.args")
    wire_id = call.get("id")
    entry: JSONObject = {}
    if wire_id is not None:
        entry["id"] = _str(wire_id, f"{where}.functionCall.id")
    extra = _leftover(call, ("name", "args", "id"))
    if extra:
        entry["functionCall"] = extra
    call_id = ledger.add_call(name, entry.get("id"), turn)
    return ir.ToolCallPart(call_id, name, _dumps(args), provider_details=_details(entry))


def _decode_function_response(fr: JSONObject, where: str, ledger: _CallLedger, turn: int) -> ir.ToolResultPart:
    name = _str(fr.get("name"), f"{where}.functionResponse.name")
    response = _obj(fr.get("response", {}), f"{where}.functionResponse.response")
    wire_id = fr.get("id")
    entry: JSONObject = {}
    if wire_id is not None:
        entry["id"] = _str(wire_id, f"{where}.functionResponse.id")
    text, is_error = _result_text(response)
    if _result_response(text, is_error) != response:
        entry["response"] = response  # the exact object, for the way back to Gemini
    extra = _leftover(fr, ("name", "response", "id"))
    if extra:
        entry["functionResponse"] = extra
    call_id = ledger.match_response(name, entry.get("id"), turn)
    return ir.ToolResultPart(call_id, [ir.TextPart(text)], is_error, name, provider_details=_details(entry))


def _decode_inline_data(blob: JSONObject, where: str, entry: JSONObject) -> ir.Part:
    mime = _str(blob.get("mimeType"), f"{where}.mimeType")
    data = _b64decode(blob.get("data", ""), f"{where}.data")
    extra = _leftover(blob, ("mimeType", "data"))
    if extra:
        entry["inlineData"] = extra
    part: ir.Part
    if mime.startswith("image/"):
        part = ir.ImagePart(data=data, media_type=mime)
    elif mime.startswith("audio/"):
        part = ir.AudioPart(data, _audio_format(mime))
        if _audio_mime(part.format) != mime:
            entry["mimeType"] = mime
    else:
        part = ir.DocumentPart(data=data, media_type=mime)
    return part


def _decode_file_data(blob: JSONObject, where: str, entry: JSONObject) -> ir.Part:
    uri = _str(blob.get("fileUri"), f"{where}.fileUri")
    given = blob.get("mimeType")
    mime = _str(given, f"{where}.mimeType") if given is not None else _mime_from_uri(uri)
    if given is None:
        entry["mimeType"] = None  # absent on the wire: keep it absent on the way back
    extra = _leftover(blob, ("mimeType", "fileUri"))
    if extra:
        entry["fileData"] = extra
    if mime is not None and mime.startswith("image/"):
        return ir.ImagePart(url=uri, media_type=mime)
    return ir.DocumentPart(url=uri, media_type=mime)


def _decode_parts(content: JSONObject, where: str, ledger: _CallLedger, turn: int) -> list[ir.Part]:
    parts = _list(content.get("parts", []), f"{where}.parts")
    return [
        _decode_part(_obj(raw, f"{where}.parts[{j}]"), f"{where}.parts[{j}]", ledger, turn)
        for j, raw in enumerate(parts)
    ]


# --------------------------------------------------------------------------------------------------------------------
# Request: wire -> IR.

_GENERATION_SETTINGS: tuple[tuple[str, str, Literal["number", "int", "bool", "strings"]], ...] = (
    ("temperature", "temperature", "number"),
    ("topP", "top_p", "number"),
    ("topK", "top_k", "int"),
    ("candidateCount", "n", "int"),
    ("maxOutputTokens", "max_tokens", "int"),
    ("stopSequences", "stop", "strings"),
    ("presencePenalty", "presence_penalty", "number"),
    ("frequencyPenalty", "frequency_penalty", "number"),
    ("seed", "seed", "int"),
    ("responseLogprobs", "logprobs", "bool"),
    ("logprobs", "top_logprobs", "int"),
)
_JSON_MIME = "application/json"
_TEXT_MIME = "text/plain"


class _RequestDecoder:
    """One inbound generateContent body (already key-normalised) -> ir.Request."""

    def __init__(self, body: JSONObject, model: str) -> None:
        self.body = body
        self.model = model
        self.ledger = _CallLedger()
        self.extra: JSONObject = {}
        self.details: JSONObject = {}  # Request.provider_details["gemini"]

    def decode(self) -> ir.Request:
        body = self.body
        request = ir.Request(model=self.model, source=NAME)
        if "systemInstruction" in body:
            request.messages.append(self._system(body["systemInstruction"]))
        request.messages.extend(self._contents(_list(body.get("contents"), "contents")))
        if "tools" in body:
            request.tools = self._tools(_list(body["tools"], "tools"))
        if "toolConfig" in body:
            request.tool_choice = self._tool_config(_obj(body["toolConfig"], "toolConfig"))
        if "generationConfig" in body:
            config = _obj(body["generationConfig"], "generationConfig")
            request.settings, request.response_format = self._generation_config(config)
        for key, value in body.items():
            if key not in ("contents", "systemInstruction", "tools", "toolConfig", "generationConfig", "model"):
                self.extra[key] = value
        request.extra = self.extra
        request.provider_details = _details(self.details)
        return request

    # -- messages

    def _system(self, value: object) -> ir.Message:
        if isinstance(value, str):  # lenient: some REST clients send a bare string (re-encoded as a Content)
            return ir.Message("system", [ir.TextPart(value)])
        content = _obj(value, "systemInstruction")
        parts = _decode_parts(content, "systemInstruction", self.ledger, -1)
        role = content.get("role")
        return ir.Message("system", parts, provider_details=None if role == "user" else {NAME: {"role": role}})

    def _contents(self, contents: list[Any]) -> list[ir.Message]:
        messages: list[ir.Message] = []
        for turn, value in enumerate(contents):
            where = f"contents[{turn}]"
            content = _obj(value, where)
            role = content.get("role")
            if role not in (None, "user", "model", "function"):
                raise ProtocolError(f"{where}.role must be 'user' or 'model', got {role!r}")
            parts = _decode_parts(content, where, self.ledger, turn)
            split = self._split(parts) if role != "model" else [ir.Message("assistant", parts)]
            for position, message in enumerate(split):
                entry: JSONObject = {}
                if position > 0:
                    entry["continuesContent"] = True  # same wire Content as the message before
                elif role not in ("user", "model"):
                    entry["role"] = role
                message.provider_details = _details(entry)
            messages.extend(split)
        return messages

    @staticmethod
    def _split(parts: list[ir.Part]) -> list[ir.Message]:
        """A user Content -> one ``tool`` message per function response and user messages for the rest, in order."""
        messages: list[ir.Message] = []
        for part in parts:
            if isinstance(part, ir.ToolResultPart):
                messages.append(ir.Message("tool", [part]))
            elif messages and messages[-1].role == "user":
                messages[-1].parts.append(part)
            else:
                messages.append(ir.Message("user", [part]))
        if not messages:
            messages.append(ir.Message("user", []))
        return messages

    # -- tools

    def _tools(self, entries: list[Any]) -> list[ir.Tool]:
        tools: list[ir.Tool] = []
        other_tools: list[JSONObject] = []
        layout: list[int | None] = []  # per wire entry: how many declarations, or None for a non-function tool
        for i, value in enumerate(entries):
            entry = _obj(value, f"tools[{i}]")
            if "functionDeclarations" in entry:
                declarations = _list(entry["functionDeclarations"], f"tools[{i}].functionDeclarations")
                for j, declaration in enumerate(declarations):
                    where = f"tools[{i}].functionDeclarations[{j}]"
                    tools.append(self._function_declaration(_obj(declaration, where), where))
                layout.append(len(declarations))
            rest = _leftover(entry, ("functionDeclarations",))
            if rest:  # googleSearch, codeExecution, urlContext...
                other_tools.append(rest)
                layout.append(None)
        if other_tools:
            self.extra["tools"] = other_tools
        if layout != _default_tool_layout(len(tools), len(other_tools)):
            self.details["toolLayout"] = layout
        return tools

    @staticmethod
    def _function_declaration(declaration: JSONObject, where: str) -> ir.Tool:
        name = _str(declaration.get("name"), f"{where}.name")
        description = declaration.get("description")
        if description is not None:
            description = _str(description, f"{where}.description")
        entry: JSONObject = {}
        consumed = ["name", "description"]
        parameters: JSONObject | None = None
        if "parametersJsonSchema" in declaration:
            parameters = _obj(declaration["parametersJsonSchema"], f"{where}.parametersJsonSchema")
            consumed.append("parametersJsonSchema")
        elif "parameters" in declaration:
            original = _obj(declaration["parameters"], f"{where}.parameters")
            parameters = _gemini_to_json(original)
            entry["parameters"] = original  # answer in the caller's own schema dialect
            consumed.append("parameters")
        extra = _leftover(declaration, consumed)
        if extra:
            entry["declaration"] = extra
        return ir.Tool(name, description, parameters, provider_details=_details(entry))

    def _tool_config(self, config: JSONObject) -> ir.Maybe[ir.ToolChoice]:
        rest = _leftover(config, ("functionCallingConfig",))
        choice: ir.Maybe[ir.ToolChoice] = ir.UNSET
        if "functionCallingConfig" in config:
            calling = _obj(config["functionCallingConfig"], "toolConfig.functionCallingConfig")
            unmodelled = _leftover(calling, ("mode", "allowedFunctionNames"))
            mode, names = calling.get("mode"), calling.get("allowedFunctionNames")
            if mode == "ANY" and isinstance(names, list) and len(cast("list[Any]", names)) == 1:
                choice = ir.NamedToolChoice(_str(cast("list[Any]", names)[0], "allowedFunctionNames[0]"))
            elif mode == "ANY":
                choice = "required"
                if names is not None:  # several allowed names: the IR has no "one of these"
                    unmodelled["allowedFunctionNames"] = names
            elif mode in ("AUTO", "NONE") and names is None:
                choice = "auto" if mode == "AUTO" else "none"
            else:  # VALIDATED and anything newer travel verbatim
                unmodelled = dict(calling)
            if unmodelled:
                rest["functionCallingConfig"] = unmodelled
        if rest:
            self.extra["toolConfig"] = rest
        return choice

    # -- generation config

    def _generation_config(self, config: JSONObject) -> tuple[ir.GenerationSettings, ir.Maybe[ir.ResponseFormat]]:
        leftover = dict(config)
        settings: dict[str, Any] = {}
        for wire, attr, kind in _GENERATION_SETTINGS:
            if wire not in leftover:
                continue
            value, where = leftover[wire], f"generationConfig.{wire}"
            if kind == "int" and isinstance(value, float) and not value.is_integer():
                continue  # a fractional topK stays in extra
            del leftover[wire]
            if kind == "number":
                settings[attr] = _number(value, where)
            elif kind == "int":
                settings[attr] = _int(value, where)
            elif kind == "bool":
                settings[attr] = _bool(value, where)
            else:
                settings[attr] = [_str(s, f"{where}[{i}]") for i, s in enumerate(_list(value, where))]
        if "thinkingConfig" in leftover:
            thinking = self._thinking_config(_obj(leftover.pop("thinkingConfig"), "generationConfig.thinkingConfig"))
            settings.update(thinking[0])
            if thinking[1]:
                leftover["thinkingConfig"] = thinking[1]
        response_format = self._response_format(leftover)
        if leftover:
            self.extra["generationConfig"] = leftover
        return ir.GenerationSettings(**settings), response_format

    def _thinking_config(self, config: JSONObject) -> tuple[dict[str, Any], JSONObject]:
        settings: dict[str, Any] = {}
        rest = _leftover(config, ("thinkingBudget", "thinkingLevel", "includeThoughts"))
        if "thinkingBudget" in config:
            settings["reasoning_budget"] = _int(config["thinkingBudget"], "thinkingConfig.thinkingBudget")
        if "thinkingLevel" in config:
            level = _str(config["thinkingLevel"], "thinkingConfig.thinkingLevel")
            settings["reasoning_effort"] = level.lower()
            if level != level.lower():
                self.details["thinkingLevel"] = level  # the caller's spelling
        if "includeThoughts" in config:
            self.details["includeThoughts"] = _bool(config["includeThoughts"], "thinkingConfig.includeThoughts")
        return settings, rest

    def _response_format(self, leftover: JSONObject) -> ir.Maybe[ir.ResponseFormat]:
        """Consumes responseMimeType/responseSchema/responseJsonSchema from ``leftover`` when the IR can hold them."""
        mime = leftover.get("responseMimeType")
        has_schema = "responseSchema" in leftover or "responseJsonSchema" in leftover
        if mime == _TEXT_MIME and not has_schema:
            del leftover["responseMimeType"]
            return ir.ResponseFormat("text")
        if mime != _JSON_MIME or ("responseSchema" in leftover and "responseJsonSchema" in leftover):
            return ir.UNSET
        del leftover["responseMimeType"]
        if "responseJsonSchema" in leftover:
            schema = _obj(leftover.pop("responseJsonSchema"), "generationConfig.responseJsonSchema")
            return ir.ResponseFormat("json_schema", schema=schema)
        if "responseSchema" in leftover:
            original = _obj(leftover.pop("responseSchema"), "generationConfig.responseSchema")
            self.details["responseSchema"] = original
            return ir.ResponseFormat("json_schema", schema=_gemini_to_json(original))
        return ir.ResponseFormat("json_object")


def _default_tool_layout(declarations: int, other_tools: int) -> list[int | None]:
    return ([declarations] if declarations else []) + [None] * other_tools


# --------------------------------------------------------------------------------------------------------------------
# Parts: IR -> wire.

_EFFORT_BUDGETS = {"none": 0, "minimal": 128, "low": 1024, "medium": 8192, "high": 24576, "xhigh": 24576}


def _parse_arguments(arguments: str) -> JSONObject | None:
    """Tool call arguments as a JSON object, or None when they are not one."""
    if not arguments.strip():
        return {}
    try:
        value = json.loads(arguments)
    except ValueError:
        return None
    return cast("JSONObject", value) if isinstance(value, dict) else None


class _PartEncoder:
    """IR parts -> wire parts, collecting adaptations. Remembers the tool calls it encoded so later tool results can
    find their function name and Gemini id."""

    def __init__(self, *, for_request: bool, same_protocol: bool = False) -> None:
        self.for_request = for_request
        self.same_protocol = same_protocol  # the request was decoded by this codec: nothing in it needs reporting
        self.adaptations: list[ir.Adaptation] = []
        self._calls: dict[str, tuple[str, str | None]] = {}  # IR call id -> (name, Gemini's own id)

    def report(self, param: str, action: Literal["dropped", "adapted"], reason: str) -> None:
        self.adaptations.append(ir.Adaptation(param, action, reason))

    def encode_all(self, parts: Sequence[ir.Part], where: str) -> list[JSONObject]:
        return [wire for j, part in enumerate(parts) for wire in self.encode(part, f"{where}.parts[{j}]")]

    def encode(self, part: ir.Part, where: str) -> list[JSONObject]:
        entry = _gemini(part.provider_details)
        original = entry.get("part")
        if isinstance(original, dict):
            return [cast("JSONObject", original)]
        wires = self._encode(part, entry, where)
        if wires:
            if _THOUGHT_SIGNATURE in entry:
                wires[0][_THOUGHT_SIGNATURE] = entry[_THOUGHT_SIGNATURE]
            wires[0].update(cast("JSONObject", entry.get("extra", {})))
        return wires

    def _encode(self, part: ir.Part, entry: JSONObject, where: str) -> list[JSONObject]:
        if isinstance(part, ir.TextPart):
            return [{"text": part.text}]
        if isinstance(part, ir.ThinkingPart):
            return self._thinking(part, entry, where)
        if isinstance(part, ir.RefusalPart):
            if self.for_request:
                self.report(where, "adapted", "refusal sent as text")
            return [{"text": part.text}]
        if isinstance(part, ir.ImagePart):
            return [self._image(part, entry, where)]
        if isinstance(part, ir.DocumentPart):
            return [self._document(part, entry, where)]
        if isinstance(part, ir.AudioPart):
            mime = entry["mimeType"] if "mimeType" in entry else _audio_mime(part.format)
            return [{"inlineData": self._blob(mime, part.data, entry)}]
        if isinstance(part, ir.ToolCallPart):
            return [self._function_call(part, entry, where)]
        return self._function_response(part, entry, where)

    def _thinking(self, part: ir.ThinkingPart, entry: JSONObject, where: str) -> list[JSONObject]:
        if self.for_request and not self.same_protocol and not entry:
            # another vendor's reasoning: Gemini cannot verify it, and it carries no Gemini signature
            self.report(where, "dropped", "reasoning from another provider cannot be replayed to Gemini")
            return []
        if not part.text and not entry:
            return []  # redacted reasoning has no Gemini form
        return [{"text": part.text, "thought": True}]

    @staticmethod
    def _blob(mime: str | None, data: bytes, entry: JSONObject) -> JSONObject:
        blob: JSONObject = {} if mime is None else {"mimeType": mime}
        blob["data"] = _b64encode(data)
        blob.update(cast("JSONObject", entry.get("inlineData", {})))
        return blob

    def _file(self, mime: str | None, uri: str, entry: JSONObject) -> JSONObject:
        blob: JSONObject = {} if mime is None else {"mimeType": mime}
        blob["fileUri"] = uri
        blob.update(cast("JSONObject", entry.get("fileData", {})))
        return {"fileData": blob}

    def _image(self, part: ir.ImagePart, entry: JSONObject, where: str) -> JSONObject:
        if part.detail not in (None, "auto"):
            self.report(f"{where}.detail", "dropped", "Gemini has no per-image detail")
        if part.data is not None:
            mime = entry.get("mimeType", part.media_type)
            if mime is None:
                mime = _mime_from_image_bytes(part.data) or "image/jpeg"
                self.report(f"{where}.media_type", "adapted", f"guessed {mime} from the image bytes")
            return {"inlineData": self._blob(mime, part.data, entry)}
        if part.url is None:
            raise UnsupportedFeature(f"{where}: image has neither data nor url")
        inline = _parse_data_url(part.url)
        if inline is not None:
            return {"inlineData": self._blob(part.media_type or inline[0], inline[1], entry)}
        return self._file(self._url_mime(part.url, part.media_type, entry, where, "image"), part.url, entry)

    def _document(self, part: ir.DocumentPart, entry: JSONObject, where: str) -> JSONObject:
        if self.for_request and (part.filename or part.title):
            self.report(f"{where}.filename", "dropped", "Gemini parts carry no document name or title")
        if part.data is not None:
            mime = entry.get("mimeType", part.media_type or "application/pdf")
            return {"inlineData": self._blob(mime, part.data, entry)}
        if part.url is not None:
            inline = _parse_data_url(part.url)
            if inline is not None:
                return {"inlineData": self._blob(part.media_type or inline[0], inline[1], entry)}
            return self._file(self._url_mime(part.url, part.media_type, entry, where, "document"), part.url, entry)
        if part.text is not None:
            self.report(where, "adapted", "text document sent as a text part")
            return {"text": part.text}
        raise UnsupportedFeature(f"{where}: document has no data, url or text")

    def _url_mime(self, url: str, given: str | None, entry: JSONObject, where: str, kind: str) -> str | None:
        if "mimeType" in entry:
            return cast("str | None", entry["mimeType"])
        if given is not None:
            if self.for_request and not self.same_protocol:
                self.report(where, "adapted", f"{kind} URL sent as fileData (Gemini fetches only URIs it supports)")
            return given
        mime = _mime_from_uri(url) or ("image/jpeg" if kind == "image" else "application/pdf")
        self.report(where, "adapted", f"{kind} URL sent as fileData with mime type {mime} guessed from the URL")
        return mime

    def _function_call(self, part: ir.ToolCallPart, entry: JSONObject, where: str) -> JSONObject:
        args = _parse_arguments(part.arguments)
        if args is None:
            args = {"_raw_arguments": part.arguments}
            self.report(f"{where}.arguments", "adapted", "arguments are not a JSON object: wrapped in _raw_arguments")
        call: JSONObject = {"name": part.name, "args": args}
        wire_id = entry.get("id")
        if isinstance(wire_id, str):  # only ids Gemini itself issued go back to it
            call["id"] = wire_id
        call.update(cast("JSONObject", entry.get("functionCall", {})))
        self._calls[part.id] = (part.name, wire_id if isinstance(wire_id, str) else None)
        return {"functionCall": call}

    def _function_response(self, part: ir.ToolResultPart, entry: JSONObject, where: str) -> list[JSONObject]:
        known = self._calls.get(part.tool_call_id)
        name = part.name or (known[0] if known else None)
        if name is None:
            raise UnsupportedFeature(
                f"{where}: Gemini needs the function name of tool result {part.tool_call_id!r}, and no earlier tool "
                "call has that id"
            )
        text = "".join(p.text for p in part.content if isinstance(p, ir.TextPart))
        original = entry.get("response")
        if isinstance(original, dict) and _result_text(cast("JSONObject", original)) == (text, part.is_error):
            response = cast("JSONObject", original)
        else:
            response = _result_response(text, part.is_error)
        result: JSONObject = {"name": name, "response": response}
        wire_id = entry.get("id") or (known[1] if known else None)
        if wire_id:
            result["id"] = wire_id
        result.update(cast("JSONObject", entry.get("functionResponse", {})))
        wires: list[JSONObject] = [{"functionResponse": result}]
        media = [p for p in part.content if not isinstance(p, ir.TextPart)]
        for k, item in enumerate(media):
            wires.extend(self.encode(item, f"{where}.content[{k}]"))
        if media:
            self.report(where, "adapted", "non-text tool result content sent as parts after the function response")
        return wires


# --------------------------------------------------------------------------------------------------------------------
# Request: IR -> wire.


class _RequestEncoder:
    def __init__(self, request: ir.Request) -> None:
        self.request = request
        self.same_protocol = request.source == NAME
        self.details = _gemini(request.provider_details)
        self.parts = _PartEncoder(for_request=True, same_protocol=self.same_protocol)

    def report(self, param: str, action: Literal["dropped", "adapted"], reason: str) -> None:
        self.parts.report(param, action, reason)

    def encode(self) -> tuple[JSONObject, list[ir.Adaptation]]:
        request = self.request
        body: JSONObject = {}
        contents, system = self._messages()
        body["contents"] = contents
        if system is not None:
            body["systemInstruction"] = system
        extra = dict(request.extra) if self.same_protocol else {}
        tools = self._tools(cast("list[JSONObject]", extra.pop("tools", [])))
        if tools:
            body["tools"] = tools
        if not isinstance(request.tool_choice, ir.Unset):
            body["toolConfig"] = {"functionCallingConfig": self._tool_choice(request.tool_choice)}
        generation = self._generation_config()
        if generation:
            body["generationConfig"] = generation
        if self.same_protocol:
            _merge(body, extra)
        else:
            for key in request.extra:
                self.report(key, "dropped", f"{request.source or 'source'} parameter has no Gemini equivalent")
        return body, self.parts.adaptations

    # -- messages

    def _messages(self) -> tuple[list[JSONObject], JSONObject | None]:
        contents: list[JSONObject] = []
        roles: list[str] = []
        system: JSONObject | None = None
        system_parts: list[JSONObject] = []
        for i, message in enumerate(self.request.messages):
            where = f"messages[{i}]"
            entry = _gemini(message.provider_details)
            if message.role in ("system", "developer"):
                if contents:
                    self.report(where, "adapted", "system message moved into systemInstruction")
                if system is None:  # Gemini has one system instruction: later system messages join it
                    system = _with_role(entry, "user")
                    system["parts"] = system_parts
                system_parts.extend(self.parts.encode_all(message.parts, where))
                continue
            role = "model" if message.role == "assistant" else "user"
            parts = self.parts.encode_all(message.parts, where)
            if self.same_protocol:
                merge = bool(entry.get("continuesContent")) and bool(contents)
            else:
                merge = bool(roles) and roles[-1] == role
                if not parts:
                    continue  # every part was dropped: Gemini rejects empty turns
            if merge:
                contents[-1]["parts"].extend(parts)
                continue
            content = _with_role(entry, role)
            content["parts"] = parts
            contents.append(content)
            roles.append(role)
        return contents, system

    # -- tools

    def _tools(self, other_tools: list[JSONObject]) -> list[JSONObject]:
        declarations = [self._declaration(tool, f"tools[{i}]") for i, tool in enumerate(self.request.tools)]
        layout = self.details.get("toolLayout") if self.same_protocol else None
        if not isinstance(layout, list) or not _layout_fits(
            cast("list[Any]", layout), len(declarations), len(other_tools)
        ):
            layout = _default_tool_layout(len(declarations), len(other_tools))
        entries: list[JSONObject] = []
        declared = others = 0
        for slot in cast("list[int | None]", layout):
            if slot is None:
                entries.append(other_tools[others])
                others += 1
            else:
                entries.append({"functionDeclarations": declarations[declared : declared + slot]})
                declared += slot
        return entries

    def _declaration(self, tool: ir.Tool, where: str) -> JSONObject:
        declaration: JSONObject = {"name": tool.name}
        if tool.description is not None:
            declaration["description"] = tool.description
        entry = _gemini(tool.provider_details)
        if tool.parameters is not None:
            original = entry.get("parameters")
            if isinstance(original, dict):  # the caller wrote Gemini's schema dialect: answer in kind
                unchanged = _gemini_to_json(cast("JSONObject", original)) == tool.parameters
                declaration["parameters"] = original if unchanged else json_schema_to_gemini_schema(tool.parameters)
            else:
                declaration["parametersJsonSchema"] = tool.parameters
        declaration.update(cast("JSONObject", entry.get("declaration", {})))
        if tool.strict:
            self.report(f"{where}.strict", "dropped", "Gemini has no strict flag for function declarations")
        return declaration

    @staticmethod
    def _tool_choice(choice: ir.ToolChoice) -> JSONObject:
        if isinstance(choice, ir.NamedToolChoice):
            return {"mode": "ANY", "allowedFunctionNames": [choice.name]}
        return {"mode": {"auto": "AUTO", "required": "ANY", "none": "NONE"}[choice]}

    # -- generation config

    def _generation_config(self) -> JSONObject:
        settings = self.request.settings
        config: JSONObject = {}
        for wire, attr, _ in _GENERATION_SETTINGS:
            value = getattr(settings, attr)
            if ir.is_set(value):
                config[wire] = value
        for attr in ("parallel_tool_calls", "logit_bias", "user", "metadata"):
            if ir.is_set(getattr(settings, attr)):
                self.report(attr, "dropped", "Gemini has no equivalent")
        thinking = self._thinking_config()
        if thinking:
            config["thinkingConfig"] = thinking
        config.update(self._response_format())
        return config

    def _thinking_config(self) -> JSONObject:
        settings = self.request.settings
        thinking: JSONObject = {}
        if ir.is_set(settings.reasoning_budget):
            thinking["thinkingBudget"] = settings.reasoning_budget
        effort = settings.reasoning_effort
        if ir.is_set(effort):
            spelling = self.details.get("thinkingLevel")
            if self.same_protocol:
                same = isinstance(spelling, str) and spelling.lower() == effort
                thinking["thinkingLevel"] = spelling if same else effort
            elif ir.is_set(settings.reasoning_budget):
                self.report("reasoning_effort", "dropped", "reasoning_budget given too; Gemini takes one")
            elif effort in _EFFORT_BUDGETS:
                thinking["thinkingBudget"] = _EFFORT_BUDGETS[effort]
                self.report("reasoning_effort", "adapted", f"sent as thinkingBudget {_EFFORT_BUDGETS[effort]}")
            else:
                self.report("reasoning_effort", "dropped", f"no Gemini thinking budget for effort {effort!r}")
        if "includeThoughts" in self.details:
            thinking["includeThoughts"] = self.details["includeThoughts"]
        return thinking

    def _response_format(self) -> JSONObject:
        response_format = self.request.response_format
        if not ir.is_set(response_format):
            return {}
        if response_format.type == "text":
            return {"responseMimeType": _TEXT_MIME} if self.same_protocol else {}
        config: JSONObject = {"responseMimeType": _JSON_MIME}
        if response_format.type == "json_schema" and response_format.schema is not None:
            original = self.details.get("responseSchema")
            if isinstance(original, dict) and _gemini_to_json(cast("JSONObject", original)) == response_format.schema:
                config["responseSchema"] = original
            else:
                config["responseJsonSchema"] = response_format.schema
        return config


def _with_role(entry: JSONObject, role: str) -> JSONObject:
    """A Content's role: the one decoded from the wire when kept (None: there was none), else ``role``."""
    wire_role = entry.get("role", role)
    return {} if wire_role is None else {"role": wire_role}


def _layout_fits(layout: list[Any], declarations: int, other_tools: int) -> bool:
    counts = [slot for slot in layout if slot is not None]
    return sum(counts) == declarations and len(layout) - len(counts) == other_tools


# --------------------------------------------------------------------------------------------------------------------
# Responses.

_CONTENT_FILTER_REASONS = frozenset(
    {
        "SAFETY",
        "RECITATION",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_RECITATION",
        "LANGUAGE",
    }
)
_MALFORMED_CALL_REASONS = frozenset({"MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL", "TOO_MANY_TOOL_CALLS"})
_FINISH_TO_WIRE: dict[ir.FinishReason, str] = {
    "stop": "STOP",
    "stop_sequence": "STOP",
    "tool_calls": "STOP",
    "length": "MAX_TOKENS",
    "context_length": "MAX_TOKENS",
    "content_filter": "SAFETY",
    "malformed_tool_call": "MALFORMED_FUNCTION_CALL",
    "other": "OTHER",
    "pause": "OTHER",
}
# choice.provider_details["gemini"] keys that are not candidate fields
_CHOICE_INTERNAL_KEYS = ("finishReason", "blockReason", "promptFeedback")


def _finish_from_wire(reason: str, has_calls: bool) -> ir.FinishReason:
    if reason == "STOP":
        return "tool_calls" if has_calls else "stop"  # Gemini has no tool-call finish reason
    if reason == "MAX_TOKENS":
        return "length"
    if reason in _CONTENT_FILTER_REASONS:
        return "content_filter"
    if reason in _MALFORMED_CALL_REASONS:
        return "malformed_tool_call"
    return "other"


def _finish_to_wire(reason: ir.FinishReason, raw: object, has_calls: bool) -> str:
    """The original wire value when it still means ``reason`` (so RECITATION stays RECITATION)."""
    if isinstance(raw, str) and _finish_from_wire(raw, has_calls) == reason:
        return raw
    return _FINISH_TO_WIRE[reason]


def _usage_from_wire(usage: JSONObject) -> ir.Usage:
    def count(key: str) -> int:
        return _int(usage.get(key, 0), f"usageMetadata.{key}")

    thoughts = count("thoughtsTokenCount")
    return ir.Usage(
        input_tokens=count("promptTokenCount") + count("toolUsePromptTokenCount"),
        output_tokens=count("candidatesTokenCount") + thoughts,
        cache_read_tokens=count("cachedContentTokenCount"),
        reasoning_tokens=thoughts,
    )


def _usage_to_wire(usage: ir.Usage) -> JSONObject:
    wire: JSONObject = {"promptTokenCount": usage.input_tokens}
    if usage.output_tokens > usage.reasoning_tokens:  # Gemini leaves the count out until candidates have tokens
        wire["candidatesTokenCount"] = usage.output_tokens - usage.reasoning_tokens
    wire["totalTokenCount"] = usage.input_tokens + usage.output_tokens
    if usage.reasoning_tokens > 0:
        wire["thoughtsTokenCount"] = usage.reasoning_tokens
    if usage.cache_read_tokens > 0:
        wire["cachedContentTokenCount"] = usage.cache_read_tokens
    return wire


def _synthetic_response_id() -> str:
    return f"gemini-{uuid.uuid4().hex}"


def _blocked_feedback(data: JSONObject) -> JSONObject | None:
    feedback = data.get("promptFeedback")
    if data.get("candidates") or not isinstance(feedback, dict):
        return None
    feedback = cast("JSONObject", feedback)
    return feedback if feedback.get("blockReason") else None


def prompt_block(data: Mapping[str, Any]) -> JSONObject | None:
    """The ``promptFeedback`` of a response whose prompt was blocked (no candidates, a ``blockReason``), else None."""
    return _blocked_feedback(_obj(_normalise(data, _RESPONSE), "response"))


def _blocked_choice(feedback: JSONObject) -> ir.Choice:
    entry = {"blockReason": feedback["blockReason"], "promptFeedback": feedback}
    categories = {"blockReason": feedback["blockReason"], "safetyRatings": feedback.get("safetyRatings", [])}
    return ir.Choice(
        ir.Message("assistant", []), "content_filter", content_filter=categories, provider_details={NAME: entry}
    )


def _decode_candidate(candidate: JSONObject, position: int, ledger: _CallLedger) -> ir.Choice:
    where = f"candidates[{position}]"
    content = candidate.get("content")
    parts = _decode_parts(_obj(content, f"{where}.content"), f"{where}.content", ledger, 0) if content else []
    message = ir.Message("assistant", parts)
    entry = _leftover(candidate, ("content", "index"))
    raw_reason = candidate.get("finishReason")
    reason = None
    if raw_reason is not None:
        reason = _finish_from_wire(_str(raw_reason, f"{where}.finishReason"), bool(message.tool_calls))
    index = _int(candidate.get("index", position), f"{where}.index")
    filtered = None
    if reason == "content_filter":
        filtered = {"finishReason": raw_reason, "safetyRatings": candidate.get("safetyRatings", [])}
    return ir.Choice(message, reason, index, content_filter=filtered, provider_details=_details(entry))


def _decode_response(data: JSONObject) -> ir.Response:
    if "error" in data:
        raise error_from_body(None, data)
    ledger = _CallLedger()
    candidates = _list(data.get("candidates", []), "candidates")
    choices = [_decode_candidate(_obj(c, f"candidates[{i}]"), i, ledger) for i, c in enumerate(candidates)]
    entry: JSONObject = {}
    feedback = _blocked_feedback(data)
    if feedback is not None:
        choices = [_blocked_choice(feedback)]
    elif "promptFeedback" in data:
        entry["promptFeedback"] = data["promptFeedback"]
    usage = None
    if "usageMetadata" in data:
        raw_usage = _obj(data["usageMetadata"], "usageMetadata")
        usage = _usage_from_wire(raw_usage)
        if _usage_to_wire(usage) != raw_usage:
            entry["usageMetadata"] = raw_usage  # token details etc., for the way back
    response_id = data.get("responseId")
    if response_id is None:
        entry["syntheticId"] = True
    extra = _leftover(data, ("candidates", "promptFeedback", "usageMetadata", "responseId", "modelVersion"))
    if extra:
        entry["extra"] = extra
    return ir.Response(
        id=_str(response_id, "responseId") if response_id is not None else _synthetic_response_id(),
        model=_str(data.get("modelVersion", ""), "modelVersion"),
        choices=choices,
        usage=usage,
        provider_details=_details(entry),
    )


def _envelope(response_id: str, model: str, *, synthetic_id: bool = False) -> JSONObject:
    envelope: JSONObject = {}
    if not synthetic_id:
        envelope["responseId"] = response_id
    if model:
        envelope["modelVersion"] = model
    return envelope


def _encode_usage(usage: ir.Usage, details: JSONObject) -> JSONObject:
    original = details.get("usageMetadata")
    if isinstance(original, dict) and _usage_from_wire(cast("JSONObject", original)) == usage:
        return cast("JSONObject", original)
    return _usage_to_wire(usage)


def _candidate_tail(reason: ir.FinishReason | None, index: int, entry: JSONObject, has_calls: bool) -> JSONObject:
    """The non-content fields of a candidate: finishReason, index and the wire fields kept on decode."""
    tail: JSONObject = {}
    if reason is not None:
        tail["finishReason"] = _finish_to_wire(reason, entry.get("finishReason"), has_calls)
    tail["index"] = index
    tail.update({key: value for key, value in entry.items() if key not in _CHOICE_INTERNAL_KEYS})
    return tail


def _encode_response(response: ir.Response) -> JSONObject:
    details = _gemini(response.provider_details)
    body = _envelope(response.id, response.model, synthetic_id=bool(details.get("syntheticId")))
    parts = _PartEncoder(for_request=False)
    only = response.choices[0] if len(response.choices) == 1 else None
    blocked = _gemini(only.provider_details).get("promptFeedback") if only and not only.message.parts else None
    if isinstance(blocked, dict):
        body["promptFeedback"] = blocked
    else:
        candidates: list[JSONObject] = []
        for choice in response.choices:
            candidate: JSONObject = {}
            wire_parts = parts.encode_all(choice.message.parts, f"choices[{choice.index}].message")
            if wire_parts:
                candidate["content"] = {"role": "model", "parts": wire_parts}
            has_calls = bool(choice.message.tool_calls)
            entry = _gemini(choice.provider_details)
            candidate.update(_candidate_tail(choice.finish_reason, choice.index, entry, has_calls))
            candidates.append(candidate)
        body["candidates"] = candidates
        if "promptFeedback" in details:
            body["promptFeedback"] = details["promptFeedback"]
    if response.usage is not None:
        body["usageMetadata"] = _encode_usage(response.usage, details)
    body.update(cast("JSONObject", details.get("extra", {})))
    return body


# --------------------------------------------------------------------------------------------------------------------
# Errors.

_ERRORS_BY_STATUS: dict[str, type[ProviderError]] = {
    "RESOURCE_EXHAUSTED": RateLimited,
    "INVALID_ARGUMENT": BadRequest,
    "FAILED_PRECONDITION": BadRequest,
    "OUT_OF_RANGE": BadRequest,
    "PERMISSION_DENIED": PermissionDenied,
    "UNAUTHENTICATED": AuthenticationError,
    "NOT_FOUND": NotFound,
    "INTERNAL": ServerError,
    "UNKNOWN": ServerError,
    "UNAVAILABLE": Overloaded,
    "DEADLINE_EXCEEDED": Timeout,
}
_ERRORS_BY_CODE: dict[int, type[ProviderError]] = {
    400: BadRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    429: RateLimited,
    500: ServerError,
    503: Overloaded,
    504: Timeout,
    529: Overloaded,  # not Google's, but a proxy in front may use it; it means the same everywhere
}
_TOKEN_LIMIT = re.compile(
    r"input token count|exceeds the maximum number of tokens|context (length|window)|too many tokens|token limit",
    re.IGNORECASE,
)
_RETRY_DELAY = re.compile(r"(\d+(?:\.\d+)?)s")


def _error_payload(body: object) -> JSONObject:
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8", errors="replace")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return {"message": body} if body else {}
    if isinstance(body, list) and body:  # streamGenerateContent without alt=sse wraps errors in an array
        body = cast("list[Any]", body)[0]
    if isinstance(body, Mapping):
        error = cast("Mapping[str, Any]", body).get("error")
        if isinstance(error, Mapping):
            return dict(cast("Mapping[str, Any]", error))
    return {}


def _retry_after(headers: Mapping[str, str], error: JSONObject) -> float | None:
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                return float(value)
            except ValueError:
                break
    for detail in cast("list[Any]", error.get("details") or []):
        if isinstance(detail, dict) and "retryDelay" in detail:
            match = _RETRY_DELAY.fullmatch(str(cast("JSONObject", detail)["retryDelay"]))
            if match:
                return float(match.group(1))
    return None


def _error_reasons(error: JSONObject) -> set[str]:
    details = error.get("details")
    if not isinstance(details, list):
        return set()
    return {
        str(cast("JSONObject", d)["reason"])
        for d in cast("list[Any]", details)
        if isinstance(d, dict) and "reason" in d
    }


def error_from_body(status: int | None, body: object, headers: Mapping[str, str] | None = None) -> ProviderError:
    """The routeapi error for a Gemini error body ``{"error": {"code", "message", "status", "details"?}}``.

    ``status`` is the HTTP status (None for an error met inside a stream: the body's code is used)."""
    error = _error_payload(body)
    code = error.get("code")
    status_code = status if status and status >= 400 else (code if isinstance(code, int) else status)
    status_name = error.get("status")
    kind = _ERRORS_BY_STATUS.get(status_name) if isinstance(status_name, str) else None
    if kind is None and status_code is not None:
        kind = _ERRORS_BY_CODE.get(status_code) or (BadRequest if 400 <= status_code < 500 else ServerError)
    kind = kind or ServerError
    if kind is ServerError and status_code in (503, 529):
        kind = Overloaded
    message = str(error.get("message") or f"Gemini error {status_code or ''}".strip())
    if kind is BadRequest and "API_KEY_INVALID" in _error_reasons(error):
        kind = AuthenticationError
    elif kind is BadRequest and _TOKEN_LIMIT.search(message):
        kind = ContextLengthExceeded
    common: dict[str, Any] = {
        "status_code": status_code,
        "headers": headers,
        "body": body,
        "code": status_name if isinstance(status_name, str) else None,
    }
    if kind is RateLimited:
        return RateLimited(message, retry_after=_retry_after(headers or {}, error), **common)
    return kind(message, **common)


# --------------------------------------------------------------------------------------------------------------------
# Embeddings (batchEmbedContents / embedContent).


def _model_resource(model: str) -> str:
    return model if model.startswith(("models/", "tunedModels/")) else f"models/{model}"


def encode_embed_request(
    texts: Sequence[str], *, model: str, dimensions: int | None = None, task_type: str | None = None
) -> JSONObject:
    """A ``batchEmbedContents`` body: one request per text, as the SDK sends it."""
    requests: list[JSONObject] = []
    for text in texts:
        item: JSONObject = {"model": _model_resource(model), "content": {"role": "user", "parts": [{"text": text}]}}
        if task_type is not None:
            item["taskType"] = task_type
        if dimensions is not None:
            item["outputDimensionality"] = dimensions
        requests.append(item)
    return {"requests": requests}


def decode_embed_response(data: Mapping[str, Any]) -> list[list[float]]:
    """The vectors of a ``batchEmbedContents`` (``embeddings``) or ``embedContent`` (``embedding``) response."""
    embeddings = [data["embedding"]] if "embedding" in data else _list(data.get("embeddings"), "embeddings")
    vectors: list[list[float]] = []
    for i, value in enumerate(embeddings):
        values = _list(_obj(value, f"embeddings[{i}]").get("values"), f"embeddings[{i}].values")
        vectors.append([_number(v, f"embeddings[{i}].values") for v in values])
    return vectors


def decode_embed_request(body: Mapping[str, Any]) -> tuple[list[str], int | None, str | None]:
    """An inbound ``embedContent`` or ``batchEmbedContents`` body -> (texts, dimensions, task type)."""
    data = _obj(_normalise(body, _EMBED_REQUEST), "body")
    single = "requests" not in data
    items = [data] if single else _list(data["requests"], "requests")
    texts: list[str] = []
    settings: set[tuple[int | None, str | None]] = set()
    for i, value in enumerate(items):
        where = "" if single else f"requests[{i}]."
        item = _obj(value, where.rstrip(".") or "body")
        content = _obj(item.get("content"), f"{where}content")
        text = ""
        for j, part in enumerate(_list(content.get("parts"), f"{where}content.parts")):
            part = _obj(part, f"{where}content.parts[{j}]")
            if "text" not in part:
                raise UnsupportedFeature(f"{where}content.parts[{j}]: only text can be embedded")
            text += _str(part["text"], f"{where}content.parts[{j}].text")
        texts.append(text)
        dims = item.get("outputDimensionality")
        task = item.get("taskType")
        settings.add(
            (
                _int(dims, f"{where}outputDimensionality") if dims is not None else None,
                _str(task, f"{where}taskType") if task is not None else None,
            )
        )
    if len(settings) > 1:
        raise UnsupportedFeature("requests: every request must use the same taskType and outputDimensionality")
    dimensions, task_type = settings.pop() if settings else (None, None)
    return texts, dimensions, task_type


# --------------------------------------------------------------------------------------------------------------------
# Streams.


@dataclass(slots=True)
class _DecodingChoice:
    next_index: int = 0
    open_index: int | None = None
    open_kind: Literal["text", "thinking"] | None = None
    has_calls: bool = False
    finished: bool = False
    candidate: JSONObject = field(default_factory=lambda: {})  # candidate fields seen so far (safetyRatings...)


class GeminiStreamDecoder:
    """Parsed ``streamGenerateContent`` chunks (each a GenerateContentResponse) -> IR stream events.

    Gemini streams have no terminator: a stream is complete once every candidate had a ``finishReason`` (or the
    prompt was blocked)."""

    def __init__(self) -> None:
        self._started = False
        self._choices: dict[int, _DecodingChoice] = {}
        self._ledger = _CallLedger()
        self._usage: ir.Usage | None = None
        self._blocked = False

    def feed(self, item: Mapping[str, Any]) -> list[ir.StreamEvent]:
        data = _obj(_normalise(item, _RESPONSE), "chunk")
        if "error" in data:
            raise error_from_body(None, data)
        events: list[ir.StreamEvent] = []
        if not self._started:
            self._started = True
            response_id = data.get("responseId")
            model = data.get("modelVersion", "")
            events.append(ir.MessageStart(str(response_id or _synthetic_response_id()), str(model)))
        finishes: list[ir.StreamEvent] = []
        for position, value in enumerate(_list(data.get("candidates", []), "candidates")):
            candidate = _obj(value, f"candidates[{position}]")
            choice = _int(candidate.get("index", position), f"candidates[{position}].index")
            state = self._choices.setdefault(choice, _DecodingChoice())
            content = candidate.get("content")
            if content:
                where = f"candidates[{position}].content"
                for j, part in enumerate(_list(_obj(content, where).get("parts", []), f"{where}.parts")):
                    events.extend(self._part(state, choice, _obj(part, f"{where}.parts[{j}]"), f"{where}.parts[{j}]"))
            state.candidate.update(_leftover(candidate, ("content", "index", "finishReason")))
            if "finishReason" in candidate:
                events.extend(self._close(state, choice))
                finishes.append(self._finish(state, choice, _str(candidate["finishReason"], "finishReason")))
        if "usageMetadata" in data:
            usage = _usage_from_wire(_obj(data["usageMetadata"], "usageMetadata"))
            if usage != self._usage:
                self._usage = usage
                events.append(ir.UsageUpdate(usage))
        feedback = _blocked_feedback(data)
        if feedback is not None and not self._blocked:
            self._blocked = True
            choice = _blocked_choice(feedback)
            finishes.append(ir.Finish("content_filter", provider_details=choice.provider_details))
        return events + finishes

    def end(self) -> list[ir.StreamEvent]:
        if self._blocked or (self._choices and all(state.finished for state in self._choices.values())):
            return [ir.StreamEnd()]
        raise StreamInterrupted("the Gemini stream ended before a finishReason arrived")

    def _open(self, state: _DecodingChoice) -> int:
        index = state.next_index
        state.next_index += 1
        return index

    def _close(self, state: _DecodingChoice, choice: int) -> list[ir.StreamEvent]:
        if state.open_index is None:
            return []
        index, state.open_index, state.open_kind = state.open_index, None, None
        return [ir.PartEnd(index, choice)]

    def _part(self, state: _DecodingChoice, choice: int, raw: JSONObject, where: str) -> list[ir.StreamEvent]:
        part = _decode_part(raw, where, self._ledger, 0)
        entry = _gemini(part.provider_details)
        events: list[ir.StreamEvent] = []
        if isinstance(part, ir.ToolCallPart):  # function calls arrive whole
            state.has_calls = True
            events += self._close(state, choice)
            index = self._open(state)
            start = ir.ToolCallPart(part.id, part.name, "", provider_details=part.provider_details)
            events += [
                ir.PartStart(index, start, choice),
                ir.ToolArgumentsDelta(index, part.arguments, choice),
                ir.PartEnd(index, choice),
            ]
        elif isinstance(part, (ir.TextPart, ir.ThinkingPart)) and "part" not in entry:
            kind: Literal["text", "thinking"] = "thinking" if isinstance(part, ir.ThinkingPart) else "text"
            index = state.open_index
            # a part carrying wire extras (a thought signature...) starts a new IR part: details live on PartStart
            if index is None or state.open_kind != kind or entry:
                events += self._close(state, choice)
                index = state.open_index = self._open(state)
                state.open_kind = kind
                details = part.provider_details
                start = ir.ThinkingPart(provider_details=details) if kind == "thinking" else ir.TextPart("", details)
                events.append(ir.PartStart(index, start, choice))
            if part.text and kind == "thinking":
                events.append(ir.ThinkingDelta(index, part.text, choice=choice))
            elif part.text:
                events.append(ir.TextDelta(index, part.text, choice))
        else:  # media and server-side tool parts: an empty text part carrying the whole wire part
            events += self._close(state, choice)
            index = self._open(state)
            events.append(ir.PartStart(index, ir.TextPart("", provider_details={NAME: {"part": raw}}), choice))
            text = part.text if isinstance(part, ir.TextPart) else ""
            if text:
                events.append(ir.TextDelta(index, text, choice))
            events.append(ir.PartEnd(index, choice))
        return events

    @staticmethod
    def _finish(state: _DecodingChoice, choice: int, raw: str) -> ir.Finish:
        state.finished = True
        entry = {"finishReason": raw, **state.candidate}
        return ir.Finish(_finish_from_wire(raw, state.has_calls), choice, provider_details={NAME: entry})


@dataclass(slots=True)
class _EncodingPart:
    part: ir.TextPart | ir.ToolCallPart | ir.ThinkingPart
    arguments: list[str] = field(default_factory=lambda: [])
    emitted: bool = False


class GeminiStreamEncoder:
    """IR stream events -> GenerateContentResponse chunk dicts (the transport writes each as ``data: <json>``).

    Text and thinking deltas go out as they come; tool calls are held until their PartEnd and sent whole (Gemini has no
    argument deltas); the final chunk, on StreamEnd, carries the finish reasons and usage."""

    def __init__(self) -> None:
        self._id = ""
        self._model = ""
        self._parts: dict[tuple[int, int], _EncodingPart] = {}
        self._has_calls: set[int] = set()
        self._finishes: dict[int, ir.Finish] = {}
        self._usage: ir.Usage | None = None
        self._encoder = _PartEncoder(for_request=False)

    def encode(self, event: ir.StreamEvent) -> list[JSONObject]:
        if isinstance(event, ir.MessageStart):
            self._id, self._model = event.id, event.model
        elif isinstance(event, ir.PartStart):
            return self._start(event)
        elif isinstance(event, (ir.TextDelta, ir.ThinkingDelta)):
            return self._delta(event)
        elif isinstance(event, ir.ToolArgumentsDelta):
            state = self._parts.get((event.choice, event.index))
            if state is not None:
                state.arguments.append(event.arguments)
        elif isinstance(event, ir.PartEnd):
            return self._end(event)
        elif isinstance(event, ir.UsageUpdate):
            self._usage = event.usage
        elif isinstance(event, ir.Finish):
            self._finishes[event.choice] = event
        else:
            return self._final()
        return []

    def _chunk(self, choice: int, parts: list[JSONObject]) -> JSONObject:
        candidate = {"content": {"role": "model", "parts": parts}, "index": choice}
        return {"candidates": [candidate], **_envelope(self._id, self._model)}

    def _start(self, event: ir.PartStart) -> list[JSONObject]:
        known = event.part.arguments if isinstance(event.part, ir.ToolCallPart) else ""
        state = _EncodingPart(event.part, [known] if known else [])
        self._parts[(event.choice, event.index)] = state
        if isinstance(event.part, ir.ToolCallPart):
            self._has_calls.add(event.choice)
        original = _gemini(event.part.provider_details).get("part")
        if isinstance(original, dict):  # a whole wire part (media, code execution): send it as it was
            state.emitted = True
            return [self._chunk(event.choice, [cast("JSONObject", original)])]
        return []

    def _delta(self, event: ir.TextDelta | ir.ThinkingDelta) -> list[JSONObject]:
        state = self._parts.get((event.choice, event.index))
        if state is None or not event.text or _gemini(state.part.provider_details).get("part"):
            return []  # a bare signature delta: another vendor's, meaningless to Gemini
        return [self._chunk(event.choice, [self._piece(state, event.text)])]

    def _piece(self, state: _EncodingPart, text: str) -> JSONObject:
        """One text or thought piece; the first piece of a part carries the part's wire extras."""
        piece: JSONObject = {"text": text}
        if isinstance(state.part, ir.ThinkingPart):
            piece["thought"] = True
        if not state.emitted:
            state.emitted = True
            entry = _gemini(state.part.provider_details)
            if _THOUGHT_SIGNATURE in entry:
                piece[_THOUGHT_SIGNATURE] = entry[_THOUGHT_SIGNATURE]
            piece.update(cast("JSONObject", entry.get("extra", {})))
        return piece

    def _end(self, event: ir.PartEnd) -> list[JSONObject]:
        state = self._parts.pop((event.choice, event.index), None)
        if state is None:
            return []
        part = state.part
        if isinstance(part, ir.ToolCallPart):
            call = ir.ToolCallPart(part.id, part.name, "".join(state.arguments), part.provider_details)
            return [self._chunk(event.choice, self._encoder.encode(call, f"choices[{event.choice}]"))]
        if not state.emitted and _gemini(part.provider_details):
            return [self._chunk(event.choice, [self._piece(state, "")])]  # e.g. a signature-only part
        return []

    def _final(self) -> list[JSONObject]:
        chunk: JSONObject = {}
        candidates: list[JSONObject] = []
        for choice, finish in sorted(self._finishes.items()):
            entry = _gemini(finish.provider_details)
            feedback = entry.get("promptFeedback")
            if isinstance(feedback, dict):
                chunk["promptFeedback"] = feedback
                continue
            candidates.append(_candidate_tail(finish.reason, choice, entry, choice in self._has_calls))
        if candidates:
            chunk["candidates"] = candidates
        if self._usage is not None:
            chunk["usageMetadata"] = _usage_to_wire(self._usage)
        self._finishes.clear()
        return [{**chunk, **_envelope(self._id, self._model)}] if chunk else []


# --------------------------------------------------------------------------------------------------------------------
# The codec.


class GeminiCodec:
    """Gemini ``generateContent`` bodies <-> IR. The model travels in the URL path, not in the body."""

    name = NAME

    def decode_request(self, body: Mapping[str, Any], *, model: str = "") -> ir.Request:
        data = _obj(_normalise(body, _REQUEST), "body")
        body_model = data.get("model")
        return _RequestDecoder(data, model or (body_model if isinstance(body_model, str) else "")).decode()

    def encode_request(self, request: ir.Request, *, model: str) -> tuple[JSONObject, list[ir.Adaptation]]:
        """The body for ``models/{model}:generateContent``; ``model`` goes in the path, so it is not used here."""
        del model
        return _RequestEncoder(request).encode()

    def decode_response(self, data: Mapping[str, Any]) -> ir.Response:
        return _decode_response(_obj(_normalise(data, _RESPONSE), "response"))

    def encode_response(self, response: ir.Response) -> JSONObject:
        return _encode_response(response)


usage_from_wire = _usage_from_wire
"""A Gemini ``usageMetadata`` object -> IR usage (used by the same-protocol stream relay)."""
