"""The Gemini face: ``client.models.generate_content(...)`` / ``generate_content_stream(...)`` with the
``google-genai`` SDK's own types (async under ``client.aio.models``).

Arguments are turned into the wire body, and wire JSON back into ``GenerateContentResponse``, by the SDK's own
converters, so what callers pass and get is exactly what the SDK would send and return. Those converters are private
to the SDK (``google.genai.models._GenerateContentParameters_to_mldev`` and ``..._from_mldev``): they are used here
only, and the SDK's major version is pinned. Automatic function calling (running Python callables given as tools) is
not done by this face: tools are sent as declarations and calls come back to the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from .._route import RouteInfo, attach
from ._calls import Caller, CallSpec, new_request_id
from ._exchange import Exchange
from ._streaming import AsyncStream, Stream

if TYPE_CHECKING:
    from google.genai import types

_FACE = "gemini"


@cache
def _converter_client() -> Any:
    # The converters need an API client for their settings only; this one never sends a request.
    from google import genai

    return genai.Client(api_key="unused-for-conversion")._api_client


def _parameters(model: str, contents: Any, config: Any) -> Any:
    from google.genai import types

    return types._GenerateContentParameters(model=model, contents=contents, config=config)


def wire_body(parameters: Any) -> dict[str, Any]:
    """SDK-style arguments -> the generateContent JSON body, by the SDK's own converter."""
    from google.genai import _common, models

    # Shallow dicts, not the pydantic models: the converter's path lookups (``key in obj``) walk every field of a
    # model, which doubled the face's cost. The bodies are identical.
    shallow: dict[str, Any] = {k: v for k, v in parameters if v is not None}
    if shallow.get("config") is not None:
        shallow["config"] = {k: v for k, v in shallow["config"] if v is not None}
    body = models._GenerateContentParameters_to_mldev(_converter_client(), shallow, None, shallow)
    for private in ("_url", "_query", "config", "model"):
        body.pop(private, None)
    return _common.encode_unserializable_types(_common.convert_to_dict(body))


def sdk_response(data: Mapping[str, Any], parameters: Any) -> types.GenerateContentResponse:
    """Wire JSON -> ``GenerateContentResponse``, by the SDK's own converter."""
    from google.genai import models, types

    converted = models._GenerateContentResponse_from_mldev(dict(data), None, parameters)
    config = parameters.config
    kwargs: dict[str, Any] = (
        {
            "config": {
                "response_schema": getattr(config, "response_schema", None),
                "response_json_schema": getattr(config, "response_json_schema", None),
                "include_all_fields": getattr(config, "include_all_fields", None),
            }
        }
        if config is not None
        else {}
    )
    return types.GenerateContentResponse._from_response(response=converted, kwargs=kwargs)


_ROUTING_KEYWORDS = {
    "fallbacks",
    "request_id",
    "timeout",
    "extra_headers",
    "deadline",
    "first_token_timeout",
    "stream_idle_timeout",
    "on_interrupt",
    "hedge_after",
}


def _spec(model: str, routing: dict[str, Any]) -> CallSpec:
    unknown = set(routing) - _ROUTING_KEYWORDS
    if unknown:
        raise TypeError(f"unexpected keyword arguments: {', '.join(sorted(unknown))}")
    return CallSpec(
        model,
        routing.get("fallbacks") or (),
        routing.get("request_id") or new_request_id(),
        routing.get("timeout"),
        routing.get("extra_headers") or {},
        routing.get("deadline"),
        routing.get("first_token_timeout"),
        routing.get("stream_idle_timeout"),
        routing.get("on_interrupt"),
        routing.get("hedge_after"),
    )


class Models:
    def __init__(self, caller: Caller) -> None:
        self._caller = caller

    def generate_content(
        self, *, model: str, contents: Any, config: Any = None, **routing: Any
    ) -> types.GenerateContentResponse:
        """Like ``genai.Client().models.generate_content``. Extra keywords: ``fallbacks``, ``request_id``,
        ``timeout``, ``extra_headers``."""
        parameters = _parameters(model, contents, config)
        data, route = self._caller.send(Exchange(_FACE, wire_body(parameters)), "chat", _spec(model, routing))
        return _attached(sdk_response(data, parameters), route)

    def generate_content_stream(
        self, *, model: str, contents: Any, config: Any = None, **routing: Any
    ) -> Stream[types.GenerateContentResponse]:
        """Like ``genai.Client().models.generate_content_stream``: an iterator of response chunks."""
        parameters = _parameters(model, contents, config)
        opened, route = self._caller.stream(Exchange(_FACE, wire_body(parameters)), "chat", _spec(model, routing))
        return Stream(opened, lambda chunk: sdk_response(chunk, parameters), route)

    def embed_content(
        self, *, model: str, contents: Any, config: Any = None, **routing: Any
    ) -> types.EmbedContentResponse:
        """Like ``genai.Client().models.embed_content`` (text); the same extra keywords."""
        from . import embeddings

        return embeddings.embed_content(self._caller, model=model, contents=contents, config=config, **routing)


class AsyncModels:
    def __init__(self, caller: Caller) -> None:
        self._caller = caller

    async def generate_content(
        self, *, model: str, contents: Any, config: Any = None, **routing: Any
    ) -> types.GenerateContentResponse:
        parameters = _parameters(model, contents, config)
        data, route = await self._caller.asend(Exchange(_FACE, wire_body(parameters)), "chat", _spec(model, routing))
        return _attached(sdk_response(data, parameters), route)

    async def generate_content_stream(
        self, *, model: str, contents: Any, config: Any = None, **routing: Any
    ) -> AsyncStream[types.GenerateContentResponse]:
        """Like ``genai.Client().aio.models.generate_content_stream``: ``async for`` over the awaited result."""
        parameters = _parameters(model, contents, config)
        exchange = Exchange(_FACE, wire_body(parameters))
        opened, route = await self._caller.astream(exchange, "chat", _spec(model, routing))
        return AsyncStream(opened, lambda chunk: sdk_response(chunk, parameters), route)

    async def embed_content(
        self, *, model: str, contents: Any, config: Any = None, **routing: Any
    ) -> types.EmbedContentResponse:
        """Like ``genai.Client().aio.models.embed_content``."""
        from . import embeddings

        return await embeddings.aembed_content(self._caller, model=model, contents=contents, config=config, **routing)


class Aio:
    """``client.aio.models``, as in the google-genai SDK."""

    def __init__(self, caller: Caller) -> None:
        self.models = AsyncModels(caller)


def _attached(response: types.GenerateContentResponse, route: RouteInfo) -> types.GenerateContentResponse:
    attach(response, route)
    return response
