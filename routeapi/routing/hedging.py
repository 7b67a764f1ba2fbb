"""Hedging: when the first target has not answered within ``after`` seconds, start the rest of the plan too and keep
whichever answers first; the other is cancelled and anything it opened is discarded.

Written twice, as mirror images: async on tasks (cancelling one cancels its request), sync on two threads (a thread
cannot be cancelled, so each side gets a :class:`Branch` whose ``cancel`` interrupts the request it holds and stops
it from starting another).
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

_T = TypeVar("_T")


class HedgeCancelled(Exception):
    """Raised inside the side that lost a hedge. Not a RouteError: the router neither retries nor records it."""


class Branch:
    """One side of a sync hedge: what it is reading, and whether it lost."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._held: Any = None

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def check(self) -> None:
        if self._cancelled:
            raise HedgeCancelled

    def hold(self, stream: Any) -> None:
        """Called with each stream the side opens; a side that already lost closes it at once."""
        with self._lock:
            self._held = stream
            cancelled = self._cancelled
        if cancelled:
            stream.close()
            raise HedgeCancelled

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            held = self._held
        if held is not None:
            getattr(held, "interrupt", held.close)()  # wakes a read blocked on the socket


def hedge(
    first: Callable[[], _T],
    second: Callable[[], _T],
    after: float,
    *,
    branches: Sequence[Branch],
    stops: Callable[[BaseException], bool],
    discard: Callable[[_T], None],
    started: Callable[[], None],
) -> _T:
    """``first()``; if it has not returned after ``after`` seconds, ``second()`` alongside it: the first to return
    wins. ``branches[i]`` is cancelled when side ``i`` loses. A failure of ``first`` before the hedge starts runs
    ``second`` alone, unless ``stops(error)``. When both fail, the last error is raised (the router's, which weighs
    every attempt of both)."""
    pool = ThreadPoolExecutor(2, thread_name_prefix="routeapi-hedge")
    try:
        primary = pool.submit(contextvars.copy_context().run, first)
        if wait([primary], timeout=after).done:
            error = primary.exception()
            if error is None:
                return primary.result()
            if stops(error):
                raise error
            return second()
        started()
        backup = pool.submit(contextvars.copy_context().run, second)
        sides: list[Future[_T]] = [primary, backup]
        pending: set[Future[_T]] = set(sides)
        last: BaseException | None = None
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            winners = [side for side in sides if side in done and side.exception() is None]
            if winners:
                for extra in winners[1:]:
                    discard(extra.result())
                for loser in pending:
                    branches[sides.index(loser)].cancel()
                    loser.add_done_callback(lambda side: _discard_result(side, discard))
                return winners[0].result()
            last = next(side.exception() for side in sides if side in done)
        assert last is not None
        raise last
    finally:
        pool.shutdown(wait=False)


def _discard_result(side: Future[_T], discard: Callable[[_T], None]) -> None:
    if not side.cancelled() and side.exception() is None:
        discard(side.result())


async def ahedge(
    first: Callable[[], Awaitable[_T]],
    second: Callable[[], Awaitable[_T]],
    after: float,
    *,
    stops: Callable[[BaseException], bool],
    discard: Callable[[_T], Awaitable[None]],
    started: Callable[[], None],
) -> _T:
    """The async :func:`hedge`: the losing side's task is cancelled."""
    primary = asyncio.ensure_future(first())
    pending: set[asyncio.Future[_T]] = {primary}
    try:
        await asyncio.wait(pending, timeout=after)
        if primary.done():
            pending.clear()
            error = primary.exception()
            if error is None:
                return primary.result()
            if stops(error):
                raise error
            return await second()
        started()
        backup = asyncio.ensure_future(second())
        sides = [primary, backup]
        pending = set(sides)
        last: BaseException | None = None
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            winners = [side for side in sides if side in done and side.exception() is None]
            if winners:
                for extra in winners[1:]:
                    await discard(extra.result())
                return winners[0].result()
            last = next(side.exception() for side in sides if side in done)
        assert last is not None
        raise last
    finally:
        for side in pending:
            side.cancel()
        for result in await asyncio.gather(*pending, return_exceptions=True):
            if not isinstance(result, BaseException):
                await discard(result)
