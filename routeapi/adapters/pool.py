"""One adapter per configured provider, built on first use and shared by every call."""

from __future__ import annotations

import importlib
import threading
from typing import Any, cast

from ..catalog.vendors import VENDORS
from ..config import RouteConfig, resolve_provider
from ..errors import ConfigurationError
from .base import Adapter

_ADAPTERS: dict[str, tuple[str, str]] = {
    "openai": ("routeapi.adapters.openai", "OpenAIAdapter"),
    "azure_openai": ("routeapi.adapters.azure_openai", "AzureOpenAIAdapter"),
    "anthropic": ("routeapi.adapters.anthropic", "AnthropicAdapter"),
    "gemini": ("routeapi.adapters.gemini", "GeminiAdapter"),
    "bedrock": ("routeapi.adapters.bedrock", "BedrockAdapter"),
}


class AdapterPool:
    def __init__(self, config: RouteConfig) -> None:
        self._config = config
        self._adapters: dict[str, Adapter] = {}
        self._lock = threading.Lock()

    def get(self, provider: str) -> Adapter:
        adapter = self._adapters.get(provider)
        if adapter is not None:
            return adapter
        with self._lock:
            adapter = self._adapters.get(provider)
            if adapter is None:
                adapter = self._build(provider)
                self._adapters[provider] = adapter
        return adapter

    def secrets(self, provider: str) -> tuple[str, ...]:
        """The credentials of a provider, to redact from anything shown (errors, logs, responses)."""
        try:
            settings = resolve_provider(self._config, provider)
        except ConfigurationError:
            return ()
        values = (
            settings.api_key,
            settings.azure_ad_token,
            settings.aws_access_key_id,
            settings.aws_secret_access_key,
            settings.aws_session_token,
        )
        return tuple(v.get_secret_value() for v in values if v is not None)

    def family(self, provider: str) -> str:
        """The provider's adapter family (``openai``, ``anthropic``, ``gemini``...), without building it."""
        configured = self._config.providers.get(provider)
        kind = configured.type if configured is not None else provider
        vendor = VENDORS.get(kind)
        return vendor.adapter if vendor is not None else kind

    def _build(self, provider: str) -> Adapter:
        settings = resolve_provider(self._config, provider)
        module, attribute = _ADAPTERS[VENDORS[settings.type].adapter]
        try:
            factory: Any = getattr(importlib.import_module(module), attribute)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            raise ConfigurationError(f"providers.{provider}: type {settings.type!r} is not supported yet") from None
        return cast("Adapter", factory(provider, settings, self._config.timeouts))

    def close(self) -> None:
        for adapter in self._adapters.values():
            adapter.close()

    async def aclose(self) -> None:
        for adapter in self._adapters.values():
            await adapter.aclose()
            adapter.close()
