"""Anthropic Messages codec: request/response round trips, cross-protocol encoding, streams and errors."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types import Message as SDKMessage
from anthropic.types import RawMessageStreamEvent
from pydantic import TypeAdapter

from routeapi import ir
from routeapi.errors import (
    AuthenticationError,
    BadRequest,
    ContextLengthExceeded,
    NotFound,
    Overloaded,
    PermissionDenied,
    ProtocolError,
    RateLimited,
    ServerError,
    StreamInterrupted,
    Timeout,
    UnsupportedFeature,
)
from routeapi.protocols.anthropic_messages import (
    AnthropicMessagesCodec,
    AnthropicStreamDecoder,
    AnthropicStreamEncoder,
    error_from_body,
    unwrap_forced_tool,
)
from routeapi.protocols.sse import SSEEvent

codec = AnthropicMessagesCodec()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
PNG_B64 = base64.b64encode(PNG).decode()
PDF_B64 = base64.b64encode(b"%PDF-1.4 test").decode()
MODEL = "claude-sonnet-4-5"


def body(**fields: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 1024, "messages": [{"role": "user", "content": "Hi"}], **fields}


# ---------------------------------------------------------------------------------------------------------------
# Requests: same-protocol round trip

REQUEST_ROUND_TRIPS: dict[str, dict[str, Any]] = {
    "minimal": body(),
    "no max_tokens": {"model": MODEL, "messages": [{"role": "user", "content": "Hi"}]},
    "system string": body(system="Be brief."),
    "system blocks with cache_control": body(
        system=[
            {"type": "text", "text": "Be brief."},
            {"type": "text", "text": "Big context", "cache_control": {"type": "ephemeral", "ttl": "1h"}},
        ]
    ),
    "single text block stays a list": body(messages=[{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]),
    "multimodal": body(
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}},
                    {"type": "image", "source": {"type": "url", "url": "https://example.com/a.jpg"}},
                    {"type": "image", "source": {"type": "file", "file_id": "file_01"}},
                    {
                        "type": "document",
                        "source": {"type": "base64", "media_type": "application/pdf", "data": PDF_B64},
                        "title": "Report",
                        "context": "Q3",
                        "citations": {"enabled": True},
                    },
                    {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "plain"}},
                    {"type": "document", "source": {"type": "url", "url": "https://example.com/a.pdf"}},
                    {"type": "text", "text": "Compare", "cache_control": {"type": "ephemeral"}},
                ],
            }
        ]
    ),
    "tool loop": body(
        messages=[
            {"role": "user", "content": "Weather in Paris and Rome?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "Two calls.", "signature": "EqQBCgIYAhIM"},
                    {"type": "redacted_thinking", "data": "opaque=="},
                    {"type": "text", "text": "Checking."},
                    {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Paris"}},
                    {"type": "tool_use", "id": "toolu_2", "name": "weather", "input": {"city": "Rome", "n": [1, 2]}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18C"},
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_2",
                        "content": [
                            {"type": "text", "text": "failed"},
                            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}},
                        ],
                        "is_error": True,
                        "cache_control": {"type": "ephemeral"},
                    },
                    {"type": "text", "text": "Go on."},
                ],
            },
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "toolu_3", "name": "weather", "input": {}}],
            },
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Before the result."},
                    {"type": "tool_result", "tool_use_id": "toolu_3", "is_error": False},
                ],
            },
        ],
        tools=[
            {
                "name": "weather",
                "description": "Current weather",
                "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
                "cache_control": {"type": "ephemeral"},
                "type": "custom",
                "strict": True,
            },
            {"type": "web_search_20250305", "name": "web_search", "max_uses": 3},
            {"name": "other", "input_schema": {"type": "object"}},
        ],
        tool_choice={"type": "auto", "disable_parallel_tool_use": False},
    ),
    "server tool blocks carried verbatim": body(
        messages=[
            {"role": "user", "content": "Search"},
            {
                "role": "assistant",
                "content": [
                    {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "x"}},
                    {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
                    {"type": "text", "text": "Found it."},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "And this:"},
                    {"type": "search_result", "source": "s", "title": "t", "content": []},
                ],
            },
        ]
    ),
    "settings": body(
        temperature=0,
        top_p=0,
        top_k=0,
        stop_sequences=["END", "STOP"],
        metadata={"user_id": "user-1"},
        stream=True,
        service_tier="auto",
        container="container_1",
        inference_geo="us",
        future_param={"nested": [1, 2]},
    ),
    "explicit nulls and false": body(temperature=None, stream=False, metadata={}),
    "thinking enabled with display": body(thinking={"type": "enabled", "budget_tokens": 2048, "display": "omitted"}),
    "thinking disabled": body(thinking={"type": "disabled"}),
    "thinking adaptive": body(thinking={"type": "adaptive"}),
    "output_config format and effort": body(
        output_config={"effort": "high", "format": {"type": "json_schema", "schema": {"type": "object"}}}
    ),
    "output_config effort only": body(output_config={"effort": "low"}),
    "tool_choice any": body(tools=[{"name": "f", "input_schema": {"type": "object"}}], tool_choice={"type": "any"}),
    "tool_choice named": body(
        tools=[{"name": "f", "input_schema": {"type": "object"}}],
        tool_choice={"type": "tool", "name": "f", "disable_parallel_tool_use": True},
    ),
    "tool_choice none": body(tools=[{"name": "f", "input_schema": {"type": "object"}}], tool_choice={"type": "none"}),
    "consecutive user turns kept": body(
        messages=[{"role": "user", "content": "one"}, {"role": "user", "content": "two"}]
    ),
    "assistant prefill": body(messages=[{"role": "user", "content": "Say hi"}, {"role": "assistant", "content": "Hi"}]),
}


@pytest.mark.parametrize("original", REQUEST_ROUND_TRIPS.values(), ids=REQUEST_ROUND_TRIPS.keys())
def test_request_round_trip_is_exact(original: dict[str, Any]) -> None:
    snapshot = copy.deepcopy(original)
    request = codec.decode_request(original)
    encoded, adaptations = codec.encode_request(request, model=MODEL)
    expected = dict(snapshot)
    if "max_tokens" not in snapshot:
        expected["max_tokens"] = 4096
        assert adaptations == [ir.Adaptation("max_tokens", "adapted", "Anthropic requires max_tokens; sent 4096")]
    else:
        assert adaptations == []
    assert encoded == expected
    assert original == snapshot  # decoding does not modify its input


# ---------------------------------------------------------------------------------------------------------------
# Requests: decode into the IR


def test_decode_request_builds_the_ir() -> None:
    request = codec.decode_request(REQUEST_ROUND_TRIPS["tool loop"])
    assert request.source == "anthropic_messages"
    assert request.settings.max_tokens == 1024
    assert request.settings.parallel_tool_calls is True
    assert request.tool_choice == "auto"
    assert [m.role for m in request.messages] == ["user", "assistant", "tool", "user", "assistant", "user", "tool"]
    assistant = request.messages[1]
    assert assistant.parts == [
        ir.ThinkingPart("Two calls.", signature="EqQBCgIYAhIM"),
        ir.ThinkingPart(redacted="opaque=="),
        ir.TextPart("Checking."),
        ir.ToolCallPart("toolu_1", "weather", '{"city": "Paris"}'),
        ir.ToolCallPart("toolu_2", "weather", '{"city": "Rome", "n": [1, 2]}'),
    ]
    results = request.messages[2].parts
    assert results[0] == ir.ToolResultPart(
        "toolu_1", [ir.TextPart("18C")], provider_details={"anthropic_messages": {"string_content": True}}
    )
    assert results[1] == ir.ToolResultPart(
        "toolu_2",
        [ir.TextPart("failed"), ir.ImagePart(data=PNG, media_type="image/png")],
        is_error=True,
        provider_details={"anthropic_messages": {"cache_control": {"type": "ephemeral"}}},
    )
    assert request.messages[3].parts == [ir.TextPart("Go on.")]
    assert request.messages[5].parts == [ir.TextPart("Before the result.")]
    assert request.messages[6].parts == [
        ir.ToolResultPart("toolu_3", [], provider_details={"anthropic_messages": {"is_error": False}})
    ]
    assert request.tools == [
        ir.Tool(
            "weather",
            "Current weather",
            {"type": "object", "properties": {"city": {"type": "string"}}},
            strict=True,
            provider_details={"anthropic_messages": {"cache_control": {"type": "ephemeral"}, "type": "custom"}},
        ),
        ir.Tool("other", None, {"type": "object"}),
    ]
    assert request.extra == {"tools": [{"type": "web_search_20250305", "name": "web_search", "max_uses": 3}]}


def test_decode_request_multimodal_parts() -> None:
    request = codec.decode_request(REQUEST_ROUND_TRIPS["multimodal"])
    assert request.messages[0].parts == [
        ir.ImagePart(data=PNG, media_type="image/png"),
        ir.ImagePart(url="https://example.com/a.jpg"),
        ir.ImagePart(provider_details={"anthropic_messages": {"source": {"type": "file", "file_id": "file_01"}}}),
        ir.DocumentPart(
            data=b"%PDF-1.4 test",
            media_type="application/pdf",
            title="Report",
            provider_details={"anthropic_messages": {"context": "Q3", "citations": {"enabled": True}}},
        ),
        ir.DocumentPart(text="plain", media_type="text/plain"),
        ir.DocumentPart(url="https://example.com/a.pdf"),
        ir.TextPart("Compare", provider_details={"anthropic_messages": {"cache_control": {"type": "ephemeral"}}}),
    ]


def test_decode_request_settings_and_extra() -> None:
    request = codec.decode_request(REQUEST_ROUND_TRIPS["settings"])
    settings = request.settings
    assert (settings.temperature, settings.top_p, settings.top_k) == (0, 0, 0)
    assert settings.stop == ["END", "STOP"]
    assert settings.user == "user-1"
    assert request.stream is True
    assert request.stream_usage is True
    assert request.extra == {
        "service_tier": "auto",
        "container": "container_1",
        "inference_geo": "us",
        "future_param": {"nested": [1, 2]},
    }


def test_decode_request_system_and_thinking() -> None:
    request = codec.decode_request(body(system="Be brief.", thinking={"type": "enabled", "budget_tokens": 2048}))
    assert request.messages[0] == ir.Message(
        "system", [ir.TextPart("Be brief.")], provider_details={"anthropic_messages": {"string_content": True}}
    )
    assert request.settings.reasoning_budget == 2048
    assert codec.decode_request(body(thinking={"type": "disabled"})).settings.reasoning_budget == 0
    adaptive = codec.decode_request(body(thinking={"type": "adaptive"}))
    assert adaptive.settings.reasoning_budget is ir.UNSET
    assert adaptive.extra == {"thinking": {"type": "adaptive"}}


def test_decode_request_tool_choice_and_output_config() -> None:
    request = codec.decode_request(
        body(
            tool_choice={"type": "tool", "name": "f", "disable_parallel_tool_use": True},
            output_config={"format": {"type": "json_schema", "schema": {"type": "object"}}},
        )
    )
    assert request.tool_choice == ir.NamedToolChoice("f")
    assert request.settings.parallel_tool_calls is False
    assert request.response_format == ir.ResponseFormat("json_schema", schema={"type": "object"})
    assert request.extra == {}
    assert codec.decode_request(body(tool_choice={"type": "any"})).tool_choice == "required"
    assert codec.decode_request(body(tool_choice={"type": "none"})).tool_choice == "none"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (body(max_tokens="1024"), "max_tokens: expected an integer, got str"),
        (body(max_tokens=True), "max_tokens: expected an integer, got bool"),
        ({"messages": []}, "model: expected a string, got null"),
        ({"model": MODEL}, "messages: expected an array, got null"),
        (body(messages=[{"role": "system", "content": "x"}]), "messages[0].role: expected 'user' or 'assistant'"),
        (
            body(messages=[{"role": "user", "content": "a"}, {"role": "user", "content": [{"type": "audio"}]}]),
            "messages[1].content[0].type: unsupported content block type 'audio'",
        ),
        (
            body(messages=[{"role": "user", "content": [{"text": "no type"}]}]),
            "messages[0].content[0].type: expected a string, got null",
        ),
        (
            body(messages=[{"role": "user", "content": [{"type": "text", "text": 5}]}]),
            "messages[0].content[0].text: expected a string, got int",
        ),
        (
            body(
                messages=[
                    {
                        "role": "user",
                        "content": [{"type": "image", "source": {"type": "base64", "media_type": "x", "data": "@@"}}],
                    }
                ]
            ),
            "messages[0].content[0].source.data: invalid base64 data",
        ),
        (
            body(messages=[{"role": "assistant", "content": [{"type": "tool_result", "tool_use_id": "t"}]}]),
            "messages[0].content[0].type: tool_result blocks belong in user messages",
        ),
        (
            body(
                messages=[{"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "f", "input": []}]}]
            ),
            "messages[0].content[0].input: expected an object, got list",
        ),
        (body(tool_choice={"type": "sometimes"}), "tool_choice.type: unknown tool choice 'sometimes'"),
        (body(stream="yes"), "stream: expected a boolean, got str"),
        (body(system=[{"type": "image"}]), "system[0].type: system blocks must be text"),
        (body(tools=[{"name": "f"}]), "tools[0].input_schema: expected an object, got null"),
        (body(temperature="hot"), "temperature: expected a number, got str"),
        (body(stop_sequences=["a", 1]), "stop_sequences[1]: expected a string, got int"),
    ],
)
def test_decode_request_rejects_malformed_input_naming_the_path(bad: dict[str, Any], message: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        codec.decode_request(bad)
    assert str(caught.value).startswith(message)


# ---------------------------------------------------------------------------------------------------------------
# Requests: encoding an IR from another protocol


def openai_request(**fields: Any) -> ir.Request:
    fields.setdefault("settings", ir.GenerationSettings(max_tokens=100))
    return ir.Request(model="gpt-4o", source="openai_chat", **fields)


def test_cross_protocol_conversation_hoists_system_and_merges_tool_results() -> None:
    request = openai_request(
        messages=[
            ir.Message("system", [ir.TextPart("You are terse.")]),
            ir.Message("user", [ir.TextPart("Weather in Paris and Rome?")]),
            ir.Message(
                "assistant",
                [
                    ir.TextPart(""),
                    ir.ToolCallPart("call_1", "weather", '{"city": "Paris"}'),
                    ir.ToolCallPart("call_2", "weather", '{"city": "Rome"}'),
                ],
            ),
            ir.Message("tool", [ir.ToolResultPart("call_1", [ir.TextPart("18C")])]),
            ir.Message("developer", [ir.TextPart("Answer in French.")]),
            ir.Message("tool", [ir.ToolResultPart("call_2", [ir.TextPart("21C")], is_error=True)]),
            ir.Message("user", [ir.TextPart("Thanks")]),
        ]
    )
    encoded, adaptations = codec.encode_request(request, model=MODEL)
    assert encoded == {
        "model": MODEL,
        "max_tokens": 100,
        "system": [{"type": "text", "text": "You are terse."}, {"type": "text", "text": "Answer in French."}],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Weather in Paris and Rome?"}]},
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "call_1", "name": "weather", "input": {"city": "Paris"}},
                    {"type": "tool_use", "id": "call_2", "name": "weather", "input": {"city": "Rome"}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "call_1", "content": "18C"},
                    {"type": "tool_result", "tool_use_id": "call_2", "content": "21C", "is_error": True},
                    {"type": "text", "text": "Thanks"},
                ],
            },
        ],
    }
    assert adaptations == [
        ir.Adaptation("system", "adapted", "messages[4] moved into the top-level system prompt"),
    ]


def test_cross_protocol_tool_results_go_before_user_text_in_the_merged_turn() -> None:
    request = openai_request(
        messages=[
            ir.Message("assistant", [ir.ToolCallPart("a", "f", "{}"), ir.ToolCallPart("b", "f", "{}")]),
            ir.Message("tool", [ir.ToolResultPart("a", [ir.TextPart("1")])]),
            ir.Message("user", [ir.TextPart("interjection")]),
            ir.Message("tool", [ir.ToolResultPart("b", [ir.TextPart("2")])]),
        ]
    )
    encoded, _ = codec.encode_request(request, model=MODEL)
    assert encoded["messages"][1] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "a", "content": "1"},
            {"type": "tool_result", "tool_use_id": "b", "content": "2"},
            {"type": "text", "text": "interjection"},
        ],
    }


@pytest.mark.parametrize(
    ("tool_choice", "parallel", "expected"),
    [
        (ir.UNSET, False, {"type": "auto", "disable_parallel_tool_use": True}),
        (ir.UNSET, True, None),
        ("auto", ir.UNSET, {"type": "auto"}),
        ("required", False, {"type": "any", "disable_parallel_tool_use": True}),
        (ir.NamedToolChoice("f"), True, {"type": "tool", "name": "f", "disable_parallel_tool_use": False}),
        ("none", False, {"type": "none"}),
    ],
)
def test_cross_protocol_tool_choice_and_parallel_calls(
    tool_choice: ir.Maybe[ir.ToolChoice], parallel: ir.Maybe[bool], expected: dict[str, Any] | None
) -> None:
    request = openai_request(
        tools=[ir.Tool("f", "does f", {"type": "object", "properties": {}})],
        tool_choice=tool_choice,
        settings=ir.GenerationSettings(max_tokens=100, parallel_tool_calls=parallel),
    )
    encoded, adaptations = codec.encode_request(request, model=MODEL)
    assert encoded["tools"] == [
        {"name": "f", "description": "does f", "input_schema": {"type": "object", "properties": {}}}
    ]
    assert encoded.get("tool_choice") == expected
    assert adaptations == []


def test_cross_protocol_tool_choice_without_tools_is_omitted() -> None:
    encoded, _ = codec.encode_request(openai_request(tool_choice="none"), model=MODEL)
    assert "tool_choice" not in encoded
    assert "tools" not in encoded


def test_cross_protocol_settings_kept_dropped_and_adapted() -> None:
    request = openai_request(
        messages=[ir.Message("user", [ir.TextPart("Hi")])],
        settings=ir.GenerationSettings(
            temperature=0,
            top_p=0,
            top_k=0,
            stop=["\n\n"],
            seed=7,
            presence_penalty=0.5,
            frequency_penalty=0.1,
            logit_bias={"50256": -100},
            logprobs=True,
            top_logprobs=3,
            n=1,
            user="user-9",
        ),
        extra={"store": True, "prediction": {"type": "content"}},
    )
    encoded, adaptations = codec.encode_request(request, model=MODEL, default_max_tokens=2048)
    assert encoded == {
        "model": MODEL,
        "max_tokens": 2048,
        "temperature": 0,
        "top_p": 0,
        "top_k": 0,
        "stop_sequences": ["\n\n"],
        "metadata": {"user_id": "user-9"},
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
    }
    reason = "Anthropic Messages has no equivalent"
    assert adaptations == [
        ir.Adaptation("max_tokens", "adapted", "Anthropic requires max_tokens; sent 2048"),
        ir.Adaptation("seed", "dropped", reason),
        ir.Adaptation("presence_penalty", "dropped", reason),
        ir.Adaptation("frequency_penalty", "dropped", reason),
        ir.Adaptation("logit_bias", "dropped", reason),
        ir.Adaptation("logprobs", "dropped", reason),
        ir.Adaptation("top_logprobs", "dropped", reason),
        ir.Adaptation("user", "adapted", "sent as metadata.user_id"),
        ir.Adaptation("store", "dropped", "openai_chat parameter not supported by Anthropic Messages"),
        ir.Adaptation("prediction", "dropped", "openai_chat parameter not supported by Anthropic Messages"),
    ]


def test_cross_protocol_n_above_one_is_rejected_and_n_one_is_a_no_op() -> None:
    request = openai_request(settings=ir.GenerationSettings(max_tokens=10, n=2))
    with pytest.raises(UnsupportedFeature, match="n=2"):
        codec.encode_request(request, model=MODEL)
    request = openai_request(settings=ir.GenerationSettings(max_tokens=10, n=1))
    assert codec.encode_request(request, model=MODEL)[1] == []


def test_cross_protocol_json_schema_native() -> None:
    schema = {"type": "object", "properties": {"x": {"type": "integer"}}}
    request = openai_request(
        response_format=ir.ResponseFormat("json_schema", name="answer", schema=schema, strict=True)
    )
    encoded, adaptations = codec.encode_request(request, model=MODEL)
    assert encoded["output_config"] == {"format": {"type": "json_schema", "schema": schema}}
    assert adaptations == [
        ir.Adaptation("response_format.strict", "dropped", "Anthropic has no strict switch for output schemas")
    ]


def test_cross_protocol_json_object_is_dropped() -> None:
    encoded, adaptations = codec.encode_request(
        openai_request(response_format=ir.ResponseFormat("json_object")), model=MODEL
    )
    assert "output_config" not in encoded
    assert adaptations == [ir.Adaptation("response_format", "dropped", "Anthropic has no JSON mode; use json_schema")]


def test_structured_output_as_forced_tool() -> None:
    schema = {"type": "object", "properties": {"x": {"type": "integer"}}}
    request = openai_request(
        response_format=ir.ResponseFormat("json_schema", name="answer", schema=schema),
        settings=ir.GenerationSettings(max_tokens=100, reasoning_budget=2048),
    )
    encoded, adaptations = codec.encode_request(request, model=MODEL, structured_output="tool")
    assert encoded["tools"] == [{"name": "answer", "input_schema": schema}]
    assert encoded["tool_choice"] == {"type": "tool", "name": "answer"}
    assert "output_config" not in encoded
    assert "thinking" not in encoded
    assert adaptations == [
        ir.Adaptation("response_format", "adapted", "emulated with a forced call of the tool 'answer'"),
        ir.Adaptation("reasoning", "dropped", "Anthropic does not allow thinking with a forced tool choice"),
    ]
    default_name = openai_request(response_format=ir.ResponseFormat("json_schema", schema=schema))
    assert codec.encode_request(default_name, model=MODEL, structured_output="tool")[0]["tool_choice"] == {
        "type": "tool",
        "name": "json_output",
    }


def test_unwrap_forced_tool() -> None:
    response = ir.Response(
        id="msg_1",
        model=MODEL,
        choices=[
            ir.Choice(
                ir.Message("assistant", [ir.ToolCallPart("toolu_1", "json_output", '{"x": 1}')]),
                finish_reason="tool_calls",
            )
        ],
    )
    unwrapped = unwrap_forced_tool(response, "json_output")
    assert unwrapped.choices[0].message.parts == [ir.TextPart('{"x": 1}')]
    assert unwrapped.choices[0].finish_reason == "stop"
    assert response.choices[0].finish_reason == "tool_calls"  # the input is not modified
    assert unwrap_forced_tool(response, "other") == response
    both = ir.Response(
        id="msg_2",
        model=MODEL,
        choices=[
            ir.Choice(
                ir.Message("assistant", [ir.ToolCallPart("t1", "json_output", "{}"), ir.ToolCallPart("t2", "f", "{}")]),
                finish_reason="tool_calls",
            )
        ],
    )
    still_calling = unwrap_forced_tool(both, "json_output").choices[0]
    assert still_calling.message.parts == [ir.TextPart("{}"), ir.ToolCallPart("t2", "f", "{}")]
    assert still_calling.finish_reason == "tool_calls"


@pytest.mark.parametrize(
    ("effort", "max_tokens", "expected_thinking", "expected_max", "adaptation"),
    [
        (
            "low",
            8000,
            {"type": "enabled", "budget_tokens": 1024},
            8000,
            "'low' sent as a thinking budget of 1024 tokens",
        ),
        (
            "medium",
            8000,
            {"type": "enabled", "budget_tokens": 4096},
            8000,
            "'medium' sent as a thinking budget of 4096 tokens",
        ),
        (
            "high",
            ir.UNSET,
            {"type": "enabled", "budget_tokens": 16384},
            16384 + 4096,
            "'high' sent as a thinking budget of 16384 tokens",
        ),
        (
            "high",
            8000,
            {"type": "enabled", "budget_tokens": 7999},
            8000,
            "'high' sent as a thinking budget of 7999 tokens",
        ),
        ("minimal", 8000, None, 8000, "'minimal' sent as no thinking"),
        ("none", 8000, None, 8000, "'none' sent as no thinking"),
    ],
)
def test_cross_protocol_reasoning_effort(
    effort: str, max_tokens: ir.Maybe[int], expected_thinking: dict[str, Any] | None, expected_max: int, adaptation: str
) -> None:
    request = openai_request(settings=ir.GenerationSettings(max_tokens=max_tokens, reasoning_effort=effort))
    encoded, adaptations = codec.encode_request(request, model=MODEL)
    assert encoded.get("thinking") == expected_thinking
    assert encoded["max_tokens"] == expected_max
    assert adaptations[-1] == ir.Adaptation("reasoning_effort", "adapted", adaptation)


def test_cross_protocol_reasoning_budget_zero_disables_thinking() -> None:
    request = openai_request(settings=ir.GenerationSettings(max_tokens=100, reasoning_budget=0))
    assert codec.encode_request(request, model=MODEL)[0]["thinking"] == {"type": "disabled"}


@pytest.mark.parametrize(
    ("budget", "max_tokens", "expected_thinking", "expected_max", "expected_adaptations"),
    [
        (2048, 8000, {"type": "enabled", "budget_tokens": 2048}, 8000, []),
        (
            512,
            8000,
            {"type": "enabled", "budget_tokens": 1024},
            8000,
            [("adapted", "sent as a thinking budget of 1024 tokens")],
        ),
        (8192, ir.UNSET, {"type": "enabled", "budget_tokens": 8192}, 8192 + 4096, []),
        (8192, 1000, None, 1000, [("dropped", "max_tokens 1000 leaves no room for thinking")]),
        (-1, 8000, None, 8000, [("dropped", "Anthropic has no dynamic thinking budget")]),
    ],
)
def test_cross_protocol_reasoning_budget_is_fitted_to_anthropic_limits(
    budget: int,
    max_tokens: ir.Maybe[int],
    expected_thinking: dict[str, Any] | None,
    expected_max: int,
    expected_adaptations: list[tuple[str, str]],
) -> None:
    request = openai_request(settings=ir.GenerationSettings(max_tokens=max_tokens, reasoning_budget=budget))
    encoded, adaptations = codec.encode_request(request, model=MODEL)
    assert encoded.get("thinking") == expected_thinking
    assert encoded["max_tokens"] == expected_max
    assert [(a.action, a.reason) for a in adaptations if a.param == "reasoning_budget"] == expected_adaptations


def test_cross_protocol_parts() -> None:
    request = openai_request(
        messages=[
            ir.Message(
                "user",
                [
                    ir.ImagePart(url="https://example.com/cat.png", detail="high"),
                    ir.ImagePart(url=f"data:image/png;base64,{PNG_B64}"),
                    ir.ImagePart(data=PNG),
                    ir.DocumentPart(data=b"%PDF-1.4 test", media_type="application/pdf", filename="r.pdf"),
                    ir.DocumentPart(data=b"notes", media_type="text/plain"),
                ],
                name="alice",
            ),
            ir.Message(
                "assistant",
                [
                    ir.ThinkingPart("gemini thoughts", provider_details={"gemini": {"thoughtSignature": "x"}}),
                    ir.ToolCallPart("call_1", "f", "{not json"),
                    ir.RefusalPart("I can't."),
                ],
            ),
        ]
    )
    encoded, adaptations = codec.encode_request(request, model=MODEL)
    assert encoded["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.png"}},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}},
                {
                    "type": "document",
                    "source": {"type": "base64", "media_type": "application/pdf", "data": PDF_B64},
                    "title": "r.pdf",
                },
                {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "notes"}},
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "call_1", "name": "f", "input": {"_raw_arguments": "{not json"}},
                {"type": "text", "text": "I can't."},
            ],
        },
    ]
    assert adaptations == [
        ir.Adaptation("messages[0].name", "dropped", "Anthropic messages have no name"),
        ir.Adaptation("messages[0].parts[0].detail", "dropped", "Anthropic has no image detail setting"),
        ir.Adaptation(
            "messages[1].parts[0]", "dropped", "reasoning from another provider cannot be replayed to Anthropic"
        ),
        ir.Adaptation(
            "messages[1].parts[1].arguments", "adapted", 'not a JSON object; sent as {"_raw_arguments": <text>}'
        ),
        ir.Adaptation("messages[1].parts[2]", "adapted", "a refusal is sent as text"),
    ]


def test_thinking_with_a_signature_from_bedrock_is_kept() -> None:
    request = openai_request(messages=[ir.Message("assistant", [ir.ThinkingPart("t", signature="sig")])])
    encoded, adaptations = codec.encode_request(request, model=MODEL)
    assert encoded["messages"][0]["content"] == [{"type": "thinking", "thinking": "t", "signature": "sig"}]
    assert adaptations == []


def test_audio_input_is_unsupported() -> None:
    request = openai_request(messages=[ir.Message("user", [ir.AudioPart(b"RIFF", "wav")])])
    with pytest.raises(
        UnsupportedFeature, match=r"messages\[0\]\.parts\[0\]: Anthropic Messages does not accept audio"
    ):
        codec.encode_request(request, model=MODEL)


def test_same_protocol_request_edited_by_the_router() -> None:
    request = codec.decode_request({"model": MODEL, "messages": [{"role": "user", "content": "Hi"}], "top_k": 5})
    request.settings.max_tokens = 64000  # filled from the model catalog
    encoded, adaptations = codec.encode_request(request, model="claude-sonnet-4-5-20250929")
    assert encoded == {
        "model": "claude-sonnet-4-5-20250929",
        "max_tokens": 64000,
        "top_k": 5,
        "messages": [{"role": "user", "content": "Hi"}],
    }
    assert adaptations == []


# ---------------------------------------------------------------------------------------------------------------
# Responses

RESPONSE_ROUND_TRIPS: dict[str, dict[str, Any]] = {
    "protocols.md 5.3": {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": [
            {"type": "thinking", "thinking": "hmm", "signature": "sig"},
            {"type": "text", "text": "Hi"},
            {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}},
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 10,
            "output_tokens": 20,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 5,
        },
    },
    "extras everywhere": {
        "id": "msg_02",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": [
            {"type": "redacted_thinking", "data": "opaque"},
            {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "q"}},
            {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
            {
                "type": "text",
                "text": "Cited",
                "citations": [
                    {
                        "type": "char_location",
                        "cited_text": "c",
                        "document_index": 0,
                        "document_title": None,
                        "start_char_index": 0,
                        "end_char_index": 1,
                    }
                ],
            },
        ],
        "stop_reason": "stop_sequence",
        "stop_sequence": "END",
        "container": {"id": "container_1", "expires_at": "2030-01-01T00:00:00Z"},
        "stop_details": None,
        "usage": {
            "input_tokens": 3,
            "output_tokens": 7,
            "cache_creation_input_tokens": None,
            "cache_read_input_tokens": 100,
            "service_tier": "standard",
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
            "server_tool_use": {"web_search_requests": 1, "web_fetch_requests": 0},
            "output_tokens_details": {"thinking_tokens": 4},
        },
    },
    "refusal": {
        "id": "msg_03",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": [],
        "stop_reason": "refusal",
        "stop_sequence": None,
        "stop_details": {"type": "refusal", "category": "cyber", "explanation": None},
        "usage": {
            "input_tokens": 1,
            "output_tokens": 0,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    },
}


@pytest.mark.parametrize("original", RESPONSE_ROUND_TRIPS.values(), ids=RESPONSE_ROUND_TRIPS.keys())
def test_response_round_trip_is_exact_and_valid(original: dict[str, Any]) -> None:
    encoded = codec.encode_response(codec.decode_response(original))
    assert encoded == original
    SDKMessage.model_validate(encoded)


def test_decode_response() -> None:
    response = codec.decode_response(RESPONSE_ROUND_TRIPS["protocols.md 5.3"])
    assert response.id == "msg_01"
    assert response.model == MODEL
    assert response.message.parts == [
        ir.ThinkingPart("hmm", signature="sig"),
        ir.TextPart("Hi"),
        ir.ToolCallPart("toolu_01", "get_weather", '{"city": "Paris"}'),
    ]
    assert response.choices[0].finish_reason == "tool_calls"
    assert response.usage == ir.Usage(input_tokens=15, output_tokens=20, cache_read_tokens=5, cache_write_tokens=0)
    extras = codec.decode_response(RESPONSE_ROUND_TRIPS["extras everywhere"])
    assert extras.choices[0].finish_reason == "stop_sequence"
    assert extras.choices[0].stop_sequence == "END"
    assert extras.usage == ir.Usage(103, 7, cache_read_tokens=100, cache_write_tokens=0, reasoning_tokens=4)


STOP_REASONS = [
    ("end_turn", "stop"),
    ("stop_sequence", "stop_sequence"),
    ("max_tokens", "length"),
    ("tool_use", "tool_calls"),
    ("refusal", "content_filter"),
    ("pause_turn", "pause"),
    ("model_context_window_exceeded", "context_length"),
]


@pytest.mark.parametrize(("wire", "finish"), STOP_REASONS)
def test_stop_reason_mapping_both_ways(wire: str, finish: ir.FinishReason) -> None:
    data = {**RESPONSE_ROUND_TRIPS["protocols.md 5.3"], "stop_reason": wire}
    assert codec.decode_response(data).choices[0].finish_reason == finish
    response = ir.Response("msg", MODEL, [ir.Choice(ir.Message("assistant"), finish_reason=finish)])
    assert codec.encode_response(response)["stop_reason"] == wire


@pytest.mark.parametrize("finish", ["malformed_tool_call", "other"])
def test_finish_reasons_without_an_anthropic_equivalent_encode_as_end_turn(finish: ir.FinishReason) -> None:
    response = ir.Response("msg", MODEL, [ir.Choice(ir.Message("assistant"), finish_reason=finish)])
    assert codec.encode_response(response)["stop_reason"] == "end_turn"


def openai_response() -> ir.Response:
    return ir.Response(
        id="chatcmpl-1",
        model="gpt-4o",
        choices=[
            ir.Choice(
                ir.Message(
                    "assistant",
                    [
                        ir.ThinkingPart("reasoning summary"),
                        ir.TextPart("Let me check."),
                        ir.ToolCallPart("call_1", "weather", '{"city": "Paris", "days": 2}'),
                    ],
                ),
                finish_reason="tool_calls",
            )
        ],
        usage=ir.Usage(input_tokens=120, output_tokens=30, cache_read_tokens=100, reasoning_tokens=12),
    )


def test_encode_response_from_another_protocol() -> None:
    encoded = codec.encode_response(openai_response())
    assert encoded == {
        "id": "chatcmpl-1",
        "type": "message",
        "role": "assistant",
        "model": "gpt-4o",
        "content": [
            {"type": "thinking", "thinking": "reasoning summary", "signature": ""},
            {"type": "text", "text": "Let me check."},
            {"type": "tool_use", "id": "call_1", "name": "weather", "input": {"city": "Paris", "days": 2}},
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 20,
            "output_tokens": 30,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 100,
            "output_tokens_details": {"thinking_tokens": 12},
        },
    }
    SDKMessage.model_validate(encoded)


# ---------------------------------------------------------------------------------------------------------------
# Streams: decoding

PROTOCOLS_MD_STREAM: list[dict[str, Any]] = [
    {
        "type": "message_start",
        "message": {
            "id": "msg_01",
            "type": "message",
            "role": "assistant",
            "model": MODEL,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {
                "input_tokens": 10,
                "output_tokens": 1,
                "cache_read_input_tokens": 5,
                "cache_creation_input_tokens": 0,
            },
        },
    },
    {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": "", "signature": ""}},
    {"type": "ping"},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Let me think"}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "EqQBCgIYAhIM"}},
    {"type": "content_block_stop", "index": 0},
    {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Hello"}},
    {"type": "content_block_stop", "index": 1},
    {
        "type": "content_block_start",
        "index": 2,
        "content_block": {"type": "tool_use", "id": "toolu_02", "name": "get_weather", "input": {}},
    },
    {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": ""}},
    {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": '{"city": "Par'}},
    {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": 'is"}'}},
    {"type": "content_block_stop", "index": 2},
    {
        "type": "message_delta",
        "delta": {"stop_reason": "tool_use", "stop_sequence": None},
        "usage": {"output_tokens": 42},
    },
    {"type": "message_stop"},
]


def sse(payload: dict[str, Any]) -> SSEEvent:
    return SSEEvent(data=json.dumps(payload), event=payload["type"])


def decode_stream(payloads: list[dict[str, Any]]) -> list[ir.StreamEvent]:
    decoder = AnthropicStreamDecoder()
    events: list[ir.StreamEvent] = []
    for payload in payloads:
        events += decoder.feed(sse(payload))
    return events + decoder.end()


def test_stream_decode_of_the_protocols_md_example() -> None:
    assert decode_stream(PROTOCOLS_MD_STREAM) == [
        ir.MessageStart("msg_01", MODEL),
        ir.UsageUpdate(ir.Usage(input_tokens=15, output_tokens=1, cache_read_tokens=5)),
        ir.PartStart(0, ir.ThinkingPart()),
        ir.ThinkingDelta(0, text="Let me think"),
        ir.ThinkingDelta(0, signature="EqQBCgIYAhIM"),
        ir.PartEnd(0),
        ir.PartStart(1, ir.TextPart("")),
        ir.TextDelta(1, "Hello"),
        ir.PartEnd(1),
        ir.PartStart(2, ir.ToolCallPart("toolu_02", "get_weather")),
        ir.ToolArgumentsDelta(2, '{"city": "Par'),
        ir.ToolArgumentsDelta(2, 'is"}'),
        ir.PartEnd(2),
        ir.Finish("tool_calls"),
        ir.UsageUpdate(ir.Usage(input_tokens=15, output_tokens=42, cache_read_tokens=5)),
        ir.StreamEnd(),
    ]


def test_stream_decode_usage_in_message_delta_replaces_the_snapshot() -> None:
    payloads: list[dict[str, Any]] = [
        PROTOCOLS_MD_STREAM[0],
        {
            "type": "message_delta",
            "delta": {"stop_reason": "max_tokens", "stop_sequence": None},
            "usage": {"output_tokens": 9, "input_tokens": 11, "cache_read_input_tokens": None},
        },
        {"type": "message_stop"},
    ]
    assert decode_stream(payloads)[-3:] == [
        ir.Finish("length"),
        ir.UsageUpdate(ir.Usage(input_tokens=16, output_tokens=9, cache_read_tokens=5)),
        ir.StreamEnd(),
    ]


def test_stream_decode_skips_server_tool_blocks() -> None:
    payloads: list[dict[str, Any]] = [
        PROTOCOLS_MD_STREAM[0],
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "server_tool_use", "id": "srv", "name": "web_search", "input": {}},
        },
        {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": "{}"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_stop"},
    ]
    assert decode_stream(payloads)[2:] == [ir.StreamEnd()]


def test_stream_without_message_stop_is_interrupted() -> None:
    decoder = AnthropicStreamDecoder()
    for payload in PROTOCOLS_MD_STREAM[:-1]:
        decoder.feed(sse(payload))
    with pytest.raises(StreamInterrupted, match="without message_stop"):
        decoder.end()


def test_stream_error_event_raises_overloaded() -> None:
    decoder = AnthropicStreamDecoder()
    decoder.feed(sse(PROTOCOLS_MD_STREAM[0]))
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    with pytest.raises(Overloaded) as caught:
        decoder.feed(sse(error))
    assert caught.value.status_code == 529
    assert caught.value.code == "overloaded_error"
    assert caught.value.message == "Overloaded"


def test_stream_malformed_json_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="malformed stream event"):
        AnthropicStreamDecoder().feed(SSEEvent(data="{nope", event="content_block_delta"))


def test_stream_delta_for_an_unstarted_block_is_a_protocol_error() -> None:
    decoder = AnthropicStreamDecoder()
    decoder.feed(sse(PROTOCOLS_MD_STREAM[0]))
    with pytest.raises(ProtocolError, match="block 3 was not started"):
        decoder.feed(sse({"type": "content_block_delta", "index": 3, "delta": {"type": "text_delta", "text": "x"}}))


# ---------------------------------------------------------------------------------------------------------------
# Streams: encoding, checked with the anthropic SDK's own accumulator

_EVENT: TypeAdapter[RawMessageStreamEvent] = TypeAdapter(RawMessageStreamEvent)


def encode_stream(events: list[ir.StreamEvent]) -> list[dict[str, Any]]:
    encoder = AnthropicStreamEncoder()
    payloads: list[dict[str, Any]] = []
    for event in events:
        payloads += encoder.encode(event)
    return payloads


def accumulate(payloads: list[dict[str, Any]]) -> SDKMessage:
    snapshot: Any = None
    json_buffers: dict[int, bytes] = {}
    for payload in payloads:
        snapshot = accumulate_event(
            event=_EVENT.validate_python(payload), current_snapshot=snapshot, json_bufs=json_buffers
        )
    return SDKMessage.model_validate(snapshot.to_dict())


def test_stream_encode_matches_the_non_streamed_encode() -> None:
    response = openai_response()
    events: list[ir.StreamEvent] = [
        ir.MessageStart("chatcmpl-1", "gpt-4o"),
        ir.PartStart(0, ir.ThinkingPart()),
        ir.ThinkingDelta(0, "reasoning "),
        ir.ThinkingDelta(0, "summary"),
        ir.PartEnd(0),
        ir.PartStart(3, ir.TextPart("Let ")),
        ir.TextDelta(3, "me check."),
        ir.PartStart(7, ir.ToolCallPart("call_1", "weather")),
        ir.ToolArgumentsDelta(7, '{"city": '),
        ir.ToolArgumentsDelta(7, '"Paris", "days": 2}'),
        ir.Finish("tool_calls"),
        ir.UsageUpdate(ir.Usage(input_tokens=120, output_tokens=30, cache_read_tokens=100, reasoning_tokens=12)),
        ir.StreamEnd(),
    ]
    payloads = encode_stream(events)
    assert [p["type"] for p in payloads] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert [p["index"] for p in payloads if p["type"] == "content_block_start"] == [0, 1, 2]
    assert accumulate(payloads) == SDKMessage.model_validate(codec.encode_response(response))


def test_stream_round_trip_of_the_protocols_md_example() -> None:
    payloads = encode_stream(decode_stream(PROTOCOLS_MD_STREAM))
    empty_arguments = {"type": "input_json_delta", "partial_json": ""}
    content_events = [p for p in PROTOCOLS_MD_STREAM[:-2] if p["type"] != "ping" and p.get("delta") != empty_arguments]
    final_usage = {
        "input_tokens": 10,
        "output_tokens": 42,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 5,
    }
    assert payloads == [
        *content_events,
        {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None}, "usage": final_usage},
        {"type": "message_stop"},
    ]
    message = accumulate(payloads)
    assert message.content[0].type == "thinking"
    assert message.content[0].signature == "EqQBCgIYAhIM"
    assert message.content[2].type == "tool_use"
    assert message.content[2].input == {"city": "Paris"}
    assert message.stop_reason == "tool_use"


def test_stream_encode_holds_back_interleaved_parts() -> None:
    """OpenAI may interleave two tool calls' argument fragments; Anthropic blocks must not overlap."""
    events: list[ir.StreamEvent] = [
        ir.MessageStart("id", "m"),
        ir.PartStart(0, ir.ToolCallPart("a", "f")),
        ir.ToolArgumentsDelta(0, '{"x": '),
        ir.PartStart(1, ir.ToolCallPart("b", "g")),
        ir.ToolArgumentsDelta(1, '{"y": 2}'),
        ir.ToolArgumentsDelta(0, "1}"),
        ir.PartStart(0, ir.TextPart("ignored"), choice=1),
        ir.Finish("tool_calls"),
        ir.StreamEnd(),
    ]
    message = accumulate(encode_stream(events))
    assert [(b.type, b.input) for b in message.content if b.type == "tool_use"] == [
        ("tool_use", {"x": 1}),
        ("tool_use", {"y": 2}),
    ]
    assert len(message.content) == 2


def test_stream_encode_redacted_thinking_stop_sequence_and_message_start_usage() -> None:
    events: list[ir.StreamEvent] = [
        ir.MessageStart("msg_9", MODEL),
        ir.UsageUpdate(ir.Usage(input_tokens=50, output_tokens=1, cache_write_tokens=20)),
        ir.PartStart(0, ir.ThinkingPart(redacted="opaque")),
        ir.PartEnd(0),
        ir.PartStart(1, ir.TextPart("")),
        ir.TextDelta(1, "done"),
        ir.PartEnd(1),
        ir.Finish("stop_sequence", stop_sequence="END"),
        ir.UsageUpdate(ir.Usage(input_tokens=50, output_tokens=8, cache_write_tokens=20)),
        ir.StreamEnd(),
    ]
    payloads = encode_stream(events)
    assert payloads[0]["message"]["usage"] == {
        "input_tokens": 30,
        "output_tokens": 1,
        "cache_creation_input_tokens": 20,
        "cache_read_input_tokens": 0,
    }
    message = accumulate(payloads)
    assert message.content[0].type == "redacted_thinking"
    assert message.content[0].data == "opaque"
    assert (message.stop_reason, message.stop_sequence) == ("stop_sequence", "END")
    assert (message.usage.input_tokens, message.usage.output_tokens) == (30, 8)


# ---------------------------------------------------------------------------------------------------------------
# Error bodies


@pytest.mark.parametrize(
    ("status", "error_type", "message", "expected", "expected_status"),
    [
        (400, "invalid_request_error", "max_tokens: field required", BadRequest, 400),
        (
            400,
            "invalid_request_error",
            "prompt is too long: 210000 tokens > 200000 maximum",
            ContextLengthExceeded,
            400,
        ),
        (401, "authentication_error", "invalid x-api-key", AuthenticationError, 401),
        (403, "permission_error", "no", PermissionDenied, 403),
        (404, "not_found_error", "model: x", NotFound, 404),
        (500, "api_error", "boom", ServerError, 500),
        (504, "timeout_error", "slow", Timeout, 504),
        (529, "overloaded_error", "Overloaded", Overloaded, 529),
        (200, "rate_limit_error", "slow down", RateLimited, 429),
        (200, "api_error", "boom", ServerError, 500),
        (200, "invalid_request_error", "bad", BadRequest, 400),
        (418, "teapot_error", "short and stout", BadRequest, 418),
        (503, "new_error", "later", Overloaded, 503),
    ],
)
def test_error_from_body(
    status: int, error_type: str, message: str, expected: type[Exception], expected_status: int
) -> None:
    body = {"type": "error", "error": {"type": error_type, "message": message}, "request_id": "req_1"}
    error = error_from_body(status, body, {"request-id": "req_header"})
    assert type(error) is expected
    assert error.status_code == expected_status
    assert error.message == message
    assert error.code == error_type
    assert error.upstream_request_id == "req_1"
    assert error.body == body


def test_error_from_body_rate_limit_retry_after_and_text_bodies() -> None:
    body = {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}
    error = error_from_body(429, body, {"Retry-After": "12", "request-id": "req_h"})
    assert isinstance(error, RateLimited)
    assert error.retry_after == 12.0
    assert error.upstream_request_id == "req_h"
    from_text = error_from_body(429, json.dumps(body), {"retry-after-ms": "1500"})
    assert isinstance(from_text, RateLimited)
    assert from_text.retry_after == 1.5
    html = error_from_body(502, "<html>bad gateway</html>", {})
    assert type(html) is ServerError
    assert html.message == "Anthropic returned HTTP 502: <html>bad gateway</html>"
