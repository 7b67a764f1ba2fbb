"""``routeapi keys`` and ``routeapi usage``: managing tokens and reading usage, straight from the database.

The database is ``--database``, else ``$ROUTEAPI_DATABASE``, else ``sqlite:///./routeapi.db`` (the gateway's
default). A created or rotated token is printed once, on stdout, and never stored: only its SHA-256 is."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from ..errors import ConfigurationError
from .settings import DEFAULT_DATABASE
from .store import BUDGET_PERIODS, ModelLimit, Store, TokenExists, TokenRecord, open_store
from .tokens import digest, lookup_of, new_token

DATABASE_ENV = "ROUTEAPI_DATABASE"


def keys_main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="routeapi keys", description="Manage the gateway's tokens.")
    _database_option(parser)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a token and print it (once)")
    create.add_argument("--name", required=True, help="the caller's name (logs, usage, limits)")
    create.add_argument("--models", help="comma-separated models the token may call (default: all)")
    create.add_argument("--rpm", type=_positive_int, help="requests per minute")
    create.add_argument("--tpm", type=_positive_int, help="tokens per minute (input + output)")
    create.add_argument("--model-rpm", action="append", default=[], metavar="MODEL=N", help="per-model rpm")
    create.add_argument("--model-tpm", action="append", default=[], metavar="MODEL=N", help="per-model tpm")
    create.add_argument("--budget-usd", type=float, help="USD the token may spend per --budget-period")
    create.add_argument("--budget-period", choices=BUDGET_PERIODS, default="month")
    create.add_argument("--expires", help="expiry, YYYY-MM-DD or ISO 8601 (UTC when no offset is given)")
    listing = commands.add_parser("list", help="list tokens (never their secrets)")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    revoke = commands.add_parser("revoke", help="revoke a token: refused by every replica within seconds")
    revoke.add_argument("name")
    rotate = commands.add_parser("rotate", help="replace a token's secret (limits stay); prints the new token")
    rotate.add_argument("name")
    args = parser.parse_args(argv)
    return _run(args, _keys)


def usage_main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="routeapi usage", description="Report the gateway's usage records.")
    _database_option(parser)
    parser.add_argument("--by", default="token,model,day", help="grouping: any of token, model, day, provider")
    parser.add_argument("--since", help="first day, YYYY-MM-DD (UTC)")
    parser.add_argument("--until", help="last day, YYYY-MM-DD (UTC)")
    parser.add_argument("--format", choices=("table", "json", "csv"), default="table")
    args = parser.parse_args(argv)
    return _run(args, _usage)


def _database_option(parser: argparse.ArgumentParser) -> None:
    default = os.environ.get(DATABASE_ENV) or DEFAULT_DATABASE
    parser.add_argument("--database", default=default, help=f"database URL (default: ${DATABASE_ENV} or {default})")


def _run(args: argparse.Namespace, command: Any) -> int:
    async def main() -> int:
        store = open_store(args.database)
        try:
            await store.migrate()
            return await command(store, args)
        finally:
            await store.close()

    try:
        return asyncio.run(main())
    except (ConfigurationError, TokenExists, ValueError) as error:
        print(f"{sys.argv[0].rsplit('/', 1)[-1]}: {error}", file=sys.stderr)
        return 2


async def _keys(store: Store, args: argparse.Namespace) -> int:
    if args.command == "create":
        token = new_token()
        record = TokenRecord(
            name=args.name,
            lookup=lookup_of(token),
            secret_sha256=digest(token),
            created_at=time.time(),
            models=tuple(m.strip() for m in args.models.split(",") if m.strip()) if args.models else None,
            rpm=args.rpm,
            tpm=args.tpm,
            model_limits=_model_limits(args.model_rpm, args.model_tpm),
            budget_usd=args.budget_usd,
            budget_period=args.budget_period if args.budget_usd is not None else None,
            expires_at=_timestamp(args.expires) if args.expires else None,
        )
        await store.add_token(record)
        _announce(token, f"token {args.name!r} created")
        return 0
    if args.command == "rotate":
        token = new_token()
        if not await store.replace_secret(args.name, lookup_of(token), digest(token)):
            print(f"routeapi keys: no active token named {args.name!r}", file=sys.stderr)
            return 1
        _announce(token, f"token {args.name!r} rotated: the old secret no longer works")
        return 0
    if args.command == "revoke":
        if not await store.revoke(args.name):
            print(f"routeapi keys: no active token named {args.name!r}", file=sys.stderr)
            return 1
        print(f"token {args.name!r} revoked", file=sys.stderr)
        return 0
    rows = [_token_row(t) for t in await store.tokens()]
    print(json.dumps(rows, indent=2) if args.format == "json" else _table(rows))
    return 0


async def _usage(store: Store, args: argparse.Namespace) -> int:
    by = [g.strip() for g in args.by.split(",") if g.strip()]
    rows = await store.usage_summary(by, since_day=args.since, until_day=args.until)
    for row in rows:
        row["cost_usd"] = round(float(row["cost_usd"]), 6)
    if args.format == "json":
        print(json.dumps(rows, indent=2))
    elif args.format == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=[*by, *_USAGE_TOTALS], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        print(out.getvalue(), end="")
    else:
        print(_table(rows) if rows else "no usage recorded")
    return 0


_USAGE_TOTALS = (
    "requests",
    "errors",
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "reasoning_tokens",
    "cost_usd",
)


def _announce(token: str, what: str) -> None:
    print(f"{what}. It is shown this once and cannot be recovered:", file=sys.stderr)
    print(token)


def _token_row(token: TokenRecord) -> dict[str, Any]:
    now = time.time()
    status = "revoked" if token.revoked_at is not None else "active" if token.usable(now) else "expired"
    budget = f"{token.budget_usd:g} USD/{token.budget_period}" if token.budget_usd is not None else None
    return {
        "name": token.name,
        "prefix": token.lookup + "...",
        "status": status,
        "models": ",".join(token.models) if token.models is not None else "*",
        "rpm": token.rpm,
        "tpm": token.tpm,
        "model_limits": ",".join(f"{m}:rpm={v.rpm},tpm={v.tpm}" for m, v in token.model_limits.items()) or None,
        "budget": budget,
        "expires": _date(token.expires_at),
        "created": _date(token.created_at),
    }


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no tokens"
    columns = list(rows[0])
    cells = [[("" if r[c] is None else str(r[c])) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def _model_limits(rpm: list[str], tpm: list[str]) -> dict[str, ModelLimit]:
    limits: dict[str, ModelLimit] = {}
    for kind, given in (("rpm", rpm), ("tpm", tpm)):
        for item in given:
            model, _, value = item.rpartition("=")
            if not model or not value.isdigit() or int(value) <= 0:
                raise ValueError(f"--model-{kind} {item!r}: expected MODEL=N with N > 0")
            current = limits.get(model, ModelLimit())
            if kind == "rpm":
                limits[model] = ModelLimit(int(value), current.tpm)
            else:
                limits[model] = ModelLimit(current.rpm, int(value))
    return limits


def _timestamp(text: str) -> float:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _date(value: float | None) -> str | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value, timezone.utc).strftime("%Y-%m-%d %H:%M")


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value
