"""The gateway's database: managed tokens and usage records in SQLite (stdlib) or PostgreSQL (psycopg 3).

One connection per process, used by one worker thread at a time: calls are short (token lookups are cached, usage
rows are written in batches), so a pool would add nothing but connections. Every public method is async and runs
its blocking work with :func:`asyncio.to_thread`."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from ...errors import ConfigurationError
from .records import TokenRecord, UsageRecord
from .schema import MIGRATIONS, TOKENS, USAGE, VERSION_TABLE, Dialect, column_names, render

_T = TypeVar("_T")
_MIGRATION_LOCK = 7_246_311  # PostgreSQL advisory lock key: one replica migrates at a time
_GROUPS = {"token": "token", "model": "requested_model", "day": "day", "provider": "provider"}


class TokenExists(ValueError):
    pass


class Store:
    """Open with :func:`open_store`; call :meth:`migrate` before anything else (the gateway does at start)."""

    def __init__(self, dialect: Dialect, connect: Callable[[], Any], where: str) -> None:
        self.dialect: Dialect = dialect
        self.where = where
        """The database, without credentials: safe to log."""
        self._connect = connect
        self._connection: Any = None
        self._lock = threading.Lock()

    # -- plumbing ------------------------------------------------------------------------------------------
    async def _run(self, work: Callable[[Any], _T]) -> _T:
        return await asyncio.to_thread(self._locked, work)

    def _locked(self, work: Callable[[Any], _T]) -> _T:
        with self._lock:
            if self._connection is None or getattr(self._connection, "closed", False):
                self._connection = self._connect()
            try:
                return work(self._connection)
            except Exception:
                if self.dialect == "postgresql" and getattr(self._connection, "closed", False):
                    self._connection = None  # a dropped server connection: reconnect on the next call
                raise

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.dialect == "postgresql" else statement

    @contextlib.contextmanager
    def _transaction(self, connection: Any) -> Generator[None, None, None]:
        if self.dialect == "postgresql":
            with connection.transaction():
                yield
            return
        connection.execute("BEGIN IMMEDIATE")  # takes the write lock now: concurrent migrators wait, not fail
        try:
            yield
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def _rows(self, connection: Any, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = connection.execute(self._sql(statement), tuple(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    async def close(self) -> None:
        def close(connection: Any) -> None:
            connection.close()
            self._connection = None

        if self._connection is not None:
            await self._run(close)

    # -- schema --------------------------------------------------------------------------------------------
    async def migrate(self) -> int:
        """Apply the migrations not applied yet; returns the schema version. Safe to run from several processes."""
        return await self._run(self._migrate)

    def _migrate(self, connection: Any) -> int:
        with self._transaction(connection):
            if self.dialect == "postgresql":
                connection.execute(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
            connection.execute(VERSION_TABLE)
            applied = self._rows(connection, "SELECT MAX(version) AS v FROM schema_version")[0]["v"] or 0
            for migration in MIGRATIONS:
                if migration.version <= applied:
                    continue
                for step in migration.steps:
                    for statement in render(step, self.dialect):
                        connection.execute(statement)
                connection.execute(
                    self._sql("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)"),
                    (migration.version, time.time()),
                )
                applied = migration.version
            return applied

    # -- tokens --------------------------------------------------------------------------------------------
    async def add_token(self, token: TokenRecord) -> None:
        """Raises TokenExists when the name is taken (revoked tokens keep their name)."""
        row = token.to_row()
        names = column_names(TOKENS)
        statement = f"INSERT INTO tokens ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"

        def add(connection: Any) -> None:
            with self._transaction(connection):
                if self._rows(connection, "SELECT name FROM tokens WHERE name = ?", (token.name,)):
                    raise TokenExists(f"a token named {token.name!r} exists already")
                connection.execute(self._sql(statement), tuple(row[n] for n in names))

        await self._run(add)

    async def tokens_by_lookup(self, lookup: str) -> list[TokenRecord]:
        rows = await self._run(lambda c: self._rows(c, "SELECT * FROM tokens WHERE lookup = ?", (lookup,)))
        return [TokenRecord.from_row(r) for r in rows]

    async def token(self, name: str) -> TokenRecord | None:
        rows = await self._run(lambda c: self._rows(c, "SELECT * FROM tokens WHERE name = ?", (name,)))
        return TokenRecord.from_row(rows[0]) if rows else None

    async def tokens(self) -> list[TokenRecord]:
        rows = await self._run(lambda c: self._rows(c, "SELECT * FROM tokens ORDER BY name"))
        return [TokenRecord.from_row(r) for r in rows]

    async def revoke(self, name: str, at: float | None = None) -> bool:
        """False when no usable token has that name."""
        statement = "UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL"
        return await self._update(statement, (at or time.time(), name))

    async def replace_secret(self, name: str, lookup: str, secret_sha256: str, at: float | None = None) -> bool:
        """Rotation: the old secret stops working at once. False when no usable token has that name."""
        statement = (
            "UPDATE tokens SET lookup = ?, secret_sha256 = ?, rotated_at = ? WHERE name = ? AND revoked_at IS NULL"
        )
        return await self._update(statement, (lookup, secret_sha256, at or time.time(), name))

    async def _update(self, statement: str, params: tuple[Any, ...]) -> bool:
        def update(connection: Any) -> bool:
            with self._transaction(connection):
                return connection.execute(self._sql(statement), params).rowcount == 1

        return await self._run(update)

    # -- usage ---------------------------------------------------------------------------------------------
    async def add_usage(self, records: Sequence[UsageRecord]) -> None:
        """One transaction per batch: a batch is stored whole or not at all."""
        if not records:
            return
        names = column_names(USAGE)
        statement = self._sql(f"INSERT INTO usage ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})")
        rows = [tuple(r.to_row()[n] for n in names) for r in records]

        def add(connection: Any) -> None:
            with self._transaction(connection):
                connection.cursor().executemany(statement, rows)

        await self._run(add)

    async def usage(self, *, since: float | None = None) -> list[UsageRecord]:
        """Every record (from ``since``, epoch seconds), oldest first."""
        query = "SELECT * FROM usage WHERE started_at >= ? ORDER BY started_at, id"
        rows = await self._run(lambda c: self._rows(c, query, (since or 0.0,)))
        return [UsageRecord.from_row(r) for r in rows]

    async def spent(self, token: str, since: float) -> float:
        """USD charged to ``token`` from ``since`` (epoch seconds)."""
        query = "SELECT SUM(cost_usd) AS spent FROM usage WHERE token = ? AND started_at >= ?"
        rows = await self._run(lambda c: self._rows(c, query, (token, since)))
        return float(rows[0]["spent"] or 0.0)

    async def usage_summary(
        self, by: Sequence[str], *, since_day: str | None = None, until_day: str | None = None
    ) -> list[dict[str, Any]]:
        """Totals grouped by ``by`` (any of token, model, day, provider), for the ``usage`` report."""
        unknown = [g for g in by if g not in _GROUPS]
        if unknown:
            raise ValueError(f"cannot group usage by {', '.join(unknown)}; choose from {', '.join(_GROUPS)}")
        keys = [f"{_GROUPS[g]} AS {g}" for g in by]
        totals = [
            "COUNT(*) AS requests",
            "SUM(CASE WHEN error_type IS NULL THEN 0 ELSE 1 END) AS errors",
            "COALESCE(SUM(input_tokens), 0) AS input_tokens",
            "COALESCE(SUM(output_tokens), 0) AS output_tokens",
            "COALESCE(SUM(cached_tokens), 0) AS cached_tokens",
            "COALESCE(SUM(reasoning_tokens), 0) AS reasoning_tokens",
            "COALESCE(SUM(cost_usd), 0) AS cost_usd",
        ]
        query = f"SELECT {', '.join([*keys, *totals])} FROM usage WHERE day >= ? AND day <= ?"
        if by:
            columns = ", ".join(_GROUPS[g] for g in by)
            query += f" GROUP BY {columns} ORDER BY {columns}"
        params = (since_day or "0000-00-00", until_day or "9999-99-99")
        return await self._run(lambda c: self._rows(c, query, params))


def open_store(url: str) -> Store:
    """``sqlite:///relative.db``, ``sqlite:////absolute.db``, ``sqlite://:memory:`` or ``postgresql://...``.
    Nothing is opened until the first call."""
    scheme = url.partition(":")[0].lower()
    if scheme == "sqlite":
        path = url.partition(":")[2].removeprefix("//")
        path = path[1:] if path.startswith("/") else path
        if not path:
            raise ConfigurationError(f"server.storage.database: {url!r} names no file")
        return Store("sqlite", lambda: _sqlite(path), f"sqlite:{path}")
    if scheme in ("postgres", "postgresql"):
        parts = urlsplit(url)
        where = f"postgresql://{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"
        return Store("postgresql", lambda: _postgres(url), where)
    raise ConfigurationError(f"server.storage.database: {scheme!r} is not sqlite or postgresql")


def _sqlite(path: str) -> sqlite3.Connection:
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
    if path != ":memory:":
        connection.execute("PRAGMA journal_mode=WAL")  # readers (the usage report) do not block the gateway
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


def _postgres(url: str) -> Any:
    try:
        import psycopg
    except ImportError:
        raise ConfigurationError("a PostgreSQL database needs psycopg: pip install 'routeapi[postgres]'") from None
    return psycopg.connect(url, autocommit=True)
