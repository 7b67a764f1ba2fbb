"""Every face x every provider through the gateway: the official SDKs as clients, the fake upstreams behind.

The cases and neutral answers are the protocol matrix's (tests/integration/drivers.py); here the drivers hold the
vendors' own SDK clients pointed at the gateway instead of RouteClient."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from routeapi.testing import FakeUpstream, Reply, ToolCall
from tests.integration.drivers import FACES, PNG, PROBES, WEATHER_SCHEMA, Call, GeminiFace

from .conftest import KINDS, UPSTREAMS, Served, serve_gateway


@pytest.fixture(scope="module")
def gateway(request: pytest.FixtureRequest) -> Iterator[Served]:
    yield from serve_gateway(request)


ROUTES = [(face, upstream) for face in KINDS for upstream in UPSTREAMS]
WEATHER = ToolCall("get_weather", {"city": "Paris"}, id="call_A")
TIME = ToolCall("get_time", {"timezone": "Europe/Paris"}, id="call_B")
EXPECTED_CALLS = [
    Call("call_A", "get_weather", {"city": "Paris"}),
    Call("call_B", "get_time", {"timezone": "Europe/Paris"}),
]


def _driver(gateway: Served, face: str) -> Any:
    clients = {"openai": gateway.openai, "anthropic": gateway.anthropic, "gemini": gateway.genai}
    return FACES[face](clients[face]())  # type: ignore[arg-type]


@pytest.fixture(params=ROUTES, ids=[f"{f}-face-to-{u}" for f, u in ROUTES])
def route(
    request: pytest.FixtureRequest, gateway: Served, fakes: dict[str, FakeUpstream]
) -> tuple[Any, FakeUpstream, Any]:
    face, upstream = request.param
    return _driver(gateway, face), fakes[upstream], PROBES[upstream]


def _model(upstream: FakeUpstream, gateway: Served) -> str:
    kind = next(k for k, fake in gateway.upstreams.items() if fake is upstream)
    return f"{kind}/model-x"


async def test_plain(route: tuple[Any, FakeUpstream, Any], gateway: Served) -> None:
    driver, upstream, _ = route
    upstream.script("model-x", Reply("Hello world", input_tokens=12, output_tokens=4))

    answer = await driver.create(_model(upstream, gateway), driver.user("Hi"))

    assert (answer.text, answer.calls, answer.finish) == ("Hello world", [], "stop")
    assert (answer.input_tokens, answer.output_tokens) == (12, 4)
    assert upstream.requests[-1].headers["x-request-id"].startswith("req_")


async def test_stream_through_the_sdk_helper(route: tuple[Any, FakeUpstream, Any], gateway: Served) -> None:
    driver, upstream, _ = route
    upstream.script("model-x", Reply("Streamed text arrives in pieces", input_tokens=9, output_tokens=6))

    answer = await driver.stream(_model(upstream, gateway), driver.user("Hi"))

    assert (answer.text, answer.calls, answer.finish) == ("Streamed text arrives in pieces", [], "stop")
    assert (answer.input_tokens, answer.output_tokens) == (9, 6)
    assert upstream.requests[-1].stream is True


@pytest.mark.parametrize("streamed", [False, True], ids=["plain", "stream"])
async def test_two_parallel_tool_calls(route: tuple[Any, FakeUpstream, Any], gateway: Served, streamed: bool) -> None:
    driver, upstream, probe = route
    upstream.script("model-x", Reply(tool_calls=[WEATHER, TIME], chunk_size=3))
    call = driver.stream if streamed else driver.create

    answer = await call(_model(upstream, gateway), driver.user("Weather and time?"), tools=driver.tools())

    if isinstance(driver, GeminiFace):  # Gemini shows no call ids it did not issue itself
        assert [(c.name, c.arguments) for c in answer.calls] == [(c.name, c.arguments) for c in EXPECTED_CALLS]
    else:
        assert answer.calls == EXPECTED_CALLS
    assert answer.finish == "tool_calls"
    assert probe.tool_names(upstream.requests[-1].json) == ["get_weather", "get_time"]


async def test_tool_results_in_a_multi_turn_conversation(route: tuple[Any, FakeUpstream, Any], gateway: Served) -> None:
    driver, upstream, probe = route
    upstream.script("model-x", Reply("Sunny at noon."))

    answer = await driver.create(_model(upstream, gateway), driver.tool_result_messages(), tools=driver.tools())

    assert answer.text == "Sunny at noon."
    sent = upstream.requests[-1].json
    assert probe.tool_call_ids(sent) == probe.expected_call_keys
    assert probe.tool_result_ids(sent) == probe.expected_call_keys


async def test_json_schema_output(route: tuple[Any, FakeUpstream, Any], gateway: Served) -> None:
    driver, upstream, probe = route
    upstream.script("model-x", Reply.json({"city": "Paris"}))

    answer = await driver.create(_model(upstream, gateway), driver.user("Where?"), **driver.json_schema())

    assert json.loads(answer.text) == {"city": "Paris"}
    assert probe.schema(upstream.requests[-1].json) == WEATHER_SCHEMA


async def test_image_input(route: tuple[Any, FakeUpstream, Any], gateway: Served) -> None:
    driver, upstream, probe = route
    upstream.script("model-x", Reply("A pixel."))

    answer = await driver.create(_model(upstream, gateway), driver.image_messages())

    assert answer.text == "A pixel."
    assert probe.image_bytes(upstream.requests[-1].json) == PNG


async def test_an_alias_routes_like_its_deployment(gateway: Served, fakes: dict[str, FakeUpstream]) -> None:
    fakes["openai"].script("model-x", Reply("via the alias"))

    completion = gateway.openai().chat.completions.create(model="alias-x", messages=[{"role": "user", "content": "Hi"}])

    assert completion.choices[0].message.content == "via the alias"
    assert fakes["openai"].requests[-1].json["model"] == "model-x"
