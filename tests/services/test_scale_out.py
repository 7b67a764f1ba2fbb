"""Two gateway processes sharing PostgreSQL (tokens, usage) and Redis (limit counters): one RPM limit across both,
and a token revoked through one is refused by the other within 5 s."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import httpx2
import pytest

from routeapi.testing import FakeUpstream, Reply
from tests.server.stored import PRICED, chat, fake_config, headers, make_token, revoke, start_gateway, usage_records

from .conftest import fresh_database

pytestmark = pytest.mark.services
RPM = 12


@pytest.fixture(scope="module")
def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, postgres_url: str, redis_url: str
) -> Iterator[tuple[str, list[str]]]:
    """(database URL, the two gateways' URLs), in front of the session's fake upstreams."""
    upstreams: dict[str, FakeUpstream] = {
        kind: request.getfixturevalue(f"_routeapi_fake_{kind}_server") for kind in ("openai", "anthropic", "gemini")
    }
    tmp_path = tmp_path_factory.mktemp("pair")
    database = fresh_database(postgres_url, "scale_out")
    make_token(database, "bootstrap")  # migrates the schema before both processes start
    environment = {"ROUTEAPI_DATABASE": database, "ROUTEAPI_REDIS": redis_url}
    processes: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for _ in range(2):
            process, url = start_gateway(fake_config(upstreams), tmp_path, environment)
            processes.append(process)
            urls.append(url)
        yield database, urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(15)


def call(url: str, token: str) -> int:
    path, body = chat("openai", "priced")
    return httpx2.post(url + path, json=body, headers=headers("openai", token), timeout=10).status_code


def test_one_rpm_limit_holds_across_both_gateways(pair: tuple[str, list[str]], fakes: dict[str, FakeUpstream]) -> None:
    database, urls = pair
    fakes["openai"].script(PRICED, Reply("ok"))
    token = make_token(database, "shared-limit", rpm=RPM)

    statuses = [call(urls[i % 2], token) for i in range(3 * RPM)]

    assert statuses.count(200) == RPM
    assert statuses.count(429) == 2 * RPM
    assert len(fakes["openai"].requests) == RPM
    deadline = time.monotonic() + 5  # the usage records of both, in the shared database
    while len([r for r in usage_records(database) if r.token == "shared-limit"]) < 3 * RPM:
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_a_token_revoked_through_one_is_refused_by_the_other_within_5_s(
    pair: tuple[str, list[str]], fakes: dict[str, FakeUpstream]
) -> None:
    database, urls = pair
    fakes["openai"].script(PRICED, Reply("ok"))
    token = make_token(database, "to-revoke")
    assert [call(url, token) for url in urls] == [200, 200]

    assert revoke(database, "to-revoke") is True
    revoked_at = time.monotonic()
    refused = [False, False]
    while not all(refused):
        assert time.monotonic() - revoked_at < 5, f"still accepted after 5 s: {refused}"
        refused = [r or call(url, token) == 401 for r, url in zip(refused, urls, strict=True)]
        time.sleep(0.05)
