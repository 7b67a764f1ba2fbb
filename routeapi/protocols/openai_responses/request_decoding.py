"""Decoding requests: the input items, tools, tool choice, output format and settings of a Responses request body
(the assistant items also serve a response's output)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal, cast

from ... import ir
from ...errors import ProtocolError
from .._checks import Reader as _Reader
from .._checks import set_if_given as _set_if_given
from ..openai_chat import parse_data_url, to_data_url
from .content import reasoning_text, stringable, summary_wire
from .json_values import decode_file_data
from .provider_details import extras, make_details, put_detail

_MESSAGE_ROLES: Final[tuple[ir.Role, ...]] = ("user", "assistant", "system", "developer")
_TOOL_CHOICE_STRINGS: Final = ("auto", "none", "required")
_FORMAT_TYPES: Final = ("text", "json_object", "json_schema")

_ContentForm = Literal["string", "parts"]


def decode_input(top: _Reader, extra: dict[str, Any], details: dict[str, Any]) -> list[ir.Message]:
    raw = top.take("input")
    if raw is None:
        details["input"] = "absent"
        return []
    if isinstance(raw, str):
        details["input"] = "string"
        return [ir.Message("user", [ir.TextPart(raw)])]
    if not isinstance(raw, list):
        raise ProtocolError("input must be a string or an array of items")
    return _InputDecoder(extra).decode(cast("list[Any]", raw))


class _InputDecoder:
    """Input items -> IR messages. Assistant-side items that follow each other form one assistant message."""

    def __init__(self, extra: dict[str, Any]) -> None:
        self._extra = extra
        self._messages: list[ir.Message] = []
        self._turn: list[ir.Part] = []

    def decode(self, items: list[Any]) -> list[ir.Message]:
        for i, raw in enumerate(items):
            path = f"input[{i}]"
            item = _Reader(raw, path)
            kind = item_type(item, path)
            if kind in ("function_call", "reasoning") or (kind == "message" and item.peek("role") == "assistant"):
                self._turn.extend(decode_assistant_item(item, kind))
            elif kind == "message":
                self._flush()
                self._messages.append(_decode_input_message(item))
            elif kind == "function_call_output":
                self._flush()
                self._messages.append(_decode_tool_output(item))
            else:  # item_reference, hosted-tool calls and outputs, future items
                self._extra[path] = dict(item.data)
        self._flush()
        return self._messages

    def _flush(self) -> None:
        if self._turn:
            self._messages.append(ir.Message("assistant", self._turn))
            self._turn = []


def item_type(item: _Reader, path: str) -> str:
    kind = item.peek("type")
    if kind is None:
        if item.has("role"):
            return "message"  # an "easy" message
        raise ProtocolError(f"{path}.type is required")
    if not isinstance(kind, str):
        raise ProtocolError(f"{path}.type must be a string")
    return kind


def _decode_input_message(item: _Reader) -> ir.Message:
    role = item.required_string("role")
    if role not in _MESSAGE_ROLES:
        raise ProtocolError(f"{item.at('role')} must be one of {', '.join(_MESSAGE_ROLES)} (got {role!r})")
    typed = item.string("type") is not None
    value = item.required("content")
    parts: list[ir.Part]
    form: _ContentForm | None = None
    if isinstance(value, str):
        parts = [ir.TextPart(value)]
    elif isinstance(value, list):
        raw_parts = cast("list[Any]", value)
        parts = [_decode_input_part(raw, item.at(f"content[{j}]")) for j, raw in enumerate(raw_parts)]
        form = "parts" if stringable(raw_parts) else None
    else:
        raise ProtocolError(f"{item.at('content')} must be a string or an array of content parts")
    details = make_details(typed=typed or None, content=form, **extras(item))
    return ir.Message(cast("ir.Role", role), parts, provider_details=details)


def _decode_input_part(raw: object, path: str) -> ir.TextPart | ir.ImagePart | ir.DocumentPart:
    part = _Reader(raw, path)
    kind = part.required_string("type")
    if kind == "input_text":
        return ir.TextPart(part.required_string("text"), provider_details=make_details(**extras(part)))
    if kind == "input_image":
        return _decode_image(part)
    if kind == "input_file":
        return _decode_file(part)
    raise ProtocolError(f"{part.at('type')}: {kind!r} is not input_text, input_image or input_file")


def _decode_image(part: _Reader) -> ir.ImagePart:
    url = part.string("image_url")
    file_id = part.string("file_id")
    if url is None and file_id is None:
        raise ProtocolError(f"{part.at('image_url')} or {part.at('file_id')} is required")
    image = ir.ImagePart(detail=part.string("detail"))
    as_sent = None
    if url is not None and url[:5].lower() == "data:":
        parsed = parse_data_url(url)
        if parsed is None:
            raise ProtocolError(f"{part.at('image_url')} is not a valid data URL")
        image.media_type, image.data = parsed
        as_sent = url if to_data_url(*parsed) != url else None
    else:
        image.url = url
    no_detail = True if not part.has("detail") else None
    image.provider_details = make_details(url=as_sent, file_id=file_id, no_detail=no_detail, **extras(part))
    return image


def _decode_file(part: _Reader) -> ir.DocumentPart:
    file_data = part.string("file_data")
    file_id = part.string("file_id")
    document = ir.DocumentPart(filename=part.string("filename"), url=part.string("file_url"))
    if file_data is None and file_id is None and document.url is None:
        raise ProtocolError(f"{part.at('file_data')}, {part.at('file_id')} or {part.at('file_url')} is required")
    as_sent = None
    if file_data is not None:
        decoded = decode_file_data(file_data)
        if decoded is None:
            raise ProtocolError(f"{part.at('file_data')} is neither a data URL nor base64")
        document.media_type, document.data = decoded
        as_sent = (
            file_data if to_data_url(document.media_type or "application/pdf", document.data) != file_data else None
        )
    unnamed = True if file_data is not None and document.filename is None else None
    document.provider_details = make_details(file_data=as_sent, file_id=file_id, unnamed=unnamed, **extras(part))
    return document


def _decode_tool_output(item: _Reader) -> ir.Message:
    item.take("type")
    call_id = item.required_string("call_id")
    value = item.required("output")
    form: _ContentForm | None = None
    content: list[ir.ContentPart]
    if isinstance(value, str):
        content = [ir.TextPart(value)]
    elif isinstance(value, list):
        raw_parts = cast("list[Any]", value)
        content = [_decode_input_part(raw, item.at(f"output[{j}]")) for j, raw in enumerate(raw_parts)]
        form = "parts" if stringable(raw_parts) else None
    else:
        raise ProtocolError(f"{item.at('output')} must be a string or an array of content parts")
    result = ir.ToolResultPart(call_id, content, provider_details=make_details(output=form, **extras(item)))
    return ir.Message("tool", [result])


def decode_assistant_item(item: _Reader, kind: str) -> list[ir.Part]:
    """A message, function call or reasoning item of the assistant (input history or response output)."""
    if kind == "function_call":
        item.take("type")
        call_id = item.required_string("call_id")
        name = item.required_string("name")
        arguments = item.required_string("arguments")
        return [ir.ToolCallPart(call_id, name, arguments, provider_details=make_details(**extras(item)))]
    if kind == "reasoning":
        return [_decode_reasoning(item)]
    role = item.required_string("role")
    if role != "assistant":
        raise ProtocolError(f"{item.at('role')} must be 'assistant' (got {role!r})")
    return _decode_assistant_message(item)


def _decode_assistant_message(item: _Reader) -> list[ir.Part]:
    """The item's parts; the first one carries the item's own wire form (``item``), which also marks where the next
    item starts when several follow each other."""
    typed = item.string("type") is not None
    value = item.required("content")
    form: str | None = None
    parts: list[ir.Part]
    if isinstance(value, str):
        parts, form = [ir.TextPart(value)], "string"
    elif isinstance(value, list):
        raws = cast("list[Any]", value)
        parts = [_decode_output_part(raw, item.at(f"content[{j}]")) for j, raw in enumerate(raws)]
        if not parts:
            parts, form = [ir.TextPart("")], "empty"
    else:
        raise ProtocolError(f"{item.at('content')} must be a string or an array of content parts")
    info = {"typed": typed or None, "content": form, **extras(item)}
    put_detail(parts[0], "item", {key: value for key, value in info.items() if value is not None})
    return parts


def _decode_output_part(raw: object, path: str) -> ir.TextPart | ir.RefusalPart:
    part = _Reader(raw, path)
    kind = part.required_string("type")
    if kind in ("output_text", "input_text"):
        text = part.required_string("text")
        wire_type = "input_text" if kind == "input_text" else None
        return ir.TextPart(text, provider_details=make_details(type=wire_type, **extras(part)))
    if kind == "refusal":
        return ir.RefusalPart(part.required_string("refusal"), provider_details=make_details(**extras(part)))
    raise ProtocolError(f"{part.at('type')}: {kind!r} is not output_text or refusal")


def _decode_reasoning(item: _Reader) -> ir.ThinkingPart:
    item.take("type")
    summary = item.required_array("summary")
    for j, raw in enumerate(summary):
        _Reader(raw, item.at(f"summary[{j}]")).required_string("text")
    content = item.array("content")
    text = reasoning_text(summary, content)
    summary_as_sent = summary if summary_wire(text) != summary else None
    return ir.ThinkingPart(
        text, provider_details=make_details(summary=summary_as_sent, content=content, **extras(item))
    )


def decode_tools(top: _Reader, request: ir.Request, details: dict[str, Any], echo: dict[str, Any]) -> None:
    tools = top.array("tools")
    if tools is None:
        return
    if not tools:
        echo["tools"] = []
        return
    hosted: list[dict[str, Any]] = []
    positions: list[int] = []
    for i, raw in enumerate(tools):
        tool = _Reader(raw, f"tools[{i}]")
        kind = tool.peek("type")
        if not isinstance(kind, str):
            raise ProtocolError(f"tools[{i}].type must be a string")
        if kind == "function":
            tool.take("type")
            name = tool.required_string("name")
            description = tool.string("description")
            parameters = tool.mapping("parameters")
            strict = tool.boolean("strict")
            details_ = make_details(**extras(tool))
            request.tools.append(ir.Tool(name, description, parameters, strict, provider_details=details_))
        else:  # built-in (hosted) tools only OpenAI runs
            hosted.append(dict(tool.data))
            positions.append(i)
    if hosted:
        request.extra["tools"] = hosted
        details["hosted_tool_positions"] = positions


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
        return  # allowed_tools, hosted-tool and future forms stay in `extra`, verbatim
    choice = top.required_reader("tool_choice")
    choice.take("type")
    request.tool_choice = ir.NamedToolChoice(choice.required_string("name"))
    details["tool_choice"] = extras(choice) or None


def decode_text(top: _Reader, request: ir.Request, details: dict[str, Any]) -> None:
    """``text.format`` -> response_format; the rest of ``text`` (``verbosity``, future formats) -> extra."""
    text = top.reader("text")
    if text is None:
        return
    raw_format = text.peek("format")
    if isinstance(raw_format, Mapping) and cast("Mapping[str, Any]", raw_format).get("type") in _FORMAT_TYPES:
        fmt = text.required_reader("format")
        kind = cast("Literal['text', 'json_object', 'json_schema']", fmt.required_string("type"))
        if kind == "json_schema":
            request.response_format = ir.ResponseFormat(
                "json_schema",
                name=fmt.required_string("name"),
                schema=fmt.mapping("schema"),
                description=fmt.string("description"),
                strict=fmt.boolean("strict"),
            )
        else:
            request.response_format = ir.ResponseFormat(kind)
        details["format"] = extras(fmt) or None
    elif raw_format is not None and not isinstance(raw_format, Mapping):
        raise ProtocolError("text.format must be an object")
    rest = text.leftovers()
    if rest or not text.data:
        request.extra["text"] = rest


def decode_settings(top: _Reader, settings: ir.GenerationSettings, details: dict[str, Any]) -> None:
    _set_if_given(settings, "max_tokens", top.integer("max_output_tokens"))
    for key in ("temperature", "top_p"):
        _set_if_given(settings, key, top.number(key))
    _set_if_given(settings, "parallel_tool_calls", top.boolean("parallel_tool_calls"))
    _set_if_given(settings, "top_logprobs", top.integer("top_logprobs"))
    _set_if_given(settings, "metadata", top.mapping("metadata"))
    user = top.string("user")
    if user is not None:
        settings.user = user
    else:  # the newer name for the same end-user identifier
        safety_identifier = top.string("safety_identifier")
        if safety_identifier is not None:
            settings.user = safety_identifier
            details["user_key"] = "safety_identifier"
    reasoning = top.reader("reasoning")
    if reasoning is not None:
        _set_if_given(settings, "reasoning_effort", reasoning.string("effort"))
        details["reasoning"] = reasoning.leftovers()  # summary and future keys
