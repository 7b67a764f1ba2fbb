"""Who is calling: configured tokens (``server.tokens``) and managed ones (``routeapi keys``, in the database).

A managed token is ``rk_`` + 32 random bytes (URL-safe base64). The database keeps its SHA-256 and a short lookup
prefix, never the token: a copy of the database lets nobody in. A token of 256 random bits needs no slow hash; the
digest comparison is constant-time all the same. Lookups are cached for ``token_cache_ttl`` seconds, so a revocation
through any replica takes effect everywhere within that time."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from .config import ServerToken
from .store import ModelLimit, Store, TokenRecord
from .store.records import BudgetPeriod

logger = logging.getLogger("routeapi.server")

PREFIX = "rk_"
_LOOKUP_CHARS = 8
_CACHE_LIMIT = 10_000


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def lookup_of(token: str) -> str:
    """The non-secret part kept in clear: the prefix and the first characters (shown by ``keys list``)."""
    return token[: len(PREFIX) + _LOOKUP_CHARS]


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", errors="replace")).hexdigest()


@dataclass(frozen=True, slots=True)
class Identity:
    """An authenticated caller and what it may do. Configured tokens have no model list and no limits."""

    name: str
    models: frozenset[str] | None = None
    rpm: int | None = None
    tpm: int | None = None
    model_limits: dict[str, ModelLimit] = field(default_factory=lambda: {})
    budget_usd: float | None = None
    budget_period: BudgetPeriod | None = None
    managed: bool = False

    def may_call(self, model: str) -> bool:
        return self.models is None or model in self.models

    @classmethod
    def of(cls, token: TokenRecord) -> Identity:
        models = frozenset(token.models) if token.models is not None else None
        return cls(
            token.name,
            models,
            token.rpm,
            token.tpm,
            dict(token.model_limits),
            token.budget_usd,
            token.budget_period,
            managed=True,
        )


class Authenticator:
    """Configured tokens first (in memory), then managed tokens (database, cached)."""

    def __init__(self, configured: Sequence[ServerToken], store: Store | None = None, cache_ttl: float = 2.0) -> None:
        self._configured = [(t.name, t.token.get_secret_value().encode()) for t in configured]
        self._store = store
        self._ttl = cache_ttl
        self._cache: dict[str, tuple[float, TokenRecord | None]] = {}

    @property
    def empty(self) -> bool:
        """No configured token and no database to hold managed ones: nobody could ever get in."""
        return not self._configured and self._store is None

    async def identify(self, presented: str | None) -> Identity | None:
        if not presented:
            return None
        given = presented.encode("utf-8", errors="replace")
        for name, secret in self._configured:
            if hmac.compare_digest(given, secret):
                return Identity(name)
        if self._store is None or not presented.startswith(PREFIX):
            return None
        record = await self._managed(presented)
        return Identity.of(record) if record is not None and record.usable() else None

    async def _managed(self, presented: str) -> TokenRecord | None:
        hashed = digest(presented)
        now = time.monotonic()
        cached = self._cache.get(hashed)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        assert self._store is not None
        found = None
        for record in await self._store.tokens_by_lookup(lookup_of(presented)):
            if hmac.compare_digest(hashed, record.secret_sha256):
                found = record
        if len(self._cache) >= _CACHE_LIMIT:  # wrong guesses must not grow the cache without bound
            self._cache.clear()
        self._cache[hashed] = (now, found)
        return found
