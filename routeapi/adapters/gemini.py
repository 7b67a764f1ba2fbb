"""Google Gemini (Developer API, or Vertex AI by configuration), through the official ``google-genai`` SDK.

The SDK does auth, base URLs and API versions. We hand its request layer the wire body as built, so every field
reaches the upstream unchanged, and take the JSON back. Its retries stay off (the default: no ``retry_options``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from .. import errors
from ..config import ProviderConfig, TimeoutConfig
from ..errors import ProtocolError, ProviderError
from .base import CallOptions, Operation, RawResponse

if TYPE_CHECKING:
    from google import genai

REQUEST_ID_HEADER = "X-Request-ID"
DEFAULT_API_VERSION = "v1beta"  # where every generateContent feature is; the SDK itself defaults to v1


def model_path(model: str) -> str:
    """``gemini-2.5-flash`` -> ``models/gemini-2.5-flash`` (names already qualified are kept, as the SDK does)."""
    return model if model.startswith(("models/", "tunedModels/")) else f"models/{model}"


_METHODS: dict[Operation, str] = {"chat": "generateContent", "embeddings": "batchEmbedContents"}


class GeminiAdapter:
    protocol = "gemini"

    def __init__(self, provider: str, config: ProviderConfig, timeouts: TimeoutConfig) -> None:
        self.provider = provider
        self._config = config
        self._timeouts = timeouts
        self._client: genai.Client | None = None

    def _sdk(self) -> genai.Client:
        if self._client is None:
            from google import genai
            from google.genai import types

            config = self._config
            timeout_ms = int((config.timeout or self._timeouts.request) * 1000)
            http_options = types.HttpOptions(
                base_url=config.base_url,
                api_version=config.api_version or DEFAULT_API_VERSION,
                headers=dict(config.headers) or None,
                timeout=timeout_ms,
            )
            if config.vertexai:
                self._client = genai.Client(
                    vertexai=True, project=config.project, location=config.location, http_options=http_options
                )
            else:
                api_key = config.api_key.get_secret_value() if config.api_key else None
                self._client = genai.Client(api_key=api_key, http_options=http_options)
        return self._client

    def _request(self, operation: Operation, options: CallOptions, *, stream: bool) -> tuple[str, Any]:
        method = "streamGenerateContent?alt=sse" if stream else _METHODS[operation]
        http_options: dict[str, Any] = {"headers": {REQUEST_ID_HEADER: options.request_id, **options.headers}}
        if options.timeout is not None:
            http_options["timeout"] = int(options.timeout * 1000)
        return f"{model_path(options.model)}:{method}", http_options

    def send(self, operation: Operation, body: dict[str, Any], options: CallOptions) -> RawResponse:
        path, http_options = self._request(operation, options, stream=False)
        try:
            response = self._sdk()._api_client.request("post", path, body, http_options)
        except Exception as exc:
            raise self.map_error(exc) from exc
        return RawResponse((response.body or "{}").encode(), response.headers or {})

    async def asend(self, operation: Operation, body: dict[str, Any], options: CallOptions) -> RawResponse:
        path, http_options = self._request(operation, options, stream=False)
        try:
            response = await self._sdk()._api_client.async_request("post", path, body, http_options)
        except Exception as exc:
            raise self.map_error(exc) from exc
        return RawResponse((response.body or "{}").encode(), response.headers or {})

    def stream(self, operation: Operation, body: dict[str, Any], options: CallOptions) -> ChunkStream:
        path, http_options = self._request(operation, options, stream=True)
        return ChunkStream(self, self._sdk()._api_client.request_streamed("post", path, body, http_options))

    async def astream(self, operation: Operation, body: dict[str, Any], options: CallOptions) -> AsyncChunkStream:
        path, http_options = self._request(operation, options, stream=True)
        try:
            chunks = await self._sdk()._api_client.async_request_streamed("post", path, body, http_options)
        except Exception as exc:
            raise self.map_error(exc) from exc
        return AsyncChunkStream(self, chunks)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aio.aclose()

    def map_error(self, exc: BaseException) -> BaseException:
        import httpx2
        from google.genai import errors as genai_errors

        if isinstance(exc, genai_errors.APIError):
            from ..protocols.gemini import error_from_body

            failed: Any = exc
            headers: dict[str, str] = dict(getattr(failed.response, "headers", None) or {})
            error = error_from_body(failed.code, failed.details, headers)
            error.headers = headers
            error.provider = self.provider
            return error
        if isinstance(exc, httpx2.TimeoutException):
            return errors.Timeout(f"{self.provider}: the upstream did not answer in time", provider=self.provider)
        if isinstance(exc, httpx2.TransportError):
            return errors.ConnectionError(f"{self.provider}: connection to the upstream failed", provider=self.provider)
        if isinstance(exc, (json.JSONDecodeError, genai_errors.UnknownApiResponseError)):
            return ProtocolError(f"{self.provider}: the upstream sent malformed JSON", provider=self.provider)
        return exc


class ChunkStream:
    """Parsed ``GenerateContentResponse`` chunks. The SDK re-serialises each chunk; we parse it back."""

    upstream_request_id: str | None = None

    def __init__(self, adapter: GeminiAdapter, responses: Iterator[Any]) -> None:
        self._adapter = adapter
        self._responses = responses

    def __iter__(self) -> Iterator[dict[str, Any]]:
        try:
            for response in self._responses:
                yield json.loads(response.body)
        except ProviderError:
            raise
        except Exception as exc:
            raise self._adapter.map_error(exc) from exc

    def close(self) -> None:
        close = getattr(self._responses, "close", None)
        if close is not None:
            close()


class AsyncChunkStream:
    upstream_request_id: str | None = None

    def __init__(self, adapter: GeminiAdapter, responses: AsyncIterator[Any]) -> None:
        self._adapter = adapter
        self._responses = responses

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        try:
            async for response in self._responses:
                yield json.loads(response.body)
        except ProviderError:
            raise
        except Exception as exc:
            raise self._adapter.map_error(exc) from exc

    async def aclose(self) -> None:
        aclose = getattr(self._responses, "aclose", None)
        if aclose is not None:
            await aclose()
