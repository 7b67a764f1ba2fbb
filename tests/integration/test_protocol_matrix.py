"""Every face x every provider, sync and async, through the real SDKs over HTTP to the fake upstreams.

The same cases as the OpenAI foundation matrix, run on each route: same-protocol routes pass bodies through; the
others translate through the IR both ways, streaming included (checked by the vendor SDKs' own stream helpers).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from routeapi import AsyncRouteClient, RouteClient, errors, route_info
from routeapi.testing import FakeUpstream, Fault, Reply, ToolCall

from .drivers import FACES, PNG, PROBES, WEATHER_SCHEMA, AnthropicFace, Call, GeminiFace, OpenAIFace, provider_config

FACE_KINDS = ("openai", "anthropic", "gemini")
UPSTREAM_KINDS = ("openai", "anthropic", "gemini", "azure", "bedrock")
ROUTES = [(face, upstream) for face in FACE_KINDS for upstream in UPSTREAM_KINDS]
MODEL = "up/model-x"


@dataclass
class Route:
    face: OpenAIFace | AnthropicFace | GeminiFace
    upstream: FakeUpstream
    upstream_kind: str
    probe: Any

    @property
    def same_protocol(self) -> bool:
        return self.face.name == {"azure": "openai"}.get(self.upstream_kind, self.upstream_kind)

    def sent(self) -> dict[str, Any]:
        return self.upstream.requests[-1].json


def _id(param: tuple[str, str, str]) -> str:
    return f"{param[0]}-face-to-{param[1]}-{param[2]}"


@pytest.fixture(params=[(f, u, k) for f, u in ROUTES for k in ("sync", "async")], ids=_id)
async def route(request: pytest.FixtureRequest) -> AsyncIterator[Route]:
    face_kind, upstream_kind, client_kind = request.param
    upstream: FakeUpstream = request.getfixturevalue(f"fake_{upstream_kind}")
    config: dict[str, Any] = {
        "providers": {"up": provider_config(upstream_kind, upstream)},
        "retry": {"max_attempts": 1},
    }
    client = AsyncRouteClient(**config) if client_kind == "async" else RouteClient(**config)
    face = FACES[face_kind](client)
    yield Route(face, upstream, upstream_kind, PROBES[upstream_kind])
    await face.aclose()


WEATHER = ToolCall("get_weather", {"city": "Paris"}, id="call_A")
TIME = ToolCall("get_time", {"timezone": "Europe/Paris"}, id="call_B")
EXPECTED_CALLS = [
    Call("call_A", "get_weather", {"city": "Paris"}),
    Call("call_B", "get_time", {"timezone": "Europe/Paris"}),
]


async def test_plain(route: Route) -> None:
    route.upstream.script("model-x", Reply("Hello world", input_tokens=12, output_tokens=4))

    answer = await route.face.create(MODEL, route.face.user("Hi"))

    assert (answer.text, answer.calls, answer.finish) == ("Hello world", [], "stop")
    assert (answer.input_tokens, answer.output_tokens) == (12, 4)
    info = route_info(answer.raw)
    assert info is not None
    assert (info.provider, info.model) == ("up", "model-x")
    assert route.upstream.requests[-1].headers.get("x-request-id") == info.request_id


async def test_stream_through_the_sdk_helper_equals_the_plain_answer(route: Route) -> None:
    route.upstream.script("model-x", Reply("Streamed text arrives in pieces", input_tokens=9, output_tokens=6))

    plain = await route.face.create(MODEL, route.face.user("Hi"))
    streamed = await route.face.stream(MODEL, route.face.user("Hi"))

    assert (streamed.text, streamed.calls, streamed.finish) == (plain.text, plain.calls, plain.finish)
    assert (streamed.input_tokens, streamed.output_tokens) == (plain.input_tokens, plain.output_tokens) == (9, 6)


@pytest.mark.parametrize("streamed", [False, True], ids=["plain", "stream"])
async def test_two_parallel_tool_calls(route: Route, streamed: bool) -> None:
    route.upstream.script("model-x", Reply(tool_calls=[WEATHER, TIME], chunk_size=3))
    call = route.face.stream if streamed else route.face.create

    answer = await call(MODEL, route.face.user("Weather and time?"), tools=route.face.tools())

    if isinstance(route.face, GeminiFace):  # Gemini shows no call ids it did not issue itself
        assert [(c.name, c.arguments) for c in answer.calls] == [(c.name, c.arguments) for c in EXPECTED_CALLS]
    else:
        assert answer.calls == EXPECTED_CALLS  # ids kept, arguments complete (never {})
    assert answer.finish == "tool_calls"
    assert route.probe.tool_names(route.sent()) == ["get_weather", "get_time"]


async def test_tool_results_in_a_multi_turn_conversation(route: Route) -> None:
    route.upstream.script("model-x", Reply("Sunny at noon."))

    answer = await route.face.create(MODEL, route.face.tool_result_messages(), tools=route.face.tools())

    assert answer.text == "Sunny at noon."
    sent = route.sent()
    assert route.probe.tool_call_ids(sent) == route.probe.expected_call_keys
    assert route.probe.tool_result_ids(sent) == route.probe.expected_call_keys


async def test_json_schema_output(route: Route) -> None:
    route.upstream.script("model-x", Reply.json({"city": "Paris"}))

    answer = await route.face.create(MODEL, route.face.user("Where?"), **route.face.json_schema())

    assert json.loads(answer.text) == {"city": "Paris"}
    assert route.probe.schema(route.sent()) == WEATHER_SCHEMA


async def test_image_input(route: Route) -> None:
    await route.face.create(MODEL, route.face.image_messages())

    assert route.probe.image_bytes(route.sent()) == PNG


async def test_usage_with_cache_tokens(route: Route) -> None:
    route.upstream.script("model-x", Reply("ok", input_tokens=20, cache_read_tokens=5, cache_write_tokens=3))

    answer = await route.face.create(MODEL, route.face.user("Hi"))

    assert (answer.input_tokens, answer.cache_read_tokens, answer.output_tokens) == (20, 5, 5)


@pytest.mark.parametrize("finish", ["stop", "length", "tool_calls", "content_filter", "stop_sequence"])
async def test_finish_reasons(route: Route, finish: str) -> None:
    calls = [WEATHER] if finish == "tool_calls" else []
    route.upstream.script("model-x", Reply("partial", tool_calls=calls, finish_reason=finish))  # type: ignore[arg-type]

    answer = (
        await route.face.create(MODEL, route.face.user("Hi"), stop_sequences=["END"])
        if isinstance(route.face, AnthropicFace)
        else await route.face.create(MODEL, route.face.user("Hi"), stop=["END"])
    )

    # Only Anthropic reports which stop sequence matched; elsewhere it is a plain stop.
    keeps_sequence = route.face.name == "anthropic" and route.upstream_kind in ("anthropic", "bedrock")
    expected = "stop" if finish == "stop_sequence" and not keeps_sequence else finish
    assert answer.finish == expected


async def test_explicit_zero_values_arrive_as_sent(route: Route) -> None:
    await route.face.create(MODEL, route.face.user("Hi"), temperature=0, top_p=0)

    sent = route.sent()
    assert (route.probe.param(sent, "temperature"), route.probe.param(sent, "top_p")) == (0, 0)


async def test_top_k_zero_arrives_or_its_drop_is_reported(route: Route, caplog: pytest.LogCaptureFixture) -> None:
    if not isinstance(route.face, AnthropicFace):
        pytest.skip("top_k is an Anthropic parameter")
    caplog.set_level(logging.WARNING, logger="routeapi")

    answer = await route.face.create(MODEL, route.face.user("Hi"), top_k=0)

    info = route_info(answer.raw)
    assert info is not None
    if route.upstream_kind in ("anthropic", "gemini"):
        assert route.probe.param(route.sent(), "top_k") == 0
        assert info.adaptations == []
    else:
        assert "top_k" not in route.sent()
        assert [(a.param, a.action) for a in info.adaptations] == [("top_k", "dropped")]
        assert "top_k dropped" in caplog.text
        assert info.request_id in caplog.text


async def test_same_protocol_keeps_unknown_fields(route: Route) -> None:
    if not route.same_protocol or isinstance(route.face, GeminiFace):
        pytest.skip("pass-through of unknown fields: same protocol, and a face whose SDK accepts unknown fields")

    await route.face.create(MODEL, route.face.user("Hi"), extra_body={"x_future_param": {"depth": 0}})

    assert route.sent()["x_future_param"] == {"depth": 0}


@pytest.mark.parametrize(
    ("status", "error_type"),
    [(429, errors.RateLimited), (500, errors.ServerError), (503, errors.Overloaded), (529, errors.Overloaded)],
)
async def test_upstream_error_statuses(route: Route, status: int, error_type: type[errors.ProviderError]) -> None:
    route.upstream.script("model-x", Fault.status(status, "upstream trouble"))

    with pytest.raises(error_type) as caught:
        await route.face.create(MODEL, route.face.user("Hi"))

    assert caught.value.status_code == status
    assert caught.value.provider == "up"
    assert "sk-secret-test" not in str(caught.value)


async def test_in_stream_error_before_content_is_the_mapped_error(route: Route) -> None:
    route.upstream.script("model-x", Fault.stream_error(after_events=0, error_type="overloaded_error"))

    with pytest.raises((errors.Overloaded, errors.ServerError)):
        await route.face.stream(MODEL, route.face.user("Hi"))


async def test_in_stream_error_after_content_interrupts_the_stream(route: Route) -> None:
    route.upstream.script("model-x", Fault.stream_error(after_events=5, then=Reply("a long enough answer to cut")))

    with pytest.raises(errors.StreamInterrupted):
        await route.face.stream(MODEL, route.face.user("Hi"))


async def test_cut_stream_is_never_a_complete_answer(route: Route) -> None:
    route.upstream.script("model-x", Fault.cut(after_events=5, then=Reply("a long enough answer to cut")))

    with pytest.raises(errors.StreamInterrupted):
        await route.face.stream(MODEL, route.face.user("Hi"))


async def test_n_two_is_honoured_or_rejected_never_dropped(route: Route) -> None:
    if not isinstance(route.face, OpenAIFace):
        pytest.skip("n is an OpenAI face parameter (Gemini's candidate_count is covered by the Gemini face tests)")
    route.upstream.script("model-x", Reply("twice", n=2))

    if route.upstream_kind in ("anthropic", "bedrock"):
        with pytest.raises(errors.UnsupportedFeature, match="n=2"):
            await route.face.create(MODEL, route.face.user("Hi"), n=2)
        return
    answer = await route.face.create(MODEL, route.face.user("Hi"), n=2)
    assert [c.message.content for c in answer.raw.choices] == ["twice", "twice"]


@pytest.mark.parametrize("streamed", [False, True], ids=["plain", "stream"])
async def test_json_schema_without_native_support_uses_a_forced_tool(
    fake_anthropic: FakeUpstream, streamed: bool
) -> None:
    # claude-3-5-haiku has no native JSON-schema output (catalog): the schema travels as a forced tool call and the
    # call comes back to the OpenAI face as plain JSON text.
    fake_anthropic.script(
        "claude-3-5-haiku-20241022", Reply(tool_calls=[ToolCall("weather", {"city": "Paris"})], chunk_size=4)
    )
    client = AsyncRouteClient(
        providers={"claude": {"type": "anthropic", "base_url": fake_anthropic.base_url, "api_key": "k"}},
        retry={"max_attempts": 1},
    )
    face = OpenAIFace(client)
    try:
        call = face.stream if streamed else face.create
        answer = await call("claude/claude-3-5-haiku-20241022", face.user("Where?"), **face.json_schema())
    finally:
        await face.aclose()

    assert json.loads(answer.text) == {"city": "Paris"}
    assert (answer.calls, answer.finish) == ([], "stop")
    sent = fake_anthropic.requests[-1].json
    assert sent["tool_choice"] == {"type": "tool", "name": "weather"}
    assert [(t["name"], t["input_schema"]) for t in sent["tools"]] == [("weather", WEATHER_SCHEMA)]
    assert "output_config" not in sent
    if not streamed:  # the stream helper's final completion is the SDK's own object
        info = route_info(answer.raw)
        assert info is not None
        assert [(a.param, a.action) for a in info.adaptations if a.param == "response_format"] == [
            ("response_format", "adapted")
        ]
