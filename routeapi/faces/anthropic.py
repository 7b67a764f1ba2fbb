"""The Anthropic face: ``client.messages.create(...)`` and ``client.messages.stream(...)`` with the ``anthropic``
SDK's own types. ``stream()`` hands our event stream to the SDK's own helper, so its accumulation, ``text_stream``
and ``get_final_message()`` behave exactly as with Anthropic directly."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal, overload

from .._route import RouteInfo, attach
from ._calls import Caller
from ._exchange import Exchange
from ._sdk_types import build
from ._streaming import AsyncStream, Stream
from .openai import split_kwargs

if TYPE_CHECKING:
    from anthropic.lib.streaming import AsyncMessageStreamManager, MessageStreamManager
    from anthropic.types import Message, RawMessageStreamEvent

_FACE = "anthropic_messages"


def _message(data: dict[str, Any], route: RouteInfo) -> Message:
    from anthropic.types import Message

    message = build(Message, data)
    object.__setattr__(message, "_request_id", route.upstream_request_id)
    attach(message, route)
    return message


def _event(data: dict[str, Any]) -> RawMessageStreamEvent:
    from anthropic import types

    kinds: dict[str, Any] = {
        "message_start": types.RawMessageStartEvent,
        "message_delta": types.RawMessageDeltaEvent,
        "message_stop": types.RawMessageStopEvent,
        "content_block_start": types.RawContentBlockStartEvent,
        "content_block_delta": types.RawContentBlockDeltaEvent,
        "content_block_stop": types.RawContentBlockStopEvent,
    }
    return build(kinds[data["type"]], data)


def _body(model: str, messages: Iterable[Any], max_tokens: int | None, kwargs: dict[str, Any]) -> dict[str, Any]:
    base: dict[str, Any] = {"model": model, "messages": list(messages)}
    if max_tokens is not None:
        base["max_tokens"] = max_tokens
    return {**base, **kwargs}


class Messages:
    def __init__(self, caller: Caller) -> None:
        self._caller = caller

    @overload
    def create(
        self,
        *,
        model: str,
        messages: Iterable[Any],
        max_tokens: int | None = None,
        stream: Literal[False] | None = None,
        **kwargs: Any,
    ) -> Message: ...

    @overload
    def create(
        self,
        *,
        model: str,
        messages: Iterable[Any],
        max_tokens: int | None = None,
        stream: Literal[True],
        **kwargs: Any,
    ) -> Stream[RawMessageStreamEvent]: ...

    def create(
        self,
        *,
        model: str,
        messages: Iterable[Any],
        max_tokens: int | None = None,
        stream: bool | None = None,
        **kwargs: Any,
    ) -> Message | Stream[RawMessageStreamEvent]:
        """Like ``anthropic.Anthropic().messages.create``; ``max_tokens`` may be left out (the model catalog's
        output limit is used). Extra keywords: ``fallbacks`` and ``request_id``."""
        if stream is not None:
            kwargs["stream"] = stream
        body, spec = split_kwargs(_body(model, messages, max_tokens, kwargs))
        if not stream:
            data, route = self._caller.send(Exchange(_FACE, body), "chat", spec)
            return _message(data, route)
        opened, route = self._caller.stream(Exchange(_FACE, body), "chat", spec)
        return Stream(opened, _event, route)

    def stream(
        self, *, model: str, messages: Iterable[Any], max_tokens: int | None = None, **kwargs: Any
    ) -> MessageStreamManager[Any]:
        """Like ``anthropic.Anthropic().messages.stream``: a context manager giving the SDK's ``MessageStream``."""
        from anthropic import NOT_GIVEN
        from anthropic.lib.streaming import MessageStreamManager

        def open_stream() -> Any:
            return self.create(model=model, messages=messages, max_tokens=max_tokens, stream=True, **kwargs)

        return MessageStreamManager(open_stream, output_format=NOT_GIVEN)


class AsyncMessages:
    def __init__(self, caller: Caller) -> None:
        self._caller = caller

    @overload
    async def create(
        self,
        *,
        model: str,
        messages: Iterable[Any],
        max_tokens: int | None = None,
        stream: Literal[False] | None = None,
        **kwargs: Any,
    ) -> Message: ...

    @overload
    async def create(
        self,
        *,
        model: str,
        messages: Iterable[Any],
        max_tokens: int | None = None,
        stream: Literal[True],
        **kwargs: Any,
    ) -> AsyncStream[RawMessageStreamEvent]: ...

    async def create(
        self,
        *,
        model: str,
        messages: Iterable[Any],
        max_tokens: int | None = None,
        stream: bool | None = None,
        **kwargs: Any,
    ) -> Message | AsyncStream[RawMessageStreamEvent]:
        """The async twin of :meth:`Messages.create`."""
        if stream is not None:
            kwargs["stream"] = stream
        body, spec = split_kwargs(_body(model, messages, max_tokens, kwargs))
        if not stream:
            data, route = await self._caller.asend(Exchange(_FACE, body), "chat", spec)
            return _message(data, route)
        opened, route = await self._caller.astream(Exchange(_FACE, body), "chat", spec)
        return AsyncStream(opened, _event, route)

    def stream(
        self, *, model: str, messages: Iterable[Any], max_tokens: int | None = None, **kwargs: Any
    ) -> AsyncMessageStreamManager[Any]:
        """Like ``anthropic.AsyncAnthropic().messages.stream``: ``async with`` gives the SDK's stream helper."""
        from anthropic import NOT_GIVEN
        from anthropic.lib.streaming import AsyncMessageStreamManager

        request = self.create(model=model, messages=messages, max_tokens=max_tokens, stream=True, **kwargs)
        return AsyncMessageStreamManager(request, output_format=NOT_GIVEN)  # type: ignore[arg-type]
