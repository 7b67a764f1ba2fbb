"""The Responses face on every provider: pass-through to OpenAI and Azure, translated elsewhere; the SDK's own
``responses.stream()`` helper checks the event stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from routeapi import AsyncRouteClient, RouteClient, errors, route_info
from routeapi.testing import FakeUpstream, Reply, ToolCall

from .drivers import WEATHER_SCHEMA, provider_config

UPSTREAMS = ("openai", "azure", "anthropic", "gemini", "bedrock")
TOOLS = [{"type": "function", "name": "get_weather", "parameters": WEATHER_SCHEMA, "strict": False}]


@dataclass
class Face:
    client: RouteClient | AsyncRouteClient
    upstream: FakeUpstream
    kind: str

    async def create(self, **kwargs: Any) -> Any:
        if isinstance(self.client, AsyncRouteClient):
            return await self.client.responses.create(**kwargs)
        sync = self.client
        return await asyncio.to_thread(lambda: sync.responses.create(**kwargs))

    async def stream(self, **kwargs: Any) -> Any:
        client = self.client
        if isinstance(client, AsyncRouteClient):
            async with client.responses.stream(**kwargs) as stream:
                async for _ in stream:
                    pass
                return await stream.get_final_response()

        def run() -> Any:
            assert isinstance(client, RouteClient)
            with client.responses.stream(**kwargs) as stream:
                for _ in stream:
                    pass
                return stream.get_final_response()

        return await asyncio.to_thread(run)


@pytest.fixture(params=[(u, k) for u in UPSTREAMS for k in ("sync", "async")], ids=lambda p: f"{p[0]}-{p[1]}")
async def face(request: pytest.FixtureRequest) -> AsyncIterator[Face]:
    kind, client_kind = request.param
    upstream: FakeUpstream = request.getfixturevalue(f"fake_{kind}")
    config: dict[str, Any] = {"providers": {"up": provider_config(kind, upstream)}, "retry": {"max_attempts": 1}}
    client = AsyncRouteClient(**config) if client_kind == "async" else RouteClient(**config)
    yield Face(client, upstream, kind)
    if isinstance(client, AsyncRouteClient):
        await client.aclose()
    else:
        client.close()


def calls(response: Any) -> list[tuple[str, str, dict[str, Any]]]:
    return [(i.call_id, i.name, json.loads(i.arguments)) for i in response.output if i.type == "function_call"]


async def test_plain_text(face: Face) -> None:
    face.upstream.script("model-x", Reply("Hello from the route", input_tokens=11, output_tokens=4))

    response = await face.create(model="up/model-x", input="Hi", temperature=0)

    assert response.output_text == "Hello from the route"
    assert response.status == "completed"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (11, 4)
    info = route_info(response)
    assert info is not None
    assert (info.provider, info.model) == ("up", "model-x")


async def test_the_sdk_stream_helper_gives_the_non_streamed_response(face: Face) -> None:
    face.upstream.script(
        "model-x",
        Reply("Let me check.", tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id="call_W")], chunk_size=3),
    )

    plain = await face.create(model="up/model-x", input="Weather?", tools=TOOLS)
    streamed = await face.stream(model="up/model-x", input="Weather?", tools=TOOLS)

    assert streamed.output_text == plain.output_text == "Let me check."
    assert calls(streamed) == calls(plain)
    assert [(name, args) for _, name, args in calls(plain)] == [("get_weather", {"city": "Paris"})]
    assert (streamed.usage.input_tokens, streamed.usage.output_tokens) == (
        plain.usage.input_tokens,
        plain.usage.output_tokens,
    )


async def test_a_function_call_loop(face: Face) -> None:
    face.upstream.script(
        "model-x", Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id="call_W")]), Reply("Sunny.")
    )

    first = await face.create(model="up/model-x", input="Weather in Paris?", tools=TOOLS)
    ((call_id, name, arguments),) = calls(first)
    follow_up = [
        {"role": "user", "content": "Weather in Paris?"},
        {"type": "function_call", "call_id": call_id, "name": name, "arguments": json.dumps(arguments)},
        {"type": "function_call_output", "call_id": call_id, "output": "sunny, 21C"},
    ]
    second = await face.create(model="up/model-x", input=follow_up, tools=TOOLS)

    assert second.output_text == "Sunny."
    assert "sunny, 21C" in json.dumps(face.upstream.requests[-1].json)


async def test_built_in_tools_are_refused_where_only_openai_has_them(face: Face) -> None:
    if face.kind in ("openai", "azure"):
        pytest.skip("OpenAI and Azure run built-in tools themselves")

    with pytest.raises(errors.UnsupportedFeature, match="web_search"):
        await face.create(model="up/model-x", input="News?", tools=[{"type": "web_search"}])
    assert face.upstream.requests == []


async def test_previous_response_id_is_refused_on_translated_routes(face: Face) -> None:
    if face.kind in ("openai", "azure"):
        pytest.skip("OpenAI and Azure keep the conversation themselves")

    with pytest.raises(errors.UnsupportedFeature, match="previous_response_id"):
        await face.create(model="up/model-x", input="And tomorrow?", previous_response_id="resp_123")
    assert face.upstream.requests == []
