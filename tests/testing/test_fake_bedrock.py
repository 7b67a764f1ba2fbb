"""FakeBedrock driven by real boto3 over loopback HTTP (Converse, ConverseStream, InvokeModel embeddings)."""

from __future__ import annotations

import binascii
import json
import math
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any, cast

import boto3
import httpx2
import pytest
import urllib3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer
from botocore.exceptions import ClientError, ConnectionClosedError, EventStreamError, ReadTimeoutError

from routeapi.testing import FakeBedrock, Fault, Reply, ToolCall
from routeapi.testing._script import FinishReason

# boto3 builds its clients at run time and no stubs are installed: clients and their answers are untyped.
BedrockClient = Any

MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"
MODEL_PATH = "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0"
MESSAGES = [{"role": "user", "content": [{"text": "Hi"}]}]
ERROR_NAMESPACE = "http://internal.amazon.com/coral/com.amazon.bedrock/"


def make_client(url: str, *, access_key_id: str | None = "AKIDTEST", **config: Any) -> BedrockClient:
    """A boto3 client without retries; with no access key id it uses a Bedrock API key from the environment."""
    options: dict[str, Any] = {"retries": {"total_max_attempts": 1}, **config}
    keys = {"aws_access_key_id": access_key_id, "aws_secret_access_key": "x"} if access_key_id else {}
    new_client = cast("Callable[..., Any]", boto3.client)  # pyright: ignore[reportUnknownMemberType]
    return new_client("bedrock-runtime", region_name="us-east-1", endpoint_url=url, config=Config(**options), **keys)


@pytest.fixture(scope="module")
def client(_routeapi_fake_bedrock_server: FakeBedrock) -> BedrockClient:
    """One boto3 client for the module (creating clients is slow) on the session's fake server."""
    return make_client(_routeapi_fake_bedrock_server.url)


def converse(client: BedrockClient, **params: Any) -> dict[str, Any]:
    response: dict[str, Any] = client.converse(**{"modelId": MODEL, "messages": MESSAGES, **params})
    return response


def stream_events(client: BedrockClient, **params: Any) -> list[dict[str, Any]]:
    response = client.converse_stream(**{"modelId": MODEL, "messages": MESSAGES, **params})
    return list(response["stream"])


def error_response(error: ClientError | EventStreamError) -> dict[str, Any]:
    """The parsed error botocore attached to its exception (``Error``, ``ResponseMetadata``)."""
    return cast("dict[str, Any]", error.response)  # pyright: ignore[reportUnknownMemberType]


def client_error(caught: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    """(HTTP status, error code, message) of a botocore ClientError."""
    response = error_response(caught.value)
    error = response["Error"]
    return response["ResponseMetadata"]["HTTPStatusCode"], error["Code"], error["Message"]


def block_delta(index: int, delta: dict[str, Any]) -> dict[str, Any]:
    return {"contentBlockDelta": {"contentBlockIndex": index, "delta": delta}}


def block_stop(index: int) -> dict[str, Any]:
    return {"contentBlockStop": {"contentBlockIndex": index}}


def tool_start(index: int, tool_use_id: str, name: str) -> dict[str, Any]:
    return {
        "contentBlockStart": {
            "contentBlockIndex": index,
            "start": {"toolUse": {"toolUseId": tool_use_id, "name": name}},
        }
    }


def without_latency(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events with metadata's ``metrics`` checked (a small latency) and removed, for exact comparison."""
    metadata = events[-1]["metadata"]
    assert 0 <= metadata.pop("metrics")["latencyMs"] < 1000
    return events


def raw_stream(fake: FakeBedrock, body: dict[str, Any]) -> tuple[str, list[bytes]]:
    """The response head and HTTP chunks of a ConverseStream call, read straight off the socket."""
    payload = json.dumps(body).encode()
    head = (
        f"POST {MODEL_PATH}/converse-stream HTTP/1.1\r\nHost: fake\r\nAuthorization: Bearer bedrock-key\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", fake.port), timeout=5) as sock:
        sock.sendall(head.encode() + payload)
        received = b""
        while data := sock.recv(65536):
            received += data
    response_head, _, rest = received.partition(b"\r\n\r\n")
    chunks: list[bytes] = []
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            assert rest == b"\r\n"
            return response_head.decode("latin-1"), chunks
        chunks.append(rest[:size])
        assert rest[size : size + 2] == b"\r\n"
        rest = rest[size + 2 :]


def decoded(pieces: Iterable[bytes]) -> list[tuple[dict[str, Any], Any]]:
    """(headers, JSON payload) of each event-stream message, parsed by botocore's own buffer."""
    buffer: Any = EventStreamBuffer()
    messages: list[tuple[dict[str, Any], Any]] = []
    for piece in pieces:
        buffer.add_data(piece)
        messages += [(dict(message.headers), json.loads(message.payload)) for message in buffer]
    return messages


# --- Converse ---


def test_plain_text_and_recorded_request(fake_bedrock: FakeBedrock, client: BedrockClient) -> None:
    assert fake_bedrock.requests == []  # the plugin resets between tests
    fake_bedrock.script(MODEL, Reply("Hello there"))

    response = converse(client, system=[{"text": "be brief"}], inferenceConfig={"maxTokens": 64, "temperature": 0})

    assert response["output"] == {"message": {"role": "assistant", "content": [{"text": "Hello there"}]}}
    assert response["stopReason"] == "end_turn"
    assert response["usage"] == {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15}
    assert 0 <= response["metrics"]["latencyMs"] < 1000
    assert response["ResponseMetadata"]["RequestId"] == "req_1"
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"] == "req_1"
    [record] = fake_bedrock.requests
    assert (record.method, record.path, record.model, record.stream) == ("POST", f"{MODEL_PATH}/converse", MODEL, False)
    assert record.json == {
        "messages": MESSAGES,
        "system": [{"text": "be brief"}],
        "inferenceConfig": {"maxTokens": 64, "temperature": 0},
    }
    assert record.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDTEST/")
    assert "x-amz-date" in record.headers


def test_unscripted_model_gets_the_default_reply(fake_bedrock: FakeBedrock, client: BedrockClient) -> None:
    response = converse(client, modelId="us.amazon.nova-pro-v1:0")

    assert response["output"]["message"]["content"] == [{"text": "Hello from fake Bedrock!"}]
    assert fake_bedrock.requests[0].model == "us.amazon.nova-pro-v1:0"


def test_tool_use_round_trip_over_two_calls(fake_bedrock: FakeBedrock, client: BedrockClient) -> None:
    calls = [ToolCall("get_weather", {"city": "Paris"}, id="tooluse_A"), ToolCall("get_time", '{"tz": "UTC"}')]
    fake_bedrock.script(MODEL, Reply(tool_calls=calls), Reply("Sunny, 20 degrees"))
    tools = {"tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": {"type": "object"}}}}]}

    first = converse(client, toolConfig=tools)
    tool_uses = first["output"]["message"]["content"]
    history = [
        *MESSAGES,
        first["output"]["message"],
        {"role": "user", "content": [{"toolResult": {"toolUseId": "tooluse_A", "content": [{"json": {"temp": 20}}]}}]},
    ]
    second = converse(client, messages=history, toolConfig=tools)

    assert first["stopReason"] == "tool_use"
    assert tool_uses == [
        {"toolUse": {"toolUseId": "tooluse_A", "name": "get_weather", "input": {"city": "Paris"}}},
        {"toolUse": {"toolUseId": "tooluse_1_1", "name": "get_time", "input": {"tz": "UTC"}}},
    ]
    assert second["output"]["message"]["content"] == [{"text": "Sunny, 20 degrees"}]
    assert second["stopReason"] == "end_turn"
    assert fake_bedrock.requests[1].json["messages"][2] == {
        "role": "user",
        "content": [{"toolResult": {"toolUseId": "tooluse_A", "content": [{"json": {"temp": 20}}]}}],
    }
    assert fake_bedrock.requests[1].json["toolConfig"] == tools


def test_tool_arguments_that_are_not_a_json_object_are_kept_raw(
    fake_bedrock: FakeBedrock, client: BedrockClient
) -> None:
    fake_bedrock.script(MODEL, Reply(tool_calls=[ToolCall("f", '{"a": nope}', id="t1"), ToolCall("g", "[1]", id="t2")]))

    content = converse(client)["output"]["message"]["content"]

    assert [block["toolUse"]["input"] for block in content] == [{"_raw": '{"a": nope}'}, {"_raw": "[1]"}]


def test_reasoning_with_and_without_signature(fake_bedrock: FakeBedrock, client: BedrockClient) -> None:
    fake_bedrock.script(
        MODEL, Reply("Answer", thinking="Let me think", thinking_signature="EqQBCgIYAhIM"), Reply(thinking="hmm")
    )

    signed = converse(client)["output"]["message"]["content"]
    unsigned = converse(client)["output"]["message"]["content"]

    assert signed == [
        {"reasoningContent": {"reasoningText": {"text": "Let me think", "signature": "EqQBCgIYAhIM"}}},
        {"text": "Answer"},
    ]
    assert unsigned == [{"reasoningContent": {"reasoningText": {"text": "hmm"}}}]


def test_usage_reports_cache_tokens_apart_from_input_tokens(fake_bedrock: FakeBedrock, client: BedrockClient) -> None:
    reply = Reply("x", input_tokens=30, output_tokens=9, cache_read_tokens=10, cache_write_tokens=5)
    fake_bedrock.script(MODEL, reply)

    plain = converse(client)["usage"]
    streamed = stream_events(client)[-1]["metadata"]["usage"]

    expected = {
        "inputTokens": 15,
        "outputTokens": 9,
        "totalTokens": 39,
        "cacheReadInputTokens": 10,
        "cacheWriteInputTokens": 5,
    }
    assert plain == expected
    assert streamed == expected


STOP_REASONS: list[tuple[FinishReason, str]] = [
    ("stop", "end_turn"),
    ("tool_calls", "tool_use"),
    ("length", "max_tokens"),
    ("content_filter", "content_filtered"),
    ("stop_sequence", "stop_sequence"),
]


@pytest.mark.parametrize(("finish", "stop_reason"), STOP_REASONS)
def test_stop_reasons(fake_bedrock: FakeBedrock, client: BedrockClient, finish: FinishReason, stop_reason: str) -> None:
    fake_bedrock.script(MODEL, Reply("text", finish_reason=finish))

    plain = converse(client)
    events = stream_events(client)

    assert plain["stopReason"] == stop_reason
    assert events[-2] == {"messageStop": {"stopReason": stop_reason}}


def test_reply_extra_goes_to_the_body_or_the_stream_events(fake_bedrock: FakeBedrock, client: BedrockClient) -> None:
    extra = {"additionalModelResponseFields": {"stop_sequence": "END"}, "performanceConfig": {"latency": "optimized"}}
    fake_bedrock.script(MODEL, Reply("x", extra=extra))

    plain = converse(client)
    events = stream_events(client)

    assert plain["additionalModelResponseFields"] == {"stop_sequence": "END"}
    assert plain["performanceConfig"] == {"latency": "optimized"}
    assert events[-2] == {
        "messageStop": {"stopReason": "end_turn", "additionalModelResponseFields": {"stop_sequence": "END"}}
    }
    assert events[-1]["metadata"]["performanceConfig"] == {"latency": "optimized"}


# --- ConverseStream ---

FULL = Reply(
    "Hello world",
    thinking="Let me think",
    thinking_signature="EqQBCgIYAhIM",
    tool_calls=[
        ToolCall("get_weather", {"city": "Paris"}, id="tooluse_A"),
        ToolCall("get_time", {"tz": "Europe/Paris"}, id="tooluse_B"),
    ],
    chunk_size=5,
    input_tokens=20,
    output_tokens=42,
    cache_read_tokens=5,
)


def test_stream_events_in_order(fake_bedrock: FakeBedrock, client: BedrockClient) -> None:
    fake_bedrock.script(MODEL, FULL)

    response = client.converse_stream(modelId=MODEL, messages=MESSAGES, inferenceConfig={"temperature": 0})
    events = without_latency(list(response["stream"]))

    assert events == [
        {"messageStart": {"role": "assistant"}},
        block_delta(0, {"reasoningContent": {"text": "Let m"}}),
        block_delta(0, {"reasoningContent": {"text": "e thi"}}),
        block_delta(0, {"reasoningContent": {"text": "nk"}}),
        block_delta(0, {"reasoningContent": {"signature": "EqQBCgIYAhIM"}}),
        block_stop(0),
        block_delta(1, {"text": "Hello"}),
        block_delta(1, {"text": " worl"}),
        block_delta(1, {"text": "d"}),
        block_stop(1),
        tool_start(2, "tooluse_A", "get_weather"),
        block_delta(2, {"toolUse": {"input": '{"cit'}}),
        block_delta(2, {"toolUse": {"input": 'y":"P'}}),
        block_delta(2, {"toolUse": {"input": 'aris"'}}),
        block_delta(2, {"toolUse": {"input": "}"}}),
        block_stop(2),
        tool_start(3, "tooluse_B", "get_time"),
        block_delta(3, {"toolUse": {"input": '{"tz"'}}),
        block_delta(3, {"toolUse": {"input": ':"Eur'}}),
        block_delta(3, {"toolUse": {"input": "ope/P"}}),
        block_delta(3, {"toolUse": {"input": 'aris"'}}),
        block_delta(3, {"toolUse": {"input": "}"}}),
        block_stop(3),
        {"messageStop": {"stopReason": "tool_use"}},
        {"metadata": {"usage": {"inputTokens": 15, "outputTokens": 42, "totalTokens": 62, "cacheReadInputTokens": 5}}},
    ]
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/vnd.amazon.eventstream"
    assert response["ResponseMetadata"]["RequestId"] == "req_1"
    [record] = fake_bedrock.requests
    assert (record.path, record.model, record.stream) == (f"{MODEL_PATH}/converse-stream", MODEL, True)
    assert record.json == {"messages": MESSAGES, "inferenceConfig": {"temperature": 0}}


def test_streamed_tool_inputs_join_to_valid_json(fake_bedrock: FakeBedrock, client: BedrockClient) -> None:
    calls = [ToolCall("search", {"query": "bedrock fakes", "limit": 3}), ToolCall("lookup", {"ids": [1, 2, 3]})]
    fake_bedrock.script(MODEL, Reply(tool_calls=calls, chunk_size=3))

    events = stream_events(client)

    starts: dict[int, Any] = {}
    fragments: dict[int, list[str]] = {0: [], 1: []}
    for event in events:
        if "contentBlockDelta" in event:
            delta = event["contentBlockDelta"]
            fragments[delta["contentBlockIndex"]].append(delta["delta"]["toolUse"]["input"])
        if "contentBlockStart" in event:
            start = event["contentBlockStart"]
            starts[start["contentBlockIndex"]] = start["start"]["toolUse"]
    assert starts == {
        0: {"toolUseId": "tooluse_1_0", "name": "search"},
        1: {"toolUseId": "tooluse_1_1", "name": "lookup"},
    }
    assert len(fragments[0]) == 12
    assert [json.loads("".join(pieces)) for pieces in fragments.values()] == [
        {"query": "bedrock fakes", "limit": 3},
        {"ids": [1, 2, 3]},
    ]
    assert events[-2] == {"messageStop": {"stopReason": "tool_use"}}


def test_stream_wire_one_frame_per_chunk(fake_bedrock: FakeBedrock) -> None:
    fake_bedrock.script(MODEL, Reply("Hi!", tool_calls=[ToolCall("f", {"a": 1}, id="t1")], chunk_size=2))

    head, chunks = raw_stream(fake_bedrock, {"messages": MESSAGES})

    assert head.startswith("HTTP/1.1 200 OK\r\n")
    assert "content-type: application/vnd.amazon.eventstream\r\n" in head
    assert "transfer-encoding: chunked\r\n" in head
    assert "x-amzn-RequestId: req_1\r\n" in head
    per_chunk = [decoded([chunk]) for chunk in chunks]
    assert all(len(messages) == 1 for messages in per_chunk)  # each HTTP chunk is exactly one whole message
    messages = [messages[0] for messages in per_chunk]
    assert [headers for headers, _ in messages] == [
        {":event-type": name, ":content-type": "application/json", ":message-type": "event"}
        for name in [
            "messageStart",
            "contentBlockDelta",
            "contentBlockDelta",
            "contentBlockStop",
            "contentBlockStart",
            "contentBlockDelta",
            "contentBlockDelta",
            "contentBlockDelta",
            "contentBlockDelta",
            "contentBlockStop",
            "messageStop",
            "metadata",
        ]
    ]
    assert messages[4][1] == {"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "t1", "name": "f"}}}
    # The framing of section 7.5, checked independently of botocore: lengths, prelude CRC, message CRC.
    first = chunks[0]
    headers_length = int.from_bytes(first[4:8], "big")
    assert int.from_bytes(first[:4], "big") == len(first) == 12 + headers_length + len(b'{"role":"assistant"}') + 4
    assert int.from_bytes(first[8:12], "big") == binascii.crc32(first[:8])
    assert int.from_bytes(first[-4:], "big") == binascii.crc32(first[:-4])
    # A reader that receives the same bytes at odd boundaries decodes the same messages.
    body = b"".join(chunks)
    assert decoded(body[i : i + 7] for i in range(0, len(body), 7)) == messages


# --- faults ---


def test_throttling_status(fake_bedrock: FakeBedrock, client: BedrockClient) -> None:
    fake_bedrock.script(MODEL, Fault.status(429, "Too many requests, please wait before trying again."))

    with pytest.raises(ClientError) as caught:
        converse(client)

    assert isinstance(caught.value, client.exceptions.ThrottlingException)
    assert client_error(caught) == (429, "ThrottlingException", "Too many requests, please wait before trying again.")
    headers = error_response(caught.value)["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-errortype"] == f"ThrottlingException:{ERROR_NAMESPACE}"
    assert headers["x-amzn-requestid"] == "req_1"


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "ValidationException"),
        (403, "AccessDeniedException"),
        (404, "ResourceNotFoundException"),
        (408, "ModelTimeoutException"),
        (424, "ModelErrorException"),
        (500, "InternalServerException"),
        (503, "ServiceUnavailableException"),
    ],
)
def test_status_error_types(fake_bedrock: FakeBedrock, client: BedrockClient, status: int, code: str) -> None:
    fake_bedrock.script(MODEL, Fault.status(status, "nope"))

    with pytest.raises(ClientError) as caught:
        converse(client)

    assert client_error(caught) == (status, code, "nope")


def test_error_type_overrides_and_stream_calls_fail_before_the_stream(
    fake_bedrock: FakeBedrock, client: BedrockClient
) -> None:
    fake_bedrock.script(
        MODEL,
        Fault.status(400, "Input is too long for requested model.", error_type="ValidationException"),
        Fault.status(429, "Model is getting ready.", error_type="ModelNotReadyException"),
    )

    with pytest.raises(ClientError) as too_long:
        client.converse_stream(modelId=MODEL, messages=MESSAGES)
    with pytest.raises(ClientError) as not_ready:
        converse(client)

    assert isinstance(too_long.value, client.exceptions.ValidationException)
    assert client_error(too_long) == (400, "ValidationException", "Input is too long for requested model.")
    assert client_error(not_ready) == (429, "ModelNotReadyException", "Model is getting ready.")


def test_in_stream_throttling_exception(fake_bedrock: FakeBedrock, client: BedrockClient) -> None:
    fake_bedrock.script(MODEL, Fault.stream_error(2, error_type="ThrottlingException", message="Slow down"))

    response = client.converse_stream(modelId=MODEL, messages=MESSAGES)
    received: list[dict[str, Any]] = []
    with pytest.raises(EventStreamError) as caught:
        received.extend(response["stream"])

    assert received == [{"messageStart": {"role": "assistant"}}, block_delta(0, {"text": "Hell"})]
    assert error_response(caught.value)["Error"] == {"Code": "throttlingException", "Message": "Slow down"}


def test_in_stream_default_exception_is_model_stream_error(fake_bedrock: FakeBedrock, client: BedrockClient) -> None:
    fake_bedrock.script(MODEL, Fault.stream_error(0))

    response = client.converse_stream(modelId=MODEL, messages=MESSAGES)
    with pytest.raises(EventStreamError) as caught:
        list(response["stream"])

    assert error_response(caught.value)["Error"] == {"Code": "modelStreamErrorException", "Message": "Overloaded"}


def test_corrupted_checksum(fake_bedrock: FakeBedrock, client: BedrockClient) -> None:
    fake_bedrock.script(MODEL, Fault.malformed(1))

    stream = iter(client.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"])
    first = next(stream)
    with pytest.raises(ChecksumMismatch):
        next(stream)

    assert first == {"messageStart": {"role": "assistant"}}


def test_cut_stream_ends_without_message_stop(fake_bedrock: FakeBedrock, client: BedrockClient) -> None:
    fake_bedrock.script(MODEL, Fault.cut(after_events=3, then=Reply("Hello world")))

    events = stream_events(client)  # ends quietly

    assert events == [
        {"messageStart": {"role": "assistant"}},
        block_delta(0, {"text": "Hell"}),
        block_delta(0, {"text": "o wo"}),
    ]


def test_stream_faults_answer_converse_with_their_reply(fake_bedrock: FakeBedrock, client: BedrockClient) -> None:
    fake_bedrock.script(MODEL, Fault.cut(1, then=Reply("whole")))

    assert converse(client)["output"]["message"]["content"] == [{"text": "whole"}]


def test_delay_shows_in_latency(fake_bedrock: FakeBedrock, client: BedrockClient) -> None:
    fake_bedrock.script(MODEL, Fault.delay(0.2, Reply("late")))

    started = time.monotonic()
    response = converse(client)

    assert time.monotonic() - started >= 0.2
    assert 200 <= response["metrics"]["latencyMs"] < 2000
    assert response["output"]["message"]["content"] == [{"text": "late"}]


def test_reset(fake_bedrock: FakeBedrock, client: BedrockClient) -> None:
    fake_bedrock.script(MODEL, Fault.reset())

    with pytest.raises(ConnectionClosedError):
        converse(client)


def test_stall(fake_bedrock: FakeBedrock) -> None:
    fake_bedrock.script(MODEL, Fault.stall(), Fault.stall(after_events=1))
    impatient = make_client(fake_bedrock.url, read_timeout=0.3)

    with pytest.raises(ReadTimeoutError):
        converse(impatient)
    response = impatient.converse_stream(modelId=MODEL, messages=MESSAGES)
    stream = iter(response["stream"])
    first = next(stream)
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):  # botocore does not wrap timeouts mid-stream
        next(stream)
    response["stream"].close()

    assert first == {"messageStart": {"role": "assistant"}}
    assert fake_bedrock.wait_for_disconnect(1, timeout=2.0) is True


# --- InvokeModel embeddings ---


def invoke(client: BedrockClient, model: str, body: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    response = client.invoke_model(modelId=model, body=json.dumps(body), contentType="application/json")
    return response, json.loads(response["body"].read())


def test_titan_embeddings(fake_bedrock: FakeBedrock, client: BedrockClient) -> None:
    fake_bedrock.script("amazon.titan-embed-text-v2:0", Reply(input_tokens=3))

    response, body = invoke(client, "amazon.titan-embed-text-v2:0", {"inputText": "hello", "dimensions": 4})
    _, default_size = invoke(client, "amazon.titan-embed-text-v2:0", {"inputText": "hello", "normalize": True})

    assert response["contentType"] == "application/json"
    assert body == {"embedding": FakeBedrock.embedding_for("hello", 4), "inputTextTokenCount": 3}
    assert len(default_size["embedding"]) == 8
    assert math.isclose(sum(value * value for value in body["embedding"]), 1.0, rel_tol=1e-6)
    assert FakeBedrock.embedding_for("hello", 4) != FakeBedrock.embedding_for("hullo", 4)
    record = fake_bedrock.requests[0]
    assert (record.path, record.model) == (
        "/model/amazon.titan-embed-text-v2%3A0/invoke",
        "amazon.titan-embed-text-v2:0",
    )
    assert record.json == {"inputText": "hello", "dimensions": 4}


def test_cohere_embeddings(fake_bedrock: FakeBedrock, client: BedrockClient) -> None:
    request = {"texts": ["first", "second"], "input_type": "search_document"}

    _, floats = invoke(client, "cohere.embed-english-v3", request)
    _, by_type = invoke(client, "cohere.embed-english-v3", {**request, "embedding_types": ["float"]})

    vectors = [FakeBedrock.embedding_for("first"), FakeBedrock.embedding_for("second")]
    assert floats == {
        "embeddings": vectors,
        "id": "emb-fake1",
        "response_type": "embeddings_floats",
        "texts": ["first", "second"],
    }
    assert by_type["embeddings"] == {"float": vectors}
    assert by_type["response_type"] == "embeddings_by_type"


@pytest.mark.parametrize(
    ("model", "body", "message"),
    [
        ("amazon.titan-embed-text-v2:0", {"prompt": "x"}, "expected a Titan body with inputText"),
        ("amazon.titan-embed-text-v2:0", {"inputText": "x", "dimensions": 0}, "dimensions must be a positive integer"),
        ("cohere.embed-english-v3", {"texts": ["x"]}, "input_type is required"),
        ("cohere.embed-english-v3", {"texts": "x", "input_type": "search_query"}, "texts must be a list of strings"),
    ],
)
def test_invalid_embedding_bodies(client: BedrockClient, model: str, body: dict[str, Any], message: str) -> None:
    with pytest.raises(ClientError) as caught:
        invoke(client, model, body)

    status, code, text = client_error(caught)
    assert (status, code) == (400, "ValidationException")
    assert message in text


# --- auth and request checks ---


def test_missing_auth_gets_403(fake_bedrock: FakeBedrock) -> None:
    unsigned = make_client(fake_bedrock.url, signature_version=UNSIGNED)

    with pytest.raises(ClientError) as caught:
        converse(unsigned)

    assert client_error(caught) == (403, "AccessDeniedException", "Missing Authentication Token")
    assert "authorization" not in fake_bedrock.requests[0].headers


def test_api_key_checks_access_key_id_and_bearer_token(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeBedrock(api_key="AKIDRIGHT") as fake:
        fake.script(MODEL, Reply("ok"))
        with pytest.raises(ClientError) as wrong:
            converse(make_client(fake.url))
        right_answer = converse(make_client(fake.url, access_key_id="AKIDRIGHT"))
        # botocore prefers the Bedrock API key whenever this variable is set, so set it only now.
        monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "AKIDRIGHT")
        bearer_answer = converse(make_client(fake.url, access_key_id=None))
        wrong_bearer = httpx2.post(
            f"{fake.url}{MODEL_PATH}/converse", json={"messages": MESSAGES}, headers={"authorization": "Bearer nope"}
        )

    assert client_error(wrong) == (
        403,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )
    assert right_answer["output"]["message"]["content"] == [{"text": "ok"}]
    assert bearer_answer["output"]["message"]["content"] == [{"text": "ok"}]
    assert fake.requests[2].headers["authorization"] == "Bearer AKIDRIGHT"
    assert wrong_bearer.status_code == 403
    assert wrong_bearer.json() == {"message": "The security token included in the request is invalid."}
    assert wrong_bearer.headers["x-amzn-errortype"] == f"UnrecognizedClientException:{ERROR_NAMESPACE}"


def test_missing_messages_is_a_validation_error(fake_bedrock: FakeBedrock, client: BedrockClient) -> None:
    with pytest.raises(ClientError) as caught:
        client.converse(modelId=MODEL)

    assert client_error(caught) == (400, "ValidationException", "Missing required parameter: 'messages'.")


def test_unknown_path_is_404(fake_bedrock: FakeBedrock) -> None:
    response = httpx2.post(f"{fake_bedrock.url}/model/x/count-tokens", json={}, headers={"authorization": "Bearer k"})

    assert response.status_code == 404
    assert response.headers["x-amzn-errortype"] == f"ResourceNotFoundException:{ERROR_NAMESPACE}"
    assert response.headers["x-amzn-requestid"] == "req_1"
    assert response.json() == {"message": "Unknown endpoint: POST /model/x/count-tokens"}
