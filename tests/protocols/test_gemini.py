"""Gemini generateContent codec: request/response round trips, schema conversion, function-call ids, cross-protocol
encoding, streams, errors and embeddings."""

from __future__ import annotations

import base64
import copy
import json
import subprocess
import sys
from typing import Any

import pytest
from google.genai import _common
from google.genai import types as genai_types
from google.genai._api_client import BaseApiClient
from google.genai.models import _GenerateContentParameters_to_mldev, _GenerateContentResponse_from_mldev

from routeapi import ir
from routeapi.errors import (
    AuthenticationError,
    BadRequest,
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
    UnsupportedFeature,
)
from routeapi.protocols.gemini import (
    GeminiCodec,
    GeminiStreamDecoder,
    GeminiStreamEncoder,
    decode_embed_request,
    decode_embed_response,
    encode_embed_request,
    error_from_body,
    gemini_schema_to_json_schema,
    json_schema_to_gemini_schema,
    prompt_block,
)

codec = GeminiCodec()
MODEL = "gemini-2.5-flash"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
PNG_B64 = base64.b64encode(PNG).decode()
PDF_B64 = base64.b64encode(b"%PDF-1.4 test").decode()
WAV_B64 = base64.b64encode(b"RIFF....WAVE").decode()


def user(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "parts": list(parts)}


def model_turn(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"role": "model", "parts": list(parts)}


def body(*contents: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"contents": list(contents) or [user({"text": "hi"})], **fields}


def call(name: str, args: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"functionCall": {"name": name, "args": args, **extra}}


def answer(name: str, response: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"functionResponse": {"name": name, "response": response, **extra}}


def round_trip(wire: dict[str, Any]) -> tuple[dict[str, Any], list[ir.Adaptation]]:
    return codec.encode_request(codec.decode_request(copy.deepcopy(wire), model=MODEL), model=MODEL)


# ---------------------------------------------------------------------------------------------------------------
# Requests: same-protocol round trip

PROTOCOLS_MD_REQUEST: dict[str, Any] = {
    "contents": [
        user({"text": "hi"}, {"inlineData": {"mimeType": "image/png", "data": "iVBORw=="}}),
        model_turn(call("get_weather", {"city": "Paris"})),
        user(answer("get_weather", {"result": "sunny"})),
    ],
    "systemInstruction": {"role": "user", "parts": [{"text": "be brief"}]},
    "tools": [
        {
            "functionDeclarations": [
                {
                    "name": "get_weather",
                    "description": "d",
                    "parametersJsonSchema": {"type": "object", "properties": {"city": {"type": "string"}}},
                }
            ]
        }
    ],
    "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}},
    "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
    "generationConfig": {
        "temperature": 0.2,
        "maxOutputTokens": 100,
        "stopSequences": ["X"],
        "seed": 3,
        "thinkingConfig": {"thinkingBudget": 128, "includeThoughts": True},
        "responseMimeType": "application/json",
        "responseSchema": {"type": "OBJECT", "properties": {"a": {"type": "STRING"}}},
    },
}

GEMINI_SCHEMA_TOOL = {
    "name": "lookup",
    "parameters": {
        "type": "OBJECT",
        "properties": {
            "kind": {"type": "STRING", "format": "enum", "enum": ["x", "y"]},
            "limit": {"type": "INTEGER", "nullable": True, "example": 3},
        },
        "propertyOrdering": ["kind", "limit"],
        "required": ["kind"],
    },
    "behavior": "NON_BLOCKING",
}

REQUEST_ROUND_TRIPS: dict[str, dict[str, Any]] = {
    "minimal": body(),
    "protocols.md 6.2 example": PROTOCOLS_MD_REQUEST,
    "roleless content and system instruction": {
        "contents": [{"parts": [{"text": "hi"}]}],
        "systemInstruction": {"parts": [{"text": "be brief"}]},
    },
    "consecutive user turns stay apart": body(user({"text": "one"}), user({"text": "two"})),
    "parallel calls answered in one turn, then text": body(
        user({"text": "weather and time?"}),
        model_turn(call("get_weather", {"city": "Paris"}), call("get_weather", {"city": "Rome"}), call("now", {})),
        user(
            answer("now", {"output": "noon"}),
            answer("get_weather", {"output": "sunny"}),
            answer("get_weather", {"error": {"code": 3}}),
            {"text": "and tomorrow?"},
        ),
    ),
    "ids issued by Gemini": body(
        user({"text": "t?"}),
        model_turn(call("f", {"x": [1, 2]}, id="fc-1")),
        user(answer("f", {"output": {"temp": 3}}, id="fc-1", willContinue=False)),
    ),
    "thoughts and signatures": body(
        user({"text": "q"}),
        model_turn(
            {"text": "planning", "thought": True, "thoughtSignature": "c2ln"},
            {"text": "answer", "thought": False},
            {**call("f", {}), "thoughtSignature": "c2lnMg=="},
        ),
        user(answer("f", {"output": "ok"})),
    ),
    "media": body(
        user(
            {"inlineData": {"mimeType": "application/pdf", "data": PDF_B64}},
            {"inlineData": {"mimeType": "audio/mpeg", "data": WAV_B64}},
            {"inlineData": {"mimeType": "audio/wav", "data": WAV_B64}},
            {"inlineData": {"mimeType": "video/mp4", "data": WAV_B64, "displayName": "clip"}},
            {"fileData": {"mimeType": "image/png", "fileUri": "https://generativelanguage.googleapis.com/v1/files/a"}},
            {"fileData": {"fileUri": "gs://bucket/report"}},
            {"text": "describe", "partMetadata": {"k": "v"}},
        )
    ),
    "server-side code execution": body(
        user({"text": "compute"}),
        model_turn(
            {"executableCode": {"language": "PYTHON", "code": "print(1)"}},
            {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "1\n"}},
            {"text": "done"},
        ),
        tools=[{"codeExecution": {}}],
    ),
    "Gemini schema tools and tool layout": body(
        tools=[
            {"googleSearch": {}},
            {"functionDeclarations": [GEMINI_SCHEMA_TOOL]},
            {"functionDeclarations": [{"name": "ping"}]},
        ]
    ),
    "tool config AUTO": body(toolConfig={"functionCallingConfig": {"mode": "AUTO"}}),
    "tool config NONE": body(toolConfig={"functionCallingConfig": {"mode": "NONE"}}),
    "tool config ANY": body(toolConfig={"functionCallingConfig": {"mode": "ANY"}}),
    "tool config ANY with two names": body(
        toolConfig={"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["a", "b"]}}
    ),
    "tool config VALIDATED": body(
        toolConfig={"functionCallingConfig": {"mode": "VALIDATED", "allowedFunctionNames": ["a"]}}
    ),
    "tool config with retrieval config": body(
        toolConfig={"functionCallingConfig": {"mode": "AUTO"}, "retrievalConfig": {"languageCode": "en"}}
    ),
    "explicit zeros": body(
        generationConfig={
            "temperature": 0,
            "topP": 1,
            "topK": 0,
            "candidateCount": 1,
            "maxOutputTokens": 1,
            "presencePenalty": 0,
            "frequencyPenalty": 0.5,
            "seed": 0,
            "responseLogprobs": True,
            "logprobs": 3,
        }
    ),
    "JSON mode": body(generationConfig={"responseMimeType": "application/json"}),
    "JSON schema": body(
        generationConfig={
            "responseMimeType": "application/json",
            "responseJsonSchema": {"type": "object", "properties": {"first_name": {"type": "string"}}},
        }
    ),
    "plain text mime": body(generationConfig={"responseMimeType": "text/plain"}),
    "enum mime stays verbatim": body(
        generationConfig={"responseMimeType": "text/x.enum", "responseSchema": {"type": "STRING", "enum": ["a"]}}
    ),
    "thinking level uppercase": body(generationConfig={"thinkingConfig": {"thinkingLevel": "HIGH"}}),
    "thinking level lowercase": body(generationConfig={"thinkingConfig": {"thinkingLevel": "low"}}),
    "thinking off, thoughts hidden": body(
        generationConfig={"thinkingConfig": {"thinkingBudget": 0, "includeThoughts": False, "newKnob": 1}}
    ),
    "fractional topK stays verbatim": body(generationConfig={"topK": 40.5}),
    "unmodelled keys": body(
        cachedContent="cachedContents/abc",
        labels={"team": "a"},
        serviceTier="flex",
        generationConfig={"responseModalities": ["TEXT"], "mediaResolution": "MEDIA_RESOLUTION_LOW"},
    ),
}


@pytest.mark.parametrize("wire", REQUEST_ROUND_TRIPS.values(), ids=REQUEST_ROUND_TRIPS.keys())
def test_request_round_trip_is_exact(wire: dict[str, Any]) -> None:
    assert round_trip(wire) == (wire, [])


def test_decode_request_of_the_protocols_md_example() -> None:
    request = codec.decode_request(PROTOCOLS_MD_REQUEST, model=MODEL)
    assert request.model == MODEL
    assert request.source == "gemini"
    assert request.messages == [
        ir.Message("system", [ir.TextPart("be brief")]),
        ir.Message("user", [ir.TextPart("hi"), ir.ImagePart(data=b"\x89PNG", media_type="image/png")]),
        ir.Message("assistant", [ir.ToolCallPart("call_get_weather_0", "get_weather", '{"city":"Paris"}')]),
        ir.Message(
            "tool",
            [
                ir.ToolResultPart(
                    "call_get_weather_0",
                    [ir.TextPart('{"result":"sunny"}')],
                    name="get_weather",
                    provider_details={"gemini": {"response": {"result": "sunny"}}},
                )
            ],
        ),
    ]
    assert request.tools == [
        ir.Tool("get_weather", "d", {"type": "object", "properties": {"city": {"type": "string"}}})
    ]
    assert request.tool_choice == ir.NamedToolChoice("get_weather")
    assert request.response_format == ir.ResponseFormat(
        "json_schema", schema={"type": "object", "properties": {"a": {"type": "string"}}}
    )
    assert request.settings == ir.GenerationSettings(
        temperature=0.2, max_tokens=100, stop=["X"], seed=3, reasoning_budget=128
    )
    assert request.extra == {"safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]}
    assert request.provider_details == {
        "gemini": {
            "includeThoughts": True,
            "responseSchema": {"type": "OBJECT", "properties": {"a": {"type": "STRING"}}},
        }
    }


def test_decode_request_settings_keep_explicit_zeros() -> None:
    request = codec.decode_request(REQUEST_ROUND_TRIPS["explicit zeros"])
    assert request.settings == ir.GenerationSettings(
        temperature=0,
        top_p=1,
        top_k=0,
        n=1,
        max_tokens=1,
        presence_penalty=0,
        frequency_penalty=0.5,
        seed=0,
        logprobs=True,
        top_logprobs=3,
    )


def test_decode_request_thinking_level_and_json_mode() -> None:
    request = codec.decode_request(
        body(generationConfig={"thinkingConfig": {"thinkingLevel": "HIGH"}, "responseMimeType": "application/json"})
    )
    assert request.settings.reasoning_effort == "high"
    assert request.response_format == ir.ResponseFormat("json_object")


def test_decode_request_tool_choices() -> None:
    def choice(config: dict[str, Any]) -> object:
        return codec.decode_request(body(toolConfig={"functionCallingConfig": config})).tool_choice

    assert choice({"mode": "AUTO"}) == "auto"
    assert choice({"mode": "NONE"}) == "none"
    assert choice({"mode": "ANY"}) == "required"
    assert choice({"mode": "ANY", "allowedFunctionNames": ["a", "b"]}) == "required"
    assert choice({"mode": "VALIDATED"}) is ir.UNSET


def test_decode_request_tools_convert_gemini_schema_and_keep_other_tools_in_extra() -> None:
    request = codec.decode_request(REQUEST_ROUND_TRIPS["Gemini schema tools and tool layout"])
    assert request.tools == [
        ir.Tool(
            "lookup",
            None,
            {
                "type": "object",
                "properties": {
                    "kind": {"type": "string", "enum": ["x", "y"]},
                    "limit": {"type": ["integer", "null"], "examples": [3]},
                },
                "required": ["kind"],
            },
            provider_details={
                "gemini": {
                    "parameters": GEMINI_SCHEMA_TOOL["parameters"],
                    "declaration": {"behavior": "NON_BLOCKING"},
                }
            },
        ),
        ir.Tool("ping"),
    ]
    assert request.extra == {"tools": [{"googleSearch": {}}]}


def test_changed_tool_parameters_are_converted_back_to_gemini_schema() -> None:
    request = codec.decode_request(body(tools=[{"functionDeclarations": [GEMINI_SCHEMA_TOOL]}]))
    request.tools[0].parameters = {"type": "object", "properties": {"q": {"type": ["string", "null"]}}}
    wire, _ = codec.encode_request(request, model=MODEL)
    assert wire["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "lookup",
                    "parameters": {"type": "OBJECT", "properties": {"q": {"type": "STRING", "nullable": True}}},
                    "behavior": "NON_BLOCKING",
                }
            ]
        }
    ]


def test_decode_request_media_parts() -> None:
    request = codec.decode_request(REQUEST_ROUND_TRIPS["media"])
    assert request.messages[0].parts == [
        ir.DocumentPart(data=b"%PDF-1.4 test", media_type="application/pdf"),
        ir.AudioPart(b"RIFF....WAVE", "mp3", provider_details={"gemini": {"mimeType": "audio/mpeg"}}),
        ir.AudioPart(b"RIFF....WAVE", "wav"),
        ir.DocumentPart(
            data=b"RIFF....WAVE",
            media_type="video/mp4",
            provider_details={"gemini": {"inlineData": {"displayName": "clip"}}},
        ),
        ir.ImagePart(url="https://generativelanguage.googleapis.com/v1/files/a", media_type="image/png"),
        ir.DocumentPart(url="gs://bucket/report", provider_details={"gemini": {"mimeType": None}}),
        ir.TextPart("describe", provider_details={"gemini": {"extra": {"partMetadata": {"k": "v"}}}}),
    ]


def test_decode_request_code_execution_parts_become_readable_text() -> None:
    request = codec.decode_request(REQUEST_ROUND_TRIPS["server-side code execution"])
    assert [part.text for part in request.messages[1].parts if isinstance(part, ir.TextPart)] == [
        "```python\nprint(1)\n```",
        "1\n",
        "done",
    ]


def test_decode_request_thought_parts() -> None:
    request = codec.decode_request(REQUEST_ROUND_TRIPS["thoughts and signatures"])
    assert request.messages[1].parts == [
        ir.ThinkingPart("planning", provider_details={"gemini": {"thoughtSignature": "c2ln"}}),
        ir.TextPart("answer", provider_details={"gemini": {"extra": {"thought": False}}}),
        ir.ToolCallPart("call_f_0", "f", "{}", provider_details={"gemini": {"thoughtSignature": "c2lnMg=="}}),
    ]


def test_decode_request_model_from_body_when_not_given() -> None:
    assert codec.decode_request({**body(), "model": "models/gemini-pro"}).model == "models/gemini-pro"
    assert codec.decode_request({**body(), "model": "models/gemini-pro"}, model=MODEL).model == MODEL


# ---------------------------------------------------------------------------------------------------------------
# Requests: snake_case input normalises to camelCase, user JSON untouched

SNAKE_CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "parts, system instruction and config": (
        {
            "contents": [
                {
                    "role": "user",
                    "parts": [{"text": "hi"}, {"inline_data": {"mime_type": "image/png", "data": PNG_B64}}],
                },
                {
                    "role": "model",
                    "parts": [
                        {"function_call": {"name": "f", "args": {"city_name": "Paris"}}, "thought_signature": "c2ln"}
                    ],
                },
                {"role": "user", "parts": [{"function_response": {"name": "f", "response": {"temp_c": 3}}}]},
                {"role": "user", "parts": [{"file_data": {"mime_type": "application/pdf", "file_uri": "gs://b/x"}}]},
            ],
            "system_instruction": {"role": "user", "parts": [{"text": "be brief"}]},
            "tool_config": {"function_calling_config": {"mode": "ANY", "allowed_function_names": ["f"]}},
            "generation_config": {
                "max_output_tokens": 10,
                "top_k": 0,
                "candidate_count": 1,
                "stop_sequences": ["END"],
                "thinking_config": {"thinking_budget": 128, "include_thoughts": True},
                "response_mime_type": "application/json",
                "response_json_schema": {"type": "object", "properties": {"first_name": {"type": "string"}}},
            },
            "safety_settings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
            "cached_content": "cachedContents/abc",
        },
        {
            "contents": [
                {"role": "user", "parts": [{"text": "hi"}, {"inlineData": {"mimeType": "image/png", "data": PNG_B64}}]},
                {
                    "role": "model",
                    "parts": [
                        {"functionCall": {"name": "f", "args": {"city_name": "Paris"}}, "thoughtSignature": "c2ln"}
                    ],
                },
                {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {"temp_c": 3}}}]},
                {"role": "user", "parts": [{"fileData": {"mimeType": "application/pdf", "fileUri": "gs://b/x"}}]},
            ],
            "systemInstruction": {"role": "user", "parts": [{"text": "be brief"}]},
            "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["f"]}},
            "generationConfig": {
                "maxOutputTokens": 10,
                "topK": 0,
                "candidateCount": 1,
                "stopSequences": ["END"],
                "thinkingConfig": {"thinkingBudget": 128, "includeThoughts": True},
                "responseMimeType": "application/json",
                "responseJsonSchema": {"type": "object", "properties": {"first_name": {"type": "string"}}},
            },
            "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
            "cachedContent": "cachedContents/abc",
        },
    ),
    "tool declarations in both schema dialects": (
        body(
            tools=[
                {
                    "function_declarations": [
                        {
                            "name": "a",
                            "parameters_json_schema": {
                                "type": "object",
                                "properties": {"user_id": {"type": "string"}},
                                "required": ["user_id"],
                            },
                        },
                        {
                            "name": "b",
                            "parameters": {
                                "type": "OBJECT",
                                "properties": {"first_name": {"type": "STRING", "max_length": 5}},
                                "property_ordering": ["first_name"],
                            },
                        },
                    ]
                },
                {"google_search": {}},
            ]
        ),
        body(
            tools=[
                {
                    "functionDeclarations": [
                        {
                            "name": "a",
                            "parametersJsonSchema": {
                                "type": "object",
                                "properties": {"user_id": {"type": "string"}},
                                "required": ["user_id"],
                            },
                        },
                        {
                            "name": "b",
                            "parameters": {
                                "type": "OBJECT",
                                "properties": {"first_name": {"type": "STRING", "maxLength": 5}},
                                "propertyOrdering": ["first_name"],
                            },
                        },
                    ]
                },
                {"googleSearch": {}},
            ]
        ),
    ),
    "None values are absent fields (SDK model_dump output)": (
        {
            "contents": [{"role": "user", "parts": [{"text": "hi", "thought": None, "inline_data": None}]}],
            "tools": None,
        },
        body(),
    ),
}


@pytest.mark.parametrize(("snake", "camel"), SNAKE_CASES.values(), ids=SNAKE_CASES.keys())
def test_snake_case_request_round_trips_to_its_camel_case_form(snake: dict[str, Any], camel: dict[str, Any]) -> None:
    assert round_trip(snake) == (camel, [])
    assert codec.decode_request(snake) == codec.decode_request(camel)


def sdk_wire_body() -> dict[str, Any]:
    """A generateContent body exactly as google-genai serialises it (its converter, then its JSON encoding)."""
    params = genai_types._GenerateContentParameters(
        model=MODEL,
        contents=[
            genai_types.Content(
                role="user",
                parts=[
                    genai_types.Part(text="hi"),
                    genai_types.Part.from_bytes(data=b"\xfb\xff\xfe", mime_type="image/png"),
                ],
            ),
            genai_types.Content(
                role="model",
                parts=[
                    genai_types.Part(
                        function_call=genai_types.FunctionCall(name="f", args={"city_name": "P"}),
                        thought_signature=b"sig",
                    )
                ],
            ),
            genai_types.Content(
                role="user", parts=[genai_types.Part.from_function_response(name="f", response={"output": "ok"})]
            ),
        ],
        config=genai_types.GenerateContentConfig(
            system_instruction="be brief",
            temperature=0,
            top_k=0,
            candidate_count=1,
            tools=[
                genai_types.Tool(
                    function_declarations=[
                        genai_types.FunctionDeclaration(
                            name="f",
                            parameters_json_schema={"type": "object", "properties": {"city_name": {"type": "string"}}},
                        )
                    ]
                ),
                genai_types.Tool(google_search=genai_types.GoogleSearch()),
            ],
            tool_config=genai_types.ToolConfig(
                function_calling_config=genai_types.FunctionCallingConfig(
                    mode=genai_types.FunctionCallingConfigMode.ANY, allowed_function_names=["f"]
                )
            ),
            thinking_config=genai_types.ThinkingConfig(thinking_budget=128, include_thoughts=True),
            response_mime_type="application/json",
            response_schema={"type": "OBJECT", "properties": {"a_b": {"type": "STRING"}}},
        ),
    )
    converted = _GenerateContentParameters_to_mldev(BaseApiClient(api_key="test"), params)
    converted.pop("_url", None)
    return json.loads(json.dumps(_common.encode_unserializable_types(_common.convert_to_dict(converted))))


def test_request_built_by_the_sdk_decodes_and_re_encodes_in_camel_case() -> None:
    wire = sdk_wire_body()
    # the SDK's own quirks: URL-safe base64, snake_case keys nested in camelCase ones
    assert wire["contents"][0]["parts"][1] == {"inlineData": {"data": "-__-", "mime_type": "image/png"}}
    assert wire["generationConfig"]["thinkingConfig"] == {"include_thoughts": True, "thinking_budget": 128}
    request = codec.decode_request(wire, model=MODEL)
    assert request.messages[1].parts[1] == ir.ImagePart(data=b"\xfb\xff\xfe", media_type="image/png")
    assert request.messages[2].parts == [
        ir.ToolCallPart("call_f_0", "f", '{"city_name":"P"}', provider_details={"gemini": {"thoughtSignature": "c2ln"}})
    ]
    assert request.settings == ir.GenerationSettings(temperature=0, top_k=0, n=1, reasoning_budget=128)
    encoded, adaptations = codec.encode_request(request, model=MODEL)
    assert adaptations == []
    assert encoded == {
        "contents": [
            user({"text": "hi"}, {"inlineData": {"mimeType": "image/png", "data": "+//+"}}),
            model_turn({**call("f", {"city_name": "P"}), "thoughtSignature": "c2ln"}),
            user(answer("f", {"output": "ok"})),
        ],
        "systemInstruction": {"role": "user", "parts": [{"text": "be brief"}]},
        "tools": [
            {"googleSearch": {}},
            {
                "functionDeclarations": [
                    {
                        "name": "f",
                        "parametersJsonSchema": {"type": "object", "properties": {"city_name": {"type": "string"}}},
                    }
                ]
            },
        ],
        "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["f"]}},
        "generationConfig": {
            "temperature": 0,
            "topK": 0,
            "candidateCount": 1,
            "thinkingConfig": {"thinkingBudget": 128, "includeThoughts": True},
            "responseMimeType": "application/json",
            "responseSchema": {"type": "OBJECT", "properties": {"a_b": {"type": "STRING"}}},
        },
    }


# ---------------------------------------------------------------------------------------------------------------
# Function call ids: synthesis and pairing of function responses


def test_function_responses_pair_with_calls_by_name_and_order() -> None:
    request = codec.decode_request(REQUEST_ROUND_TRIPS["parallel calls answered in one turn, then text"])
    assistant = request.messages[1]
    assert [(p.id, p.name) for p in assistant.tool_calls] == [
        ("call_get_weather_0", "get_weather"),
        ("call_get_weather_1", "get_weather"),
        ("call_now_2", "now"),
    ]
    results = [
        (m.role, p.tool_call_id, p.name, p.is_error, m.provider_details)
        for m in request.messages[2:]
        for p in m.parts
        if isinstance(p, ir.ToolResultPart)
    ]
    assert results == [
        ("tool", "call_now_2", "now", False, None),
        ("tool", "call_get_weather_0", "get_weather", False, {"gemini": {"continuesContent": True}}),
        ("tool", "call_get_weather_1", "get_weather", True, {"gemini": {"continuesContent": True}}),
    ]
    error_result = request.messages[4].parts[0]
    assert isinstance(error_result, ir.ToolResultPart)
    assert error_result.content == [ir.TextPart('{"code":3}')]
    assert request.messages[5] == ir.Message(
        "user", [ir.TextPart("and tomorrow?")], provider_details={"gemini": {"continuesContent": True}}
    )


def test_function_responses_pair_by_id_before_name() -> None:
    request = codec.decode_request(
        body(
            user({"text": "go"}),
            model_turn(call("f", {}, id="a"), call("f", {}, id="b")),
            user(answer("f", {"output": "B"}, id="b"), answer("f", {"output": "A"}, id="a")),
        )
    )
    assert [p.id for p in request.messages[1].tool_calls] == ["a", "b"]
    results = [
        (p.tool_call_id, p.content) for m in request.messages[2:] for p in m.parts if isinstance(p, ir.ToolResultPart)
    ]
    assert results == [("b", [ir.TextPart("B")]), ("a", [ir.TextPart("A")])]


def test_function_responses_answer_the_latest_turn_and_count_calls_across_the_request() -> None:
    request = codec.decode_request(
        body(
            user({"text": "1"}),
            model_turn(call("f", {"n": 1})),
            user(answer("f", {"output": "one"})),
            model_turn(call("f", {"n": 2}), call("f", {"n": 3})),
            user(answer("f", {"output": "two"}), answer("f", {"output": "three"}), answer("g", {"output": "?"})),
        )
    )
    calls = [p.id for m in request.messages for p in m.tool_calls]
    results = [p.tool_call_id for m in request.messages for p in m.parts if isinstance(p, ir.ToolResultPart)]
    assert calls == ["call_f_0", "call_f_1", "call_f_2"]
    assert results == ["call_f_0", "call_f_1", "call_f_2", "call_g_r1"]  # an answer to no call gets its own id


def test_ids_given_by_gemini_are_kept_and_marked() -> None:
    request = codec.decode_request(REQUEST_ROUND_TRIPS["ids issued by Gemini"])
    assert request.messages[1].parts == [
        ir.ToolCallPart("fc-1", "f", '{"x":[1,2]}', provider_details={"gemini": {"id": "fc-1"}})
    ]
    assert request.messages[2].parts == [
        ir.ToolResultPart(
            "fc-1",
            [ir.TextPart('{"temp":3}')],
            name="f",
            provider_details={
                "gemini": {
                    "id": "fc-1",
                    "response": {"output": {"temp": 3}},
                    "functionResponse": {"willContinue": False},
                }
            },
        )
    ]


# ---------------------------------------------------------------------------------------------------------------
# Malformed requests name the field


@pytest.mark.parametrize(
    ("wire", "field"),
    [
        ({"generationConfig": {}}, "contents"),
        (body(model_turn({"functionCall": {"args": {}}})), "contents[0].parts[0].functionCall.name"),
        (body(user({"inlineData": {"mimeType": "image/png", "data": "@@@"}})), "contents[0].parts[0].inlineData.data"),
        (body({"role": "system", "parts": [{"text": "x"}]}), "contents[0].role"),
        (body(generationConfig={"temperature": "hot"}), "generationConfig.temperature"),
        (body(generationConfig={"candidateCount": True}), "generationConfig.candidateCount"),
        (body(tools=[{"functionDeclarations": [{"description": "no name"}]}]), "tools[0].functionDeclarations[0].name"),
    ],
)
def test_malformed_request_raises_protocol_error_naming_the_field(wire: dict[str, Any], field: str) -> None:
    with pytest.raises(ProtocolError, match=field.replace("[", r"\[").replace("]", r"\]")):
        codec.decode_request(wire)


# ---------------------------------------------------------------------------------------------------------------
# Schemas


def test_gemini_schema_to_json_schema() -> None:
    gemini = {
        "type": "OBJECT",
        "properties": {
            "name": {"type": "STRING", "nullable": True, "description": "d"},
            "kind": {"type": "STRING", "format": "enum", "enum": ["a", "b"], "nullable": True},
            "tags": {"type": "ARRAY", "items": {"type": "STRING"}, "min_items": "1", "maxItems": 3},
            "choice": {"anyOf": [{"type": "INTEGER"}, {"type": "NUMBER", "minimum": 0}], "nullable": True},
            "sample": {"type": "STRING", "example": "x", "pattern": "^x"},
            "node": {"ref": "#/defs/Node"},
            "loose": {"type": "TYPE_UNSPECIFIED", "title": "L"},
        },
        "defs": {"Node": {"type": "OBJECT", "additionalProperties": False}},
        "required": ["name"],
        "propertyOrdering": ["name", "kind"],
    }
    assert gemini_schema_to_json_schema(gemini) == {
        "type": "object",
        "properties": {
            "name": {"type": ["string", "null"], "description": "d"},
            "kind": {"type": ["string", "null"], "enum": ["a", "b", None]},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3},
            "choice": {"anyOf": [{"type": "integer"}, {"type": "number", "minimum": 0}, {"type": "null"}]},
            "sample": {"type": "string", "examples": ["x"], "pattern": "^x"},
            "node": {"$ref": "#/$defs/Node"},
            "loose": {"title": "L"},
        },
        "$defs": {"Node": {"type": "object", "additionalProperties": False}},
        "required": ["name"],
    }


def test_json_schema_to_gemini_schema() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "a": {"type": ["string", "null"], "maxLength": 9},
            "b": {"oneOf": [{"type": "integer"}, {"type": "null"}]},
            "c": {"const": "x"},
            "d": {"$ref": "#/$defs/D"},
            "e": {"type": ["integer", "string"]},
            "f": {"type": "string", "enum": ["p", None], "examples": ["p", "q"]},
            "g": {"type": "array", "items": {"type": "number"}, "uniqueItems": True},
        },
        "$defs": {"D": {"type": "object", "additionalProperties": False}},
        "additionalProperties": False,
        "required": ["a"],
    }
    expected = {
        "type": "OBJECT",
        "properties": {
            "a": {"type": "STRING", "maxLength": 9, "nullable": True},
            "b": {"anyOf": [{"type": "INTEGER"}], "nullable": True},
            "c": {"enum": ["x"]},
            "d": {"ref": "#/defs/D"},
            "e": {"anyOf": [{"type": "INTEGER"}, {"type": "STRING"}]},
            "f": {"type": "STRING", "enum": ["p"], "example": "p", "nullable": True},
            "g": {"type": "ARRAY", "items": {"type": "NUMBER"}},
        },
        "defs": {"D": {"type": "OBJECT", "additionalProperties": False}},
        "additionalProperties": False,
        "required": ["a"],
    }
    converted = json_schema_to_gemini_schema(schema)
    assert converted == expected
    genai_types.Schema.model_validate(converted)  # the SDK's own Schema model accepts it


@pytest.mark.parametrize(
    "gemini",
    [
        {"type": "STRING", "nullable": True, "enum": ["a"]},
        {"anyOf": [{"type": "INTEGER"}, {"type": "BOOLEAN"}], "nullable": True},
        {"type": "OBJECT", "properties": {"x": {"type": "ARRAY", "items": {"type": "NUMBER"}, "minItems": 1}}},
    ],
)
def test_schema_conversion_inverts(gemini: dict[str, Any]) -> None:
    assert json_schema_to_gemini_schema(gemini_schema_to_json_schema(gemini)) == gemini


# ---------------------------------------------------------------------------------------------------------------
# Requests from other protocols

WEATHER_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


def test_cross_protocol_request_encode() -> None:
    request = ir.Request(
        model="gpt-4o",
        source="openai_chat",
        messages=[
            ir.Message("system", [ir.TextPart("be brief")]),
            ir.Message("developer", [ir.TextPart("use metric")]),
            ir.Message(
                "user",
                [
                    ir.TextPart("weather?"),
                    ir.ImagePart(data=PNG, media_type="image/png"),
                    ir.ImagePart(url="https://example.com/a.jpg"),
                ],
            ),
            ir.Message(
                "assistant",
                [
                    ir.ThinkingPart("hmm", signature="anthropic-signature"),
                    ir.TextPart("checking"),
                    ir.ToolCallPart("call_1", "get_weather", '{"city": "Paris"}'),
                    ir.ToolCallPart("call_2", "get_weather", "{not json"),
                ],
            ),
            ir.Message("tool", [ir.ToolResultPart("call_1", [ir.TextPart("sunny")])]),
            ir.Message("tool", [ir.ToolResultPart("call_2", [ir.TextPart("failed")], is_error=True)]),
            ir.Message("user", [ir.TextPart("thanks")]),
        ],
        tools=[ir.Tool("get_weather", "d", WEATHER_SCHEMA, strict=True)],
        tool_choice="required",
        response_format=ir.ResponseFormat("json_schema", name="w", schema=WEATHER_SCHEMA, strict=True),
        settings=ir.GenerationSettings(
            temperature=0, top_k=0, n=1, max_tokens=50, parallel_tool_calls=False, user="u1", reasoning_effort="low"
        ),
        extra={"service_tier": "flex"},
    )
    wire, adaptations = codec.encode_request(request, model=MODEL)
    assert wire == {
        "contents": [
            user(
                {"text": "weather?"},
                {"inlineData": {"mimeType": "image/png", "data": PNG_B64}},
                {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://example.com/a.jpg"}},
            ),
            model_turn(
                {"text": "checking"},
                call("get_weather", {"city": "Paris"}),
                call("get_weather", {"_raw_arguments": "{not json"}),
            ),
            user(
                answer("get_weather", {"output": "sunny"}),
                answer("get_weather", {"error": "failed"}),
                {"text": "thanks"},
            ),
        ],
        "systemInstruction": {"role": "user", "parts": [{"text": "be brief"}, {"text": "use metric"}]},
        "tools": [
            {
                "functionDeclarations": [
                    {"name": "get_weather", "description": "d", "parametersJsonSchema": WEATHER_SCHEMA}
                ]
            }
        ],
        "toolConfig": {"functionCallingConfig": {"mode": "ANY"}},
        "generationConfig": {
            "temperature": 0,
            "topK": 0,
            "candidateCount": 1,
            "maxOutputTokens": 50,
            "thinkingConfig": {"thinkingBudget": 1024},
            "responseMimeType": "application/json",
            "responseJsonSchema": WEATHER_SCHEMA,
        },
    }
    assert "model" not in wire
    assert [(a.param, a.action) for a in adaptations] == [
        ("messages[2].parts[2]", "adapted"),
        ("messages[3].parts[0]", "dropped"),
        ("messages[3].parts[3].arguments", "adapted"),
        ("tools[0].strict", "dropped"),
        ("parallel_tool_calls", "dropped"),
        ("user", "dropped"),
        ("reasoning_effort", "adapted"),
        ("service_tier", "dropped"),
    ]
    assert str(adaptations[6]) == "reasoning_effort adapted: sent as thinkingBudget 1024"


@pytest.mark.parametrize(
    ("choice", "config"),
    [
        ("auto", {"mode": "AUTO"}),
        ("none", {"mode": "NONE"}),
        ("required", {"mode": "ANY"}),
        (ir.NamedToolChoice("f"), {"mode": "ANY", "allowedFunctionNames": ["f"]}),
    ],
)
def test_cross_protocol_tool_choice(choice: ir.ToolChoice, config: dict[str, Any]) -> None:
    request = ir.Request("m", [ir.Message("user", [ir.TextPart("x")])], tools=[ir.Tool("f")], tool_choice=choice)
    wire, _ = codec.encode_request(request, model=MODEL)
    assert wire["toolConfig"] == {"functionCallingConfig": config}
    assert wire["tools"] == [{"functionDeclarations": [{"name": "f"}]}]


def test_cross_protocol_json_mode_and_reasoning_budget() -> None:
    request = ir.Request(
        "m",
        [ir.Message("user", [ir.TextPart("x")])],
        response_format=ir.ResponseFormat("json_object"),
        settings=ir.GenerationSettings(reasoning_budget=0, reasoning_effort="high", stop=["a"], top_logprobs=2),
    )
    wire, adaptations = codec.encode_request(request, model=MODEL)
    assert wire["generationConfig"] == {
        "stopSequences": ["a"],
        "logprobs": 2,
        "thinkingConfig": {"thinkingBudget": 0},
        "responseMimeType": "application/json",
    }
    assert [(a.param, a.action) for a in adaptations] == [("reasoning_effort", "dropped")]


def test_tool_result_name_is_looked_up_and_gemini_ids_go_back_only_when_gemini_issued_them() -> None:
    request = ir.Request(
        "m",
        [
            ir.Message("user", [ir.TextPart("go")]),
            ir.Message(
                "assistant",
                [
                    ir.ToolCallPart("fc-9", "gemini_side", "{}", provider_details={"gemini": {"id": "fc-9"}}),
                    ir.ToolCallPart("toolu_1", "other_side", '{"a":1}'),
                ],
            ),
            ir.Message(
                "user",
                [ir.ToolResultPart("fc-9", [ir.TextPart("g")]), ir.ToolResultPart("toolu_1", [ir.TextPart("o")])],
            ),
        ],
        source="anthropic_messages",
    )
    wire, adaptations = codec.encode_request(request, model=MODEL)
    assert wire["contents"][1:] == [
        model_turn(call("gemini_side", {}, id="fc-9"), call("other_side", {"a": 1})),
        user(answer("gemini_side", {"output": "g"}, id="fc-9"), answer("other_side", {"output": "o"})),
    ]
    assert adaptations == []


def test_tool_result_without_a_known_call_name_is_unsupported() -> None:
    request = ir.Request("m", [ir.Message("tool", [ir.ToolResultPart("call_x", [ir.TextPart("?")])])])
    with pytest.raises(UnsupportedFeature, match="call_x"):
        codec.encode_request(request, model=MODEL)


def test_cross_protocol_media_and_documents() -> None:
    request = ir.Request(
        "m",
        [
            ir.Message(
                "user",
                [
                    ir.ImagePart(url=f"data:image/png;base64,{PNG_B64}", detail="high"),
                    ir.ImagePart(data=PNG),
                    ir.DocumentPart(data=b"%PDF-1.4 test", filename="a.pdf"),
                    ir.DocumentPart(text="plain notes"),
                    ir.AudioPart(b"RIFF....WAVE", "wav"),
                    ir.ToolResultPart(
                        "c", [ir.TextPart("see"), ir.ImagePart(data=PNG, media_type="image/png")], name="shot"
                    ),
                ],
            )
        ],
    )
    wire, adaptations = codec.encode_request(request, model=MODEL)
    assert wire["contents"] == [
        user(
            {"inlineData": {"mimeType": "image/png", "data": PNG_B64}},
            {"inlineData": {"mimeType": "image/png", "data": PNG_B64}},
            {"inlineData": {"mimeType": "application/pdf", "data": PDF_B64}},
            {"text": "plain notes"},
            {"inlineData": {"mimeType": "audio/wav", "data": WAV_B64}},
            answer("shot", {"output": "see"}),
            {"inlineData": {"mimeType": "image/png", "data": PNG_B64}},
        )
    ]
    assert [(a.param, a.action) for a in adaptations] == [
        ("messages[0].parts[0].detail", "dropped"),
        ("messages[0].parts[1].media_type", "adapted"),
        ("messages[0].parts[2].filename", "dropped"),
        ("messages[0].parts[3]", "adapted"),
        ("messages[0].parts[5]", "adapted"),
    ]


def test_same_protocol_extra_is_reported_when_source_differs() -> None:
    request = codec.decode_request(REQUEST_ROUND_TRIPS["unmodelled keys"])
    request.source = "openai_chat"
    wire, adaptations = codec.encode_request(request, model=MODEL)
    assert wire == body()
    assert [a.param for a in adaptations] == ["generationConfig", "cachedContent", "labels", "serviceTier"]
    assert {a.action for a in adaptations} == {"dropped"}


# ---------------------------------------------------------------------------------------------------------------
# Responses

PROTOCOLS_MD_RESPONSE: dict[str, Any] = {
    "candidates": [
        {
            "content": {
                "role": "model",
                "parts": [
                    {"text": "Let me check."},
                    {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "c2ln"},
                ],
            },
            "finishReason": "STOP",
            "index": 0,
            "safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"}],
        }
    ],
    "usageMetadata": {
        "promptTokenCount": 10,
        "candidatesTokenCount": 5,
        "thoughtsTokenCount": 5,
        "totalTokenCount": 20,
        "cachedContentTokenCount": 2,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 10}],
    },
    "modelVersion": "gemini-2.5-flash",
    "responseId": "abc123",
}

BLOCKED_RESPONSE: dict[str, Any] = {
    "promptFeedback": {
        "blockReason": "SAFETY",
        "safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "HIGH", "blocked": True}],
    },
    "usageMetadata": {"promptTokenCount": 7, "totalTokenCount": 7},
    "modelVersion": "gemini-2.5-flash",
    "responseId": "blocked1",
}


def test_decode_response_of_the_protocols_md_example() -> None:
    response = codec.decode_response(PROTOCOLS_MD_RESPONSE)
    assert response.id == "abc123"
    assert response.model == "gemini-2.5-flash"
    assert response.choices == [
        ir.Choice(
            ir.Message(
                "assistant",
                [
                    ir.TextPart("Let me check."),
                    ir.ToolCallPart(
                        "call_get_weather_0",
                        "get_weather",
                        '{"city":"Paris"}',
                        provider_details={"gemini": {"thoughtSignature": "c2ln"}},
                    ),
                ],
            ),
            "tool_calls",
            0,
            provider_details={
                "gemini": {
                    "finishReason": "STOP",
                    "safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"}],
                }
            },
        )
    ]
    assert response.usage == ir.Usage(input_tokens=10, output_tokens=10, cache_read_tokens=2, reasoning_tokens=5)


@pytest.mark.parametrize("wire", [PROTOCOLS_MD_RESPONSE, BLOCKED_RESPONSE], ids=["tool call", "prompt blocked"])
def test_response_round_trip_is_exact_and_sdk_valid(wire: dict[str, Any]) -> None:
    encoded = codec.encode_response(codec.decode_response(copy.deepcopy(wire)))
    assert encoded == wire
    genai_types.GenerateContentResponse.model_validate(encoded)


def test_decode_response_snake_case() -> None:
    snake = {
        "candidates": [
            {"content": {"role": "model", "parts": [{"text": "hi"}]}, "finish_reason": "MAX_TOKENS", "index": 0}
        ],
        "usage_metadata": {"prompt_token_count": 3, "candidates_token_count": 1, "total_token_count": 4},
        "model_version": "m",
        "response_id": "r",
    }
    response = codec.decode_response(snake)
    assert (response.id, response.model, response.message.text) == ("r", "m", "hi")
    assert response.choices[0].finish_reason == "length"
    assert response.usage == ir.Usage(input_tokens=3, output_tokens=1)


WIRE_FINISH_REASONS = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "IMAGE_PROHIBITED_CONTENT": "content_filter",
    "IMAGE_RECITATION": "content_filter",
    "LANGUAGE": "content_filter",
    "MALFORMED_FUNCTION_CALL": "malformed_tool_call",
    "UNEXPECTED_TOOL_CALL": "malformed_tool_call",
    "TOO_MANY_TOOL_CALLS": "malformed_tool_call",
    "OTHER": "other",
    "FINISH_REASON_UNSPECIFIED": "other",
    "SOMETHING_NEW": "other",
}


@pytest.mark.parametrize(("wire", "reason"), WIRE_FINISH_REASONS.items())
def test_finish_reason_from_wire(wire: str, reason: str) -> None:
    data = {"candidates": [{"content": {"role": "model", "parts": [{"text": "x"}]}, "finishReason": wire}]}
    choice = codec.decode_response(data).choices[0]
    assert choice.finish_reason == reason
    assert choice.provider_details == {"gemini": {"finishReason": wire}}
    assert codec.encode_response(codec.decode_response(data))["candidates"][0]["finishReason"] == wire


def test_stop_with_a_function_call_is_tool_calls() -> None:
    data = {"candidates": [{"content": {"role": "model", "parts": [call("f", {})]}, "finishReason": "STOP"}]}
    assert codec.decode_response(data).choices[0].finish_reason == "tool_calls"


@pytest.mark.parametrize(
    ("reason", "wire"),
    [
        ("stop", "STOP"),
        ("stop_sequence", "STOP"),
        ("tool_calls", "STOP"),
        ("length", "MAX_TOKENS"),
        ("context_length", "MAX_TOKENS"),
        ("content_filter", "SAFETY"),
        ("malformed_tool_call", "MALFORMED_FUNCTION_CALL"),
        ("other", "OTHER"),
        ("pause", "OTHER"),
    ],
)
def test_finish_reason_to_wire(reason: ir.FinishReason, wire: str) -> None:
    response = ir.Response("r", "m", [ir.Choice(ir.Message("assistant", [ir.TextPart("x")]), reason)])
    encoded = codec.encode_response(response)
    assert encoded["candidates"][0]["finishReason"] == wire
    genai_types.GenerateContentResponse.model_validate(encoded)


def test_prompt_blocked_response() -> None:
    response = codec.decode_response(BLOCKED_RESPONSE)
    assert response.choices == [
        ir.Choice(
            ir.Message("assistant", []),
            "content_filter",
            content_filter={
                "blockReason": "SAFETY",
                "safetyRatings": BLOCKED_RESPONSE["promptFeedback"]["safetyRatings"],
            },
            provider_details={
                "gemini": {"blockReason": "SAFETY", "promptFeedback": BLOCKED_RESPONSE["promptFeedback"]}
            },
        )
    ]
    assert prompt_block(BLOCKED_RESPONSE) == BLOCKED_RESPONSE["promptFeedback"]
    assert prompt_block({"prompt_feedback": {"block_reason": "OTHER"}}) == {"blockReason": "OTHER"}
    assert prompt_block(PROTOCOLS_MD_RESPONSE) is None
    assert prompt_block({**PROTOCOLS_MD_RESPONSE, "promptFeedback": {"blockReason": "SAFETY"}}) is None


def test_usage_mapping_both_ways() -> None:
    usage = {
        "promptTokenCount": 100,
        "toolUsePromptTokenCount": 5,
        "candidatesTokenCount": 20,
        "thoughtsTokenCount": 30,
        "cachedContentTokenCount": 40,
        "totalTokenCount": 155,
    }
    decoded = codec.decode_response({"candidates": [], "usageMetadata": usage, "responseId": "u"}).usage
    assert decoded == ir.Usage(input_tokens=105, output_tokens=50, cache_read_tokens=40, reasoning_tokens=30)
    foreign = ir.Response("u", "m", [], usage=ir.Usage(105, 50, cache_read_tokens=40, reasoning_tokens=30))
    assert codec.encode_response(foreign)["usageMetadata"] == {
        "promptTokenCount": 105,
        "candidatesTokenCount": 20,
        "thoughtsTokenCount": 30,
        "cachedContentTokenCount": 40,
        "totalTokenCount": 155,
    }
    plain = ir.Response("u", "m", [], usage=ir.Usage(3, 4))
    assert codec.encode_response(plain)["usageMetadata"] == {
        "promptTokenCount": 3,
        "candidatesTokenCount": 4,
        "totalTokenCount": 7,
    }


def test_missing_response_id_is_synthesised_and_not_sent_back() -> None:
    data = {
        "candidates": [{"content": {"role": "model", "parts": [{"text": "x"}]}, "finishReason": "STOP", "index": 0}]
    }
    response = codec.decode_response(data)
    assert response.id.startswith("gemini-")
    assert len(response.id) == len("gemini-") + 32
    assert codec.encode_response(response) == data


def test_decode_response_error_body_raises_the_mapped_error() -> None:
    with pytest.raises(NotFound, match="not found"):
        codec.decode_response({"error": {"code": 404, "message": "model not found", "status": "NOT_FOUND"}})


def foreign_response() -> ir.Response:
    """A response as another vendor's decoder would produce it."""
    return ir.Response(
        id="r1",
        model="claude-sonnet-4-5",
        choices=[
            ir.Choice(
                ir.Message(
                    "assistant",
                    [
                        ir.ThinkingPart("Let me think", provider_details={"gemini": {"thoughtSignature": "c2ln"}}),
                        ir.TextPart("Hello world"),
                        ir.ToolCallPart("toolu_1", "f", '{"x":1}'),
                        ir.ToolCallPart("g-id", "g", "", provider_details={"gemini": {"id": "g-id"}}),
                        ir.RefusalPart("no"),
                    ],
                ),
                "tool_calls",
            )
        ],
        usage=ir.Usage(10, 7, cache_read_tokens=2, reasoning_tokens=3),
    )


FOREIGN_RESPONSE_WIRE: dict[str, Any] = {
    "candidates": [
        {
            "content": {
                "role": "model",
                "parts": [
                    {"text": "Let me think", "thought": True, "thoughtSignature": "c2ln"},
                    {"text": "Hello world"},
                    call("f", {"x": 1}),
                    call("g", {}, id="g-id"),
                    {"text": "no"},
                ],
            },
            "finishReason": "STOP",
            "index": 0,
        }
    ],
    "usageMetadata": {
        "promptTokenCount": 10,
        "candidatesTokenCount": 4,
        "thoughtsTokenCount": 3,
        "cachedContentTokenCount": 2,
        "totalTokenCount": 17,
    },
    "responseId": "r1",
    "modelVersion": "claude-sonnet-4-5",
}


def test_encode_response_from_another_vendor_validates_with_the_sdk() -> None:
    encoded = codec.encode_response(foreign_response())
    assert encoded == FOREIGN_RESPONSE_WIRE
    sdk = genai_types.GenerateContentResponse.model_validate(encoded)
    assert sdk.candidates is not None
    assert sdk.candidates[0].content is not None
    assert [c.name for c in sdk.function_calls or []] == ["f", "g"]
    assert sdk.usage_metadata is not None
    assert sdk.usage_metadata.thoughts_token_count == 3
    # the SDK's own parsing path for a JSON body
    via_sdk = genai_types.GenerateContentResponse._from_response(
        response=_GenerateContentResponse_from_mldev(copy.deepcopy(encoded)), kwargs={}
    )
    assert via_sdk.response_id == "r1"
    assert via_sdk.model_version == "claude-sonnet-4-5"
    assert via_sdk.candidates is not None
    assert via_sdk.candidates[0].finish_reason == genai_types.FinishReason.STOP


# ---------------------------------------------------------------------------------------------------------------
# Streams: decoding

STREAM_6_4 = [
    {
        "candidates": [{"content": {"role": "model", "parts": [{"text": "Hel"}]}, "index": 0}],
        "usageMetadata": {"promptTokenCount": 10, "totalTokenCount": 10},
        "modelVersion": "gemini-2.5-flash",
        "responseId": "r1",
    },
    {
        "candidates": [{"content": {"role": "model", "parts": [{"text": "lo"}]}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 2, "totalTokenCount": 12},
        "modelVersion": "gemini-2.5-flash",
        "responseId": "r1",
    },
]


def test_stream_decode_of_the_protocols_md_example() -> None:
    decoder = GeminiStreamDecoder()
    assert decoder.feed(STREAM_6_4[0]) == [
        ir.MessageStart("r1", "gemini-2.5-flash"),
        ir.PartStart(0, ir.TextPart("")),
        ir.TextDelta(0, "Hel"),
        ir.UsageUpdate(ir.Usage(input_tokens=10)),
    ]
    assert decoder.feed(STREAM_6_4[1]) == [
        ir.TextDelta(0, "lo"),
        ir.PartEnd(0),
        ir.UsageUpdate(ir.Usage(input_tokens=10, output_tokens=2)),
        ir.Finish("stop", provider_details={"gemini": {"finishReason": "STOP"}}),
    ]
    assert decoder.end() == [ir.StreamEnd()]


def test_stream_decode_chunk_with_two_function_calls() -> None:
    decoder = GeminiStreamDecoder()
    chunk = {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {"text": "Checking."},
                        call("get_weather", {"city": "Paris"}),
                        call("get_weather", {"city": "Rome"}),
                    ],
                },
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "modelVersion": "m",
        "responseId": "r2",
    }
    assert decoder.feed(chunk) == [
        ir.MessageStart("r2", "m"),
        ir.PartStart(0, ir.TextPart("")),
        ir.TextDelta(0, "Checking."),
        ir.PartEnd(0),
        ir.PartStart(1, ir.ToolCallPart("call_get_weather_0", "get_weather", "")),
        ir.ToolArgumentsDelta(1, '{"city":"Paris"}'),
        ir.PartEnd(1),
        ir.PartStart(2, ir.ToolCallPart("call_get_weather_1", "get_weather", "")),
        ir.ToolArgumentsDelta(2, '{"city":"Rome"}'),
        ir.PartEnd(2),
        ir.Finish("tool_calls", provider_details={"gemini": {"finishReason": "STOP"}}),
    ]
    assert decoder.end() == [ir.StreamEnd()]


def test_stream_decode_thoughts_signatures_and_opaque_parts() -> None:
    decoder = GeminiStreamDecoder()
    chunks: list[dict[str, Any]] = [
        {
            "candidates": [{"content": {"role": "model", "parts": [{"text": "plan ", "thought": True}]}}],
            "responseId": "r",
        },
        {
            "candidates": [{"content": {"role": "model", "parts": [{"text": "more", "thought": True}]}}],
            "responseId": "r",
        },
        {"candidates": [{"content": {"role": "model", "parts": [{"text": "Hi"}]}}], "responseId": "r"},
        {
            "candidates": [{"content": {"role": "model", "parts": [{"text": "", "thoughtSignature": "c2ln"}]}}],
            "responseId": "r",
        },
        {
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"executableCode": {"language": "PYTHON", "code": "1"}}]},
                    "finishReason": "STOP",
                    "safetyRatings": [],
                }
            ],
            "responseId": "r",
        },
    ]
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    code_part = {"executableCode": {"language": "PYTHON", "code": "1"}}
    assert events == [
        ir.MessageStart("r", ""),
        ir.PartStart(0, ir.ThinkingPart()),
        ir.ThinkingDelta(0, "plan "),
        ir.ThinkingDelta(0, "more"),
        ir.PartEnd(0),
        ir.PartStart(1, ir.TextPart("")),
        ir.TextDelta(1, "Hi"),
        ir.PartEnd(1),
        ir.PartStart(2, ir.TextPart("", provider_details={"gemini": {"thoughtSignature": "c2ln"}})),
        ir.PartEnd(2),
        ir.PartStart(3, ir.TextPart("", provider_details={"gemini": {"part": code_part}})),
        ir.TextDelta(3, "```python\n1\n```"),
        ir.PartEnd(3),
        ir.Finish("stop", provider_details={"gemini": {"finishReason": "STOP", "safetyRatings": []}}),
    ]


def test_stream_without_finish_reason_is_interrupted() -> None:
    decoder = GeminiStreamDecoder()
    decoder.feed(STREAM_6_4[0])
    with pytest.raises(StreamInterrupted):
        decoder.end()
    with pytest.raises(StreamInterrupted):
        GeminiStreamDecoder().end()


def test_stream_error_chunk_raises_the_mapped_error() -> None:
    decoder = GeminiStreamDecoder()
    decoder.feed(STREAM_6_4[0])
    error = {
        "error": {
            "code": 429,
            "message": "Resource has been exhausted (e.g. check quota).",
            "status": "RESOURCE_EXHAUSTED",
        }
    }
    with pytest.raises(RateLimited) as caught:
        decoder.feed(error)
    assert caught.value.status_code == 429
    assert caught.value.code == "RESOURCE_EXHAUSTED"
    assert caught.value.message == "Resource has been exhausted (e.g. check quota)."


def test_stream_prompt_blocked_chunk_finishes_with_content_filter() -> None:
    decoder = GeminiStreamDecoder()
    assert decoder.feed(BLOCKED_RESPONSE) == [
        ir.MessageStart("blocked1", "gemini-2.5-flash"),
        ir.UsageUpdate(ir.Usage(input_tokens=7)),
        ir.Finish(
            "content_filter",
            provider_details={
                "gemini": {"blockReason": "SAFETY", "promptFeedback": BLOCKED_RESPONSE["promptFeedback"]}
            },
        ),
    ]
    assert decoder.end() == [ir.StreamEnd()]


# ---------------------------------------------------------------------------------------------------------------
# Streams: encoding


def continues_text(last: dict[str, Any], part: dict[str, Any]) -> bool:
    """A text piece with no extras (no signature...) continues the text part of the same kind before it."""
    plain = "text" in part and set(part) <= {"text", "thought"}
    return plain and "text" in last and part.get("thought") == last.get("thought")


def merge_chunks(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """What a client accumulating a Gemini stream ends up with: parts concatenated (a text piece without extras
    continues the text part before it), the last finishReason, usage and envelope."""
    merged: dict[str, Any] = {}
    candidates: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        merged.update({k: v for k, v in chunk.items() if k != "candidates"})
        for candidate in chunk.get("candidates", []):
            target = candidates.setdefault(candidate.get("index", 0), {"index": 0})
            for key, value in candidate.items():
                if key != "content":
                    target[key] = value
                    continue
                parts = target.setdefault("content", {"role": "model", "parts": []})["parts"]
                for part in value["parts"]:
                    if parts and continues_text(parts[-1], part):
                        parts[-1]["text"] += part["text"]
                    else:
                        parts.append(dict(part))
    if candidates:
        merged["candidates"] = [candidates[i] for i in sorted(candidates)]
    return merged


def foreign_stream_events() -> list[ir.StreamEvent]:
    """``foreign_response()`` as stream events, in Anthropic order (finish, then usage, then the terminator)."""
    return [
        ir.MessageStart("r1", "claude-sonnet-4-5"),
        ir.PartStart(0, ir.ThinkingPart(provider_details={"gemini": {"thoughtSignature": "c2ln"}})),
        ir.ThinkingDelta(0, "Let me "),
        ir.ThinkingDelta(0, "", signature="anthropic-signature"),
        ir.ThinkingDelta(0, "think"),
        ir.PartEnd(0),
        ir.PartStart(1, ir.TextPart("")),
        ir.TextDelta(1, "Hello"),
        ir.TextDelta(1, " world"),
        ir.PartEnd(1),
        ir.PartStart(2, ir.ToolCallPart("toolu_1", "f", "")),
        ir.ToolArgumentsDelta(2, '{"x"'),
        ir.ToolArgumentsDelta(2, ":1}"),
        ir.PartEnd(2),
        ir.PartStart(3, ir.ToolCallPart("g-id", "g", "", provider_details={"gemini": {"id": "g-id"}})),
        ir.PartEnd(3),
        ir.PartStart(4, ir.TextPart("")),
        ir.TextDelta(4, "no"),
        ir.PartEnd(4),
        ir.Finish("tool_calls"),
        ir.UsageUpdate(ir.Usage(10, 7, cache_read_tokens=2, reasoning_tokens=3)),
        ir.StreamEnd(),
    ]


def test_stream_encode_merges_to_the_non_stream_encoding() -> None:
    encoder = GeminiStreamEncoder()
    chunks = [chunk for event in foreign_stream_events() for chunk in encoder.encode(event)]
    assert merge_chunks(chunks) == FOREIGN_RESPONSE_WIRE
    for chunk in chunks:
        assert (chunk["responseId"], chunk["modelVersion"]) == ("r1", "claude-sonnet-4-5")
        genai_types.GenerateContentResponse.model_validate(chunk)


def test_stream_encode_buffers_tool_calls_and_ends_with_finish_and_usage() -> None:
    encoder = GeminiStreamEncoder()
    outputs = [encoder.encode(event) for event in foreign_stream_events()]
    envelope = {"responseId": "r1", "modelVersion": "claude-sonnet-4-5"}

    def piece(*parts: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"candidates": [{"content": {"role": "model", "parts": list(parts)}, "index": 0}], **envelope}]

    assert outputs == [
        [],
        [],
        piece({"text": "Let me ", "thought": True, "thoughtSignature": "c2ln"}),
        [],
        piece({"text": "think", "thought": True}),
        [],
        [],
        piece({"text": "Hello"}),
        piece({"text": " world"}),
        [],
        [],
        [],
        [],
        piece(call("f", {"x": 1})),
        [],
        piece(call("g", {}, id="g-id")),
        [],
        piece({"text": "no"}),
        [],
        [],
        [],
        [
            {
                "candidates": [{"finishReason": "STOP", "index": 0}],
                "usageMetadata": FOREIGN_RESPONSE_WIRE["usageMetadata"],
                **envelope,
            }
        ],
    ]


@pytest.mark.parametrize(
    "chunks",
    [
        STREAM_6_4,
        [
            {
                "candidates": [
                    {
                        "content": {
                            "role": "model",
                            "parts": [{"text": "plan", "thought": True, "thoughtSignature": "c2ln"}],
                        }
                    }
                ],
                "responseId": "s",
                "modelVersion": "m",
            },
            {
                "candidates": [
                    {"content": {"role": "model", "parts": [{"text": "A"}, call("f", {"q": "x"})]}, "index": 0}
                ],
                "responseId": "s",
                "modelVersion": "m",
            },
            {
                "candidates": [
                    {
                        "content": {
                            "role": "model",
                            "parts": [
                                {"text": "", "thoughtSignature": "c2ln"},
                                {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "1"}},
                            ],
                        },
                        "finishReason": "STOP",
                        "index": 0,
                        "safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "LOW"}],
                    }
                ],
                "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 2, "totalTokenCount": 6},
                "responseId": "s",
                "modelVersion": "m",
            },
        ],
        [BLOCKED_RESPONSE],
    ],
    ids=["protocols.md 6.4", "thoughts, calls, signatures, code", "prompt blocked"],
)
def test_stream_decode_then_encode_preserves_the_merged_stream(chunks: list[dict[str, Any]]) -> None:
    decoder, encoder = GeminiStreamDecoder(), GeminiStreamEncoder()
    events = [event for chunk in chunks for event in decoder.feed(copy.deepcopy(chunk))] + decoder.end()
    encoded = [out for event in events for out in encoder.encode(event)]
    assert merge_chunks(encoded) == merge_chunks(copy.deepcopy(chunks))
    for chunk in encoded:
        genai_types.GenerateContentResponse.model_validate(chunk)


# ---------------------------------------------------------------------------------------------------------------
# Errors


def gemini_error(code: int, status: str, message: str = "boom", **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status, **extra}}


@pytest.mark.parametrize(
    ("status", "payload", "kind"),
    [
        (429, gemini_error(429, "RESOURCE_EXHAUSTED"), RateLimited),
        (400, gemini_error(400, "INVALID_ARGUMENT"), BadRequest),
        (400, gemini_error(400, "FAILED_PRECONDITION"), BadRequest),
        (
            400,
            gemini_error(
                400,
                "INVALID_ARGUMENT",
                "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
            ),
            ContextLengthExceeded,
        ),
        (
            400,
            gemini_error(
                400,
                "INVALID_ARGUMENT",
                "API key not valid. Please pass a valid API key.",
                details=[{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}],
            ),
            AuthenticationError,
        ),
        (401, gemini_error(401, "UNAUTHENTICATED"), AuthenticationError),
        (403, gemini_error(403, "PERMISSION_DENIED"), PermissionDenied),
        (404, gemini_error(404, "NOT_FOUND"), NotFound),
        (500, gemini_error(500, "INTERNAL"), ServerError),
        (503, gemini_error(503, "UNAVAILABLE"), Overloaded),
        (504, gemini_error(504, "DEADLINE_EXCEEDED"), Timeout),
        (None, gemini_error(503, "UNAVAILABLE"), Overloaded),
        (502, "Bad Gateway", ServerError),
        (409, b'{"error": {"code": 409, "message": "conflict", "status": "ABORTED"}}', BadRequest),
        (None, [gemini_error(404, "NOT_FOUND")], NotFound),
    ],
)
def test_error_from_body(status: int | None, payload: object, kind: type[ProviderError]) -> None:
    error = error_from_body(status, payload, {"x-request-id": "q"})
    assert type(error) is kind
    assert error.body == payload
    assert error.headers == {"x-request-id": "q"}


def test_error_from_body_fields_and_retry_after() -> None:
    error = error_from_body(429, gemini_error(429, "RESOURCE_EXHAUSTED", "slow down"), {"Retry-After": "7"})
    assert isinstance(error, RateLimited)
    assert (error.status_code, error.code, error.message, error.retry_after) == (
        429,
        "RESOURCE_EXHAUSTED",
        "slow down",
        7.0,
    )
    retry_info = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"}]
    error = error_from_body(429, gemini_error(429, "RESOURCE_EXHAUSTED", details=retry_info))
    assert isinstance(error, RateLimited)
    assert error.retry_after == 37.0
    plain = error_from_body(502, "Bad Gateway")
    assert (plain.status_code, plain.message, plain.code) == (502, "Bad Gateway", None)


# ---------------------------------------------------------------------------------------------------------------
# Embeddings


def test_encode_embed_request() -> None:
    assert encode_embed_request(
        ["a", "b"], model="text-embedding-004", dimensions=3, task_type="RETRIEVAL_DOCUMENT"
    ) == {
        "requests": [
            {
                "model": "models/text-embedding-004",
                "content": {"role": "user", "parts": [{"text": "a"}]},
                "taskType": "RETRIEVAL_DOCUMENT",
                "outputDimensionality": 3,
            },
            {
                "model": "models/text-embedding-004",
                "content": {"role": "user", "parts": [{"text": "b"}]},
                "taskType": "RETRIEVAL_DOCUMENT",
                "outputDimensionality": 3,
            },
        ]
    }
    assert encode_embed_request(["a"], model="models/e", dimensions=None, task_type=None) == {
        "requests": [{"model": "models/e", "content": {"role": "user", "parts": [{"text": "a"}]}}]
    }


def test_decode_embed_response() -> None:
    assert decode_embed_response({"embeddings": [{"values": [0.1, 0.2, 0.3]}, {"values": [1, 2, 3]}]}) == [
        [0.1, 0.2, 0.3],
        [1, 2, 3],
    ]
    assert decode_embed_response({"embedding": {"values": [0.5]}}) == [[0.5]]
    with pytest.raises(ProtocolError, match="embeddings"):
        decode_embed_response({"data": []})


def test_decode_embed_request() -> None:
    batch = encode_embed_request(["a", "b"], model="e", dimensions=3, task_type="CLUSTERING")
    assert decode_embed_request(batch) == (["a", "b"], 3, "CLUSTERING")
    single = {"content": {"parts": [{"text": "x"}, {"text": "y"}]}, "task_type": "RETRIEVAL_QUERY"}
    assert decode_embed_request(single) == (["xy"], None, "RETRIEVAL_QUERY")
    assert decode_embed_request({"content": {"parts": [{"text": "x"}]}, "output_dimensionality": 8}) == (["x"], 8, None)
    mixed = {
        "requests": [{"content": {"parts": [{"text": "a"}]}, "taskType": "A"}, {"content": {"parts": [{"text": "b"}]}}]
    }
    with pytest.raises(UnsupportedFeature, match="taskType"):
        decode_embed_request(mixed)
    with pytest.raises(UnsupportedFeature, match=r"content\.parts\[0\]"):
        decode_embed_request({"content": {"parts": [{"inlineData": {"mimeType": "image/png", "data": PNG_B64}}]}})


# ---------------------------------------------------------------------------------------------------------------
# Purity


def test_codec_module_imports_no_vendor_sdk() -> None:
    code = "import sys, routeapi.protocols.gemini; print(sorted(m for m in sys.modules if m.startswith('google')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
