"""Anthropic request bodies -> IR requests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from ... import ir
from ...errors import ProtocolError
from .._checks import array as _array
from .._checks import boolean as _boolean
from .._checks import integer as _integer
from .._checks import number as _number
from .._checks import string as _string
from .block_decoder import decode_text, decode_turn
from .shared import NAME, STRING_CONTENT, JSONObject, block_type, details_dict, extra_keys, json_object


def _decode_system(value: object) -> ir.Message:
    if isinstance(value, str):
        return ir.Message("system", [ir.TextPart(value)], provider_details=details_dict({STRING_CONTENT: True}))
    parts: list[ir.Part] = []
    for j, item in enumerate(_array(value, "system")):
        block = json_object(item, f"system[{j}]")
        kind = block_type(block, f"system[{j}]")
        if kind != "text":
            raise ProtocolError(f"system[{j}].type: system blocks must be text, got {kind!r}")
        parts.append(decode_text(block, f"system[{j}]"))
    return ir.Message("system", parts)


def _decode_tool(value: object, path: str) -> ir.Tool:
    tool = json_object(value, path)
    description = tool.get("description")
    strict = tool.get("strict")
    return ir.Tool(
        name=_string(tool.get("name"), f"{path}.name"),
        description=None if description is None else _string(description, f"{path}.description"),
        parameters=json_object(tool.get("input_schema"), f"{path}.input_schema"),
        strict=None if strict is None else _boolean(strict, f"{path}.strict"),
        provider_details=details_dict(extra_keys(tool, frozenset({"name", "description", "input_schema", "strict"}))),
    )


def _is_server_tool(tool: object) -> bool:
    return isinstance(tool, dict) and cast("JSONObject", tool).get("type") not in (None, "custom")


def _decode_tool_choice(value: object, request: ir.Request, notes: JSONObject) -> None:
    choice = json_object(value, "tool_choice")
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
    extras = extra_keys(choice, frozenset({"type", "name", "disable_parallel_tool_use"}))
    if extras:
        notes["tool_choice"] = extras


def _decode_thinking_config(value: object, request: ir.Request, notes: JSONObject) -> None:
    thinking = json_object(value, "thinking")
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
    config = json_object(value, "output_config")
    output_format = config.get("format")
    if isinstance(output_format, dict):
        fmt = cast("JSONObject", output_format)
        if set(fmt) == {"type", "schema"} and fmt["type"] == "json_schema" and isinstance(fmt["schema"], dict):
            request.response_format = ir.ResponseFormat("json_schema", schema=cast("JSONObject", fmt["schema"]))
            rest = extra_keys(config, frozenset({"format"}))
            if rest:
                request.extra["output_config"] = rest
            return
    request.extra["output_config"] = config


def _decode_metadata(value: object, request: ir.Request, notes: JSONObject) -> None:
    metadata = json_object(value, "metadata")
    user_id = metadata.get("user_id")
    if isinstance(user_id, str):
        request.settings.user = user_id
        rest = extra_keys(metadata, frozenset({"user_id"}))
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


def decode_request(body: Mapping[str, Any]) -> ir.Request:
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
        message = json_object(value, f"messages[{i}]")
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise ProtocolError(f"messages[{i}].role: expected 'user' or 'assistant', got {role!r}")
        if set(message) - {"role", "content"}:
            raise ProtocolError(f"messages[{i}]: unexpected keys {sorted(set(message) - {'role', 'content'})}")
        request.messages.extend(decode_turn(role, message.get("content"), f"messages[{i}].content"))
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
