"""The OpenAI face: ``client.chat.completions.create(...)`` with the ``openai`` SDK's own return types."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, overload

from .._route import RouteInfo, attach
from ._calls import Caller, CallSpec, new_request_id
from ._exchange import Exchange
from ._sdk_types import build
from ._streaming import AsyncStream, Stream

if TYPE_CHECKING:
    from openai.lib.streaming.chat import AsyncChatCompletionStreamManager, ChatCompletionStreamManager
    from openai.types.chat import ChatCompletion, ChatCompletionChunk

_FACE = "openai_chat"


def split_kwargs(kwargs: dict[str, Any]) -> tuple[dict[str, Any], CallSpec]:
    """Separate the request body from SDK-style and routeapi options. routeapi's own keywords: ``fallbacks``,
    ``request_id``, ``deadline`` (seconds for the whole call), ``first_token_timeout``, ``stream_idle_timeout``,
    ``on_interrupt`` and ``hedge_after`` (streams).
    ``extra_body`` is merged into the body as is; the SDK's "not given" sentinels are removed; every other keyword is
    a body parameter, unknown ones included."""
    spec = CallSpec(
        str(kwargs.get("model", "")),
        kwargs.pop("fallbacks", None) or (),
        kwargs.pop("request_id", None) or new_request_id(),
        kwargs.pop("timeout", None),
        kwargs.pop("extra_headers", None) or {},
        kwargs.pop("deadline", None),
        kwargs.pop("first_token_timeout", None),
        kwargs.pop("stream_idle_timeout", None),
        kwargs.pop("on_interrupt", None),
        kwargs.pop("hedge_after", None),
    )
    kwargs.pop("extra_query", None)
    extra_body: Mapping[str, Any] = kwargs.pop("extra_body", None) or {}
    body = {k: v for k, v in kwargs.items() if not _not_given(v)}
    body.update(extra_body)
    return body, spec


def _not_given(value: object) -> bool:
    # openai.NOT_GIVEN / openai.omit, recognised without importing the SDK.
    return type(value).__name__ in ("NotGiven", "Omit")


def _completion(data: dict[str, Any], route: RouteInfo) -> ChatCompletion:
    from openai.types.chat import ChatCompletion

    completion = build(ChatCompletion, data)
    object.__setattr__(completion, "_request_id", route.upstream_request_id)
    attach(completion, route)
    return completion


def _chunk(data: dict[str, Any]) -> ChatCompletionChunk:
    from openai.types.chat import ChatCompletionChunk

    return build(ChatCompletionChunk, data)


def _body(model: str, messages: Iterable[Any], stream: bool | None, kwargs: dict[str, Any]) -> dict[str, Any]:
    # ``stream`` goes upstream only when the caller gave it, like every other parameter.
    base: dict[str, Any] = {"model": model, "messages": list(messages)}
    if stream is not None:
        base["stream"] = stream
    return {**base, **kwargs}


def _include_usage(body: Mapping[str, Any]) -> bool:
    options = body.get("stream_options")
    return isinstance(options, Mapping) and bool(options.get("include_usage"))  # type: ignore[union-attr]


class Completions:
    def __init__(self, caller: Caller) -> None:
        self._caller = caller

    @overload
    def create(
        self, *, model: str, messages: Iterable[Any], stream: Literal[False] | None = None, **kwargs: Any
    ) -> ChatCompletion: ...

    @overload
    def create(
        self, *, model: str, messages: Iterable[Any], stream: Literal[True], **kwargs: Any
    ) -> Stream[ChatCompletionChunk]: ...

    def create(
        self, *, model: str, messages: Iterable[Any], stream: bool | None = None, **kwargs: Any
    ) -> ChatCompletion | Stream[ChatCompletionChunk]:
        """Create a chat completion, like ``openai.OpenAI().chat.completions.create``. Extra keywords:
        ``fallbacks`` (model IDs to try after ``model``) and ``request_id``."""
        body, spec = split_kwargs(_body(model, messages, stream, kwargs))
        if not stream:
            data, route = self._caller.send(Exchange(_FACE, body), "chat", spec)
            return _completion(data, route)
        opened, route = self._caller.stream(Exchange(_FACE, body), "chat", spec, include_usage=_include_usage(body))
        return Stream(opened, _chunk, route)

    def stream(self, *, model: str, messages: Iterable[Any], **kwargs: Any) -> ChatCompletionStreamManager[Any]:
        """Like ``openai.OpenAI().chat.completions.stream``: the SDK's own stream helper over our stream."""
        from openai import omit
        from openai.lib.streaming.chat import ChatCompletionStreamManager

        def open_stream() -> Any:
            return self.create(model=model, messages=messages, stream=True, **kwargs)

        return ChatCompletionStreamManager(
            open_stream, response_format=kwargs.get("response_format", omit), input_tools=kwargs.get("tools", omit)
        )


class AsyncCompletions:
    def __init__(self, caller: Caller) -> None:
        self._caller = caller

    @overload
    async def create(
        self, *, model: str, messages: Iterable[Any], stream: Literal[False] | None = None, **kwargs: Any
    ) -> ChatCompletion: ...

    @overload
    async def create(
        self, *, model: str, messages: Iterable[Any], stream: Literal[True], **kwargs: Any
    ) -> AsyncStream[ChatCompletionChunk]: ...

    async def create(
        self, *, model: str, messages: Iterable[Any], stream: bool | None = None, **kwargs: Any
    ) -> ChatCompletion | AsyncStream[ChatCompletionChunk]:
        """The async twin of :meth:`Completions.create`."""
        body, spec = split_kwargs(_body(model, messages, stream, kwargs))
        if not stream:
            data, route = await self._caller.asend(Exchange(_FACE, body), "chat", spec)
            return _completion(data, route)
        opened, route = await self._caller.astream(
            Exchange(_FACE, body), "chat", spec, include_usage=_include_usage(body)
        )
        return AsyncStream(opened, _chunk, route)

    def stream(self, *, model: str, messages: Iterable[Any], **kwargs: Any) -> AsyncChatCompletionStreamManager[Any]:
        """Like ``openai.AsyncOpenAI().chat.completions.stream``."""
        from openai import omit
        from openai.lib.streaming.chat import AsyncChatCompletionStreamManager

        request = self.create(model=model, messages=messages, stream=True, **kwargs)
        return AsyncChatCompletionStreamManager(
            request,  # type: ignore[arg-type]
            response_format=kwargs.get("response_format", omit),
            input_tools=kwargs.get("tools", omit),
        )


class Chat:
    def __init__(self, caller: Caller) -> None:
        self.completions = Completions(caller)


class AsyncChat:
    def __init__(self, caller: Caller) -> None:
        self.completions = AsyncCompletions(caller)
