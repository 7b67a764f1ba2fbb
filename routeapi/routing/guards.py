"""Stream guards: a first-token timeout and an idle timeout between events.

A blocked read cannot be interrupted from inside; so a guard watches deadlines from outside and, when one passes,
closes the upstream stream, which makes the blocked read end at once. The reader then asks the guard what happened
and raises the right error. Sync streams are watched by one shared daemon thread (no thread per stream), async ones by
a timer on their event loop. Per event, a stream only stores a timestamp.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable

from ..errors import StreamInterrupted, StreamTimeout

_POLL = 0.05  # the watchdog's resolution, seconds


class StreamGuard:
    """Deadlines of one stream: ``first_token`` seconds from the start until content, then at most ``idle``
    seconds between events. ``close`` is called (once) from the watcher when a deadline passes."""

    __slots__ = ("_close", "_last", "_started", "content_seen", "fired", "first_token", "idle")

    def __init__(self, first_token: float | None, idle: float | None, close: Callable[[], object]) -> None:
        self.first_token = first_token
        self.idle = idle
        self._close = close
        self._started = self._last = time.monotonic()
        self.content_seen = False
        self.fired: str | None = None

    @property
    def active(self) -> bool:
        return self.fired is None and (
            self.idle is not None or (self.first_token is not None and not self.content_seen)
        )

    def deadline(self) -> float | None:
        if not self.content_seen:
            if self.first_token is not None:
                return self._started + self.first_token
            return None if self.idle is None else self._last + self.idle
        return None if self.idle is None else self._last + self.idle

    def event(self, *, content: bool) -> None:
        """An event arrived (``content``: the first content, if not seen yet)."""
        self._last = time.monotonic()
        if content:
            self.content_seen = True

    def expire_if_due(self, now: float) -> bool:
        deadline = self.deadline()
        if self.fired is not None or deadline is None or now < deadline:
            return False
        self.fired = "first_token" if not self.content_seen and self.first_token is not None else "idle"
        with contextlib.suppress(Exception):  # a failed close must not kill the watcher
            self._close()
        return True

    def error(self) -> StreamTimeout | StreamInterrupted | None:
        """The error a reader should raise after its read ended because this guard fired."""
        if self.fired == "first_token":
            return StreamTimeout(f"no first token within {self.first_token}s")
        if self.fired == "idle":
            if not self.content_seen:
                return StreamTimeout(f"the stream was silent for more than {self.idle}s before any content")
            return StreamInterrupted(f"the stream stalled: no event for more than {self.idle}s")
        return None


class Watchdog:
    """One daemon thread watching every sync stream's guard; it runs only while there is something to watch."""

    def __init__(self) -> None:
        self._guards: set[StreamGuard] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, guard: StreamGuard) -> None:
        if not guard.active:
            return
        with self._lock:
            self._guards.add(guard)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="routeapi-stream-watchdog", daemon=True)
                self._thread.start()

    def unwatch(self, guard: StreamGuard) -> None:
        with self._lock:
            self._guards.discard(guard)

    def _run(self) -> None:
        while True:
            time.sleep(_POLL)
            now = time.monotonic()
            with self._lock:
                due = [g for g in self._guards if (d := g.deadline()) is not None and d <= now]
                if not self._guards:
                    self._thread = None
                    return
            for guard in due:
                if guard.expire_if_due(now):
                    self.unwatch(guard)


WATCHDOG = Watchdog()


class LoopTimer:
    """The async watcher of one guard: a timer on the running loop, re-armed for the guard's current deadline
    when it fires early (events moved the deadline), so arming costs nothing per event. When the guard expires it
    cancels ``reader``, the task blocked on the stream, which then raises the guard's error (as ``asyncio.timeout``
    does)."""

    __slots__ = ("_guard", "_handle", "_loop", "reader")

    def __init__(self, guard: StreamGuard) -> None:
        self._guard = guard
        self._loop = asyncio.get_running_loop()
        self._handle: asyncio.TimerHandle | None = None
        self.reader: asyncio.Task[object] | None = None
        self._arm()

    def _arm(self) -> None:
        deadline = self._guard.deadline()
        if deadline is None or self._guard.fired is not None:
            self._handle = None
            return
        delay = max(0.0, deadline - time.monotonic())
        self._handle = self._loop.call_later(delay, self._fire)

    def _fire(self) -> None:
        if not self._guard.expire_if_due(time.monotonic()):
            self._arm()
        elif self.reader is not None:
            self.reader.cancel()

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


def uncancel(task: asyncio.Task[object] | None) -> None:
    """Undo the cancellation a guard requested (Python 3.11+ counts them; 3.10 has nothing to undo)."""
    undo = getattr(task, "uncancel", None)
    if undo is not None:
        undo()
