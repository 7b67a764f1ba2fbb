"""The Responses face: ``client.responses.create(...)`` / ``client.responses.stream(...)`` with the ``openai`` SDK's
own types. OpenAI and Azure get the body as is (``/responses``); every other provider gets it translated into its
chat protocol and the answer translated back, streams included.

``previous_response_id`` and ``conversation`` need the provider to hold the conversation: they pass through to OpenAI
and Azure and are refused (``UnsupportedFeature``) on a translated route rather than dropped, since dropping them would
silently lose the conversation history. Send the history as ``input`` items to reach other providers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, overload

from .._route import RouteInfo, attach
from ..errors import UnsupportedFeature
from ._calls import Caller
from ._exchange import Exchange
from ._sdk_types import build
from ._streaming import AsyncStream, Stream
from .openai import split_kwargs

if TYPE_CHECKING:
    from openai.lib.streaming.responses import AsyncResponseStreamManager, ResponseStreamManager
    from openai.types.responses import Response, ResponseStreamEvent

_FACE = "openai_responses"
_PROVIDER_STATE = ("previous_response_id", "conversation")


class _ResponsesExchange(Exchange):
    """Refuses provider-held conversation state on routes that cannot keep it."""

    def request(self) -> Any:
        request = Exchange.request(self)
        for key in _PROVIDER_STATE:
            if request.extra.get(key) is not None:
                raise UnsupportedFeature(
                    f"{key}: only OpenAI and Azure keep conversation state; send the history as input items instead"
                )
        return request


def _response(data: dict[str, Any], route: RouteInfo) -> Response:
    from openai.types.responses import Response

    response = build(Response, data)
    object.__setattr__(response, "_request_id", route.upstream_request_id)
    attach(response, route)
    return response


def _event(data: dict[str, Any]) -> ResponseStreamEvent:
    from openai._models import construct_type
    from openai.types.responses import ResponseStreamEvent

    return construct_type(type_=ResponseStreamEvent, value=data)  # type: ignore[return-value]


def _body(kwargs: dict[str, Any], stream: bool | None) -> dict[str, Any]:
    if stream is not None:
        kwargs["stream"] = stream
    return kwargs


class Responses:
    def __init__(self, caller: Caller) -> None:
        self._caller = caller

    @overload
    def create(self, *, model: str, stream: Literal[False] | None = None, **kwargs: Any) -> Response: ...

    @overload
    def create(self, *, model: str, stream: Literal[True], **kwargs: Any) -> Stream[ResponseStreamEvent]: ...

    def create(
        self, *, model: str, stream: bool | None = None, **kwargs: Any
    ) -> Response | Stream[ResponseStreamEvent]:
        """Like ``openai.OpenAI().responses.create``. Extra keywords as for chat: ``fallbacks``, ``request_id``,
        ``deadline``, ``first_token_timeout``, ``stream_idle_timeout``."""
        body, spec = split_kwargs(_body({"model": model, **kwargs}, stream))
        if not stream:
            data, route = self._caller.send(_ResponsesExchange(_FACE, body), "chat", spec)
            return _response(data, route)
        opened, route = self._caller.stream(_ResponsesExchange(_FACE, body), "chat", spec)
        return Stream(opened, _event, route)

    def stream(self, *, model: str, **kwargs: Any) -> ResponseStreamManager[Any]:
        """Like ``openai.OpenAI().responses.stream``: the SDK's own stream helper over our stream."""
        from openai import omit
        from openai.lib.streaming.responses import ResponseStreamManager

        def open_stream() -> Any:
            return self.create(model=model, stream=True, **kwargs)

        return ResponseStreamManager(
            open_stream, text_format=omit, input_tools=kwargs.get("tools", omit), starting_after=None
        )


class AsyncResponses:
    def __init__(self, caller: Caller) -> None:
        self._caller = caller

    @overload
    async def create(self, *, model: str, stream: Literal[False] | None = None, **kwargs: Any) -> Response: ...

    @overload
    async def create(self, *, model: str, stream: Literal[True], **kwargs: Any) -> AsyncStream[ResponseStreamEvent]: ...

    async def create(
        self, *, model: str, stream: bool | None = None, **kwargs: Any
    ) -> Response | AsyncStream[ResponseStreamEvent]:
        """The async twin of :meth:`Responses.create`."""
        body, spec = split_kwargs(_body({"model": model, **kwargs}, stream))
        if not stream:
            data, route = await self._caller.asend(_ResponsesExchange(_FACE, body), "chat", spec)
            return _response(data, route)
        opened, route = await self._caller.astream(_ResponsesExchange(_FACE, body), "chat", spec)
        return AsyncStream(opened, _event, route)

    def stream(self, *, model: str, **kwargs: Any) -> AsyncResponseStreamManager[Any]:
        """Like ``openai.AsyncOpenAI().responses.stream``."""
        from openai import omit
        from openai.lib.streaming.responses import AsyncResponseStreamManager

        request = self.create(model=model, stream=True, **kwargs)
        return AsyncResponseStreamManager(
            request,  # type: ignore[arg-type]
            text_format=omit,
            input_tools=kwargs.get("tools", omit),
            starting_after=None,
        )
