"""Per-token limits: requests and tokens per minute (per token, and per token and model) and a USD budget per
period. A refusal is a 429 :class:`Problem` with Retry-After, which the app words in the caller's protocol.

Tokens per minute are reserved up front (an estimate of the prompt plus the request's max output tokens) and
settled with the usage the provider reports once the call ends. A budget admits requests while the period's spend
is below it; requests already in flight when it is reached still complete, so spend can pass the budget by them."""

from __future__ import annotations

import calendar
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from .counters import Counters
from .problems import Problem
from .store.records import BudgetPeriod, ModelLimit
from .tokens import Identity

_TOTAL_TTL = 10 * 365 * 86400


@dataclass(slots=True)
class Admission:
    """What a request took, to settle when it ends."""

    reserved_tokens: int
    reservations: list[tuple[str, float]] = field(default_factory=lambda: [])
    """(counter key, bucket) of each tokens-per-minute reservation."""
    budget_key: str | None = None
    budget_ttl: float = 0.0


class Limiter:
    def __init__(self, counters: Counters, spent: Callable[[str, float], Awaitable[float]] | None = None) -> None:
        """``spent(token, since)`` reads a token's spend from the usage records, to start a period's total."""
        self._counters = counters
        self._spent = spent

    async def admit(self, identity: Identity, model: str, reserve_tokens: int, now: float | None = None) -> Admission:
        """Raises a 429 Problem when a limit is reached; nothing stays taken then."""
        now = time.time() if now is None else now
        admission = Admission(reserve_tokens)
        if identity.budget_usd is not None:
            await self._check_budget(identity, identity.budget_usd, admission, now)
        per_model = identity.model_limits.get(model) or ModelLimit()
        name, tokens = identity.name, reserve_tokens
        windows = [
            (f"rpm:{name}", identity.rpm, 1, "requests"),
            (f"rpm:{name}:{model}", per_model.rpm, 1, f"requests to {model}"),
            (f"tpm:{name}", identity.tpm, tokens, "tokens"),
            (f"tpm:{name}:{model}", per_model.tpm, tokens, f"tokens of {model}"),
        ]
        taken: list[tuple[str, float, int]] = []
        for key, limit, amount, what in windows:
            if limit is None:
                continue
            admitted, value = await self._counters.take(key, amount, limit)
            if not admitted:
                for earlier, bucket, given in taken:
                    await self._counters.adjust(earlier, bucket, -given)
                raise _refusal(f"rate limit reached: {limit} {what} per minute for this token", value)
            taken.append((key, value, amount))
            if key.startswith("tpm:"):
                admission.reservations.append((key, value))
        return admission

    async def settle(self, admission: Admission, used_tokens: int | None, cost: float | None) -> None:
        """``used_tokens`` None keeps the reservation (the provider reported no usage)."""
        if used_tokens is not None:
            for key, bucket in admission.reservations:
                await self._counters.adjust(key, bucket, used_tokens - admission.reserved_tokens)
        if admission.budget_key is not None and cost:
            await self._counters.add(admission.budget_key, cost, admission.budget_ttl)

    async def _check_budget(self, identity: Identity, budget: float, admission: Admission, now: float) -> None:
        period = identity.budget_period or "month"
        start, end = period_bounds(period, now)
        key = f"budget:{identity.name}:{period}:{int(start)}"
        ttl = (end - now + 60) if end is not None else _TOTAL_TTL
        spent_so_far = self._spent

        async def seed() -> float:
            return await spent_so_far(identity.name, start) if spent_so_far is not None else 0.0

        spent = await self._counters.total(key, seed, ttl)
        if spent >= budget:
            retry = end - now if end is not None else None
            raise _refusal(f"budget reached: {spent:.2f} of {budget:.2f} USD this {period} for this token", retry)
        admission.budget_key, admission.budget_ttl = key, ttl


def period_bounds(period: BudgetPeriod, now: float) -> tuple[float, float | None]:
    """Start and end (epoch seconds, UTC) of the budget period containing ``now``; ``total`` has no end."""
    if period == "total":
        return 0.0, None
    moment = datetime.fromtimestamp(now, timezone.utc)
    if period == "day":
        start = calendar.timegm((moment.year, moment.month, moment.day, 0, 0, 0))
        return float(start), float(start + 86400)
    start = calendar.timegm((moment.year, moment.month, 1, 0, 0, 0))
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return float(start), float(calendar.timegm((year, month, 1, 0, 0, 0)))


def _refusal(message: str, retry_after: float | None) -> Problem:
    seconds = max(1, math.ceil(retry_after)) if retry_after is not None else None
    return Problem("rate_limited", message, retry_after=seconds)
