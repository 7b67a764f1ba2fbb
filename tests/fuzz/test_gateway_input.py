"""Any body POSTed to any gateway endpoint gets an answer in the caller's protocol: a success, or a 4xx/5xx whose
body is exactly that protocol's error shape. Never a 500 (an unexpected exception in the gateway), never a
traceback, never a hang. The gateway runs under uvicorn on loopback in front of the fake upstreams."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routeapi.protocols.sse import SSEDecoder
from routeapi.testing import FakeUpstream
from tests.security.gateway import AUTH_HEADERS, FAKE_FIXTURES, config_for, error_shape_problems, make_app, running

from .codecs import CODECS
from .mutation import keyed_junk, mutated, vocabulary
from .strategies import FUZZ, json_values, requests

REQUEST_LIMIT = 5.0  # seconds for one answer, far above a normal one (a few ms)
MODELS = ["openai/model-x", "anthropic/model-x", "gemini/model-x", "alias-x", "nowhere/model-x", ""]

# (dialect, path): the chat endpoints of each protocol, then endpoints that answer 501 or 405.
ENDPOINTS = [
    ("openai", "/v1/chat/completions"),
    ("anthropic", "/v1/messages"),
    ("gemini", "/v1beta/models/{model}:generateContent"),
    ("gemini", "/v1beta/models/{model}:streamGenerateContent?alt=sse"),
    ("gemini", "/v1/models/{model}:streamGenerateContent"),
    ("openai", "/v1/responses"),
    ("openai", "/v1/embeddings"),
    ("anthropic", "/v1/messages/count_tokens"),
    ("gemini", "/v1beta/models/{model}:countTokens"),
    ("openai", "/v1/models"),
]
FACES = {"openai": "openai_chat", "anthropic": "anthropic_messages", "gemini": "gemini"}

pytestmark = pytest.mark.timeout(180)


class Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def gateway(request: pytest.FixtureRequest) -> Iterator[tuple[httpx2.Client, Recorder]]:
    upstreams: dict[str, FakeUpstream] = {k: request.getfixturevalue(f) for k, f in FAKE_FIXTURES.items()}
    for fake in upstreams.values():
        fake.reset()
    recorder = Recorder()
    loggers = [logging.getLogger(name) for name in ("routeapi", "uvicorn.error")]
    for logger in loggers:
        logger.addHandler(recorder)
    app = make_app(config_for(upstreams), max_body_bytes=256 * 1024, request_timeout=REQUEST_LIMIT - 1)
    try:
        with running(app) as url, httpx2.Client(base_url=url, timeout=REQUEST_LIMIT * 2) as client:
            yield client, recorder
    finally:
        for logger in loggers:
            logger.removeHandler(recorder)
        for fake in upstreams.values():
            fake.reset()


def face_bodies(dialect: str) -> st.SearchStrategy[Any]:
    """Bodies of the endpoint's protocol: valid ones (with a routable model, or not), damaged ones, junk."""
    cut = CODECS[FACES[dialect]]
    junk = keyed_junk(vocabulary(sys.modules[type(cut.codec).__module__]))

    def with_model(body: dict[str, Any], model: str) -> dict[str, Any]:
        return body if dialect == "gemini" else {**body, "model": model}

    valid = st.builds(
        with_model,
        requests(cut.profile, cut.name).map(lambda r: cut.codec.encode_request(r, model="model-x")[0]),
        st.sampled_from(MODELS),
    )
    return st.one_of(valid, valid.flatmap(lambda body: mutated(body, junk)), junk, json_values)


@st.composite
def posts(draw: st.DrawFn) -> tuple[str, str, bytes]:
    dialect, path = draw(st.sampled_from(ENDPOINTS))
    path = path.format(model=draw(st.sampled_from(["openai/model-x", "alias-x", "models/gemini/model-x", "nowhere"])))
    if draw(st.integers(0, 9)) == 0:
        raw = draw(st.binary(max_size=64))  # not JSON, maybe not UTF-8
    else:
        raw = json.dumps(draw(face_bodies(dialect)), default=lambda b: b.hex()).encode()
    return dialect, path, raw


def check_success(response: httpx2.Response, dialect: str) -> None:
    content_type = response.headers["content-type"]
    if content_type.startswith("text/event-stream"):
        events = SSEDecoder().feed(response.content)
        assert events, "an empty stream"
        last = json.loads(events[-1].data) if events[-1].data != "[DONE]" else None
        if isinstance(last, dict) and "error" in last and last.get("type") in (None, "error"):
            assert not error_shape_problems(
                dialect, 502, {**last, "request_id": ""} if dialect == "anthropic" else last
            )
    elif response.request.url.path.endswith(":streamGenerateContent"):
        assert response.content.startswith(b"[")
    else:
        assert isinstance(response.json(), dict)


@settings(FUZZ, max_examples=FUZZ.max_examples * 4)
@given(post=posts())
def test_any_body_gets_a_protocol_shaped_answer(
    gateway: tuple[httpx2.Client, Recorder], post: tuple[str, str, bytes]
) -> None:
    client, recorder = gateway
    dialect, path, raw = post
    recorder.records.clear()

    started = time.monotonic()
    response = client.post(path, content=raw, headers={"content-type": "application/json", **AUTH_HEADERS[dialect]})
    elapsed = time.monotonic() - started

    assert elapsed < REQUEST_LIMIT
    assert response.status_code != 500, response.text
    assert b"Traceback" not in response.content
    if response.status_code == 200:
        check_success(response, dialect)
    else:
        assert 400 <= response.status_code < 600
        assert error_shape_problems(dialect, response.status_code, response.json()) == []
    unexpected = [r for r in recorder.records if r.exc_info is not None]
    assert unexpected == [], [r.getMessage() for r in unexpected]
