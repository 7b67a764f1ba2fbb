"""Bedrock Converse codec: request/response round trips, cross-protocol encoding, streams and error codes.

Encoded bodies are checked against the installed botocore service model with botocore's own ParamValidator, the
check boto3 runs before sending: a body it accepts is one ``client.converse(**body)`` would send."""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

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
from routeapi.protocols.bedrock_converse import (
    BedrockConverseCodec,
    BedrockStreamDecoder,
    BedrockStreamEncoder,
    error_from_code,
)

codec = BedrockConverseCodec()
CLAUDE = "anthropic.claude-3-5-sonnet-20240620-v1:0"
LLAMA = "meta.llama3-70b-instruct-v1:0"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 "
PDF = b"%PDF-1.4 test"


# ---------------------------------------------------------------------------------------------------------------
# botocore's view of the service


# botocore ships partial annotations: its objects are handled as Any here.


@functools.cache
def _operation(name: str) -> Any:
    session: Any = botocore.session.Session()
    return session.get_service_model("bedrock-runtime").operation_model(name)


def assert_valid(params: dict[str, Any], shape: Any = None) -> None:
    """boto3 would accept ``params`` for ``shape`` (the Converse input by default)."""
    validator: Any = ParamValidator()
    report = validator.validate(params, shape or _operation("Converse").input_shape)
    assert not report.has_errors(), report.generate_report()


def stream_event_shape(event_type: str) -> Any:
    stream: Any = _operation("ConverseStream").output_shape.members["stream"]
    return stream.members[event_type]


def body(**fields: Any) -> dict[str, Any]:
    return {"modelId": CLAUDE, "messages": [{"role": "user", "content": [{"text": "Hi"}]}], **fields}


def user(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": list(blocks)}


def assistant(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"role": "assistant", "content": list(blocks)}


# ---------------------------------------------------------------------------------------------------------------
# Requests: same-protocol round trip

TOOL_SPEC: dict[str, Any] = {
    "toolSpec": {
        "name": "get_weather",
        "description": "Weather by city",
        "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}},
    }
}

REQUEST_ROUND_TRIPS: dict[str, dict[str, Any]] = {
    "minimal": body(),
    "captured example (protocols.md 7.2)": {
        "modelId": CLAUDE,
        "system": [{"text": "be brief"}],
        "messages": [
            user({"text": "hi"}, {"image": {"format": "png", "source": {"bytes": PNG}}}),
            assistant({"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {"city": "Paris"}}}),
            user({"toolResult": {"toolUseId": "t1", "content": [{"json": {"temp": 20}}], "status": "success"}}),
        ],
        "inferenceConfig": {"maxTokens": 100, "temperature": 0.5, "topP": 0.9, "stopSequences": ["X"]},
        "toolConfig": {"tools": [TOOL_SPEC], "toolChoice": {"auto": {}}},
        "additionalModelRequestFields": {"top_k": 5},
    },
    "system with cache point and guard content": body(
        system=[
            {"text": "Be brief."},
            {"cachePoint": {"type": "default"}},
            {"guardContent": {"text": {"text": "check me"}}},
        ]
    ),
    "empty system and empty inferenceConfig": body(system=[], inferenceConfig={}),
    "explicit zeros": body(inferenceConfig={"temperature": 0, "topP": 0.0, "stopSequences": []}),
    "consecutive user turns stay apart": body(messages=[user({"text": "a"}), user({"text": "b"})]),
    "empty content": body(messages=[user()]),
    "results split around user text": body(
        messages=[
            assistant(
                {"toolUse": {"toolUseId": "t1", "name": "a", "input": {}}},
                {"toolUse": {"toolUseId": "t2", "name": "b", "input": {"x": [1, 2.5, None, True]}}},
            ),
            user(
                {"text": "before"},
                {"toolResult": {"toolUseId": "t1", "content": [{"text": "ok"}]}},
                {"toolResult": {"toolUseId": "t2", "content": [], "status": "error"}},
                {"text": "after"},
                {"cachePoint": {"type": "default", "ttl": "1h"}},
            ),
        ]
    ),
    "tool result content kinds": body(
        messages=[
            assistant({"toolUse": {"toolUseId": "t1", "name": "look", "input": {}}}),
            user(
                {
                    "toolResult": {
                        "toolUseId": "t1",
                        "content": [
                            {"text": "seen"},
                            {"json": [1, "two"]},
                            {"image": {"format": "jpeg", "source": {"bytes": b"\xff\xd8\xff\xe0"}}},
                            {"document": {"format": "csv", "name": "rows", "source": {"bytes": b"a,b\n1,2"}}},
                        ],
                        "type": "custom",
                    }
                }
            ),
        ]
    ),
    "tool result with video keeps its content verbatim": body(
        messages=[
            assistant({"toolUse": {"toolUseId": "t1", "name": "film", "input": {}}}),
            user(
                {
                    "toolResult": {
                        "toolUseId": "t1",
                        "content": [{"text": "clip"}, {"video": {"format": "mp4", "source": {"bytes": b"\x00"}}}],
                    }
                }
            ),
        ]
    ),
    "multimodal": body(
        messages=[
            user(
                {"image": {"format": "gif", "source": {"bytes": b"GIF89a..."}}},
                {"image": {"format": "webp", "source": {"s3Location": {"uri": "s3://bucket/a.webp"}}}},
                {
                    "image": {
                        "format": "png",
                        "source": {"s3Location": {"uri": "s3://bucket/b.png", "bucketOwner": "123456789012"}},
                    }
                },
                {
                    "document": {
                        "format": "pdf",
                        "name": "Q3 report",
                        "source": {"bytes": PDF},
                        "context": "quarterly",
                        "citations": {"enabled": True},
                    }
                },
                {"document": {"format": "md", "name": "notes", "source": {"text": "# Title"}}},
                {"document": {"name": "untyped", "source": {"text": "plain"}}},
                {"document": {"format": "txt", "name": "chunks", "source": {"content": [{"text": "c1"}]}}},
                {"document": {"format": "docx", "name": "remote", "source": {"s3Location": {"uri": "s3://b/d.docx"}}}},
                {"audio": {"format": "wav", "source": {"bytes": b"RIFF"}}},
                {"audio": {"format": "mp3", "source": {"s3Location": {"uri": "s3://bucket/a.mp3"}}}},
                {"video": {"format": "mp4", "source": {"s3Location": {"uri": "s3://bucket/v.mp4"}}}},
                {"text": ""},
            )
        ]
    ),
    "assistant reasoning": body(
        messages=[
            user({"text": "Think"}),
            assistant(
                {"reasoningContent": {"reasoningText": {"text": "hmm", "signature": "sig=="}}},
                {"reasoningContent": {"redactedContent": b"\x00\x01opaque"}},
                {"reasoningContent": {"reasoningText": {"text": "unsigned (non-Claude model)"}}},
                {"text": "Answer"},
                {"toolUse": {"toolUseId": "s1", "name": "web_search", "input": {"q": "x"}, "type": "server_tool_use"}},
                {"citationsContent": {"content": [{"text": "cited"}], "citations": []}},
            ),
        ]
    ),
    "tool config variants": body(
        toolConfig={
            "tools": [
                {"systemTool": {"name": "nova_grounding"}},
                {**TOOL_SPEC, "toolSpec": {**TOOL_SPEC["toolSpec"], "strict": True}},
                {"toolSpec": {"name": "bare", "inputSchema": {"json": {"type": "object"}}}},
                {"cachePoint": {"type": "default"}},
            ],
            "toolChoice": {"tool": {"name": "bare"}},
        }
    ),
    "tool choice any": body(toolConfig={"tools": [TOOL_SPEC], "toolChoice": {"any": {}}}),
    "tools without choice": body(toolConfig={"tools": [TOOL_SPEC]}),
    "model fields: top_k, thinking and more": body(
        additionalModelRequestFields={
            "top_k": 40,
            "thinking": {"type": "enabled", "budget_tokens": 2048},
            "anthropic_beta": ["x"],
        }
    ),
    "model fields the IR does not model": body(
        additionalModelRequestFields={"thinking": {"type": "disabled"}, "top_k": "forty"}
    ),
    "empty model fields": body(additionalModelRequestFields={}),
    "json schema, compact": body(
        outputConfig={
            "textFormat": {
                "type": "json_schema",
                "structure": {
                    "jsonSchema": {"schema": '{"type":"object"}', "name": "answer", "description": "The answer"}
                },
            }
        }
    ),
    "json schema, spelled with spaces": body(
        outputConfig={
            "textFormat": {"type": "json_schema", "structure": {"jsonSchema": {"schema": '{ "type": "array" }'}}}
        }
    ),
    "json schema that is not an object stays verbatim": body(
        outputConfig={"textFormat": {"type": "json_schema", "structure": {"jsonSchema": {"schema": "true"}}}}
    ),
    "unmodelled parameters": body(
        guardrailConfig={"guardrailIdentifier": "gr1", "guardrailVersion": "1", "trace": "enabled"},
        promptVariables={"topic": {"text": "cats"}},
        additionalModelResponseFieldPaths=["/stop_sequence"],
        requestMetadata={"team": "search", "env": "prod"},
        performanceConfig={"latency": "optimized"},
        serviceTier={"type": "flex"},
    ),
}


@pytest.mark.parametrize("wire", list(REQUEST_ROUND_TRIPS.values()), ids=list(REQUEST_ROUND_TRIPS))
def test_request_round_trip_is_exact(wire: dict[str, Any]) -> None:
    original = copy.deepcopy(wire)
    request = codec.decode_request(wire)
    assert wire == original  # decoding does not mutate its input
    encoded, adaptations = codec.encode_request(request, model=wire["modelId"])
    assert encoded == original
    assert adaptations == []
    assert_valid(encoded)


def test_decoded_request_ir() -> None:
    request = codec.decode_request(REQUEST_ROUND_TRIPS["captured example (protocols.md 7.2)"])
    assert request.model == CLAUDE
    assert request.source == "bedrock_converse"
    assert request.messages == [
        ir.Message("system", [ir.TextPart("be brief")]),
        ir.Message("user", [ir.TextPart("hi"), ir.ImagePart(data=PNG, media_type="image/png")]),
        ir.Message("assistant", [ir.ToolCallPart("t1", "get_weather", '{"city": "Paris"}')]),
        ir.Message(
            "tool",
            [
                ir.ToolResultPart(
                    "t1",
                    [ir.TextPart('{"temp": 20}', provider_details={"bedrock_converse": {"json": True}})],
                    provider_details={"bedrock_converse": {"status": "success"}},
                )
            ],
        ),
    ]
    assert request.settings == ir.GenerationSettings(max_tokens=100, temperature=0.5, top_p=0.9, top_k=5, stop=["X"])
    assert request.tool_choice == "auto"
    assert request.tools == [
        ir.Tool("get_weather", "Weather by city", {"type": "object", "properties": {"city": {"type": "string"}}})
    ]
    assert request.extra == {}


def test_decoded_request_settings_from_model_fields_and_output_config() -> None:
    request = codec.decode_request(REQUEST_ROUND_TRIPS["model fields: top_k, thinking and more"])
    assert request.settings.top_k == 40
    assert request.settings.reasoning_budget == 2048
    assert request.extra == {"additionalModelRequestFields": {"anthropic_beta": ["x"]}}
    request = codec.decode_request(REQUEST_ROUND_TRIPS["json schema, compact"])
    assert request.response_format == ir.ResponseFormat(
        "json_schema", name="answer", schema={"type": "object"}, description="The answer"
    )
    request = codec.decode_request(REQUEST_ROUND_TRIPS["unmodelled parameters"])
    assert request.settings.metadata == {"team": "search", "env": "prod"}
    assert sorted(request.extra) == [
        "additionalModelResponseFieldPaths",
        "guardrailConfig",
        "performanceConfig",
        "promptVariables",
        "serviceTier",
    ]


def test_user_message_splits_into_tool_turns() -> None:
    request = codec.decode_request(REQUEST_ROUND_TRIPS["results split around user text"])
    assert [m.role for m in request.messages] == ["assistant", "user", "tool", "user"]
    assert request.messages[2].parts == [
        ir.ToolResultPart("t1", [ir.TextPart("ok")]),
        ir.ToolResultPart("t2", [], is_error=True),
    ]
    assert request.messages[3].provider_details == {
        "bedrock_converse": {
            "same_turn": True,
            "opaque_blocks": [[1, {"cachePoint": {"type": "default", "ttl": "1h"}}]],
        }
    }


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        ({"messages": []}, "modelId: expected a string, got null"),
        (body(messages=[{"role": "system", "content": []}]), "messages[0].role"),
        (body(messages=[{"role": "user", "content": [], "name": "x"}]), "messages[0]: unexpected keys ['name']"),
        (body(messages=[user({"text": "a", "image": {}})]), "messages[0].content[0]: expected exactly one member"),
        (body(messages=[user({"text": 5})]), "messages[0].content[0].text: expected a string, got int"),
        (
            body(messages=[user({"image": {"format": "bmp", "source": {"bytes": b"x"}}})]),
            "messages[0].content[0].image.format: unknown value 'bmp'",
        ),
        (
            body(messages=[user({"image": {"format": "png", "source": {"bytes": "aGk="}}})]),
            "messages[0].content[0].image.source.bytes: expected bytes, got str",
        ),
        (
            body(messages=[assistant({"toolResult": {"toolUseId": "t", "content": []}})]),
            "tool results belong in user messages",
        ),
        (body(inferenceConfig={"maxTokens": "10"}), "inferenceConfig.maxTokens: expected an integer, got str"),
        (body(toolConfig={"tools": [TOOL_SPEC], "toolChoice": {"none": {}}}), "unknown member 'none'"),
    ],
)
def test_malformed_request_names_the_field(wire: dict[str, Any], message: str) -> None:
    with pytest.raises(ProtocolError, match=message.replace("[", r"\[").replace("(", r"\(")):
        codec.decode_request(wire)


# ---------------------------------------------------------------------------------------------------------------
# Requests: encoding an IR built by another protocol


def openai_request(*messages: ir.Message, **fields: Any) -> ir.Request:
    return ir.Request(model="gpt-4o", messages=list(messages), source="openai_chat", **fields)


def encode(request: ir.Request, model: str = CLAUDE) -> tuple[dict[str, Any], list[ir.Adaptation]]:
    encoded, adaptations = codec.encode_request(request, model=model)
    assert_valid(encoded)
    return encoded, adaptations


def test_system_and_developer_messages_are_hoisted() -> None:
    request = openai_request(
        ir.Message("system", [ir.TextPart("Be brief."), ir.TextPart("")]),
        ir.Message("user", [ir.TextPart("Hi")]),
        ir.Message("developer", [ir.TextPart("Answer in French.")]),
        ir.Message("assistant", [ir.TextPart("Salut")]),
    )
    encoded, adaptations = encode(request)
    assert encoded == {
        "modelId": CLAUDE,
        "system": [{"text": "Be brief."}, {"text": "Answer in French."}],
        "messages": [user({"text": "Hi"}), assistant({"text": "Salut"})],
    }
    assert adaptations == [ir.Adaptation("system", "adapted", "messages[2] moved into the top-level system prompt")]


def test_tool_results_merge_into_one_user_turn_before_user_text() -> None:
    request = openai_request(
        ir.Message("user", [ir.TextPart("Weather in Paris and Rome?")]),
        ir.Message(
            "assistant",
            [
                ir.TextPart(""),
                ir.ToolCallPart("call_1", "get_weather", '{"city": "Paris"}'),
                ir.ToolCallPart("call_2", "get_weather", '{"city": "Rome"}'),
            ],
        ),
        ir.Message("tool", [ir.ToolResultPart("call_1", [ir.TextPart('{"temp": 20}')])]),
        ir.Message("user", [ir.TextPart("Also, hurry.")]),
        ir.Message(
            "tool",
            [ir.ToolResultPart("call_2", [ir.TextPart("failed"), ir.ImagePart(data=PNG)], is_error=True)],
        ),
    )
    encoded, adaptations = encode(request)
    assert encoded["messages"] == [
        user({"text": "Weather in Paris and Rome?"}),
        assistant(
            {"toolUse": {"toolUseId": "call_1", "name": "get_weather", "input": {"city": "Paris"}}},
            {"toolUse": {"toolUseId": "call_2", "name": "get_weather", "input": {"city": "Rome"}}},
        ),
        user(
            {"toolResult": {"toolUseId": "call_1", "content": [{"text": '{"temp": 20}'}]}},
            {
                "toolResult": {
                    "toolUseId": "call_2",
                    "content": [{"text": "failed"}, {"image": {"format": "png", "source": {"bytes": PNG}}}],
                    "status": "error",
                }
            },
            {"text": "Also, hurry."},
        ),
    ]
    assert adaptations == []


@pytest.mark.parametrize(
    ("part", "block"),
    [
        (ir.ImagePart(data=PNG, media_type="image/png"), {"format": "png", "source": {"bytes": PNG}}),
        (
            ir.ImagePart(data=b"\xff\xd8\xff", media_type="image/jpg"),
            {"format": "jpeg", "source": {"bytes": b"\xff\xd8\xff"}},
        ),
        (ir.ImagePart(data=WEBP), {"format": "webp", "source": {"bytes": WEBP}}),
        (ir.ImagePart(url="data:image/gif;base64,R0lGODlh"), {"format": "gif", "source": {"bytes": b"GIF89a"}}),
        (
            ir.ImagePart(url="s3://bucket/cat.png", media_type="image/png"),
            {"format": "png", "source": {"s3Location": {"uri": "s3://bucket/cat.png"}}},
        ),
    ],
)
def test_image_parts(part: ir.ImagePart, block: dict[str, Any]) -> None:
    encoded, adaptations = encode(openai_request(ir.Message("user", [part])))
    assert encoded["messages"] == [user({"image": block})]
    assert adaptations == []


def test_image_url_is_rejected() -> None:
    request = openai_request(ir.Message("user", [ir.ImagePart(url="https://example.com/cat.png")]))
    with pytest.raises(
        UnsupportedFeature, match=r"^Bedrock needs image bytes; remote image URLs must be fetched first$"
    ):
        codec.encode_request(request, model=CLAUDE)


def test_image_format_must_be_known() -> None:
    request = openai_request(ir.Message("user", [ir.ImagePart(data=b"BM..", media_type="image/bmp")]))
    with pytest.raises(UnsupportedFeature, match="png, jpeg, gif and webp images, not 'image/bmp'"):
        codec.encode_request(request, model=CLAUDE)


def test_image_detail_is_dropped() -> None:
    _, adaptations = encode(openai_request(ir.Message("user", [ir.ImagePart(data=PNG, detail="high")])))
    assert adaptations == [
        ir.Adaptation("messages[0].parts[0].detail", "dropped", "Bedrock has no image detail setting")
    ]


def test_documents() -> None:
    request = openai_request(
        ir.Message(
            "user",
            [
                ir.DocumentPart(data=PDF, media_type="application/pdf", filename="Q3 report_final (v2).pdf"),
                ir.DocumentPart(text="plain words", title="Notes"),
                ir.DocumentPart(data=b"a,b", media_type="text/csv"),
                ir.DocumentPart(data=PDF),
            ],
        )
    )
    encoded, adaptations = encode(request)
    assert encoded["messages"] == [
        user(
            {"document": {"format": "pdf", "name": "Q3 report-final (v2)", "source": {"bytes": PDF}}},
            {"document": {"format": "txt", "name": "Notes", "source": {"text": "plain words"}}},
            {"document": {"format": "csv", "name": "document", "source": {"bytes": b"a,b"}}},
            {"document": {"format": "pdf", "name": "document", "source": {"bytes": PDF}}},
        )
    ]
    assert adaptations == [ir.Adaptation("messages[0].parts[1].title", "adapted", "sent as the document name")]


def test_document_url_and_unknown_type_are_rejected() -> None:
    with pytest.raises(UnsupportedFeature, match="remote document URLs must be fetched first"):
        codec.encode_request(openai_request(ir.Message("user", [ir.DocumentPart(url="https://x/a.pdf")])), model=CLAUDE)
    with pytest.raises(UnsupportedFeature, match="does not accept application/zip documents"):
        codec.encode_request(
            openai_request(ir.Message("user", [ir.DocumentPart(data=b"PK", media_type="application/zip")])),
            model=CLAUDE,
        )


def test_audio_part() -> None:
    encoded, _ = encode(openai_request(ir.Message("user", [ir.AudioPart(b"ID3", "mp3")])))
    assert encoded["messages"] == [user({"audio": {"format": "mp3", "source": {"bytes": b"ID3"}}})]


def test_invalid_tool_arguments_are_wrapped() -> None:
    request = openai_request(
        ir.Message("user", [ir.TextPart("go")]),
        ir.Message("assistant", [ir.ToolCallPart("c1", "run", '{"broken'), ir.ToolCallPart("c2", "run", "")]),
    )
    encoded, adaptations = encode(request)
    assert encoded["messages"][1] == assistant(
        {"toolUse": {"toolUseId": "c1", "name": "run", "input": {"_raw_arguments": '{"broken'}}},
        {"toolUse": {"toolUseId": "c2", "name": "run", "input": {}}},
    )
    assert adaptations == [
        ir.Adaptation(
            "messages[1].parts[0].arguments", "adapted", 'not a JSON object; sent as {"_raw_arguments": <text>}'
        )
    ]


def test_thinking_parts() -> None:
    request = openai_request(
        ir.Message("user", [ir.TextPart("Think")]),
        ir.Message(
            "assistant",
            [
                ir.ThinkingPart("from anthropic", signature="sigA"),
                ir.ThinkingPart(redacted="AAE="),
                ir.ThinkingPart("gemini thought", provider_details={"gemini": {"thoughtSignature": "g"}}),
                ir.ThinkingPart("signed elsewhere", signature="s", provider_details={"gemini": {}}),
                ir.TextPart("Done"),
            ],
        ),
    )
    encoded, adaptations = encode(request)
    assert encoded["messages"][1] == assistant(
        {"reasoningContent": {"reasoningText": {"text": "from anthropic", "signature": "sigA"}}},
        {"reasoningContent": {"redactedContent": b"\x00\x01"}},
        {"text": "Done"},
    )
    reason = "reasoning from another provider cannot be replayed to Bedrock"
    assert adaptations == [
        ir.Adaptation("messages[1].parts[2]", "dropped", reason),
        ir.Adaptation("messages[1].parts[3]", "dropped", reason),
    ]


def test_settings_explicit_zero_kept() -> None:
    settings = ir.GenerationSettings(max_tokens=50, temperature=0, top_p=0.0, stop=["END"])
    encoded, adaptations = encode(openai_request(ir.Message("user", [ir.TextPart("Hi")]), settings=settings))
    assert encoded["inferenceConfig"] == {"maxTokens": 50, "temperature": 0, "topP": 0.0, "stopSequences": ["END"]}
    assert encoded["inferenceConfig"]["temperature"] is not None
    assert adaptations == []


def test_temperature_above_one_is_clamped() -> None:
    settings = ir.GenerationSettings(temperature=1.5)
    encoded, adaptations = encode(openai_request(ir.Message("user", [ir.TextPart("Hi")]), settings=settings))
    assert encoded["inferenceConfig"] == {"temperature": 1.0}
    assert adaptations == [ir.Adaptation("temperature", "adapted", "Bedrock accepts 0 to 1; 1.5 sent as 1")]


def test_top_k_and_thinking_budget_for_anthropic_models() -> None:
    settings = ir.GenerationSettings(top_k=5, reasoning_budget=2048)
    request = openai_request(ir.Message("user", [ir.TextPart("Hi")]), settings=settings)
    encoded, adaptations = encode(request, model="us.anthropic.claude-sonnet-4-5-v1:0")
    assert encoded["additionalModelRequestFields"] == {
        "top_k": 5,
        "thinking": {"type": "enabled", "budget_tokens": 2048},
    }
    assert adaptations == [
        ir.Adaptation("top_k", "adapted", "sent as additionalModelRequestFields.top_k"),
        ir.Adaptation("reasoning_budget", "adapted", "sent as additionalModelRequestFields.thinking"),
    ]


def test_top_k_and_thinking_budget_dropped_for_other_models() -> None:
    settings = ir.GenerationSettings(top_k=5, reasoning_budget=2048)
    encoded, adaptations = encode(openai_request(ir.Message("user", [ir.TextPart("Hi")]), settings=settings), LLAMA)
    assert "additionalModelRequestFields" not in encoded
    assert adaptations == [
        ir.Adaptation("top_k", "dropped", "Converse has no top_k for this model"),
        ir.Adaptation("reasoning_budget", "dropped", "Converse has no thinking budget for this model"),
    ]


def test_zero_thinking_budget_sends_nothing() -> None:
    settings = ir.GenerationSettings(reasoning_budget=0)
    encoded, adaptations = encode(openai_request(ir.Message("user", [ir.TextPart("Hi")]), settings=settings))
    assert "additionalModelRequestFields" not in encoded
    assert adaptations == []


def test_unsupported_settings_are_dropped_and_reported() -> None:
    settings = ir.GenerationSettings(
        seed=1,
        presence_penalty=0.0,
        frequency_penalty=0.5,
        logit_bias={"1": 2.0},
        logprobs=True,
        top_logprobs=2,
        parallel_tool_calls=False,
        reasoning_effort="high",
        user="u1",
        n=1,
    )
    encoded, adaptations = encode(openai_request(ir.Message("user", [ir.TextPart("Hi")]), settings=settings))
    assert encoded == body()
    assert [(a.param, a.action) for a in adaptations] == [
        ("seed", "dropped"),
        ("presence_penalty", "dropped"),
        ("frequency_penalty", "dropped"),
        ("logit_bias", "dropped"),
        ("logprobs", "dropped"),
        ("top_logprobs", "dropped"),
        ("parallel_tool_calls", "dropped"),
        ("reasoning_effort", "dropped"),
        ("user", "dropped"),
    ]


def test_no_op_settings_are_not_reported() -> None:
    settings = ir.GenerationSettings(logprobs=False, parallel_tool_calls=True, n=1)
    _, adaptations = encode(openai_request(ir.Message("user", [ir.TextPart("Hi")]), settings=settings))
    assert adaptations == []


def test_n_above_one_is_rejected() -> None:
    request = openai_request(ir.Message("user", [ir.TextPart("Hi")]), settings=ir.GenerationSettings(n=2))
    with pytest.raises(UnsupportedFeature, match="n=2"):
        codec.encode_request(request, model=CLAUDE)


def test_metadata_becomes_request_metadata() -> None:
    ok = ir.GenerationSettings(metadata={"team": "search"})
    encoded, adaptations = encode(openai_request(ir.Message("user", [ir.TextPart("Hi")]), settings=ok))
    assert encoded["requestMetadata"] == {"team": "search"}
    assert adaptations == [ir.Adaptation("metadata", "adapted", "sent as requestMetadata")]
    bad = ir.GenerationSettings(metadata={"team": "a|b"})
    encoded, adaptations = encode(openai_request(ir.Message("user", [ir.TextPart("Hi")]), settings=bad))
    assert "requestMetadata" not in encoded
    assert adaptations == [ir.Adaptation("metadata", "dropped", "requestMetadata takes 1 to 16 plain string pairs")]


WEATHER_TOOL = ir.Tool("get_weather", "Weather by city", {"type": "object", "properties": {"city": {"type": "string"}}})


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        ("auto", {"auto": {}}),
        ("required", {"any": {}}),
        (ir.NamedToolChoice("get_weather"), {"tool": {"name": "get_weather"}}),
    ],
)
def test_tools_and_tool_choice(choice: ir.ToolChoice, wire: dict[str, Any]) -> None:
    tools = [WEATHER_TOOL, ir.Tool("noop", strict=True)]
    request = openai_request(ir.Message("user", [ir.TextPart("Hi")]), tools=tools, tool_choice=choice)
    encoded, adaptations = encode(request)
    assert encoded["toolConfig"] == {
        "tools": [
            TOOL_SPEC,
            {
                "toolSpec": {
                    "name": "noop",
                    "inputSchema": {"json": {"type": "object", "properties": {}}},
                    "strict": True,
                }
            },
        ],
        "toolChoice": wire,
    }
    assert adaptations == []


def test_tool_choice_none_without_tool_history_omits_the_tools() -> None:
    request = openai_request(ir.Message("user", [ir.TextPart("Hi")]), tools=[WEATHER_TOOL], tool_choice="none")
    encoded, adaptations = encode(request)
    assert "toolConfig" not in encoded
    assert adaptations == [ir.Adaptation("tool_choice", "adapted", "Bedrock has no 'none'; the tools were not sent")]


def test_tool_choice_none_with_tool_history_keeps_the_tools() -> None:
    request = openai_request(
        ir.Message("user", [ir.TextPart("Weather?")]),
        ir.Message("assistant", [ir.ToolCallPart("c1", "get_weather", '{"city": "Oslo"}')]),
        ir.Message("tool", [ir.ToolResultPart("c1", [ir.TextPart("cold")])]),
        tools=[WEATHER_TOOL],
        tool_choice="none",
    )
    encoded, adaptations = encode(request)
    assert encoded["toolConfig"] == {"tools": [TOOL_SPEC]}
    assert adaptations == [
        ir.Adaptation("tool_choice", "dropped", "Bedrock has no 'none' and the history needs the tools")
    ]


def test_tool_choice_without_tools() -> None:
    request = openai_request(ir.Message("user", [ir.TextPart("Hi")]), tool_choice="required")
    encoded, adaptations = encode(request)
    assert "toolConfig" not in encoded
    assert adaptations == [ir.Adaptation("tool_choice", "dropped", "no tools were given")]


@pytest.mark.parametrize("name", ["get.weather", "x" * 65, ""])
def test_tool_names_must_fit_bedrock(name: str) -> None:
    request = openai_request(ir.Message("user", [ir.TextPart("Hi")]), tools=[ir.Tool(name)])
    with pytest.raises(UnsupportedFeature, match=r"must match \[a-zA-Z0-9_-\]\{1,64\}"):
        codec.encode_request(request, model=CLAUDE)


def test_json_schema_is_sent_as_a_string() -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    response_format = ir.ResponseFormat("json_schema", name="reply", schema=schema, strict=True)
    request = openai_request(ir.Message("user", [ir.TextPart("Hi")]), response_format=response_format)
    encoded, adaptations = encode(request)
    definition = encoded["outputConfig"]["textFormat"]["structure"]["jsonSchema"]
    assert encoded["outputConfig"]["textFormat"]["type"] == "json_schema"
    assert definition == {"schema": json.dumps(schema, separators=(",", ":")), "name": "reply"}
    assert json.loads(definition["schema"]) == schema
    assert adaptations == [
        ir.Adaptation("response_format.strict", "dropped", "Bedrock output schemas have no strict switch")
    ]


def test_json_object_is_dropped() -> None:
    request = openai_request(ir.Message("user", [ir.TextPart("Hi")]), response_format=ir.ResponseFormat("json_object"))
    encoded, adaptations = encode(request)
    assert "outputConfig" not in encoded
    assert adaptations == [ir.Adaptation("response_format", "dropped", "Bedrock has no JSON mode; use json_schema")]


def test_extra_from_another_protocol_is_reported_not_sent() -> None:
    request = openai_request(ir.Message("user", [ir.TextPart("Hi")]), extra={"service_tier": "flex"})
    encoded, adaptations = encode(request)
    assert encoded == body()
    assert adaptations == [
        ir.Adaptation("service_tier", "dropped", "openai_chat parameter not supported by Bedrock Converse")
    ]


def test_message_name_and_refusal() -> None:
    request = openai_request(
        ir.Message("user", [ir.TextPart("Hi")], name="ann"),
        ir.Message("assistant", [ir.RefusalPart("No.")]),
    )
    encoded, adaptations = encode(request)
    assert encoded["messages"] == [user({"text": "Hi"}), assistant({"text": "No."})]
    assert adaptations == [
        ir.Adaptation("messages[0].name", "dropped", "Bedrock messages have no name"),
        ir.Adaptation("messages[1].parts[0]", "adapted", "a refusal is sent as text"),
    ]


def test_same_source_edits_are_honoured() -> None:
    request = codec.decode_request(REQUEST_ROUND_TRIPS["json schema, spelled with spaces"])
    assert isinstance(request.response_format, ir.ResponseFormat)
    request.response_format.schema = {"type": "string"}  # the stored spelling no longer matches
    encoded, _ = codec.encode_request(request, model=CLAUDE)
    assert encoded["outputConfig"]["textFormat"]["structure"]["jsonSchema"] == {"schema": '{"type":"string"}'}


# ---------------------------------------------------------------------------------------------------------------
# Responses

CAPTURED_RESPONSE: dict[str, Any] = {
    "output": {
        "message": {
            "role": "assistant",
            "content": [
                {"text": "Hi"},
                {"toolUse": {"toolUseId": "tooluse_2", "name": "get_weather", "input": {"city": "Paris"}}},
            ],
        }
    },
    "stopReason": "tool_use",
    "usage": {"inputTokens": 3, "outputTokens": 4, "totalTokens": 7},
    "metrics": {"latencyMs": 50},
    "ResponseMetadata": {"RequestId": "req-1"},
}


def test_decode_response() -> None:
    response = codec.decode_response(CAPTURED_RESPONSE)
    assert response == ir.Response(
        id="req-1",
        model="",
        choices=[
            ir.Choice(
                ir.Message(
                    "assistant",
                    [ir.TextPart("Hi"), ir.ToolCallPart("tooluse_2", "get_weather", '{"city": "Paris"}')],
                ),
                finish_reason="tool_calls",
            )
        ],
        usage=ir.Usage(input_tokens=3, output_tokens=4),
        provider_details={"bedrock_converse": {"metrics": {"latencyMs": 50}}},
    )


def test_usage_cache_tokens_are_summed_into_input() -> None:
    data = {
        **CAPTURED_RESPONSE,
        "usage": {
            "inputTokens": 10,
            "outputTokens": 5,
            "totalTokens": 115,
            "cacheReadInputTokens": 60,
            "cacheWriteInputTokens": 40,
        },
    }
    assert codec.decode_response(data).usage == ir.Usage(
        input_tokens=110, output_tokens=5, cache_read_tokens=60, cache_write_tokens=40
    )


@pytest.mark.parametrize(
    ("wire", "finish"),
    [
        ("end_turn", "stop"),
        ("tool_use", "tool_calls"),
        ("max_tokens", "length"),
        ("stop_sequence", "stop_sequence"),
        ("guardrail_intervened", "content_filter"),
        ("content_filtered", "content_filter"),
        ("malformed_model_output", "malformed_tool_call"),
        ("malformed_tool_use", "malformed_tool_call"),
        ("model_context_window_exceeded", "context_length"),
        ("a_future_reason", "other"),
    ],
)
def test_every_stop_reason(wire: str, finish: ir.FinishReason) -> None:
    data = {**CAPTURED_RESPONSE, "stopReason": wire}
    response = codec.decode_response(data)
    assert response.choices[0].finish_reason == finish
    assert codec.encode_response(response)["stopReason"] == wire


RESPONSE_ROUND_TRIPS: dict[str, dict[str, Any]] = {
    "captured": CAPTURED_RESPONSE,
    "reasoning, cache usage and extras": {
        "output": {
            "message": {
                "role": "assistant",
                "content": [
                    {"reasoningContent": {"reasoningText": {"text": "hmm", "signature": "s"}}},
                    {"reasoningContent": {"redactedContent": b"\x07secret"}},
                    {"citationsContent": {"content": [{"text": "x"}], "citations": []}},
                    {"text": ""},
                ],
            }
        },
        "stopReason": "guardrail_intervened",
        "usage": {
            "inputTokens": 1,
            "outputTokens": 2,
            "totalTokens": 99,
            "cacheReadInputTokens": 0,
            "cacheWriteInputTokens": 5,
            "cacheDetails": [{"ttl": "5m", "inputTokens": 5}],
        },
        "metrics": {"latencyMs": 12},
        "additionalModelResponseFields": {"stop_sequence": None},
        "trace": {"promptRouter": {"invokedModelId": "x"}},
        "performanceConfig": {"latency": "standard"},
        "serviceTier": {"type": "default"},
        "ResponseMetadata": {"RequestId": "req-2"},
    },
    "no request id": {
        "output": {"message": {"role": "assistant", "content": [{"text": "Hi"}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
        "metrics": {"latencyMs": 0},
    },
}


@pytest.mark.parametrize("wire", list(RESPONSE_ROUND_TRIPS.values()), ids=list(RESPONSE_ROUND_TRIPS))
def test_response_round_trip_is_exact(wire: dict[str, Any]) -> None:
    assert codec.encode_response(codec.decode_response(wire)) == wire


def test_missing_request_id_is_generated() -> None:
    response = codec.decode_response(RESPONSE_ROUND_TRIPS["no request id"])
    assert response.id.startswith("bedrock-")
    assert len(response.id) == len("bedrock-") + 32


def test_encode_response_from_another_protocol() -> None:
    response = ir.Response(
        id="chatcmpl-1",
        model="gpt-4o",
        choices=[
            ir.Choice(
                ir.Message("assistant", [ir.ThinkingPart("t"), ir.TextPart("Hi"), ir.ToolCallPart("c", "f", "{}")]),
                finish_reason="length",
            )
        ],
        usage=ir.Usage(input_tokens=100, output_tokens=7, cache_read_tokens=80, reasoning_tokens=3),
    )
    wire = codec.encode_response(response)
    assert wire == {
        "output": {
            "message": {
                "role": "assistant",
                "content": [
                    {"reasoningContent": {"reasoningText": {"text": "t"}}},
                    {"text": "Hi"},
                    {"toolUse": {"toolUseId": "c", "name": "f", "input": {}}},
                ],
            }
        },
        "stopReason": "max_tokens",
        "usage": {"inputTokens": 20, "outputTokens": 7, "totalTokens": 107, "cacheReadInputTokens": 80},
        "metrics": {"latencyMs": 0},
        "ResponseMetadata": {"RequestId": "chatcmpl-1"},
    }
    without_metadata = {key: value for key, value in wire.items() if key != "ResponseMetadata"}
    assert_valid(without_metadata, _operation("Converse").output_shape)
    decoded = codec.decode_response(wire)
    assert decoded.id == "chatcmpl-1"
    assert decoded.choices[0].message == response.choices[0].message
    assert decoded.usage == ir.Usage(input_tokens=100, output_tokens=7, cache_read_tokens=80)


# ---------------------------------------------------------------------------------------------------------------
# Streams

VERIFIED_STREAM: list[dict[str, Any]] = [
    {"messageStart": {"role": "assistant"}},
    {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "Let me think."}}}},
    {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "sig=="}}}},
    {"contentBlockStop": {"contentBlockIndex": 0}},
    {"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"text": "Checking."}}},
    {"contentBlockStop": {"contentBlockIndex": 1}},
    {
        "contentBlockStart": {
            "contentBlockIndex": 2,
            "start": {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather"}},
        }
    },
    {"contentBlockDelta": {"contentBlockIndex": 2, "delta": {"toolUse": {"input": '{"city": '}}}},
    {"contentBlockDelta": {"contentBlockIndex": 2, "delta": {"toolUse": {"input": '"Paris"}'}}}},
    {"contentBlockStop": {"contentBlockIndex": 2}},
    {"messageStop": {"stopReason": "tool_use"}},
    {"metadata": {"usage": {"inputTokens": 10, "outputTokens": 20, "totalTokens": 30}, "metrics": {"latencyMs": 0}}},
]

VERIFIED_STREAM_EVENTS: list[ir.StreamEvent] = [
    ir.PartStart(0, ir.ThinkingPart()),
    ir.ThinkingDelta(0, text="Let me think."),
    ir.ThinkingDelta(0, signature="sig=="),
    ir.PartEnd(0),
    ir.PartStart(1, ir.TextPart("")),
    ir.TextDelta(1, "Checking."),
    ir.PartEnd(1),
    ir.PartStart(2, ir.ToolCallPart("tooluse_1", "get_weather")),
    ir.ToolArgumentsDelta(2, '{"city": '),
    ir.ToolArgumentsDelta(2, '"Paris"}'),
    ir.PartEnd(2),
    ir.Finish("tool_calls"),
    ir.UsageUpdate(ir.Usage(input_tokens=10, output_tokens=20)),
    ir.StreamEnd(),
]


def decode_stream(items: list[dict[str, Any]], *, end: bool = True) -> list[ir.StreamEvent]:
    decoder = BedrockStreamDecoder()
    events = [event for item in items for event in decoder.feed(item)]
    return events + decoder.end() if end else events


def test_stream_decode_verified_sequence() -> None:
    events = decode_stream(VERIFIED_STREAM)
    start = events[0]
    assert isinstance(start, ir.MessageStart)
    assert start.id.startswith("bedrock-")
    assert start.model == ""
    assert events[1:] == VERIFIED_STREAM_EVENTS


def test_stream_round_trip_through_the_encoder() -> None:
    encoder = BedrockStreamEncoder()
    wire = [payload for event in decode_stream(VERIFIED_STREAM) for payload in encoder.encode(event)]
    assert wire == VERIFIED_STREAM
    for item in wire:
        ((event_type, payload),) = item.items()
        assert_valid(payload, stream_event_shape(event_type))


def test_stream_encoder_from_another_protocol() -> None:
    events: list[ir.StreamEvent] = [
        ir.MessageStart("chatcmpl-1", "gpt-4o"),
        ir.PartStart(0, ir.TextPart("")),
        ir.PartStart(1, ir.ToolCallPart("c1", "f", '{"a"')),
        ir.TextDelta(0, "Hi"),
        ir.ToolArgumentsDelta(1, ": 1}"),
        ir.PartStart(2, ir.ThinkingPart(redacted="AAE=")),
        ir.PartStart(3, ir.TextPart("")),
        ir.UsageUpdate(ir.Usage(input_tokens=9, output_tokens=2, cache_write_tokens=4)),
        ir.Finish("content_filter", provider_details={"bedrock_converse": {"stopReason": "guardrail_intervened"}}),
        ir.StreamEnd(),
    ]
    encoder = BedrockStreamEncoder()
    wire = [payload for event in events for payload in encoder.encode(event)]
    assert wire == [
        {"messageStart": {"role": "assistant"}},
        {"contentBlockStart": {"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "c1", "name": "f"}}}},
        {"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"toolUse": {"input": '{"a"'}}}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Hi"}}},
        {"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"toolUse": {"input": ": 1}"}}}},
        {
            "contentBlockDelta": {
                "contentBlockIndex": 2,
                "delta": {"reasoningContent": {"redactedContent": b"\x00\x01"}},
            }
        },
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"contentBlockStop": {"contentBlockIndex": 1}},
        {"contentBlockStop": {"contentBlockIndex": 2}},
        {"contentBlockDelta": {"contentBlockIndex": 3, "delta": {"text": ""}}},
        {"contentBlockStop": {"contentBlockIndex": 3}},
        {"messageStop": {"stopReason": "guardrail_intervened"}},
        {
            "metadata": {
                "usage": {"inputTokens": 5, "outputTokens": 2, "totalTokens": 11, "cacheWriteInputTokens": 4},
                "metrics": {"latencyMs": 0},
            }
        },
    ]
    for item in wire:
        ((event_type, payload),) = item.items()
        assert_valid(payload, stream_event_shape(event_type))
    assert decode_stream(wire)[1:] == [
        ir.PartStart(0, ir.ToolCallPart("c1", "f")),
        ir.ToolArgumentsDelta(0, '{"a"'),
        ir.PartStart(1, ir.TextPart("")),
        ir.TextDelta(1, "Hi"),
        ir.ToolArgumentsDelta(0, ": 1}"),
        ir.PartStart(2, ir.ThinkingPart(redacted="AAE=")),
        ir.PartEnd(1),
        ir.PartEnd(0),
        ir.PartEnd(2),
        ir.PartStart(3, ir.TextPart("")),
        ir.TextDelta(3, ""),
        ir.PartEnd(3),
        ir.Finish("content_filter", provider_details={"bedrock_converse": {"stopReason": "guardrail_intervened"}}),
        ir.UsageUpdate(ir.Usage(input_tokens=9, output_tokens=2, cache_write_tokens=4)),
        ir.StreamEnd(),
    ]


def test_stream_encoder_without_finish_still_stops() -> None:
    encoder = BedrockStreamEncoder()
    wire = [p for e in (ir.MessageStart("x", "m"), ir.StreamEnd()) for p in encoder.encode(e)]
    assert wire == [
        {"messageStart": {"role": "assistant"}},
        {"messageStop": {"stopReason": "end_turn"}},
        {"metadata": {"usage": {"inputTokens": 0, "outputTokens": 0, "totalTokens": 0}, "metrics": {"latencyMs": 0}}},
    ]


def test_message_stop_closes_open_parts_and_metadata_may_come_first() -> None:
    items: list[dict[str, Any]] = [
        {"messageStart": {"role": "assistant"}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Hi"}}},
        {"metadata": {"usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2}, "metrics": {"latencyMs": 3}}},
        {"messageStop": {"stopReason": "max_tokens", "additionalModelResponseFields": {"x": 1}}},
        {"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"text": "after the end"}}},
    ]
    assert decode_stream(items)[1:] == [
        ir.PartStart(0, ir.TextPart("")),
        ir.TextDelta(0, "Hi"),
        ir.UsageUpdate(ir.Usage(input_tokens=1, output_tokens=1)),
        ir.PartEnd(0),
        ir.Finish("length", provider_details={"bedrock_converse": {"additionalModelResponseFields": {"x": 1}}}),
        ir.StreamEnd(),
    ]


def test_skipped_blocks_and_unknown_events_make_no_events() -> None:
    items: list[dict[str, Any]] = [
        {"messageStart": {"role": "assistant"}},
        {"contentBlockStart": {"contentBlockIndex": 0, "start": {"image": {"format": "png"}}}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"image": {"source": {"bytes": PNG}}}}},
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"citation": {"title": "t"}}}},
        {"contentBlockStop": {"contentBlockIndex": 1}},
        {"someFutureEvent": {"x": 1}},
        {"contentBlockDelta": {"contentBlockIndex": 2, "delta": {"text": "Hi"}}},
    ]
    assert decode_stream(items, end=False)[1:] == [ir.PartStart(0, ir.TextPart("")), ir.TextDelta(0, "Hi")]


def test_missing_message_stop_is_an_interruption() -> None:
    decoder = BedrockStreamDecoder()
    for item in VERIFIED_STREAM[:6]:
        decoder.feed(item)
    with pytest.raises(StreamInterrupted, match="without messageStop"):
        decoder.end()


def test_message_stop_without_metadata_ends_on_transport_end() -> None:
    decoder = BedrockStreamDecoder()
    events = [event for item in VERIFIED_STREAM[:-1] for event in decoder.feed(item)]
    assert events[-1] == ir.Finish("tool_calls")
    assert decoder.end() == [ir.StreamEnd()]
    assert decoder.end() == []


def test_tool_delta_for_an_unstarted_block_is_malformed() -> None:
    decoder = BedrockStreamDecoder()
    with pytest.raises(ProtocolError, match="block 4 is not a started tool call"):
        decoder.feed({"contentBlockDelta": {"contentBlockIndex": 4, "delta": {"toolUse": {"input": "{}"}}}})


@pytest.mark.parametrize(
    ("event", "error", "status"),
    [
        ("throttlingException", RateLimited, 429),
        ("modelStreamErrorException", ServerError, 424),
        ("validationException", BadRequest, 400),
        ("internalServerException", ServerError, 500),
        ("serviceUnavailableException", Overloaded, 503),
    ],
)
def test_exception_events_raise_mapped_errors(event: str, error: type[ProviderError], status: int) -> None:
    decoder = BedrockStreamDecoder()
    decoder.feed({"messageStart": {"role": "assistant"}})
    payload = {"message": "boom", "originalStatusCode": 500}
    with pytest.raises(error) as caught:
        decoder.feed({event: payload})
    assert type(caught.value) is error
    assert caught.value.message == "boom"
    assert caught.value.status_code == status
    assert caught.value.code == event[0].upper() + event[1:]
    assert caught.value.body == payload


# ---------------------------------------------------------------------------------------------------------------
# Error codes


@pytest.mark.parametrize(
    ("code", "message", "status", "error", "expected_status"),
    [
        ("ThrottlingException", "Too many requests", None, RateLimited, 429),
        ("throttlingException", "slow down", None, RateLimited, 429),
        ("ValidationException", "Malformed input request", None, BadRequest, 400),
        ("ValidationException", "Input is too long for requested model.", 400, ContextLengthExceeded, 400),
        ("ValidationException", "prompt is too long: 210000 tokens > 200000", None, ContextLengthExceeded, 400),
        ("ValidationException", "The input length exceeds the context limit", None, ContextLengthExceeded, 400),
        ("ValidationException", "messages.0.content.1.document.context is invalid", None, BadRequest, 400),
        ("AccessDeniedException", "no access", None, PermissionDenied, 403),
        ("UnrecognizedClientException", "bad token", 403, AuthenticationError, 403),
        ("ExpiredTokenException", "expired", None, AuthenticationError, 403),
        ("ResourceNotFoundException", "no model", None, NotFound, 404),
        ("ModelTimeoutException", "slow", None, Timeout, 408),
        ("ServiceUnavailableException", "busy", None, Overloaded, 503),
        ("InternalServerException", "oops", None, ServerError, 500),
        ("ModelStreamErrorException", "stream broke", None, ServerError, 424),
        ("ModelNotReadyException", "warming", None, ServerError, 429),
        ("ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/", "x", 429, RateLimited, 429),
        ("SomethingNewException", "?", 418, BadRequest, 418),
        ("SomethingNewException", "?", 502, ServerError, 502),
        ("400", "?", 400, BadRequest, 400),
        ("SomethingNewException", "?", None, ProviderError, None),
    ],
)
def test_error_from_code(
    code: str, message: str, status: int | None, error: type[ProviderError], expected_status: int | None
) -> None:
    result = error_from_code(code, message, status, {"x-amzn-RequestId": "rid-1"})
    assert type(result) is error
    assert result.status_code == expected_status
    assert result.message == message
    assert result.upstream_request_id == "rid-1"
    assert result.headers == {"x-amzn-RequestId": "rid-1"}


def test_rate_limit_reads_retry_after() -> None:
    result = error_from_code("ThrottlingException", "slow", 429, {"Retry-After": "2.5"})
    assert isinstance(result, RateLimited)
    assert result.retry_after == 2.5
    assert result.retryable is True
    without_header = error_from_code("ThrottlingException", "slow", 429, {})
    assert isinstance(without_header, RateLimited)
    assert without_header.retry_after is None
