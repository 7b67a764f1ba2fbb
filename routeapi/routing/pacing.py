"""Pacing of attempts at one deployment, and the upstream's own wish (Retry-After). Pure: no I/O, no sleeping.

The pacer bounds how many attempts *start* within any ``window`` seconds, whatever the backoff computed: a
deployment answering 429 to every call is then never hit more than ``max_attempts`` times per window.
"""

from __future__ import annotations

import math
import re
import threading
import time
from bisect import insort
from collections.abc import Callable, Mapping
from datetime import timezone
from email.utils import parsedate_to_datetime


class AttemptPacer:
    """Sliding window of attempt start times per deployment key. An attempt at time ``t`` counts against every
    start ``s`` with ``t - s < window``."""

    def __init__(
        self, *, max_attempts: int = 2, window: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        if window <= 0:
            raise ValueError(f"window must be positive, got {window}")
        self.max_attempts = max_attempts
        self.window = window
        self._clock = clock
        self._starts: dict[str, list[float]] = {}  # sorted
        self._lock = threading.Lock()

    def delay_before(self, key: str) -> float:
        """Seconds to wait before the next attempt at ``key`` may start (0 when it may start now)."""
        with self._lock:
            return self._delay(key, self._clock())

    def started(self, key: str) -> None:
        """Record that an attempt at ``key`` starts now (forgetting starts that left the window)."""
        with self._lock:
            now = self._clock()
            self._delay(key, now)
            insort(self._starts.setdefault(key, []), now)

    def reserve(self, key: str) -> float:
        """``delay_before`` and ``started`` in one atomic step: books the earliest free start and returns the wait
        until it. Concurrent callers each get their own slot, where ``delay_before`` would tell them all 0."""
        with self._lock:
            now = self._clock()
            delay = self._delay(key, now)
            insort(self._starts.setdefault(key, []), now + delay)
            return delay

    def _delay(self, key: str, now: float) -> float:
        starts = self._starts.get(key)
        if starts is None:
            return 0.0
        # Starts booked by ``reserve`` may lie in the future; only those that left the window are forgotten.
        expired = 0
        while expired < len(starts) and now - starts[expired] >= self.window:
            expired += 1
        del starts[:expired]
        if not starts:
            del self._starts[key]  # idle keys cost nothing
            return 0.0
        if len(starts) < self.max_attempts:
            return 0.0
        # The start that would be max_attempts back must have left the window.
        return max(0.0, starts[-self.max_attempts] + self.window - now)


_NUMBER = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*")


def retry_after_seconds(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """The wait an upstream asked for: ``retry-after-ms`` (milliseconds, OpenAI and Anthropic) if valid, else
    ``retry-after`` as seconds or an HTTP date (RFC 7231; a date in the past gives 0). ``now`` is the wall clock for
    dates (default ``time.time()``). Header names are case-insensitive; an unreadable value gives None."""
    lowered = {name.lower(): value for name, value in headers.items()}
    milliseconds = _number(lowered.get("retry-after-ms"))
    if milliseconds is not None:
        return milliseconds / 1000
    value = lowered.get("retry-after")
    if value is None:
        return None
    seconds = _number(value)
    if seconds is not None:
        return seconds
    return _seconds_until(value, time.time() if now is None else now)


def _number(value: str | None) -> float | None:
    # A strict pattern: float() would also accept "inf", "nan", "-3" and "1_0".
    if value is None or _NUMBER.fullmatch(value) is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _seconds_until(http_date: str, now: float) -> float | None:
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" means UTC with an unknown source zone
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - now)
