"""Anthropic response bodies <-> IR responses: stop reasons, usage and the message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from ... import ir
from .._checks import array as _array
from .._checks import count as _count
from .._checks import string as _string
from .block_decoder import decode_turn
from .block_encoder import BlockEncoder
from .shared import OPAQUE_BLOCKS, JSONObject, details_dict, extra_keys, json_object, own_details

STOP_REASON_TO_IR: dict[str, ir.FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop_sequence",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "pause",
    "model_context_window_exceeded": "context_length",
}
FINISH_TO_WIRE: dict[ir.FinishReason, str] = {
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


def usage_from_wire(usage: Mapping[str, Any]) -> ir.Usage:
    """An Anthropic ``usage`` object -> IR usage (used by the same-protocol stream relay too)."""
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


def usage_to_wire(usage: ir.Usage | None) -> JSONObject:
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
RESPONSE_KEYS = frozenset({"id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"})


def _usage_extras(usage: Mapping[str, Any]) -> JSONObject:
    """Usage keys the IR does not hold, plus cache counts sent as null (restored only while they stay 0)."""
    extras = extra_keys(usage, _USAGE_COUNTS)
    for key in ("cache_creation_input_tokens", "cache_read_input_tokens"):
        if key in usage and usage[key] is None:
            extras[key] = None
    return extras


def decode_response(data: Mapping[str, Any]) -> ir.Response:
    message = decode_turn("assistant", _array(data.get("content"), "content"), "content")[0]
    stop_reason = data.get("stop_reason")
    finish: ir.FinishReason | None = None
    if stop_reason is not None:
        finish = STOP_REASON_TO_IR.get(_string(stop_reason, "stop_reason"), "other")
    stop_sequence = data.get("stop_sequence")
    extras = extra_keys(data, RESPONSE_KEYS)
    usage: ir.Usage | None = None
    if data.get("usage") is not None:
        wire_usage = json_object(data["usage"], "usage")
        usage = usage_from_wire(wire_usage)
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
        provider_details=details_dict(extras),
    )


# Parts a Message's content can hold; others (images a model generated...) have no Anthropic block.
_RESPONSE_PART_TYPES = (ir.TextPart, ir.ToolCallPart, ir.ThinkingPart, ir.RefusalPart)


def encode_response(response: ir.Response) -> JSONObject:
    extras = own_details(response.provider_details)
    usage = usage_to_wire(response.usage)
    for key, value in cast("JSONObject", extras.pop("usage", {})).items():
        if value is not None or usage.get(key) == 0:
            usage[key] = value
    choice = response.choices[0] if response.choices else None
    blocks: list[JSONObject] = []
    if choice is not None:
        encoder = BlockEncoder([], same_source=True, for_response=True)
        opaque = own_details(choice.message.provider_details).get(OPAQUE_BLOCKS)
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
        "stop_reason": None if finish is None else FINISH_TO_WIRE[finish],
        "stop_sequence": choice.stop_sequence if choice is not None else None,
        "usage": usage,
        **extras,
    }
