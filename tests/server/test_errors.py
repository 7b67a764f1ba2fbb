"""Bad input, bad tokens and upstream failures: each gets its protocol's error shape and status, raw and through
the SDKs, and the gateway stays healthy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx2
import openai
import pytest
from google.genai import errors as genai_errors

from routeapi.testing import FakeUpstream, Fault, Reply

from .conftest import TOKEN, Served, serve_gateway

MAX_BODY = 64 * 1024
PATHS = {
    "openai": "/v1/chat/completions",
    "anthropic": "/v1/messages",
    "gemini": "/v1beta/models/openai/model-x:generateContent",
}
AUTH = {"openai": "authorization", "anthropic": "x-api-key", "gemini": "x-goog-api-key"}
GOOD = {
    "openai": {"model": "openai/model-x", "messages": [{"role": "user", "content": "Hi"}]},
    "anthropic": {"model": "openai/model-x", "max_tokens": 50, "messages": [{"role": "user", "content": "Hi"}]},
    "gemini": {"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]},
}


@pytest.fixture(scope="module")
def gateway(request: pytest.FixtureRequest) -> Iterator[Served]:
    yield from serve_gateway(request, max_body_bytes=MAX_BODY)


def post(
    gateway: Served, dialect: str, body: Any, *, token: str | None = TOKEN, path: str | None = None
) -> httpx2.Response:
    headers = {"content-type": "application/json"}
    if token is not None:
        headers[AUTH[dialect]] = f"Bearer {token}" if dialect == "openai" else token
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx2.post(gateway.url + (path or PATHS[dialect]), content=content, headers=headers, timeout=10)


def shaped(dialect: str, status: int, message: str, *, kind: str, request_id: str) -> dict[str, Any]:
    """The exact error body each protocol expects, for the kinds these tests meet."""
    openai_types = {
        "invalid": ("invalid_request_error", None),
        "auth": ("invalid_request_error", "invalid_api_key"),
        "missing_model": ("invalid_request_error", "model_not_found"),
        "too_large": ("invalid_request_error", "request_too_large"),
        "not_implemented": ("invalid_request_error", "not_implemented"),
        "upstream": ("server_error", "upstream_error"),
        "rate": ("rate_limit_error", "rate_limit_exceeded"),
    }
    anthropic_types = {
        "invalid": "invalid_request_error",
        "auth": "authentication_error",
        "missing_model": "not_found_error",
        "too_large": "request_too_large",
        "not_implemented": "invalid_request_error",
        "upstream": "api_error",
        "rate": "rate_limit_error",
    }
    gemini_statuses = {
        "invalid": "INVALID_ARGUMENT",
        "auth": "UNAUTHENTICATED",
        "missing_model": "NOT_FOUND",
        "too_large": "INVALID_ARGUMENT",
        "not_implemented": "UNIMPLEMENTED",
        "upstream": "UNAVAILABLE",
        "rate": "RESOURCE_EXHAUSTED",
    }
    if dialect == "openai":
        error_type, code = openai_types[kind]
        return {"error": {"message": message, "type": error_type, "param": None, "code": code}}
    if dialect == "anthropic":
        return {"type": "error", "error": {"type": anthropic_types[kind], "message": message}, "request_id": request_id}
    return {"error": {"code": status, "message": message, "status": gemini_statuses[kind]}}


BAD_INPUTS: list[tuple[str, str, Any, int, str, str]] = [
    # (dialect, case, body, status, error kind, message)
    *[(d, "malformed JSON", b'{"model": ', 400, "invalid", "the request body is not valid JSON") for d in PATHS],
    *[(d, "not an object", b"[1]", 400, "invalid", "the request body must be a JSON object, not list") for d in PATHS],
    ("openai", "missing field", {"model": "openai/model-x"}, 400, "invalid", "messages is required"),
    ("anthropic", "missing field", {"model": "openai/model-x", "max_tokens": 5}, 400, "invalid",
     "messages: expected an array, got null"),
    ("gemini", "missing field", {"generationConfig": {}}, 400, "invalid", "contents must be a list"),
    ("openai", "wrong type", {**GOOD["openai"], "temperature": "hot"}, 400, "invalid", "temperature must be a number"),
    ("anthropic", "wrong type", {**GOOD["anthropic"], "max_tokens": "many"}, 400, "invalid",
     "max_tokens: expected an integer, got str"),
    ("gemini", "wrong type", {**GOOD["gemini"], "generationConfig": {"temperature": "hot"}}, 400, "invalid",
     "generationConfig.temperature must be a number"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("dialect", "case", "body", "status", "kind", "message"), BAD_INPUTS, ids=[f"{c[0]}-{c[1]}" for c in BAD_INPUTS]
)
def test_bad_input_gets_the_protocols_error(
    gateway: Served, fakes: dict[str, FakeUpstream], dialect: str, case: str, body: Any, status: int, kind: str,
    message: str,
) -> None:  # fmt: skip
    response = post(gateway, dialect, body)

    assert response.status_code == status
    assert response.json() == shaped(dialect, status, message, kind=kind, request_id=response.headers["x-request-id"])
    assert fakes["openai"].requests == []  # refused before any upstream call


@pytest.mark.parametrize("dialect", list(PATHS))
def test_unknown_model_is_a_404(gateway: Served, dialect: str) -> None:
    body = {**GOOD[dialect], "model": "nowhere/model-x"}
    path = "/v1beta/models/nowhere/model-x:generateContent" if dialect == "gemini" else None

    response = post(gateway, dialect, body, path=path)

    assert response.status_code == 404
    message = (
        "unknown model 'nowhere/model-x': use an alias (configured: alias-x, continuing-x, impatient-x, "
        "restarting-x) or 'provider/model' with a configured provider or a provider type"
    )
    request_id = response.headers["x-request-id"]
    assert response.json() == shaped(dialect, 404, message, kind="missing_model", request_id=request_id)


@pytest.mark.parametrize("token", [None, "wrong-token"], ids=["missing", "wrong"])
@pytest.mark.parametrize("dialect", list(PATHS))
def test_bad_token_is_a_401(gateway: Served, fakes: dict[str, FakeUpstream], dialect: str, token: str | None) -> None:
    response = post(gateway, dialect, GOOD[dialect], token=token)

    assert response.status_code == 401
    request_id = response.headers["x-request-id"]
    expected = shaped(dialect, 401, "missing or invalid routeapi token", kind="auth", request_id=request_id)
    assert response.json() == expected
    assert fakes["openai"].requests == []


def test_the_token_is_accepted_in_every_header_and_the_query(gateway: Served, fakes: dict[str, FakeUpstream]) -> None:
    body = json.dumps(GOOD["gemini"]).encode()
    path = gateway.url + PATHS["gemini"]
    ways: list[dict[str, Any]] = [
        {"headers": {"authorization": f"Bearer {TOKEN}"}},
        {"headers": {"x-api-key": TOKEN}},
        {"headers": {"x-goog-api-key": TOKEN}},
        {"params": {"key": TOKEN}},
    ]
    statuses = [httpx2.post(path, content=body, timeout=10, **way).status_code for way in ways]

    assert statuses == [200, 200, 200, 200]
    assert [r.headers["authorization"] for r in fakes["openai"].requests] == ["Bearer sk-upstream-openai-secret"] * 4


@pytest.mark.parametrize("dialect", list(PATHS))
def test_an_oversized_body_is_a_413(gateway: Served, fakes: dict[str, FakeUpstream], dialect: str) -> None:
    body = json.loads(json.dumps(GOOD[dialect]))
    filler = "x" * (MAX_BODY + 1)
    if dialect == "gemini":
        body["contents"][0]["parts"][0]["text"] = filler
    else:
        body["messages"][0]["content"] = filler

    response = post(gateway, dialect, body)

    assert response.status_code == 413
    message = f"the request body is larger than the gateway's limit of {MAX_BODY} bytes"
    request_id = response.headers["x-request-id"]
    assert response.json() == shaped(dialect, 413, message, kind="too_large", request_id=request_id)
    assert fakes["openai"].requests == []


@pytest.mark.parametrize(
    ("dialect", "path", "feature"),
    [
        ("anthropic", "/v1/messages/count_tokens", "token counting"),
    ],
)
def test_endpoints_not_there_yet_are_a_501(gateway: Served, dialect: str, path: str, feature: str) -> None:
    response = post(gateway, dialect, {"model": "openai/model-x"}, path=path)

    assert response.status_code == 501
    message = f"{feature} is not supported by this gateway yet"
    request_id = response.headers["x-request-id"]
    assert response.json() == shaped(dialect, 501, message, kind="not_implemented", request_id=request_id)


def test_unknown_paths_and_methods(gateway: Served) -> None:
    missing = httpx2.post(gateway.url + "/v2/nothing", content=b"{}", timeout=10)
    wrong_method = httpx2.get(gateway.url + "/v1/chat/completions", timeout=10)

    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "unknown_url")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["message"] == "/v1/chat/completions accepts POST only, not GET"


@pytest.mark.parametrize(
    ("upstream_status", "status", "kind", "message"),
    [
        (500, 502, "upstream", "openai: upstream trouble"),
        (429, 429, "rate", "openai: upstream trouble"),
        (401, 502, "upstream", "openai: the upstream provider refused the gateway's credentials"),
    ],
)
@pytest.mark.parametrize("dialect", list(PATHS))
def test_upstream_failures(
    gateway: Served, fakes: dict[str, FakeUpstream], dialect: str, upstream_status: int, status: int, kind: str,
    message: str,
) -> None:  # fmt: skip
    fakes["openai"].script("model-x", Fault.status(upstream_status, "upstream trouble"))

    response = post(gateway, dialect, GOOD[dialect])

    assert response.status_code == status
    request_id = response.headers["x-request-id"]
    assert response.json() == shaped(dialect, status, message, kind=kind, request_id=request_id)
    assert "sk-upstream" not in response.text


def test_the_sdks_raise_their_own_errors(gateway: Served, fakes: dict[str, FakeUpstream]) -> None:
    messages = [{"role": "user", "content": "Hi"}]
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{gateway.url}/v1", api_key="wrong", max_retries=0).chat.completions.create(
            model="openai/model-x", messages=messages
        )
    with pytest.raises(openai.NotFoundError):
        gateway.openai().chat.completions.create(model="nowhere/x", messages=messages)
    with pytest.raises(anthropic.AuthenticationError):
        anthropic.Anthropic(base_url=gateway.url, api_key="wrong", max_retries=0).messages.create(
            model="openai/model-x", max_tokens=5, messages=messages
        )
    with pytest.raises(anthropic.BadRequestError, match="temperature: expected a number, got str"):
        gateway.anthropic().messages.create(
            model="openai/model-x", max_tokens=5, messages=messages, extra_body={"temperature": "hot"}
        )
    fakes["openai"].script("model-x", Fault.status(503, "overloaded"))
    with pytest.raises(anthropic.InternalServerError) as overloaded:
        gateway.anthropic().messages.create(model="openai/model-x", max_tokens=5, messages=messages)
    assert overloaded.value.status_code == 529
    google = gateway.genai()  # held: the client closes its connections when garbage-collected
    with pytest.raises(genai_errors.ClientError) as refused:
        google.models.generate_content(model="nowhere/x", contents="Hi")
    assert (refused.value.code, refused.value.status) == (404, "NOT_FOUND")


def test_the_gateway_stays_healthy_after_bad_requests(gateway: Served, fakes: dict[str, FakeUpstream]) -> None:
    for dialect in PATHS:
        post(gateway, dialect, b"\xff\xfe not json")
        post(gateway, dialect, GOOD[dialect], token="wrong")
    fakes["openai"].script("model-x", Reply("still fine"))

    health = httpx2.get(gateway.url + "/healthz", timeout=10)
    ready = httpx2.get(gateway.url + "/readyz", timeout=10)
    answer = post(gateway, "openai", GOOD["openai"])

    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ready", "requests": 0})
    assert answer.json()["choices"][0]["message"]["content"] == "still fine"
