"""Hypothesis strategies: IR requests, responses and stream event sequences, and arbitrary JSON and SSE bytes.

IR values are built as coherent conversations (tool results answer the calls of the turn before, a named tool
choice names a declared tool), since a codec may rightly refuse an incoherent one. ``Profile`` says which IR
features a codec models, so each round-trip test generates only what its codec can carry.
"""

from __future__ import annotations

import json
import os
import string
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from routeapi import ir

_EXPLORE = int(os.environ.get("ROUTEAPI_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=_EXPLORE or 40,
    derandomize=not _EXPLORE,  # the same examples on every CI run, so a failure reproduces
    deadline=None,  # per-call time is bounded by the tests themselves
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
"""The fuzz suite's settings: a fixed size and fixed examples, so the suite takes about a minute in CI.
``ROUTEAPI_FUZZ_EXAMPLES=5000`` explores instead: that many random examples per test, new ones each run."""

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 8
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"

# -- plain values -----------------------------------------------------------------------------------------------------
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30)
words = st.text(string.ascii_letters + string.digits + " .,!?", min_size=1, max_size=20).filter(str.strip)
names = st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True)
ids = st.from_regex(r"call_[A-Za-z0-9]{4,12}", fullmatch=True)

json_scalars = st.none() | st.booleans() | st.integers(-(2**31), 2**31) | texts
json_floats = st.floats(allow_nan=False, allow_infinity=False, width=32)
json_values: st.SearchStrategy[Any] = st.recursive(
    json_scalars | json_floats,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=12,
)
"""Any JSON value (what ``json.loads`` can return)."""

json_objects = st.dictionaries(names, json_scalars | st.lists(json_scalars, max_size=3), max_size=4)
"""A JSON object with simple keys: tool arguments and results."""


@st.composite
def json_schemas(draw: st.DrawFn) -> dict[str, Any]:
    """A small JSON Schema object with typed properties, as tools and response formats carry."""
    properties = draw(
        st.dictionaries(
            names,
            st.sampled_from(["string", "integer", "number", "boolean"]).map(lambda t: {"type": t}),
            min_size=1,
            max_size=4,
        )
    )
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if draw(st.booleans()):
        schema["required"] = sorted(properties)[:1]
    return schema


# -- what a codec models --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Profile:
    """The IR features a codec can carry through its wire format and back."""

    thinking: bool = True
    images_by_url: bool = True
    documents: bool = True
    audio: bool = False
    image_detail: bool = False
    message_names: bool = False
    tool_result_errors: bool = True
    tool_result_images: bool = True
    settings: frozenset[str] = frozenset()
    required_settings: frozenset[str] = frozenset()
    """Settings a request decoded from this protocol always has (Anthropic's max_tokens)."""
    tool_choices: tuple[str, ...] = ("auto", "none", "required", "named")
    response_formats: tuple[str, ...] = ("json_object", "json_schema")
    system_anywhere: bool = False


def _image(draw: st.DrawFn, profile: Profile) -> ir.ImagePart:
    detail = draw(st.sampled_from([None, "low", "high", "auto"])) if profile.image_detail else None
    if profile.images_by_url and draw(st.booleans()):
        return ir.ImagePart(url=f"https://img.example.com/{draw(names)}.png", detail=detail)
    data, media_type = draw(st.sampled_from([(PNG, "image/png"), (JPEG, "image/jpeg")]))
    return ir.ImagePart(data=data, media_type=media_type, detail=detail)


@st.composite
def user_parts(draw: st.DrawFn, profile: Profile) -> list[ir.Part]:
    parts: list[ir.Part] = [ir.TextPart(draw(texts))]
    for kind in draw(st.lists(st.sampled_from(["text", "image", "document", "audio"]), max_size=3)):
        if kind == "text":
            parts.append(ir.TextPart(draw(texts)))
        elif kind == "image":
            parts.append(_image(draw, profile))
        elif kind == "document" and profile.documents:
            parts.append(ir.DocumentPart(data=PDF, media_type="application/pdf", filename=f"{draw(names)}.pdf"))
        elif kind == "audio" and profile.audio:
            parts.append(ir.AudioPart(data=b"RIFF\x00\x00\x00\x00WAVE", format="wav"))
    return parts


@st.composite
def assistant_parts(draw: st.DrawFn, profile: Profile, tool_names: list[str]) -> list[ir.Part]:
    parts: list[ir.Part] = []
    if profile.thinking and draw(st.booleans()):
        parts.append(ir.ThinkingPart(draw(texts), signature=draw(st.from_regex(r"sig[A-Za-z0-9]{4}", fullmatch=True))))
    if draw(st.booleans()) or not tool_names:
        parts.append(ir.TextPart(draw(texts)))
    if tool_names:
        for name in draw(st.lists(st.sampled_from(tool_names), max_size=2)):
            arguments = json.dumps(draw(json_objects), ensure_ascii=False)
            parts.append(ir.ToolCallPart(draw(ids), name, arguments))
    if not any(isinstance(p, (ir.TextPart, ir.ToolCallPart)) for p in parts):
        parts.append(ir.TextPart(draw(texts)))  # a turn of reasoning alone is not a turn
    return parts


def _unique_call_ids(parts: list[ir.Part], used: set[str]) -> None:
    for part in parts:
        if isinstance(part, ir.ToolCallPart):
            while part.id in used:
                part.id += "x"
            used.add(part.id)


@st.composite
def conversations(draw: st.DrawFn, profile: Profile, tool_names: list[str]) -> list[ir.Message]:
    messages: list[ir.Message] = []
    if draw(st.booleans()):
        messages.append(ir.Message("system", [ir.TextPart(draw(texts))]))
    used: set[str] = set()
    for _ in range(draw(st.integers(0, 2))):
        name = draw(st.none() | names) if profile.message_names else None
        messages.append(ir.Message("user", draw(user_parts(profile)), name=name))
        reply = draw(assistant_parts(profile, tool_names))
        _unique_call_ids(reply, used)
        messages.append(ir.Message("assistant", reply))
        for call in (p for p in reply if isinstance(p, ir.ToolCallPart)):
            content: list[ir.ContentPart] = [ir.TextPart(draw(texts))]
            if profile.tool_result_images and draw(st.booleans()):
                content.append(ir.ImagePart(data=PNG, media_type="image/png"))
            is_error = draw(st.booleans()) if profile.tool_result_errors else False
            messages.append(ir.Message("tool", [ir.ToolResultPart(call.id, content, is_error, name=call.name)]))
        if profile.system_anywhere and draw(st.booleans()):
            messages.append(ir.Message(draw(st.sampled_from(["system", "developer"])), [ir.TextPart(draw(texts))]))
    messages.append(ir.Message("user", draw(user_parts(profile))))
    return messages


_SETTINGS: dict[str, st.SearchStrategy[Any]] = {
    "max_tokens": st.integers(0, 100_000),
    "temperature": st.sampled_from([0.0, 0.5, 1.0]),
    "top_p": st.sampled_from([0.0, 0.25, 1.0]),
    "top_k": st.integers(0, 100),
    "stop": st.lists(words, min_size=1, max_size=3),
    "seed": st.integers(0, 2**31),
    "presence_penalty": st.sampled_from([0.0, -1.5, 2.0]),
    "frequency_penalty": st.sampled_from([0.0, 0.5, -2.0]),
    "n": st.integers(1, 4),
    "logprobs": st.booleans(),
    "top_logprobs": st.integers(0, 20),
    "logit_bias": st.dictionaries(
        st.from_regex(r"[1-9][0-9]{0,4}", fullmatch=True), st.sampled_from([-100.0, 0.0, 5.0]), min_size=1, max_size=2
    ),
    "parallel_tool_calls": st.booleans(),
    "reasoning_effort": st.sampled_from(["minimal", "low", "medium", "high"]),
    "reasoning_budget": st.integers(0, 8192),
    "user": words,
    "metadata": st.dictionaries(names, words, min_size=1, max_size=2),
}


@st.composite
def generation_settings(
    draw: st.DrawFn, allowed: frozenset[str], required: frozenset[str] = frozenset()
) -> ir.GenerationSettings:
    """Some of the ``allowed`` settings and all the ``required`` ones, explicit zeros and False included."""
    chosen = draw(st.lists(st.sampled_from(sorted(allowed)), unique=True)) if allowed else []
    chosen += sorted(required - set(chosen))
    return ir.GenerationSettings(**{name: draw(_SETTINGS[name]) for name in chosen})


@st.composite
def tools(draw: st.DrawFn) -> list[ir.Tool]:
    chosen = draw(st.lists(names, unique=True, max_size=3))
    return [ir.Tool(name, draw(st.none() | words), draw(json_schemas())) for name in chosen]


@st.composite
def requests(draw: st.DrawFn, profile: Profile, source: str) -> ir.Request:
    """A coherent request as if decoded from ``source``'s protocol."""
    declared = draw(tools())
    tool_names = [t.name for t in declared]
    request = ir.Request(
        "model-x",
        draw(conversations(profile, tool_names)),
        tools=declared,
        settings=draw(generation_settings(profile.settings, profile.required_settings)),
        source=source,
    )
    choices = [c for c in profile.tool_choices if c != "named" or tool_names]
    if declared and choices and draw(st.booleans()):
        choice = draw(st.sampled_from(choices))
        request.tool_choice = ir.NamedToolChoice(draw(st.sampled_from(tool_names))) if choice == "named" else choice  # type: ignore[assignment]
    if profile.response_formats and draw(st.booleans()):
        kind = draw(st.sampled_from(profile.response_formats))
        request.response_format = (
            ir.ResponseFormat("json_schema", name=draw(names), schema=draw(json_schemas()))
            if kind == "json_schema"
            else ir.ResponseFormat("json_object")
        )
    return request


# -- responses and streams ----------------------------------------------------------------------------------------
FINISH_REASONS: tuple[ir.FinishReason, ...] = ("stop", "length", "tool_calls", "content_filter")


@st.composite
def usages(draw: st.DrawFn) -> ir.Usage:
    cache_read = draw(st.integers(0, 500))
    cache_write = draw(st.integers(0, 500))
    reasoning = draw(st.integers(0, 500))
    return ir.Usage(
        input_tokens=cache_read + cache_write + draw(st.integers(1, 5000)),
        output_tokens=reasoning + draw(st.integers(0, 5000)),
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        reasoning_tokens=reasoning,
    )


@st.composite
def responses(draw: st.DrawFn, profile: Profile) -> ir.Response:
    """A one-choice assistant answer with usage."""
    tool_names = draw(st.lists(names, unique=True, max_size=2))
    parts = draw(assistant_parts(profile, tool_names))
    _unique_call_ids(parts, set())
    calls = any(isinstance(p, ir.ToolCallPart) for p in parts)
    reason: ir.FinishReason = "tool_calls" if calls else draw(st.sampled_from(["stop", "length"]))
    return ir.Response(
        id=draw(st.from_regex(r"resp_[a-z0-9]{6}", fullmatch=True)),
        model="model-x",
        choices=[ir.Choice(ir.Message("assistant", parts), reason)],
        usage=draw(usages()),
    )


def events_of(response: ir.Response) -> list[ir.StreamEvent]:
    """The well-formed event sequence of a one-choice response, text split in small deltas."""
    events: list[ir.StreamEvent] = [ir.MessageStart(response.id, response.model)]
    for index, part in enumerate(response.message.parts):
        if isinstance(part, ir.TextPart):
            events.append(ir.PartStart(index, ir.TextPart("")))
            events += [ir.TextDelta(index, part.text[i : i + 3]) for i in range(0, len(part.text), 3)]
        elif isinstance(part, ir.ThinkingPart):
            events.append(ir.PartStart(index, ir.ThinkingPart("")))
            events += [ir.ThinkingDelta(index, part.text[i : i + 3]) for i in range(0, len(part.text), 3)]
            events.append(ir.ThinkingDelta(index, "", signature=part.signature))
        elif isinstance(part, ir.ToolCallPart):
            events.append(ir.PartStart(index, ir.ToolCallPart(part.id, part.name, "")))
            half = len(part.arguments) // 2
            events += [
                ir.ToolArgumentsDelta(index, part.arguments[:half]),
                ir.ToolArgumentsDelta(index, part.arguments[half:]),
            ]
        events.append(ir.PartEnd(index))
    choice = response.choices[0]
    assert choice.finish_reason is not None
    events.append(ir.Finish(choice.finish_reason))
    if response.usage is not None:
        events.append(ir.UsageUpdate(response.usage))
    events.append(ir.StreamEnd())
    return events


# -- arbitrary input ------------------------------------------------------------------------------------------------
SSE_FIELDS = ["data", "event", "id", "retry", ":", ""]


@st.composite
def sse_bytes(draw: st.DrawFn, event_names: list[str]) -> list[bytes]:
    """Chunks of an SSE stream: mostly well-framed events with JSON-ish or junk data, split at random places."""
    lines: list[bytes] = []
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.booleans()):
            lines.append(b"event: " + draw(st.sampled_from(event_names)).encode())
        data = draw(
            st.one_of(
                json_values.map(lambda v: json.dumps(v)),
                st.sampled_from(["[DONE]", "{", "", "null", '{"type":"message_start"}', '{"error":{"message":"x"}}']),
                st.text(max_size=20),
            )
        )
        lines.append(b"data: " + data.encode("utf-8", "surrogatepass"))
        lines.append(b"")
    raw = b"\n".join(lines) + draw(st.sampled_from([b"", b"\n", b"\r\n\r\n"]))
    raw += draw(st.binary(max_size=16))
    cuts = sorted(draw(st.lists(st.integers(0, len(raw)), max_size=4)))
    return [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
