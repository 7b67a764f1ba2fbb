"""Circuit-breaker state in Redis, shared by every gateway replica: a deployment that fails for one replica is skipped
by all of them, and exactly one probe among all replicas tests it after the cooldown.

The breaker calls its backend synchronously (its lock is never held across an await), so this uses Redis's blocking
client: a few loopback round trips per attempt. Times are wall-clock seconds (``time.time``), shared by the replicas.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigurationError
from ..routing.health import CLOSED, CircuitState

_PREFIX = "routeapi:circuit:"
_KEEP = 24 * 3600  # a forgotten deployment's state expires

# Atomically: take the probe slot if the circuit is open, cooled down, and no probe holds it.
_TAKE_PROBE = """
local open_until = tonumber(redis.call('HGET', KEYS[1], 'open_until'))
if not open_until or open_until > tonumber(ARGV[1]) then return 0 end
local probe_until = tonumber(redis.call('HGET', KEYS[1], 'probe_until'))
if probe_until and probe_until > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'probe_until', ARGV[2])
return 1
"""


class RedisHealthBackend:
    def __init__(self, url: str) -> None:
        try:
            import redis
        except ImportError:
            raise ConfigurationError(
                "server.storage.redis needs the redis package: pip install 'routeapi[redis]'"
            ) from None
        self._client: Any = redis.Redis.from_url(url)  # pyright: ignore[reportUnknownMemberType]
        self._take_probe: Any = self._client.register_script(_TAKE_PROBE)

    def get(self, key: str) -> CircuitState:
        fields: dict[bytes, bytes] = self._client.hgetall(_PREFIX + key)
        if not fields:
            return CLOSED

        def number(name: bytes) -> float | None:
            value = fields.get(name)
            return float(value) if value not in (None, b"") else None

        return CircuitState(int(number(b"failures") or 0), number(b"open_until"), number(b"probe_until"))

    def put(self, key: str, state: CircuitState) -> None:
        name = _PREFIX + key
        if state == CLOSED:
            self._client.delete(name)
            return
        mapping = {
            "failures": state.failures,
            "open_until": "" if state.open_until is None else state.open_until,
            "probe_until": "" if state.probe_until is None else state.probe_until,
        }
        pipeline = self._client.pipeline()
        pipeline.hset(name, mapping=mapping)
        pipeline.expire(name, _KEEP)
        pipeline.execute()

    def try_take_probe(self, key: str, *, now: float, hold_until: float) -> bool:
        return bool(self._take_probe(keys=[_PREFIX + key], args=[now, hold_until]))

    def close(self) -> None:
        self._client.close()
