"""What to do after a failed attempt: retry the same target, move to the next one, or stop. Pure."""

from __future__ import annotations

import random
from collections.abc import Sequence
from enum import Enum

from ..config import RetryConfig
from ..errors import (
    AllAttemptsFailed,
    Attempt,
    AuthenticationError,
    BadRequest,
    ContentFiltered,
    ContextLengthExceeded,
    NotFound,
    PermissionDenied,
    RateLimited,
    RouteError,
    StreamTimeout,
    UnsupportedFeature,
)
from ..fetch import FetchRefused


class Next(Enum):
    RETRY = "retry"  # same target again, after a backoff
    MOVE_ON = "move_on"  # next target
    STOP = "stop"  # the caller's request is at fault: no other target would do better


def after_failure(error: BaseException) -> Next:
    """Rate limits, overload, 5xx, timeouts and resets are retried; a bad key, a missing model or a too-long
    context moves on; any other 4xx (content filter included) stops — retrying a bad request only wastes quota."""
    if not isinstance(error, RouteError):
        return Next.STOP
    if isinstance(error, StreamTimeout):
        return Next.MOVE_ON  # no first token in time: another deployment is the better bet
    if error.retryable:
        return Next.RETRY
    if isinstance(error, FetchRefused):
        return Next.STOP  # the caller's URL: every target would refuse it the same way
    if isinstance(error, (AuthenticationError, PermissionDenied, NotFound, ContextLengthExceeded, UnsupportedFeature)):
        return Next.MOVE_ON
    if isinstance(error, BadRequest):
        return Next.STOP
    return Next.MOVE_ON


def judges_health(error: BaseException) -> bool:
    """Whether a failure says something about the deployment (and counts toward opening its circuit): outages,
    rate limits, timeouts and bad credentials do; a request the caller got wrong does not."""
    if not isinstance(error, RouteError):
        return False
    return error.retryable or isinstance(error, (AuthenticationError, PermissionDenied, StreamTimeout))


def backoff(attempt: int, error: BaseException, config: RetryConfig) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based): exponential with full jitter, capped, and never
    less than the upstream's Retry-After."""
    ceiling = min(config.max_backoff, config.initial_backoff * 2 ** (attempt - 1))
    delay = random.uniform(ceiling / 2, ceiling)
    if isinstance(error, RateLimited) and error.retry_after is not None:
        delay = max(delay, error.retry_after)
    return delay


_RELEVANCE: tuple[type[BaseException], ...] = (
    ContentFiltered,
    ContextLengthExceeded,
    BadRequest,
    AuthenticationError,
    PermissionDenied,
    RateLimited,
)


def most_relevant(attempts: Sequence[Attempt]) -> BaseException:
    """The error that best explains the failure: a caller-side problem over a quota problem over an outage;
    among equals, the earliest (a later unrelated failure must not mask the first one)."""

    def rank(error: BaseException) -> int:
        for i, kind in enumerate(_RELEVANCE):
            if isinstance(error, kind):
                return i
        return len(_RELEVANCE)

    return min((a.error for a in attempts), key=rank)


def final_error(attempts: Sequence[Attempt]) -> BaseException:
    """One target tried: its last error. Several: ``AllAttemptsFailed`` caused by the most relevant error."""
    if len({(a.provider, a.model) for a in attempts}) == 1:
        return attempts[-1].error
    cause = most_relevant(attempts)
    tried = ", ".join(f"{a.provider}/{a.model}: {type(a.error).__name__}" for a in attempts)
    error = AllAttemptsFailed(f"all {len(attempts)} attempts failed ({tried})", attempts=list(attempts))
    if isinstance(cause, RouteError):
        error.request_id = cause.request_id
    error.__cause__ = cause
    return error
