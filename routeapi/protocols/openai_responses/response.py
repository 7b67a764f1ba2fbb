"""Responses: the response envelope, status and finish reason, and usage."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast

from ... import ir
from .._checks import Reader as _Reader

ASSISTANT_ITEMS: Final = frozenset({"message", "function_call", "reasoning"})

_INCOMPLETE_FINISH: Final[dict[str, ir.FinishReason]] = {
    "max_output_tokens": "length",
    "content_filter": "content_filter",
}
_INCOMPLETE_REASON: Final[dict[str, str]] = {
    "length": "max_output_tokens",
    "context_length": "max_output_tokens",
    "content_filter": "content_filter",
}


def response_envelope(
    response_id: str, model: str, created_at: float, status: str, output: list[Any], usage: object
) -> dict[str, Any]:
    return {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "model": model,
        "output": output,
        "usage": usage,
    }


def with_response_defaults(wire: dict[str, Any]) -> dict[str, Any]:
    """The keys the SDK's ``Response`` requires (or OpenAI always sends), where the response did not say."""
    defaults: dict[str, Any] = {
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": {},
        "parallel_tool_calls": True,
        "temperature": None,
        "tool_choice": "auto",
        "tools": [],
        "top_p": None,
    }
    for key, value in defaults.items():
        wire.setdefault(key, value)
    return wire


def has_tool_calls(parts: list[ir.Part]) -> bool:
    return any(isinstance(part, ir.ToolCallPart) for part in parts)


def finish_from_wire(status: object, incomplete: object, has_calls: bool) -> ir.FinishReason | None:
    if status == "completed":
        return "tool_calls" if has_calls else "stop"
    if status == "incomplete":
        reason = cast("Mapping[str, Any]", incomplete).get("reason") if isinstance(incomplete, Mapping) else None
        return _INCOMPLETE_FINISH.get(reason, "other") if isinstance(reason, str) else "other"
    if status in (None, "in_progress", "queued"):
        return None
    return "other"  # cancelled, and statuses to come


def wire_status(choice: ir.Choice, stored: Mapping[str, Any]) -> tuple[str, object]:
    """``status`` and ``incomplete_details`` for the choice's finish reason; as received while they still say it."""
    status, incomplete = stored.get("status"), stored.get("incomplete_details")
    has_calls = has_tool_calls(choice.message.parts)
    if isinstance(status, str) and finish_from_wire(status, incomplete, has_calls) == choice.finish_reason:
        return status, incomplete
    return finish_to_wire(choice.finish_reason)


def finish_to_wire(reason: ir.FinishReason | None) -> tuple[str, dict[str, Any] | None]:
    incomplete = _INCOMPLETE_REASON.get(reason) if reason is not None else None
    if incomplete is not None:
        return "incomplete", {"reason": incomplete}
    return "completed", None


def decode_usage(raw: Mapping[str, Any], path: str = "usage") -> ir.Usage:
    usage = _Reader(raw, path)
    inputs = usage.reader("input_tokens_details")
    outputs = usage.reader("output_tokens_details")
    return ir.Usage(
        input_tokens=usage.integer("input_tokens") or 0,
        output_tokens=usage.integer("output_tokens") or 0,
        cache_read_tokens=(inputs.integer("cached_tokens") if inputs else None) or 0,
        cache_write_tokens=(inputs.integer("cache_write_tokens") if inputs else None) or 0,
        reasoning_tokens=(outputs.integer("reasoning_tokens") if outputs else None) or 0,
    )


def encode_usage(usage: ir.Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {
            "cached_tokens": usage.cache_read_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
        },
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.total_tokens,
    }
