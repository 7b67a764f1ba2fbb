"""Embedding codecs: OpenAI (float and base64 vectors, checked with the openai SDK's own parsing), Gemini batch and
single forms, Bedrock Titan (one body per text) and Cohere, cross-format adaptations and codec_for."""

from __future__ import annotations

import struct
import subprocess
import sys
from typing import Any, cast

import pytest
from google.genai import types as genai_types
from google.genai.models import _EmbedContentResponse_from_mldev
from openai import omit
from openai._models import construct_type
from openai.lib._parsing import _embeddings as openai_embeddings
from openai.types import CreateEmbeddingResponse

from routeapi import ir
from routeapi.errors import ProtocolError, UnsupportedFeature
from routeapi.protocols.embeddings import (
    BedrockCohereEmbeddingsCodec,
    BedrockTitanEmbeddingsCodec,
    EmbeddingCodec,
    GeminiEmbeddingsCodec,
    OpenAIEmbeddingsCodec,
    codec_for,
    float32_base64,
    from_float32_base64,
)

OPENAI = OpenAIEmbeddingsCodec()
GEMINI = GeminiEmbeddingsCodec()
GEMINI_SINGLE = GeminiEmbeddingsCodec(single=True)
TITAN = BedrockTitanEmbeddingsCodec()
COHERE = BedrockCohereEmbeddingsCodec()

TITAN_V2 = "amazon.titan-embed-text-v2:0"
COHERE_V3 = "cohere.embed-english-v3"
COHERE_V4 = "cohere.embed-v4:0"
THREE = ["alpha", "beta", "gamma"]
# 0.1 and 1/3 are not float32 values: base64 answers carry their nearest float32, which the SDK returns.
VECTORS = [[0.5, -0.25, 0.1], [1.0, 0.0, -2.0], [1 / 3, 8.0, -0.125]]


def f32(value: float) -> float:
    return struct.unpack("<f", struct.pack("<f", value))[0]


def three_inputs(**fields: Any) -> ir.EmbeddingRequest:
    return ir.EmbeddingRequest(model="any", inputs=list(THREE), dimensions=256, **fields)


# ---------------------------------------------------------------------------------------------------------------
# float32 base64


def test_float32_base64_is_packed_little_endian_float32() -> None:
    assert float32_base64([1.0, -2.0, 0.5]) == "AACAPwAAAMAAAAA/"
    assert float32_base64([]) == ""
    assert from_float32_base64("AACAPwAAAMAAAAA/") == [1.0, -2.0, 0.5]
    assert from_float32_base64(float32_base64([0.1])) == [f32(0.1)]
    assert from_float32_base64("") == []
    assert f32(0.1) != 0.1


def test_float32_base64_rejects_bad_input() -> None:
    with pytest.raises(ProtocolError, match="not valid base64"):
        from_float32_base64("not base64!")
    with pytest.raises(ProtocolError, match="6 bytes"):
        from_float32_base64("AACAPwAA")
    with pytest.raises(ProtocolError, match="float32"):
        float32_base64([1e300])


# ---------------------------------------------------------------------------------------------------------------
# OpenAI


def test_openai_decode_request() -> None:
    body = {
        "model": "text-embedding-3-small",
        "input": ["a", "b"],
        "dimensions": 0,
        "user": "u1",
        "encoding_format": "base64",
        "future_param": {"x": 1},
        "ignored": None,
    }
    assert OPENAI.decode_request(body) == ir.EmbeddingRequest(
        model="text-embedding-3-small",
        inputs=["a", "b"],
        dimensions=0,
        user="u1",
        source="openai_embeddings",
        extra={"encoding_format": "base64", "future_param": {"x": 1}},
    )
    single = OPENAI.decode_request({"model": "m", "input": "just one"})
    assert single == ir.EmbeddingRequest(model="m", inputs=["just one"], source="openai_embeddings")
    assert single.dimensions is ir.UNSET
    assert single.user is ir.UNSET


@pytest.mark.parametrize("tokens", [[1, 2, 3], [[1, 2], [3]]])
def test_openai_token_inputs_are_kept_in_extra(tokens: list[Any]) -> None:
    request = OPENAI.decode_request({"model": "m", "input": tokens})
    assert request.inputs == []
    assert request.extra == {"input": tokens}
    assert OPENAI.encode_request(request, model="up") == ({"model": "up", "input": tokens}, [])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"input": ["a"]}, r"^model: must be a string"),
        ({"model": "m"}, r"^input: required"),
        ({"model": "m", "input": ["a", 1]}, r"^input\[1\]: expected all strings"),
        ({"model": "m", "input": [1, [2]]}, r"^input\[1\]: expected all strings"),
        ({"model": "m", "input": [None]}, r"^input\[0\]: expected all strings"),
        ({"model": "m", "input": [[1], [True]]}, r"^input\[1\]: expected all strings"),
        ({"model": "m", "input": 5}, r"^input: must be a list"),
        ({"model": "m", "input": "a", "dimensions": True}, r"^dimensions: must be an integer"),
        ({"model": "m", "input": "a", "user": 3}, r"^user: must be a string"),
        ({"model": "m", "input": "a", "encoding_format": "int8"}, r"^encoding_format: must be one of"),
        ([], r"^body: must be an object"),
    ],
)
def test_openai_decode_request_names_the_bad_field(body: Any, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        OPENAI.decode_request(body)


def test_openai_request_round_trip() -> None:
    body = {"model": "m", "input": ["a", "b"], "dimensions": 64, "user": "u", "encoding_format": "float", "x": [1]}
    request = OPENAI.decode_request(body)
    assert OPENAI.encode_request(request, model="m") == (body, [])
    # The model argument names the upstream model (an Azure deployment, say), whatever the caller asked for.
    assert OPENAI.encode_request(request, model="deployment-7")[0]["model"] == "deployment-7"


def test_openai_model_from_the_argument_when_the_body_has_none() -> None:
    assert OPENAI.decode_request({"input": "a"}, model="from-url").model == "from-url"


def test_openai_encode_request_reports_what_it_cannot_carry() -> None:
    request = ir.EmbeddingRequest(
        model="m", inputs=["a"], task_type="RETRIEVAL_QUERY", source="gemini_embeddings", extra={"autoTruncate": False}
    )
    assert OPENAI.encode_request(request, model="m") == (
        {"model": "m", "input": ["a"]},
        [
            ir.Adaptation("task_type", "dropped", "OpenAI embeddings take no task type"),
            ir.Adaptation("autoTruncate", "dropped", "not supported by openai_embeddings"),
        ],
    )


def test_openai_response_float_validates_with_sdk_types() -> None:
    request = OPENAI.decode_request({"model": "m", "input": THREE, "encoding_format": "float"})
    response = ir.EmbeddingResponse(model="text-embedding-3-small", vectors=VECTORS, input_tokens=7)
    wire = OPENAI.encode_response(response, request)
    assert wire == {
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(VECTORS)],
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 7, "total_tokens": 7},
    }
    parsed = CreateEmbeddingResponse.model_validate(wire)
    assert [item.embedding for item in parsed.data] == VECTORS
    assert (parsed.usage.prompt_tokens, parsed.usage.total_tokens) == (7, 7)
    # A caller that names no format (plain HTTP) gets OpenAI's default: floats.
    no_format = OPENAI.decode_request({"model": "m", "input": THREE})
    assert OPENAI.encode_response(response, no_format) == wire


@pytest.mark.parametrize("use_numpy", [True, False])
def test_openai_response_base64_as_the_sdk_requests_and_decodes_it(
    use_numpy: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(openai_embeddings, "has_numpy", lambda: use_numpy)
    # What the SDK sends when the caller names no encoding_format, and the parser it applies to the answer.
    sent = openai_embeddings.prepare_embedding_request(None, {"model": "m", "input": THREE}, encoding_format=omit)
    assert sent.body == {"model": "m", "input": THREE, "encoding_format": "base64"}
    request = OPENAI.decode_request(cast("dict[str, Any]", sent.body))
    wire = OPENAI.encode_response(ir.EmbeddingResponse(model="m", vectors=VECTORS, input_tokens=3), request)
    assert [item["embedding"] for item in wire["data"]] == [float32_base64(v) for v in VECTORS]
    assert all(isinstance(item["embedding"], str) for item in wire["data"])

    constructed = construct_type(type_=CreateEmbeddingResponse, value=wire)
    assert isinstance(constructed, CreateEmbeddingResponse)
    assert sent.post_parser is not None
    parsed = sent.post_parser(constructed)
    assert [item.embedding for item in parsed.data] == [[f32(x) for x in v] for v in VECTORS]
    assert parsed.data[0].embedding[2] != 0.1  # float32, exactly as the SDK decodes it
    # Re-validating the decoded object through the SDK's types succeeds.
    assert CreateEmbeddingResponse.model_validate(parsed.model_dump()).usage.prompt_tokens == 3


def test_openai_decode_response_floats_base64_and_order() -> None:
    data = {
        "object": "list",
        "data": [
            {"object": "embedding", "index": 1, "embedding": float32_base64([1.0, 2.0])},
            {"object": "embedding", "index": 0, "embedding": [0.5, 3]},
        ],
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 4, "total_tokens": 4},
    }
    assert OPENAI.decode_response(data) == ir.EmbeddingResponse(
        model="text-embedding-3-small", vectors=[[0.5, 3], [1.0, 2.0]], input_tokens=4
    )
    assert OPENAI.decode_response({"data": [{"embedding": [1.0]}]}, model="fallback") == ir.EmbeddingResponse(
        model="fallback", vectors=[[1.0]], input_tokens=0
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"model": "m"}, r"^data: must be a list"),
        ({"model": "m", "data": [{"embedding": [1, "x"]}]}, r"^data\[0\]\.embedding\[1\]: must be a number"),
        ({"model": "m", "data": [{"embedding": None}]}, r"^data\[0\]\.embedding: must be a list"),
        ({"model": "m", "data": [{"embedding": "AAA"}]}, r"^data\[0\]\.embedding: not valid base64"),
        ({"model": "m", "data": [{"index": "0", "embedding": [1.0]}]}, r"^data\[0\]\.index: must be an integer"),
        (
            {"model": "m", "data": [{"embedding": [1.0]}], "usage": {"prompt_tokens": 1.5}},
            r"^usage\.prompt_tokens: must be an integer",
        ),
    ],
)
def test_openai_decode_response_names_the_bad_field(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        OPENAI.decode_response(data)


def test_openai_response_round_trip() -> None:
    request = OPENAI.decode_request({"model": "m", "input": THREE, "encoding_format": "base64"})
    response = ir.EmbeddingResponse(model="m", vectors=[[f32(x) for x in v] for v in VECTORS], input_tokens=9)
    assert OPENAI.decode_response(OPENAI.encode_response(response, request)) == response


# ---------------------------------------------------------------------------------------------------------------
# Gemini


def test_gemini_batch_request_round_trip() -> None:
    body = {
        "requests": [
            {
                "model": "models/gemini-embedding-001",
                "content": {"role": "user", "parts": [{"text": "a"}]},
                "taskType": "RETRIEVAL_DOCUMENT",
                "outputDimensionality": 3,
                "title": "Doc A",
            },
            {
                "model": "models/gemini-embedding-001",
                "content": {"role": "user", "parts": [{"text": "b"}]},
                "taskType": "RETRIEVAL_DOCUMENT",
                "outputDimensionality": 3,
            },
        ]
    }
    request = GEMINI.decode_request(body)
    assert request == ir.EmbeddingRequest(
        model="gemini-embedding-001",
        inputs=["a", "b"],
        dimensions=3,
        task_type="RETRIEVAL_DOCUMENT",
        source="gemini_embeddings",
        extra={"requests": [{"title": "Doc A"}, {}]},
    )
    assert GEMINI.encode_request(request, model="gemini-embedding-001") == (body, [])


def test_gemini_decode_request_accepts_snake_case_and_the_url_model() -> None:
    body = {
        "requests": [
            {"content": {"parts": [{"text": "a"}]}, "task_type": "CLUSTERING", "output_dimensionality": 8, "x_y": 1}
        ]
    }
    assert GEMINI.decode_request(body, model="text-embedding-004") == ir.EmbeddingRequest(
        model="text-embedding-004",
        inputs=["a"],
        dimensions=8,
        task_type="CLUSTERING",
        source="gemini_embeddings",
        extra={"requests": [{"xY": 1}]},
    )


def test_gemini_single_request_round_trip() -> None:
    body = {"content": {"parts": [{"text": "one"}]}, "taskType": "RETRIEVAL_QUERY", "outputDimensionality": 5}
    request = GEMINI_SINGLE.decode_request(body, model="gemini-embedding-001")
    assert request == ir.EmbeddingRequest(
        model="gemini-embedding-001",
        inputs=["one"],
        dimensions=5,
        task_type="RETRIEVAL_QUERY",
        source="gemini_embeddings",
    )
    assert GEMINI_SINGLE.encode_request(request, model="gemini-embedding-001") == (body, [])
    titled = {"content": {"parts": [{"text": "doc"}]}, "title": "T"}
    assert GEMINI_SINGLE.encode_request(GEMINI_SINGLE.decode_request(titled), model="e") == (titled, [])
    # The same request sent upstream as a batch keeps the per-text field on its text.
    assert GEMINI.encode_request(GEMINI_SINGLE.decode_request(titled), model="e") == (
        {"requests": [{"model": "models/e", "content": {"role": "user", "parts": [{"text": "doc"}]}, "title": "T"}]},
        [],
    )


def test_gemini_single_and_batch_forms_are_not_mixed() -> None:
    with pytest.raises(ProtocolError, match=r"^body: embedContent takes one content"):
        GEMINI_SINGLE.decode_request({"requests": []})
    with pytest.raises(ProtocolError, match=r"^body: batchEmbedContents takes requests"):
        GEMINI.decode_request({"content": {"parts": [{"text": "a"}]}})
    with pytest.raises(UnsupportedFeature, match="embedContent embeds one text, not 3"):
        GEMINI_SINGLE.encode_request(three_inputs(), model="e")


def test_gemini_encode_request_cross_protocol() -> None:
    request = OPENAI.decode_request(
        {"model": "m", "input": ["a"], "user": "u", "encoding_format": "base64", "dimensions": 4, "other": 1}
    )
    assert GEMINI.encode_request(request, model="gemini-embedding-001") == (
        {
            "requests": [
                {
                    "model": "models/gemini-embedding-001",
                    "content": {"role": "user", "parts": [{"text": "a"}]},
                    "outputDimensionality": 4,
                }
            ]
        },
        [
            ir.Adaptation("user", "dropped", "Gemini embeddings take no end-user id"),
            ir.Adaptation("other", "dropped", "not supported by gemini_embeddings"),
        ],
    )
    cohere = COHERE.decode_request({"texts": ["q"], "input_type": "search_query"})
    body, report = GEMINI.encode_request(cohere, model="e")
    assert body["requests"][0]["taskType"] == "RETRIEVAL_QUERY"
    assert report == [ir.Adaptation("task_type", "adapted", "Cohere search_query sent as Gemini taskType")]


def test_gemini_per_text_fields_are_reported_once_elsewhere() -> None:
    body = {
        "requests": [
            {"content": {"parts": [{"text": "a"}]}, "title": "A"},
            {"content": {"parts": [{"text": "b"}]}, "title": "B"},
        ]
    }
    request = GEMINI.decode_request(body, model="e")
    assert OPENAI.encode_request(request, model="m")[1] == [
        ir.Adaptation("title", "dropped", "not supported by openai_embeddings")
    ]


def test_gemini_responses_validate_with_sdk_types() -> None:
    request = GEMINI.decode_request(
        {"requests": [{"content": {"parts": [{"text": t}]}} for t in THREE]}, model="gemini-embedding-001"
    )
    response = ir.EmbeddingResponse(model="gemini-embedding-001", vectors=VECTORS, input_tokens=6)
    wire = GEMINI.encode_response(response, request)
    assert wire == {
        "embeddings": [{"values": v} for v in VECTORS],
        "usageMetadata": {"promptTokenCount": 6, "totalTokenCount": 6},
    }
    parsed = genai_types.EmbedContentResponse.model_validate(_EmbedContentResponse_from_mldev(wire))
    assert [e.values for e in parsed.embeddings or []] == VECTORS
    assert parsed.usage_metadata is not None
    assert parsed.usage_metadata.prompt_token_count == 6
    assert GEMINI.decode_response(wire, model="gemini-embedding-001") == response
    # Gemini often reports no usage: nothing is invented.
    silent = ir.EmbeddingResponse(model="e", vectors=[[1.0]])
    assert GEMINI.encode_response(silent, request) == {"embeddings": [{"values": [1.0]}]}


def test_gemini_single_response() -> None:
    request = GEMINI_SINGLE.decode_request({"content": {"parts": [{"text": "a"}]}}, model="e")
    assert GEMINI_SINGLE.encode_response(ir.EmbeddingResponse(model="e", vectors=[[0.5, 1]]), request) == {
        "embedding": {"values": [0.5, 1]}
    }
    assert GEMINI.decode_response({"embedding": {"values": [0.5, 1]}}, model="e") == ir.EmbeddingResponse(
        model="e", vectors=[[0.5, 1]]
    )
    assert GEMINI.decode_response({"embeddings": [], "usage_metadata": {"prompt_token_count": 2}}).input_tokens == 2
    with pytest.raises(ProtocolError, match="embedContent answers with one vector, not 2"):
        GEMINI_SINGLE.encode_response(ir.EmbeddingResponse(model="e", vectors=[[1.0], [2.0]]), request)


# ---------------------------------------------------------------------------------------------------------------
# Three inputs with dimensions through every codec


def test_three_inputs_with_dimensions_through_each_codec() -> None:
    request = three_inputs()
    assert OPENAI.encode_request(request, model="text-embedding-3-small") == (
        {"model": "text-embedding-3-small", "input": THREE, "dimensions": 256},
        [],
    )
    assert GEMINI.encode_request(request, model="gemini-embedding-001") == (
        {
            "requests": [
                {
                    "model": "models/gemini-embedding-001",
                    "content": {"role": "user", "parts": [{"text": text}]},
                    "outputDimensionality": 256,
                }
                for text in THREE
            ]
        },
        [],
    )
    assert TITAN.encode_requests(request, model=TITAN_V2) == (
        [{"inputText": text, "dimensions": 256} for text in THREE],
        [],
    )
    assert COHERE.encode_request(request, model=COHERE_V4) == (
        {"texts": THREE, "input_type": "search_document", "embedding_types": ["float"], "output_dimension": 256},
        [],
    )
    assert COHERE.encode_request(request, model=COHERE_V3) == (
        {"texts": THREE, "input_type": "search_document", "embedding_types": ["float"]},
        [ir.Adaptation("dimensions", "dropped", f"{COHERE_V3} makes vectors of one fixed size")],
    )


# ---------------------------------------------------------------------------------------------------------------
# Bedrock Titan


def test_titan_batches_into_one_body_per_text_and_sums_tokens() -> None:
    request = ir.EmbeddingRequest(model="m", inputs=THREE, task_type="RETRIEVAL_QUERY", user="u")
    bodies, report = TITAN.encode_requests(request, model=TITAN_V2)
    assert bodies == [{"inputText": "alpha"}, {"inputText": "beta"}, {"inputText": "gamma"}]
    assert report == [
        ir.Adaptation("task_type", "dropped", "Titan embeddings take no task type"),
        ir.Adaptation("user", "dropped", "Titan embeddings take no end-user id"),
    ]
    answers = [{"embedding": v, "inputTextTokenCount": n} for v, n in zip(VECTORS, (2, 3, 4), strict=True)]
    assert TITAN.decode_responses(answers, model=TITAN_V2) == ir.EmbeddingResponse(
        model=TITAN_V2, vectors=VECTORS, input_tokens=9
    )


def test_titan_single_body_and_response_round_trip() -> None:
    body = {"inputText": "hello", "dimensions": 512, "normalize": False}
    request = TITAN.decode_request(body, model=TITAN_V2)
    assert request == ir.EmbeddingRequest(
        model=TITAN_V2, inputs=["hello"], dimensions=512, source="bedrock_titan_embeddings", extra={"normalize": False}
    )
    assert TITAN.encode_request(request, model=TITAN_V2) == (body, [])
    answer = {"embedding": [0.25, -1.0], "inputTextTokenCount": 2}
    response = TITAN.decode_response(answer, model=TITAN_V2)
    assert response == ir.EmbeddingResponse(model=TITAN_V2, vectors=[[0.25, -1.0]], input_tokens=2)
    assert TITAN.encode_response(response, request) == answer
    # Asked for embeddingTypes, Titan v2 answers by type.
    by_type = {"embeddingsByType": {"float": [1.0]}, "inputTextTokenCount": 1}
    assert TITAN.decode_response(by_type).vectors == [[1.0]]


def test_titan_limits() -> None:
    with pytest.raises(UnsupportedFeature, match="dimensions: Titan takes 256, 512, 1024, not 300"):
        TITAN.encode_requests(ir.EmbeddingRequest(model="m", inputs=["a"], dimensions=300), model=TITAN_V2)
    with pytest.raises(UnsupportedFeature, match=r"amazon.titan-embed-text-v1 makes vectors of one fixed size"):
        TITAN.encode_requests(
            ir.EmbeddingRequest(model="m", inputs=["a"], dimensions=256), model="amazon.titan-embed-text-v1"
        )
    with pytest.raises(UnsupportedFeature, match="Titan embeds one text per call, not 3"):
        TITAN.encode_request(three_inputs(), model=TITAN_V2)
    with pytest.raises(ProtocolError, match=r"^responses\[1\]\.inputTextTokenCount: must be an integer"):
        TITAN.decode_responses([{"embedding": [1.0]}, {"embedding": [1.0], "inputTextTokenCount": "2"}])
    with pytest.raises(ProtocolError, match=r"^inputText: must be a string"):
        TITAN.decode_request({"texts": ["a"]})
    with pytest.raises(ProtocolError, match="Titan answers with one vector, not 0"):
        TITAN.encode_response(ir.EmbeddingResponse(model="m"), ir.EmbeddingRequest(model="m"))


# ---------------------------------------------------------------------------------------------------------------
# Bedrock Cohere


def test_cohere_request_shapes() -> None:
    plain = ir.EmbeddingRequest(model="m", inputs=["a", "b"])
    assert COHERE.encode_request(plain, model=COHERE_V3) == (
        {"texts": ["a", "b"], "input_type": "search_document", "embedding_types": ["float"]},
        [],
    )
    gemini = ir.EmbeddingRequest(model="m", inputs=["q"], task_type="RETRIEVAL_QUERY", user="u")
    assert COHERE.encode_request(gemini, model=COHERE_V3) == (
        {"texts": ["q"], "input_type": "search_query", "embedding_types": ["float"]},
        [
            ir.Adaptation("task_type", "adapted", "RETRIEVAL_QUERY sent as Cohere input_type search_query"),
            ir.Adaptation("user", "dropped", "Cohere embeddings take no end-user id"),
        ],
    )
    as_given = ir.EmbeddingRequest(model="m", inputs=["q"], task_type="classification")
    assert COHERE.encode_request(as_given, model=COHERE_V3)[0]["input_type"] == "classification"


def test_cohere_request_round_trip() -> None:
    body = {
        "texts": ["a"],
        "input_type": "search_query",
        "embedding_types": ["float"],
        "output_dimension": 1024,
        "truncate": "END",
    }
    request = COHERE.decode_request(body, model=COHERE_V4)
    assert request == ir.EmbeddingRequest(
        model=COHERE_V4,
        inputs=["a"],
        dimensions=1024,
        task_type="search_query",
        source="bedrock_cohere_embeddings",
        extra={"embedding_types": ["float"], "truncate": "END"},
    )
    assert COHERE.encode_request(request, model=COHERE_V4) == (body, [])
    with pytest.raises(UnsupportedFeature, match="embedding_types"):
        COHERE.decode_request({"texts": ["a"], "input_type": "search_query", "embedding_types": ["int8"]})
    with pytest.raises(ProtocolError, match=r"^texts\[1\]: must be a string"):
        COHERE.decode_request({"texts": ["a", 2]})


def test_cohere_responses() -> None:
    by_type = {"id": "e1", "texts": ["a", "b"], "embeddings": {"float": [[0.5], [1]]}, "response_type": "x"}
    floats = {"id": "e1", "texts": ["a", "b"], "embeddings": [[0.5], [1]], "response_type": "embeddings_floats"}
    expected = ir.EmbeddingResponse(model=COHERE_V3, vectors=[[0.5], [1]])
    assert COHERE.decode_response(by_type, model=COHERE_V3) == expected
    assert COHERE.decode_response(floats, model=COHERE_V3) == expected
    with pytest.raises(ProtocolError, match=r"^embeddings\.float: must be a list"):
        COHERE.decode_response({"embeddings": {"int8": [[1]]}})

    typed_request = COHERE.decode_request({"texts": ["a", "b"], "input_type": "x", "embedding_types": ["float"]})
    encoded = COHERE.encode_response(expected, typed_request)
    assert encoded.pop("id").startswith("emb-")
    assert encoded == {
        "texts": ["a", "b"],
        "embeddings": {"float": [[0.5], [1]]},
        "response_type": "embeddings_by_type",
    }
    untyped_request = COHERE.decode_request({"texts": ["a", "b"], "input_type": "x"})
    encoded = COHERE.encode_response(expected, untyped_request)
    del encoded["id"]
    assert encoded == {"texts": ["a", "b"], "embeddings": [[0.5], [1]], "response_type": "embeddings_floats"}
    assert COHERE.decode_response(encoded, model=COHERE_V3) == expected


# ---------------------------------------------------------------------------------------------------------------
# Cross-format rules


@pytest.mark.parametrize("codec", [GEMINI, TITAN, COHERE], ids=lambda codec: codec.name)
def test_token_inputs_are_rejected_cross_protocol(codec: EmbeddingCodec) -> None:
    request = OPENAI.decode_request({"model": "m", "input": [[1, 2], [3]]})
    with pytest.raises(UnsupportedFeature, match=r"^input: token-id inputs can only be sent to OpenAI"):
        codec.encode_request(request, model="amazon.titan-embed-text-v2:0")


@pytest.mark.parametrize(
    ("codec", "model"),
    [(GEMINI, "e"), (TITAN, TITAN_V2), (COHERE, COHERE_V3)],
    ids=["gemini", "titan", "cohere"],
)
def test_response_shaping_keys_are_not_reported_dropped(codec: EmbeddingCodec, model: str) -> None:
    request = OPENAI.decode_request({"model": "m", "input": ["a"], "encoding_format": "base64", "seed": 1})
    _, report = codec.encode_request(request, model=model)
    assert report == [ir.Adaptation("seed", "dropped", f"not supported by {codec.name}")]


def test_no_unset_on_the_wire() -> None:
    request = ir.EmbeddingRequest(model="m", inputs=["a"])
    assert OPENAI.encode_request(request, model="m")[0] == {"model": "m", "input": ["a"]}
    assert GEMINI_SINGLE.encode_request(request, model="m")[0] == {"content": {"parts": [{"text": "a"}]}}
    assert TITAN.encode_request(request, model=TITAN_V2)[0] == {"inputText": "a"}
    assert COHERE.encode_request(request, model=COHERE_V4)[0] == {
        "texts": ["a"],
        "input_type": "search_document",
        "embedding_types": ["float"],
    }


# ---------------------------------------------------------------------------------------------------------------
# codec_for


@pytest.mark.parametrize(
    ("protocol", "model", "codec_type"),
    [
        ("openai_chat", "text-embedding-3-small", OpenAIEmbeddingsCodec),
        ("gemini", "gemini-embedding-001", GeminiEmbeddingsCodec),
        ("bedrock_converse", "amazon.titan-embed-text-v2:0", BedrockTitanEmbeddingsCodec),
        ("bedrock_converse", "amazon.titan-embed-text-v1", BedrockTitanEmbeddingsCodec),
        ("bedrock_converse", "cohere.embed-english-v3", BedrockCohereEmbeddingsCodec),
        ("bedrock_converse", "us.cohere.embed-v4:0", BedrockCohereEmbeddingsCodec),
    ],
)
def test_codec_for(protocol: str, model: str, codec_type: type[Any]) -> None:
    codec = codec_for(protocol, model)
    assert type(codec) is codec_type
    assert codec_for(protocol, model) is codec


def test_codec_for_gemini_is_the_batch_form() -> None:
    codec = codec_for("gemini", "e")
    assert isinstance(codec, GeminiEmbeddingsCodec)
    assert codec.single is False


@pytest.mark.parametrize(
    ("protocol", "model", "message"),
    [
        ("bedrock_converse", "anthropic.claude-3-haiku", "Bedrock model 'anthropic.claude-3-haiku' is not a Titan"),
        ("anthropic_messages", "claude-x", "anthropic_messages has no embeddings API \\(model 'claude-x'\\)"),
    ],
)
def test_codec_for_unsupported(protocol: str, model: str, message: str) -> None:
    with pytest.raises(UnsupportedFeature, match=message) as caught:
        codec_for(protocol, model)
    assert caught.value.model == model


def test_codecs_have_their_names() -> None:
    assert [c.name for c in (OPENAI, GEMINI, TITAN, COHERE)] == [
        "openai_embeddings",
        "gemini_embeddings",
        "bedrock_titan_embeddings",
        "bedrock_cohere_embeddings",
    ]


def test_module_imports_no_vendor_sdk() -> None:
    code = (
        "import sys, routeapi.protocols.embeddings; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('openai', 'google', 'boto3', 'botocore')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
