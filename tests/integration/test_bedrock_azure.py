"""Bedrock and Azure specifics: error mapping, content filtering in every face, and a non-blocking async Bedrock."""

from __future__ import annotations

import asyncio
import gc
import time
from typing import Any

import pytest

from routeapi import AsyncRouteClient, RouteClient, errors, route_info
from routeapi.testing import FakeAzureOpenAI, FakeBedrock, Fault, Reply

from .drivers import FACES, provider_config

USER = "Hi"


def _client(kind: str, upstream_kind: str, fake: Any, **config: Any) -> Any:
    settings: dict[str, Any] = {"providers": {"up": provider_config(upstream_kind, fake)}, **config}
    settings.setdefault("retry", {"max_attempts": 1})
    return AsyncRouteClient(**settings) if kind == "async" else RouteClient(**settings)


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("streamed", [False, True], ids=["plain", "stream"])
async def test_bedrock_throttling_is_a_retryable_rate_limit(
    fake_bedrock: FakeBedrock, kind: str, streamed: bool
) -> None:
    fault = (
        Fault.stream_error(after_events=0, error_type="ThrottlingException", message="Too many requests")
        if streamed
        else Fault.status(429, "Too many requests", error_type="ThrottlingException")
    )
    fake_bedrock.script("model-x", fault, Reply("after the throttle"))
    face = FACES["openai"](_client(kind, "bedrock", fake_bedrock))
    try:
        with pytest.raises(errors.RateLimited) as caught:
            await (face.stream if streamed else face.create)("up/model-x", face.user(USER))
        assert caught.value.retryable
        # and with a retry budget, the next attempt succeeds
        retrying = FACES["openai"](
            _client(kind, "bedrock", fake_bedrock, retry={"max_attempts": 2, "initial_backoff": 0.01})
        )
        fake_bedrock.script("model-x", fault, Reply("after the throttle"))
        answer = await (retrying.stream if streamed else retrying.create)("up/model-x", retrying.user(USER))
        await retrying.aclose()
    finally:
        await face.aclose()

    assert answer.text == "after the throttle"


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_bedrock_input_too_long_is_context_length_exceeded(fake_bedrock: FakeBedrock, kind: str) -> None:
    fake_bedrock.script(
        "model-x", Fault.status(400, "Input is too long for requested model.", error_type="ValidationException")
    )
    face = FACES["anthropic"](_client(kind, "bedrock", fake_bedrock))
    try:
        with pytest.raises(errors.ContextLengthExceeded) as caught:
            await face.create("up/model-x", face.user(USER))
    finally:
        await face.aclose()

    assert caught.value.status_code == 400
    assert caught.value.code == "ValidationException"


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("face_kind", ["openai", "anthropic", "gemini"])
async def test_azure_prompt_filter_is_content_filtered_with_categories(
    fake_azure: FakeAzureOpenAI, face_kind: str, kind: str
) -> None:
    fake_azure.script("model-x", Fault.blocked("violence"))
    face = FACES[face_kind](_client(kind, "azure", fake_azure))
    try:
        with pytest.raises(errors.ContentFiltered) as caught:
            await face.create("up/model-x", face.user(USER))
    finally:
        await face.aclose()

    assert caught.value.categories["violence"]["filtered"] is True


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("face_kind", ["openai", "anthropic", "gemini"])
async def test_azure_content_filter_finish_keeps_the_categories(
    fake_azure: FakeAzureOpenAI, face_kind: str, kind: str
) -> None:
    fake_azure.script("model-x", Reply("partial", finish_reason="content_filter"))
    face = FACES[face_kind](_client(kind, "azure", fake_azure))
    try:
        answer = await face.create("up/model-x", face.user(USER))
    finally:
        await face.aclose()

    assert answer.finish == "content_filter"
    if face_kind == "openai":  # same protocol: Azure's own fields, untouched
        categories = answer.raw.choices[0].model_extra["content_filter_results"]
    else:
        info = route_info(answer.raw)
        assert info is not None
        categories = info.content_filter
    assert categories is not None
    assert any(entry.get("filtered") for entry in categories.values() if isinstance(entry, dict))


async def test_fifty_concurrent_async_bedrock_streams_do_not_block_the_event_loop(fake_bedrock: FakeBedrock) -> None:
    fake_bedrock.script("model-x", Fault.delay(0.3, then=Reply("a streamed answer from bedrock", chunk_size=3)))
    client = AsyncRouteClient(providers={"up": provider_config("bedrock", fake_bedrock)}, retry={"max_attempts": 1})
    lags: list[float] = []
    done = asyncio.Event()

    async def watch_loop() -> None:
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - before - 0.01)

    async def one_stream() -> str:
        stream = await client.chat.completions.create(
            model="up/model-x", messages=[{"role": "user", "content": USER}], stream=True
        )
        return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    # The suite's garbage is collected first: a full collection during the measurement would pause the whole process,
    # which is not the loop being blocked by boto3. (In the full run, without this, the first tick took ~0.3 s.)
    gc.collect()
    watcher = asyncio.create_task(watch_loop())
    try:
        texts = await asyncio.gather(*(one_stream() for _ in range(50)))
    finally:
        done.set()
        await watcher
        await client.aclose()

    assert texts == ["a streamed answer from bedrock"] * 50
    assert len(fake_bedrock.requests) == 50
    # boto3 blocks; if it ran on the loop, 50 calls waiting 0.3 s each would stall the watcher for seconds.
    assert max(lags) < 0.25, f"event loop stalled for {max(lags):.3f}s"
