"""Deployment health: a circuit breaker per deployment key (``"provider/model"``) with a single half-open probe.

::

    closed ──(failure_threshold consecutive failures)──► open ──(cooldown elapses)──► half_open
       ▲                                                  ▲                               │
       └──────────────(probe succeeds)────────────────────┼───────────(probe fails)───────┘

While half-open exactly one caller wins the probe slot (``available`` returns True for it alone); everyone else
keeps skipping the deployment until the probe reports. The state lives in a :class:`HealthBackend` so several
routers (later: several processes, through Redis) can share it. Pure: no I/O, no sleeping; the clock is injected.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal, Protocol

CircuitStatus = Literal["closed", "open", "half_open"]


@dataclass(frozen=True, slots=True)
class CircuitState:
    """What a backend stores per deployment. ``open_until`` is None while closed; once the clock passes it the
    circuit is half-open. ``probe_until`` is set while a probe is out: the slot is held until then, so a probe whose
    caller vanished without reporting cannot keep the deployment out of rotation forever."""

    failures: int = 0
    open_until: float | None = None
    probe_until: float | None = None


CLOSED = CircuitState()
MIN_PROBE_TIMEOUT = 60.0


class HealthBackend(Protocol):
    """Storage for circuit states. Implementations must make each method atomic on its own; ``try_take_probe`` is
    the one compare-and-set the breaker cannot do with a get followed by a put."""

    def get(self, key: str) -> CircuitState:
        """The stored state, :data:`CLOSED` for a key never seen."""
        ...

    def put(self, key: str, state: CircuitState) -> None: ...

    def try_take_probe(self, key: str, *, now: float, hold_until: float) -> bool:
        """Atomically: if the circuit is open, its cooldown is over (``open_until <= now``) and no probe holds the
        slot (``probe_until`` unset or ``<= now``), set ``probe_until = hold_until`` and return True."""
        ...


class MemoryHealthBackend:
    """In-process backend; its own lock makes it safe to share between breakers and threads."""

    def __init__(self) -> None:
        self._states: dict[str, CircuitState] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> CircuitState:
        with self._lock:
            return self._states.get(key, CLOSED)

    def put(self, key: str, state: CircuitState) -> None:
        with self._lock:
            if state == CLOSED:
                self._states.pop(key, None)  # healthy keys cost nothing
            else:
                self._states[key] = state

    def try_take_probe(self, key: str, *, now: float, hold_until: float) -> bool:
        with self._lock:
            state = self._states.get(key, CLOSED)
            if not _probe_slot_free(state, now):
                return False
            self._states[key] = replace(state, probe_until=hold_until)
            return True


def _probe_slot_free(state: CircuitState, now: float) -> bool:
    cooled_down = state.open_until is not None and state.open_until <= now
    return cooled_down and (state.probe_until is None or state.probe_until <= now)


class CircuitBreaker:
    """Opens a deployment's circuit after ``failure_threshold`` consecutive failures, for ``cooldown`` seconds (or
    the upstream's longer ``retry_after``); then lets one probe through. ``probe_timeout`` is how long a probe may
    stay silent before it is presumed lost and another caller may probe (default: the cooldown, but at least
    :data:`MIN_PROBE_TIMEOUT` so that a slow completion is not mistaken for a lost probe).

    With a backend shared between processes, pass a clock they share (``time.time``): monotonic clocks differ."""

    def __init__(
        self,
        backend: HealthBackend | None = None,
        *,
        failure_threshold: int = 3,
        cooldown: float = 30.0,
        probe_timeout: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError(f"failure_threshold must be at least 1, got {failure_threshold}")
        if cooldown < 0:
            raise ValueError(f"cooldown must not be negative, got {cooldown}")
        if probe_timeout is not None and probe_timeout <= 0:
            raise ValueError(f"probe_timeout must be positive, got {probe_timeout}")
        self.backend: HealthBackend = backend if backend is not None else MemoryHealthBackend()
        self.failure_threshold = failure_threshold
        self.cooldown = cooldown
        self.probe_timeout = probe_timeout if probe_timeout is not None else max(cooldown, MIN_PROBE_TIMEOUT)
        self._clock = clock
        # Serialises this breaker's read-modify-write sequences (get, decide, put). Never held across an await.
        self._lock = threading.Lock()

    def state(self, key: str) -> CircuitStatus:
        return _status(self.backend.get(key), self._clock())

    def available(self, key: str) -> bool:
        """May a request go to ``key`` now? Closed: yes. Open: no. Half-open: yes for the one caller that takes the
        probe slot, and that caller must then report ``record_success``, ``record_failure`` or ``release_probe``."""
        with self._lock:
            now = self._clock()
            status = _status(self.backend.get(key), now)
            if status == "closed":
                return True
            if status == "open":
                return False
            return self.backend.try_take_probe(key, now=now, hold_until=now + self.probe_timeout)

    def failing(self, key: str) -> bool:
        """Whether the deployment's last outcome was a failure (open, half-open, or closed with failures counted)."""
        return self.backend.get(key).failures > 0

    def record_success(self, key: str) -> None:
        """Any success proves the deployment answers: the circuit closes and the failure count resets."""
        with self._lock:
            if self.backend.get(key) != CLOSED:
                self.backend.put(key, CLOSED)

    def record_failure(self, key: str, *, retry_after: float | None = None) -> None:
        """A closed circuit counts the failure and opens at the threshold. Once the cooldown is over (the probe, or
        a straggler that was let through before the circuit opened) a failure reopens it for a fresh cooldown.
        During the cooldown only a longer ``retry_after`` matters: it pushes the reopening back."""
        with self._lock:
            now = self._clock()
            state = self.backend.get(key)
            pause = max(self.cooldown, retry_after or 0.0)
            if state.open_until is None:
                failures = state.failures + 1
                if failures >= self.failure_threshold:
                    self.backend.put(key, CircuitState(failures, open_until=now + pause))
                else:
                    self.backend.put(key, CircuitState(failures))
            elif state.open_until <= now:
                self.backend.put(key, CircuitState(state.failures + 1, open_until=now + pause))
            elif retry_after is not None and now + retry_after > state.open_until:
                self.backend.put(key, replace(state, open_until=now + retry_after))

    def release_probe(self, key: str) -> None:
        """The probe ended without a verdict on the deployment (the caller's own bad request, a cancellation): free
        the slot so the next caller probes."""
        with self._lock:
            state = self.backend.get(key)
            if state.probe_until is not None:
                self.backend.put(key, replace(state, probe_until=None))


def _status(state: CircuitState, now: float) -> CircuitStatus:
    if state.open_until is None:
        return "closed"
    return "open" if now < state.open_until else "half_open"
