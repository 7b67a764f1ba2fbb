"""The storage layer on SQLite (schema, tokens, usage report), the admin commands, and the limit arithmetic:
sliding windows, reservations settled with actual usage, budgets per period."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from routeapi.server.admin import keys_main, usage_main
from routeapi.server.counters import MemoryCounters
from routeapi.server.limits import Limiter, period_bounds
from routeapi.server.problems import Problem
from routeapi.server.store import LATEST, ModelLimit, UsageRecord, open_store
from routeapi.server.store.schema import USAGE, render
from routeapi.server.tokens import PREFIX, Identity, digest, lookup_of, new_token


def test_tokens_are_prefixed_random_and_only_their_digest_is_kept() -> None:
    token = new_token()
    assert token.startswith(PREFIX)
    assert len(token) == 46
    assert new_token() != token
    assert lookup_of(token) == token[:11]
    assert digest(token) == __import__("hashlib").sha256(token.encode()).hexdigest()


def test_one_schema_renders_for_both_databases() -> None:
    sqlite, postgres = render(USAGE, "sqlite"), render(USAGE, "postgresql")
    assert sqlite[0].startswith("CREATE TABLE usage (id INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL")
    assert postgres[0].startswith("CREATE TABLE usage (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY")
    assert "cost_usd DOUBLE PRECISION" in postgres[0]
    assert (
        sqlite[1:]
        == postgres[1:]
        == [
            "CREATE INDEX usage_day_token_idx ON usage (day, token)",
            "CREATE INDEX usage_token_started_at_idx ON usage (token, started_at)",
            "CREATE INDEX usage_request_id_idx ON usage (request_id)",
        ]
    )


def record(
    request_id: str, token: str, model: str, day: str, cost: float | None, error: str | None = None
) -> UsageRecord:
    return UsageRecord(
        request_id, token, "openai_chat", model, "openai", model, False, 1, 200 if error is None else 502, error,
        12.5, None, 10, 4, 1, 0, cost, 1_700_000_000.0, day,
    )  # fmt: skip


def test_migrations_tokens_and_the_usage_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = f"sqlite:///{tmp_path / 'admin.db'}"
    assert keys_main(["--database", database, "create", "--name", "billing", "--models", "a,b", "--rpm", "5",
                      "--model-tpm", "a=100", "--budget-usd", "10", "--budget-period", "day",
                      "--expires", "2099-01-01"]) == 0  # fmt: skip
    token = capsys.readouterr().out.strip()
    assert token.startswith("rk_")
    assert keys_main(["--database", database, "create", "--name", "billing"]) == 2
    assert "exists already" in capsys.readouterr().err

    async def check() -> None:
        store = open_store(database)
        assert await store.migrate() == LATEST
        assert await store.migrate() == LATEST
        (found,) = await store.tokens_by_lookup(lookup_of(token))
        assert (found.name, found.models, found.rpm, found.budget_usd, found.budget_period) == (
            "billing", ("a", "b"), 5, 10.0, "day",
        )  # fmt: skip
        assert found.model_limits == {"a": ModelLimit(None, 100)}
        assert found.secret_sha256 == digest(token)
        assert found.usable()
        await store.add_usage([
            record("r1", "billing", "a", "2026-01-01", 0.5),
            record("r2", "billing", "a", "2026-01-01", 0.25, "upstream"),
            record("r3", "billing", "b", "2026-01-02", None),
            record("r4", "other", "a", "2026-01-02", 1.0),
        ])  # fmt: skip
        assert await store.spent("billing", 0) == 0.75
        await store.close()

    asyncio.run(check())
    assert keys_main(["--database", database, "rotate", "billing"]) == 0
    rotated = capsys.readouterr().out.strip()
    assert rotated != token
    assert keys_main(["--database", database, "list", "--format", "json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["name"], listed["prefix"], listed["status"], listed["budget"]) == (
        "billing", lookup_of(rotated) + "...", "active", "10 USD/day",
    )  # fmt: skip
    assert keys_main(["--database", database, "revoke", "billing"]) == 0
    assert keys_main(["--database", database, "revoke", "billing"]) == 1
    capsys.readouterr()

    assert usage_main(["--database", database, "--by", "token,model", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "token,model,requests,errors,input_tokens,output_tokens,cached_tokens,reasoning_tokens,cost_usd",
        "billing,a,2,1,20,8,2,0,0.75",
        "billing,b,1,0,10,4,1,0,0.0",
        "other,a,1,0,10,4,1,0,1.0",
    ]
    assert usage_main(["--database", database, "--by", "day", "--since", "2026-01-02", "--format", "json"]) == 0
    (day,) = json.loads(capsys.readouterr().out)
    assert (day["day"], day["requests"], day["cost_usd"]) == ("2026-01-02", 2, 1.0)
    assert usage_main(["--database", database, "--by", "token,day"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["token", "day", "requests", "errors", "input_tokens", "output_tokens",
                                "cached_tokens", "reasoning_tokens", "cost_usd"]  # fmt: skip
    assert table[1].split() == ["billing", "2026-01-01", "2", "1", "20", "8", "2", "0", "0.75"]


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_the_window_slides_second_by_second() -> None:
    clock = Clock()
    counters = MemoryCounters(clock)
    assert await counters.take("k", 3, 5) == (True, 1_000_000.0)
    clock.now += 10
    assert await counters.take("k", 2, 5) == (True, 1_000_010.0)
    assert await counters.take("k", 1, 5) == (False, 50.0)  # the first 3 leave the window 50 s from now
    clock.now += 50
    assert await counters.take("k", 3, 5) == (True, 1_000_060.0)
    assert await counters.take("k", 9, 5) == (False, 60.0)  # more than the limit never fits


async def test_tokens_are_reserved_then_settled_with_actual_usage() -> None:
    clock = Clock()
    limiter = Limiter(MemoryCounters(clock))
    identity = Identity("svc", tpm=1000)
    admission = await limiter.admit(identity, "m", 600)
    with pytest.raises(Problem) as refused:
        await limiter.admit(identity, "m", 600)
    assert (refused.value.status, refused.value.retry_after) == (429, 60)
    assert refused.value.message == "rate limit reached: 1000 tokens per minute for this token"
    await limiter.settle(admission, used_tokens=150, cost=None)
    await limiter.admit(identity, "m", 600)  # 150 + 600 fit now


async def test_a_refusal_gives_back_what_the_request_took() -> None:
    limiter = Limiter(MemoryCounters(Clock()))
    identity = Identity("svc", rpm=10, model_limits={"m": ModelLimit(rpm=1)})
    await limiter.admit(identity, "m", 1)
    with pytest.raises(Problem, match="1 requests to m per minute"):
        await limiter.admit(identity, "m", 1)
    for _ in range(9):  # the refused request's token-wide count was given back
        await limiter.admit(identity, "other", 1)


async def test_a_budget_refuses_once_spent_and_starts_from_recorded_usage() -> None:
    now = 1_767_225_600.0 + 3600  # 2026-01-01 01:00 UTC
    seen: list[tuple[str, float]] = []

    async def spent(token: str, since: float) -> float:
        seen.append((token, since))
        return 9.5

    limiter = Limiter(MemoryCounters(lambda: now), spent)
    identity = Identity("svc", budget_usd=10.0, budget_period="day")
    admission = await limiter.admit(identity, "m", 1, now=now)
    assert seen == [("svc", 1_767_225_600.0)]
    await limiter.settle(admission, 10, cost=0.5)
    with pytest.raises(Problem) as refused:
        await limiter.admit(identity, "m", 1, now=now)
    assert refused.value.retry_after == 86400 - 3600
    assert refused.value.message == "budget reached: 10.00 of 10.00 USD this day for this token"


def test_budget_periods() -> None:
    moment = 1_767_225_600.0 + 40 * 86400  # 2026-02-10
    assert period_bounds("day", moment) == (moment, moment + 86400)
    assert period_bounds("month", moment) == (1_769_904_000.0, 1_772_323_200.0)
    assert period_bounds("total", moment) == (0.0, None)
