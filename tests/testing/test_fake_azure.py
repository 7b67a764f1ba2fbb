"""FakeAzureOpenAI driven by the real openai SDK's Azure clients (sync and async) over loopback HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from routeapi.testing import FakeAzureOpenAI, FakeOpenAI, Fault, Reply

DEPLOYMENT = "gpt4o-prod"
API_VERSION = "2024-10-21"
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Hi"}]
KEY = "azure-test-key"


def severity(level: str = "safe") -> dict[str, Any]:
    return {"filtered": level != "safe", "severity": level}


def detection(detected: bool = False) -> dict[str, Any]:
    return {"filtered": detected, "detected": detected}


PROMPT_FILTER_RESULTS = [
    {
        "prompt_index": 0,
        "content_filter_results": {
            "hate": severity(),
            "jailbreak": detection(),
            "self_harm": severity(),
            "sexual": severity(),
            "violence": severity(),
        },
    }
]
SAFE_OUTPUT = {
    "hate": severity(),
    "protected_material_code": detection(),
    "protected_material_text": detection(),
    "self_harm": severity(),
    "sexual": severity(),
    "violence": severity(),
}
FILTERED_OUTPUT = {**SAFE_OUTPUT, "violence": severity("high")}


@pytest.fixture
def client(fake_azure: FakeAzureOpenAI) -> Iterator[openai.AzureOpenAI]:
    with openai.AzureOpenAI(
        azure_endpoint=fake_azure.endpoint, api_version=API_VERSION, api_key=KEY, max_retries=0
    ) as sdk:
        yield sdk


@pytest.fixture
async def aclient(fake_azure: FakeAzureOpenAI) -> AsyncIterator[openai.AsyncAzureOpenAI]:
    async with openai.AsyncAzureOpenAI(
        azure_endpoint=fake_azure.endpoint, api_version=API_VERSION, api_key=KEY, max_retries=0
    ) as sdk:
        yield sdk


def chat_url(fake: FakeAzureOpenAI, deployment: str = DEPLOYMENT) -> str:
    return f"{fake.endpoint}/openai/deployments/{deployment}/chat/completions"


# --- chat completions ---


def test_plain_chat_with_content_filter_fields(fake_azure: FakeAzureOpenAI, client: openai.AzureOpenAI) -> None:
    assert fake_azure.requests == []  # the plugin resets between tests
    fake_azure.script(DEPLOYMENT, Reply("Hello there", id="chatcmpl-1"))

    completion = client.chat.completions.create(model=DEPLOYMENT, messages=MESSAGES, temperature=0)

    assert completion.id == "chatcmpl-1"
    assert completion.choices[0].message.content == "Hello there"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model_extra == {"prompt_filter_results": PROMPT_FILTER_RESULTS}
    assert completion.choices[0].model_extra == {"content_filter_results": SAFE_OUTPUT}
    [record] = fake_azure.requests
    assert (record.method, record.path, record.model) == (
        "POST",
        f"/openai/deployments/{DEPLOYMENT}/chat/completions",
        DEPLOYMENT,
    )
    assert record.query == {"api-version": API_VERSION}
    assert record.json == {"model": DEPLOYMENT, "messages": MESSAGES, "temperature": 0}
    assert record.headers["api-key"] == KEY
    assert "authorization" not in record.headers


async def test_plain_chat_async(fake_azure: FakeAzureOpenAI, aclient: openai.AsyncAzureOpenAI) -> None:
    completion = await aclient.chat.completions.create(model=DEPLOYMENT, messages=MESSAGES)

    assert completion.choices[0].message.content == "Hello from fake Azure OpenAI!"
    assert completion.model == DEPLOYMENT
    assert completion.model_extra == {"prompt_filter_results": PROMPT_FILTER_RESULTS}


def test_a_pinned_deployment_keys_the_script(fake_azure: FakeAzureOpenAI) -> None:
    fake_azure.script("pinned", Reply("from the pinned deployment"))

    with openai.AzureOpenAI(
        azure_endpoint=fake_azure.endpoint,
        azure_deployment="pinned",
        api_version=API_VERSION,
        api_key=KEY,
        max_retries=0,
    ) as sdk:
        completion = sdk.chat.completions.create(model="gpt-4o", messages=MESSAGES)

    assert completion.choices[0].message.content == "from the pinned deployment"
    assert fake_azure.requests[0].path == "/openai/deployments/pinned/chat/completions"
    assert fake_azure.requests[0].json["model"] == "gpt-4o"


def test_stream_frames(fake_azure: FakeAzureOpenAI, client: openai.AzureOpenAI) -> None:
    fake_azure.script(DEPLOYMENT, Reply("Hi there", chunk_size=4, id="chatcmpl-s"))

    chunks = list(client.chat.completions.create(model=DEPLOYMENT, messages=MESSAGES, stream=True))

    prompt_frame, *rest = chunks
    assert (prompt_frame.id, prompt_frame.model, prompt_frame.created, prompt_frame.object) == ("", "", 0, "")
    assert prompt_frame.choices == []
    assert prompt_frame.model_extra == {"prompt_filter_results": PROMPT_FILTER_RESULTS}
    assert [chunk.id for chunk in rest] == ["chatcmpl-s"] * 4
    assert [(c.choices[0].delta.content, c.choices[0].finish_reason) for c in rest] == [
        ("", None),
        ("Hi t", None),
        ("here", None),
        (None, "stop"),
    ]
    assert [c.choices[0].model_extra for c in rest] == [
        {"content_filter_results": {}},
        {"content_filter_results": SAFE_OUTPUT},
        {"content_filter_results": SAFE_OUTPUT},
        {"content_filter_results": {}},
    ]
    assert fake_azure.requests[0].stream is True


async def test_stream_helper_async(fake_azure: FakeAzureOpenAI, aclient: openai.AsyncAzureOpenAI) -> None:
    fake_azure.script(DEPLOYMENT, Reply("Hello streaming", chunk_size=5, output_tokens=3))

    async with aclient.chat.completions.stream(
        model=DEPLOYMENT, messages=MESSAGES, stream_options={"include_usage": True}
    ) as stream:
        deltas = [event.delta async for event in stream if event.type == "content.delta"]
        final = await stream.get_final_completion()

    assert deltas == ["", "Hello", " stre", "aming"]
    assert final.choices[0].message.content == "Hello streaming"
    assert final.usage is not None
    assert final.usage.completion_tokens == 3


def test_content_filter_finish(fake_azure: FakeAzureOpenAI, client: openai.AzureOpenAI) -> None:
    fake_azure.script(DEPLOYMENT, Reply("Partial", finish_reason="content_filter"))

    plain = client.chat.completions.create(model=DEPLOYMENT, messages=MESSAGES)
    last = list(client.chat.completions.create(model=DEPLOYMENT, messages=MESSAGES, stream=True))[-1]

    assert plain.choices[0].finish_reason == "content_filter"
    assert plain.choices[0].model_extra == {"content_filter_results": FILTERED_OUTPUT}
    assert last.choices[0].finish_reason == "content_filter"
    assert last.choices[0].model_extra == {"content_filter_results": FILTERED_OUTPUT}


BLOCKED_BODY = {
    "message": (
        "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please"
        " modify your prompt and retry. To learn more about our content filtering policies please read our"
        " documentation: https://go.microsoft.com/fwlink/?linkid=2198766"
    ),
    "type": None,
    "param": "prompt",
    "code": "content_filter",
    "status": 400,
    "innererror": {
        "code": "ResponsibleAIPolicyViolation",
        "content_filter_result": {
            "hate": severity(),
            "jailbreak": detection(True),
            "self_harm": severity(),
            "sexual": severity(),
            "violence": severity(),
        },
    },
}


def test_prompt_blocked(fake_azure: FakeAzureOpenAI, client: openai.AzureOpenAI) -> None:
    fake_azure.script(DEPLOYMENT, Fault.blocked())

    with pytest.raises(openai.BadRequestError) as plain:
        client.chat.completions.create(model=DEPLOYMENT, messages=MESSAGES)
    with pytest.raises(openai.BadRequestError) as streamed:
        client.chat.completions.create(model=DEPLOYMENT, messages=MESSAGES, stream=True)

    for caught in (plain, streamed):
        assert caught.value.status_code == 400
        assert caught.value.code == "content_filter"
        assert caught.value.param == "prompt"
        assert caught.value.body == BLOCKED_BODY


async def test_prompt_blocked_for_a_category_async(
    fake_azure: FakeAzureOpenAI, aclient: openai.AsyncAzureOpenAI
) -> None:
    fake_azure.script(DEPLOYMENT, Fault.blocked("violence", message="Filtered."))

    with pytest.raises(openai.BadRequestError) as caught:
        await aclient.chat.completions.create(model=DEPLOYMENT, messages=MESSAGES)

    assert caught.value.body == {
        **BLOCKED_BODY,
        "message": "Filtered.",
        "innererror": {
            "code": "ResponsibleAIPolicyViolation",
            "content_filter_result": {
                "hate": severity(),
                "jailbreak": detection(),
                "self_harm": severity(),
                "sexual": severity(),
                "violence": severity("high"),
            },
        },
    }


# --- faults reuse FakeOpenAI's ---


def test_status_and_stream_faults(fake_azure: FakeAzureOpenAI, client: openai.AzureOpenAI) -> None:
    fake_azure.script(DEPLOYMENT, Fault.status(429, "Slow down"), Fault.stream_error(2, message="Upstream melted"))

    with pytest.raises(openai.RateLimitError) as limited:
        client.chat.completions.create(model=DEPLOYMENT, messages=MESSAGES)
    stream = client.chat.completions.create(model=DEPLOYMENT, messages=MESSAGES, stream=True)
    with pytest.raises(openai.APIError, match="Upstream melted"):
        list(stream)

    assert limited.value.body == {
        "message": "Slow down",
        "type": "requests",
        "param": None,
        "code": "rate_limit_exceeded",
    }


# --- embeddings, the v1 form, routing and auth ---


def test_embeddings(fake_azure: FakeAzureOpenAI, client: openai.AzureOpenAI) -> None:
    result = client.embeddings.create(model="embed-deployment", input=["alpha", "beta"], dimensions=3)

    assert [item.embedding for item in result.data] == [
        FakeOpenAI.embedding_for("alpha", 3),
        FakeOpenAI.embedding_for("beta", 3),
    ]
    assert result.model == "embed-deployment"
    assert (fake_azure.requests[0].path, fake_azure.requests[0].model) == (
        "/openai/deployments/embed-deployment/embeddings",
        "embed-deployment",
    )


async def test_embeddings_async(fake_azure: FakeAzureOpenAI, aclient: openai.AsyncAzureOpenAI) -> None:
    fake_azure.script("embed-deployment", Fault.status(500))

    with pytest.raises(openai.InternalServerError):
        await aclient.embeddings.create(model="embed-deployment", input="alpha")
    result = await aclient.embeddings.create(model="other-embedder", input="alpha")

    assert result.data[0].embedding == FakeOpenAI.embedding_for("alpha", 8)


def test_v1_form_with_the_plain_openai_client(fake_azure: FakeAzureOpenAI) -> None:
    fake_azure.script("v1-deployment", Reply("from v1"))

    with openai.OpenAI(base_url=f"{fake_azure.endpoint}/openai/v1/", api_key=KEY, max_retries=0) as sdk:
        completion = sdk.chat.completions.create(model="v1-deployment", messages=MESSAGES)
        streamed = list(sdk.chat.completions.create(model="v1-deployment", messages=MESSAGES, stream=True))
        embedding = sdk.embeddings.create(model="v1-embedder", input="alpha", encoding_format="float")
        models = [model.id for model in sdk.models.list()]

    assert fake_azure.base_url == f"{fake_azure.endpoint}/openai/v1"
    assert completion.choices[0].message.content == "from v1"
    assert completion.model_extra == {"prompt_filter_results": PROMPT_FILTER_RESULTS}
    assert streamed[0].model_extra == {"prompt_filter_results": PROMPT_FILTER_RESULTS}
    assert "".join(chunk.choices[0].delta.content or "" for chunk in streamed[1:]) == "from v1"
    assert embedding.data[0].embedding == FakeOpenAI.embedding_for("alpha", 8)
    assert models == ["gpt-4o", "gpt-4o-mini", "text-embedding-3-small", "v1-deployment"]
    assert [(r.path, r.model, r.query) for r in fake_azure.requests[:3]] == [
        ("/openai/v1/chat/completions", "v1-deployment", {}),
        ("/openai/v1/chat/completions", "v1-deployment", {}),
        ("/openai/v1/embeddings", "v1-embedder", {}),
    ]
    assert fake_azure.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_unknown_paths_and_a_missing_api_version_are_not_found(
    fake_azure: FakeAzureOpenAI, client: openai.AzureOpenAI
) -> None:
    body = {"messages": MESSAGES}
    headers = {"api-key": KEY}
    without_version = httpx2.post(chat_url(fake_azure), json=body, headers=headers)
    with_version = httpx2.post(chat_url(fake_azure), params={"api-version": API_VERSION}, json=body, headers=headers)
    v1_without_model = httpx2.post(f"{fake_azure.base_url}/chat/completions", json=body, headers=headers)

    assert without_version.status_code == 404
    assert without_version.json() == {"error": {"code": "404", "message": "Resource not found"}}
    assert with_version.status_code == 200  # the deployments form needs no body `model`
    assert with_version.json()["model"] == DEPLOYMENT
    assert v1_without_model.status_code == 400
    assert v1_without_model.json()["error"]["message"] == "Missing required parameter: 'model'."


def test_api_key_or_bearer_token() -> None:
    with FakeAzureOpenAI(api_key="right") as fake:
        body = {"messages": MESSAGES}
        params = {"api-version": API_VERSION}
        by_api_key = httpx2.post(chat_url(fake), params=params, json=body, headers={"api-key": "right"})
        by_bearer = httpx2.post(chat_url(fake), params=params, json=body, headers={"authorization": "Bearer right"})
        with (
            openai.AzureOpenAI(
                azure_endpoint=fake.endpoint, api_version=API_VERSION, api_key="wrong", max_retries=0
            ) as wrong,
            pytest.raises(openai.AuthenticationError) as caught,
        ):
            wrong.chat.completions.create(model=DEPLOYMENT, messages=MESSAGES)

    assert (by_api_key.status_code, by_bearer.status_code) == (200, 200)
    assert caught.value.status_code == 401
