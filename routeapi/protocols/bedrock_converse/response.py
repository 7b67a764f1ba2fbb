"""Responses: ``converse`` results <-> IR, with the usage and stop reason mappings the stream codecs share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast

from ... import ir
from ...errors import ProtocolError
from .._checks import array as _array
from .._checks import count as _count
from .._checks import string as _string
from .block_decoder import TurnBuilder
from .block_encoder import BlockEncoder
from .constants import OPAQUE_BLOCKS, JSONObject
from .reading import as_dict, details_dict, leftovers, new_id, own_details

STOP_REASON_TO_IR: Final[dict[str, ir.FinishReason]] = {
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


def usage_from_wire(usage: Mapping[str, Any]) -> ir.Usage:
    cache_read = _count(usage.get("cacheReadInputTokens"))
    cache_write = _count(usage.get("cacheWriteInputTokens"))
    # Bedrock reports cached tokens apart from inputTokens; the IR's input total includes them.
    return ir.Usage(
        input_tokens=_count(usage.get("inputTokens")) + cache_read + cache_write,
        output_tokens=_count(usage.get("outputTokens")),
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
    )


def usage_to_wire(usage: ir.Usage | None, extras: Mapping[str, Any] | None = None) -> JSONObject:
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
    extras = leftovers(usage, modelled)
    for key in ("cacheReadInputTokens", "cacheWriteInputTokens"):
        if key in usage and not usage[key]:
            extras[key] = usage[key]
    if "totalTokens" in usage and usage["totalTokens"] != usage_to_wire(usage_from_wire(usage))["totalTokens"]:
        extras["totalTokens"] = usage["totalTokens"]
    return extras


def finish_details(wire: str, reason: ir.FinishReason) -> JSONObject:
    """The wire stop reason, kept when the IR reason would encode back to another one."""
    return {} if _FINISH_TO_WIRE[reason] == wire else {"stopReason": wire}


def wire_stop_reason(reason: ir.FinishReason, details: Mapping[str, Any]) -> str:
    kept = details.get("stopReason")
    if isinstance(kept, str) and STOP_REASON_TO_IR.get(kept, "other") == reason:
        return kept
    return _FINISH_TO_WIRE[reason]


_RESPONSE_KEYS: Final = frozenset({"output", "stopReason", "usage", "ResponseMetadata"})


def decode_response(data: Mapping[str, Any]) -> ir.Response:
    output = as_dict(data.get("output"), "output")
    message = as_dict(output.get("message"), "output.message")
    if message.get("role") != "assistant":
        raise ProtocolError(f"output.message.role: expected 'assistant', got {message.get('role')!r}")
    turn = TurnBuilder("assistant", same_turn=False)
    for j, value in enumerate(_array(message.get("content"), "output.message.content")):
        path = f"output.message.content[{j}]"
        turn.add(as_dict(value, path), path)
    finish: ir.FinishReason | None = None
    choice_details: JSONObject = {}
    if data.get("stopReason") is not None:
        wire_reason = _string(data["stopReason"], "stopReason")
        finish = STOP_REASON_TO_IR.get(wire_reason, "other")
        choice_details = finish_details(wire_reason, finish)
    extras = leftovers(data, _RESPONSE_KEYS)
    usage: ir.Usage | None = None
    if data.get("usage") is not None:
        wire_usage = as_dict(data["usage"], "usage")
        usage = usage_from_wire(wire_usage)
        usage_extras = _usage_extras(wire_usage)
        if usage_extras:
            extras["usage"] = usage_extras
    metadata = data.get("ResponseMetadata")
    request_id = cast("Mapping[str, Any]", metadata).get("RequestId") if isinstance(metadata, Mapping) else None
    if not isinstance(request_id, str) or not request_id:
        request_id = new_id()
        extras["generated_id"] = True
    choice = ir.Choice(turn.build(), finish_reason=finish, provider_details=details_dict(choice_details))
    return ir.Response(id=request_id, model="", choices=[choice], usage=usage, provider_details=details_dict(extras))


def encode_response(response: ir.Response) -> JSONObject:
    extras = own_details(response.provider_details)
    generated_id = extras.pop("generated_id", False)
    usage = usage_to_wire(response.usage, cast("JSONObject", extras.pop("usage", {})))
    choice = response.choices[0] if response.choices else None
    blocks: list[JSONObject] = []
    stop_reason = "end_turn"
    if choice is not None:
        encoder = BlockEncoder([], same_source=True)
        opaque = own_details(choice.message.provider_details).get(OPAQUE_BLOCKS)
        blocks = encoder.blocks(choice.message.parts, "content", opaque)
        if choice.finish_reason is not None:
            stop_reason = wire_stop_reason(choice.finish_reason, own_details(choice.provider_details))
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
