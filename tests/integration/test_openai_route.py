"""The OpenAI face to an OpenAI upstream, through the real openai SDK over HTTP, sync and async."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openai.lib.streaming.chat._completions import ChatCompletionStreamState
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from routeapi import errors, route_info
from routeapi.testing import FakeOpenAI, Fault, Reply, ToolCall

from .conftest import Face

USER = [{"role": "user", "content": "Hi"}]
MODEL = "openai/gpt-4o"


async def test_plain_completion(openai_face: Face, fake_openai: FakeOpenAI) -> None:
    fake_openai.script("gpt-4o", Reply("Hello there", input_tokens=12, output_tokens=3))

    completion = await openai_face.chat(model=MODEL, messages=USER)

    assert isinstance(completion, ChatCompletion)
    assert completion.choices[0].message.content == "Hello there"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (12, 3)
    info = route_info(completion)
    assert info is not None
    assert (info.provider, info.model) == ("openai", "gpt-4o")
    assert info.upstream_request_id is not None
    assert completion._request_id == info.upstream_request_id
    sent = fake_openai.requests[-1]
    assert sent.json == {"model": "gpt-4o", "messages": USER}
    assert sent.headers["x-request-id"] == info.request_id


async def test_streamed_text_with_usage(openai_face: Face, fake_openai: FakeOpenAI) -> None:
    fake_openai.script("gpt-4o", Reply("Streaming works fine", output_tokens=4))

    chunks = await openai_face.chat_stream(model=MODEL, messages=USER, stream_options={"include_usage": True})

    assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Streaming works fine"
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 1
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 4
    assert fake_openai.requests[-1].json["stream"] is True


WEATHER = ToolCall("get_weather", {"city": "Paris"}, id="call_A")
TIME = ToolCall("get_time", {"timezone": "Europe/Paris"}, id="call_B")
TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}},
    {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}}},
]


async def test_two_parallel_tool_calls_non_streamed(openai_face: Face, fake_openai: FakeOpenAI) -> None:
    fake_openai.script("gpt-4o", Reply(tool_calls=[WEATHER, TIME]))

    completion = await openai_face.chat(model=MODEL, messages=USER, tools=TOOLS)

    calls = completion.choices[0].message.tool_calls
    assert [(c.id, c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        ("call_A", "get_weather", {"city": "Paris"}),
        ("call_B", "get_time", {"timezone": "Europe/Paris"}),
    ]
    assert completion.choices[0].finish_reason == "tool_calls"
    assert fake_openai.requests[-1].json["tools"] == TOOLS


async def test_two_parallel_tool_calls_streamed_in_fragments(openai_face: Face, fake_openai: FakeOpenAI) -> None:
    fake_openai.script("gpt-4o", Reply(tool_calls=[WEATHER, TIME], chunk_size=3))

    chunks = await openai_face.chat_stream(model=MODEL, messages=USER, tools=TOOLS)

    fragments = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
    assert len(fragments) > 4  # arguments really arrived in pieces
    state = ChatCompletionStreamState()
    for chunk in chunks:
        state.handle_chunk(chunk)
    final = state.get_final_completion()
    calls = final.choices[0].message.tool_calls or []
    assert [(c.id, c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        ("call_A", "get_weather", {"city": "Paris"}),
        ("call_B", "get_time", {"timezone": "Europe/Paris"}),
    ]
    assert final.choices[0].finish_reason == "tool_calls"


async def test_json_schema_response_format(openai_face: Face, fake_openai: FakeOpenAI) -> None:
    fake_openai.script("gpt-4o", Reply.json({"city": "Paris", "temp": 21}))
    response_format = {
        "type": "json_schema",
        "json_schema": {
            "name": "weather",
            "strict": True,
            "schema": {"type": "object", "properties": {"city": {"type": "string"}, "temp": {"type": "integer"}}},
        },
    }

    completion = await openai_face.chat(model=MODEL, messages=USER, response_format=response_format)

    assert json.loads(completion.choices[0].message.content or "") == {"city": "Paris", "temp": 21}
    assert fake_openai.requests[-1].json["response_format"] == response_format


async def test_image_input_and_multi_turn_with_tool_results(openai_face: Face, fake_openai: FakeOpenAI) -> None:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in this image, and the weather there?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}},
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_A",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                },
                {"id": "call_B", "type": "function", "function": {"name": "get_time", "arguments": "{}"}},
            ],
        },
        {"role": "tool", "tool_call_id": "call_A", "content": "sunny"},
        {"role": "tool", "tool_call_id": "call_B", "content": "noon"},
    ]
    fake_openai.script("gpt-4o", Reply("A tower; sunny at noon."))

    completion = await openai_face.chat(model=MODEL, messages=messages, tools=TOOLS)

    assert completion.choices[0].message.content == "A tower; sunny at noon."
    assert fake_openai.requests[-1].json["messages"] == messages


async def test_n_two_choices(openai_face: Face, fake_openai: FakeOpenAI) -> None:
    fake_openai.script("gpt-4o", Reply("same", n=2))

    completion = await openai_face.chat(model=MODEL, messages=USER, n=2)
    chunks = await openai_face.chat_stream(model=MODEL, messages=USER, n=2)

    assert [c.index for c in completion.choices] == [0, 1]
    streamed = {0: "", 1: ""}
    for chunk in chunks:
        for choice in chunk.choices:
            streamed[choice.index] += choice.delta.content or ""
    assert streamed == {0: "same", 1: "same"}


async def test_falsy_values_arrive_exactly_and_unset_ones_do_not(openai_face: Face, fake_openai: FakeOpenAI) -> None:
    explicit = {
        "temperature": 0,
        "top_p": 0,
        "presence_penalty": 0,
        "seed": 0,
        "parallel_tool_calls": False,
        "logprobs": False,
    }

    await openai_face.chat(model=MODEL, messages=USER, tools=TOOLS, extra_body={"x_custom": {"depth": 0}}, **explicit)

    sent = fake_openai.requests[-1].json
    assert sent == {"model": "gpt-4o", "messages": USER, "tools": TOOLS, "x_custom": {"depth": 0}, **explicit}
    for key, value in explicit.items():
        assert type(sent[key]) is type(value), key  # 0 stays an int, False stays a bool


async def test_unknown_keyword_parameter_passes_through(openai_face: Face, fake_openai: FakeOpenAI) -> None:
    await openai_face.chat(model=MODEL, messages=USER, service_tier="flex", verbosity="low")

    sent = fake_openai.requests[-1].json
    assert (sent["service_tier"], sent["verbosity"]) == ("flex", "low")


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, errors.BadRequest),
        (401, errors.AuthenticationError),
        (403, errors.PermissionDenied),
        (404, errors.NotFound),
        (429, errors.RateLimited),
        (500, errors.ServerError),
        (503, errors.ServerError),
    ],
)
async def test_upstream_errors_map_to_routeapi_errors(
    openai_face: Face, fake_openai: FakeOpenAI, status: int, error_type: type[errors.ProviderError]
) -> None:
    fake_openai.script("gpt-4o", Fault.status(status, "upstream says no"))

    with pytest.raises(error_type) as caught:
        await openai_face.chat(model=MODEL, messages=USER)

    error = caught.value
    assert error.status_code == status
    assert (error.provider, error.model) == ("openai", "gpt-4o")
    assert error.upstream_request_id is not None
    assert error.upstream_request_id.startswith("req_")
    assert error.request_id is not None
    assert "upstream says no" in str(error)
    assert "sk-test" not in str(error)
    assert error.__cause__ is not None  # the SDK's own exception


async def test_rate_limit_carries_retry_after(openai_face: Face, fake_openai: FakeOpenAI) -> None:
    fake_openai.script("gpt-4o", Fault.status(429, "slow down", headers={"Retry-After": "7"}))

    with pytest.raises(errors.RateLimited) as caught:
        await openai_face.chat(model=MODEL, messages=USER)

    assert caught.value.retry_after == 7


async def test_retry_then_fallback_to_another_model(make_face: Any, fake_openai: FakeOpenAI) -> None:
    face = make_face(
        providers={"up": {"type": "openai", "base_url": fake_openai.base_url, "api_key": "k"}},
        models={"chat-default": {"deployments": ["up/primary"], "fallbacks": ["up/secondary"]}},
        retry={"max_attempts": 2, "initial_backoff": 0.01, "max_backoff": 0.02},
    )
    fake_openai.script("primary", Fault.status(500, "down"))
    fake_openai.script("secondary", Reply("from the fallback"))
    try:
        completion = await face.chat(model="chat-default", messages=USER)
    finally:
        await face.aclose()

    assert completion.choices[0].message.content == "from the fallback"
    info = route_info(completion)
    assert info is not None
    assert info.model == "secondary"
    assert [(a.model, type(a.error)) for a in info.failed_attempts] == [
        ("primary", errors.ServerError),
        ("primary", errors.ServerError),
    ]
    assert [r.model for r in fake_openai.requests] == ["primary", "primary", "secondary"]


async def test_bad_request_is_neither_retried_nor_sent_to_a_fallback(make_face: Any, fake_openai: FakeOpenAI) -> None:
    face = make_face(
        providers={"up": {"type": "openai", "base_url": fake_openai.base_url, "api_key": "k"}},
        models={"chat-default": {"deployments": ["up/primary"], "fallbacks": ["up/secondary"]}},
        retry={"max_attempts": 3, "initial_backoff": 0.01},
    )
    fake_openai.script("primary", Fault.status(400, "bad messages"))
    try:
        with pytest.raises(errors.BadRequest):
            await face.chat(model="chat-default", messages=USER)
    finally:
        await face.aclose()

    assert [r.model for r in fake_openai.requests] == ["primary"]


async def test_cut_stream_raises_stream_interrupted(openai_face: Face, fake_openai: FakeOpenAI) -> None:
    fake_openai.script("gpt-4o", Fault.cut(after_events=3, then=Reply("a fairly long answer that gets cut")))

    with pytest.raises(errors.StreamInterrupted) as caught:
        await openai_face.chat_stream(model=MODEL, messages=USER)

    assert caught.value.provider == "openai"


async def test_malformed_chunk_interrupts_and_the_client_stays_healthy(
    openai_face: Face, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script("gpt-4o", Fault.malformed(after_events=2, then=Reply("some text here")), Reply("healthy"))

    with pytest.raises(errors.StreamInterrupted):
        await openai_face.chat_stream(model=MODEL, messages=USER)
    completion = await openai_face.chat(model=MODEL, messages=USER)

    assert completion.choices[0].message.content == "healthy"


async def test_unknown_model_is_a_configuration_error(openai_face: Face) -> None:
    with pytest.raises(errors.ConfigurationError, match="unknown model 'no-such-alias'"):
        await openai_face.chat(model="no-such-alias", messages=USER)
