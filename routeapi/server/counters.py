"""Counters behind the rate limits and budgets: in memory for one process, in Redis for several replicas.

Request and token limits use a sliding 60-second window of one-second buckets, checked and taken in one atomic step
(a Lua script in Redis): the amount admitted in any 60 seconds never exceeds the limit, across every replica that
shares the Redis. Budgets are running USD totals per period."""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from ..errors import ConfigurationError

WINDOW = 60


class Counters(Protocol):
    async def take(self, key: str, amount: int, limit: int) -> tuple[bool, float]:
        """Add ``amount`` now if the window's total stays within ``limit``: ``(True, bucket)``; otherwise
        ``(False, seconds until it would fit)``."""
        ...

    async def adjust(self, key: str, bucket: float, delta: int) -> None:
        """Correct an earlier take (a reservation settled, a take given back); ignored once the bucket expired."""
        ...

    async def total(self, key: str, seed: Callable[[], Awaitable[float]], ttl: float) -> float:
        """A running total, started from ``seed()`` when the key is new (or expired)."""
        ...

    async def add(self, key: str, amount: float, ttl: float) -> None: ...

    async def aclose(self) -> None: ...


class MemoryCounters:
    """One process's counters. Limits then apply per worker process."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._windows: dict[str, dict[int, int]] = {}
        self._totals: dict[str, tuple[float, float]] = {}  # key -> (value, expires at)

    async def take(self, key: str, amount: int, limit: int) -> tuple[bool, float]:
        now = int(self._clock())
        buckets = self._windows.setdefault(key, {})
        for second in [s for s in buckets if s <= now - WINDOW]:
            del buckets[second]
        total = sum(buckets.values())
        if total + amount <= limit:
            buckets[now] = buckets.get(now, 0) + amount
            return True, float(now)
        need, freed = total + amount - limit, 0
        for second in sorted(buckets):
            freed += buckets[second]
            if freed >= need:
                return False, float(second + WINDOW - now)
        return False, float(WINDOW)

    async def adjust(self, key: str, bucket: float, delta: int) -> None:
        buckets = self._windows.get(key)
        if buckets is not None and int(bucket) in buckets:
            buckets[int(bucket)] += delta

    async def total(self, key: str, seed: Callable[[], Awaitable[float]], ttl: float) -> float:
        known = self._totals.get(key)
        if known is None or known[1] <= self._clock():
            known = (await seed(), self._clock() + ttl)
            self._totals[key] = known
        return known[0]

    async def add(self, key: str, amount: float, ttl: float) -> None:
        value, expires = self._totals.get(key, (0.0, self._clock() + ttl))
        self._totals[key] = (value + amount, expires)

    async def aclose(self) -> None:
        return None


_TAKE = """
local now = tonumber(redis.call('TIME')[1])
local amount, limit, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local fields = redis.call('HGETALL', KEYS[1])
local total, buckets = 0, {}
for i = 1, #fields, 2 do
  local second, value = tonumber(fields[i]), tonumber(fields[i + 1])
  if second <= now - window then
    redis.call('HDEL', KEYS[1], fields[i])
  else
    total = total + value
    table.insert(buckets, {second, value})
  end
end
if total + amount <= limit then
  redis.call('HINCRBY', KEYS[1], now, amount)
  redis.call('EXPIRE', KEYS[1], window + 1)
  return {1, now}
end
table.sort(buckets, function(a, b) return a[1] < b[1] end)
local need, freed = total + amount - limit, 0
for _, bucket in ipairs(buckets) do
  freed = freed + bucket[2]
  if freed >= need then return {0, bucket[1] + window - now} end
end
return {0, window}
"""

_ADJUST = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
end
return 0
"""


class RedisCounters:
    """Counters shared by every replica using the same Redis. Keys start with ``routeapi:``; the server's clock
    (``TIME``) dates the buckets, so replicas' clocks need not agree."""

    def __init__(self, url: str) -> None:
        try:
            import redis.asyncio as aioredis
        except ImportError:
            raise ConfigurationError(
                "server.storage.redis needs the redis package: pip install 'routeapi[redis]'"
            ) from None
        self._client: Any = aioredis.Redis.from_url(url)  # pyright: ignore[reportUnknownMemberType]
        self._take: Any = self._client.register_script(_TAKE)
        self._adjust: Any = self._client.register_script(_ADJUST)

    async def take(self, key: str, amount: int, limit: int) -> tuple[bool, float]:
        admitted, value = await self._take(keys=[_key(key)], args=[amount, limit, WINDOW])
        return bool(admitted), float(value)

    async def adjust(self, key: str, bucket: float, delta: int) -> None:
        if delta:
            await self._adjust(keys=[_key(key)], args=[int(bucket), delta])

    async def total(self, key: str, seed: Callable[[], Awaitable[float]], ttl: float) -> float:
        value = await self._client.get(_key(key))
        if value is None:
            # Several replicas may seed at once; NX keeps the first, and every one then reads the same total.
            await self._client.set(_key(key), repr(await seed()), nx=True, ex=max(1, math.ceil(ttl)))
            value = await self._client.get(_key(key))
        return float(value or 0.0)

    async def add(self, key: str, amount: float, ttl: float) -> None:
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.incrbyfloat(_key(key), amount)
            pipe.expire(_key(key), max(1, math.ceil(ttl)), nx=True)
            await pipe.execute()

    async def aclose(self) -> None:
        await self._client.aclose()


def _key(key: str) -> str:
    return f"routeapi:{key}"


def open_counters(redis_url: str | None) -> Counters:
    return RedisCounters(redis_url) if redis_url else MemoryCounters()
