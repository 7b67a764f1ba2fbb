"""OpenAI Responses codec: exact round trips, IR mapping, adaptations, streams (checked against the openai SDK's own
accumulator) and errors."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any, cast

import pytest
from openai._types import omit
from openai.lib.streaming.responses._responses import ResponseStreamState
from openai.types.responses import ParsedResponse, Response, ResponseStreamEvent
from pydantic import TypeAdapter

from routeapi import ir
from routeapi.errors import (
    BadRequest,
    ContentFiltered,
    ProtocolError,
    ProviderError,
    RateLimited,
    ServerError,
    StreamInterrupted,
    UnsupportedFeature,
)
from routeapi.protocols.openai_chat import OpenAIChatCodec, OpenAIChatStreamDecoder
from routeapi.protocols.openai_responses import (
    OpenAIResponsesCodec,
    OpenAIResponsesStreamDecoder,
    OpenAIResponsesStreamEncoder,
    check_portable,
)
from routeapi.protocols.sse import SSEDecoder, SSEEvent, encode_sse

CODEC = OpenAIResponsesCodec()
NAME = "openai_responses"
PNG = b"\x89PNG\r\n\x1a\n"
PNG_URL = "data:image/png;base64,iVBORw0KGgo="
PDF = b"%PDF-1.4 tiny"
PDF_URL = "data:application/pdf;base64," + base64.b64encode(PDF).decode()
WEATHER_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": WEATHER_SCHEMA,
    "strict": True,
}
TOOL_LOOP_INPUT: list[dict[str, Any]] = [
    {"role": "user", "content": "Weather in Paris?"},
    {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [{"type": "summary_text", "text": "Checking the forecast."}],
        "encrypted_content": "enc",
    },
    {
        "type": "message",
        "role": "assistant",
        "id": "msg_1",
        "status": "completed",
        "content": [{"type": "output_text", "text": "Let me check.", "annotations": []}],
    },
    {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "call_1",
        "name": "get_weather",
        "arguments": '{"city":"Paris"}',
        "status": "completed",
    },
    {"type": "function_call", "call_id": "call_2", "name": "get_time", "arguments": "{}"},
    {"type": "function_call_output", "call_id": "call_1", "output": "18C"},
    {"type": "function_call_output", "call_id": "call_2", "output": [{"type": "input_text", "text": "noon"}]},
    {"role": "assistant", "content": "18C at noon."},
    {"role": "user", "content": "Thanks"},
]


def body(*items: dict[str, Any], **params: Any) -> dict[str, Any]:
    return {"model": "gpt-4.1", "input": list(items) or [{"role": "user", "content": "Hi"}], **params}


def round_trip(wire: dict[str, Any]) -> tuple[dict[str, Any], list[ir.Adaptation]]:
    return CODEC.encode_request(CODEC.decode_request(copy.deepcopy(wire)), model=wire.get("model", ""))


def mine(**entries: Any) -> dict[str, Any]:
    return {NAME: entries}


# -- requests: exact round trips -----------------------------------------------------------------------------------
ROUND_TRIP_BODIES: dict[str, dict[str, Any]] = {
    "string input": {"model": "gpt-4.1", "input": "Hi"},
    "one easy message": body(),
    "no input": {"model": "gpt-4.1", "previous_response_id": "resp_0", "prompt": {"id": "pmpt_1"}},
    "null input": {"model": "gpt-4.1", "input": None, "conversation": "conv_1"},
    "tool loop with instructions": body(*TOOL_LOOP_INPUT, instructions="Be brief.", tools=[WEATHER_TOOL]),
    "roles and typed messages": body(
        {"role": "system", "content": "System in input."},
        {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "Dev."}]},
        {"type": "message", "role": "user", "content": "Hi", "status": "completed"},
        {"role": "assistant", "content": [{"type": "input_text", "text": "input_text in history"}]},
        {"role": "assistant", "content": "string history", "phase": "final_answer"},
        {"role": "system", "content": "A late system message stays in place."},
        instructions="Top-level instructions.",
    ),
    "user parts": body(
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "Look:", "prompt_cache_breakpoint": {"mode": "explicit"}},
                {"type": "input_image", "image_url": "https://example.com/cat.png", "detail": "high"},
                {"type": "input_image", "image_url": PNG_URL, "detail": "auto"},
                {"type": "input_image", "image_url": PNG_URL},
                {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0K\nGgo=", "detail": "low"},
                {"type": "input_image", "file_id": "file-img", "detail": "auto"},
                {"type": "input_file", "file_data": PDF_URL, "filename": "a.pdf"},
                {"type": "input_file", "file_data": PDF_URL},
                {"type": "input_file", "file_id": "file-123"},
                {"type": "input_file", "file_url": "https://example.com/a.pdf", "detail": "high"},
            ],
        }
    ),
    "content forms": body(
        {"role": "user", "content": []},
        {"role": "user", "content": ""},
        {"role": "user", "content": [{"type": "input_text", "text": "one part in a list"}]},
        {"role": "user", "content": [{"type": "input_text", "text": "a"}, {"type": "input_text", "text": "b"}]},
        {"type": "message", "role": "assistant", "id": "msg_e", "status": "completed", "content": []},
        {"role": "assistant", "content": ""},
        {
            "type": "message",
            "role": "assistant",
            "id": "msg_r",
            "status": "completed",
            "content": [
                {"type": "output_text", "text": "a", "annotations": [], "logprobs": []},
                {"type": "refusal", "refusal": "no"},
                {"type": "output_text", "text": "b", "annotations": []},
            ],
        },
        {"type": "message", "role": "assistant", "id": "msg_s", "status": "completed", "content": []},
    ),
    "reasoning variants": body(
        {"role": "user", "content": "Hi"},
        {
            "type": "reasoning",
            "id": "rs_a",
            "summary": [{"type": "summary_text", "text": "one"}, {"type": "summary_text", "text": "two"}],
        },
        {"type": "reasoning", "id": "rs_b", "summary": [], "content": [{"type": "reasoning_text", "text": "raw"}]},
        {"type": "reasoning", "id": "rs_c", "summary": [], "encrypted_content": "opaque", "status": None},
        {"type": "reasoning", "id": "rs_d", "summary": [{"type": "summary_text", "text": ""}]},
        {"type": "function_call", "call_id": "c", "name": "f", "arguments": ""},
    ),
    "tool outputs": body(
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}", "namespace": "ns"},
        {"type": "function_call_output", "call_id": "c1", "output": "", "id": "fco_1", "status": "completed"},
        {"type": "function_call_output", "call_id": "c1", "output": []},
        {
            "type": "function_call_output",
            "call_id": "c1",
            "output": [{"type": "input_text", "text": "see"}, {"type": "input_image", "image_url": PNG_URL}],
        },
    ),
    "opaque items in place": body(
        {"type": "item_reference", "id": "msg_0"},
        {"role": "user", "content": "Hi"},
        {"type": "web_search_call", "id": "ws_1", "status": "completed", "action": {"type": "search"}},
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
        {"type": "mcp_approval_response", "approval_request_id": "mcpr_1", "approve": True},
        {"type": "function_call", "call_id": "c2", "name": "g", "arguments": "{}"},
        {"type": "item_reference", "id": "msg_9"},
    ),
    "tools and choices": body(
        tools=[
            {"type": "web_search", "search_context_size": "low"},
            WEATHER_TOOL,
            {"type": "function", "name": "no_strict", "parameters": {"type": "object"}},
            {"type": "function", "name": "nulls", "parameters": None, "strict": None, "defer_loading": True},
            {"type": "mcp", "server_label": "docs", "server_url": "https://mcp.example.com"},
        ],
        tool_choice={"type": "function", "name": "get_weather"},
    ),
    "empty tools and string choice": body(tools=[], tool_choice="required", parallel_tool_calls=False),
    "allowed_tools choice": body(
        tools=[WEATHER_TOOL],
        tool_choice={"type": "allowed_tools", "mode": "auto", "tools": [{"type": "function", "name": "get_weather"}]},
    ),
    "json schema": body(
        text={
            "format": {
                "type": "json_schema",
                "name": "weather",
                "schema": WEATHER_SCHEMA,
                "description": "A report",
                "strict": True,
            },
            "verbosity": "low",
        }
    ),
    "json object": body(text={"format": {"type": "json_object"}}),
    "text format": body(text={"format": {"type": "text"}}),
    "verbosity only": body(text={"verbosity": "high"}),
    "empty text": body(text={}),
    "future format": body(text={"format": {"type": "grammar", "syntax": "lark"}}),
    "settings": body(
        temperature=0,
        top_p=1.0,
        max_output_tokens=0,
        top_logprobs=2,
        metadata={"k": "v"},
        user="u-1",
        reasoning={"effort": "minimal", "summary": "auto"},
        stream=True,
    ),
    "summary only and safety identifier": body(reasoning={"summary": "concise"}, safety_identifier="hash"),
    "both user keys": body(user="u", safety_identifier="hash"),
    "explicit nulls and false": body(
        instructions=None, temperature=None, reasoning=None, stream=False, text=None, tools=None
    ),
    "unmodelled parameters": body(
        store=False,
        include=["reasoning.encrypted_content"],
        truncation="auto",
        service_tier="flex",
        background=True,
        prompt_cache_key="k",
        max_tool_calls=3,
        stream_options={"include_obfuscation": False},
        previous_response_id="resp_1",
    ),
}


@pytest.mark.parametrize("wire", ROUND_TRIP_BODIES.values(), ids=ROUND_TRIP_BODIES.keys())
def test_request_round_trip_is_exact(wire: dict[str, Any]) -> None:
    encoded, adaptations = round_trip(wire)
    assert encoded == wire
    assert adaptations == []


def test_round_trip_replaces_the_model() -> None:
    encoded, _ = CODEC.encode_request(CODEC.decode_request(body()), model="gpt-5")
    assert encoded == {**body(), "model": "gpt-5"}


# -- requests: IR mapping ------------------------------------------------------------------------------------------
def test_decode_request_maps_the_tool_loop_to_ir() -> None:
    request = CODEC.decode_request(body(*TOOL_LOOP_INPUT, instructions="Be brief."))
    assert request.source == NAME
    assert request.messages == [
        ir.Message("system", [ir.TextPart("Be brief.")], provider_details=mine(instructions=True)),
        ir.Message("user", [ir.TextPart("Weather in Paris?")]),
        ir.Message(
            "assistant",
            [
                ir.ThinkingPart(
                    "Checking the forecast.",
                    provider_details=mine(extra={"id": "rs_1", "encrypted_content": "enc"}),
                ),
                ir.TextPart(
                    "Let me check.",
                    provider_details=mine(
                        extra={"annotations": []},
                        item={"typed": True, "extra": {"id": "msg_1", "status": "completed"}},
                    ),
                ),
                ir.ToolCallPart(
                    "call_1",
                    "get_weather",
                    '{"city":"Paris"}',
                    provider_details=mine(extra={"id": "fc_1", "status": "completed"}),
                ),
                ir.ToolCallPart("call_2", "get_time", "{}"),
            ],
        ),
        ir.Message("tool", [ir.ToolResultPart("call_1", [ir.TextPart("18C")])]),
        ir.Message("tool", [ir.ToolResultPart("call_2", [ir.TextPart("noon")], provider_details=mine(output="parts"))]),
        ir.Message("assistant", [ir.TextPart("18C at noon.", provider_details=mine(item={"content": "string"}))]),
        ir.Message("user", [ir.TextPart("Thanks")]),
    ]


def test_decode_request_maps_user_parts_to_ir() -> None:
    request = CODEC.decode_request(ROUND_TRIP_BODIES["user parts"])
    parts = request.messages[0].parts
    assert parts[1] == ir.ImagePart(url="https://example.com/cat.png", detail="high")
    assert parts[2] == ir.ImagePart(data=PNG, media_type="image/png", detail="auto")
    assert parts[3] == ir.ImagePart(data=PNG, media_type="image/png", provider_details=mine(no_detail=True))
    assert parts[5] == ir.ImagePart(detail="auto", provider_details=mine(file_id="file-img"))
    assert parts[6] == ir.DocumentPart(data=PDF, media_type="application/pdf", filename="a.pdf")
    assert parts[8] == ir.DocumentPart(provider_details=mine(file_id="file-123"))
    assert parts[9] == ir.DocumentPart(url="https://example.com/a.pdf", provider_details=mine(extra={"detail": "high"}))


def test_decode_request_opaque_items_go_to_extra_by_input_path() -> None:
    request = CODEC.decode_request(ROUND_TRIP_BODIES["opaque items in place"])
    assert request.extra == {
        "input[0]": {"type": "item_reference", "id": "msg_0"},
        "input[2]": {"type": "web_search_call", "id": "ws_1", "status": "completed", "action": {"type": "search"}},
        "input[4]": {"type": "mcp_approval_response", "approval_request_id": "mcpr_1", "approve": True},
        "input[6]": {"type": "item_reference", "id": "msg_9"},
    }
    # the calls around the opaque items still form one assistant turn
    assert [m.role for m in request.messages] == ["user", "assistant"]
    assert [p.id for p in request.messages[1].tool_calls] == ["c1", "c2"]


def test_decode_request_settings_tools_and_formats() -> None:
    request = CODEC.decode_request(
        body(
            temperature=0,
            top_p=0.5,
            max_output_tokens=0,
            parallel_tool_calls=False,
            top_logprobs=0,
            metadata={"k": "v"},
            safety_identifier="hash",
            reasoning={"effort": "high", "summary": "auto"},
            tools=[WEATHER_TOOL, {"type": "file_search", "vector_store_ids": ["vs_1"]}],
            tool_choice={"type": "function", "name": "get_weather"},
            text={"format": {"type": "json_schema", "name": "w", "schema": WEATHER_SCHEMA}, "verbosity": "low"},
            stream=True,
        )
    )
    assert request.settings == ir.GenerationSettings(
        max_tokens=0,
        temperature=0,
        top_p=0.5,
        top_logprobs=0,
        parallel_tool_calls=False,
        reasoning_effort="high",
        user="hash",
        metadata={"k": "v"},
    )
    assert request.tools == [ir.Tool("get_weather", "Weather for a city", WEATHER_SCHEMA, True)]
    assert request.tool_choice == ir.NamedToolChoice("get_weather")
    assert request.response_format == ir.ResponseFormat("json_schema", name="w", schema=WEATHER_SCHEMA)
    assert request.stream is True
    assert request.extra == {
        "tools": [{"type": "file_search", "vector_store_ids": ["vs_1"]}],
        "text": {"verbosity": "low"},
    }
    assert request.provider_details == mine(
        hosted_tool_positions=[1], user_key="safety_identifier", reasoning={"summary": "auto"}
    )


def test_decode_request_reasoning_text_comes_from_summary_or_raw_content() -> None:
    request = CODEC.decode_request(ROUND_TRIP_BODIES["reasoning variants"])
    thinking = [part for part in request.messages[1].parts if isinstance(part, ir.ThinkingPart)]
    assert [part.text for part in thinking] == ["one\n\ntwo", "raw", "", ""]


def test_stored_wire_forms_do_not_override_edited_ir() -> None:
    request = CODEC.decode_request(ROUND_TRIP_BODIES["reasoning variants"])
    thinking = request.messages[1].parts[1]
    assert isinstance(thinking, ir.ThinkingPart)
    thinking.text = "edited"
    user = request.messages[0]
    user.parts = [ir.TextPart("a"), ir.TextPart("b")]
    encoded, _ = CODEC.encode_request(request, model="m")
    assert encoded["input"][0] == {
        "role": "user",
        "content": [{"type": "input_text", "text": "a"}, {"type": "input_text", "text": "b"}],
    }
    assert encoded["input"][2] == {
        "type": "reasoning",
        "id": "rs_b",
        "summary": [{"type": "summary_text", "text": "edited"}],
    }


# -- requests: malformed input -------------------------------------------------------------------------------------
MALFORMED: list[tuple[Any, str]] = [
    ([], "the body must be a JSON object"),
    ({"model": "m", "input": 5}, "input must be a string or an array of items"),
    (body("hi"), "input[0] must be a JSON object"),  # type: ignore[arg-type]
    (body({"content": "x"}), "input[0].type is required"),
    (body({"type": 3}), "input[0].type must be a string"),
    (
        body({"role": "robot", "content": "x"}),
        "input[0].role must be one of user, assistant, system, developer (got 'robot')",
    ),
    (body({"role": "user"}), "input[0].content is required"),
    (body({"role": "user", "content": 3}), "input[0].content must be a string or an array of content parts"),
    (
        body({"role": "user", "content": [{"type": "input_audio"}]}),
        "input[0].content[0].type: 'input_audio' is not input_text, input_image or input_file",
    ),
    (
        body({"role": "user", "content": [{"type": "input_image", "detail": "auto"}]}),
        "input[0].content[0].image_url or input[0].content[0].file_id is required",
    ),
    (
        body({"role": "user", "content": [{"type": "input_image", "image_url": "data:image/png;base64,%%"}]}),
        "input[0].content[0].image_url is not a valid data URL",
    ),
    (
        body({"role": "user", "content": [{"type": "input_file", "file_data": "%%%"}]}),
        "input[0].content[0].file_data is neither a data URL nor base64",
    ),
    (
        body({"role": "assistant", "content": [{"type": "input_image", "image_url": PNG_URL}]}),
        "input[0].content[0].type: 'input_image' is not output_text or refusal",
    ),
    (body({"type": "message", "role": "user", "content": [{"text": "x"}]}), "input[0].content[0].type is required"),
    (body({"type": "function_call", "name": "f", "arguments": "{}"}), "input[0].call_id is required"),
    (
        body({"type": "function_call", "call_id": "c", "name": "f", "arguments": {}}),
        "input[0].arguments must be a string",
    ),
    (body({"type": "function_call_output", "call_id": "c"}), "input[0].output is required"),
    (
        body({"type": "function_call_output", "call_id": "c", "output": 1}),
        "input[0].output must be a string or an array of content parts",
    ),
    (body({"type": "reasoning", "id": "rs"}), "input[0].summary is required"),
    (
        body({"type": "reasoning", "id": "rs", "summary": [{"type": "summary_text"}]}),
        "input[0].summary[0].text is required",
    ),
    (body(tools=[{"name": "f"}]), "tools[0].type must be a string"),
    (body(tools=[{"type": "function"}]), "tools[0].name is required"),
    (body(tools=[{"type": "function", "name": "f", "strict": "yes"}]), "tools[0].strict must be a boolean"),
    (body(tool_choice="any"), "tool_choice must be one of auto, none, required or an object"),
    (body(tool_choice=3), "tool_choice must be a string or an object"),
    (body(tool_choice={"type": "function"}), "tool_choice.name is required"),
    (body(text="json"), "text must be a JSON object"),
    (body(text={"format": "json"}), "text.format must be an object"),
    (body(text={"format": {"type": "json_schema", "schema": {}}}), "text.format.name is required"),
    (body(temperature="hot"), "temperature must be a number"),
    (body(max_output_tokens=1.5), "max_output_tokens must be an integer"),
    (body(reasoning={"effort": 3}), "reasoning.effort must be a string"),
    (body(stream="yes"), "stream must be a boolean"),
]


@pytest.mark.parametrize(("wire", "message"), MALFORMED, ids=[m for _, m in MALFORMED])
def test_malformed_request_names_the_field(wire: Any, message: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        CODEC.decode_request(wire)
    assert caught.value.message == message


# -- requests from other protocols ---------------------------------------------------------------------------------
def test_cross_protocol_request_is_adapted_and_reported() -> None:
    request = ir.Request(
        model="ignored",
        source="anthropic_messages",
        messages=[
            ir.Message("system", [ir.TextPart("Be brief.")]),
            ir.Message("developer", [ir.TextPart("Answer in French.")]),
            ir.Message(
                "user",
                [
                    ir.TextPart("Look:"),
                    ir.ImagePart(data=PNG),
                    ir.ImagePart(url="https://example.com/cat.png", detail="low"),
                    ir.DocumentPart(data=PDF, media_type="application/pdf"),
                    ir.DocumentPart(text="plain notes"),
                ],
                name="alice",
            ),
            ir.Message(
                "assistant",
                [
                    ir.ThinkingPart("hmm", signature="sig", provider_details={"anthropic_messages": {"x": 1}}),
                    ir.TextPart("Checking "),
                    ir.TextPart("both."),
                    ir.ToolCallPart("toolu_A", "get_weather", '{"city":"Paris"}'),
                    ir.ToolCallPart("toolu_B", "get_time", "{}"),
                ],
            ),
            ir.Message(
                "user",
                [
                    ir.ToolResultPart("toolu_A", [ir.TextPart("18C")]),
                    ir.ToolResultPart("toolu_B", [ir.TextPart("noon"), ir.ImagePart(url="https://x/y.png")], True),
                ],
            ),
            ir.Message("user", [ir.TextPart("Thanks")]),
        ],
        tools=[ir.Tool("get_weather", "Weather", WEATHER_SCHEMA), ir.Tool("get_time")],
        tool_choice=ir.NamedToolChoice("get_weather"),
        response_format=ir.ResponseFormat("json_schema", name="w", schema=WEATHER_SCHEMA, strict=True),
        settings=ir.GenerationSettings(
            max_tokens=100,
            temperature=0.0,
            top_p=1,
            top_k=40,
            stop=["END"],
            seed=7,
            presence_penalty=0.1,
            frequency_penalty=0.2,
            n=1,
            logprobs=True,
            top_logprobs=2,
            logit_bias={"1": 1.0},
            parallel_tool_calls=False,
            reasoning_effort="low",
            reasoning_budget=1024,
            user="u-1",
            metadata={"k": "v"},
        ),
        stream=True,
        stream_usage=True,
        extra={"thinking": {"type": "enabled"}, "input[0]": {"type": "item_reference"}},
    )
    encoded, adaptations = CODEC.encode_request(request, model="gpt-4.1")
    assert encoded == {
        "model": "gpt-4.1",
        "instructions": "Be brief.\n\nAnswer in French.",
        "input": [
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "Look:"},
                    {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo=", "detail": "auto"},
                    {"type": "input_image", "image_url": "https://example.com/cat.png", "detail": "low"},
                    {"type": "input_file", "file_data": PDF_URL, "filename": "document.pdf"},
                    {"type": "input_text", "text": "plain notes"},
                ],
            },
            {"role": "assistant", "content": "Checking both."},
            {"type": "function_call", "call_id": "toolu_A", "name": "get_weather", "arguments": '{"city":"Paris"}'},
            {"type": "function_call", "call_id": "toolu_B", "name": "get_time", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "toolu_A", "output": "18C"},
            {
                "type": "function_call_output",
                "call_id": "toolu_B",
                "output": [
                    {"type": "input_text", "text": "noon"},
                    {"type": "input_image", "image_url": "https://x/y.png", "detail": "auto"},
                ],
            },
            {"role": "user", "content": "Thanks"},
        ],
        "tools": [
            {
                "type": "function",
                "name": "get_weather",
                "description": "Weather",
                "parameters": WEATHER_SCHEMA,
                "strict": False,
            },
            {
                "type": "function",
                "name": "get_time",
                "parameters": {"type": "object", "properties": {}},
                "strict": False,
            },
        ],
        "tool_choice": {"type": "function", "name": "get_weather"},
        "text": {"format": {"type": "json_schema", "name": "w", "schema": WEATHER_SCHEMA, "strict": True}},
        "max_output_tokens": 100,
        "temperature": 0.0,
        "top_p": 1,
        "parallel_tool_calls": False,
        "top_logprobs": 2,
        "metadata": {"k": "v"},
        "user": "u-1",
        "reasoning": {"effort": "low"},
        "include": ["message.output_text.logprobs"],
        "stream": True,
    }
    assert [str(a) for a in adaptations] == [
        "messages[2].name dropped: Responses input messages have no name",
        "messages[2].content adapted: a text document is sent as input_text",
        "messages[3].parts[0] dropped: reasoning from another provider cannot be replayed to OpenAI",
        "messages[4].is_error dropped: a function_call_output cannot mark an error",
        "logprobs adapted: asked for with include: ['message.output_text.logprobs']",
        "top_k dropped: the Responses API has no top_k",
        "stop dropped: the Responses API has no stop sequences",
        "seed dropped: the Responses API has no seed",
        "presence_penalty dropped: the Responses API has no presence_penalty",
        "frequency_penalty dropped: the Responses API has no frequency_penalty",
        "logit_bias dropped: the Responses API has no logit_bias",
        "reasoning_budget dropped: the Responses API takes reasoning.effort, not a token budget",
        "thinking dropped: not a Responses API parameter (from anthropic_messages)",
        "input[0] dropped: not a Responses API parameter (from anthropic_messages)",
    ]


@pytest.mark.parametrize(
    ("roles", "instructions", "input_roles"),
    [
        (["system", "user"], "s0", ["user"]),
        (["user", "system", "user"], None, ["user", "system", "user"]),
        (["system", "user", "developer"], None, ["system", "user", "developer"]),
        (["developer", "system"], "s0\n\ns1", []),
    ],
)
def test_system_messages_become_instructions_only_when_all_lead(
    roles: list[ir.Role], instructions: str | None, input_roles: list[str]
) -> None:
    messages = [ir.Message(role, [ir.TextPart(f"s{i}")]) for i, role in enumerate(roles)]
    encoded, _ = CODEC.encode_request(ir.Request(model="m", messages=messages, source="openai_chat"), model="m")
    assert encoded.get("instructions") == instructions
    assert [item["role"] for item in encoded["input"]] == input_roles


def test_a_system_message_with_an_image_stays_in_the_input() -> None:
    system = ir.Message("system", [ir.TextPart("See"), ir.ImagePart(url="https://x/y.png", detail="high")])
    request = ir.Request(model="m", messages=[system, ir.Message("user", [ir.TextPart("Hi")])], source="gemini")
    encoded, _ = CODEC.encode_request(request, model="m")
    assert "instructions" not in encoded
    assert encoded["input"][0] == {
        "role": "system",
        "content": [
            {"type": "input_text", "text": "See"},
            {"type": "input_image", "image_url": "https://x/y.png", "detail": "high"},
        ],
    }


def test_request_from_chat_completions_through_both_codecs() -> None:
    chat = OpenAIChatCodec().decode_request(
        {
            "model": "gpt-4o",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Weather?"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [{"id": "call_A", "type": "function", "function": {"name": "w", "arguments": "{}"}}],
                },
                {"role": "tool", "tool_call_id": "call_A", "content": "18C"},
            ],
            "n": 1,
            "stop": "END",
            "max_completion_tokens": 50,
        }
    )
    encoded, adaptations = CODEC.encode_request(chat, model="gpt-4.1")
    assert encoded == {
        "model": "gpt-4.1",
        "instructions": "Be brief.",
        "input": [
            {"role": "user", "content": "Weather?"},
            {"type": "function_call", "call_id": "call_A", "name": "w", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "call_A", "output": "18C"},
        ],
        "max_output_tokens": 50,
    }
    assert [str(a) for a in adaptations] == ["stop dropped: the Responses API has no stop sequences"]


def test_n_above_one_and_audio_are_rejected() -> None:
    with pytest.raises(UnsupportedFeature, match="n=2: the Responses API returns one answer per request"):
        CODEC.encode_request(ir.Request(model="m", settings=ir.GenerationSettings(n=2)), model="m")
    audio = ir.Message("user", [ir.AudioPart(b"RIFF", "wav")])
    with pytest.raises(UnsupportedFeature, match=r"messages\[0\]: the Responses API does not accept audio input"):
        CODEC.encode_request(ir.Request(model="m", messages=[audio]), model="m")


def test_parts_a_message_cannot_carry_are_dropped_and_reported() -> None:
    request = ir.Request(
        model="m",
        source="openai_chat",
        messages=[
            ir.Message("assistant", [ir.ImagePart(url="https://x/y.png"), ir.TextPart("ok")]),
            ir.Message("tool", [ir.TextPart("stray"), ir.ToolResultPart("c", [ir.TextPart("r")])]),
            ir.Message("user", [ir.ImagePart(), ir.DocumentPart(), ir.RefusalPart("no")]),
        ],
    )
    encoded, adaptations = CODEC.encode_request(request, model="m")
    assert encoded["input"] == [
        {"role": "assistant", "content": "ok"},
        {"type": "function_call_output", "call_id": "c", "output": "r"},
        {"role": "user", "content": "no"},
    ]
    assert [str(a) for a in adaptations] == [
        "messages[0].parts[0] dropped: image parts cannot appear in assistant items",
        "messages[1].content dropped: text part outside a tool result",
        "messages[2].content dropped: an image with neither data, URL nor file id",
        "messages[2].content dropped: a document with neither data, URL nor file id",
        "messages[2].content adapted: a refusal is sent as text",
    ]


def test_same_protocol_extra_passes_but_other_sources_do_not() -> None:
    request = CODEC.decode_request(body(store=True, tools=[{"type": "web_search"}]))
    assert CODEC.encode_request(request, model="m")[0]["tools"] == [{"type": "web_search"}]
    request.source = "openai_chat"
    encoded, adaptations = CODEC.encode_request(request, model="m")
    assert "store" not in encoded
    assert "tools" not in encoded
    assert [a.param for a in adaptations] == ["tools", "store"]


def test_check_portable_refuses_built_in_tools_and_file_ids_on_other_protocols() -> None:
    with_tool = CODEC.decode_request(body(tools=[WEATHER_TOOL, {"type": "web_search"}]))
    check_portable(with_tool, "openai_responses")
    with pytest.raises(UnsupportedFeature) as caught:
        check_portable(with_tool, "anthropic_messages")
    assert caught.value.message == "built-in tool web_search is only available on OpenAI"

    image = {"type": "input_image", "file_id": "file-1", "detail": "auto"}
    result = {"type": "function_call_output", "call_id": "c", "output": [image]}
    for item in ({"role": "user", "content": [image]}, result):
        with pytest.raises(UnsupportedFeature) as caught:
            check_portable(CODEC.decode_request(body(item)), "gemini")
        assert caught.value.message == "messages[0]: a file referenced by file_id is only available on OpenAI"

    check_portable(CODEC.decode_request(body(tools=[WEATHER_TOOL])), "gemini")
    foreign = ir.Request(model="m", source="anthropic_messages", extra={"tools": [{"type": "web_search_20250305"}]})
    check_portable(foreign, "gemini")  # another codec's server tools are that codec's business


# -- responses -----------------------------------------------------------------------------------------------------
USAGE: dict[str, Any] = {
    "input_tokens": 5,
    "input_tokens_details": {"cached_tokens": 1, "cache_write_tokens": 0},
    "output_tokens": 7,
    "output_tokens_details": {"reasoning_tokens": 2},
    "total_tokens": 12,
}
ENVELOPE: dict[str, Any] = {
    "id": "resp_1",
    "object": "response",
    "created_at": 1700000000,
    "model": "gpt-4.1",
    "parallel_tool_calls": True,
    "tool_choice": "auto",
    "tools": [],
    "error": None,
    "incomplete_details": None,
    "instructions": None,
    "metadata": {},
    "temperature": 1.0,
    "top_p": 1.0,
}
MESSAGE_ITEM: dict[str, Any] = {
    "id": "msg_1",
    "type": "message",
    "status": "completed",
    "role": "assistant",
    "content": [{"type": "output_text", "text": "Hi there", "annotations": []}],
}
CALL_ITEM: dict[str, Any] = {
    "id": "fc_1",
    "type": "function_call",
    "status": "completed",
    "call_id": "call_9",
    "name": "get_weather",
    "arguments": '{"city":"Paris"}',
}


def response(*output: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {**ENVELOPE, "status": "completed", "output": list(output), "usage": USAGE, **fields}


ROUND_TRIP_RESPONSES: dict[str, dict[str, Any]] = {
    "text and call": response(MESSAGE_ITEM, CALL_ITEM),
    "reasoning, refusal and logprobs": response(
        {
            "id": "rs_1",
            "type": "reasoning",
            "summary": [{"type": "summary_text", "text": "a"}, {"type": "summary_text", "text": "b"}],
            "encrypted_content": "enc",
        },
        {
            "id": "msg_2",
            "type": "message",
            "status": "completed",
            "role": "assistant",
            "phase": "final_answer",
            "content": [
                {"type": "output_text", "text": "Hi", "annotations": [], "logprobs": []},
                {"type": "refusal", "refusal": "Not that."},
            ],
        },
        reasoning={"effort": "low", "summary": "auto"},
        text={"format": {"type": "text"}, "verbosity": "medium"},
        store=True,
    ),
    "hosted tool output and citations": response(
        {"id": "ws_1", "type": "web_search_call", "status": "completed", "action": {"type": "search", "query": "q"}},
        {
            **MESSAGE_ITEM,
            "content": [
                {
                    "type": "output_text",
                    "text": "See example.",
                    "annotations": [
                        {
                            "type": "url_citation",
                            "url": "https://example.com",
                            "title": "Example",
                            "start_index": 4,
                            "end_index": 11,
                        }
                    ],
                }
            ],
        },
        tools=[{"type": "web_search", "search_context_size": "medium"}],
    ),
    "incomplete at max tokens": response(
        {**MESSAGE_ITEM, "status": "incomplete"},
        status="incomplete",
        incomplete_details={"reason": "max_output_tokens"},
        max_output_tokens=16,
    ),
    "incomplete by content filter": response(status="incomplete", incomplete_details={"reason": "content_filter"}),
    "incomplete for another reason": response(status="incomplete", incomplete_details={"reason": "max_messages"}),
    "background, in progress": response(status="in_progress", usage=None, background=True),
    "cancelled": response(status="cancelled", usage=None),
    "float timestamp": response(MESSAGE_ITEM, created_at=1700000000.5),
}


@pytest.mark.parametrize("wire", ROUND_TRIP_RESPONSES.values(), ids=ROUND_TRIP_RESPONSES.keys())
def test_response_round_trip_is_exact_and_sdk_valid(wire: dict[str, Any]) -> None:
    Response.model_validate(wire)
    assert CODEC.encode_response(CODEC.decode_response(copy.deepcopy(wire))) == wire


def test_usage_as_older_servers_send_it_round_trips() -> None:
    """The protocols.md example (both SDK versions) has no ``cache_write_tokens``; 3.57's ``Response`` requires it,
    so a response built from the IR always sends it."""
    usage = {
        "input_tokens": 5,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 7,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 12,
    }
    wire = response(MESSAGE_ITEM, CALL_ITEM, usage=usage)
    decoded = CODEC.decode_response(copy.deepcopy(wire))
    assert decoded.usage == ir.Usage(5, 7)
    assert CODEC.encode_response(decoded) == wire
    decoded.usage = ir.Usage(5, 8)
    assert CODEC.encode_response(decoded)["usage"]["input_tokens_details"] == {
        "cached_tokens": 0,
        "cache_write_tokens": 0,
    }


def test_decode_response_maps_to_ir() -> None:
    decoded = CODEC.decode_response(ROUND_TRIP_RESPONSES["reasoning, refusal and logprobs"])
    assert decoded.id == "resp_1"
    assert decoded.model == "gpt-4.1"
    assert decoded.created == 1700000000
    assert decoded.usage == ir.Usage(5, 7, cache_read_tokens=1, reasoning_tokens=2)
    choice = decoded.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message == ir.Message(
        "assistant",
        [
            ir.ThinkingPart(
                "a\n\nb",
                provider_details=mine(
                    summary=[{"type": "summary_text", "text": "a"}, {"type": "summary_text", "text": "b"}],
                    extra={"id": "rs_1", "encrypted_content": "enc"},
                ),
            ),
            ir.TextPart(
                "Hi",
                provider_details=mine(
                    extra={"annotations": [], "logprobs": []},
                    item={"typed": True, "extra": {"id": "msg_2", "status": "completed", "phase": "final_answer"}},
                ),
            ),
            ir.RefusalPart("Not that."),
        ],
    )


@pytest.mark.parametrize(
    ("status", "incomplete", "with_call", "reason"),
    [
        ("completed", None, False, "stop"),
        ("completed", None, True, "tool_calls"),
        ("incomplete", {"reason": "max_output_tokens"}, True, "length"),
        ("incomplete", {"reason": "content_filter"}, False, "content_filter"),
        ("incomplete", {"reason": "steered"}, False, "other"),
        ("cancelled", None, False, "other"),
        ("in_progress", None, False, None),
        ("queued", None, False, None),
    ],
)
def test_decode_response_finish_reasons(
    status: str, incomplete: dict[str, Any] | None, with_call: bool, reason: ir.FinishReason | None
) -> None:
    wire = response(*([CALL_ITEM] if with_call else []), status=status, incomplete_details=incomplete)
    assert CODEC.decode_response(wire).choices[0].finish_reason == reason


@pytest.mark.parametrize(
    ("reason", "status", "incomplete"),
    [
        ("stop", "completed", None),
        ("tool_calls", "completed", None),
        ("stop_sequence", "completed", None),
        ("pause", "completed", None),
        (None, "completed", None),
        ("length", "incomplete", {"reason": "max_output_tokens"}),
        ("context_length", "incomplete", {"reason": "max_output_tokens"}),
        ("content_filter", "incomplete", {"reason": "content_filter"}),
    ],
)
def test_encode_response_finish_reasons(
    reason: ir.FinishReason | None, status: str, incomplete: dict[str, Any] | None
) -> None:
    wire = CODEC.encode_response(ir.Response("r", "m", [ir.Choice(ir.Message("assistant"), reason)]))
    assert (wire["status"], wire["incomplete_details"]) == (status, incomplete)
    Response.model_validate(wire)


def test_encode_response_from_another_protocol() -> None:
    decoded = ir.Response(
        id="msg_01XYZ",
        model="claude-sonnet-4-5",
        created=1700000001,
        usage=ir.Usage(10, 5, cache_read_tokens=2, cache_write_tokens=3, reasoning_tokens=1),
        choices=[
            ir.Choice(
                ir.Message(
                    "assistant",
                    [
                        ir.ThinkingPart("hmm", signature="sig", provider_details={"anthropic_messages": {"a": 1}}),
                        ir.ThinkingPart(redacted="opaque"),
                        ir.TextPart("Hi"),
                        ir.TextPart(" there"),
                        ir.RefusalPart("not that"),
                        ir.ToolCallPart("toolu_1", "get_weather", '{"city":"Paris"}'),
                        ir.TextPart("after"),
                    ],
                ),
                "tool_calls",
            )
        ],
    )
    wire = CODEC.encode_response(decoded)
    assert wire == {
        "id": "msg_01XYZ",
        "object": "response",
        "created_at": 1700000001,
        "status": "completed",
        "model": "claude-sonnet-4-5",
        "output": [
            {"id": "rs_01XYZ_0", "type": "reasoning", "summary": [{"type": "summary_text", "text": "hmm"}]},
            {
                "id": "msg_01XYZ_1",
                "type": "message",
                "status": "completed",
                "role": "assistant",
                "content": [
                    {"type": "output_text", "text": "Hi", "annotations": []},
                    {"type": "output_text", "text": " there", "annotations": []},
                    {"type": "refusal", "refusal": "not that"},
                ],
            },
            {
                "id": "fc_01XYZ_2",
                "type": "function_call",
                "status": "completed",
                "call_id": "toolu_1",
                "name": "get_weather",
                "arguments": '{"city":"Paris"}',
            },
            {
                "id": "msg_01XYZ_3",
                "type": "message",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "after", "annotations": []}],
            },
        ],
        "usage": {
            "input_tokens": 10,
            "input_tokens_details": {"cached_tokens": 2, "cache_write_tokens": 3},
            "output_tokens": 5,
            "output_tokens_details": {"reasoning_tokens": 1},
            "total_tokens": 15,
        },
        "incomplete_details": None,
        "error": None,
        "instructions": None,
        "metadata": {},
        "parallel_tool_calls": True,
        "temperature": None,
        "tool_choice": "auto",
        "tools": [],
        "top_p": None,
    }
    parsed = Response.model_validate(wire)
    assert parsed.output_text == "Hi thereafter"


def test_encode_response_with_no_choice_or_usage_is_still_sdk_valid() -> None:
    wire = CODEC.encode_response(ir.Response("", ""))
    assert wire["output"] == []
    assert wire["usage"] is None
    Response.model_validate(wire)


@pytest.mark.parametrize(
    ("code", "error_class"),
    [
        ("server_error", ServerError),
        ("rate_limit_exceeded", RateLimited),
        ("invalid_prompt", BadRequest),
        ("invalid_image_url", BadRequest),
        ("image_too_large", BadRequest),
        ("image_content_policy_violation", ContentFiltered),
        ("bio_policy", ContentFiltered),
        ("vector_store_timeout", ServerError),
    ],
)
def test_failed_response_raises_the_mapped_error(code: str, error_class: type[ProviderError]) -> None:
    wire = response(status="failed", error={"code": code, "message": f"failed: {code}"}, usage=None)
    with pytest.raises(ProviderError) as caught:
        CODEC.decode_response(wire)
    assert type(caught.value) is error_class
    assert caught.value.message == f"failed: {code}"
    assert caught.value.code == code
    assert caught.value.status_code is None


def test_malformed_response_names_the_field() -> None:
    with pytest.raises(ProtocolError, match=r"^output is required$"):
        CODEC.decode_response({"id": "r", "status": "completed"})
    with pytest.raises(ProtocolError, match=r"^output\[0\]\.call_id is required$"):
        CODEC.decode_response(response({"type": "function_call", "name": "f", "arguments": "{}"}))
    with pytest.raises(ProtocolError, match=r"^output\[0\]\.role must be 'assistant' \(got 'user'\)$"):
        CODEC.decode_response(response({"type": "message", "role": "user", "content": []}))


# -- streams: decoding ---------------------------------------------------------------------------------------------
R_IN_PROGRESS: dict[str, Any] = {**ENVELOPE, "status": "in_progress", "output": [], "usage": None}
M = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
F = {"item_id": "fc_1", "output_index": 1}
DOC_STREAM: list[dict[str, Any]] = [  # protocols.md 2.3, as served to both SDK versions
    {"type": "response.created", "response": R_IN_PROGRESS},
    {"type": "response.in_progress", "response": R_IN_PROGRESS},
    {
        "type": "response.output_item.added",
        "output_index": 0,
        "item": {"id": "msg_1", "type": "message", "status": "in_progress", "role": "assistant", "content": []},
    },
    {"type": "response.content_part.added", **M, "part": {"type": "output_text", "text": "", "annotations": []}},
    {"type": "response.output_text.delta", **M, "delta": "Hi", "logprobs": []},
    {"type": "response.output_text.delta", **M, "delta": " there", "logprobs": []},
    {"type": "response.output_text.done", **M, "text": "Hi there", "logprobs": []},
    {"type": "response.content_part.done", **M, "part": MESSAGE_ITEM["content"][0]},
    {"type": "response.output_item.done", "output_index": 0, "item": MESSAGE_ITEM},
    {
        "type": "response.output_item.added",
        "output_index": 1,
        "item": {**CALL_ITEM, "status": "in_progress", "arguments": ""},
    },
    {"type": "response.function_call_arguments.delta", **F, "delta": '{"city":'},
    {"type": "response.function_call_arguments.delta", **F, "delta": '"Paris"}'},
    {"type": "response.function_call_arguments.done", **F, "arguments": '{"city":"Paris"}'},
    {"type": "response.output_item.done", "output_index": 1, "item": CALL_ITEM},
    {"type": "response.completed", "response": response(MESSAGE_ITEM, CALL_ITEM)},
]
DOC_STREAM_IR: list[ir.StreamEvent] = [
    ir.MessageStart("resp_1", "gpt-4.1", 1700000000),
    ir.PartStart(0, ir.TextPart("")),
    ir.TextDelta(0, "Hi"),
    ir.TextDelta(0, " there"),
    ir.PartEnd(0),
    ir.PartStart(1, ir.ToolCallPart("call_9", "get_weather", provider_details=mine(extra={"id": "fc_1"}))),
    ir.ToolArgumentsDelta(1, '{"city":'),
    ir.ToolArgumentsDelta(1, '"Paris"}'),
    ir.PartEnd(1),
    ir.UsageUpdate(ir.Usage(5, 7, cache_read_tokens=1, reasoning_tokens=2)),
    ir.Finish("tool_calls"),
    ir.StreamEnd(),
]


def numbered(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**event, "sequence_number": i} for i, event in enumerate(events)]


def sse_bytes(events: list[dict[str, Any]]) -> bytes:
    return b"".join(encode_sse(json.dumps(event), event["type"]) for event in events)


def decode_stream(events: list[dict[str, Any]]) -> list[ir.StreamEvent]:
    decoder = OpenAIResponsesStreamDecoder()
    out: list[ir.StreamEvent] = []
    raw = sse_bytes(numbered(events))
    sse = SSEDecoder()
    for i in range(0, len(raw), 97):  # arbitrary chunking
        for item in sse.feed(raw[i : i + 97]):
            out.extend(decoder.feed(item))
    return out + decoder.end()


def test_stream_decoder_documented_sequence() -> None:
    assert decode_stream(DOC_STREAM) == DOC_STREAM_IR


def test_stream_decoder_reasoning_refusal_and_incomplete() -> None:
    r = {"item_id": "rs_1", "output_index": 0}
    m = {"item_id": "msg_1", "output_index": 1}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": R_IN_PROGRESS},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"id": "rs_1", "type": "reasoning", "summary": []},
        },
        {
            "type": "response.reasoning_summary_part.added",
            **r,
            "summary_index": 0,
            "part": {"type": "summary_text", "text": ""},
        },
        {"type": "response.reasoning_summary_text.delta", **r, "summary_index": 0, "delta": "first"},
        {"type": "response.reasoning_summary_text.done", **r, "summary_index": 0, "text": "first"},
        {
            "type": "response.reasoning_summary_part.added",
            **r,
            "summary_index": 1,
            "part": {"type": "summary_text", "text": ""},
        },
        {"type": "response.reasoning_summary_text.delta", **r, "summary_index": 1, "delta": "second"},
        {
            "type": "response.output_item.done",
            "output_index": 0,
            "item": {"id": "rs_1", "type": "reasoning", "summary": []},
        },
        {"type": "response.output_item.added", "output_index": 1, "item": {**MESSAGE_ITEM, "content": []}},
        {"type": "response.content_part.added", **m, "content_index": 0, "part": {"type": "refusal", "refusal": ""}},
        {"type": "response.refusal.delta", **m, "content_index": 0, "delta": "No."},
        {"type": "response.refusal.done", **m, "content_index": 0, "refusal": "No."},
        {
            "type": "response.content_part.added",
            **m,
            "content_index": 1,
            "part": {"type": "output_text", "text": "", "annotations": []},
        },
        {"type": "response.output_text.delta", **m, "content_index": 1, "delta": "Cut"},
        {"type": "response.output_text.annotation.added", **m, "content_index": 1, "annotation_index": 0},
        {"type": "response.web_search_call.searching", "item_id": "ws", "output_index": 2},
        {
            "type": "response.incomplete",
            "response": response(status="incomplete", incomplete_details={"reason": "max_output_tokens"}),
        },
    ]
    assert decode_stream(events) == [
        ir.MessageStart("resp_1", "gpt-4.1", 1700000000),
        ir.PartStart(0, ir.ThinkingPart(provider_details=mine(extra={"id": "rs_1"}))),
        ir.ThinkingDelta(0, "first"),
        ir.ThinkingDelta(0, "\n\n"),
        ir.ThinkingDelta(0, "second"),
        ir.PartEnd(0),
        ir.PartStart(1, ir.TextPart("", provider_details=mine(refusal=True))),
        ir.TextDelta(1, "No."),
        ir.PartStart(2, ir.TextPart("")),
        ir.TextDelta(2, "Cut"),
        ir.PartEnd(1),
        ir.PartEnd(2),
        ir.UsageUpdate(ir.Usage(5, 7, cache_read_tokens=1, reasoning_tokens=2)),
        ir.Finish("length"),
        ir.StreamEnd(),
    ]


def test_stream_decoder_fills_in_what_deltas_left_out() -> None:
    m = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": R_IN_PROGRESS},
        {"type": "response.output_item.added", "output_index": 0, "item": {**MESSAGE_ITEM, "content": []}},
        {"type": "response.content_part.added", **m, "part": {"type": "output_text", "text": "", "annotations": []}},
        {"type": "response.output_text.delta", **m, "delta": "Hi", "logprobs": []},
        {"type": "response.output_text.done", **m, "text": "Hi there", "logprobs": []},
        {"type": "response.content_part.done", **m, "part": {"type": "output_text", "text": "Hi there"}},
        {"type": "response.refusal.delta", **m, "content_index": 1, "delta": "No"},  # no content_part.added
        {"type": "response.output_item.done", "output_index": 1, "item": CALL_ITEM},  # never added
        {"type": "response.completed", "response": response(MESSAGE_ITEM, CALL_ITEM)},
        {"type": "response.output_text.delta", **m, "delta": "after the end", "logprobs": []},
    ]
    assert decode_stream(events) == [
        ir.MessageStart("resp_1", "gpt-4.1", 1700000000),
        ir.PartStart(0, ir.TextPart("")),
        ir.TextDelta(0, "Hi"),
        ir.TextDelta(0, " there"),
        ir.PartEnd(0),
        ir.PartStart(1, ir.TextPart("", provider_details=mine(refusal=True))),
        ir.TextDelta(1, "No"),
        ir.PartStart(2, ir.ToolCallPart("call_9", "get_weather", provider_details=mine(extra={"id": "fc_1"}))),
        ir.ToolArgumentsDelta(2, '{"city":"Paris"}'),
        ir.PartEnd(2),
        ir.PartEnd(1),
        ir.UsageUpdate(ir.Usage(5, 7, cache_read_tokens=1, reasoning_tokens=2)),
        ir.Finish("tool_calls"),
        ir.StreamEnd(),
    ]


def test_stream_decoder_takes_items_from_a_bare_terminal_response() -> None:
    reasoning = {"id": "rs_1", "type": "reasoning", "summary": [{"type": "summary_text", "text": "why"}]}
    assert decode_stream([{"type": "response.completed", "response": response(reasoning, MESSAGE_ITEM)}]) == [
        ir.MessageStart("resp_1", "gpt-4.1", 1700000000),
        ir.PartStart(0, ir.ThinkingPart(provider_details=mine(extra={"id": "rs_1"}))),
        ir.ThinkingDelta(0, "why"),
        ir.PartEnd(0),
        ir.PartStart(1, ir.TextPart("")),
        ir.TextDelta(1, "Hi there"),
        ir.PartEnd(1),
        ir.UsageUpdate(ir.Usage(5, 7, cache_read_tokens=1, reasoning_tokens=2)),
        ir.Finish("stop"),
        ir.StreamEnd(),
    ]


def test_stream_decoder_without_terminal_event_is_interrupted() -> None:
    decoder = OpenAIResponsesStreamDecoder()
    for event in numbered(DOC_STREAM[:-1]):
        decoder.feed(SSEEvent(json.dumps(event), event["type"]))
    assert decoder.feed(SSEEvent("[DONE]")) == []
    with pytest.raises(StreamInterrupted, match=r"without response\.completed or response\.incomplete"):
        decoder.end()


def test_stream_decoder_error_event_and_failed_response_raise_mapped_errors() -> None:
    decoder = OpenAIResponsesStreamDecoder()
    decoder.feed(SSEEvent(json.dumps(numbered(DOC_STREAM[:1])[0])))
    error = {
        "type": "error",
        "code": "rate_limit_exceeded",
        "message": "Slow down",
        "param": None,
        "sequence_number": 1,
    }
    with pytest.raises(RateLimited) as caught:
        decoder.feed(SSEEvent(json.dumps(error), "error"))
    assert caught.value.message == "Slow down"
    assert caught.value.body == error

    failed = {
        "type": "response.failed",
        "response": response(status="failed", error={"code": "server_error", "message": "Boom"}),
        "sequence_number": 2,
    }
    with pytest.raises(ServerError, match=r"^Boom$"):
        OpenAIResponsesStreamDecoder().feed(SSEEvent(json.dumps(failed)))
    filtered = {**failed, "response": response(status="failed", error={"code": "bio_policy", "message": "No"})}
    with pytest.raises(ContentFiltered):
        OpenAIResponsesStreamDecoder().feed(SSEEvent(json.dumps(filtered)))


def test_stream_decoder_rejects_invalid_json() -> None:
    with pytest.raises(ProtocolError, match="stream event is not valid JSON"):
        OpenAIResponsesStreamDecoder().feed(SSEEvent("{oops"))
    with pytest.raises(ProtocolError, match="stream event is not a JSON object"):
        OpenAIResponsesStreamDecoder().feed(SSEEvent("[1]"))


# -- streams: encoding ---------------------------------------------------------------------------------------------
EVENT_ADAPTER: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)


def encode_stream(events: list[ir.StreamEvent]) -> list[dict[str, Any]]:
    encoder = OpenAIResponsesStreamEncoder()
    return [payload for event in events for payload in encoder.encode(event)]


def sdk_accumulate(payloads: list[dict[str, Any]]) -> ParsedResponse[object] | None:
    """Feed the payloads, validated as the SDK's event types, to the SDK's stream accumulator; the completed
    response it builds (None for a stream that ends incomplete)."""
    state: ResponseStreamState[object] = ResponseStreamState(input_tools=omit, text_format=omit)
    final = None
    for payload in payloads:
        for event in state.handle_event(EVENT_ADAPTER.validate_python(payload)):
            if event.type == "response.completed":
                final = event.response
    return final


def test_stream_encoder_exact_events() -> None:
    events: list[ir.StreamEvent] = [
        ir.MessageStart("resp_1", "gpt-4.1", 1700000000),
        ir.PartStart(0, ir.TextPart("")),
        ir.TextDelta(0, "Hi"),
        ir.TextDelta(0, ""),
        ir.PartEnd(0),
        ir.PartStart(1, ir.ToolCallPart("call_9", "get_weather", provider_details=mine(extra={"id": "fc_1"}))),
        ir.ToolArgumentsDelta(1, "{}"),
        ir.PartEnd(1),
        ir.UsageUpdate(ir.Usage(5, 7)),
        ir.Finish("tool_calls"),
        ir.StreamEnd(),
    ]
    snapshot: dict[str, Any] = {**R_IN_PROGRESS, "temperature": None, "top_p": None}
    msg = {"item_id": "msg_1_0", "output_index": 0, "content_index": 0}
    fc = {"item_id": "fc_1", "output_index": 1}
    text_part: dict[str, Any] = {"type": "output_text", "text": "Hi", "annotations": []}
    message: dict[str, Any] = {
        "id": "msg_1_0",
        "type": "message",
        "status": "completed",
        "role": "assistant",
        "content": [text_part],
    }
    call = {**CALL_ITEM, "arguments": "{}"}
    usage = {
        "input_tokens": 5,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": 7,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 12,
    }
    assert encode_stream(events) == numbered(
        [
            {"type": "response.created", "response": snapshot},
            {"type": "response.in_progress", "response": snapshot},
            {
                "type": "response.output_item.added",
                "output_index": 0,
                "item": {**message, "status": "in_progress", "content": []},
            },
            {"type": "response.content_part.added", **msg, "part": {**text_part, "text": ""}},
            {"type": "response.output_text.delta", **msg, "delta": "Hi", "logprobs": []},
            {"type": "response.output_text.done", **msg, "text": "Hi", "logprobs": []},
            {"type": "response.content_part.done", **msg, "part": text_part},
            {"type": "response.output_item.done", "output_index": 0, "item": message},
            {
                "type": "response.output_item.added",
                "output_index": 1,
                "item": {**call, "status": "in_progress", "arguments": ""},
            },
            {"type": "response.function_call_arguments.delta", **fc, "delta": "{}"},
            {"type": "response.function_call_arguments.done", **fc, "arguments": "{}"},
            {"type": "response.output_item.done", "output_index": 1, "item": call},
            {
                "type": "response.completed",
                "response": {**snapshot, "status": "completed", "output": [message, call], "usage": usage},
            },
        ]
    )


def ir_response(parts: list[ir.Part], reason: ir.FinishReason, usage: ir.Usage) -> ir.Response:
    choice = ir.Choice(ir.Message("assistant", parts), reason)
    return ir.Response("resp_7", "gpt-4.1", [choice], usage, created=1700000007)


STREAM_START = ir.MessageStart("resp_7", "gpt-4.1", 1700000007)
USAGE_IR = ir.Usage(11, 22, cache_read_tokens=3, reasoning_tokens=4)
STREAM_CASES: dict[str, tuple[list[ir.StreamEvent], ir.Response]] = {
    "thinking, text and calls": (
        [
            STREAM_START,
            ir.PartStart(0, ir.ThinkingPart()),
            ir.ThinkingDelta(0, "plan", signature="sig"),
            ir.PartEnd(0),
            ir.PartStart(1, ir.TextPart("Hel")),
            ir.TextDelta(1, "lo"),
            ir.PartEnd(1),
            ir.PartStart(2, ir.ToolCallPart("call_a", "get_weather")),
            ir.ToolArgumentsDelta(2, '{"city":'),
            ir.ToolArgumentsDelta(2, '"Paris"}'),
            ir.PartEnd(2),
            ir.UsageUpdate(USAGE_IR),
            ir.Finish("tool_calls"),
            ir.StreamEnd(),
        ],
        ir_response(
            [
                ir.ThinkingPart("plan"),
                ir.TextPart("Hello"),
                ir.ToolCallPart("call_a", "get_weather", '{"city":"Paris"}'),
            ],
            "tool_calls",
            USAGE_IR,
        ),
    ),
    "two interleaved tool calls": (
        [
            STREAM_START,
            ir.PartStart(0, ir.ToolCallPart("call_a", "get_weather")),
            ir.PartStart(1, ir.ToolCallPart("call_b", "get_time", '{"tz"')),
            ir.ToolArgumentsDelta(0, '{"city":'),
            ir.ToolArgumentsDelta(1, ':"CET"}'),
            ir.PartEnd(0),
            ir.ToolArgumentsDelta(0, '"Paris"}'),  # a late fragment after its part ended
            ir.PartEnd(1),
            ir.Finish("tool_calls"),
            ir.UsageUpdate(USAGE_IR),
            ir.StreamEnd(),
        ],
        ir_response(
            [
                ir.ToolCallPart("call_a", "get_weather", '{"city":"Paris"}'),
                ir.ToolCallPart("call_b", "get_time", '{"tz":"CET"}'),
            ],
            "tool_calls",
            USAGE_IR,
        ),
    ),
    "redacted thinking and a refusal": (
        [
            STREAM_START,
            ir.PartStart(0, ir.ThinkingPart(redacted="opaque")),
            ir.ThinkingDelta(0, "", signature="x"),
            ir.PartEnd(0),
            ir.PartStart(1, ir.TextPart("", provider_details={"openai_chat": {"refusal": True}})),
            ir.TextDelta(1, "No."),
            ir.PartEnd(1),
            ir.UsageUpdate(USAGE_IR),
            ir.Finish("stop"),
            ir.StreamEnd(),
        ],
        ir_response([ir.ThinkingPart(redacted="opaque"), ir.RefusalPart("No.")], "stop", USAGE_IR),
    ),
}


def without_parsed(value: Any) -> Any:
    """A dump of the SDK's parsed types without the fields parsing adds (``parsed``, ``parsed_arguments``)."""
    if isinstance(value, dict):
        mapping = cast("dict[str, Any]", value)
        return {k: without_parsed(v) for k, v in mapping.items() if k not in ("parsed", "parsed_arguments")}
    if isinstance(value, list):
        return [without_parsed(v) for v in cast("list[Any]", value)]
    return value


@pytest.mark.parametrize(("events", "expected"), STREAM_CASES.values(), ids=STREAM_CASES.keys())
def test_stream_encoder_output_reassembles_in_the_sdk(events: list[ir.StreamEvent], expected: ir.Response) -> None:
    payloads = encode_stream(events)
    assert [p["sequence_number"] for p in payloads] == list(range(len(payloads)))
    non_streamed = CODEC.encode_response(expected)
    assert payloads[-1]["response"] == non_streamed
    final = sdk_accumulate(payloads)
    assert final is not None
    reference = Response.model_validate(non_streamed)
    assert final.output_text == reference.output_text
    assert [without_parsed(item.model_dump()) for item in final.output] == [
        item.model_dump() for item in reference.output
    ]
    assert final.usage == reference.usage


def test_stream_encoder_length_finish_ends_incomplete_in_the_sdk() -> None:
    events: list[ir.StreamEvent] = [
        STREAM_START,
        ir.PartStart(0, ir.TextPart("")),
        ir.TextDelta(0, "Cut sho"),
        ir.Finish("length"),  # closes the open part
        ir.StreamEnd(),
        ir.TextDelta(0, "ignored after the end"),
    ]
    payloads = encode_stream(events)
    assert [p["type"] for p in payloads][-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.incomplete",
    ]
    assert payloads[-1]["response"]["incomplete_details"] == {"reason": "max_output_tokens"}
    assert payloads[-1]["response"]["usage"] is None
    assert sdk_accumulate(payloads) is None  # accepted; only response.completed yields a final response


def test_interleaved_chat_tool_calls_reach_the_sdk_whole() -> None:
    """OpenAI Chat streams two calls' fragments alternately: Chat decoder -> IR -> this encoder -> SDK."""

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "gpt-4o",
            "choices": [choice],
        }

    def call(index: int, arguments: str, **first: Any) -> dict[str, Any]:
        return {"tool_calls": [{"index": index, **first, "function": {"arguments": arguments}}]}

    chunks = [
        chunk({"role": "assistant", **call(0, "", id="call_a", type="function")}),
        chunk(call(1, "", id="call_b", type="function")),
        chunk(call(0, '{"city":')),
        chunk(call(1, '{"tz":')),
        chunk(call(0, '"Paris"}')),
        chunk(call(1, '"CET"}')),
        chunk({}, "tool_calls"),
    ]
    chunks[0]["choices"][0]["delta"]["tool_calls"][0]["function"]["name"] = "get_weather"
    chunks[1]["choices"][0]["delta"]["tool_calls"][0]["function"]["name"] = "get_time"
    decoder = OpenAIChatStreamDecoder()
    events = [e for c in chunks for e in decoder.feed(SSEEvent(json.dumps(c)))] + decoder.feed(SSEEvent("[DONE]"))
    final = sdk_accumulate(encode_stream(events))
    assert final is not None
    assert [(item.type, getattr(item, "call_id", None), getattr(item, "arguments", None)) for item in final.output] == [
        ("function_call", "call_a", '{"city":"Paris"}'),
        ("function_call", "call_b", '{"tz":"CET"}'),
    ]


def test_stream_encoder_then_decoder_gives_the_events_back() -> None:
    events, _ = STREAM_CASES["thinking, text and calls"]
    payloads = encode_stream(events)
    decoded = decode_stream([{k: v for k, v in p.items() if k != "sequence_number"} for p in payloads])
    assert decoded == [
        STREAM_START,
        ir.PartStart(0, ir.ThinkingPart(provider_details=mine(extra={"id": "rs_7_0"}))),
        ir.ThinkingDelta(0, "plan"),
        ir.PartEnd(0),
        ir.PartStart(1, ir.TextPart("")),
        ir.TextDelta(1, "Hel"),
        ir.TextDelta(1, "lo"),
        ir.PartEnd(1),
        ir.PartStart(2, ir.ToolCallPart("call_a", "get_weather", provider_details=mine(extra={"id": "fc_7_2"}))),
        ir.ToolArgumentsDelta(2, '{"city":'),
        ir.ToolArgumentsDelta(2, '"Paris"}'),
        ir.PartEnd(2),
        ir.UsageUpdate(USAGE_IR),
        ir.Finish("tool_calls"),
        ir.StreamEnd(),
    ]


def test_stream_encoder_edge_cases() -> None:
    encoder = OpenAIResponsesStreamEncoder()
    first = encoder.encode(ir.PartStart(0, ir.TextPart("x")))  # no MessageStart: an anonymous one is made up
    assert [p["type"] for p in first] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
    ]
    assert first[2]["item"]["id"] == "msg_0"
    assert encoder.encode(ir.TextDelta(0, "other choice", choice=1)) == []
    assert encoder.encode(ir.MessageStart("late", "m")) == []
    with pytest.raises(ProtocolError, match="stream delta for part 5, which is not open"):
        encoder.encode(ir.TextDelta(5, "?"))
    with pytest.raises(ProtocolError, match="stream delta ToolArgumentsDelta does not fit a text item"):
        encoder.encode(ir.ToolArgumentsDelta(0, "{}"))
    assert encoder.encode(ir.PartEnd(9)) == []
