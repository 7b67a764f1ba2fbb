"""Faces driven the same way in sync and async: one test table, both clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from routeapi import AsyncRouteClient, RouteClient, RouteInfo, route_info


class Face:
    """Calls a client's faces with ``await``, whichever kind the client is, so one test covers both."""

    def __init__(self, client: RouteClient | AsyncRouteClient) -> None:
        self.client = client
        self.is_async = isinstance(client, AsyncRouteClient)
        self.route: RouteInfo | None = None
        """The route of the last stream opened."""

    async def _call(self, sync: Callable[[], Any], async_: Callable[[], Any]) -> Any:
        if self.is_async:
            return await async_()
        return await asyncio.to_thread(sync)

    async def chat(self, **kwargs: Any) -> Any:
        return await self._call(
            lambda: self.client.chat.completions.create(**kwargs),
            lambda: self.client.chat.completions.create(**kwargs),
        )

    async def chat_stream(self, **kwargs: Any) -> list[Any]:
        """All chunks of a streamed chat completion."""

        def sync() -> list[Any]:
            with self.client.chat.completions.create(stream=True, **kwargs) as stream:
                self.route = route_info(stream)
                return list(stream)

        async def async_() -> list[Any]:
            stream = await self.client.chat.completions.create(stream=True, **kwargs)
            self.route = route_info(stream)
            async with stream:
                return [chunk async for chunk in stream]

        return await self._call(sync, async_)

    async def messages(self, **kwargs: Any) -> Any:
        """An Anthropic-face message."""
        return await self._call(
            lambda: self.client.messages.create(**kwargs),
            lambda: self.client.messages.create(**kwargs),
        )

    async def messages_stream(self, **kwargs: Any) -> list[Any]:
        """All events of a streamed Anthropic-face message."""

        def sync() -> list[Any]:
            with self.client.messages.create(stream=True, **kwargs) as stream:
                self.route = route_info(stream)
                return list(stream)

        async def async_() -> list[Any]:
            stream = await self.client.messages.create(stream=True, **kwargs)
            self.route = route_info(stream)
            async with stream:
                return [event async for event in stream]

        return await self._call(sync, async_)

    async def aclose(self) -> None:
        if isinstance(self.client, AsyncRouteClient):
            await self.client.aclose()
        else:
            self.client.close()


@pytest.fixture(params=["sync", "async"])
def make_face(request: pytest.FixtureRequest) -> Callable[..., Face]:
    """``make_face(**config)`` builds a sync or async client (per the parametrisation) behind a :class:`Face`."""
    kind: str = request.param

    def make(**config: Any) -> Face:
        config.setdefault("retry", {"max_attempts": 1})
        client = AsyncRouteClient(**config) if kind == "async" else RouteClient(**config)
        return Face(client)

    return make


@pytest.fixture
async def openai_face(make_face: Callable[..., Face], fake_openai: Any) -> AsyncIterator[Face]:
    """A client whose ``openai`` provider is the fake OpenAI upstream."""
    face = make_face(providers={"openai": {"type": "openai", "base_url": fake_openai.base_url, "api_key": "sk-test"}})
    yield face
    await face.aclose()
