"""Usage records written off the request path: queued in memory, stored in batches.

A batch is written every ``flush_interval`` seconds, or as soon as ``batch_size`` records wait, and everything
queued is written on graceful shutdown. A crash (SIGKILL, power loss) loses at most what was queued: about one flush
interval of requests. While the database is unreachable records stay queued, up to ``queue_limit``; beyond it the
oldest are dropped, with an error in the log."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque

from .store import Store, UsageRecord

logger = logging.getLogger("routeapi.server")


class UsageWriter:
    def __init__(
        self, store: Store, *, flush_interval: float = 1.0, batch_size: int = 100, queue_limit: int = 100_000
    ) -> None:
        self._store = store
        self._interval = flush_interval
        self._batch_size = batch_size
        self._queue: deque[UsageRecord] = deque()
        self._queue_limit = queue_limit
        self._full = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.dropped = 0

    @property
    def pending(self) -> int:
        return len(self._queue)

    def record(self, record: UsageRecord) -> None:
        """Never blocks and never fails: the request path only appends."""
        if len(self._queue) >= self._queue_limit:
            self._queue.popleft()
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                logger.error("usage records dropped (%d so far): the database is not keeping up", self.dropped)
        self._queue.append(record)
        if self._task is None and not self._closed:
            self.start()
        if len(self._queue) >= self._batch_size:
            self._full.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="routeapi-usage-writer")

    async def flush(self) -> None:
        """Write everything queued now. Raises when the database fails (the records stay queued)."""
        while self._queue:
            batch = [self._queue[i] for i in range(min(self._batch_size, len(self._queue)))]
            await self._store.add_usage(batch)
            for _ in batch:
                self._queue.popleft()

    async def aclose(self) -> None:
        """Stop the background task and write what is queued (graceful shutdown)."""
        self._closed = True
        self._full.set()
        if self._task is not None:
            # Not cancelled: a batch being written must finish and leave the queue, or it would be written twice.
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        try:
            await self.flush()
        except Exception:
            logger.exception("usage: %d records could not be written at shutdown", len(self._queue))

    async def _run(self) -> None:
        while not self._closed:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._full.wait(), self._interval)
            self._full.clear()
            if self._closed:
                return
            try:
                await self.flush()
            except Exception as error:  # keep the records; try again at the next interval
                logger.error("usage: writing %d records failed: %s", len(self._queue), type(error).__name__)
