"""Gemini-specific behaviour: falsy values, candidate counts, safety blocks in every face."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from routeapi import AsyncRouteClient, RouteClient, errors, route_info
from routeapi.testing import FakeGemini, FakeOpenAI, FakeUpstream, Fault, Reply

from .drivers import FACES, AnthropicFace, GeminiFace, OpenAIFace

USER_TEXT = "Hi"


@pytest.fixture(params=["sync", "async"])
async def gemini_face(request: pytest.FixtureRequest, fake_gemini: FakeGemini) -> AsyncIterator[GeminiFace]:
    config: dict[str, Any] = {
        "providers": {
            "up": {"type": "gemini", "base_url": fake_gemini.base_url, "api_key": "gk-test"},
        },
        "retry": {"max_attempts": 1},
    }
    client = AsyncRouteClient(**config) if request.param == "async" else RouteClient(**config)
    face = GeminiFace(client)
    yield face
    await face.aclose()


async def test_zero_values_and_candidate_count_one_arrive_as_sent(
    gemini_face: GeminiFace, fake_gemini: FakeGemini
) -> None:
    await gemini_face.create(
        "up/gemini-2.5-flash", gemini_face.user(USER_TEXT), temperature=0, top_k=0, candidate_count=1
    )

    config = fake_gemini.requests[-1].json["generationConfig"]
    assert (config["temperature"], config["topK"], config["candidateCount"]) == (0, 0, 1)


async def test_two_candidates(gemini_face: GeminiFace, fake_gemini: FakeGemini) -> None:
    fake_gemini.script("gemini-2.5-flash", Reply("same", n=2))

    response = await gemini_face.run(
        lambda: gemini_face.client.models.generate_content(
            model="up/gemini-2.5-flash", contents="Hi", config={"candidate_count": 2}
        ),
        lambda: gemini_face.client.models.generate_content(
            model="up/gemini-2.5-flash", contents="Hi", config={"candidate_count": 2}
        ),
    )

    assert [c.content.parts[0].text for c in response.candidates] == ["same", "same"]
    assert route_info(response) is not None


def _route_client(kind: str, upstream: FakeUpstream, upstream_kind: str) -> Any:
    config: dict[str, Any] = {
        "providers": {"up": {"type": upstream_kind, "base_url": upstream.base_url, "api_key": "k"}},
        "retry": {"max_attempts": 1},
    }
    return AsyncRouteClient(**config) if kind == "async" else RouteClient(**config)


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("face_kind", ["openai", "anthropic", "gemini"])
async def test_gemini_prompt_block_is_a_content_filter_finish_in_every_face(
    fake_gemini: FakeGemini, face_kind: str, kind: str
) -> None:
    fake_gemini.script("model-x", Fault.blocked("SAFETY"))
    face = FACES[face_kind](_route_client(kind, fake_gemini, "gemini"))
    try:
        answer = await face.create("up/model-x", face.user(USER_TEXT))
    finally:
        await face.aclose()

    assert (answer.text, answer.calls, answer.finish) == ("", [], "content_filter")


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("face_kind", ["openai", "anthropic", "gemini"])
async def test_gemini_safety_finish_is_a_content_filter_finish_in_every_face(
    fake_gemini: FakeGemini, face_kind: str, kind: str
) -> None:
    fake_gemini.script("model-x", Reply("partial", finish_reason="content_filter"))
    face = FACES[face_kind](_route_client(kind, fake_gemini, "gemini"))
    try:
        answer = await face.stream("up/model-x", face.user(USER_TEXT))
    finally:
        await face.aclose()

    assert answer.finish == "content_filter"


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("face_kind", ["openai", "anthropic", "gemini"])
async def test_openai_prompt_filter_is_content_filtered_in_every_face(
    fake_openai: FakeOpenAI, face_kind: str, kind: str
) -> None:
    fake_openai.script("model-x", Fault.blocked("violence"))
    face: OpenAIFace | AnthropicFace | GeminiFace = FACES[face_kind](_route_client(kind, fake_openai, "openai"))
    try:
        with pytest.raises(errors.ContentFiltered) as caught:
            await face.create("up/model-x", face.user(USER_TEXT))
    finally:
        await face.aclose()

    assert caught.value.status_code == 400
