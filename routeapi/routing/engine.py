"""Runs one call over its targets: health first (open circuits are skipped), then retries within a target
(tenacity, paced so one deployment never sees more than ``attempts_per_second`` starts in a second, within the call's
deadline), then the next target.

The loop is written twice, sync and async, as mirror images; every decision is made by the pure functions in
:mod:`.policy` and the shared state objects below, so the two cannot drift apart in behaviour.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import tenacity

from ..config import Deployment, RetryConfig, RouteConfig
from ..errors import AllAttemptsFailed, Attempt, ContentFiltered, ContextLengthExceeded, RateLimited, RouteError
from .balancing import LatencyStats, RoundRobin, order
from .deadline import Deadline
from .health import CircuitBreaker, HealthBackend
from .pacing import AttemptPacer
from .policy import Next, after_failure, backoff, final_error, judges_health
from .targets import Target, plan

_T = TypeVar("_T")


@dataclass(slots=True)
class CallState:
    """What one call accumulates while the router works: every failed attempt, every skipped target."""

    request_id: str
    deadline: Deadline
    attempts: list[Attempt] = field(default_factory=lambda: [])
    skipped: list[tuple[Target, str]] = field(default_factory=lambda: [])
    retries: int = 0
    too_long_for: list[Target] = field(default_factory=lambda: [])
    """Targets that answered "context length exceeded": later targets must have a larger window."""


Screen = Callable[[Target, CallState], "str | None"]
"""Why a target cannot serve this call (a missing capability, a window too small...), or None when it can."""


class _Wait(tenacity.wait.wait_base):
    def __init__(self, config: RetryConfig, deadline: Deadline) -> None:
        self._config = config
        self._deadline = deadline

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        return self._deadline.cap(backoff(retry_state.attempt_number, error or RuntimeError(), self._config))


class _Stop(tenacity.stop.stop_base):
    def __init__(self, max_attempts: int, deadline: Deadline) -> None:
        self._max_attempts = max_attempts
        self._deadline = deadline

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        return retry_state.attempt_number >= self._max_attempts or self._deadline.expired()


def _should_retry(error: BaseException) -> bool:
    return after_failure(error) is Next.RETRY


class Router:
    """Routing state shared by every call of a client: circuit breakers, attempt pacing, latency statistics."""

    def __init__(self, config: RouteConfig, *, health: HealthBackend | None = None) -> None:
        self.config = config
        routing = config.routing
        # A backend shared between processes needs a clock they share; in one process, monotonic is safer.
        self.breaker = CircuitBreaker(
            health,
            failure_threshold=routing.failure_threshold,
            cooldown=routing.cooldown_seconds,
            clock=time.monotonic if health is None else time.time,
        )
        self.pacer = AttemptPacer(max_attempts=routing.attempts_per_second, window=1.0)
        self.latency = LatencyStats()
        self.scrub: Callable[[RouteError, Target], None] | None = None
        """Set by the caller: removes the target's secrets from an error before it goes anywhere."""
        self._rotation = RoundRobin()
        self._rng = random.Random()

    def targets(self, model: str, fallbacks: Sequence[str]) -> list[Target]:
        return plan(self.config, model, fallbacks, self._order)

    def _order(self, deployments: Sequence[Deployment], alias: str) -> list[Deployment]:
        strategy = self.config.routing.strategy
        return order(deployments, strategy, stats=self.latency, rng=self._rng, rotation=self._rotation, model_key=alias)

    def _retrying(self, deadline: Deadline) -> dict[str, Any]:
        retry = self.config.retry
        return {
            "stop": _Stop(retry.max_attempts, deadline),
            "wait": _Wait(retry, deadline),
            "retry": tenacity.retry_if_exception(_should_retry),
            "reraise": True,
        }

    # -- the loop, sync ------------------------------------------------------------------------------------
    def run(
        self, targets: Sequence[Target], attempt: Callable[[Target], _T], state: CallState, screen: Screen | None = None
    ) -> _T:
        for target in targets:
            if self._skip(target, state, screen):
                continue
            try:
                for try_ in tenacity.Retrying(**self._retrying(state.deadline)):
                    with try_:
                        return self._attempt(attempt, target, state)
            except RouteError as error:
                if not self._moves_on(error):
                    raise
        raise self._exhausted(state)

    def _attempt(self, attempt: Callable[[Target], _T], target: Target, state: CallState) -> _T:
        delay = self._pace(target, state)
        if delay > 0:
            time.sleep(delay)
        self._before(target, state)
        started = time.monotonic()
        try:
            result = attempt(target)
        except BaseException as error:
            self._failed(error, target, state)
            raise
        self._succeeded(target, started)
        return result

    # -- the loop, async (the mirror image) ----------------------------------------------------------------
    async def arun(
        self,
        targets: Sequence[Target],
        attempt: Callable[[Target], Awaitable[_T]],
        state: CallState,
        screen: Screen | None = None,
    ) -> _T:
        for target in targets:
            if self._skip(target, state, screen):
                continue
            try:
                async for try_ in tenacity.AsyncRetrying(**self._retrying(state.deadline)):
                    with try_:
                        return await self._aattempt(attempt, target, state)
            except RouteError as error:
                if not self._moves_on(error):
                    raise
        raise self._exhausted(state)

    async def _aattempt(self, attempt: Callable[[Target], Awaitable[_T]], target: Target, state: CallState) -> _T:
        delay = self._pace(target, state)
        if delay > 0:
            await asyncio.sleep(delay)
        self._before(target, state)
        started = time.monotonic()
        try:
            result = await attempt(target)
        except BaseException as error:
            self._failed(error, target, state)
            raise
        self._succeeded(target, started)
        return result

    # -- decisions both loops share ------------------------------------------------------------------------
    def _skip(self, target: Target, state: CallState, screen: Screen | None) -> bool:
        """Checked just before the target's turn (an earlier failure can change the answer). The circuit comes
        last: asking it may take the half-open probe slot, which only a target about to be tried should hold."""
        reason = screen(target, state) if screen is not None else None
        if reason is None and not self.breaker.available(target.key):
            reason = "circuit open: recent failures, cooling down"
        if reason is not None:
            state.skipped.append((target, reason))
            return True
        return False

    def _pace(self, target: Target, state: CallState) -> float:
        """The pacer holds the times of recent failures per deployment. A new attempt waits until fewer than
        ``attempts_per_second`` of them lie in the last second: since an attempt fails after it starts, a failing
        deployment (a persistent 429, an outage) never sees more starts than that in any second, from all callers
        together, while a healthy one is never slowed."""
        return state.deadline.cap(self.pacer.delay_before(target.key))

    def _before(self, target: Target, state: CallState) -> None:
        state.deadline.check(f"before an attempt at {target.key}")
        if any(a.provider == target.provider and a.model == target.model for a in state.attempts):
            state.retries += 1

    def _succeeded(self, target: Target, started: float) -> None:
        self.breaker.record_success(target.key)
        self.latency.observe(target.key, time.monotonic() - started)

    def failed(self, error: RouteError, target: Target, state: CallState) -> None:
        """Records a failure that happened outside an attempt the router ran (a stream breaking while read)."""
        self._failed(error, target, state)

    def _failed(self, error: BaseException, target: Target, state: CallState) -> None:
        if not isinstance(error, RouteError):
            self.breaker.release_probe(target.key)
            return
        if self.scrub is not None:
            self.scrub(error, target)
        error.provider = error.provider or target.provider
        error.model = error.model or target.model
        error.request_id = error.request_id or state.request_id
        state.attempts.append(Attempt(target.provider, target.model, error))
        if isinstance(error, ContextLengthExceeded):
            state.too_long_for.append(target)
        if judges_health(error):
            self.pacer.started(target.key)  # records the failure's time, see _pace
            retry_after = error.retry_after if isinstance(error, RateLimited) else None
            self.breaker.record_failure(target.key, retry_after=retry_after)
        else:
            self.breaker.release_probe(target.key)  # the request was at fault, not the deployment

    def moves_on(self, error: BaseException) -> bool:
        """Whether a failure of a part of the plan leaves the rest worth trying (else it is the caller's answer)."""
        return isinstance(error, RouteError) and self._moves_on(error)

    def _moves_on(self, error: RouteError) -> bool:
        if isinstance(error, ContentFiltered):
            return self.config.routing.fallback_on_content_filter
        return after_failure(error) is not Next.STOP

    def _exhausted(self, state: CallState) -> BaseException:
        if state.attempts:
            error = final_error(state.attempts)
            if isinstance(error, AllAttemptsFailed):
                error.skipped = list(state.skipped)
            return error
        reasons = "; ".join(f"{t.key}: {why}" for t, why in state.skipped) or "no target"
        error = AllAttemptsFailed(f"no target could take the call ({reasons})", attempts=[], skipped=state.skipped)
        error.request_id = state.request_id
        return error
