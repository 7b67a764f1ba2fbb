"""The calls the in-process overhead benchmark compares, built per mode: a raw httpx2 request, the vendor SDK called
directly, and routeapi's faces over each route, all against the same fake upstream.

Every call sends the same request (one user message, ``max_tokens`` 256) and consumes the whole answer: the raw
variant parses the JSON (for streams, each event's JSON), the SDKs and routeapi build their own response objects.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

MESSAGES = [{"role": "user", "content": "Hello"}]
MAX_TOKENS = 256
OPENAI_MODEL = "gpt-4o-mini"
ANTHROPIC_MODEL = "claude-haiku-4-5"
OPENAI_BODY = {"model": OPENAI_MODEL, "messages": MESSAGES, "max_tokens": MAX_TOKENS}
ANTHROPIC_BODY = {"model": ANTHROPIC_MODEL, "messages": MESSAGES, "max_tokens": MAX_TOKENS}
ANTHROPIC_HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
OPENAI_HEADERS = {"authorization": "Bearer k"}

# routeapi's providers: "oa" (OpenAI type) and "an" (Anthropic type), both at the fake.
ROUTES = {
    "OpenAI face -> OpenAI": "openai",
    "OpenAI face -> Anthropic": "anthropic",
    "Anthropic face -> OpenAI": "openai",
    "Gemini face -> OpenAI": "openai",
}
SAME_PROTOCOL = {"OpenAI face -> OpenAI"}
MODES = ("sync", "sync stream", "async", "async stream")

_SDK_NAMES = {"openai": "openai", "anthropic": "anthropic", "gemini": "google-genai"}
GEMINI_MODEL = "gemini-2.5-flash"
GEMINI_CONFIG = {"max_output_tokens": MAX_TOKENS}

SyncCall = Callable[[], object]
AsyncCall = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class Variant:
    """One thing measured: ``kind`` is "raw httpx", "SDK" or "routeapi"; ``target`` the upstream protocol."""

    kind: str
    target: str
    route: str = ""

    @property
    def label(self) -> str:
        if self.kind == "routeapi":
            return f"routeapi, {self.route}"
        return f"{self.kind} ({self.target})" if self.kind == "raw httpx" else f"{_SDK_NAMES[self.target]} SDK"

    @property
    def face(self) -> str:
        """The protocol the caller speaks: the route's face, or the SDK's own."""
        return self.route.split(" face", 1)[0].lower() if self.kind == "routeapi" else self.target


def variants() -> list[Variant]:
    """Raw and SDK baselines for both targets, google-genai for reference (the Gemini face's own SDK), the routes."""
    found = [Variant(kind, target) for target in ("openai", "anthropic") for kind in ("raw httpx", "SDK")]
    found.append(Variant("SDK", "gemini"))
    return found + [Variant("routeapi", target, route) for route, target in ROUTES.items()]


def route_config(fake_url: str) -> dict[str, Any]:
    return {
        "providers": {
            "oa": {"type": "openai", "base_url": f"{fake_url}/v1", "api_key": "k"},
            "an": {"type": "anthropic", "base_url": fake_url, "api_key": "k"},
        }
    }


def _routed_model(route: str) -> str:
    return f"an/{ANTHROPIC_MODEL}" if ROUTES[route] == "anthropic" else f"oa/{OPENAI_MODEL}"


def _sse_payloads(lines: list[str]) -> None:
    for line in lines:
        if line.startswith("data: ") and line != "data: [DONE]":
            json.loads(line[6:])


class SyncCalls:
    """The sync clients (one of each, shared by every call) and the call for each variant and mode."""

    def __init__(self, fake_url: str) -> None:
        import anthropic
        import httpx2
        import openai

        from routeapi import RouteClient

        self._url = fake_url
        self.http = httpx2.Client(limits=httpx2.Limits(max_connections=1000, max_keepalive_connections=100))
        self.openai = openai.OpenAI(base_url=f"{fake_url}/v1", api_key="k", max_retries=0)
        self.anthropic = anthropic.Anthropic(base_url=fake_url, api_key="k", max_retries=0)
        self.genai = _genai_client(fake_url)
        self.routeapi = RouteClient(**route_config(fake_url))

    def close(self) -> None:
        self.http.close()
        self.openai.close()
        self.anthropic.close()
        self.genai.close()
        self.routeapi.close()

    def call(self, variant: Variant, stream: bool) -> SyncCall:
        if variant.kind == "raw httpx":
            return self._raw(variant.target, stream)
        if variant.kind == "SDK":
            return self._sdk(variant.target, stream)
        return self._routed(variant.route, stream)

    def _raw(self, target: str, stream: bool) -> SyncCall:
        path, body, headers = _raw_request(self._url, target, stream)

        def plain() -> object:
            return self.http.post(path, json=body, headers=headers).json()

        def streamed() -> object:
            with self.http.stream("POST", path, json=body, headers=headers) as response:
                _sse_payloads(list(response.iter_lines()))
            return None

        return streamed if stream else plain

    def _sdk(self, target: str, stream: bool) -> SyncCall:
        if target == "gemini":
            models = self.genai.models
            if stream:
                return lambda: list(
                    models.generate_content_stream(model=GEMINI_MODEL, contents="Hello", config=GEMINI_CONFIG)
                )
            return lambda: models.generate_content(model=GEMINI_MODEL, contents="Hello", config=GEMINI_CONFIG)
        if target == "openai":
            if stream:
                return lambda: list(self.openai.chat.completions.create(**OPENAI_BODY, stream=True))
            return lambda: self.openai.chat.completions.create(**OPENAI_BODY)
        if stream:
            return lambda: list(self.anthropic.messages.create(**ANTHROPIC_BODY, stream=True))
        return lambda: self.anthropic.messages.create(**ANTHROPIC_BODY)

    def _routed(self, route: str, stream: bool) -> SyncCall:
        client, model = self.routeapi, _routed_model(route)
        if route.startswith("OpenAI face"):
            completions = client.chat.completions
            if stream:
                return lambda: list(
                    completions.create(model=model, messages=MESSAGES, max_tokens=MAX_TOKENS, stream=True)
                )
            return lambda: completions.create(model=model, messages=MESSAGES, max_tokens=MAX_TOKENS)
        if route.startswith("Anthropic face"):
            messages = client.messages
            if stream:
                return lambda: list(messages.create(model=model, messages=MESSAGES, max_tokens=MAX_TOKENS, stream=True))
            return lambda: messages.create(model=model, messages=MESSAGES, max_tokens=MAX_TOKENS)
        models, config = client.models, GEMINI_CONFIG
        if stream:
            return lambda: list(models.generate_content_stream(model=model, contents="Hello", config=config))
        return lambda: models.generate_content(model=model, contents="Hello", config=config)


class AsyncCalls:
    """The async twins; build inside the event loop that runs them."""

    def __init__(self, fake_url: str) -> None:
        import anthropic
        import httpx2
        import openai

        from routeapi import AsyncRouteClient

        self._url = fake_url
        self.http = httpx2.AsyncClient(limits=httpx2.Limits(max_connections=1000, max_keepalive_connections=100))
        self.openai = openai.AsyncOpenAI(base_url=f"{fake_url}/v1", api_key="k", max_retries=0)
        self.anthropic = anthropic.AsyncAnthropic(base_url=fake_url, api_key="k", max_retries=0)
        self.genai = _genai_client(fake_url).aio
        self.routeapi = AsyncRouteClient(**route_config(fake_url))

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.openai.close()
        await self.anthropic.close()
        await self.genai.aclose()
        await self.routeapi.aclose()

    def call(self, variant: Variant, stream: bool) -> AsyncCall:
        if variant.kind == "raw httpx":
            return self._raw(variant.target, stream)
        if variant.kind == "SDK":
            return self._sdk(variant.target, stream)
        return self._routed(variant.route, stream)

    def _raw(self, target: str, stream: bool) -> AsyncCall:
        path, body, headers = _raw_request(self._url, target, stream)

        async def plain() -> object:
            return (await self.http.post(path, json=body, headers=headers)).json()

        async def streamed() -> object:
            async with self.http.stream("POST", path, json=body, headers=headers) as response:
                _sse_payloads([line async for line in response.aiter_lines()])
            return None

        return streamed if stream else plain

    def _sdk(self, target: str, stream: bool) -> AsyncCall:
        if target == "gemini":
            models = self.genai.models

            async def gemini_streamed() -> object:
                chunks = await models.generate_content_stream(
                    model=GEMINI_MODEL, contents="Hello", config=GEMINI_CONFIG
                )
                return [chunk async for chunk in chunks]

            if stream:
                return gemini_streamed
            return lambda: models.generate_content(model=GEMINI_MODEL, contents="Hello", config=GEMINI_CONFIG)
        if target == "openai":
            completions = self.openai.chat.completions

            async def openai_streamed() -> object:
                return [chunk async for chunk in await completions.create(**OPENAI_BODY, stream=True)]

            return openai_streamed if stream else (lambda: completions.create(**OPENAI_BODY))
        messages = self.anthropic.messages

        async def anthropic_streamed() -> object:
            return [event async for event in await messages.create(**ANTHROPIC_BODY, stream=True)]

        return anthropic_streamed if stream else (lambda: messages.create(**ANTHROPIC_BODY))

    def _routed(self, route: str, stream: bool) -> AsyncCall:
        client, model = self.routeapi, _routed_model(route)
        if route.startswith("Gemini face"):
            models, config = client.aio.models, GEMINI_CONFIG

            async def gemini_streamed() -> object:
                chunks = await models.generate_content_stream(model=model, contents="Hello", config=config)
                return [chunk async for chunk in chunks]

            if stream:
                return gemini_streamed
            return lambda: models.generate_content(model=model, contents="Hello", config=config)
        create: Any = (client.chat.completions if route.startswith("OpenAI face") else client.messages).create

        async def streamed() -> object:
            return [
                item async for item in await create(model=model, messages=MESSAGES, max_tokens=MAX_TOKENS, stream=True)
            ]

        return streamed if stream else (lambda: create(model=model, messages=MESSAGES, max_tokens=MAX_TOKENS))


def _raw_request(fake_url: str, target: str, stream: bool) -> tuple[str, dict[str, Any], dict[str, str]]:
    if target == "openai":
        body: dict[str, Any] = {**OPENAI_BODY, "stream": True} if stream else OPENAI_BODY
        return f"{fake_url}/v1/chat/completions", body, OPENAI_HEADERS
    body = {**ANTHROPIC_BODY, "stream": True} if stream else ANTHROPIC_BODY
    return f"{fake_url}/v1/messages", body, ANTHROPIC_HEADERS


def _genai_client(fake_url: str) -> Any:
    from google import genai
    from google.genai import types

    return genai.Client(api_key="k", http_options=types.HttpOptions(base_url=fake_url, api_version="v1beta"))
