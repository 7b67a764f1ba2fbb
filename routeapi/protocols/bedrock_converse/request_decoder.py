"""Requests: ``converse`` kwargs -> IR."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final, cast

from ... import ir
from ...errors import ProtocolError
from .._checks import array as _array
from .._checks import boolean as _boolean
from .._checks import integer as _integer
from .._checks import number as _number
from .._checks import string as _string
from .block_decoder import TurnBuilder, decode_turn
from .constants import NAME, JSONObject
from .reading import as_dict, details_dict, leftovers, one_member


def _decode_system(value: object) -> ir.Message:
    turn = TurnBuilder("system", same_turn=False)
    for j, item in enumerate(_array(value, "system")):
        path = f"system[{j}]"
        block = as_dict(item, path)
        kind, text = one_member(block, path)
        if kind == "text":
            turn.parts.append(ir.TextPart(_string(text, f"{path}.text")))
        else:  # guard content and cache points
            turn.opaque.append([len(turn.parts) + len(turn.opaque), block])
    return turn.build()


def _decode_inference_config(value: object, settings: ir.GenerationSettings, notes: JSONObject) -> None:
    config = as_dict(value, "inferenceConfig")
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
    notes["inferenceConfig"] = leftovers(config, frozenset({"maxTokens", "temperature", "topP", "stopSequences"}))


def _decode_tool(value: object, path: str) -> ir.Tool:
    spec = as_dict(value, path)
    description = spec.get("description")
    strict = spec.get("strict")
    kind, schema = one_member(as_dict(spec.get("inputSchema"), f"{path}.inputSchema"), f"{path}.inputSchema")
    if kind != "json":
        raise ProtocolError(f"{path}.inputSchema: unknown member {kind!r}")
    return ir.Tool(
        name=_string(spec.get("name"), f"{path}.name"),
        description=None if description is None else _string(description, f"{path}.description"),
        parameters=as_dict(schema, f"{path}.inputSchema.json"),
        strict=None if strict is None else _boolean(strict, f"{path}.strict"),
        provider_details=details_dict(leftovers(spec, frozenset({"name", "description", "inputSchema", "strict"}))),
    )


def _decode_tool_choice(value: object) -> ir.ToolChoice:
    kind, choice = one_member(as_dict(value, "toolConfig.toolChoice"), "toolConfig.toolChoice")
    if kind == "auto":
        return "auto"
    if kind == "any":
        return "required"
    if kind == "tool":
        name = as_dict(choice, "toolConfig.toolChoice.tool").get("name")
        return ir.NamedToolChoice(_string(name, "toolConfig.toolChoice.tool.name"))
    raise ProtocolError(f"toolConfig.toolChoice: unknown member {kind!r}")


def _decode_tool_config(value: object, request: ir.Request, notes: JSONObject) -> None:
    config = as_dict(value, "toolConfig")
    opaque: list[list[Any]] = []
    for k, entry_value in enumerate(_array(config.get("tools"), "toolConfig.tools")):
        path = f"toolConfig.tools[{k}]"
        entry = as_dict(entry_value, path)
        kind, spec = one_member(entry, path)
        if kind == "toolSpec":
            request.tools.append(_decode_tool(spec, f"{path}.toolSpec"))
        else:  # system tools and cache points
            opaque.append([k, entry])
    if opaque:
        notes["opaque_tools"] = opaque
    if "toolChoice" in config:
        request.tool_choice = _decode_tool_choice(config["toolChoice"])
    rest = leftovers(config, frozenset({"tools", "toolChoice"}))
    if rest:
        notes["toolConfig"] = rest


def _decode_model_fields(value: object, request: ir.Request) -> None:
    """``top_k`` and an enabled ``thinking`` become settings; the rest stays in ``extra`` verbatim."""
    fields = as_dict(value, "additionalModelRequestFields")
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


def compact_json(value: object) -> str:
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
    config = as_dict(value, "outputConfig")
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
            if compact_json(request.response_format.schema) != text:
                notes["schema_text"] = text  # the caller's exact spelling
            return
    request.extra["outputConfig"] = config


def _decode_request_metadata(value: object, request: ir.Request) -> None:
    metadata = as_dict(value, "requestMetadata")
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


def decode_request(body: Mapping[str, Any]) -> ir.Request:
    request = ir.Request(model=_string(body.get("modelId"), "modelId"), source=NAME)
    notes: JSONObject = {}
    request.extra = leftovers(body, _MODELLED_KEYS)
    if "system" in body:
        request.messages.append(_decode_system(body["system"]))
    for i, value in enumerate(_array(body.get("messages", []), "messages")):
        message = as_dict(value, f"messages[{i}]")
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise ProtocolError(f"messages[{i}].role: expected 'user' or 'assistant', got {role!r}")
        if set(message) - {"role", "content"}:
            raise ProtocolError(f"messages[{i}]: unexpected keys {sorted(set(message) - {'role', 'content'})}")
        request.messages.extend(decode_turn(role, message.get("content"), f"messages[{i}].content"))
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
