"""Chat Completions response pieces <-> IR: choices, finish reasons and usage (shared with the streams)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast

from ... import ir
from .._checks import Reader as _Reader
from .provider_details import codec_details, make_details, merge_missing, unread_extras
from .request_decoding import decode_message
from .request_encoding import MessageEncoder, Report

_FINISH_FROM_WIRE: Final[dict[str, ir.FinishReason]] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}
_FINISH_TO_WIRE: Final[dict[str, str]] = {
    "stop": "stop",
    "stop_sequence": "stop",
    "pause": "stop",
    "other": "stop",
    "malformed_tool_call": "stop",
    "length": "length",
    "context_length": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
}


def decode_choice(raw: object, path: str) -> ir.Choice:
    choice = _Reader(raw, path)
    index = choice.integer("index")
    message = decode_message(choice.required("message"), choice.at("message"))
    finish = choice.string("finish_reason")
    reason = None if finish is None else finish_from_wire(finish)
    logprobs = choice.take("logprobs")
    as_sent = finish_as_sent(finish, reason) if finish is not None and reason is not None else None
    extras = unread_extras(choice)
    filtered = cast("dict[str, Any] | None", extras.get("extra", {}).get("content_filter_results"))
    return ir.Choice(
        message,
        reason,
        index=0 if index is None else index,
        logprobs=logprobs,
        content_filter=filtered if reason == "content_filter" else None,
        provider_details=make_details(finish_reason=as_sent, **extras),
    )


def encode_choice(choice: ir.Choice) -> dict[str, Any]:
    mine = codec_details(choice.provider_details)
    message = MessageEncoder(Report()).assistant(choice.message, "message")
    wire: dict[str, Any] = {"index": choice.index, "message": message}
    if choice.finish_reason is not None:
        wire["finish_reason"] = finish_to_wire(choice.finish_reason, mine)
    if choice.logprobs is not None:
        wire["logprobs"] = choice.logprobs
    merge_missing(wire, mine.get("extra"))
    wire.setdefault("finish_reason", "stop")  # required by the SDK's ChatCompletion
    return wire


def finish_from_wire(reason: str) -> ir.FinishReason:
    return _FINISH_FROM_WIRE.get(reason, "other")


def finish_to_wire(reason: ir.FinishReason, details: Mapping[str, Any]) -> str:
    stored = details.get("finish_reason")
    if isinstance(stored, str) and finish_from_wire(stored) == reason:
        return stored
    return _FINISH_TO_WIRE[reason]


def finish_as_sent(wire: str, reason: ir.FinishReason) -> str | None:
    """The wire reason when the IR reason would not give it back (``function_call``, a vendor's own)."""
    return wire if _FINISH_TO_WIRE[reason] != wire else None


def decode_usage(raw: Mapping[str, Any], path: str = "usage") -> ir.Usage:
    usage = _Reader(raw, path)
    prompt_details = usage.reader("prompt_tokens_details")
    completion_details = usage.reader("completion_tokens_details")
    return ir.Usage(
        input_tokens=usage.integer("prompt_tokens") or 0,
        output_tokens=usage.integer("completion_tokens") or 0,
        cache_read_tokens=(prompt_details.integer("cached_tokens") if prompt_details else None) or 0,
        cache_write_tokens=(prompt_details.integer("cache_write_tokens") if prompt_details else None) or 0,
        reasoning_tokens=(completion_details.integer("reasoning_tokens") if completion_details else None) or 0,
    )


def encode_usage(usage: ir.Usage) -> dict[str, Any]:
    prompt_details: dict[str, Any] = {"cached_tokens": usage.cache_read_tokens}
    if usage.cache_write_tokens:
        prompt_details["cache_write_tokens"] = usage.cache_write_tokens
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": prompt_details,
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


usage_from_wire = decode_usage
"""A Chat Completions ``usage`` object -> IR usage (used by the same-protocol stream relay)."""
