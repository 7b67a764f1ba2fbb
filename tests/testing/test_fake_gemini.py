"""FakeGemini driven by the real google-genai SDK (sync and async) over loopback HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, cast

import httpx2
import pytest
from google import genai
from google.genai import errors, types

from routeapi.testing import FakeGemini, Fault, Reply, ToolCall
from routeapi.testing._script import FinishReason

MODEL = "gemini-2.5-flash"
KEY = "gm-test-key"


def make_client(fake: FakeGemini, api_version: str | None = "v1beta", timeout_ms: int | None = None) -> genai.Client:
    options = types.HttpOptions(base_url=fake.base_url, api_version=api_version, timeout=timeout_ms)
    return genai.Client(api_key=KEY, http_options=options)


@pytest.fixture
def client(fake_gemini: FakeGemini) -> Iterator[genai.Client]:
    with make_client(fake_gemini) as sdk:
        yield sdk


@pytest.fixture
async def aclient(fake_gemini: FakeGemini) -> AsyncIterator[genai.client.AsyncClient]:
    with make_client(fake_gemini) as sdk:
        async with sdk.aio as async_sdk:
            yield async_sdk


# google-genai's signatures mention types pyright cannot resolve (PIL images): these wrappers type the calls.
GenerateResponse = types.GenerateContentResponse


def generate(
    sdk: genai.Client, model: str = MODEL, config: types.GenerateContentConfig | None = None
) -> GenerateResponse:
    call = cast("Callable[..., GenerateResponse]", sdk.models.generate_content)  # pyright: ignore[reportUnknownMemberType]
    return call(model=model, contents="Hi", config=config)


def stream(sdk: genai.Client) -> Iterator[GenerateResponse]:
    call = cast("Callable[..., Iterator[GenerateResponse]]", sdk.models.generate_content_stream)  # pyright: ignore[reportUnknownMemberType]
    return call(model=MODEL, contents="Hi")


async def agenerate(sdk: genai.client.AsyncClient) -> GenerateResponse:
    call = cast("Callable[..., Awaitable[GenerateResponse]]", sdk.models.generate_content)  # pyright: ignore[reportUnknownMemberType]
    return await call(model=MODEL, contents="Hi")


async def astream(sdk: genai.client.AsyncClient) -> AsyncIterator[GenerateResponse]:
    call = cast(
        "Callable[..., Awaitable[AsyncIterator[GenerateResponse]]]",
        sdk.models.generate_content_stream,  # pyright: ignore[reportUnknownMemberType]
    )
    return await call(model=MODEL, contents="Hi")


def embed(
    sdk: genai.Client, contents: str | list[str], config: types.EmbedContentConfig | None = None
) -> types.EmbedContentResponse:
    call = cast("Callable[..., types.EmbedContentResponse]", sdk.models.embed_content)  # pyright: ignore[reportUnknownMemberType]
    return call(model="text-embedding-004", contents=contents, config=config)


async def aembed(sdk: genai.client.AsyncClient, contents: str) -> types.EmbedContentResponse:
    call = cast("Callable[..., Awaitable[types.EmbedContentResponse]]", sdk.models.embed_content)  # pyright: ignore[reportUnknownMemberType]
    return await call(model="text-embedding-004", contents=contents)


def raw_stream(fake: FakeGemini, *, sse: bool = True) -> httpx2.Response:
    params = {"alt": "sse", "key": KEY} if sse else {"key": KEY}
    url = f"{fake.url}/v1beta/models/{MODEL}:streamGenerateContent"
    return httpx2.post(url, params=params, json={"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]}, timeout=5)


def sse_payloads(response: httpx2.Response) -> list[str]:
    assert response.text.endswith("\n\n")
    return [event.removeprefix("data: ") for event in response.text.split("\n\n") if event]


def parts_of(response: types.GenerateContentResponse, candidate: int = 0) -> list[dict[str, Any]]:
    assert response.candidates is not None
    content = response.candidates[candidate].content
    assert content is not None
    return [part.model_dump(exclude_none=True) for part in content.parts or []]


# --- plain replies ---


def test_text_and_recorded_request(fake_gemini: FakeGemini, client: genai.Client) -> None:
    assert fake_gemini.requests == []  # the plugin resets between tests
    fake_gemini.script(MODEL, Reply("Hello there", id="resp-1"))
    config = types.GenerateContentConfig(
        temperature=0, thinking_config=types.ThinkingConfig(include_thoughts=True, thinking_budget=64)
    )

    response = generate(client, config=config)

    assert response.text == "Hello there"
    assert response.response_id == "resp-1"
    assert response.model_version == MODEL
    assert response.candidates is not None
    [candidate] = response.candidates
    assert (candidate.index, candidate.finish_reason) == (0, types.FinishReason.STOP)
    assert candidate.content is not None
    assert candidate.content.role == "model"
    [record] = fake_gemini.requests
    assert (record.method, record.path, record.model, record.stream) == (
        "POST",
        f"/v1beta/models/{MODEL}:generateContent",
        MODEL,
        False,
    )
    # Exactly as google-genai 3.6.1 sends it: camelCase outside, snake_case inside thinkingConfig.
    assert record.json == {
        "contents": [{"parts": [{"text": "Hi"}], "role": "user"}],
        "generationConfig": {"temperature": 0.0, "thinkingConfig": {"include_thoughts": True, "thinking_budget": 64}},
    }
    assert record.headers["x-goog-api-key"] == KEY
    assert record.query == {}


def test_default_api_version_and_models_prefix(fake_gemini: FakeGemini) -> None:
    with make_client(fake_gemini, api_version=None) as sdk:
        response = generate(sdk, model=f"models/{MODEL}")

    assert response.text == "Hello from fake Gemini!"
    assert fake_gemini.requests[0].path == f"/v1/models/{MODEL}:generateContent"
    assert fake_gemini.requests[0].model == MODEL


async def test_text_async(fake_gemini: FakeGemini, aclient: genai.client.AsyncClient) -> None:
    fake_gemini.script(MODEL, Reply("Hello async", output_tokens=3))

    response = await agenerate(aclient)

    assert response.text == "Hello async"
    assert response.usage_metadata is not None
    assert response.usage_metadata.candidates_token_count == 3
    assert fake_gemini.requests[0].json == {"contents": [{"parts": [{"text": "Hi"}], "role": "user"}]}


def test_reply_extra_and_unscripted_models(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.script(MODEL, Reply("x", extra={"modelStatus": {"modelStage": "STABLE"}}))

    scripted = generate(client)
    other = generate(client, model="gemini-other")

    assert scripted.model_dump(exclude_none=True)["model_status"] == {"model_stage": types.ModelStage.STABLE}
    assert other.text == "Hello from fake Gemini!"
    assert other.model_version == "gemini-other"


TWO_CALLS = Reply(
    tool_calls=[ToolCall("get_weather", {"city": "Paris"}), ToolCall("get_time", '{"tz": "CET"}', id="call_B")],
    chunk_size=3,
)
EXPECTED_CALL_PARTS = [
    {"function_call": {"name": "get_weather", "args": {"city": "Paris"}}},
    {"function_call": {"id": "call_B", "name": "get_time", "args": {"tz": "CET"}}},
]


def test_two_function_calls_in_one_turn(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.script(MODEL, TWO_CALLS)

    plain = generate(client)
    chunks = list(stream(client))

    assert parts_of(plain) == EXPECTED_CALL_PARTS
    assert plain.candidates is not None
    assert plain.candidates[0].finish_reason == types.FinishReason.STOP
    assert [(call.id, call.name, call.args) for call in plain.function_calls or []] == [
        (None, "get_weather", {"city": "Paris"}),
        ("call_B", "get_time", {"tz": "CET"}),
    ]
    [chunk] = chunks  # both calls, whole, in the one (last) chunk
    assert parts_of(chunk) == EXPECTED_CALL_PARTS
    assert chunk.candidates is not None
    assert chunk.candidates[0].finish_reason == types.FinishReason.STOP


async def test_function_calls_async_and_unparsable_arguments(
    fake_gemini: FakeGemini, aclient: genai.client.AsyncClient
) -> None:
    fake_gemini.script(MODEL, Reply("Checking.", tool_calls=[ToolCall("f", '{"a": 1, broken'), ToolCall("g", "[1]")]))

    plain = await agenerate(aclient)
    stream = await astream(aclient)
    chunks = [chunk async for chunk in stream]

    expected_calls = [
        {"function_call": {"name": "f", "args": {"_raw": '{"a": 1, broken'}}},
        {"function_call": {"name": "g", "args": {"_raw": "[1]"}}},
    ]
    assert parts_of(plain) == [{"text": "Checking."}, *expected_calls]
    assert [parts_of(chunk) for chunk in chunks] == [
        [{"text": "Chec"}],
        [{"text": "king"}],
        [{"text": "."}],
        expected_calls,
    ]


def test_thinking_parts_and_signature(fake_gemini: FakeGemini, client: genai.Client) -> None:
    reply = Reply(
        "Answer", thinking="Let me think", thinking_signature="c2ln", output_tokens=8, reasoning_tokens=3, chunk_size=6
    )
    fake_gemini.script(MODEL, reply)

    plain = generate(client)
    chunks = list(stream(client))

    assert parts_of(plain) == [
        {"text": "Let me think", "thought": True},
        {"text": "Answer", "thought_signature": b"sig"},
    ]
    assert plain.text == "Answer"  # the SDK leaves thought parts out of .text
    assert [parts_of(chunk) for chunk in chunks] == [
        [{"text": "Let me", "thought": True}],
        [{"text": " think", "thought": True}],
        [{"text": "Answer", "thought_signature": b"sig"}],
    ]
    assert plain.usage_metadata is not None
    assert (plain.usage_metadata.candidates_token_count, plain.usage_metadata.thoughts_token_count) == (5, 3)


def test_signature_goes_on_the_first_function_call(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.script(MODEL, Reply("Let me check.", tool_calls=TWO_CALLS.tool_calls, thinking_signature="c2ln"))

    response = generate(client)

    assert [part.get("thought_signature") for part in parts_of(response)] == [None, b"sig", None]


def test_usage(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.script(
        MODEL, Reply("x", input_tokens=100, output_tokens=40, cache_read_tokens=30, reasoning_tokens=25), Reply("y")
    )

    usage = generate(client).usage_metadata
    plain = generate(client).usage_metadata

    assert usage is not None
    assert usage.model_dump(exclude_none=True) == {
        "prompt_token_count": 100,
        "cached_content_token_count": 30,
        "candidates_token_count": 15,
        "thoughts_token_count": 25,
        "total_token_count": 140,
    }
    assert plain is not None
    assert plain.model_dump(exclude_none=True) == {
        "prompt_token_count": 10,
        "candidates_token_count": 5,
        "total_token_count": 15,
    }


def test_candidate_count(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.script(MODEL, Reply("Same answer"))

    response = generate(client, config=types.GenerateContentConfig(candidate_count=2))

    assert response.candidates is not None
    assert [(c.index, parts_of(response, c.index or 0), c.finish_reason) for c in response.candidates] == [
        (0, [{"text": "Same answer"}], types.FinishReason.STOP),
        (1, [{"text": "Same answer"}], types.FinishReason.STOP),
    ]
    assert fake_gemini.requests[0].json["generationConfig"] == {"candidateCount": 2}


async def test_candidate_count_from_reply_streamed_async(
    fake_gemini: FakeGemini, aclient: genai.client.AsyncClient
) -> None:
    fake_gemini.script(MODEL, Reply("Twice", n=2, chunk_size=3))

    stream = await astream(aclient)
    chunks = [chunk async for chunk in stream]

    assert [[(c.index, c.finish_reason) for c in chunk.candidates or []] for chunk in chunks] == [
        [(0, None), (1, None)],
        [(0, types.FinishReason.STOP), (1, types.FinishReason.STOP)],
    ]
    assert (parts_of(chunks[0], 1), parts_of(chunks[1], 1)) == ([{"text": "Twi"}], [{"text": "ce"}])


FINISH_REASONS: list[tuple[FinishReason, types.FinishReason]] = [
    ("stop", types.FinishReason.STOP),
    ("stop_sequence", types.FinishReason.STOP),
    ("tool_calls", types.FinishReason.STOP),
    ("length", types.FinishReason.MAX_TOKENS),
    ("content_filter", types.FinishReason.SAFETY),
]


@pytest.mark.parametrize(("neutral", "wire"), FINISH_REASONS)
def test_finish_reasons(
    fake_gemini: FakeGemini, client: genai.Client, neutral: FinishReason, wire: types.FinishReason
) -> None:
    fake_gemini.script(MODEL, Reply("x", finish_reason=neutral))

    plain = generate(client)
    last_chunk = list(stream(client))[-1]

    for response in (plain, last_chunk):
        assert response.candidates is not None
        candidate = response.candidates[0]
        assert candidate.finish_reason == wire
        ratings = [rating.model_dump(exclude_none=True) for rating in candidate.safety_ratings or []]
        blocked = {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}
        assert ratings == ([blocked] if neutral == "content_filter" else [])


def test_empty_reply_has_a_content_without_parts(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.script(MODEL, Reply("", finish_reason="length"))

    response = generate(client)

    assert response.candidates is not None
    assert response.candidates[0].content == types.Content(role="model")
    assert response.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS


# --- streaming ---

STREAMED = Reply("Hello streaming world!", chunk_size=8, input_tokens=12, output_tokens=7, id="resp-s")


def test_stream_sync(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.script(MODEL, STREAMED)

    chunks = list(stream(client))

    assert [chunk.text for chunk in chunks] == ["Hello st", "reaming ", "world!"]
    assert [chunk.response_id for chunk in chunks] == ["resp-s"] * 3
    assert [chunk.model_version for chunk in chunks] == [MODEL] * 3
    assert [chunk.candidates[0].finish_reason for chunk in chunks if chunk.candidates] == [
        None,
        None,
        types.FinishReason.STOP,
    ]
    usages = [chunk.usage_metadata.model_dump(exclude_none=True) for chunk in chunks if chunk.usage_metadata]
    assert usages == [
        {"prompt_token_count": 12, "total_token_count": 12},
        {"prompt_token_count": 12, "total_token_count": 12},
        {"prompt_token_count": 12, "candidates_token_count": 7, "total_token_count": 19},
    ]
    record = fake_gemini.requests[0]
    assert (record.path, record.query, record.stream) == (
        f"/v1beta/models/{MODEL}:streamGenerateContent",
        {"alt": "sse"},
        True,
    )


async def test_stream_async(fake_gemini: FakeGemini, aclient: genai.client.AsyncClient) -> None:
    fake_gemini.script(MODEL, STREAMED)

    stream = await astream(aclient)
    texts = [chunk.text async for chunk in stream]

    assert texts == ["Hello st", "reaming ", "world!"]


def test_stream_wire_shape_sse(fake_gemini: FakeGemini) -> None:
    fake_gemini.script(MODEL, Reply("Hi there", chunk_size=5, id="r1"))

    response = raw_stream(fake_gemini)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert sse_payloads(response) == [
        '{"candidates":[{"content":{"role":"model","parts":[{"text":"Hi th"}]},"index":0}],'
        '"usageMetadata":{"promptTokenCount":10,"totalTokenCount":10},"modelVersion":"gemini-2.5-flash","responseId":"r1"}',
        '{"candidates":[{"content":{"role":"model","parts":[{"text":"ere"}]},"index":0,"finishReason":"STOP"}],'
        '"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":5,"totalTokenCount":15},'
        '"modelVersion":"gemini-2.5-flash","responseId":"r1"}',
    ]


def test_stream_without_alt_sse_is_one_json_array(fake_gemini: FakeGemini) -> None:
    fake_gemini.script(MODEL, Reply("Hi there", chunk_size=3, id="r1"))

    array = raw_stream(fake_gemini, sse=False)
    events = sse_payloads(raw_stream(fake_gemini))

    assert array.status_code == 200
    assert array.headers["content-type"] == "application/json; charset=UTF-8"
    assert array.text == "[" + ",".join(events) + "]"
    assert [item["candidates"][0]["content"]["parts"] for item in array.json()] == [
        [{"text": "Hi "}],
        [{"text": "the"}],
        [{"text": "re"}],
    ]
    assert fake_gemini.requests[0].stream is True


def test_json_array_stream_faults(fake_gemini: FakeGemini) -> None:
    then = Reply("Hi there", chunk_size=3)
    fake_gemini.script(MODEL, Fault.cut(2, then=then), Fault.malformed(1, then=then), Fault.stream_error(0))

    cut, malformed, error = (raw_stream(fake_gemini, sse=False).text for _ in "abc")

    assert cut.startswith('[{"candidates":')
    assert cut.count('"candidates"') == 2
    assert "finishReason" not in cut
    assert not cut.endswith("]")  # a truncated body: the array is never closed
    assert malformed.startswith('[{"candidates":')
    assert malformed.endswith("]")
    assert ',{"broken,{"candidates":' in malformed
    assert error == '[{"error":{"code":503,"message":"Overloaded","status":"UNAVAILABLE"}}'


# --- faults ---


@pytest.mark.parametrize(
    ("fault", "error_class", "code", "status", "message"),
    [
        (Fault.status(429, "Resource has been exhausted"), errors.ClientError, 429, "RESOURCE_EXHAUSTED", None),
        (Fault.status(400), errors.ClientError, 400, "INVALID_ARGUMENT", "Bad Request"),
        (Fault.status(400, error_type="FAILED_PRECONDITION"), errors.ClientError, 400, "FAILED_PRECONDITION", None),
        (Fault.status(403), errors.ClientError, 403, "PERMISSION_DENIED", None),
        (Fault.status(404), errors.ClientError, 404, "NOT_FOUND", None),
        (Fault.status(500), errors.ServerError, 500, "INTERNAL", "Internal Server Error"),
        (Fault.status(503), errors.ServerError, 503, "UNAVAILABLE", None),
        (Fault.status(504), errors.ServerError, 504, "DEADLINE_EXCEEDED", None),
    ],
)
def test_status_faults(
    fake_gemini: FakeGemini,
    client: genai.Client,
    fault: Fault,
    error_class: type[errors.APIError],
    code: int,
    status: str,
    message: str | None,
) -> None:
    fake_gemini.script(MODEL, fault)

    with pytest.raises(error_class) as caught:
        generate(client)

    assert (caught.value.code, caught.value.status) == (code, status)
    assert caught.value.message == (message or fault.message)
    details = cast("object", caught.value.details)  # pyright: ignore[reportUnknownMemberType]
    assert details == {"error": {"code": code, "message": fault.message, "status": status}}
    assert len(fake_gemini.requests) == 1  # the SDK does not retry unless retry_options is set


async def test_status_fault_async_and_stream(fake_gemini: FakeGemini, aclient: genai.client.AsyncClient) -> None:
    fake_gemini.script(MODEL, Fault.status(429, headers={"retry-after": "3"}))

    with pytest.raises(errors.ClientError) as plain:
        await agenerate(aclient)
    stream = await astream(aclient)
    with pytest.raises(errors.ClientError) as streamed:  # the async stream raises when first read
        await stream.__anext__()

    assert (plain.value.code, plain.value.status, plain.value.message) == (
        429,
        "RESOURCE_EXHAUSTED",
        "Too Many Requests",
    )
    assert streamed.value.code == 429
    assert streamed.value.response.headers["retry-after"] == "3"  # pyright: ignore[reportUnknownMemberType]


def test_delay(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.script(MODEL, Fault.delay(0.3, Reply("late")))

    started = time.monotonic()
    response = generate(client)

    assert time.monotonic() - started >= 0.3
    assert response.text == "late"


def test_reset(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.script(MODEL, Fault.reset(), Reply("after reset"))

    with pytest.raises(httpx2.TransportError):
        generate(client)
    assert generate(client).text == "after reset"


def test_stall(fake_gemini: FakeGemini) -> None:
    fake_gemini.script(MODEL, Fault.stall(), Fault.stall(after_events=2, then=Reply("Hello world")))
    received: list[str | None] = []

    with make_client(fake_gemini, timeout_ms=300) as sdk:
        with pytest.raises(httpx2.ReadTimeout):
            generate(sdk)
        with pytest.raises(httpx2.ReadTimeout):
            received.extend(chunk.text for chunk in stream(sdk))

    assert received == ["Hell", "o wo"]


def test_cut(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.script(MODEL, Fault.cut(2, then=Reply("Hello world")), Fault.cut(99, then=Reply("Hello world")))

    early = list(stream(client))
    late = list(stream(client))

    assert [chunk.text for chunk in early] == ["Hell", "o wo"]
    # Gemini streams have no terminator: cutting past the end drops the finishReason chunk.
    assert [chunk.text for chunk in late] == ["Hell", "o wo"]
    assert all(chunk.candidates and chunk.candidates[0].finish_reason is None for chunk in early + late)


def test_malformed(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.script(MODEL, Fault.malformed(1, then=Reply("Hello")))
    received: list[str | None] = []

    with pytest.raises(errors.UnknownApiResponseError):
        received.extend(chunk.text for chunk in stream(client))

    assert received == ["Hell"]
    payloads = sse_payloads(raw_stream(fake_gemini))
    assert payloads[1] == '{"broken'
    assert json.loads(payloads[2])["candidates"][0]["content"]["parts"] == [{"text": "o"}]


def test_stream_error(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.script(MODEL, Fault.stream_error(1, error_type="RESOURCE_EXHAUSTED", message="Quota"))
    received: list[str | None] = []

    with pytest.raises(errors.APIError) as caught:
        received.extend(chunk.text for chunk in stream(client))

    assert received == ["Hell"]
    assert isinstance(caught.value, errors.ClientError)
    assert (caught.value.code, caught.value.status, caught.value.message) == (429, "RESOURCE_EXHAUSTED", "Quota")
    assert sse_payloads(raw_stream(fake_gemini))[-1] == (
        '{"error":{"code":429,"message":"Quota","status":"RESOURCE_EXHAUSTED"}}'
    )


async def test_stream_error_async_with_a_foreign_error_type(
    fake_gemini: FakeGemini, aclient: genai.client.AsyncClient
) -> None:
    fake_gemini.script(MODEL, Fault.stream_error(0))  # the default type is Anthropic's overloaded_error

    stream = await astream(aclient)
    with pytest.raises(errors.ServerError) as caught:
        async for _ in stream:
            pass

    assert (caught.value.code, caught.value.status, caught.value.message) == (503, "UNAVAILABLE", "Overloaded")


def test_stream_faults_answer_non_stream_requests_with_their_reply(
    fake_gemini: FakeGemini, client: genai.Client
) -> None:
    fake_gemini.script(MODEL, Fault.cut(1, then=Reply("whole")), Fault.stream_error(0))

    answers = [generate(client).text for _ in "ab"]

    assert answers == ["whole", "Hello from fake Gemini!"]


def test_blocked_prompt(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.script(MODEL, Fault.blocked(), Fault.blocked("PROHIBITED_CONTENT", "Not allowed"))

    safety = generate(client)
    [streamed] = list(stream(client))

    assert safety.candidates is None
    assert safety.text is None
    assert safety.prompt_feedback is not None
    assert safety.prompt_feedback.model_dump(exclude_none=True) == {
        "block_reason": types.BlockedReason.SAFETY,
        "safety_ratings": [
            {"category": types.HarmCategory.HARM_CATEGORY_DANGEROUS_CONTENT, "probability": "HIGH", "blocked": True}
        ],
    }
    assert safety.response_id == "fake-response-1"
    assert streamed.candidates is None
    assert streamed.prompt_feedback is not None
    assert streamed.prompt_feedback.block_reason == types.BlockedReason.PROHIBITED_CONTENT
    assert streamed.prompt_feedback.block_reason_message == "Not allowed"


async def test_blocked_prompt_async(fake_gemini: FakeGemini, aclient: genai.client.AsyncClient) -> None:
    fake_gemini.script(MODEL, Fault.blocked("JAILBREAK"))

    response = await agenerate(aclient)

    assert response.prompt_feedback is not None
    assert response.prompt_feedback.model_dump(exclude_none=True) == {"block_reason": types.BlockedReason.JAILBREAK}


# --- auth and bad requests ---


def test_api_key_in_header_or_query() -> None:
    with FakeGemini(api_key="right") as fake:
        body = {"contents": [{"parts": [{"text": "Hi"}]}]}
        url = f"{fake.url}/v1beta/models/{MODEL}:generateContent"
        by_query = httpx2.post(url, params={"key": "right"}, json=body)
        by_header = httpx2.post(url, headers={"x-goog-api-key": "right"}, json=body)
        missing = httpx2.post(url, json=body)
        with (
            genai.Client(api_key="wrong", http_options=types.HttpOptions(base_url=fake.base_url)) as wrong,
            pytest.raises(errors.ClientError) as caught,
        ):
            generate(wrong)

    assert (by_query.status_code, by_header.status_code) == (200, 200)
    assert by_query.json()["candidates"][0]["content"]["parts"] == [{"text": "Hello from fake Gemini!"}]
    assert missing.status_code == 401
    assert missing.json() == {"error": {"code": 401, "message": "No API key provided.", "status": "UNAUTHENTICATED"}}
    assert (caught.value.code, caught.value.status) == (401, "UNAUTHENTICATED")


def test_bad_requests_get_google_shaped_errors(fake_gemini: FakeGemini) -> None:
    headers = {"x-goog-api-key": KEY}
    missing = httpx2.post(f"{fake_gemini.url}/v1beta/models/{MODEL}:generateContent", json={}, headers=headers)
    unknown = httpx2.post(f"{fake_gemini.url}/v1beta/models/{MODEL}:nope", json={}, headers=headers)
    old_version = httpx2.get(f"{fake_gemini.url}/v1alpha/models", headers=headers)

    assert missing.status_code == 400
    assert missing.json() == {
        "error": {"code": 400, "message": "Missing required parameter: 'contents'.", "status": "INVALID_ARGUMENT"}
    }
    assert unknown.status_code == 404
    assert unknown.json()["error"]["status"] == "NOT_FOUND"
    assert old_version.status_code == 404


# --- embeddings and models ---


def test_embed_content_batch(fake_gemini: FakeGemini, client: genai.Client) -> None:
    config = types.EmbedContentConfig(output_dimensionality=3, task_type="RETRIEVAL_DOCUMENT")
    response = embed(client, ["alpha", "beta", "gamma"], config)

    assert [embedding.values for embedding in response.embeddings or []] == [
        FakeGemini.embedding_for("alpha", 3),
        FakeGemini.embedding_for("beta", 3),
        FakeGemini.embedding_for("gamma", 3),
    ]
    assert FakeGemini.embedding_for("alpha", 3) != FakeGemini.embedding_for("beta", 3)
    [record] = fake_gemini.requests
    assert (record.path, record.model) == ("/v1beta/models/text-embedding-004:batchEmbedContents", "text-embedding-004")
    assert record.json == {
        "requests": [
            {
                "content": {"parts": [{"text": text}], "role": "user"},
                "taskType": "RETRIEVAL_DOCUMENT",
                "outputDimensionality": 3,
                "model": "models/text-embedding-004",
            }
            for text in ("alpha", "beta", "gamma")
        ]
    }


async def test_embed_content_async_default_dimensions(
    fake_gemini: FakeGemini, aclient: genai.client.AsyncClient
) -> None:
    response = await aembed(aclient, "alpha")

    assert [embedding.values for embedding in response.embeddings or []] == [FakeGemini.embedding_for("alpha", 8)]


def test_embed_content_single_rest_call_and_faults(fake_gemini: FakeGemini, client: genai.Client) -> None:
    url = f"{fake_gemini.url}/v1beta/models/text-embedding-004:embedContent"
    body = {"content": {"parts": [{"text": "alpha"}]}, "output_dimensionality": 2}  # snake_case is accepted too
    single = httpx2.post(url, json=body, headers={"x-goog-api-key": KEY})
    invalid = httpx2.post(url, json={**body, "output_dimensionality": 0}, headers={"x-goog-api-key": KEY})
    fake_gemini.script("text-embedding-004", Fault.status(429))

    with pytest.raises(errors.ClientError) as caught:
        embed(client, "alpha")

    assert single.json() == {"embedding": {"values": FakeGemini.embedding_for("alpha", 2)}}
    assert invalid.status_code == 400
    assert invalid.json()["error"]["message"] == "outputDimensionality must be a positive integer."
    assert caught.value.code == 429


def test_model_list(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.script("my-tuned", Reply("x"))

    models = list(client.models.list())

    assert [(model.name, model.display_name) for model in models] == [
        ("models/gemini-2.5-flash", "gemini-2.5-flash"),
        ("models/gemini-2.5-pro", "gemini-2.5-pro"),
        ("models/my-tuned", "my-tuned"),
        ("models/text-embedding-004", "text-embedding-004"),
    ]
    assert models[-1].supported_actions == ["embedContent", "batchEmbedContents"]
    assert fake_gemini.requests[0].path == "/v1beta/models"
