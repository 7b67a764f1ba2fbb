"""Runs one call over its targets: retries within a target (tenacity), then fallbacks in order.

The loop is written twice, sync and async, as mirror images; every decision is made by the pure functions in
:mod:`.policy`, so the two cannot drift apart in behaviour.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import tenacity

from ..config import RetryConfig, RouteConfig
from ..errors import Attempt, RouteError
from .policy import Next, after_failure, backoff, final_error
from .targets import Target, plan

_T = TypeVar("_T")


class _Wait(tenacity.wait.wait_base):
    def __init__(self, config: RetryConfig) -> None:
        self._config = config

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        return backoff(retry_state.attempt_number, error or RuntimeError(), self._config)


def _should_retry(error: BaseException) -> bool:
    return after_failure(error) is Next.RETRY


class Router:
    def __init__(self, config: RouteConfig) -> None:
        self.config = config

    def targets(self, model: str, fallbacks: Sequence[str]) -> list[Target]:
        return plan(self.config, model, fallbacks)

    def _retrying_kwargs(self) -> dict[str, object]:
        retry = self.config.retry
        return {
            "stop": tenacity.stop_after_attempt(retry.max_attempts),
            "wait": _Wait(retry),
            "retry": tenacity.retry_if_exception(_should_retry),
            "reraise": True,
        }

    def run(
        self, targets: Sequence[Target], attempt: Callable[[Target], _T], *, request_id: str, attempts: list[Attempt]
    ) -> _T:
        for target in targets:
            try:
                for try_ in tenacity.Retrying(**self._retrying_kwargs()):  # type: ignore[arg-type]
                    with try_:
                        return _recorded(attempt, target, request_id, attempts)
            except RouteError as error:
                if after_failure(error) is Next.STOP:
                    raise
        raise final_error(attempts)

    async def arun(
        self,
        targets: Sequence[Target],
        attempt: Callable[[Target], Awaitable[_T]],
        *,
        request_id: str,
        attempts: list[Attempt],
    ) -> _T:
        for target in targets:
            try:
                async for try_ in tenacity.AsyncRetrying(**self._retrying_kwargs()):  # type: ignore[arg-type]
                    with try_:
                        return await _arecorded(attempt, target, request_id, attempts)
            except RouteError as error:
                if after_failure(error) is Next.STOP:
                    raise
        raise final_error(attempts)


def _recorded(attempt: Callable[[Target], _T], target: Target, request_id: str, attempts: list[Attempt]) -> _T:
    try:
        return attempt(target)
    except BaseException as error:
        _record(error, target, request_id, attempts)
        raise


async def _arecorded(
    attempt: Callable[[Target], Awaitable[_T]], target: Target, request_id: str, attempts: list[Attempt]
) -> _T:
    try:
        return await attempt(target)
    except BaseException as error:
        _record(error, target, request_id, attempts)
        raise


def _record(error: BaseException, target: Target, request_id: str, attempts: list[Attempt]) -> None:
    if isinstance(error, RouteError):
        error.provider = error.provider or target.provider
        error.model = error.model or target.model
        error.request_id = error.request_id or request_id
        attempts.append(Attempt(target.provider, target.model, error))
