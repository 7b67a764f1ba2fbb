"""Usage records on SQLite: a mixed load leaves exactly one record per request, with the right fields, written in
batches off the request path and flushed at shutdown."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from routeapi.server.settings import StorageSettings
from routeapi.testing import FakeUpstream

from .load import check_records, run_load, script
from .stored import make_token, stored_gateway, usage_records

LOAD = 1000


def test_every_request_leaves_exactly_one_correct_record(
    request: pytest.FixtureRequest, tmp_path: Path, fakes: dict[str, FakeUpstream]
) -> None:
    database = f"sqlite:///{tmp_path / 'usage.db'}"
    token = make_token(database, "billing-svc")
    script(fakes["openai"])
    storage = StorageSettings(database=database, usage_flush_interval=0.2)
    with stored_gateway(request, storage) as gateway:
        sent = asyncio.run(run_load(gateway.url, token, LOAD))
    check_records(usage_records(database), sent, "billing-svc")
