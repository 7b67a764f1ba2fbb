"""OpenAI Chat Completions codec: exact round trips, IR mapping, adaptations, streams (checked against the openai
SDK's own accumulator) and errors."""

from __future__ import annotations

import base64
import copy
import json
import time
from email.utils import formatdate
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from routeapi import ir
from routeapi.errors import (
    AuthenticationError,
    BadRequest,
    ContentFiltered,
    ContextLengthExceeded,
    NotFound,
    Overloaded,
    PermissionDenied,
    ProtocolError,
    ProviderError,
    RateLimited,
    ServerError,
    StreamInterrupted,
    Timeout,
)
from routeapi.protocols.openai_chat import (
    TERMINATOR,
    OpenAIChatCodec,
    OpenAIChatStreamDecoder,
    OpenAIChatStreamEncoder,
    error_from_body,
    parse_data_url,
    to_data_url,
)
from routeapi.protocols.sse import SSEDecoder, SSEEvent

CODEC = OpenAIChatCodec()
PNG = b"\x89PNG\r\n\x1a\n"
PNG_URL = "data:image/png;base64,iVBORw0KGgo="
PDF = b"%PDF-1.4 tiny"
PDF_B64 = base64.b64encode(PDF).decode()
WAV = b"RIFF0000WAVE"
WAV_B64 = base64.b64encode(WAV).decode()
WRAPPED_WAV_B64 = f"{WAV_B64[:8]}\n{WAV_B64[8:]}"
USER = {"role": "user", "content": "Hi"}
CALL_A = {"id": "call_A", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}
CALL_B = {"id": "call_B", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        "strict": True,
    },
}


def body(*messages: dict[str, Any], **params: Any) -> dict[str, Any]:
    return {"model": "gpt-4o", "messages": list(messages) or [USER], **params}


def round_trip(wire: dict[str, Any]) -> tuple[dict[str, Any], list[ir.Adaptation]]:
    return CODEC.encode_request(CODEC.decode_request(copy.deepcopy(wire)), model=wire["model"])


# -- requests: exact round trips -----------------------------------------------------------------------------------
ROUND_TRIP_BODIES: dict[str, dict[str, Any]] = {
    "minimal": body(),
    "all roles": body(
        {"role": "system", "content": "Be brief."},
        {"role": "developer", "content": "Answer in French.", "name": "policy"},
        {"role": "user", "content": "Weather in Paris?", "name": "alice"},
        {"role": "assistant", "content": None, "tool_calls": [CALL_A, CALL_B]},
        {"role": "tool", "tool_call_id": "call_A", "content": "18C"},
        {"role": "tool", "tool_call_id": "call_B", "content": [{"type": "text", "text": "12:00"}]},
        {"role": "assistant", "content": "18C at noon."},
        {"role": "system", "content": "A late system message stays in place."},
        {"role": "user", "content": "Thanks"},
    ),
    "user parts": body(
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Look:"},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "high"}},
                {"type": "image_url", "image_url": {"url": PNG_URL}},
                {"type": "image_url", "image_url": {"url": PNG_URL, "detail": "original"}},
                {"type": "input_audio", "input_audio": {"data": WAV_B64, "format": "wav"}},
                {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{PDF_B64}", "filename": "a.pdf"}},
                {"type": "file", "file": {"file_id": "file-123"}},
                {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{PDF_B64}"}},
            ],
        }
    ),
    "content forms": body(
        {"role": "system", "content": [{"type": "text", "text": "one part in a list"}]},
        {"role": "user", "content": []},
        {"role": "user", "content": ""},
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
        {"role": "assistant", "content": ""},
        {"role": "assistant", "content": [{"type": "text", "text": "listed"}]},
        {"role": "assistant", "content": []},
    ),
    "vendor keys on parts": body(
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "cache me", "prompt_cache_breakpoint": {"mode": "explicit", "ttl": "30m"}},
                {"type": "image_url", "image_url": {"url": "https://x/y.png", "future": 1}, "cache": True},
            ],
        }
    ),
    "non-canonical data urls": body(
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo"}},
                {"type": "image_url", "image_url": {"url": "DATA:image/png;BASE64,iVBORw0KGgo="}},
                {"type": "image_url", "image_url": {"url": "data:image/svg+xml,%3Csvg%2F%3E"}},
                {"type": "file", "file": {"file_data": PDF_B64, "filename": "raw.pdf"}},
                {"type": "input_audio", "input_audio": {"data": WRAPPED_WAV_B64, "format": "mp3"}},
            ],
        }
    ),
    "assistant shapes": body(
        USER,
        {"role": "assistant", "tool_calls": [CALL_A]},
        {"role": "tool", "tool_call_id": "call_A", "content": "sunny"},
        {"role": "assistant", "content": None, "refusal": "I can't help with that."},
        {"role": "assistant", "content": "text", "refusal": None, "tool_calls": []},
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "Partly"}, {"type": "refusal", "refusal": "no more"}],
            "name": "bot",
        },
        {"role": "assistant", "content": None, "audio": {"id": "audio_1"}},
        {"role": "assistant", "content": None, "function_call": {"name": "legacy", "arguments": "{}"}},
        {"role": "assistant", "tool_calls": [{"id": "c9", "type": "custom", "custom": {"name": "grep", "input": "x"}}]},
        {"role": "tool", "tool_call_id": "c9", "content": "found", "name": "grep"},
    ),
    "tools and choices": body(
        tools=[
            WEATHER_TOOL,
            {"type": "function", "function": {"name": "no_params"}},
            {"type": "function", "function": {"name": "lax", "parameters": {"type": "object"}, "strict": False}},
            {"type": "function", "function": {"name": "nullable", "strict": None, "description": None}},
            {"type": "custom", "custom": {"name": "grep", "description": "search", "format": {"type": "text"}}},
        ],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        parallel_tool_calls=False,
    ),
    "tool_choice auto": body(tools=[WEATHER_TOOL], tool_choice="auto"),
    "tool_choice none": body(tools=[WEATHER_TOOL], tool_choice="none"),
    "tool_choice required": body(tools=[WEATHER_TOOL], tool_choice="required"),
    "tool_choice allowed_tools": body(
        tools=[WEATHER_TOOL],
        tool_choice={
            "type": "allowed_tools",
            "allowed_tools": {"mode": "required", "tools": [{"type": "function", "function": {"name": "get_weather"}}]},
        },
    ),
    "tool_choice custom": body(tool_choice={"type": "custom", "custom": {"name": "grep"}}),
    "empty tools": body(tools=[]),
    "response_format text": body(response_format={"type": "text"}),
    "response_format json_object": body(response_format={"type": "json_object"}),
    "response_format json_schema": body(
        response_format={
            "type": "json_schema",
            "json_schema": {
                "name": "city",
                "description": "A city",
                "schema": {"type": "object", "properties": {"name": {"type": "string"}}},
                "strict": True,
            },
        }
    ),
    "response_format json_schema minimal": body(
        response_format={"type": "json_schema", "json_schema": {"name": "x", "strict": False}}
    ),
    "explicit zeros and falses": body(
        temperature=0,
        top_p=0,
        presence_penalty=0,
        frequency_penalty=0.0,
        seed=0,
        n=1,
        logprobs=False,
        top_logprobs=0,
        parallel_tool_calls=False,
        max_completion_tokens=0,
        user="",
        metadata={},
        logit_bias={},
        stop=[],
        stream=False,
    ),
    "every sampling param": body(
        temperature=0.7,
        top_p=0.9,
        presence_penalty=-1.5,
        frequency_penalty=2,
        seed=42,
        n=2,
        logprobs=True,
        top_logprobs=5,
        logit_bias={"50256": -100, "13": 5.5},
        parallel_tool_calls=True,
        reasoning_effort="none",
        user="user-1",
        metadata={"team": "search"},
        max_completion_tokens=256,
        stop=["END", "STOP"],
    ),
    "legacy max_tokens and string stop": body(max_tokens=100, stop="END"),
    "both max token keys": body(max_tokens=100, max_completion_tokens=200),
    "stream with usage": body(stream=True, stream_options={"include_usage": True}),
    "stream without usage": body(stream=True, stream_options={"include_usage": False, "include_obfuscation": False}),
    "stream plain": body(stream=True),
    "stream_options alone": body(stream_options={}),
    "unknown and unmodelled keys": body(
        service_tier="flex",
        store=True,
        prediction={"type": "content", "content": "draft"},
        modalities=["text", "audio"],
        audio={"voice": "alloy", "format": "wav"},
        verbosity="low",
        prompt_cache_key="k",
        web_search_options={},
        future_key={"nested": [1, None, "x"]},
    ),
    "explicit nulls": body(
        temperature=None,
        stop=None,
        tool_choice=None,
        stream=None,
        stream_options=None,
        response_format=None,
        max_tokens=None,
        reasoning_effort=None,
    ),
}


@pytest.mark.parametrize("wire", ROUND_TRIP_BODIES.values(), ids=list(ROUND_TRIP_BODIES))
def test_request_round_trip_is_exact(wire: dict[str, Any]) -> None:
    encoded, adaptations = round_trip(wire)
    assert encoded == wire
    assert adaptations == []


# -- requests: any valid combination round-trips (property tests) ------------------------------------------------
def _object(
    required: dict[str, st.SearchStrategy[Any]], optional: dict[str, st.SearchStrategy[Any]] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(required, optional=optional or {})


_JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=4))
_PARAMS: dict[str, st.SearchStrategy[Any]] = {
    "temperature": st.one_of(st.none(), st.integers(0, 2), st.floats(0, 2, allow_nan=False)),
    "top_p": st.one_of(st.none(), st.integers(0, 1), st.floats(0, 1, allow_nan=False)),
    "presence_penalty": st.floats(-2, 2, allow_nan=False),
    "frequency_penalty": st.integers(-2, 2),
    "seed": st.one_of(st.none(), st.integers(-(2**40), 2**40)),
    "n": st.integers(1, 4),
    "logprobs": st.one_of(st.none(), st.booleans()),
    "top_logprobs": st.integers(0, 20),
    "logit_bias": st.dictionaries(st.from_regex(r"\A[0-9]{1,5}\Z"), st.integers(-100, 100), max_size=2),
    "parallel_tool_calls": st.booleans(),
    "reasoning_effort": st.sampled_from(["none", "minimal", "low", "medium", "high", "xhigh", None]),
    "user": st.text(max_size=5),
    "metadata": st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
    "max_tokens": st.one_of(st.none(), st.integers(0, 10**6)),
    "max_completion_tokens": st.integers(0, 10**6),
    "stop": st.one_of(st.none(), st.text(max_size=3), st.lists(st.text(max_size=3), max_size=4)),
    "stream": st.one_of(st.none(), st.booleans()),
    "stream_options": _object({}, {"include_usage": st.booleans(), "x": _JSON_SCALARS}),
    "tool_choice": st.sampled_from(["auto", "none", "required", None]),
    "response_format": st.sampled_from([{"type": "text"}, {"type": "json_object"}]),
    "service_tier": st.sampled_from(["auto", "default", "flex", None]),
    "x_future": st.dictionaries(st.text(max_size=3), _JSON_SCALARS, max_size=2),
}


@given(params=st.fixed_dictionaries({}, optional=_PARAMS))
@settings(max_examples=75, deadline=None)
def test_any_parameter_combination_round_trips(params: dict[str, Any]) -> None:
    wire = body(**params)
    assert round_trip(wire) == (wire, [])


_TEXT = st.text(max_size=3)
_TEXT_PART = _object(
    {"type": st.just("text"), "text": _TEXT}, optional={"prompt_cache_breakpoint": st.just({"mode": "explicit"})}
)
_REFUSAL_PART = _object({"type": st.just("refusal"), "refusal": _TEXT})
_CONTENT: st.SearchStrategy[Any] = st.one_of(_TEXT, st.lists(_TEXT_PART, max_size=3))
_CALL = _object(
    {
        "id": _TEXT,
        "type": st.just("function"),
        "function": _object({"name": _TEXT, "arguments": _TEXT}),
    }
)
_MESSAGE: st.SearchStrategy[dict[str, Any]] = st.one_of(
    _object({"role": st.sampled_from(["system", "developer", "user"]), "content": _CONTENT}, optional={"name": _TEXT}),
    _object(
        {"role": st.just("assistant")},
        optional={
            "content": st.one_of(st.none(), _TEXT, st.lists(st.one_of(_TEXT_PART, _REFUSAL_PART), max_size=3)),
            "refusal": st.one_of(st.none(), _TEXT),
            "tool_calls": st.lists(_CALL, max_size=2),
            "name": _TEXT,
        },
    ),
    _object({"role": st.just("tool"), "tool_call_id": _TEXT, "content": _CONTENT}),
)


@given(messages=st.lists(_MESSAGE, min_size=1, max_size=5))
@settings(max_examples=100, deadline=None)
def test_any_message_shape_round_trips(messages: list[dict[str, Any]]) -> None:
    wire = body(*messages)
    assert round_trip(wire) == (wire, [])


def test_round_trip_replaces_the_model() -> None:
    encoded, _ = CODEC.encode_request(CODEC.decode_request(body()), model="gpt-4o-2024-08-06")
    assert encoded == {"model": "gpt-4o-2024-08-06", "messages": [USER]}


def test_decode_request_maps_messages_to_ir() -> None:
    request = CODEC.decode_request(ROUND_TRIP_BODIES["all roles"])
    assert request.source == "openai_chat"
    assert request.model == "gpt-4o"
    assert [m.role for m in request.messages] == [
        "system",
        "developer",
        "user",
        "assistant",
        "tool",
        "tool",
        "assistant",
        "system",
        "user",
    ]
    assert request.messages[1].name == "policy"
    assert request.messages[2].parts == [ir.TextPart("Weather in Paris?")]
    assert request.messages[3].parts == [
        ir.ToolCallPart("call_A", "get_weather", '{"city":"Paris"}'),
        ir.ToolCallPart("call_B", "get_time", "{}"),
    ]
    assert request.messages[4].parts == [ir.ToolResultPart("call_A", [ir.TextPart("18C")])]
    result = request.messages[5].parts[0]
    assert isinstance(result, ir.ToolResultPart)
    assert (result.tool_call_id, result.content) == ("call_B", [ir.TextPart("12:00")])


def test_decode_request_maps_user_parts_to_ir() -> None:
    parts = CODEC.decode_request(ROUND_TRIP_BODIES["user parts"]).messages[0].parts
    assert parts[0] == ir.TextPart("Look:")
    assert parts[1] == ir.ImagePart(url="https://example.com/cat.png", detail="high")
    assert parts[2] == ir.ImagePart(data=PNG, media_type="image/png")
    assert parts[3] == ir.ImagePart(data=PNG, media_type="image/png", detail="original")
    assert parts[4] == ir.AudioPart(WAV, "wav")
    assert parts[5] == ir.DocumentPart(data=PDF, media_type="application/pdf", filename="a.pdf")
    assert parts[6] == ir.DocumentPart(provider_details={"openai_chat": {"file_id": "file-123"}})
    unnamed = {"openai_chat": {"unnamed": True}}  # so the encoder adds no placeholder filename
    assert parts[7] == ir.DocumentPart(data=PDF, media_type="application/pdf", provider_details=unnamed)


def test_decode_request_maps_refusals_and_custom_calls() -> None:
    messages = CODEC.decode_request(ROUND_TRIP_BODIES["assistant shapes"]).messages
    assert messages[3].parts == [ir.RefusalPart("I can't help with that.")]
    assert messages[5].parts == [
        ir.TextPart("Partly"),
        ir.RefusalPart("no more", provider_details={"openai_chat": {"in_content": True}}),
    ]
    assert messages[8].parts == [
        ir.ToolCallPart("c9", "grep", "x", provider_details={"openai_chat": {"type": "custom"}}),
    ]


def test_decode_request_settings_keep_explicit_zeros() -> None:
    request = CODEC.decode_request(ROUND_TRIP_BODIES["explicit zeros and falses"])
    assert request.settings == ir.GenerationSettings(
        max_tokens=0,
        temperature=0,
        top_p=0,
        stop=[],
        seed=0,
        presence_penalty=0,
        frequency_penalty=0.0,
        n=1,
        logprobs=False,
        top_logprobs=0,
        logit_bias={},
        parallel_tool_calls=False,
        user="",
        metadata={},
    )
    assert request.stream is False
    assert request.extra == {}


def test_decode_request_settings_tools_and_formats() -> None:
    request = CODEC.decode_request(
        body(
            tools=[WEATHER_TOOL],
            tool_choice={"type": "function", "function": {"name": "get_weather"}},
            response_format=ROUND_TRIP_BODIES["response_format json_schema"]["response_format"],
            max_tokens=100,
            stop="END",
            reasoning_effort="high",
            stream=True,
            stream_options={"include_usage": True},
            service_tier="flex",
        )
    )
    assert request.tools == [
        ir.Tool(
            "get_weather",
            "Weather for a city",
            {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
            strict=True,
        )
    ]
    assert request.tool_choice == ir.NamedToolChoice("get_weather")
    assert request.response_format == ir.ResponseFormat(
        "json_schema",
        name="city",
        schema={"type": "object", "properties": {"name": {"type": "string"}}},
        description="A city",
        strict=True,
    )
    assert request.settings.max_tokens == 100
    assert request.settings.stop == ["END"]
    assert request.settings.reasoning_effort == "high"
    assert (request.stream, request.stream_usage) == (True, True)
    assert request.extra == {"service_tier": "flex"}


def test_unmodelled_tool_choice_forms_go_to_extra() -> None:
    request = CODEC.decode_request(ROUND_TRIP_BODIES["tool_choice allowed_tools"])
    assert request.tool_choice is ir.UNSET
    assert request.extra == {"tool_choice": ROUND_TRIP_BODIES["tool_choice allowed_tools"]["tool_choice"]}


def test_unset_params_stay_absent() -> None:
    request = CODEC.decode_request(body())
    assert request.settings == ir.GenerationSettings()
    assert (request.tool_choice, request.response_format) == (ir.UNSET, ir.UNSET)
    assert request.provider_details is None
    by_hand = ir.Request(model="m", messages=[ir.Message("user", [ir.TextPart("Hi")])])
    assert CODEC.encode_request(by_hand, model="gpt-4o") == ({"model": "gpt-4o", "messages": [USER]}, [])


def test_stream_options_follow_stream_usage() -> None:
    request = ir.Request(model="m", messages=[ir.Message("user", [ir.TextPart("Hi")])], stream=True, stream_usage=True)
    assert CODEC.encode_request(request, model="gpt-4o")[0] == {
        "model": "gpt-4o",
        "messages": [USER],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    # a router may turn usage on for a caller who did not ask for it; other options survive
    decoded = CODEC.decode_request(body(stream=True, stream_options={"include_obfuscation": False}))
    decoded.stream_usage = True
    encoded = CODEC.encode_request(decoded, model="gpt-4o")[0]
    assert encoded["stream_options"] == {"include_obfuscation": False, "include_usage": True}
    # never without stream: OpenAI rejects stream_options then
    request.stream = False
    assert "stream_options" not in CODEC.encode_request(request, model="gpt-4o")[0]


def test_max_tokens_key_defaults_follow_the_codec() -> None:
    request = ir.Request(model="m", messages=[], settings=ir.GenerationSettings(max_tokens=5))
    assert CODEC.encode_request(request, model="x")[0] == {"model": "x", "messages": [], "max_completion_tokens": 5}
    legacy = OpenAIChatCodec(max_tokens_key="max_tokens")
    assert legacy.encode_request(request, model="x")[0] == {"model": "x", "messages": [], "max_tokens": 5}
    decoded = legacy.decode_request(body(max_completion_tokens=7))
    assert legacy.encode_request(decoded, model="gpt-4o")[0] == body(max_completion_tokens=7)


def test_non_canonical_data_urls_decode_to_bytes() -> None:
    parts = CODEC.decode_request(ROUND_TRIP_BODIES["non-canonical data urls"]).messages[0].parts
    unpadded = "data:image/png;base64,iVBORw0KGgo"
    assert parts[0] == ir.ImagePart(
        data=PNG, media_type="image/png", provider_details={"openai_chat": {"url": unpadded}}
    )
    assert parts[2] == ir.ImagePart(
        data=b"<svg/>",
        media_type="image/svg+xml",
        provider_details={"openai_chat": {"url": "data:image/svg+xml,%3Csvg%2F%3E"}},
    )
    assert parts[3] == ir.DocumentPart(
        data=PDF, filename="raw.pdf", provider_details={"openai_chat": {"file_data": PDF_B64}}
    )
    assert parts[4] == ir.AudioPart(WAV, "mp3", provider_details={"openai_chat": {"data": WRAPPED_WAV_B64}})


def test_stored_wire_forms_do_not_override_edited_ir() -> None:
    request = CODEC.decode_request(ROUND_TRIP_BODIES["non-canonical data urls"])
    image = request.messages[0].parts[0]
    assert isinstance(image, ir.ImagePart)
    image.data = b"GIF89a"
    image.media_type = "image/gif"
    request.settings.stop = ["a", "b"]
    encoded = CODEC.encode_request(request, model="gpt-4o")[0]
    assert encoded["messages"][0]["content"][0] == {
        "type": "image_url",
        "image_url": {"url": to_data_url("image/gif", b"GIF89a")},
    }
    assert encoded["stop"] == ["a", "b"]


# -- requests: malformed input -------------------------------------------------------------------------------------
MALFORMED: list[tuple[Any, str]] = [
    ([], "the body must be a JSON object"),
    ({"messages": [USER]}, "model is required"),
    ({"model": "m"}, "messages is required"),
    ({"model": "m", "messages": USER}, "messages must be an array"),
    (body("hello"), "messages[0] must be a JSON object"),  # type: ignore[arg-type]
    (body({"content": "x"}), "messages[0].role is required"),
    (body(USER, {"role": "robot", "content": "x"}), "messages[1].role must be one of"),
    (body({"role": "function", "name": "f", "content": "x"}), "messages[0].role must be one of"),
    (body({"role": "user"}), "messages[0].content is required"),
    (body({"role": "user", "content": None}), "messages[0].content is required"),
    (body({"role": "user", "content": 5}), "messages[0].content must be a string or an array of content parts"),
    (body({"role": "user", "content": [{"type": "text", "text": 5}]}), "messages[0].content[0].text must be a string"),
    (body({"role": "user", "content": [{"text": "x"}]}), "messages[0].content[0].type is required"),
    (body({"role": "user", "content": [{"type": "video", "video": {}}]}), "messages[0].content[0].type: 'video'"),
    (
        body({"role": "assistant", "content": [{"type": "image_url", "image_url": {"url": "https://x"}}]}),
        "messages[0].content[0].type: 'image_url' parts are not allowed in assistant messages",
    ),
    (
        body({"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,@@"}}]}),
        "messages[0].content[0].image_url.url is not a valid data URL",
    ),
    (
        body({"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "@@", "format": "wav"}}]}),
        "messages[0].content[0].input_audio.data is not valid base64",
    ),
    (body({"role": "user", "content": [{"type": "image_url"}]}), "messages[0].content[0].image_url is required"),
    (body(USER, USER, {"role": "tool", "content": "42"}), "messages[2].tool_call_id is required"),
    (
        body({"role": "tool", "tool_call_id": 7, "content": "42"}),
        "messages[0].tool_call_id must be a string",
    ),
    (
        body({"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f"}}]}),
        "messages[0].tool_calls[0].function.arguments is required",
    ),
    (
        body({"role": "assistant", "tool_calls": [{"id": "c", "type": "magic", "magic": {}}]}),
        "messages[0].tool_calls[0].type must be 'function' or 'custom'",
    ),
    (body({"role": "assistant", "content": "x", "tool_calls": {}}), "messages[0].tool_calls must be an array"),
    (body({"role": "user", "content": "x", "name": 3}), "messages[0].name must be a string"),
    (body(temperature="hot"), "temperature must be a number"),
    (body(top_p=True), "top_p must be a number"),
    (body(n=1.5), "n must be an integer"),
    (body(seed=False), "seed must be an integer"),
    (body(max_tokens="10"), "max_tokens must be an integer"),
    (body(logprobs=1), "logprobs must be a boolean"),
    (body(stop=[1]), "stop[0] must be a string"),
    (body(stop=5), "stop must be a string or an array of strings"),
    (body(logit_bias={"1": "x"}), "logit_bias.1 must be a number"),
    (body(metadata=[]), "metadata must be an object"),
    (body(user=1), "user must be a string"),
    (body(stream="yes"), "stream must be a boolean"),
    (body(stream=True, stream_options={"include_usage": "yes"}), "stream_options.include_usage must be a boolean"),
    (body(tools={}), "tools must be an array"),
    (body(tools=[{"type": "function", "function": {}}]), "tools[0].function.name is required"),
    (body(tools=[{"type": "function"}]), "tools[0].function is required"),
    (body(tool_choice="sometimes"), "tool_choice must be one of auto, none, required or an object"),
    (body(tool_choice=3), "tool_choice must be a string or an object"),
    (body(tool_choice={"type": "function", "function": {}}), "tool_choice.function.name is required"),
    (body(response_format="json"), "response_format must be an object"),
    (body(response_format={}), "response_format.type must be a string"),
    (body(response_format={"type": "json_schema"}), "response_format.json_schema is required"),
    (
        body(response_format={"type": "json_schema", "json_schema": {"schema": {}}}),
        "response_format.json_schema.name is required",
    ),
]


@pytest.mark.parametrize(("wire", "message"), MALFORMED, ids=[m for _, m in MALFORMED])
def test_malformed_request_names_the_field(wire: Any, message: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        CODEC.decode_request(wire)
    assert message in str(caught.value)


# -- requests from other protocols ---------------------------------------------------------------------------------
def test_cross_protocol_request_is_adapted_and_reported() -> None:
    request = ir.Request(
        model="claude",
        messages=[
            ir.Message("system", [ir.TextPart("Be brief.")]),
            ir.Message("user", [ir.TextPart("Weather?"), ir.DocumentPart(text="Notes: sunny", title="notes")]),
            ir.Message(
                "assistant",
                [
                    ir.ThinkingPart("let me think", signature="sig"),
                    ir.TextPart("Checking."),
                    ir.ToolCallPart("toolu_1", "get_weather", '{"city":"Paris"}'),
                    ir.ToolCallPart("toolu_2", "get_map", "{}"),
                ],
            ),
            ir.Message(
                "user",
                [
                    ir.ToolResultPart("toolu_1", [ir.TextPart("18C")], is_error=True),
                    ir.ToolResultPart("toolu_2", [ir.TextPart("map:"), ir.ImagePart(data=PNG, media_type="image/png")]),
                    ir.TextPart("And tomorrow?"),
                ],
            ),
            ir.Message("assistant", [ir.ThinkingPart(redacted="opaque"), ir.TextPart("Also sunny.")]),
            ir.Message("user", [ir.DocumentPart(data=PDF, media_type="application/pdf")]),
        ],
        tools=[ir.Tool("get_weather", "Weather", {"type": "object"})],
        tool_choice="required",
        response_format=ir.ResponseFormat("json_schema", schema={"type": "object"}),
        settings=ir.GenerationSettings(max_tokens=1024, temperature=0.5, top_k=40, reasoning_budget=2048, stop=["X"]),
        source="anthropic_messages",
        extra={"container": "c1", "mcp_servers": []},
    )
    encoded, adaptations = CODEC.encode_request(request, model="gpt-4o")
    assert encoded == {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [{"type": "text", "text": "Weather?"}, {"type": "text", "text": "Notes: sunny"}],
            },
            {
                "role": "assistant",
                "content": "Checking.",
                "tool_calls": [
                    {
                        "id": "toolu_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                    },
                    {"id": "toolu_2", "type": "function", "function": {"name": "get_map", "arguments": "{}"}},
                ],
            },
            {"role": "tool", "tool_call_id": "toolu_1", "content": "18C"},
            {"role": "tool", "tool_call_id": "toolu_2", "content": "map:"},
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": PNG_URL}}]},
            {"role": "user", "content": "And tomorrow?"},
            {"role": "assistant", "content": "Also sunny."},
            {
                "role": "user",
                "content": [
                    {
                        "type": "file",
                        "file": {"file_data": f"data:application/pdf;base64,{PDF_B64}", "filename": "document.pdf"},
                    }
                ],
            },
        ],
        "tools": [
            {
                "type": "function",
                "function": {"name": "get_weather", "description": "Weather", "parameters": {"type": "object"}},
            }
        ],
        "tool_choice": "required",
        "response_format": {"type": "json_schema", "json_schema": {"name": "response", "schema": {"type": "object"}}},
        "max_completion_tokens": 1024,
        "temperature": 0.5,
        "stop": ["X"],
    }
    assert adaptations == [
        ir.Adaptation("messages[1].content", "adapted", "a text document is sent as a text part"),
        ir.Adaptation("thinking", "dropped", "Chat Completions takes no reasoning content in history"),
        ir.Adaptation("messages[3].tool_result.is_error", "dropped", "tool messages cannot mark an error"),
        ir.Adaptation(
            "messages[3].tool_result", "adapted", "non-text tool result content moved to a following user message"
        ),
        ir.Adaptation("top_k", "dropped", "Chat Completions has no top_k"),
        ir.Adaptation("reasoning_budget", "dropped", "Chat Completions takes reasoning_effort, not a token budget"),
        ir.Adaptation("container", "dropped", "not a Chat Completions parameter (from anthropic_messages)"),
        ir.Adaptation("mcp_servers", "dropped", "not a Chat Completions parameter (from anthropic_messages)"),
    ]


def test_moved_tool_content_waits_for_the_end_of_the_tool_run() -> None:
    request = ir.Request(
        model="m",
        messages=[
            ir.Message("tool", [ir.ToolResultPart("a", [ir.ImagePart(url="https://x/a.png")])]),
            ir.Message("tool", [ir.ToolResultPart("b", [ir.TextPart("ok")])]),
        ],
    )
    assert CODEC.encode_request(request, model="m")[0]["messages"] == [
        {"role": "tool", "tool_call_id": "a", "content": ""},
        {"role": "tool", "tool_call_id": "b", "content": "ok"},
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/a.png"}}]},
    ]


def test_parts_a_role_cannot_carry_are_dropped_and_reported() -> None:
    request = ir.Request(
        model="m",
        messages=[
            ir.Message("system", [ir.TextPart("S"), ir.ImagePart(url="https://x/s.png")]),
            ir.Message("assistant", [ir.AudioPart(WAV, "wav"), ir.TextPart("A")]),
            ir.Message("user", [ir.DocumentPart(url="https://x/doc.pdf"), ir.TextPart("U")]),
        ],
        source="gemini",
    )
    encoded, adaptations = CODEC.encode_request(request, model="m")
    assert encoded["messages"] == [
        {"role": "system", "content": "S"},
        {"role": "assistant", "content": "A"},
        {"role": "user", "content": "U"},
    ]
    assert adaptations == [
        ir.Adaptation("messages[0].content", "dropped", "image parts cannot appear in system messages"),
        ir.Adaptation("messages[1].content", "dropped", "audio parts cannot appear in assistant messages"),
        ir.Adaptation("messages[2].content", "dropped", "Chat Completions cannot fetch documents by URL"),
    ]


def test_same_protocol_extra_passes_but_other_sources_do_not() -> None:
    request = CODEC.decode_request(body(service_tier="flex"))
    assert CODEC.encode_request(request, model="gpt-4o") == (body(service_tier="flex"), [])
    request.source = "gemini"
    assert CODEC.encode_request(request, model="gpt-4o") == (
        body(),
        [ir.Adaptation("service_tier", "dropped", "not a Chat Completions parameter (from gemini)")],
    )


# -- responses -----------------------------------------------------------------------------------------------------
TOOL_RESPONSE: dict[str, Any] = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "gpt-4o-2024-08-06",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": None, "refusal": None, "tool_calls": [CALL_A]},
            "logprobs": None,
            "finish_reason": "tool_calls",
        }
    ],
    "usage": {
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "total_tokens": 15,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    },
    "system_fingerprint": "fp_1",
    "service_tier": "default",
}
TEXT_RESPONSE: dict[str, Any] = {
    "id": "chatcmpl-2",
    "object": "chat.completion",
    "created": 1700000001,
    "model": "gpt-4o",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello!", "refusal": None, "annotations": []},
            "logprobs": {
                "content": [{"token": "Hello", "logprob": -0.1, "bytes": [72], "top_logprobs": []}],
                "refusal": None,
            },
            "finish_reason": "stop",
        },
        {
            "index": 1,
            "message": {"role": "assistant", "content": None, "refusal": "I can't."},
            "logprobs": None,
            "finish_reason": "content_filter",
        },
        {
            "index": 2,
            "message": {"role": "assistant", "content": "Cut", "function_call": {"name": "f", "arguments": "{}"}},
            "finish_reason": "function_call",
        },
    ],
    "usage": {
        "prompt_tokens": 100,
        "completion_tokens": 50,
        "total_tokens": 150,
        "prompt_tokens_details": {"cached_tokens": 60, "cache_write_tokens": 20},
        "completion_tokens_details": {"reasoning_tokens": 30},
    },
    "future_top_level": {"x": 1},
}


@pytest.mark.parametrize("wire", [TOOL_RESPONSE, TEXT_RESPONSE], ids=["tool call", "text n=3"])
def test_response_round_trip_is_exact_and_sdk_valid(wire: dict[str, Any]) -> None:
    encoded = CODEC.encode_response(CODEC.decode_response(copy.deepcopy(wire)))
    assert encoded == wire
    ChatCompletion.model_validate(encoded)


def test_decode_response_maps_to_ir() -> None:
    response = CODEC.decode_response(TEXT_RESPONSE)
    assert (response.id, response.model, response.created) == ("chatcmpl-2", "gpt-4o", 1700000001)
    assert [c.finish_reason for c in response.choices] == ["stop", "content_filter", "tool_calls"]
    assert [c.index for c in response.choices] == [0, 1, 2]
    assert response.choices[0].message.parts == [ir.TextPart("Hello!")]
    assert response.choices[0].logprobs == TEXT_RESPONSE["choices"][0]["logprobs"]
    assert response.choices[1].message.parts == [ir.RefusalPart("I can't.")]
    assert response.usage == ir.Usage(
        input_tokens=100, output_tokens=50, cache_read_tokens=60, cache_write_tokens=20, reasoning_tokens=30
    )
    tool = CODEC.decode_response(TOOL_RESPONSE)
    assert tool.message.parts == [ir.ToolCallPart("call_A", "get_weather", '{"city":"Paris"}')]
    assert tool.provider_details is not None
    assert tool.provider_details["openai_chat"]["extra"] == {"system_fingerprint": "fp_1", "service_tier": "default"}


def test_encode_response_from_another_protocol() -> None:
    response = ir.Response(
        id="msg_1",
        model="claude-sonnet-4-5",
        created=1700000000,
        choices=[
            ir.Choice(
                ir.Message(
                    "assistant",
                    [
                        ir.ThinkingPart("hmm", signature="s"),
                        ir.TextPart("Let me check. "),
                        ir.TextPart("One moment."),
                        ir.ToolCallPart("toolu_1", "get_weather", '{"city":"Paris"}'),
                    ],
                ),
                "tool_calls",
            )
        ],
        usage=ir.Usage(input_tokens=30, output_tokens=7, cache_read_tokens=10, cache_write_tokens=5),
    )
    encoded = CODEC.encode_response(response)
    assert encoded == {
        "id": "msg_1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "claude-sonnet-4-5",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": [
                        {"type": "text", "text": "Let me check. "},
                        {"type": "text", "text": "One moment."},
                    ],
                    "tool_calls": [
                        {
                            "id": "toolu_1",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {
            "prompt_tokens": 30,
            "completion_tokens": 7,
            "total_tokens": 37,
            "prompt_tokens_details": {"cached_tokens": 10, "cache_write_tokens": 5},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    }


@pytest.mark.parametrize(
    ("reason", "wire"),
    [
        ("stop", "stop"),
        ("stop_sequence", "stop"),
        ("pause", "stop"),
        ("other", "stop"),
        ("malformed_tool_call", "stop"),
        ("length", "length"),
        ("context_length", "length"),
        ("tool_calls", "tool_calls"),
        ("content_filter", "content_filter"),
        (None, "stop"),
    ],
)
def test_encode_response_finish_reasons(reason: ir.FinishReason | None, wire: str) -> None:
    response = ir.Response(id="r", model="m", choices=[ir.Choice(ir.Message("assistant", [ir.TextPart("x")]), reason)])
    encoded = CODEC.encode_response(response)
    assert encoded["choices"][0]["finish_reason"] == wire
    assert ChatCompletion.model_validate(encoded).choices[0].message.content == "x"


@pytest.mark.parametrize(
    ("wire", "reason"),
    [
        ("stop", "stop"),
        ("length", "length"),
        ("tool_calls", "tool_calls"),
        ("function_call", "tool_calls"),
        ("content_filter", "content_filter"),
        ("eos", "other"),
    ],
)
def test_decode_response_finish_reasons(wire: str, reason: ir.FinishReason) -> None:
    data: dict[str, Any] = {"id": "r", "object": "chat.completion", "created": 0, "model": "m"}
    data["choices"] = [{"index": 0, "message": {"role": "assistant", "content": "x"}, "finish_reason": wire}]
    decoded = CODEC.decode_response(data)
    assert decoded.choices[0].finish_reason == reason
    assert CODEC.encode_response(decoded)["choices"][0]["finish_reason"] == wire


def test_malformed_response_names_the_field() -> None:
    with pytest.raises(ProtocolError, match=r"choices is required"):
        CODEC.decode_response({"id": "x"})
    with pytest.raises(ProtocolError, match=r"choices\[0\]\.message\.content must be a string"):
        CODEC.decode_response({"choices": [{"index": 0, "message": {"role": "assistant", "content": 3}}]})


# -- streams -------------------------------------------------------------------------------------------------------
ENVELOPE = {
    "id": "chatcmpl-2",
    "object": "chat.completion.chunk",
    "created": 1700000000,
    "model": "gpt-4o",
    "system_fingerprint": "fp_1",
}


def chunk(delta: dict[str, Any], finish: str | None = None, index: int = 0) -> dict[str, Any]:
    choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
    return {**ENVELOPE, "choices": [choice], "usage": None}


PARALLEL_CALL_CHUNKS: list[dict[str, Any]] = [
    chunk(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"index": 0, "id": "call_A", "type": "function", "function": {"name": "get_weather", "arguments": ""}}
            ],
        }
    ),
    chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]}),
    chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]}),
    chunk(
        {
            "tool_calls": [
                {"index": 1, "id": "call_B", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}
            ]
        }
    ),
    chunk({}, "tool_calls"),
    {**ENVELOPE, "choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30}},
]
PARALLEL_CALL_EVENTS: list[ir.StreamEvent] = [
    ir.MessageStart("chatcmpl-2", "gpt-4o", 1700000000, {"openai_chat": {"extra": {"system_fingerprint": "fp_1"}}}),
    ir.PartStart(0, ir.ToolCallPart("call_A", "get_weather")),
    ir.ToolArgumentsDelta(0, '{"city":'),
    ir.ToolArgumentsDelta(0, '"Paris"}'),
    ir.PartEnd(0),
    ir.PartStart(1, ir.ToolCallPart("call_B", "get_time")),
    ir.ToolArgumentsDelta(1, "{}"),
    ir.PartEnd(1),
    ir.Finish("tool_calls"),
    ir.UsageUpdate(ir.Usage(input_tokens=10, output_tokens=20)),
    ir.StreamEnd(),
]


def sse_bytes(chunks: list[dict[str, Any]], *, done: bool = True) -> bytes:
    lines = [f"data: {json.dumps(c)}\n\n" for c in chunks]
    if done:
        lines.append(f"data: {TERMINATOR}\n\n")
    return "".join(lines).encode()


def decode_stream(raw: bytes) -> list[ir.StreamEvent]:
    decoder = OpenAIChatStreamDecoder()
    events: list[ir.StreamEvent] = []
    for sse in SSEDecoder().feed(raw):
        events.extend(decoder.feed(sse))
    events.extend(decoder.end())
    return events


def sdk_accumulate(chunks: list[dict[str, Any]]) -> ChatCompletion:
    state: ChatCompletionStreamState[None] = ChatCompletionStreamState()
    for payload in chunks:
        state.handle_chunk(ChatCompletionChunk.model_validate(payload))
    return state.get_final_completion()


def test_stream_decoder_parallel_tool_calls() -> None:
    assert decode_stream(sse_bytes(PARALLEL_CALL_CHUNKS)) == PARALLEL_CALL_EVENTS


def test_stream_decoder_text_refusal_and_choices() -> None:
    chunks = [
        chunk({"role": "assistant", "content": "", "refusal": None}),
        chunk({"content": "Hel"}),
        chunk({"role": "assistant", "content": "Yo"}, index=1),
        chunk({"content": "lo"}),
        chunk({"refusal": "No."}, index=1),
        chunk({}, "stop"),
        chunk({}, "function_call", index=1),
    ]
    refusal = ir.TextPart("", provider_details={"openai_chat": {"refusal": True}})
    assert decode_stream(sse_bytes(chunks)) == [
        PARALLEL_CALL_EVENTS[0],
        ir.PartStart(0, ir.TextPart("")),
        ir.TextDelta(0, "Hel"),
        ir.PartStart(0, ir.TextPart(""), choice=1),
        ir.TextDelta(0, "Yo", choice=1),
        ir.TextDelta(0, "lo"),
        ir.PartEnd(0, choice=1),
        ir.PartStart(1, refusal, choice=1),
        ir.TextDelta(1, "No.", choice=1),
        ir.PartEnd(0),
        ir.Finish("stop"),
        ir.PartEnd(1, choice=1),
        ir.Finish("tool_calls", choice=1, provider_details={"openai_chat": {"finish_reason": "function_call"}}),
        ir.StreamEnd(),
    ]


def test_stream_decoder_waits_for_content_before_message_start() -> None:
    azure_filter_chunk: dict[str, Any] = {
        "id": "",
        "object": "",
        "created": 0,
        "model": "",
        "choices": [],
        "prompt_filter_results": [],
    }
    decoder = OpenAIChatStreamDecoder()
    assert decoder.feed(SSEEvent(json.dumps(azure_filter_chunk))) == []
    assert decoder.feed(SSEEvent(json.dumps(chunk({"content": "x"})))) == [
        PARALLEL_CALL_EVENTS[0],
        ir.PartStart(0, ir.TextPart("")),
        ir.TextDelta(0, "x"),
    ]


def test_stream_decoder_without_done_is_interrupted() -> None:
    with pytest.raises(StreamInterrupted, match=r"without its data: \[DONE\] terminator"):
        decode_stream(sse_bytes(PARALLEL_CALL_CHUNKS[:3], done=False))


def test_stream_decoder_error_chunk_raises_the_mapped_error() -> None:
    decoder = OpenAIChatStreamDecoder()
    decoder.feed(SSEEvent('{"id":"c","object":"chat.completion.chunk","created":0,"model":"m","choices":[]}'))
    error = '{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}'
    with pytest.raises(RateLimited, match="Rate limit reached") as caught:
        decoder.feed(SSEEvent(error))
    assert caught.value.code == "rate_limit_exceeded"
    with pytest.raises(ServerError, match="The server had an error"):
        OpenAIChatStreamDecoder().feed(
            SSEEvent('{"error":{"message":"The server had an error","type":"server_error"}}')
        )


def test_stream_decoder_rejects_invalid_json() -> None:
    with pytest.raises(ProtocolError, match="stream chunk is not valid JSON"):
        OpenAIChatStreamDecoder().feed(SSEEvent("{not json"))
    with pytest.raises(ProtocolError, match="not a JSON object"):
        OpenAIChatStreamDecoder().feed(SSEEvent("[1, 2]"))
    with pytest.raises(ProtocolError, match=r"chunk\.choices\[0\]\.delta\.tool_calls\[0\]\.id must be a string"):
        OpenAIChatStreamDecoder().feed(SSEEvent('{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"id":1}]}}]}'))


def test_stream_decoder_tolerates_compatible_server_quirks() -> None:
    """Tool-call fragments without ``index`` (an id starts the next call) and ``finish_reason: ""``."""
    chunks = [
        chunk({"role": "assistant", "tool_calls": [{"id": "a", "function": {"name": "f", "arguments": "{"}}]}, ""),
        chunk({"tool_calls": [{"function": {"arguments": "}"}}]}, ""),
        chunk({"tool_calls": [{"id": "b", "function": {"name": "g", "arguments": "[]"}}]}),
        chunk({}, "tool_calls"),
    ]
    assert decode_stream(sse_bytes(chunks)) == [
        PARALLEL_CALL_EVENTS[0],
        ir.PartStart(0, ir.ToolCallPart("a", "f")),
        ir.ToolArgumentsDelta(0, "{"),
        ir.ToolArgumentsDelta(0, "}"),
        ir.PartEnd(0),
        ir.PartStart(1, ir.ToolCallPart("b", "g")),
        ir.ToolArgumentsDelta(1, "[]"),
        ir.PartEnd(1),
        ir.Finish("tool_calls"),
        ir.StreamEnd(),
    ]


def encode_stream(events: list[ir.StreamEvent], *, include_usage: bool) -> tuple[list[dict[str, Any]], bool]:
    encoder = OpenAIChatStreamEncoder(include_usage=include_usage)
    chunks = [payload for event in events for payload in encoder.encode(event)]
    return chunks, encoder.finished


def test_stream_encoder_exact_chunks_for_parallel_calls() -> None:
    chunks, finished = encode_stream(PARALLEL_CALL_EVENTS, include_usage=True)
    first = {
        "role": "assistant",
        "tool_calls": [
            {"index": 0, "id": "call_A", "type": "function", "function": {"name": "get_weather", "arguments": ""}}
        ],
    }
    usage = {
        "prompt_tokens": 10,
        "completion_tokens": 20,
        "total_tokens": 30,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }
    call_b = {"index": 1, "id": "call_B", "type": "function", "function": {"name": "get_time", "arguments": ""}}
    assert chunks == [
        chunk(first),
        *PARALLEL_CALL_CHUNKS[1:3],
        chunk({"tool_calls": [call_b]}),  # the IR carries call B's arguments as a delta after its start
        chunk({"tool_calls": [{"index": 1, "function": {"arguments": "{}"}}]}),
        PARALLEL_CALL_CHUNKS[4],
        {**ENVELOPE, "choices": [], "usage": usage},
    ]
    assert finished is True
    final = sdk_accumulate(chunks)
    calls = final.choices[0].message.tool_calls or []
    assert [(c.id, c.function.name, c.function.arguments) for c in calls if c.type == "function"] == [
        ("call_A", "get_weather", '{"city":"Paris"}'),
        ("call_B", "get_time", "{}"),
    ]
    assert final.choices[0].finish_reason == "tool_calls"
    assert final.usage is not None
    assert final.usage.total_tokens == 30


def test_stream_encoder_output_reassembles_in_the_sdk() -> None:
    """n=2, text then two parallel calls in choice 0 (IR part indexes 1 and 3 -> tool indexes 0 and 1), a thinking
    part that must vanish, a refusal in choice 1, and the usage chunk."""
    refusal = ir.TextPart("", provider_details={"openai_chat": {"refusal": True}})
    events: list[ir.StreamEvent] = [
        ir.MessageStart("msg_1", "claude-x", 1700000000),
        ir.PartStart(0, ir.ThinkingPart()),
        ir.ThinkingDelta(0, "pondering", signature="sig"),
        ir.PartEnd(0),
        ir.PartStart(1, ir.TextPart("")),
        ir.TextDelta(1, "Checking "),
        ir.PartStart(0, ir.TextPart("Other "), choice=1),
        ir.TextDelta(1, "both."),
        ir.PartEnd(1),
        ir.TextDelta(0, "answer", choice=1),
        ir.PartEnd(0, choice=1),
        ir.PartStart(2, ir.ToolCallPart("toolu_1", "get_weather")),
        ir.ToolArgumentsDelta(2, '{"city"'),
        ir.PartStart(1, refusal, choice=1),
        ir.TextDelta(1, "Sorry.", choice=1),
        ir.ToolArgumentsDelta(2, ':"Paris"}'),
        ir.PartEnd(2),
        ir.PartStart(3, ir.ToolCallPart("toolu_2", "get_time", "{}")),
        ir.PartEnd(3),
        ir.Finish("tool_calls"),
        ir.PartEnd(1, choice=1),
        ir.Finish("stop_sequence", choice=1, stop_sequence="END"),
        ir.UsageUpdate(ir.Usage(input_tokens=40, output_tokens=12, cache_read_tokens=8, reasoning_tokens=3)),
        ir.StreamEnd(),
    ]
    chunks, finished = encode_stream(events, include_usage=True)
    assert finished is True
    assert {(c["id"], c["created"], c["model"]) for c in chunks} == {("msg_1", 1700000000, "claude-x")}
    assert all(c["usage"] is None for c in chunks[:-1])
    assert chunks[-1]["choices"] == []
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "Checking "}
    assert [c for c in chunks if "pondering" in str(c)] == []

    final = sdk_accumulate(chunks)
    first, second = final.choices
    assert first.message.content == "Checking both."
    calls = first.message.tool_calls or []
    assert [(c.id, c.function.name, c.function.arguments) for c in calls if c.type == "function"] == [
        ("toolu_1", "get_weather", '{"city":"Paris"}'),
        ("toolu_2", "get_time", "{}"),
    ]
    assert first.finish_reason == "tool_calls"
    assert (second.message.content, second.message.refusal, second.finish_reason) == ("Other answer", "Sorry.", "stop")
    assert final.usage is not None
    assert (final.usage.prompt_tokens, final.usage.completion_tokens, final.usage.total_tokens) == (40, 12, 52)
    assert final.usage.prompt_tokens_details is not None
    assert final.usage.prompt_tokens_details.cached_tokens == 8

    # and the decoder reads our own output back into the same content
    decoded = decode_stream(sse_bytes(chunks))
    assert [e for e in decoded if isinstance(e, ir.Finish)] == [ir.Finish("tool_calls"), ir.Finish("stop", choice=1)]
    assert decoded[-2:] == [
        ir.UsageUpdate(ir.Usage(input_tokens=40, output_tokens=12, cache_read_tokens=8, reasoning_tokens=3)),
        ir.StreamEnd(),
    ]


def test_stream_encoder_without_include_usage_sends_no_usage() -> None:
    chunks, _ = encode_stream(PARALLEL_CALL_EVENTS, include_usage=False)
    assert all("usage" not in c for c in chunks)
    assert all(c["choices"] for c in chunks)


def test_stream_encoder_empty_choice_and_late_choices() -> None:
    events: list[ir.StreamEvent] = [
        ir.MessageStart("c", "m", 1),
        ir.PartStart(0, ir.TextPart(""), choice=1),
        ir.TextDelta(0, "second", choice=1),
        ir.Finish("stop", choice=1),
        ir.Finish("pause"),
        ir.StreamEnd(),
    ]
    chunks, _ = encode_stream(events, include_usage=False)
    envelope = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m"}

    def one(index: int, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        return {**envelope, "choices": [{"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}]}

    assert chunks == [
        one(0, {"role": "assistant"}, None),
        one(1, {"role": "assistant", "content": "second"}, None),
        one(1, {}, "stop"),
        one(0, {}, "stop"),
    ]
    final = sdk_accumulate(chunks)
    assert [(c.message.content, c.finish_reason) for c in final.choices] == [(None, "stop"), ("second", "stop")]


def test_stream_encoder_rejects_events_before_message_start() -> None:
    encoder = OpenAIChatStreamEncoder()
    encoder.encode(ir.PartStart(0, ir.TextPart("")))
    with pytest.raises(ProtocolError, match="before MessageStart"):
        encoder.encode(ir.TextDelta(0, "x"))


# -- errors --------------------------------------------------------------------------------------------------------
def openai_error(message: str, code: str | None = None, err_type: str = "invalid_request_error") -> dict[str, Any]:
    return {"error": {"message": message, "type": err_type, "param": None, "code": code}}


@pytest.mark.parametrize(
    ("status", "payload", "expected"),
    [
        (400, openai_error("bad"), BadRequest),
        (400, openai_error("too long", "context_length_exceeded"), ContextLengthExceeded),
        (400, openai_error("This model's maximum context length is 8192 tokens"), ContextLengthExceeded),
        (401, openai_error("Incorrect API key", "invalid_api_key"), AuthenticationError),
        (403, openai_error("Country not supported"), PermissionDenied),
        (404, openai_error("No such model", "model_not_found"), NotFound),
        (408, openai_error("timeout"), Timeout),
        (409, openai_error("conflict"), BadRequest),
        (422, openai_error("unprocessable"), BadRequest),
        (429, openai_error("quota", "insufficient_quota"), RateLimited),
        (500, openai_error("boom", None, "server_error"), ServerError),
        (503, openai_error("Slow down", None, "server_error"), Overloaded),
        (529, "overloaded", Overloaded),
        (504, None, Timeout),
        (502, "<html>Bad gateway</html>", ServerError),
        (200, openai_error("late failure", None, "server_error"), ServerError),
        (200, openai_error("bad", "context_length_exceeded"), ContextLengthExceeded),
        (None, openai_error("limit", "rate_limit_exceeded", "requests"), RateLimited),
        (None, {"error": {"message": "mystery"}}, ServerError),
    ],
)
def test_error_from_body_maps_status_and_codes(
    status: int | None, payload: object, expected: type[ProviderError]
) -> None:
    error = error_from_body(status, payload, {"X-Request-ID": "req_1"})
    assert type(error) is expected
    assert error.status_code == status
    assert error.body == payload
    assert error.upstream_request_id == "req_1"


def test_error_from_body_message_and_code() -> None:
    error = error_from_body(429, openai_error("Rate limit reached", "rate_limit_exceeded", "requests"))
    assert (error.message, error.code) == ("Rate limit reached", "rate_limit_exceeded")
    assert error_from_body(502, "<html>Bad gateway</html>").message == "<html>Bad gateway</html>"
    assert error_from_body(500, None).message == "upstream error (HTTP 500)"
    assert error_from_body(400, b'{"error": {"message": "from bytes"}}').message == "from bytes"


def test_error_from_body_content_filter_categories() -> None:
    categories = {"hate": {"filtered": True, "severity": "high"}, "violence": {"filtered": False, "severity": "safe"}}
    payload = {
        "error": {
            "message": "The response was filtered",
            "type": None,
            "param": "prompt",
            "code": "content_filter",
            "status": 400,
            "innererror": {"code": "ResponsibleAIPolicyViolation", "content_filter_result": categories},
        }
    }
    error = error_from_body(400, payload)
    assert isinstance(error, ContentFiltered)
    assert error.categories == categories


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"Retry-After-Ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after": formatdate(0, usegmt=True)}, 0.0),
        ({}, None),
    ],
)
def test_rate_limit_retry_after(headers: dict[str, str], expected: float | None) -> None:
    error = error_from_body(429, openai_error("slow down"), headers)
    assert isinstance(error, RateLimited)
    assert error.retry_after == expected


def test_rate_limit_retry_after_http_date_in_the_future() -> None:
    error = error_from_body(429, openai_error("slow down"), {"retry-after": formatdate(time.time() + 30, usegmt=True)})
    assert isinstance(error, RateLimited)
    assert error.retry_after is not None
    assert 27 <= error.retry_after <= 30


# -- data URLs -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (PNG_URL, ("image/png", PNG)),
        ("data:image/png;base64,iVBORw0KGgo", ("image/png", PNG)),
        ("data:text/plain;charset=utf-8;base64,aGk=", ("text/plain;charset=utf-8", b"hi")),
        ("data:,hello%20world", ("text/plain", b"hello world")),
        ("data:image/png;base64,***", None),
        ("https://example.com/x.png", None),
        ("data:no-comma", None),
    ],
)
def test_parse_data_url(url: str, expected: tuple[str, bytes] | None) -> None:
    assert parse_data_url(url) == expected


def test_to_data_url() -> None:
    assert to_data_url("image/png", PNG) == PNG_URL
    assert parse_data_url(to_data_url("application/pdf", PDF)) == ("application/pdf", PDF)
