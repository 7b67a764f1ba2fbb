"""OpenAI and OpenAI-compatible vendors (DeepSeek, Groq, Ollama, vLLM...), through the official ``openai`` SDK."""

from __future__ import annotations

from typing import Any, ClassVar

from ..config import ProviderConfig, TimeoutConfig
from ..errors import ProviderError
from ._stainless import StainlessAdapter, json_body
from .base import Operation


class OpenAIAdapter(StainlessAdapter):
    protocol = "openai_chat"
    request_id_header = "x-request-id"
    protocols: tuple[str, ...] = ("openai_chat",)
    """OpenAI itself (and Azure) also speak the Responses API; OpenAI-compatible vendors only Chat Completions."""

    def __init__(self, provider: str, config: ProviderConfig, timeouts: TimeoutConfig) -> None:
        super().__init__(provider, config, timeouts)
        if config.type in ("openai", "azure_openai"):
            self.protocols = ("openai_chat", "openai_responses")

    paths: ClassVar[dict[Operation, str]] = {
        "chat": "/chat/completions",
        "embeddings": "/embeddings",
        "responses": "/responses",
    }

    def _new_client(self, *, is_async: bool, options: dict[str, Any]) -> Any:
        import openai

        factory = openai.AsyncOpenAI if is_async else openai.OpenAI
        return factory(
            api_key=self._api_key(), organization=self._config.organization, project=self._config.project, **options
        )

    def _sdk_errors(self) -> tuple[type[BaseException], type[BaseException], type[BaseException]]:
        import openai

        return openai.APIStatusError, openai.APITimeoutError, openai.APIConnectionError

    def _error_from_status(self, exc: Any) -> ProviderError:
        from ..protocols.openai_chat import error_from_body

        error = error_from_body(exc.status_code, json_body(exc.response), exc.response.headers)
        error.headers = dict(exc.response.headers)
        return error
