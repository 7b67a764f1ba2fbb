"""``RouteClient`` and ``AsyncRouteClient``: configuration in, the protocol faces out."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .config import RouteConfig, build, load_file, resolve_provider
from .faces._calls import Caller
from .faces.anthropic import AsyncMessages, Messages
from .faces.gemini import Aio, AsyncModels, Models
from .faces.openai import AsyncChat, Chat
from .faces.responses import AsyncResponses, Responses
from .telemetry import Telemetry

if TYPE_CHECKING:
    from .faces.embeddings import AsyncEmbeddings, Embeddings


def _config(config: RouteConfig | None, sections: dict[str, Any]) -> RouteConfig:
    given = {k: v for k, v in sections.items() if v is not None}
    if config is not None:
        if given:
            raise TypeError("pass either config= or the sections (providers=, models=...), not both")
        return config
    return build(given)


def _check_credentials(config: RouteConfig) -> None:
    """Fail at construction, not at the first call, when a configured provider has no usable credentials."""
    names = set(config.providers)
    names.update(d.provider for m in config.models.values() for d in m.deployments)
    for name in sorted(names):
        resolve_provider(config, name)


class _BaseClient:
    def __init__(
        self,
        *,
        providers: Mapping[str, Any] | None = None,
        models: Mapping[str, Any] | None = None,
        routing: Mapping[str, Any] | None = None,
        retry: Mapping[str, Any] | None = None,
        timeouts: Mapping[str, Any] | None = None,
        media_fetch: Mapping[str, Any] | None = None,
        config: RouteConfig | None = None,
        telemetry: Telemetry | None = None,
    ) -> None:
        """``telemetry``: where spans and metrics go (default: the OpenTelemetry global providers, a no-op until
        the application configures an SDK)."""
        sections = {
            "providers": providers,
            "models": models,
            "routing": routing,
            "retry": retry,
            "timeouts": timeouts,
            "media_fetch": media_fetch,
        }
        self.config = _config(config, sections)
        _check_credentials(self.config)
        self._caller = Caller(self.config, telemetry=telemetry)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Any:
        """Build a client from a YAML file; ``${NAME}`` and ``${NAME:-default}`` read the environment."""
        return cls(config=load_file(path))


class RouteClient(_BaseClient):
    """The synchronous client. Faces: ``chat.completions``, ``responses``, ``embeddings`` (OpenAI), ``messages``
    (Anthropic), ``models`` (Gemini; ``aio.models`` is its async twin, as in google-genai)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.chat = Chat(self._caller)
        self.responses = Responses(self._caller)
        self.messages = Messages(self._caller)
        self.models = Models(self._caller)
        self.aio = Aio(self._caller)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> RouteClient:
        return cls(config=load_file(path))

    @cached_property
    def embeddings(self) -> Embeddings:
        """The OpenAI embeddings face (built on first use: its codecs cost import time)."""
        from .faces.embeddings import Embeddings

        return Embeddings(self._caller)

    def close(self) -> None:
        """Close every SDK client (and their connection pools)."""
        self._caller.adapters.close()

    def __enter__(self) -> RouteClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncRouteClient(_BaseClient):
    """The asynchronous client: the same faces, awaited."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.chat = AsyncChat(self._caller)
        self.responses = AsyncResponses(self._caller)
        self.messages = AsyncMessages(self._caller)
        self.models = AsyncModels(self._caller)
        self.aio = Aio(self._caller)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> AsyncRouteClient:
        return cls(config=load_file(path))

    @cached_property
    def embeddings(self) -> AsyncEmbeddings:
        """The OpenAI embeddings face (built on first use)."""
        from .faces.embeddings import AsyncEmbeddings

        return AsyncEmbeddings(self._caller)

    async def aclose(self) -> None:
        await self._caller.adapters.aclose()

    async def close(self) -> None:
        await self.aclose()

    async def __aenter__(self) -> AsyncRouteClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
