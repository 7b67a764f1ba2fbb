"""The one schema definition of the gateway's database, and the migrations built from it.

Each migration is a list of steps written once and rendered per dialect (SQLite, PostgreSQL), so the two databases
can never drift apart. Migrations only ever append: a released step is never edited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Union

Dialect = Literal["sqlite", "postgresql"]
ColumnType = Literal["text", "integer", "real"]


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: ColumnType
    required: bool = False


@dataclass(frozen=True, slots=True)
class CreateTable:
    name: str
    columns: tuple[Column, ...]
    primary_key: str | None = None
    """A column of ``columns``; None adds an auto-incremented integer ``id``."""
    indexes: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class AddColumn:
    table: str
    column: Column


Step = Union[CreateTable, AddColumn]


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    steps: tuple[Step, ...]


TOKENS = CreateTable(
    "tokens",
    (
        Column("name", "text", required=True),
        Column("lookup", "text", required=True),
        Column("secret_sha256", "text", required=True),
        Column("models", "text"),
        Column("rpm", "integer"),
        Column("tpm", "integer"),
        Column("model_limits", "text"),
        Column("budget_usd", "real"),
        Column("budget_period", "text"),
        Column("expires_at", "real"),
        Column("created_at", "real", required=True),
        Column("rotated_at", "real"),
        Column("revoked_at", "real"),
    ),
    primary_key="name",
    indexes=(("lookup",),),
)

USAGE = CreateTable(
    "usage",
    (
        Column("request_id", "text", required=True),
        Column("token", "text"),
        Column("protocol", "text", required=True),
        Column("requested_model", "text"),
        Column("provider", "text"),
        Column("served_model", "text"),
        Column("streamed", "integer", required=True),
        Column("attempts", "integer", required=True),
        Column("status", "integer", required=True),
        Column("error_type", "text"),
        Column("latency_ms", "real", required=True),
        Column("ttft_ms", "real"),
        Column("input_tokens", "integer"),
        Column("output_tokens", "integer"),
        Column("cached_tokens", "integer"),
        Column("reasoning_tokens", "integer"),
        Column("cost_usd", "real"),
        Column("started_at", "real", required=True),
        Column("day", "text", required=True),
    ),
    indexes=(("day", "token"), ("token", "started_at"), ("request_id",)),
)

MIGRATIONS: tuple[Migration, ...] = (Migration(1, "managed tokens and usage records", (TOKENS, USAGE)),)

LATEST = MIGRATIONS[-1].version

_TYPES: dict[Dialect, dict[ColumnType, str]] = {
    "sqlite": {"text": "TEXT", "integer": "INTEGER", "real": "REAL"},
    "postgresql": {"text": "TEXT", "integer": "BIGINT", "real": "DOUBLE PRECISION"},
}
_SERIAL: dict[Dialect, str] = {
    "sqlite": "id INTEGER PRIMARY KEY AUTOINCREMENT",
    "postgresql": "id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
}

VERSION_TABLE = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at REAL NOT NULL)"


def column_names(table: CreateTable) -> tuple[str, ...]:
    return tuple(c.name for c in table.columns)


def render(step: Step, dialect: Dialect) -> list[str]:
    """The SQL statements of one step in ``dialect``."""
    if isinstance(step, AddColumn):
        return [f"ALTER TABLE {step.table} ADD COLUMN {_column(step.column, dialect)}"]
    parts = [] if step.primary_key else [_SERIAL[dialect]]
    for column in step.columns:
        key = " PRIMARY KEY" if column.name == step.primary_key else ""
        parts.append(_column(column, dialect) + key)
    statements = [f"CREATE TABLE {step.name} ({', '.join(parts)})"]
    for columns in step.indexes:
        name = f"{step.name}_{'_'.join(columns)}_idx"
        statements.append(f"CREATE INDEX {name} ON {step.name} ({', '.join(columns)})")
    return statements


def _column(column: Column, dialect: Dialect) -> str:
    return f"{column.name} {_TYPES[dialect][column.type]}{' NOT NULL' if column.required else ''}"
