"""Streams handed to callers.

Opening one runs inside the router, so failures before the first content — an error status, a reset, a stream that
breaks or stays silent past the first-token timeout — are retried and fall back like any other attempt. Once content
has reached the caller, a failure (a cut, a stall past the idle timeout, a malformed event, an in-stream error) raises
:class:`StreamInterrupted` carrying the partial answer, and a stream that ends without its protocol terminator is
never a normal end.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, TypeVar

from .. import errors
from .._route import RouteInfo, attach
from ..adapters.base import AsyncRawStream, RawStream
from ..errors import RouteError, StreamInterrupted
from ..routing.guards import WATCHDOG, LoopTimer, StreamGuard, uncancel
from ..telemetry import AttemptTelemetry
from ._exchange import StreamTranslator

_T = TypeVar("_T")
logger = logging.getLogger("routeapi")
_END: Any = object()


@dataclass(slots=True)
class Opened:
    """A stream whose first content has arrived (``buffered``), ready to hand to the caller."""

    buffered: list[dict[str, Any]]
    items: Iterator[Any]
    raw: RawStream[Any]
    translator: StreamTranslator
    guard: StreamGuard | None = None
    on_end: Callable[[BaseException | None], None] | None = None
    """Told once how the stream ended: None when it completed or the caller stopped reading, else the error."""
    scrub: Callable[[RouteError], None] | None = None
    """Removes the provider's secrets from an error raised mid-stream."""
    resume: Callable[[StreamInterrupted], Opened] | None = None
    """Set when the call continues a broken stream elsewhere: opens the continuation of the interrupted answer."""
    claim: Callable[[], None] | None = None
    """Names this stream's target as the one serving (again: after a hedge, the loser may have named itself)."""
    attempt: AttemptTelemetry | None = None
    """The attempt's telemetry, still open while the stream is read."""


@dataclass(slots=True)
class AsyncOpened:
    buffered: list[dict[str, Any]]
    items: AsyncIterator[Any]
    raw: AsyncRawStream[Any]
    translator: StreamTranslator
    guard: StreamGuard | None = None
    timer: LoopTimer | None = None
    on_end: Callable[[BaseException | None], None] | None = None
    scrub: Callable[[RouteError], None] | None = None
    resume: Callable[[StreamInterrupted], Awaitable[AsyncOpened]] | None = None
    claim: Callable[[], None] | None = None
    attempt: AttemptTelemetry | None = None


def new_guard(first_token: float | None, idle: float | None, close: Callable[[], object]) -> StreamGuard | None:
    return StreamGuard(first_token, idle, close) if first_token is not None or idle is not None else None


def open_stream(raw: RawStream[Any], translator: StreamTranslator, guard: StreamGuard | None = None) -> Opened:
    items = iter(raw)
    buffered: list[dict[str, Any]] = []
    if guard is not None:
        WATCHDOG.watch(guard)
    try:
        while not translator.has_content:
            item = next(items, _END)
            if item is _END:
                buffered.extend(translator.end())
                break
            buffered.extend(translator.feed(item))
            if guard is not None:
                guard.event(content=translator.has_content)
    except BaseException as error:
        _stop_watching(guard)
        raw.close()
        mapped = _before_content(error, guard)
        if mapped is error:
            raise
        raise mapped from error
    return Opened(buffered, items, raw, translator, guard)


async def aopen_stream(
    raw: AsyncRawStream[Any], translator: StreamTranslator, guard: StreamGuard | None = None
) -> AsyncOpened:
    items = aiter(raw)
    buffered: list[dict[str, Any]] = []
    timer = LoopTimer(guard) if guard is not None else None
    try:
        while not translator.has_content:
            if timer is not None:
                timer.reader = asyncio.current_task()
            item = await anext(items, _END)
            if item is _END:
                buffered.extend(translator.end())
                break
            buffered.extend(translator.feed(item))
            if guard is not None:
                guard.event(content=translator.has_content)
    except BaseException as error:
        if timer is not None:
            timer.cancel()
        await raw.aclose()
        if isinstance(error, asyncio.CancelledError) and guard is not None and guard.fired:
            uncancel(timer.reader if timer else None)
        mapped = _before_content(error, guard)
        if mapped is error:
            raise
        raise mapped from error
    return AsyncOpened(buffered, items, raw, translator, guard, timer)


def _ended(on_end: Callable[[BaseException | None], None] | None, error: BaseException | None) -> None:
    # The callback ignores all but its first report (telemetry's finish/fail run once).
    if on_end is not None:
        on_end(error)


def _stop_watching(guard: StreamGuard | None) -> None:
    if guard is not None:
        WATCHDOG.unwatch(guard)


def _before_content(error: BaseException, guard: StreamGuard | None) -> BaseException:
    # Nothing reached the caller yet, so a broken stream is just a failed attempt: make it retryable.
    timeout = guard.error() if guard is not None else None
    if timeout is not None:
        return timeout
    if isinstance(error, StreamInterrupted):
        return errors.ConnectionError(f"the upstream stream broke before any content: {error.message}")
    return error


def _interrupted(
    error: BaseException,
    route: RouteInfo,
    translator: StreamTranslator,
    guard: StreamGuard | None,
    scrub: Callable[[RouteError], None] | None = None,
) -> StreamInterrupted:
    guarded = guard.error() if guard is not None else None
    if isinstance(guarded, StreamInterrupted):
        interrupted = guarded
    elif isinstance(error, StreamInterrupted):
        interrupted = error
    else:
        reason = error.message if isinstance(error, RouteError) else type(error).__name__
        interrupted = StreamInterrupted(f"the stream broke after content was delivered: {reason}")
    interrupted.partial = interrupted.partial or translator.partial()
    interrupted.provider = interrupted.provider or route.provider
    interrupted.model = interrupted.model or route.model
    interrupted.request_id = interrupted.request_id or route.request_id
    interrupted.upstream_request_id = interrupted.upstream_request_id or route.upstream_request_id
    if scrub is not None:
        scrub(interrupted)
        if isinstance(error, RouteError):
            scrub(error)
    return interrupted


class Payloads:
    """The face's payloads of an opened stream, in order: what was buffered while opening, then each upstream item
    translated, then the end. A failure after content raises :class:`StreamInterrupted` with the partial answer —
    unless the call continues broken streams (``opened.resume``): then the stream goes on from the continuation
    and ``opened`` becomes it. A continuation that cannot be had leaves the caller the original interruption."""

    def __init__(self, opened: Opened, route: RouteInfo) -> None:
        self.opened = opened
        self.route = route

    def __iter__(self) -> Generator[dict[str, Any], None, None]:
        opened = self.opened
        try:
            while True:
                guard, translator = opened.guard, opened.translator
                try:
                    yield from opened.buffered
                    for item in opened.items:
                        if guard is not None:
                            guard.event(content=True)
                        yield from translator.feed(item)
                    yield from translator.end()
                    _ended(opened.on_end, None)
                    return
                except (RouteError, OSError) as error:
                    interrupted = _interrupted(error, self.route, translator, guard, opened.scrub)
                    resumed = _resumed(opened.resume, interrupted)
                    if resumed is None:
                        _ended(opened.on_end, interrupted)
                        raise interrupted from error
                discard(opened)
                self.opened = opened = resumed
        except GeneratorExit:
            _ended(opened.on_end, None)  # the caller stopped reading
            raise
        finally:
            discard(opened)


class AsyncPayloads:
    """The async twin of :class:`Payloads` (its guard cancels the reading task; that is turned back into the
    guard's error here)."""

    def __init__(self, opened: AsyncOpened, route: RouteInfo) -> None:
        self.opened = opened
        self.route = route

    async def iterate(self) -> AsyncGenerator[dict[str, Any], None]:
        opened = self.opened
        try:
            while True:
                guard, timer, translator = opened.guard, opened.timer, opened.translator
                failure: BaseException
                try:
                    for payload in opened.buffered:
                        yield payload
                    while True:
                        if timer is not None:
                            timer.reader = asyncio.current_task()
                        item = await anext(opened.items, _END)
                        if item is _END:
                            break
                        if guard is not None:
                            guard.event(content=True)
                        for payload in translator.feed(item):
                            yield payload
                    for payload in translator.end():
                        yield payload
                    _ended(opened.on_end, None)
                    return
                except asyncio.CancelledError as error:
                    if guard is None or not guard.fired:
                        raise
                    uncancel(timer.reader if timer else None)
                    failure = error
                except (RouteError, OSError) as error:
                    failure = error
                interrupted = _interrupted(failure, self.route, translator, guard, opened.scrub)
                resumed = await _aresumed(opened.resume, interrupted)
                if resumed is None:
                    _ended(opened.on_end, interrupted)
                    raise interrupted from (None if isinstance(failure, asyncio.CancelledError) else failure)
                await adiscard(opened)
                self.opened = opened = resumed
        except GeneratorExit:
            _ended(opened.on_end, None)  # the caller stopped reading
            raise
        finally:
            await adiscard(opened)


def discard(opened: Opened) -> None:
    """Let go of a stream: unwatched, closed. Safe to repeat."""
    _stop_watching(opened.guard)
    opened.raw.close()


async def adiscard(opened: AsyncOpened) -> None:
    if opened.timer is not None:
        opened.timer.cancel()
    await opened.raw.aclose()


def _resumed(resume: Callable[[StreamInterrupted], Opened] | None, interrupted: StreamInterrupted) -> Opened | None:
    if resume is None or interrupted.partial is None:
        return None
    try:
        return resume(interrupted)
    except RouteError as error:
        logger.warning("request %s: the broken stream could not be continued: %s", interrupted.request_id, error)
        return None


async def _aresumed(
    resume: Callable[[StreamInterrupted], Awaitable[AsyncOpened]] | None, interrupted: StreamInterrupted
) -> AsyncOpened | None:
    if resume is None or interrupted.partial is None:
        return None
    try:
        return await resume(interrupted)
    except RouteError as error:
        logger.warning("request %s: the broken stream could not be continued: %s", interrupted.request_id, error)
        return None


class _ResponseHandle:
    """Stands in for the HTTP response the vendor SDKs' stream helpers hold (``raw_stream.response``): they close it
    and read request IDs from its headers."""

    def __init__(self, stream: Stream[Any] | AsyncStream[Any]) -> None:
        self._stream = stream
        upstream_id = stream.route.upstream_request_id or ""
        self.headers = {"request-id": upstream_id, "x-request-id": upstream_id}

    def close(self) -> None:
        stream = self._stream
        if isinstance(stream, Stream):
            stream.close()

    async def aclose(self) -> None:
        stream = self._stream
        if isinstance(stream, AsyncStream):
            await stream.close()


class Stream(Generic[_T]):
    """An iterator of the face's chunk type; also a context manager. ``close()`` closes the upstream connection."""

    def __init__(self, opened: Opened, make: Callable[[dict[str, Any]], _T], route: RouteInfo) -> None:
        self.payloads = Payloads(opened, route)
        self._make = make
        self.route = route
        attach(self, route)
        self._iterator = self._iterate()
        self.response = _ResponseHandle(self)

    def _iterate(self) -> Generator[_T, None, None]:
        make = self._make
        try:
            for payload in self.payloads:
                yield make(payload)
        finally:
            _ended(self.payloads.opened.on_end, None)  # any other way out (the first report counts)

    def __iter__(self) -> Iterator[_T]:
        return self._iterator

    def __next__(self) -> _T:
        return next(self._iterator)

    def close(self) -> None:
        self._iterator.close()
        self.payloads.opened.raw.close()

    def __enter__(self) -> Stream[_T]:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncStream(Generic[_T]):
    """The async twin of :class:`Stream`."""

    def __init__(self, opened: AsyncOpened, make: Callable[[dict[str, Any]], _T], route: RouteInfo) -> None:
        self.payloads = AsyncPayloads(opened, route)
        self._make = make
        self.route = route
        attach(self, route)
        self._iterator = self._iterate()
        self.response = _ResponseHandle(self)

    async def _iterate(self) -> AsyncGenerator[_T, None]:
        make = self._make
        payloads = self.payloads.iterate()
        try:
            async for payload in payloads:
                yield make(payload)
        finally:
            await payloads.aclose()
            _ended(self.payloads.opened.on_end, None)  # any other way out (the first report counts)

    def __aiter__(self) -> AsyncIterator[_T]:
        return self._iterator

    async def __anext__(self) -> _T:
        return await anext(self._iterator)

    async def close(self) -> None:
        await self._iterator.aclose()
        await self.payloads.opened.raw.aclose()

    async def __aenter__(self) -> AsyncStream[_T]:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
