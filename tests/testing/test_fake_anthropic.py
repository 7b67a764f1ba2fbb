"""FakeAnthropic driven by the real anthropic SDK (sync and async) over loopback HTTP."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anthropic
import httpx2
import pytest
from anthropic.types import MessageParam

from routeapi.testing import FakeAnthropic, Fault, Reply, ToolCall
from routeapi.testing._script import FinishReason

MODEL = "claude-test-model"
MESSAGES: list[MessageParam] = [{"role": "user", "content": "Hi"}]
KEY = "sk-ant-test"


@pytest.fixture
def client(fake_anthropic: FakeAnthropic) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=fake_anthropic.base_url, api_key=KEY, max_retries=0) as sdk:
        yield sdk


@pytest.fixture
async def aclient(fake_anthropic: FakeAnthropic) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(base_url=fake_anthropic.base_url, api_key=KEY, max_retries=0) as sdk:
        yield sdk


def raw_events(fake: FakeAnthropic, **body: Any) -> list[tuple[str, dict[str, Any]]]:
    """(event name, JSON data) pairs of a streamed message, read straight off the wire."""
    response = httpx2.post(
        f"{fake.base_url}/v1/messages",
        json={"model": MODEL, "max_tokens": 64, "messages": MESSAGES, "stream": True, **body},
        headers={"x-api-key": KEY, "anthropic-version": "2023-06-01"},
        timeout=5,
    )
    assert response.status_code == 200
    assert response.text.endswith("\n\n")
    pairs: list[tuple[str, dict[str, Any]]] = []
    for block in response.text.split("\n\n"):
        if block:
            event_line, data_line = block.split("\n")
            data: dict[str, Any] = json.loads(data_line.removeprefix("data: "))
            pairs.append((event_line.removeprefix("event: "), data))
    return pairs


def summary(content: Any) -> list[tuple[Any, ...]]:
    """Content blocks as comparable tuples."""
    rows: list[tuple[Any, ...]] = []
    for block in content:
        if block.type == "thinking":
            rows.append(("thinking", block.thinking, block.signature))
        elif block.type == "text":
            rows.append(("text", block.text))
        else:
            rows.append((block.type, block.id, block.name, block.input))
    return rows


# --- plain replies ---


def test_plain_text_and_recorded_request(fake_anthropic: FakeAnthropic, client: anthropic.Anthropic) -> None:
    assert fake_anthropic.requests == []  # the plugin resets between tests
    fake_anthropic.script(MODEL, Reply("Hello there", id="msg_1"))

    message = client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES, extra_body={"temperature": 0})

    assert message.id == "msg_1"
    assert message.model == MODEL
    assert summary(message.content) == [("text", "Hello there")]
    assert message.stop_reason == "end_turn"
    assert message.stop_sequence is None
    assert (message.usage.input_tokens, message.usage.output_tokens) == (10, 5)
    assert message._request_id == "req_1"
    [record] = fake_anthropic.requests
    assert (record.method, record.path, record.model) == ("POST", "/v1/messages", MODEL)
    assert record.json == {"max_tokens": 64, "messages": MESSAGES, "model": MODEL, "temperature": 0}
    assert record.headers["authorization"] == f"Bearer {KEY}"
    assert "anthropic-version" in record.headers
    assert record.client_disconnected is False


async def test_plain_text_async(fake_anthropic: FakeAnthropic, aclient: anthropic.AsyncAnthropic) -> None:
    message = await aclient.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES)

    assert summary(message.content) == [("text", "Hello from fake Anthropic!")]
    assert fake_anthropic.requests[0].json == {"max_tokens": 64, "messages": MESSAGES, "model": MODEL}


def test_usage_excludes_cache_from_input_tokens(fake_anthropic: FakeAnthropic, client: anthropic.Anthropic) -> None:
    reply = Reply("x", input_tokens=30, output_tokens=9, cache_read_tokens=10, cache_write_tokens=5, reasoning_tokens=4)
    fake_anthropic.script(MODEL, reply)

    plain = client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES).usage
    with client.messages.stream(model=MODEL, max_tokens=64, messages=MESSAGES) as stream:
        streamed = stream.get_final_message().usage

    for usage in (plain, streamed):
        assert usage.input_tokens == 15
        assert usage.cache_read_input_tokens == 10
        assert usage.cache_creation_input_tokens == 5
        assert usage.output_tokens == 9
        assert usage.output_tokens_details is not None
        assert usage.output_tokens_details.thinking_tokens == 4


STOP_REASONS: list[tuple[FinishReason, str]] = [
    ("stop", "end_turn"),
    ("stop_sequence", "stop_sequence"),
    ("length", "max_tokens"),
    ("tool_calls", "tool_use"),
    ("content_filter", "refusal"),
]


@pytest.mark.parametrize(("finish", "stop_reason"), STOP_REASONS)
def test_stop_reasons(
    fake_anthropic: FakeAnthropic, client: anthropic.Anthropic, finish: FinishReason, stop_reason: str
) -> None:
    fake_anthropic.script(MODEL, Reply("text", finish_reason=finish))

    message = client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES, stop_sequences=["END", "FIN"])
    with client.messages.stream(model=MODEL, max_tokens=64, messages=MESSAGES, stop_sequences=["END"]) as stream:
        final = stream.get_final_message()

    expected_sequence = "END" if finish == "stop_sequence" else None
    assert (message.stop_reason, message.stop_sequence) == (stop_reason, expected_sequence)
    assert (final.stop_reason, final.stop_sequence) == (stop_reason, expected_sequence)


def test_count_tokens_is_deterministic(client: anthropic.Anthropic) -> None:
    first = client.messages.count_tokens(model=MODEL, messages=MESSAGES)
    second = client.messages.count_tokens(model=MODEL, messages=MESSAGES)
    longer = client.messages.count_tokens(model=MODEL, messages=[{"role": "user", "content": "Hi " * 100}])

    assert first.input_tokens == second.input_tokens == 20
    assert longer.input_tokens == 94


# --- streaming ---

FULL = Reply(
    "Hello world",
    thinking="Let me think",
    thinking_signature="EqQBCgIYAhIM",
    tool_calls=[
        ToolCall("get_weather", {"city": "Paris"}, id="toolu_A"),
        ToolCall("get_time", {"tz": "Europe/Paris"}, id="toolu_B"),
    ],
    chunk_size=5,
    id="msg_full",
    output_tokens=42,
)
FULL_CONTENT = [
    ("thinking", "Let me think", "EqQBCgIYAhIM"),
    ("text", "Hello world"),
    ("tool_use", "toolu_A", "get_weather", {"city": "Paris"}),
    ("tool_use", "toolu_B", "get_time", {"tz": "Europe/Paris"}),
]


def test_stream_helper_matches_the_plain_message(fake_anthropic: FakeAnthropic, client: anthropic.Anthropic) -> None:
    fake_anthropic.script(MODEL, FULL)

    plain = client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES)
    with client.messages.stream(model=MODEL, max_tokens=64, messages=MESSAGES) as stream:
        text = list(stream.text_stream)
        final = stream.get_final_message()

    assert text == ["Hello", " worl", "d"]
    assert summary(plain.content) == FULL_CONTENT
    assert summary(final.content) == FULL_CONTENT
    for message in (plain, final):
        assert (message.id, message.model, message.stop_reason) == ("msg_full", MODEL, "tool_use")
        assert message.usage.output_tokens == 42


async def test_stream_helper_async(fake_anthropic: FakeAnthropic, aclient: anthropic.AsyncAnthropic) -> None:
    fake_anthropic.script(MODEL, FULL)

    async with aclient.messages.stream(model=MODEL, max_tokens=64, messages=MESSAGES) as stream:
        final = await stream.get_final_message()

    assert summary(final.content) == FULL_CONTENT
    assert final.stop_reason == "tool_use"


def test_stream_wire_shape(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(
        MODEL,
        Reply(
            "Hi!",
            thinking="hmm",
            thinking_signature="sig",
            tool_calls=[ToolCall("f", {"a": 1}, id="toolu_1")],
            chunk_size=4,
            input_tokens=20,
            cache_read_tokens=5,
            id="msg_w",
        ),
    )

    events = raw_events(fake_anthropic)

    assert all(data["type"] == name for name, data in events)
    assert [(name, data.get("index"), data.get("delta", {}).get("type")) for name, data in events] == [
        ("message_start", None, None),
        ("ping", None, None),
        ("content_block_start", 0, None),
        ("content_block_delta", 0, "thinking_delta"),
        ("content_block_delta", 0, "signature_delta"),
        ("content_block_stop", 0, None),
        ("content_block_start", 1, None),
        ("content_block_delta", 1, "text_delta"),
        ("content_block_stop", 1, None),
        ("content_block_start", 2, None),
        ("content_block_delta", 2, "input_json_delta"),
        ("content_block_delta", 2, "input_json_delta"),
        ("content_block_delta", 2, "input_json_delta"),
        ("content_block_stop", 2, None),
        ("message_delta", None, None),
        ("message_stop", None, None),
    ]
    start = events[0][1]["message"]
    assert start["content"] == []
    assert start["stop_reason"] is None
    assert start["usage"]["input_tokens"] == 15
    assert start["usage"]["cache_read_input_tokens"] == 5
    assert events[2][1]["content_block"] == {"type": "thinking", "thinking": "", "signature": ""}
    assert events[9][1]["content_block"] == {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}
    assert [data["delta"]["partial_json"] for _, data in events[10:13]] == ["", '{"a"', ":1}"]
    assert events[14][1]["delta"] == {"stop_reason": "tool_use", "stop_sequence": None}
    assert events[14][1]["usage"] == {"output_tokens": 5}


def test_invalid_tool_json_streamed_makes_the_helper_raise(
    fake_anthropic: FakeAnthropic, client: anthropic.Anthropic
) -> None:
    fake_anthropic.script(MODEL, Reply(tool_calls=[ToolCall("f", '{"a": nope}')]))

    with (
        client.messages.stream(model=MODEL, max_tokens=64, messages=MESSAGES) as stream,
        pytest.raises(ValueError, match="Unable to parse tool parameter JSON"),
    ):
        stream.get_final_message()


# --- faults ---


def test_overloaded_status(fake_anthropic: FakeAnthropic, client: anthropic.Anthropic) -> None:
    fake_anthropic.script(MODEL, Fault.status(529))

    with pytest.raises(anthropic.OverloadedError) as caught:
        client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES)

    assert caught.value.status_code == 529
    assert caught.value.body == {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    assert caught.value.request_id == "req_1"
    assert caught.value.response.headers["x-should-retry"] == "false"


async def test_rate_limit_status_async(fake_anthropic: FakeAnthropic, aclient: anthropic.AsyncAnthropic) -> None:
    fake_anthropic.script(MODEL, Fault.status(429, "Too many", headers={"retry-after": "3"}))

    with pytest.raises(anthropic.RateLimitError) as caught:
        await aclient.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES)

    assert caught.value.status_code == 429
    assert caught.value.response.headers["retry-after"] == "3"
    assert caught.value.body == {"type": "error", "error": {"type": "rate_limit_error", "message": "Too many"}}


@pytest.mark.parametrize(
    ("status", "error_type"),
    [(400, "invalid_request_error"), (403, "permission_error"), (404, "not_found_error"), (500, "api_error")],
)
def test_status_error_types(
    fake_anthropic: FakeAnthropic, client: anthropic.Anthropic, status: int, error_type: str
) -> None:
    fake_anthropic.script(MODEL, Fault.status(status, "nope"))

    with pytest.raises(anthropic.APIStatusError) as caught:
        client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES)

    assert caught.value.status_code == status
    assert caught.value.body == {"type": "error", "error": {"type": error_type, "message": "nope"}}


def test_delay(fake_anthropic: FakeAnthropic, client: anthropic.Anthropic) -> None:
    fake_anthropic.script(MODEL, Fault.delay(0.3, Reply("late")))

    started = time.monotonic()
    message = client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES)

    assert time.monotonic() - started >= 0.3
    assert summary(message.content) == [("text", "late")]


async def test_delay_then_fault_async(fake_anthropic: FakeAnthropic, aclient: anthropic.AsyncAnthropic) -> None:
    fake_anthropic.script(MODEL, Fault.delay(0.2, Fault.status(529)))

    started = time.monotonic()
    with pytest.raises(anthropic.OverloadedError):
        await aclient.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES)
    assert time.monotonic() - started >= 0.2


def test_reset(fake_anthropic: FakeAnthropic, client: anthropic.Anthropic) -> None:
    fake_anthropic.script(MODEL, Fault.reset())

    with pytest.raises(anthropic.APIConnectionError):
        client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES)


async def test_reset_async(fake_anthropic: FakeAnthropic, aclient: anthropic.AsyncAnthropic) -> None:
    fake_anthropic.script(MODEL, Fault.reset())

    with pytest.raises(anthropic.APIConnectionError):
        await aclient.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES, stream=True)


def test_stall(fake_anthropic: FakeAnthropic, client: anthropic.Anthropic) -> None:
    fake_anthropic.script(MODEL, Fault.stall(), Fault.stall(after_events=1))

    with pytest.raises(anthropic.APITimeoutError):
        client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES, timeout=0.3)
    stream = client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES, stream=True, timeout=0.3)
    first = next(stream)
    # The anthropic SDK does not wrap read timeouts raised while iterating a stream.
    with pytest.raises(httpx2.ReadTimeout):
        next(stream)
    assert first.type == "message_start"


async def test_stall_async(fake_anthropic: FakeAnthropic, aclient: anthropic.AsyncAnthropic) -> None:
    fake_anthropic.script(MODEL, Fault.stall())

    with pytest.raises(anthropic.APITimeoutError):
        await aclient.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES, timeout=0.3)
    stream = await aclient.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES, stream=True, timeout=0.3)
    with pytest.raises(httpx2.ReadTimeout):  # headers arrived, then nothing
        await stream.__anext__()


def test_cut(fake_anthropic: FakeAnthropic, client: anthropic.Anthropic) -> None:
    fake_anthropic.script(MODEL, Fault.cut(after_events=4, then=Reply("Hello world")))

    stream = client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES, stream=True)
    kinds = [event.type for event in stream]  # ends quietly: no message_stop

    assert kinds == ["message_start", "content_block_start", "content_block_delta"]  # ping is not yielded
    assert [name for name, _ in raw_events(fake_anthropic)] == [
        "message_start",
        "ping",
        "content_block_start",
        "content_block_delta",
    ]


async def test_cut_async_past_the_end_still_drops_the_terminator(
    fake_anthropic: FakeAnthropic, aclient: anthropic.AsyncAnthropic
) -> None:
    fake_anthropic.script(MODEL, Fault.cut(after_events=99))

    stream = await aclient.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES, stream=True)
    kinds = [event.type async for event in stream]

    assert kinds[-1] == "message_delta"
    assert raw_events(fake_anthropic)[-1][0] == "message_delta"


def test_malformed(fake_anthropic: FakeAnthropic, client: anthropic.Anthropic) -> None:
    fake_anthropic.script(MODEL, Fault.malformed(after_events=2))

    stream = client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES, stream=True)
    first = next(stream)
    with pytest.raises(json.JSONDecodeError):
        next(stream)
    assert first.type == "message_start"

    response = httpx2.post(
        f"{fake_anthropic.base_url}/v1/messages",
        json={"model": MODEL, "max_tokens": 64, "messages": MESSAGES, "stream": True},
        headers={"x-api-key": KEY, "anthropic-version": "2023-06-01"},
    )
    blocks = response.text.split("\n\n")
    assert blocks[2] == 'event: content_block_delta\ndata: {"broken'
    assert blocks[-2] == 'event: message_stop\ndata: {"type":"message_stop"}'  # the rest follows normally


def test_stream_error(fake_anthropic: FakeAnthropic, client: anthropic.Anthropic) -> None:
    fake_anthropic.script(MODEL, Fault.stream_error(3))

    with (
        pytest.raises(anthropic.APIStatusError) as caught,
        client.messages.stream(model=MODEL, max_tokens=64, messages=MESSAGES) as stream,
    ):
        stream.get_final_message()

    assert caught.value.status_code == 200
    assert caught.value.body == {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    assert raw_events(fake_anthropic)[-1] == (
        "error",
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
    )


async def test_stream_error_async(fake_anthropic: FakeAnthropic, aclient: anthropic.AsyncAnthropic) -> None:
    fake_anthropic.script(MODEL, Fault.stream_error(0, error_type="api_error", message="Internal"))

    stream = await aclient.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES, stream=True)
    with pytest.raises(anthropic.APIStatusError) as caught:
        await stream.__anext__()

    assert caught.value.body == {"type": "error", "error": {"type": "api_error", "message": "Internal"}}


def test_blocked_prompt_is_an_invalid_request(fake_anthropic: FakeAnthropic, client: anthropic.Anthropic) -> None:
    fake_anthropic.script(MODEL, Fault.blocked("PROHIBITED_CONTENT"))

    with pytest.raises(anthropic.BadRequestError) as plain:
        client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES)
    with pytest.raises(anthropic.BadRequestError) as streamed:
        client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES, stream=True)

    for caught in (plain, streamed):
        assert caught.value.status_code == 400
        assert caught.value.body == {
            "type": "error",
            "error": {
                "type": "invalid_request_error",
                "message": "The prompt was blocked by the provider's safety system (reason: PROHIBITED_CONTENT).",
            },
        }


def test_stream_faults_answer_non_stream_requests_with_their_reply(
    fake_anthropic: FakeAnthropic, client: anthropic.Anthropic
) -> None:
    fake_anthropic.script(MODEL, Fault.malformed(0, then=Reply("whole")))

    message = client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES)

    assert summary(message.content) == [("text", "whole")]


# --- auth and request checks ---


def test_wrong_key_gets_401() -> None:
    with FakeAnthropic(api_key="sk-right") as fake:
        with (
            anthropic.Anthropic(base_url=fake.base_url, api_key="sk-wrong", max_retries=0) as wrong,
            pytest.raises(anthropic.AuthenticationError) as caught,
        ):
            wrong.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES)
        headers = {"anthropic-version": "2023-06-01"}
        body = {"model": MODEL, "max_tokens": 64, "messages": MESSAGES}
        x_api_key = httpx2.post(f"{fake.base_url}/v1/messages", json=body, headers={**headers, "x-api-key": "sk-right"})
        no_version = httpx2.post(f"{fake.base_url}/v1/messages", json=body, headers={"x-api-key": "sk-right"})

    assert caught.value.status_code == 401
    assert caught.value.body == {
        "type": "error",
        "error": {"type": "authentication_error", "message": "Incorrect API key provided."},
    }
    assert x_api_key.status_code == 200
    assert x_api_key.headers["request-id"] == "req_2"
    assert no_version.status_code == 400
    assert no_version.json()["error"]["type"] == "invalid_request_error"


def test_missing_required_field(fake_anthropic: FakeAnthropic) -> None:
    response = httpx2.post(
        f"{fake_anthropic.base_url}/v1/messages",
        json={"model": MODEL, "messages": MESSAGES},
        headers={"x-api-key": KEY, "anthropic-version": "2023-06-01"},
    )

    assert response.status_code == 400
    assert response.json() == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "Missing required parameter: 'max_tokens'."},
    }


# --- disconnects ---


def test_client_disconnect_mid_stream_is_recorded(fake_anthropic: FakeAnthropic, client: anthropic.Anthropic) -> None:
    fake_anthropic.script(MODEL, Fault.stall(after_events=3))

    with client.messages.stream(model=MODEL, max_tokens=64, messages=MESSAGES) as stream:
        next(iter(stream))
    closed_at = time.monotonic()

    assert fake_anthropic.wait_for_disconnect(0, timeout=1.0) is True
    record = fake_anthropic.requests[0]
    assert record.finished is not None
    assert record.finished - closed_at < 1.0


async def test_client_disconnect_mid_stream_async(
    fake_anthropic: FakeAnthropic, aclient: anthropic.AsyncAnthropic
) -> None:
    fake_anthropic.script(MODEL, Fault.stall(after_events=1))

    async with aclient.messages.stream(model=MODEL, max_tokens=64, messages=MESSAGES) as stream:
        await stream.__anext__()

    assert await asyncio.to_thread(fake_anthropic.wait_for_disconnect, 0, 1.0) is True
