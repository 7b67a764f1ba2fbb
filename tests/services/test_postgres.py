"""The gateway's database on PostgreSQL: migrations from the shared schema, and the mixed load leaving exactly one
correct usage record per request."""

from __future__ import annotations

import asyncio

import pytest

from routeapi.server.settings import StorageSettings
from routeapi.server.store import LATEST, open_store
from routeapi.testing import FakeUpstream
from tests.server.load import check_records, run_load, script
from tests.server.stored import make_token, stored_gateway, usage_records

from .conftest import fresh_database

pytestmark = pytest.mark.services


def test_migrations_apply_once_even_when_replicas_race(postgres_url: str) -> None:
    url = fresh_database(postgres_url, "migrations")

    async def migrate_concurrently() -> list[int]:
        stores = [open_store(url) for _ in range(3)]
        try:
            return list(await asyncio.gather(*(s.migrate() for s in stores)))
        finally:
            for store in stores:
                await store.close()

    assert asyncio.run(migrate_concurrently()) == [LATEST] * 3
    import psycopg

    with psycopg.connect(url) as connection:
        versions = connection.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
        tables = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name"
        ).fetchall()
    assert versions == [(v,) for v in range(1, LATEST + 1)]
    assert tables == [("schema_version",), ("tokens",), ("usage",)]


def test_every_request_leaves_exactly_one_correct_record_on_postgres(
    request: pytest.FixtureRequest, postgres_url: str, fakes: dict[str, FakeUpstream]
) -> None:
    database = fresh_database(postgres_url, "usage_load")
    token = make_token(database, "billing-svc")
    script(fakes["openai"])
    with stored_gateway(request, StorageSettings(database=database, usage_flush_interval=0.2)) as gateway:
        sent = asyncio.run(run_load(gateway.url, token, 1000))
    check_records(usage_records(database), sent, "billing-svc")
