"""FakeOpenAI driven by the real openai SDK (sync and async) over loopback HTTP."""

from __future__ import annotations

import asyncio
import base64
import json
import resource
import struct
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from routeapi.testing import FakeOpenAI, Fault, Reply, ToolCall

MODEL = "gpt-4o"
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Hi"}]
KEY = "sk-test"


@pytest.fixture
def client(fake_openai: FakeOpenAI) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=fake_openai.base_url, api_key=KEY, max_retries=0) as sdk:
        yield sdk


@pytest.fixture
async def aclient(fake_openai: FakeOpenAI) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(base_url=fake_openai.base_url, api_key=KEY, max_retries=0) as sdk:
        yield sdk


def raw_stream(fake: FakeOpenAI, **body: Any) -> list[str]:
    """The `data:` payloads of a streamed chat completion, read straight off the wire."""
    response = httpx2.post(
        f"{fake.base_url}/chat/completions",
        json={"model": MODEL, "messages": MESSAGES, "stream": True, **body},
        headers={"authorization": f"Bearer {KEY}"},
        timeout=5,
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.text.endswith("\n\n")
    return [event.removeprefix("data: ") for event in response.text.split("\n\n") if event]


def tool_calls_of(message: Any) -> list[tuple[str, str, Any]]:
    return [(call.id, call.function.name, json.loads(call.function.arguments)) for call in message.tool_calls]


# --- plain replies and scripts ---


def test_plain_text_and_recorded_request(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    assert fake_openai.requests == []  # the plugin resets between tests
    fake_openai.script(MODEL, Reply("Hello there", id="chatcmpl-1"))

    completion = client.chat.completions.create(model=MODEL, messages=MESSAGES, temperature=0)

    assert completion.id == "chatcmpl-1"
    assert completion.model == MODEL
    assert completion.choices[0].message.content == "Hello there"
    assert completion.choices[0].message.tool_calls is None
    assert completion.choices[0].finish_reason == "stop"
    assert completion._request_id == "req_1"
    [record] = fake_openai.requests
    assert (record.method, record.path, record.model) == ("POST", "/v1/chat/completions", MODEL)
    assert record.json == {"model": MODEL, "messages": MESSAGES, "temperature": 0}
    assert json.loads(record.body) == record.json
    assert record.headers["authorization"] == f"Bearer {KEY}"
    assert record.wait_finished()
    assert record.finished is not None
    assert record.finished >= record.started
    assert record.client_disconnected is False


async def test_plain_text_async(fake_openai: FakeOpenAI, aclient: openai.AsyncOpenAI) -> None:
    fake_openai.script(MODEL, Reply("Hello async"))

    completion = await aclient.chat.completions.create(model=MODEL, messages=MESSAGES, temperature=0)

    assert completion.choices[0].message.content == "Hello async"
    assert fake_openai.requests[0].json == {"model": MODEL, "messages": MESSAGES, "temperature": 0}
    assert fake_openai.requests[0].headers["x-stainless-async"] == "async:asyncio"


def test_unscripted_and_default_scripts(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    first = client.chat.completions.create(model="any-model", messages=MESSAGES)
    assert first.choices[0].message.content == "Hello from fake OpenAI!"

    fake_openai.script_default(Reply("default for all"))
    fake_openai.script("special", Reply("special answer"))
    assert client.chat.completions.create(model="other", messages=MESSAGES).choices[0].message.content == (
        "default for all"
    )
    assert client.chat.completions.create(model="special", messages=MESSAGES).choices[0].message.content == (
        "special answer"
    )


def test_reply_json(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(MODEL, Reply.json({"answer": 42}, output_tokens=9))

    completion = client.chat.completions.create(model=MODEL, messages=MESSAGES)

    assert completion.choices[0].message.content == '{"answer": 42}'
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 9


def test_steps_are_consumed_in_order_and_the_last_repeats(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(MODEL, Fault.status(500), Reply("first"), Reply("second"))

    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model=MODEL, messages=MESSAGES)
    answers = [client.chat.completions.create(model=MODEL, messages=MESSAGES).choices[0].message.content for _ in "abc"]

    assert answers == ["first", "second", "second"]


def test_usage_numbers(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(
        MODEL,
        Reply(
            "x", input_tokens=100, output_tokens=40, cache_read_tokens=30, cache_write_tokens=20, reasoning_tokens=25
        ),
    )

    usage = client.chat.completions.create(model=MODEL, messages=MESSAGES).usage

    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (100, 40, 140)
    assert usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.cached_tokens == 30
    assert usage.prompt_tokens_details.cache_write_tokens == 20
    assert usage.completion_tokens_details is not None
    assert usage.completion_tokens_details.reasoning_tokens == 25


def test_reply_extra_keys_reach_the_sdk(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    filters: list[dict[str, Any]] = [{"prompt_index": 0, "content_filter_results": {}}]
    fake_openai.script(MODEL, Reply("ok", extra={"prompt_filter_results": filters}))

    completion = client.chat.completions.create(model=MODEL, messages=MESSAGES)

    assert completion.model_extra == {"prompt_filter_results": filters}


# --- streaming ---

STREAMED = Reply(
    "Hello streaming world!",
    chunk_size=5,
    input_tokens=12,
    output_tokens=7,
    cache_read_tokens=4,
    reasoning_tokens=3,
    id="chatcmpl-s",
)


def test_stream_helper_text(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(MODEL, STREAMED)

    with client.chat.completions.stream(
        model=MODEL, messages=MESSAGES, stream_options={"include_usage": True}
    ) as stream:
        deltas = [event.delta for event in stream if event.type == "content.delta"]
        final = stream.get_final_completion()

    assert deltas == ["", "Hello", " stre", "aming", " worl", "d!"]  # the role chunk carries content ""
    assert final.id == "chatcmpl-s"
    assert final.choices[0].message.content == "Hello streaming world!"
    assert final.choices[0].finish_reason == "stop"
    assert final.usage is not None
    assert (final.usage.prompt_tokens, final.usage.completion_tokens, final.usage.total_tokens) == (12, 7, 19)
    assert final.usage.prompt_tokens_details is not None
    assert final.usage.prompt_tokens_details.cached_tokens == 4
    assert final.usage.completion_tokens_details is not None
    assert final.usage.completion_tokens_details.reasoning_tokens == 3
    assert fake_openai.requests[0].json == {
        "model": MODEL,
        "messages": MESSAGES,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


async def test_stream_helper_text_async(fake_openai: FakeOpenAI, aclient: openai.AsyncOpenAI) -> None:
    fake_openai.script(MODEL, STREAMED)

    async with aclient.chat.completions.stream(model=MODEL, messages=MESSAGES) as stream:
        deltas = [event.delta async for event in stream if event.type == "content.delta"]
        final = await stream.get_final_completion()

    assert deltas == ["", "Hello", " stre", "aming", " worl", "d!"]  # the role chunk carries content ""
    assert final.choices[0].message.content == "Hello streaming world!"
    assert final.usage is None  # no usage chunk without stream_options.include_usage


def test_stream_wire_shape(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(MODEL, Reply("Hi there", chunk_size=4, id="chatcmpl-w"))

    events = raw_stream(fake_openai, stream_options={"include_usage": True})

    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert [chunk["choices"] for chunk in chunks] == [
        [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": "", "refusal": None},
                "logprobs": None,
                "finish_reason": None,
            }
        ],
        [{"index": 0, "delta": {"content": "Hi t"}, "logprobs": None, "finish_reason": None}],
        [{"index": 0, "delta": {"content": "here"}, "logprobs": None, "finish_reason": None}],
        [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}],
        [],
    ]
    assert all(chunk["id"] == "chatcmpl-w" and chunk["object"] == "chat.completion.chunk" for chunk in chunks)
    assert [chunk["usage"] for chunk in chunks[:-1]] == [None] * 4
    assert chunks[-1]["usage"]["prompt_tokens"] == 10
    assert chunks[-1]["usage"]["completion_tokens"] == 5

    without_usage = [json.loads(event) for event in raw_stream(fake_openai)[:-1]]
    assert len(without_usage) == 4
    assert all("usage" not in chunk for chunk in without_usage)


TWO_CALLS = Reply(
    tool_calls=[
        ToolCall("get_weather", {"city": "Paris"}, id="call_A"),
        ToolCall("get_time", {"tz": "Europe/Paris"}, id="call_B"),
    ],
    chunk_size=3,
)
EXPECTED_CALLS = [("call_A", "get_weather", {"city": "Paris"}), ("call_B", "get_time", {"tz": "Europe/Paris"})]


def test_parallel_tool_calls_streamed(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(MODEL, TWO_CALLS)

    with client.chat.completions.stream(model=MODEL, messages=MESSAGES) as stream:
        final = stream.get_final_completion()

    assert tool_calls_of(final.choices[0].message) == EXPECTED_CALLS
    assert final.choices[0].message.content is None
    assert final.choices[0].finish_reason == "tool_calls"
    fragments = [
        fragment
        for event in raw_stream(fake_openai)[:-1]
        for choice in json.loads(event)["choices"]
        for fragment in choice["delta"].get("tool_calls", [])
    ]
    assert [fragment["id"] for fragment in fragments if "id" in fragment] == ["call_A", "call_B"]
    assert len(fragments) == 2 + len('{"city":"Paris"}') // 3 + 1 + len('{"tz":"Europe/Paris"}') // 3


async def test_parallel_tool_calls_streamed_async(fake_openai: FakeOpenAI, aclient: openai.AsyncOpenAI) -> None:
    fake_openai.script(MODEL, TWO_CALLS)

    async with aclient.chat.completions.stream(model=MODEL, messages=MESSAGES) as stream:
        final = await stream.get_final_completion()
    plain = await aclient.chat.completions.create(model=MODEL, messages=MESSAGES)

    assert tool_calls_of(final.choices[0].message) == EXPECTED_CALLS
    assert tool_calls_of(plain.choices[0].message) == EXPECTED_CALLS
    assert plain.choices[0].finish_reason == "tool_calls"


def test_string_arguments_are_sent_verbatim(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(MODEL, Reply(tool_calls=[ToolCall("f", '{"a": 1, broken')]))

    with client.chat.completions.stream(model=MODEL, messages=MESSAGES) as stream:
        final = stream.get_final_completion()

    calls = final.choices[0].message.tool_calls
    assert calls is not None
    assert calls[0].function.arguments == '{"a": 1, broken'


def test_two_choices(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(MODEL, Reply("Same answer"))

    plain = client.chat.completions.create(model=MODEL, messages=MESSAGES, n=2)
    with client.chat.completions.stream(model=MODEL, messages=MESSAGES, n=2) as stream:
        final = stream.get_final_completion()

    for completion in (plain, final):
        assert [(c.index, c.message.content, c.finish_reason) for c in completion.choices] == [
            (0, "Same answer", "stop"),
            (1, "Same answer", "stop"),
        ]
    streamed_indexes = [json.loads(e)["choices"][0]["index"] for e in raw_stream(fake_openai, n=2)[:-1]]
    assert streamed_indexes[:4] == [0, 1, 0, 1]  # choices are interleaved on the wire


async def test_two_choices_from_reply_async(fake_openai: FakeOpenAI, aclient: openai.AsyncOpenAI) -> None:
    fake_openai.script(MODEL, Reply("Twice", n=2))

    async with aclient.chat.completions.stream(model=MODEL, messages=MESSAGES) as stream:
        final = await stream.get_final_completion()

    assert [c.message.content for c in final.choices] == ["Twice", "Twice"]


# --- faults ---


def test_status_fault(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(MODEL, Fault.status(429, "Slow down", headers={"retry-after": "7"}))

    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model=MODEL, messages=MESSAGES)

    error = caught.value
    assert error.status_code == 429
    assert error.response.headers["retry-after"] == "7"
    assert error.response.headers["x-should-retry"] == "false"
    assert error.response.headers["x-request-id"] == "req_1"
    assert error.body == {"message": "Slow down", "type": "requests", "param": None, "code": "rate_limit_exceeded"}
    assert error.code == "rate_limit_exceeded"


async def test_status_fault_async_with_custom_body(fake_openai: FakeOpenAI, aclient: openai.AsyncOpenAI) -> None:
    custom = {"error": {"message": "filtered", "type": None, "param": "prompt", "code": "content_filter"}}
    fake_openai.script(MODEL, Fault.status(400, body=custom))

    with pytest.raises(openai.BadRequestError) as caught:
        await aclient.chat.completions.create(model=MODEL, messages=MESSAGES)

    assert caught.value.status_code == 400
    assert caught.value.code == "content_filter"
    assert caught.value.param == "prompt"


def test_status_fault_default_message_and_5xx(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(MODEL, Fault.status(503))

    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model=MODEL, messages=MESSAGES)

    assert caught.value.status_code == 503
    assert caught.value.body == {"message": "Service Unavailable", "type": "server_error", "param": None, "code": None}


def test_delay(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(MODEL, Fault.delay(0.3, Reply("late")))

    started = time.monotonic()
    completion = client.chat.completions.create(model=MODEL, messages=MESSAGES)

    assert time.monotonic() - started >= 0.3
    assert completion.choices[0].message.content == "late"


async def test_delay_async(fake_openai: FakeOpenAI, aclient: openai.AsyncOpenAI) -> None:
    fake_openai.script(MODEL, Fault.delay(0.2, Reply("late")))

    started = time.monotonic()
    completion = await aclient.chat.completions.create(model=MODEL, messages=MESSAGES)

    assert time.monotonic() - started >= 0.2
    assert completion.choices[0].message.content == "late"


def test_reset(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(MODEL, Fault.reset(), Reply("after reset"))

    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert client.chat.completions.create(model=MODEL, messages=MESSAGES).choices[0].message.content == "after reset"
    assert fake_openai.requests[0].client_disconnected is False  # the server closed it


async def test_reset_async(fake_openai: FakeOpenAI, aclient: openai.AsyncOpenAI) -> None:
    fake_openai.script(MODEL, Fault.reset())

    with pytest.raises(openai.APIConnectionError):
        await aclient.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)


def test_stall_non_stream_hangs_before_headers(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(MODEL, Fault.stall())

    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model=MODEL, messages=MESSAGES, timeout=0.3)


def test_stall_stream_after_events(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(MODEL, Fault.stall(after_events=2, then=Reply("Hello world")))

    received: list[str | None] = []
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True, timeout=0.3)
    with pytest.raises(openai.APITimeoutError):
        received.extend(chunk.choices[0].delta.content for chunk in stream)

    assert received == ["", "Hell"]


async def test_stall_stream_async(fake_openai: FakeOpenAI, aclient: openai.AsyncOpenAI) -> None:
    fake_openai.script(MODEL, Fault.stall(after_events=1))

    stream = await aclient.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True, timeout=0.3)
    first = await stream.__anext__()
    with pytest.raises(openai.APITimeoutError):
        await stream.__anext__()
    assert first.choices[0].delta.role == "assistant"


def test_cut(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(MODEL, Fault.cut(after_events=3, then=Reply("Hello world")))

    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    contents = [chunk.choices[0].delta.content for chunk in stream]  # ends quietly, like a real truncated body

    assert contents == ["", "Hell", "o wo"]
    events = raw_stream(fake_openai)
    assert [json.loads(event)["choices"][0]["delta"] for event in events] == [
        {"role": "assistant", "content": "", "refusal": None},
        {"content": "Hell"},
        {"content": "o wo"},
    ]
    assert "[DONE]" not in events


async def test_cut_async_past_the_end_still_drops_the_terminator(
    fake_openai: FakeOpenAI, aclient: openai.AsyncOpenAI
) -> None:
    fake_openai.script(MODEL, Fault.cut(after_events=99, then=Reply("Hi")))

    stream = await aclient.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    chunks = [chunk async for chunk in stream]

    assert [chunk.choices[0].finish_reason for chunk in chunks] == [None, None, "stop"]
    assert raw_stream(fake_openai)[-1] != "[DONE]"


def test_malformed(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(MODEL, Fault.malformed(after_events=1, then=Reply("Hello")))

    received: list[str | None] = []
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    with pytest.raises(json.JSONDecodeError):
        received.extend(chunk.choices[0].delta.content for chunk in stream)

    assert received == [""]
    events = raw_stream(fake_openai)
    assert events[1] == '{"broken'
    assert json.loads(events[2])["choices"][0]["delta"] == {"content": "Hell"}
    assert events[-1] == "[DONE]"


def test_stream_error(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(MODEL, Fault.stream_error(2, error_type="server_error", message="Upstream melted"))

    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    with pytest.raises(openai.APIError) as caught:
        list(stream)

    assert caught.value.message == "Upstream melted"
    assert caught.value.body == {"message": "Upstream melted", "type": "server_error", "param": None, "code": None}
    assert raw_stream(fake_openai)[-1] == (
        '{"error":{"message":"Upstream melted","type":"server_error","param":null,"code":null}}'
    )


async def test_stream_error_async(fake_openai: FakeOpenAI, aclient: openai.AsyncOpenAI) -> None:
    fake_openai.script(MODEL, Fault.stream_error(0))

    stream = await aclient.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    with pytest.raises(openai.APIError, match="Overloaded"):
        async for _ in stream:
            pass


def test_stream_faults_answer_non_stream_requests_with_their_reply(
    fake_openai: FakeOpenAI, client: openai.OpenAI
) -> None:
    fake_openai.script(MODEL, Fault.cut(1, then=Reply("whole")), Fault.stream_error(0), Fault.malformed(0))

    answers = [client.chat.completions.create(model=MODEL, messages=MESSAGES).choices[0].message.content for _ in "abc"]

    assert answers == ["whole", "Hello from fake OpenAI!", "Hello from fake OpenAI!"]


def test_status_fault_with_a_raw_body(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    page = b"<html>502 Bad Gateway</html>"
    fake_openai.script(MODEL, Fault.status(502, body=page, headers={"content-type": "text/html"}))

    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model=MODEL, messages=MESSAGES)

    assert caught.value.status_code == 502
    assert caught.value.response.headers["content-type"] == "text/html"
    assert caught.value.response.content == page


def test_blocked_prompt_is_a_content_filter_error(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(MODEL, Fault.blocked(), Fault.blocked(message="No."))

    with pytest.raises(openai.BadRequestError) as plain:
        client.chat.completions.create(model=MODEL, messages=MESSAGES)
    with pytest.raises(openai.BadRequestError) as streamed:
        client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)

    assert plain.value.status_code == 400
    assert plain.value.code == "content_filter"
    expected = {"type": "invalid_request_error", "param": "prompt", "code": "content_filter"}
    assert plain.value.body == {
        "message": "The prompt was blocked by the provider's safety system (reason: SAFETY).",
        **expected,
    }
    assert streamed.value.body == {"message": "No.", **expected}


# --- auth ---


def test_wrong_key_gets_401() -> None:
    with FakeOpenAI(api_key="sk-right") as fake:
        with (
            openai.OpenAI(base_url=fake.base_url, api_key="sk-wrong", max_retries=0) as wrong,
            pytest.raises(openai.AuthenticationError) as caught,
        ):
            wrong.chat.completions.create(model=MODEL, messages=MESSAGES)
        with openai.OpenAI(base_url=fake.base_url, api_key="sk-right", max_retries=0) as right:
            assert right.chat.completions.create(model=MODEL, messages=MESSAGES).choices[0].message.content
        azure_style = httpx2.post(
            f"{fake.base_url}/chat/completions",
            json={"model": MODEL, "messages": MESSAGES},
            headers={"api-key": "sk-right"},
        )
        no_key = httpx2.post(f"{fake.base_url}/chat/completions", json={"model": MODEL, "messages": MESSAGES})

    assert caught.value.status_code == 401
    assert caught.value.code == "invalid_api_key"
    assert azure_style.status_code == 200
    assert no_key.status_code == 401
    assert no_key.json()["error"]["type"] == "invalid_request_error"


def test_bad_requests_get_vendor_shaped_errors(fake_openai: FakeOpenAI) -> None:
    headers = {"authorization": f"Bearer {KEY}"}
    missing = httpx2.post(f"{fake_openai.base_url}/chat/completions", json={"model": MODEL}, headers=headers)
    unknown = httpx2.post(f"{fake_openai.base_url}/nope", json={}, headers=headers)

    assert missing.status_code == 400
    assert missing.json()["error"]["message"] == "Missing required parameter: 'messages'."
    assert unknown.status_code == 404
    assert unknown.json()["error"]["type"] == "invalid_request_error"


# --- embeddings and models ---


def test_embeddings_base64_by_default_and_float(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    decoded = client.embeddings.create(model="text-embedding-3-small", input=["alpha", "beta"], dimensions=4)
    floats = client.embeddings.create(model="text-embedding-3-small", input="alpha", encoding_format="float")

    assert fake_openai.requests[0].json["encoding_format"] == "base64"  # what the SDK asks for by default
    assert [item.embedding for item in decoded.data] == [
        FakeOpenAI.embedding_for("alpha", 4),
        FakeOpenAI.embedding_for("beta", 4),
    ]
    assert [item.index for item in decoded.data] == [0, 1]
    assert decoded.usage.prompt_tokens == 10
    assert floats.data[0].embedding == FakeOpenAI.embedding_for("alpha", 8)
    assert len(floats.data[0].embedding) == 8
    assert FakeOpenAI.embedding_for("alpha", 4) != FakeOpenAI.embedding_for("beta", 4)
    assert abs(sum(value * value for value in floats.data[0].embedding) - 1.0) < 1e-6


async def test_embeddings_async_and_raw_base64(fake_openai: FakeOpenAI, aclient: openai.AsyncOpenAI) -> None:
    result = await aclient.embeddings.create(model="emb", input=[[1, 2, 3]], dimensions=3)
    raw = httpx2.post(
        f"{fake_openai.base_url}/embeddings",
        json={"model": "emb", "input": "alpha", "encoding_format": "base64", "dimensions": 3},
        headers={"authorization": f"Bearer {KEY}"},
    ).json()

    assert result.data[0].embedding == FakeOpenAI.embedding_for("1 2 3", 3)
    packed = base64.b64decode(raw["data"][0]["embedding"])
    assert list(struct.unpack("<3f", packed)) == FakeOpenAI.embedding_for("alpha", 3)
    assert raw["usage"] == {"prompt_tokens": 10, "total_tokens": 10}


def test_embeddings_faults_and_model_list(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script("emb", Fault.status(429))
    with pytest.raises(openai.RateLimitError):
        client.embeddings.create(model="emb", input="x")

    assert [model.id for model in client.models.list()] == ["emb", "gpt-4o", "gpt-4o-mini", "text-embedding-3-small"]


# --- HTTP/1.1 details, disconnects, concurrency, import cost ---


def test_chunked_request_body(fake_openai: FakeOpenAI) -> None:
    pieces = [b'{"model":"gpt-4o",', b'"messages":[{"role":"user",', b'"content":"Hi"}]}']
    response = httpx2.post(
        f"{fake_openai.base_url}/chat/completions", content=iter(pieces), headers={"authorization": f"Bearer {KEY}"}
    )

    assert response.status_code == 200
    assert fake_openai.requests[0].headers["transfer-encoding"] == "chunked"
    assert fake_openai.requests[0].json == {"model": MODEL, "messages": MESSAGES}


async def test_keep_alive_serves_requests_in_turn_on_one_connection(fake_openai: FakeOpenAI) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", fake_openai.port)
    try:
        for _ in range(2):
            writer.write(b"GET /v1/models HTTP/1.1\r\nhost: fake\r\nauthorization: Bearer k\r\n\r\n")
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            body = json.loads(await reader.readexactly(length))
            assert head.startswith(b"HTTP/1.1 200 OK\r\n")
            assert body["object"] == "list"
    finally:
        writer.close()
    assert [record.request_id for record in fake_openai.requests] == ["req_1", "req_2"]


def test_client_disconnect_mid_stream_is_recorded(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(MODEL, Fault.stall(after_events=2), Reply("complete"))

    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    next(stream)
    next(stream)
    stream.close()
    closed_at = time.monotonic()

    assert fake_openai.wait_for_disconnect(0, timeout=1.0) is True
    record = fake_openai.requests[0]
    assert record.finished is not None
    assert record.finished - closed_at < 1.0
    assert record.client_disconnected is True
    list(client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True))
    assert fake_openai.wait_for_disconnect(1, timeout=1.0) is False  # read to the end: not a disconnect


async def test_client_disconnect_mid_stream_async(fake_openai: FakeOpenAI, aclient: openai.AsyncOpenAI) -> None:
    fake_openai.script(MODEL, Fault.stall(after_events=1))

    stream = await aclient.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    await stream.__anext__()
    await stream.close()

    assert await asyncio.to_thread(fake_openai.wait_for_disconnect, 0, 1.0) is True


def _allow_open_files(count: int) -> None:
    """The test holds both ends of each connection: raise the soft descriptor limit if the hard one allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < count:
        if hard != resource.RLIM_INFINITY and hard < count:
            pytest.skip(f"needs {count} open files; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (count, hard))


async def test_a_thousand_slow_streams(fake_openai: FakeOpenAI) -> None:
    _allow_open_files(2200)
    fake_openai.script(MODEL, Fault.stall(after_events=1))
    body = json.dumps({"model": MODEL, "messages": MESSAGES, "stream": True}).encode()
    request = (
        b"POST /v1/chat/completions HTTP/1.1\r\nhost: fake\r\nauthorization: Bearer k\r\n"
        b"content-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
    )

    async def open_stream() -> tuple[asyncio.StreamWriter, bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", fake_openai.port)
        writer.write(request)
        first_event = await reader.readuntil(b"\n\n")  # headers, then the first chunk (role delta)
        return writer, first_event

    streams = await asyncio.wait_for(asyncio.gather(*(open_stream() for _ in range(1000))), timeout=15)
    try:
        assert all(head.startswith(b"HTTP/1.1 200 OK\r\n") for _, head in streams)
        assert all(b'"role":"assistant"' in head for _, head in streams)
        assert len(fake_openai.requests) == 1000
        assert all(record.finished is None for record in fake_openai.requests)
    finally:
        for writer, _ in streams:
            writer.close()
    assert await asyncio.to_thread(fake_openai.wait_for_disconnect, 999, 2.0) is True


def test_import_loads_no_vendor_sdk() -> None:
    code = (
        "import sys, routeapi.testing, routeapi.testing.pytest_plugin; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('openai', 'anthropic', 'google', 'boto3')))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout

    assert output.strip() == "[]"
