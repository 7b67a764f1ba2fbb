"""Chat Completions request pieces -> IR: messages and their content parts, tools, tool_choice, response_format."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, Final, cast

from ... import ir
from ...errors import ProtocolError
from .._checks import Reader as _Reader
from .base64_data import b64decode_or_none, parse_data_url, to_data_url
from .content_form import ContentForm, default_form
from .provider_details import make_details, unread_extras

_ROLES: Final[tuple[ir.Role, ...]] = ("system", "developer", "user", "assistant", "tool")
_PART_TYPES: Final[dict[str, frozenset[str]]] = {
    "system": frozenset({"text"}),
    "developer": frozenset({"text"}),
    "tool": frozenset({"text"}),
    "user": frozenset({"text", "image_url", "input_audio", "file"}),
    "assistant": frozenset({"text", "refusal"}),
}
_TOOL_CHOICE_STRINGS: Final = ("auto", "none", "required")


def decode_message(raw: object, path: str) -> ir.Message:
    message = _Reader(raw, path)
    role = message.required_string("role")
    if role not in _ROLES:
        raise ProtocolError(f"{message.at('role')} must be one of {', '.join(_ROLES)} (got {role!r})")
    if role == "tool":
        return _decode_tool_message(message)
    parts, form = _decode_content(message, role)
    if role == "assistant":
        refusal = message.string("refusal")
        if refusal is not None:
            parts.append(ir.RefusalPart(refusal))
        calls = message.array("tool_calls")
        if calls:
            parts.extend(_decode_tool_call(call, message.at(f"tool_calls[{i}]")) for i, call in enumerate(calls))
        elif calls is not None:
            message.keep("tool_calls")  # an empty list says nothing: kept verbatim
    name = message.string("name")
    return ir.Message(role, parts, name, provider_details=make_details(content=form, **unread_extras(message)))


def _decode_tool_message(message: _Reader) -> ir.Message:
    tool_call_id = message.required_string("tool_call_id")
    parts, form = _decode_content(message, "tool")
    texts = [part for part in parts if isinstance(part, ir.TextPart)]
    details = make_details(content=form, **unread_extras(message))
    content: list[ir.ContentPart] = [*texts]
    return ir.Message("tool", [ir.ToolResultPart(tool_call_id, content, provider_details=details)])


def _decode_content(message: _Reader, role: ir.Role) -> tuple[list[ir.Part], ContentForm | None]:
    """The content as parts, plus its wire form when the encoder's default would not reproduce it."""
    value = message.take("content") if role == "assistant" else message.required("content")
    if isinstance(value, str):
        return [ir.TextPart(value)], None
    if value is None:  # assistant only: null is the default for no content; absence must be remembered
        if not message.has("content"):
            return [], "absent"
        message.claim("content")
        return [], None
    if isinstance(value, list):
        items = cast("list[Any]", value)
        path = message.at("content")
        parts = [_decode_part(item, f"{path}[{i}]", role) for i, item in enumerate(items)]
        return parts, (None if default_form(role, items) == "parts" else "parts")
    raise ProtocolError(f"{message.at('content')} must be a string or an array of content parts")


def _decode_part(raw: object, path: str, role: ir.Role) -> ir.Part:
    part = _Reader(raw, path)
    kind = part.required_string("type")
    if kind not in _PART_TYPES[role]:
        raise ProtocolError(f"{part.at('type')}: {kind!r} parts are not allowed in {role} messages")
    if kind == "text":
        return ir.TextPart(part.required_string("text"), provider_details=make_details(**unread_extras(part)))
    if kind == "refusal":
        text = part.required_string("refusal")
        return ir.RefusalPart(text, provider_details=make_details(in_content=True, **unread_extras(part)))
    if kind == "image_url":
        return _decode_image(part)
    if kind == "input_audio":
        audio = part.required_reader("input_audio")
        encoded = audio.required_string("data")
        data = b64decode_or_none(encoded)
        if data is None:
            raise ProtocolError(f"{audio.at('data')} is not valid base64")
        audio_format = audio.required_string("format")
        as_sent = encoded if base64.b64encode(data).decode("ascii") != encoded else None
        return ir.AudioPart(
            data, audio_format, provider_details=make_details(data=as_sent, **unread_extras(part, audio))
        )
    return _decode_file(part)


def _decode_image(part: _Reader) -> ir.ImagePart:
    image = part.required_reader("image_url")
    url = image.required_string("url")
    detail = image.string("detail")
    if url[:5].lower() != "data:":
        return ir.ImagePart(url=url, detail=detail, provider_details=make_details(**unread_extras(part, image)))
    parsed = parse_data_url(url)
    if parsed is None:
        raise ProtocolError(f"{image.at('url')} is not a valid data URL")
    media_type, data = parsed
    as_sent = url if to_data_url(media_type, data) != url else None
    details = make_details(url=as_sent, **unread_extras(part, image))
    return ir.ImagePart(data=data, media_type=media_type, detail=detail, provider_details=details)


def _decode_file(part: _Reader) -> ir.DocumentPart:
    file = part.required_reader("file")
    document = ir.DocumentPart(filename=file.string("filename"))
    file_data = file.string("file_data")
    as_sent = None
    if file_data is not None:
        decoded = decode_file_data(file_data)
        if decoded is None:
            raise ProtocolError(f"{file.at('file_data')} is neither a data URL nor base64")
        document.media_type, document.data = decoded
        if to_data_url(document.media_type or "application/pdf", document.data) != file_data:
            as_sent = file_data
    file_id = file.string("file_id")
    unnamed = True if file_data is not None and document.filename is None else None
    details = make_details(file_data=as_sent, file_id=file_id, unnamed=unnamed, **unread_extras(part, file))
    document.provider_details = details
    return document


def decode_file_data(value: str) -> tuple[str | None, bytes] | None:
    """``file_data`` is normally a data URL; plain base64 is accepted too."""
    if value[:5].lower() == "data:":
        return parse_data_url(value)
    data = b64decode_or_none(value)
    return None if data is None else (None, data)


def _decode_tool_call(raw: object, path: str) -> ir.ToolCallPart:
    call = _Reader(raw, path)
    call_id = call.required_string("id")
    kind = call.required_string("type")
    if kind not in ("function", "custom"):
        raise ProtocolError(f"{call.at('type')} must be 'function' or 'custom' (got {kind!r})")
    body = call.required_reader(kind)
    name = body.required_string("name")
    arguments = body.required_string("arguments" if kind == "function" else "input")
    details = make_details(type="custom" if kind == "custom" else None, **unread_extras(call, body))
    return ir.ToolCallPart(call_id, name, arguments, provider_details=details)


def decode_tool(raw: object, path: str) -> ir.Tool:
    tool = _Reader(raw, path)
    kind = tool.required_string("type")
    if kind not in ("function", "custom"):
        raise ProtocolError(f"{tool.at('type')} must be 'function' or 'custom' (got {kind!r})")
    body = tool.required_reader(kind)
    name = body.required_string("name")
    description = body.string("description")
    if kind == "custom":  # format and the like stay in provider_details
        details = make_details(type="custom", **unread_extras(tool, body))
        return ir.Tool(name, description, provider_details=details)
    parameters = body.mapping("parameters")
    strict = body.boolean("strict")
    return ir.Tool(name, description, parameters, strict, provider_details=make_details(**unread_extras(tool, body)))


def decode_tool_choice(top: _Reader, request: ir.Request, details: dict[str, Any]) -> None:
    raw = top.peek("tool_choice")
    if raw is None:
        return
    if isinstance(raw, str):
        if raw not in _TOOL_CHOICE_STRINGS:
            raise ProtocolError(f"tool_choice must be one of {', '.join(_TOOL_CHOICE_STRINGS)} or an object")
        top.take("tool_choice")
        request.tool_choice = cast("ir.ToolChoice", raw)
        return
    if not isinstance(raw, Mapping):
        raise ProtocolError("tool_choice must be a string or an object")
    if cast("Mapping[str, Any]", raw).get("type") != "function":
        return  # allowed_tools, custom and future forms stay in `extra`, verbatim
    choice = top.required_reader("tool_choice")
    choice.take("type")
    function = choice.required_reader("function")
    request.tool_choice = ir.NamedToolChoice(function.required_string("name"))
    details["tool_choice"] = unread_extras(choice, function) or None


def decode_response_format(top: _Reader, request: ir.Request, details: dict[str, Any]) -> None:
    raw = top.peek("response_format")
    if raw is None:
        return
    if not isinstance(raw, Mapping):
        raise ProtocolError("response_format must be an object")
    kind = cast("Mapping[str, Any]", raw).get("type")
    if kind not in ("text", "json_object", "json_schema"):
        if not isinstance(kind, str):
            raise ProtocolError("response_format.type must be a string")
        return  # a future format: kept in `extra`, verbatim
    response_format = top.required_reader("response_format")
    response_format.take("type")
    if kind != "json_schema":
        request.response_format = ir.ResponseFormat(kind)
        details["response_format"] = unread_extras(response_format) or None
        return
    schema = response_format.required_reader("json_schema")
    request.response_format = ir.ResponseFormat(
        "json_schema",
        name=schema.required_string("name"),
        schema=schema.mapping("schema"),
        description=schema.string("description"),
        strict=schema.boolean("strict"),
    )
    details["response_format"] = unread_extras(response_format, schema) or None
