"""Managed tokens at the gateway: every protocol's auth place, allowed models that reveal nothing, expiry,
revocation within the cache TTL, per-token limits as 429 in each protocol's shape, and no secret in the logs."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from routeapi.server.settings import StorageSettings
from routeapi.testing import FakeUpstream, Reply

from .conftest import Served
from .stored import chat, headers, make_token, revoke, stored_gateway

DIALECTS = ("openai", "anthropic", "gemini")
TTL = 0.3


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'tokens.db'}"


@pytest.fixture(scope="module")
def gateway(request: pytest.FixtureRequest, database: str) -> Iterator[Served]:
    with stored_gateway(request, StorageSettings(database=database, token_cache_ttl=TTL)) as served:
        yield served


@pytest.fixture(scope="module")
def tokens(database: str, gateway: Served) -> dict[str, str]:
    return {
        "open": make_token(database, "open-svc"),
        "narrow": make_token(database, "narrow-svc", models=("alias-x",)),
        "expired": make_token(database, "old-svc", expires_at=time.time() - 1),
        "rpm": make_token(database, "rpm-svc", rpm=2),
    }


def post(gateway: Served, dialect: str, token: str, model: str) -> httpx2.Response:
    path, body = chat(dialect, model)
    return httpx2.post(gateway.url + path, json=body, headers=headers(dialect, token), timeout=10)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_managed_token_is_accepted_in_each_protocol(
    gateway: Served, tokens: dict[str, str], fakes: dict[str, FakeUpstream], dialect: str
) -> None:
    fakes["openai"].script("model-x", Reply("hello"))
    response = post(gateway, dialect, tokens["open"], "alias-x")
    assert response.status_code == 200
    assert response.headers["x-routeapi-provider"] == "openai"
    assert fakes["openai"].requests[0].headers["authorization"] == "Bearer sk-upstream-openai-secret"


WRONG_SHAPES = {
    "openai": {
        "error": {
            "message": "missing or invalid routeapi token",
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_api_key",
        }
    },
    "anthropic": {
        "type": "error",
        "error": {"type": "authentication_error", "message": "missing or invalid routeapi token"},
    },
    "gemini": {"error": {"code": 401, "message": "missing or invalid routeapi token", "status": "UNAUTHENTICATED"}},
}


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("kind", ["unknown", "expired", "almost"])
def test_a_wrong_token_is_a_401_in_the_callers_shape(
    gateway: Served, tokens: dict[str, str], dialect: str, kind: str
) -> None:
    wrong = {
        "unknown": "rk_" + "A" * 43,
        "expired": tokens["expired"],
        "almost": tokens["open"][:-1] + ("B" if tokens["open"][-1] != "B" else "C"),
    }[kind]
    response = post(gateway, dialect, wrong, "alias-x")
    assert response.status_code == 401
    body = response.json()
    body.pop("request_id", None)
    assert body == WRONG_SHAPES[dialect]


NOT_FOUND = "The model 'priced' does not exist or you do not have access to it."


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        ("openai", {"message": NOT_FOUND, "type": "invalid_request_error", "param": None, "code": "model_not_found"}),
        ("anthropic", {"type": "not_found_error", "message": NOT_FOUND}),
        ("gemini", {"code": 404, "message": NOT_FOUND, "status": "NOT_FOUND"}),
    ],
)
def test_a_model_outside_the_list_is_a_404_that_names_no_other_model(
    gateway: Served, tokens: dict[str, str], fakes: dict[str, FakeUpstream], dialect: str, expected: dict[str, object]
) -> None:
    response = post(gateway, dialect, tokens["narrow"], "priced")
    assert response.status_code == 404
    assert response.json()["error"] == expected
    assert fakes["openai"].requests == []


def test_an_unknown_model_says_the_same_to_a_narrow_token(gateway: Served, database: str) -> None:
    allowed_but_unknown = make_token(database, "alias-less", models=("no-such-alias",))
    response = post(gateway, "openai", allowed_but_unknown, "no-such-alias")
    assert response.status_code == 404
    message = response.json()["error"]["message"]
    assert message == "The model 'no-such-alias' does not exist or you do not have access to it."


def test_the_model_list_shows_only_allowed_models(gateway: Served, tokens: dict[str, str]) -> None:
    listed = httpx2.get(gateway.url + "/v1/models", headers=headers("openai", tokens["narrow"]), timeout=10)
    assert [m["id"] for m in listed.json()["data"]] == ["alias-x"]
    everything = httpx2.get(gateway.url + "/v1/models", headers=headers("openai", tokens["open"]), timeout=10)
    assert [m["id"] for m in everything.json()["data"]] == ["alias-x", "priced"]


RATE_LIMITED = {
    "openai": ("rate_limit_error", "rate_limit_exceeded"),
    "anthropic": ("rate_limit_error", None),
    "gemini": ("RESOURCE_EXHAUSTED", None),
}


def test_requests_per_minute_give_a_429_with_retry_after_in_every_shape(
    gateway: Served, tokens: dict[str, str], fakes: dict[str, FakeUpstream]
) -> None:
    fakes["openai"].script("model-x", Reply("ok"))
    assert post(gateway, "openai", tokens["rpm"], "alias-x").status_code == 200
    assert post(gateway, "anthropic", tokens["rpm"], "alias-x").status_code == 200
    message = "rate limit reached: 2 requests per minute for this token"
    for dialect in DIALECTS:
        response = post(gateway, dialect, tokens["rpm"], "alias-x")
        assert response.status_code == 429
        assert 1 <= int(response.headers["retry-after"]) <= 60
        error = response.json()["error"]
        assert error["message"] == message
        if dialect == "openai":
            assert (error["type"], error["code"]) == RATE_LIMITED["openai"]
        elif dialect == "anthropic":
            assert error["type"] == "rate_limit_error"
        else:
            assert (error["code"], error["status"]) == (429, "RESOURCE_EXHAUSTED")
    assert len(fakes["openai"].requests) == 2


def test_a_revoked_token_is_refused_within_the_cache_ttl(
    gateway: Served, database: str, fakes: dict[str, FakeUpstream]
) -> None:
    fakes["openai"].script("model-x", Reply("ok"))
    token = make_token(database, "short-lived")
    assert post(gateway, "openai", token, "alias-x").status_code == 200
    assert revoke(database, "short-lived") is True
    deadline = time.monotonic() + 5
    while post(gateway, "openai", token, "alias-x").status_code == 200:
        assert time.monotonic() < deadline, "the revoked token still works after 5 s"
        time.sleep(0.05)
    time.sleep(TTL)
    assert post(gateway, "gemini", token, "alias-x").status_code == 401


def test_no_token_or_provider_key_reaches_the_log(
    gateway: Served, tokens: dict[str, str], fakes: dict[str, FakeUpstream], caplog: pytest.LogCaptureFixture
) -> None:
    fakes["openai"].script("model-x", Reply("ok"))
    with caplog.at_level(logging.DEBUG):
        for dialect in DIALECTS:
            post(gateway, dialect, tokens["open"], "alias-x")
            post(gateway, dialect, tokens["open"][:-2], "alias-x")
            post(gateway, dialect, tokens["narrow"], "priced")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "caller=open-svc" in text
    for secret in (*tokens.values(), tokens["open"][:-2], "sk-upstream-openai-secret"):
        assert secret not in text


def test_the_database_holds_no_usable_token(database: str, tokens: dict[str, str], tmp_path: Path) -> None:
    """A stolen database yields nothing to present: the file holds neither a token nor its random part."""
    raw = Path(database.removeprefix("sqlite:///")).read_bytes()
    wal = Path(database.removeprefix("sqlite:///") + "-wal")
    raw += wal.read_bytes() if wal.exists() else b""
    for token in tokens.values():
        assert token.encode() not in raw
        assert token[11:].encode() not in raw  # past the lookup prefix: the secret part
