"""Responses: ``generateContent`` response bodies <-> IR, with their finish reasons and usage."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, cast

from ... import ir
from .call_ids import CallLedger
from .errors import error_from_body
from .json_access import NAME, JSONObject, as_int, as_list, as_object, as_str, gemini_entry, provider_details
from .key_normalisation import RESPONSE_SPEC, normalise
from .part_decoder import decode_parts, leftover_fields
from .part_encoder import PartEncoder

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


def finish_from_wire(reason: str, has_calls: bool) -> ir.FinishReason:
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
    if isinstance(raw, str) and finish_from_wire(raw, has_calls) == reason:
        return raw
    return _FINISH_TO_WIRE[reason]


def usage_from_wire(usage: JSONObject) -> ir.Usage:
    """A Gemini ``usageMetadata`` object -> IR usage (also used by the same-protocol stream relay)."""

    def count(key: str) -> int:
        return as_int(usage.get(key, 0), f"usageMetadata.{key}")

    thoughts = count("thoughtsTokenCount")
    return ir.Usage(
        input_tokens=count("promptTokenCount") + count("toolUsePromptTokenCount"),
        output_tokens=count("candidatesTokenCount") + thoughts,
        cache_read_tokens=count("cachedContentTokenCount"),
        reasoning_tokens=thoughts,
    )


def usage_to_wire(usage: ir.Usage) -> JSONObject:
    wire: JSONObject = {"promptTokenCount": usage.input_tokens}
    if usage.output_tokens > usage.reasoning_tokens:  # Gemini leaves the count out until candidates have tokens
        wire["candidatesTokenCount"] = usage.output_tokens - usage.reasoning_tokens
    wire["totalTokenCount"] = usage.input_tokens + usage.output_tokens
    if usage.reasoning_tokens > 0:
        wire["thoughtsTokenCount"] = usage.reasoning_tokens
    if usage.cache_read_tokens > 0:
        wire["cachedContentTokenCount"] = usage.cache_read_tokens
    return wire


def synthetic_response_id() -> str:
    return f"gemini-{uuid.uuid4().hex}"


def blocked_feedback(data: JSONObject) -> JSONObject | None:
    feedback = data.get("promptFeedback")
    if data.get("candidates") or not isinstance(feedback, dict):
        return None
    feedback = cast("JSONObject", feedback)
    return feedback if feedback.get("blockReason") else None


def prompt_block(data: Mapping[str, Any]) -> JSONObject | None:
    """The ``promptFeedback`` of a response whose prompt was blocked (no candidates, a ``blockReason``), else None."""
    return blocked_feedback(as_object(normalise(data, RESPONSE_SPEC), "response"))


def blocked_choice(feedback: JSONObject) -> ir.Choice:
    entry = {"blockReason": feedback["blockReason"], "promptFeedback": feedback}
    categories = {"blockReason": feedback["blockReason"], "safetyRatings": feedback.get("safetyRatings", [])}
    return ir.Choice(
        ir.Message("assistant", []), "content_filter", content_filter=categories, provider_details={NAME: entry}
    )


def _decode_candidate(candidate: JSONObject, position: int, ledger: CallLedger) -> ir.Choice:
    where = f"candidates[{position}]"
    content = candidate.get("content")
    parts = decode_parts(as_object(content, f"{where}.content"), f"{where}.content", ledger, 0) if content else []
    message = ir.Message("assistant", parts)
    entry = leftover_fields(candidate, ("content", "index"))
    raw_reason = candidate.get("finishReason")
    reason = None
    if raw_reason is not None:
        reason = finish_from_wire(as_str(raw_reason, f"{where}.finishReason"), bool(message.tool_calls))
    index = as_int(candidate.get("index", position), f"{where}.index")
    filtered = None
    if reason == "content_filter":
        filtered = {"finishReason": raw_reason, "safetyRatings": candidate.get("safetyRatings", [])}
    return ir.Choice(message, reason, index, content_filter=filtered, provider_details=provider_details(entry))


def decode_response(data: JSONObject) -> ir.Response:
    if "error" in data:
        raise error_from_body(None, data)
    ledger = CallLedger()
    candidates = as_list(data.get("candidates", []), "candidates")
    choices = [_decode_candidate(as_object(c, f"candidates[{i}]"), i, ledger) for i, c in enumerate(candidates)]
    entry: JSONObject = {}
    feedback = blocked_feedback(data)
    if feedback is not None:
        choices = [blocked_choice(feedback)]
    elif "promptFeedback" in data:
        entry["promptFeedback"] = data["promptFeedback"]
    usage = None
    if "usageMetadata" in data:
        raw_usage = as_object(data["usageMetadata"], "usageMetadata")
        usage = usage_from_wire(raw_usage)
        if usage_to_wire(usage) != raw_usage:
            entry["usageMetadata"] = raw_usage  # token details etc., for the way back
    response_id = data.get("responseId")
    if response_id is None:
        entry["syntheticId"] = True
    extra = leftover_fields(data, ("candidates", "promptFeedback", "usageMetadata", "responseId", "modelVersion"))
    if extra:
        entry["extra"] = extra
    return ir.Response(
        id=as_str(response_id, "responseId") if response_id is not None else synthetic_response_id(),
        model=as_str(data.get("modelVersion", ""), "modelVersion"),
        choices=choices,
        usage=usage,
        provider_details=provider_details(entry),
    )


def response_envelope(response_id: str, model: str, *, synthetic_id: bool = False) -> JSONObject:
    envelope: JSONObject = {}
    if not synthetic_id:
        envelope["responseId"] = response_id
    if model:
        envelope["modelVersion"] = model
    return envelope


def _encode_usage(usage: ir.Usage, details: JSONObject) -> JSONObject:
    original = details.get("usageMetadata")
    if isinstance(original, dict) and usage_from_wire(cast("JSONObject", original)) == usage:
        return cast("JSONObject", original)
    return usage_to_wire(usage)


def candidate_tail(reason: ir.FinishReason | None, index: int, entry: JSONObject, has_calls: bool) -> JSONObject:
    """The non-content fields of a candidate: finishReason, index and the wire fields kept on decode."""
    tail: JSONObject = {}
    if reason is not None:
        tail["finishReason"] = _finish_to_wire(reason, entry.get("finishReason"), has_calls)
    tail["index"] = index
    tail.update({key: value for key, value in entry.items() if key not in _CHOICE_INTERNAL_KEYS})
    return tail


def encode_response(response: ir.Response) -> JSONObject:
    details = gemini_entry(response.provider_details)
    body = response_envelope(response.id, response.model, synthetic_id=bool(details.get("syntheticId")))
    parts = PartEncoder(for_request=False)
    only = response.choices[0] if len(response.choices) == 1 else None
    blocked = gemini_entry(only.provider_details).get("promptFeedback") if only and not only.message.parts else None
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
            entry = gemini_entry(choice.provider_details)
            candidate.update(candidate_tail(choice.finish_reason, choice.index, entry, has_calls))
            candidates.append(candidate)
        body["candidates"] = candidates
        if "promptFeedback" in details:
            body["promptFeedback"] = details["promptFeedback"]
    if response.usage is not None:
        body["usageMetadata"] = _encode_usage(response.usage, details)
    body.update(cast("JSONObject", details.get("extra", {})))
    return body
