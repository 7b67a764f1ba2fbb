"""POST /v1/responses through the gateway, with the openai SDK (and its responses.stream() helper) as the client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from routeapi.testing import FakeUpstream, Fault, Reply, ToolCall

from .conftest import Served, serve_gateway

TOOLS: list[Any] = [
    {
        "type": "function",
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        "strict": False,
    }
]
TRANSLATED = ("anthropic", "gemini")


@pytest.fixture(scope="module")
def gateway(request: pytest.FixtureRequest) -> Iterator[Served]:
    yield from serve_gateway(request)


def calls(response: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(i.name, json.loads(i.arguments)) for i in response.output if i.type == "function_call"]


@pytest.mark.parametrize("upstream", TRANSLATED)
def test_plain_and_streamed_responses_agree(gateway: Served, fakes: dict[str, FakeUpstream], upstream: str) -> None:
    fakes[upstream].script(
        "model-x", Reply("Checking.", tool_calls=[ToolCall("get_weather", {"city": "Paris"})], chunk_size=3)
    )
    client = gateway.openai()

    plain = client.responses.create(model=f"{upstream}/model-x", input="Weather?", tools=TOOLS)
    with client.responses.stream(model=f"{upstream}/model-x", input="Weather?", tools=TOOLS) as stream:
        for _ in stream:
            pass
        streamed = stream.get_final_response()

    assert streamed.output_text == plain.output_text == "Checking."
    assert calls(streamed) == calls(plain) == [("get_weather", {"city": "Paris"})]
    assert plain.usage is not None
    assert streamed.usage is not None
    assert streamed.usage.output_tokens == plain.usage.output_tokens


@pytest.mark.parametrize("upstream", TRANSLATED)
def test_a_cut_stream_is_an_error_for_the_sdk(gateway: Served, fakes: dict[str, FakeUpstream], upstream: str) -> None:
    fakes[upstream].script("model-x", Fault.cut(after_events=4, then=Reply("a long enough answer to be cut")))
    client = gateway.openai()

    with pytest.raises(openai.APIError), client.responses.stream(model=f"{upstream}/model-x", input="Hi") as stream:
        for _ in stream:
            pass
