"""FakeOpenAI's and FakeAzureOpenAI's Responses API endpoint driven by the real openai SDK (sync and async)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any, cast

import httpx2
import openai
import pytest
from openai.types.responses import Response, ToolChoiceFunction

from routeapi.testing import FakeAzureOpenAI, FakeOpenAI, Fault, Reply, ToolCall

MODEL = "gpt-4.1"
KEY = "sk-test"
API_VERSION = "2025-04-01-preview"
NO_COMPLETED = r"Didn't receive a `response\.completed` event"

WEATHER_CALLS = (ToolCall("get_weather", {"city": "Paris"}, id="call_paris"), ToolCall("get_time", {"tz": "CET"}))
TOOLS: list[Any] = [
    {"type": "function", "name": "get_weather", "parameters": {"type": "object"}, "strict": True},
    {"type": "function", "name": "get_time", "description": "Clock", "parameters": {"type": "object"}, "strict": False},
]


@pytest.fixture
def client(fake_openai: FakeOpenAI) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=fake_openai.base_url, api_key=KEY, max_retries=0) as sdk:
        yield sdk


@pytest.fixture
async def aclient(fake_openai: FakeOpenAI) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(base_url=fake_openai.base_url, api_key=KEY, max_retries=0) as sdk:
        yield sdk


def post(fake: FakeOpenAI, **body: Any) -> httpx2.Response:
    return httpx2.post(
        f"{fake.base_url}/responses",
        json={"model": MODEL, "input": "Hi", **body},
        headers={"authorization": f"Bearer {KEY}"},
        timeout=5,
    )


def wire_events(fake: FakeOpenAI) -> list[tuple[str, dict[str, Any]]]:
    """The (event line, data) pairs of a streamed response, read straight off the wire."""
    response = post(fake, stream=True)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    events: list[tuple[str, dict[str, Any]]] = []
    for frame in response.text.split("\n\n")[:-1]:
        event_line, data_line = frame.split("\n")
        events.append((event_line.removeprefix("event: "), json.loads(data_line.removeprefix("data: "))))
    assert response.text.endswith("\n\n")
    return events


def essentials(response: Response) -> dict[str, Any]:
    """What a streamed and a plain response must agree on (item ids and timestamps differ per request)."""
    dumped = response.model_dump(exclude={"created_at", "completed_at"})
    items: list[dict[str, Any]] = dumped["output"]
    for item in items:
        item.pop("id")
        item.pop("parsed_arguments", None)  # the stream helper's parsed views
        parts: list[dict[str, Any]] = item.get("content") or []
        for part in parts:
            part.pop("parsed", None)
    return dumped


# --- plain responses ---


def test_plain_text_renders_a_valid_response_object(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(MODEL, Reply("Hi there"))

    response = client.responses.create(model=MODEL, input="Hi")
    raw = post(fake_openai).json()

    assert response.id == "resp_1"
    assert response.status == "completed"
    assert response.output_text == "Hi there"
    assert response.model == MODEL
    assert response._request_id == "req_1"
    validated = Response.model_validate(raw)
    assert validated.id == "resp_2"
    assert isinstance(raw["created_at"], int)
    assert raw["completed_at"] >= raw["created_at"]
    del raw["created_at"], raw["completed_at"]
    assert raw == {
        "id": "resp_2",
        "object": "response",
        "status": "completed",
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "max_output_tokens": None,
        "model": MODEL,
        "output": [
            {
                "id": "msg_2",
                "type": "message",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Hi there", "annotations": [], "logprobs": []}],
            }
        ],
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "store": True,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": {
            "input_tokens": 10,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": 5,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 15,
        },
        "user": None,
        "metadata": {},
    }
    assert [(r.method, r.path, r.model, r.stream) for r in fake_openai.requests] == [
        ("POST", "/v1/responses", MODEL, False),
        ("POST", "/v1/responses", MODEL, False),
    ]
    assert fake_openai.requests[0].json == {"model": MODEL, "input": "Hi"}


async def test_plain_text_async_echoes_request_settings(fake_openai: FakeOpenAI, aclient: openai.AsyncOpenAI) -> None:
    fake_openai.script(MODEL, Reply("async answer", id="resp_mine", extra={"safety_identifier": "u1"}))

    response = await aclient.responses.create(
        model=MODEL,
        input="Hi",
        instructions="Be brief.",
        temperature=0,
        max_output_tokens=50,
        tools=TOOLS,
        tool_choice={"type": "function", "name": "get_time"},
        parallel_tool_calls=False,
        metadata={"run": "7"},
        reasoning={"effort": "low"},
    )

    assert response.id == "resp_mine"
    assert response.output_text == "async answer"
    assert response.instructions == "Be brief."
    assert (response.temperature, response.top_p, response.max_output_tokens) == (0, 1.0, 50)
    assert [tool.model_dump(exclude_none=True) for tool in response.tools] == TOOLS
    assert response.tool_choice == ToolChoiceFunction(type="function", name="get_time")
    assert response.parallel_tool_calls is False
    assert response.metadata == {"run": "7"}
    assert response.reasoning is not None
    assert (response.reasoning.effort, response.reasoning.summary) == ("low", None)
    assert response.safety_identifier == "u1"
    assert fake_openai.requests[0].headers["x-stainless-async"] == "async:asyncio"


def test_two_function_calls(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(MODEL, Reply(tool_calls=WEATHER_CALLS))

    response = client.responses.create(model=MODEL, input="Weather?", tools=TOOLS)

    assert response.status == "completed"
    assert response.output_text == ""
    assert [item.model_dump(exclude_none=True) for item in response.output] == [
        {
            "id": "fc_1_0",
            "type": "function_call",
            "status": "completed",
            "call_id": "call_paris",
            "name": "get_weather",
            "arguments": '{"city":"Paris"}',
        },
        {
            "id": "fc_1_1",
            "type": "function_call",
            "status": "completed",
            "call_id": "call_1_1",
            "name": "get_time",
            "arguments": '{"tz":"CET"}',
        },
    ]


def test_reasoning_text_and_usage_details(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(
        MODEL,
        Reply(
            "42",
            thinking="Let me think.",
            thinking_signature="enc-1",
            tool_calls=[ToolCall("check", '{"n": 42}', id="call_c")],
            input_tokens=100,
            output_tokens=40,
            cache_read_tokens=30,
            cache_write_tokens=20,
            reasoning_tokens=25,
        ),
    )

    response = client.responses.create(model=MODEL, input="Answer?")

    assert [item.type for item in response.output] == ["reasoning", "message", "function_call"]
    assert response.output[0].model_dump(exclude_none=True) == {
        "id": "rs_1",
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": "Let me think."}],
        "encrypted_content": "enc-1",
    }
    assert response.output_text == "42"
    assert response.output[2].model_dump(exclude_none=True)["arguments"] == '{"n": 42}'
    assert response.usage is not None
    assert response.usage.model_dump(exclude_none=True) == {
        "input_tokens": 100,
        "input_tokens_details": {"cached_tokens": 30, "cache_write_tokens": 20},
        "output_tokens": 40,
        "output_tokens_details": {"reasoning_tokens": 25},
        "total_tokens": 140,
    }


@pytest.mark.parametrize(("finish", "reason"), [("length", "max_output_tokens"), ("content_filter", "content_filter")])
def test_length_and_content_filter_finishes_are_incomplete(
    fake_openai: FakeOpenAI, client: openai.OpenAI, finish: Any, reason: str
) -> None:
    fake_openai.script(MODEL, Reply("cut sho", finish_reason=finish))

    response = client.responses.create(model=MODEL, input="Hi")
    streamed = wire_events(fake_openai)

    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == reason
    assert response.completed_at is None
    assert response.output[0].model_dump(exclude_none=True)["status"] == "incomplete"
    assert [name for name, _ in streamed[-2:]] == ["response.output_item.done", "response.incomplete"]
    final = Response.model_validate(streamed[-1][1]["response"])
    assert (final.status, final.incomplete_details) == ("incomplete", response.incomplete_details)


def test_missing_model_is_a_400(fake_openai: FakeOpenAI) -> None:
    answer = httpx2.post(f"{fake_openai.base_url}/responses", json={"input": "Hi"}, headers={"api-key": KEY})

    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == "Missing required parameter: 'model'."


# --- streaming ---

STREAMED = Reply("Hi there", tool_calls=[WEATHER_CALLS[0]], chunk_size=5, input_tokens=12, output_tokens=7)


def test_stream_wire_shape(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(MODEL, STREAMED)

    events = wire_events(fake_openai)

    assert all(name == data["type"] for name, data in events)
    assert [data["sequence_number"] for _, data in events] == list(range(17))
    bodies = [{k: v for k, v in data.items() if k not in ("type", "sequence_number")} for _, data in events]
    started = bodies[0]["response"]
    assert (started["id"], started["status"], started["output"], started["usage"]) == (
        "resp_1",
        "in_progress",
        [],
        None,
    )
    assert bodies[1] == bodies[0]
    final = bodies[-1]["response"]
    assert Response.model_validate(final).output_text == "Hi there"
    text_part, call_item = final["output"][0]["content"][0], final["output"][1]
    assert call_item["arguments"] == '{"city":"Paris"}'
    message = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
    call = {"item_id": "fc_1_0", "output_index": 1}
    assert list(zip([name for name, _ in events], bodies, strict=True))[1:] == [
        ("response.in_progress", {"response": started}),
        (
            "response.output_item.added",
            {
                "output_index": 0,
                "item": {"id": "msg_1", "type": "message", "status": "in_progress", "role": "assistant", "content": []},
            },
        ),
        ("response.content_part.added", {**message, "part": {**text_part, "text": ""}}),
        ("response.output_text.delta", {**message, "delta": "Hi th", "logprobs": []}),
        ("response.output_text.delta", {**message, "delta": "ere", "logprobs": []}),
        ("response.output_text.done", {**message, "text": "Hi there", "logprobs": []}),
        ("response.content_part.done", {**message, "part": text_part}),
        ("response.output_item.done", {"output_index": 0, "item": final["output"][0]}),
        (
            "response.output_item.added",
            {"output_index": 1, "item": {**call_item, "status": "in_progress", "arguments": ""}},
        ),
        ("response.function_call_arguments.delta", {**call, "delta": '{"cit'}),
        ("response.function_call_arguments.delta", {**call, "delta": 'y":"P'}),
        ("response.function_call_arguments.delta", {**call, "delta": 'aris"'}),
        ("response.function_call_arguments.delta", {**call, "delta": "}"}),
        ("response.function_call_arguments.done", {**call, "arguments": '{"city":"Paris"}'}),
        ("response.output_item.done", {"output_index": 1, "item": call_item}),
        ("response.completed", {"response": final}),
    ]
    assert fake_openai.requests[0].stream is True


def test_reasoning_summary_is_streamed(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(MODEL, Reply(thinking="Ponder", thinking_signature="enc", chunk_size=4))

    events = wire_events(fake_openai)

    where = {"item_id": "rs_1", "output_index": 0, "summary_index": 0}
    assert [
        (data["type"], {k: data.get(k) for k in ("item", "delta", "text", "part") if k in data})
        for _, data in events[2:-1]
    ] == [
        ("response.output_item.added", {"item": {"id": "rs_1", "type": "reasoning", "summary": []}}),
        ("response.reasoning_summary_part.added", {"part": {"type": "summary_text", "text": ""}}),
        ("response.reasoning_summary_text.delta", {"delta": "Pond"}),
        ("response.reasoning_summary_text.delta", {"delta": "er"}),
        ("response.reasoning_summary_text.done", {"text": "Ponder"}),
        ("response.reasoning_summary_part.done", {"part": {"type": "summary_text", "text": "Ponder"}}),
        (
            "response.output_item.done",
            {
                "item": {
                    "id": "rs_1",
                    "type": "reasoning",
                    "summary": [{"type": "summary_text", "text": "Ponder"}],
                    "encrypted_content": "enc",
                }
            },
        ),
    ]
    assert all({**data, **where} == data for _, data in events[3:7])


def test_stream_helper_matches_the_plain_response(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    calls = (WEATHER_CALLS[0], ToolCall("get_time", {"tz": "CET"}, id="call_time"))  # generated ids differ per request
    fake_openai.script(MODEL, Reply("Sunny, then rain.", tool_calls=calls, id="resp_same", reasoning_tokens=2))

    plain = client.responses.create(model=MODEL, input="Weather?", tools=TOOLS)
    with client.responses.stream(model=MODEL, input="Weather?", tools=TOOLS) as stream:
        deltas = [event.delta for event in stream if event.type == "response.output_text.delta"]
        final = stream.get_final_response()

    assert deltas == ["Sunn", "y, t", "hen ", "rain", "."]
    assert final.output_text == plain.output_text == "Sunny, then rain."
    assert [item.arguments for item in final.output if item.type == "function_call"] == [
        '{"city":"Paris"}',
        '{"tz":"CET"}',
    ]
    assert final.usage == plain.usage
    assert essentials(final) == essentials(plain)


async def test_stream_helper_matches_the_plain_response_async(
    fake_openai: FakeOpenAI, aclient: openai.AsyncOpenAI
) -> None:
    fake_openai.script(MODEL, Reply("Async stream", tool_calls=WEATHER_CALLS[:1], id="resp_a", cache_read_tokens=3))

    plain = await aclient.responses.create(model=MODEL, input="Hi")
    async with aclient.responses.stream(model=MODEL, input="Hi") as stream:
        types = [event.type async for event in stream]
        final = await stream.get_final_response()

    assert types[0] == "response.created"
    assert types[-1] == "response.completed"
    assert final.output_text == "Async stream"
    assert final.usage is not None
    assert final.usage.input_tokens_details.cached_tokens == 3
    assert essentials(final) == essentials(plain)


def test_raw_sdk_stream_events(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(MODEL, Reply("abc", chunk_size=1))

    events = list(client.responses.create(model=MODEL, input="Hi", stream=True))

    assert [event.sequence_number for event in events] == list(range(len(events)))
    assert "".join(event.delta for event in events if event.type == "response.output_text.delta") == "abc"
    assert events[-1].type == "response.completed"
    assert events[-1].response.output_text == "abc"


# --- faults ---


def test_status_fault(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(MODEL, Fault.status(429, "Slow down", headers={"retry-after": "3"}))

    with pytest.raises(openai.RateLimitError) as caught:
        client.responses.create(model=MODEL, input="Hi")

    assert caught.value.body == {
        "message": "Slow down",
        "type": "requests",
        "param": None,
        "code": "rate_limit_exceeded",
    }
    assert caught.value.response.headers["retry-after"] == "3"


async def test_status_and_reset_faults_async(fake_openai: FakeOpenAI, aclient: openai.AsyncOpenAI) -> None:
    fake_openai.script(MODEL, Fault.status(503), Fault.reset())

    with pytest.raises(openai.InternalServerError) as caught:
        await aclient.responses.create(model=MODEL, input="Hi", stream=True)
    with pytest.raises(openai.APIConnectionError):
        await aclient.responses.create(model=MODEL, input="Hi")

    assert caught.value.status_code == 503


def test_delay_then_reply(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(MODEL, Fault.delay(0.2, Reply("late")))

    response = client.responses.create(model=MODEL, input="Hi")

    (record,) = [r for r in fake_openai.requests if r.model == MODEL and r.path.endswith("/responses")]
    assert response.output_text == "late"
    assert record.wait_finished()
    assert record.finished is not None
    assert record.finished - record.started >= 0.2


def test_cut_drops_response_completed(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(MODEL, Fault.cut(4, then=Reply("Hello there")))

    events = list(client.responses.create(model=MODEL, input="Hi", stream=True))
    fake_openai.script(MODEL, Fault.cut(99, then=Reply("Hello there")))
    with client.responses.stream(model=MODEL, input="Hi") as stream, pytest.raises(RuntimeError, match=NO_COMPLETED):
        stream.get_final_response()

    assert [event.type for event in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]


def test_stream_error_event(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(MODEL, Fault.stream_error(3, message="Upstream overloaded"))

    events = wire_events(fake_openai)
    raw = list(client.responses.create(model=MODEL, input="Hi", stream=True))
    with client.responses.stream(model=MODEL, input="Hi") as stream, pytest.raises(RuntimeError, match=NO_COMPLETED):
        stream.get_final_response()

    assert len(events) == 4
    assert events[3] == (
        "error",
        {
            "type": "error",
            "code": "server_error",
            "message": "Upstream overloaded",
            "param": None,
            "sequence_number": 3,
        },
    )
    assert [event.type for event in raw] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "error",
    ]
    assert raw[-1].model_dump() == events[3][1]


async def test_stream_error_async(fake_openai: FakeOpenAI, aclient: openai.AsyncOpenAI) -> None:
    fake_openai.script(MODEL, Fault.stream_error(0, message="Down"))

    async with aclient.responses.stream(model=MODEL, input="Hi") as stream:
        with pytest.raises(RuntimeError, match=r"Expected to have received `response\.created` before `error`"):
            await stream.get_final_response()


def test_malformed_event_breaks_the_sdk(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(MODEL, Fault.malformed(2))

    stream = client.responses.create(model=MODEL, input="Hi", stream=True)
    received = [next(stream).type, next(stream).type]
    with pytest.raises(json.JSONDecodeError):
        next(stream)

    assert received == ["response.created", "response.in_progress"]


def test_stall_mid_stream_times_out(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(MODEL, Fault.stall(2))
    with openai.OpenAI(base_url=fake_openai.base_url, api_key=KEY, max_retries=0, timeout=0.3) as sdk:
        stream = sdk.responses.create(model=MODEL, input="Hi", stream=True)
        received = [next(stream).type, next(stream).type]
        with pytest.raises(openai.APITimeoutError):
            next(stream)

    assert received == ["response.created", "response.in_progress"]
    assert fake_openai.wait_for_disconnect(0, timeout=2) is True


def test_blocked_prompt_is_a_content_filter_error(fake_openai: FakeOpenAI, client: openai.OpenAI) -> None:
    fake_openai.script(MODEL, Fault.blocked(message="Prompt refused"))

    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input="Hi", stream=True)

    assert caught.value.code == "content_filter"
    assert caught.value.body == {
        "message": "Prompt refused",
        "type": "invalid_request_error",
        "param": "prompt",
        "code": "content_filter",
    }


# --- Azure ---


def test_azure_responses_with_api_version_and_v1(fake_azure: FakeAzureOpenAI) -> None:
    fake_azure.script("my-deployment", Reply("from Azure", id="resp_az"))
    fake_azure.script("v1-deployment", Reply("from v1"))

    with openai.AzureOpenAI(
        azure_endpoint=fake_azure.endpoint, api_version=API_VERSION, api_key=KEY, max_retries=0
    ) as azure:
        response = azure.responses.create(model="my-deployment", input="Hi")
        with azure.responses.stream(model="my-deployment", input="Hi") as stream:
            streamed = stream.get_final_response()
    with openai.OpenAI(base_url=fake_azure.base_url, api_key=KEY, max_retries=0) as v1:
        v1_response = v1.responses.create(model="v1-deployment", input="Hi")
    without_version = httpx2.post(
        f"{fake_azure.url}/openai/responses", json={"model": "my-deployment", "input": "Hi"}, headers={"api-key": KEY}
    )

    assert (response.id, response.model, response.output_text) == ("resp_az", "my-deployment", "from Azure")
    assert response.model_extra == {"store": True}  # no content-filter annotations on Responses
    assert (streamed.id, streamed.output_text) == ("resp_az", "from Azure")
    assert (v1_response.model, v1_response.output_text) == ("v1-deployment", "from v1")
    assert without_version.status_code == 404
    assert without_version.json() == {"error": {"code": "404", "message": "Resource not found"}}
    assert [(r.path, r.query, r.model, r.stream) for r in fake_azure.requests] == [
        ("/openai/responses", {"api-version": API_VERSION}, "my-deployment", False),
        ("/openai/responses", {"api-version": API_VERSION}, "my-deployment", True),
        ("/openai/v1/responses", {}, "v1-deployment", False),
        ("/openai/responses", {}, "my-deployment", False),
    ]
    assert fake_azure.requests[0].headers["api-key"] == KEY


async def test_azure_responses_async_faults(fake_azure: FakeAzureOpenAI) -> None:
    fake_azure.script("dep", Fault.blocked(reason="violence"), Fault.stream_error(2, message="Azure down"))

    async with openai.AsyncAzureOpenAI(
        azure_endpoint=fake_azure.endpoint, api_version=API_VERSION, api_key=KEY, max_retries=0
    ) as azure:
        with pytest.raises(openai.BadRequestError) as caught:
            await azure.responses.create(model="dep", input="Hi")
        events = [event async for event in await azure.responses.create(model="dep", input="Hi", stream=True)]

    assert caught.value.code == "content_filter"
    body = cast("dict[str, Any]", caught.value.body)
    assert body["innererror"]["content_filter_result"]["violence"] == {
        "filtered": True,
        "severity": "high",
    }
    assert [event.type for event in events] == ["response.created", "response.in_progress", "error"]
    assert events[-1].model_dump() == {
        "type": "error",
        "code": "server_error",
        "message": "Azure down",
        "param": None,
        "sequence_number": 2,
    }
