"""Capability-aware routing: a target that lacks what the request needs (tools, images, JSON schema, prefill) is
skipped before it is tried, with the reason recorded. Sync and async share the table (conftest.make_face)."""

from __future__ import annotations

from typing import Any

import pytest

from routeapi import errors, route_info
from routeapi.testing import FakeAnthropic, FakeOpenAI, Reply

from .conftest import Face

USER = [{"role": "user", "content": "Hi"}]
TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}]
PIXEL = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
LOOK = [{"type": "text", "text": "What is it?"}, {"type": "image_url", "image_url": {"url": PIXEL}}]
IMAGE = [{"role": "user", "content": LOOK}]


def make(make_face: Any, fake: FakeOpenAI, models: dict[str, Any], anthropic: FakeAnthropic | None = None) -> Face:
    providers: dict[str, Any] = {"up": {"type": "openai", "base_url": fake.base_url, "api_key": "k"}}
    if anthropic is not None:
        providers["claude"] = {"type": "anthropic", "base_url": anthropic.base_url, "api_key": "k"}
    return make_face(providers=providers, models=models, retry={"max_attempts": 1})


def served_models(fake: FakeOpenAI | FakeAnthropic) -> list[str | None]:
    return [r.model for r in fake.requests]


async def test_a_model_without_tools_is_skipped_for_a_request_with_tools(
    make_face: Any, fake_openai: FakeOpenAI
) -> None:
    plain = {"provider": "up", "model": "plain", "capabilities": {"tools": False}}
    face = make(make_face, fake_openai, {"chat": {"deployments": [plain, "up/capable"]}})
    fake_openai.script_default(Reply("ok"))
    try:
        with_tools = await face.chat(model="chat", messages=USER, tools=TOOLS)
        without = await face.chat(model="chat", messages=USER)
    finally:
        await face.aclose()

    assert served_models(fake_openai) == ["capable", "plain"]  # never asked with tools; still used without
    info = route_info(with_tools)
    assert info is not None
    assert info.model == "capable"
    assert info.skipped == [("up/plain", "the model cannot call tools")]
    assert route_info(without).model == "plain"  # type: ignore[union-attr]


async def test_a_model_the_catalog_knows_is_blind_is_skipped_for_images(
    make_face: Any, fake_openai: FakeOpenAI
) -> None:
    face = make(make_face, fake_openai, {"chat": {"deployments": ["up/gpt-3.5-turbo", "up/gpt-4o"]}})
    fake_openai.script_default(Reply("a pixel"))
    try:
        answer = await face.chat(model="chat", messages=IMAGE)
    finally:
        await face.aclose()

    assert served_models(fake_openai) == ["gpt-4o"]
    info = route_info(answer)
    assert info is not None
    assert info.skipped == [("up/gpt-3.5-turbo", "the model does not accept images")]


async def test_json_schema_skips_only_a_model_that_can_neither_do_it_nor_emulate_it(
    make_face: Any, fake_openai: FakeOpenAI
) -> None:
    neither = {"provider": "up", "model": "neither", "capabilities": {"json_schema": False, "tools": False}}
    emulates = {"provider": "up", "model": "emulates", "capabilities": {"json_schema": False}}
    face = make(make_face, fake_openai, {"chat": {"deployments": [neither, emulates]}})
    fake_openai.script_default(Reply("{}"))
    schema = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}
    try:
        answer = await face.chat(model="chat", messages=USER, response_format=schema)
    finally:
        await face.aclose()

    assert served_models(fake_openai) == ["emulates"]
    info = route_info(answer)
    assert info is not None
    assert info.skipped == [("up/neither", "the model has neither JSON-schema output nor tools to emulate it")]


async def test_prefill_goes_to_a_model_that_continues_it(
    make_face: Any, fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic
) -> None:
    # OpenAI's API has no prefill: an Anthropic-face request ending in an assistant turn must go to Claude.
    models = {"chat": {"deployments": ["up/gpt-4o", "claude/claude-sonnet-4-5"]}}
    face = make(make_face, fake_openai, models, fake_anthropic)
    fake_anthropic.script_default(Reply(" blue."))
    prefilled = [{"role": "user", "content": "Sky colour?"}, {"role": "assistant", "content": "The sky is"}]
    try:
        message = await face.messages(model="chat", max_tokens=20, messages=prefilled)
        plain = await face.messages(model="chat", max_tokens=20, messages=USER)
    finally:
        await face.aclose()

    assert served_models(fake_anthropic) == ["claude-sonnet-4-5"]
    assert served_models(fake_openai) == ["gpt-4o"]  # the request without prefill
    info = route_info(message)
    assert info is not None
    assert info.skipped == [("up/gpt-4o", "the model does not continue a final assistant message (prefill)")]
    assert route_info(plain).model == "gpt-4o"  # type: ignore[union-attr]


async def test_no_capable_target_is_a_clean_error_that_names_every_reason(
    make_face: Any, fake_openai: FakeOpenAI
) -> None:
    plain = {"provider": "up", "model": "plain", "capabilities": {"tools": False}}
    face = make(make_face, fake_openai, {"chat": {"deployments": [plain], "fallbacks": ["up/gpt-3.5-turbo"]}})
    try:
        with pytest.raises(errors.AllAttemptsFailed) as caught:
            await face.chat(model="chat", messages=[*IMAGE], tools=TOOLS)
    finally:
        await face.aclose()

    assert fake_openai.requests == []
    message = str(caught.value)
    assert "up/plain: the model cannot call tools" in message
    assert "up/gpt-3.5-turbo: the model does not accept images" in message
    assert [(t.key, why) for t, why in caught.value.skipped] == [
        ("up/plain", "the model cannot call tools"),
        ("up/gpt-3.5-turbo", "the model does not accept images"),
    ]


async def test_a_declared_capability_overrides_the_catalog(make_face: Any, fake_openai: FakeOpenAI) -> None:
    sighted = {"provider": "up", "model": "gpt-3.5-turbo", "capabilities": {"vision": True}}
    face = make(make_face, fake_openai, {"chat": {"deployments": [sighted]}})
    fake_openai.script_default(Reply("a pixel"))
    try:
        await face.chat(model="chat", messages=IMAGE)
    finally:
        await face.aclose()

    assert served_models(fake_openai) == ["gpt-3.5-turbo"]
