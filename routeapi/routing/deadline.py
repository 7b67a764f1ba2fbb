"""A whole call's time budget, shared by its attempts, backoffs and fallbacks. Pure: the clock is injected."""

from __future__ import annotations

import time
from collections.abc import Callable

from ..errors import Timeout


class Deadline:
    """Starts counting when created. ``seconds=None`` means no deadline: nothing is ever capped or expired."""

    def __init__(self, seconds: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        if seconds is not None and seconds < 0:
            raise ValueError(f"a deadline must not be negative, got {seconds}")
        self.seconds = seconds
        self._clock = clock
        self._started = clock()

    def remaining(self) -> float | None:
        """Seconds left (never negative), or None without a deadline."""
        if self.seconds is None:
            return None
        return max(0.0, self.seconds - (self._clock() - self._started))

    def expired(self) -> bool:
        remaining = self.remaining()
        return remaining is not None and remaining <= 0

    def cap(self, delay: float) -> float:
        """``delay`` shortened so that a backoff never sleeps past the deadline."""
        remaining = self.remaining()
        return delay if remaining is None else min(delay, remaining)

    def check(self, what: str) -> None:
        """Raise :class:`~routeapi.errors.Timeout` once expired; ``what`` says where, e.g. ``"before attempt 3"``."""
        if self.expired():
            raise Timeout(f"deadline of {self.seconds}s exceeded {what}")
