"""Rows of the gateway's database as Python values: managed tokens and usage records."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, fields
from typing import Any, Literal, cast

BudgetPeriod = Literal["day", "month", "total"]
BUDGET_PERIODS: tuple[BudgetPeriod, ...] = ("day", "month", "total")


@dataclass(frozen=True, slots=True)
class ModelLimit:
    """Limits of one token on one model, on top of the token's own."""

    rpm: int | None = None
    tpm: int | None = None


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A managed token. Only the SHA-256 of the secret is kept; ``lookup`` (a few characters of the token, shown
    in listings) narrows the search to one row before the constant-time comparison."""

    name: str
    lookup: str
    secret_sha256: str
    created_at: float
    models: tuple[str, ...] | None = None
    """Models (aliases or ``provider/model``) the token may call; None: all."""
    rpm: int | None = None
    tpm: int | None = None
    model_limits: dict[str, ModelLimit] = field(default_factory=lambda: {})
    budget_usd: float | None = None
    budget_period: BudgetPeriod | None = None
    expires_at: float | None = None
    rotated_at: float | None = None
    revoked_at: float | None = None

    def usable(self, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    def to_row(self) -> dict[str, Any]:
        limits = {m: {"rpm": v.rpm, "tpm": v.tpm} for m, v in self.model_limits.items()}
        return {
            "name": self.name,
            "lookup": self.lookup,
            "secret_sha256": self.secret_sha256,
            "models": json.dumps(list(self.models)) if self.models is not None else None,
            "rpm": self.rpm,
            "tpm": self.tpm,
            "model_limits": json.dumps(limits) if limits else None,
            "budget_usd": self.budget_usd,
            "budget_period": self.budget_period,
            "expires_at": self.expires_at,
            "created_at": self.created_at,
            "rotated_at": self.rotated_at,
            "revoked_at": self.revoked_at,
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> TokenRecord:
        models = json.loads(row["models"]) if row["models"] else None
        limits: dict[str, dict[str, int | None]] = json.loads(row["model_limits"]) if row["model_limits"] else {}
        return cls(
            name=row["name"],
            lookup=row["lookup"],
            secret_sha256=row["secret_sha256"],
            created_at=row["created_at"],
            models=tuple(cast("list[str]", models)) if models is not None else None,
            rpm=row["rpm"],
            tpm=row["tpm"],
            model_limits={m: ModelLimit(v.get("rpm"), v.get("tpm")) for m, v in limits.items()},
            budget_usd=row["budget_usd"],
            budget_period=row["budget_period"],
            expires_at=row["expires_at"],
            rotated_at=row["rotated_at"],
            revoked_at=row["revoked_at"],
        )


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """One request through the gateway, however it ended. ``error_type`` is None for a complete answer."""

    request_id: str
    token: str | None
    protocol: str
    """The caller's protocol (codec name: ``openai_chat``, ``anthropic_messages``, ``gemini``...)."""
    requested_model: str | None
    provider: str | None
    served_model: str | None
    streamed: bool
    attempts: int
    status: int
    """The HTTP status sent; 499 when the client left before the response ended."""
    error_type: str | None
    latency_ms: float
    ttft_ms: float | None
    input_tokens: int | None
    output_tokens: int | None
    cached_tokens: int | None
    reasoning_tokens: int | None
    cost_usd: float | None
    started_at: float
    day: str
    """UTC date of ``started_at`` (YYYY-MM-DD): the report's grouping, portable across databases."""

    def to_row(self) -> dict[str, Any]:
        row = {f.name: getattr(self, f.name) for f in fields(self)}
        row["streamed"] = int(self.streamed)
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> UsageRecord:
        values = {f.name: row[f.name] for f in fields(cls)}
        values["streamed"] = bool(values["streamed"])
        return cls(**values)
