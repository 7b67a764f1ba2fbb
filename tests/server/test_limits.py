"""Keep-alive pings, the per-request deadline and the concurrency limits, on a gateway with small limits."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest

from routeapi.telemetry import CallTelemetry
from routeapi.testing import FakeUpstream, Fault, Reply

from .conftest import TOKEN, Served, serve_gateway
from .test_streams import HEADERS, sse_events, stream_request

PING = 0.1
DEADLINE = 1.2


@pytest.fixture(scope="module")
def gateway(request: pytest.FixtureRequest) -> Iterator[Served]:
    yield from serve_gateway(
        request, ping_interval=PING, request_timeout=DEADLINE, max_concurrent_streams=1, max_concurrent_requests=2
    )


def wait_until(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def test_anthropic_pings_while_waiting_for_the_first_event(gateway: Served, fakes: dict[str, FakeUpstream]) -> None:
    fakes["openai"].script("model-x", Fault.delay(0.45, Reply("late but fine")))
    path, body = stream_request("anthropic", "openai/model-x")

    response = httpx2.post(gateway.url + path, json=body, headers=HEADERS["anthropic"], timeout=10)

    names = [name for name, _ in sse_events(response.text)]
    first = names.index("message_start")
    assert first >= 2
    assert set(names[:first]) == {"ping"}
    assert names[-1] == "message_stop"
    with gateway.anthropic().messages.stream(
        model="openai/model-x", max_tokens=20, messages=[{"role": "user", "content": "Hi"}]
    ) as stream:
        assert stream.get_final_message().content[0].text == "late but fine"  # type: ignore[union-attr]


def test_a_failure_after_pings_is_an_error_event(gateway: Served, fakes: dict[str, FakeUpstream]) -> None:
    fakes["openai"].script("model-x", Fault.delay(0.35, Fault.status(500, "upstream trouble")))
    path, body = stream_request("anthropic", "openai/model-x")

    response = httpx2.post(gateway.url + path, json=body, headers=HEADERS["anthropic"], timeout=10)

    events = sse_events(response.text)
    assert response.status_code == 200  # the pings had started the response
    assert {name for name, _ in events[:-1]} == {"ping"}
    assert events[-1][0] == "error"
    assert json.loads(events[-1][1])["error"] == {"type": "api_error", "message": "openai: upstream trouble"}


def test_anthropic_pings_between_events_and_a_departure_closes_the_upstream(
    gateway: Served, fakes: dict[str, FakeUpstream]
) -> None:
    fakes["anthropic"].script("model-x", Fault.stall(after_events=4, then=Reply("a long answer that stalls")))
    path, body = stream_request("anthropic", "anthropic/model-x")

    names: list[str] = []
    with httpx2.stream("POST", gateway.url + path, json=body, headers=HEADERS["anthropic"], timeout=10) as response:
        for line in response.iter_lines():
            if line.startswith("event: "):
                names.append(line.removeprefix("event: "))
            if names[-2:] == ["ping", "ping"]:
                break

    assert names[:3] == ["message_start", "content_block_start", "content_block_delta"]
    assert fakes["anthropic"].wait_for_disconnect(0, 1.0) is True


def test_the_deadline_ends_a_plain_request_with_a_504(gateway: Served, fakes: dict[str, FakeUpstream]) -> None:
    fakes["gemini"].script("model-x", Fault.delay(5, Reply("too late")))
    body = {"contents": [{"parts": [{"text": "Hi"}]}]}

    started = time.monotonic()
    response = httpx2.post(
        gateway.url + "/v1beta/models/gemini/model-x:generateContent", json=body, params={"key": TOKEN}, timeout=10
    )

    assert DEADLINE <= time.monotonic() - started < DEADLINE + 1
    message = f"the request took longer than the gateway's {DEADLINE:g} s limit"
    assert (response.status_code, response.json()) == (
        504,
        {"error": {"code": 504, "message": message, "status": "DEADLINE_EXCEEDED"}},
    )
    assert fakes["gemini"].wait_for_disconnect(0, 1.0) is True


def test_the_deadline_ends_a_stream_with_an_error_event(gateway: Served, fakes: dict[str, FakeUpstream]) -> None:
    fakes["openai"].script("model-x", Fault.stall(after_events=3, then=Reply("a long answer that stalls")))
    path, body = stream_request("openai", "openai/model-x")

    response = httpx2.post(gateway.url + path, json=body, headers=HEADERS["openai"], timeout=10)

    events = sse_events(response.text)
    message = f"the request took longer than the gateway's {DEADLINE:g} s limit"
    assert events[-1] == (
        None,
        json.dumps(
            {"error": {"message": message, "type": "server_error", "param": None, "code": "timeout"}},
            separators=(",", ":"),
        ),
    )
    assert (None, "[DONE]") not in events
    assert fakes["openai"].wait_for_disconnect(0, 1.0) is True


def test_streams_beyond_the_limit_get_a_429(gateway: Served, fakes: dict[str, FakeUpstream]) -> None:
    fakes["openai"].script("model-x", Fault.stall(after_events=3, then=Reply("a long answer that stalls")))
    fakes["anthropic"].script("model-x", Reply("my turn now"))
    path, body = stream_request("openai", "openai/model-x")

    with httpx2.stream("POST", gateway.url + path, json=body, headers=HEADERS["openai"], timeout=10) as first:
        chunks = first.iter_bytes()  # held: dropping the iterator would close the connection
        assert next(chunks)
        _, second_body = stream_request("openai", "anthropic/model-x")
        refused = httpx2.post(gateway.url + path, json=second_body, headers=HEADERS["openai"], timeout=10)
    wait_until(lambda: gateway.app.active_streams == 0)
    accepted = httpx2.post(gateway.url + path, json=second_body, headers=HEADERS["openai"], timeout=10)

    assert (refused.status_code, refused.headers["retry-after"]) == (429, "1")
    assert refused.json()["error"] == {
        "message": "the gateway is at its concurrent stream limit",
        "type": "rate_limit_error",
        "param": None,
        "code": "rate_limit_exceeded",
    }
    assert (accepted.status_code, sse_events(accepted.text)[-1]) == (200, (None, "[DONE]"))


def test_requests_beyond_the_limit_get_a_429_and_readiness_says_busy(
    gateway: Served, fakes: dict[str, FakeUpstream]
) -> None:
    fakes["openai"].script("model-x", Fault.stall())
    body = {"model": "openai/model-x", "max_tokens": 5, "messages": [{"role": "user", "content": "Hi"}]}

    def hang() -> None:
        with pytest.raises(httpx2.ReadTimeout):
            httpx2.post(gateway.url + "/v1/messages", json=body, headers=HEADERS["anthropic"], timeout=0.8)

    hanging = [threading.Thread(target=hang) for _ in range(2)]
    for thread in hanging:
        thread.start()
    wait_until(lambda: gateway.app.active_requests == 2)
    refused = httpx2.post(gateway.url + "/v1/messages", json=body, headers=HEADERS["anthropic"], timeout=10)
    busy = httpx2.get(gateway.url + "/readyz", timeout=10)
    for thread in hanging:
        thread.join()
    wait_until(lambda: gateway.app.active_requests == 0)
    ready = httpx2.get(gateway.url + "/readyz", timeout=10)

    assert (refused.status_code, refused.json()["error"]) == (
        429,
        {"type": "rate_limit_error", "message": "the gateway is at its concurrent request limit"},
    )
    assert (busy.status_code, busy.json()) == (503, {"status": "busy", "requests": 2})
    assert (ready.status_code, ready.json()) == (200, {"status": "ready", "requests": 0})


def test_a_stream_ended_by_the_deadline_is_recorded_as_a_failure(
    gateway: Served, fakes: dict[str, FakeUpstream], monkeypatch: pytest.MonkeyPatch
) -> None:
    ends: list[str] = []
    finish, fail = CallTelemetry.finish, CallTelemetry.fail

    def spy_finish(self: CallTelemetry, **kwargs: Any) -> None:
        ends.append("finish")
        finish(self, **kwargs)

    def spy_fail(self: CallTelemetry, error: BaseException) -> None:
        ends.append(f"fail: {type(error).__name__}")
        fail(self, error)

    monkeypatch.setattr(CallTelemetry, "finish", spy_finish)
    monkeypatch.setattr(CallTelemetry, "fail", spy_fail)
    fakes["openai"].script("model-x", Fault.stall(after_events=3, then=Reply("a long answer that stalls")))
    path, body = stream_request("openai", "openai/model-x")

    httpx2.post(gateway.url + path, json=body, headers=HEADERS["openai"], timeout=10)

    deadline = time.monotonic() + 2
    while not ends and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ends[0] == "fail: DeadlineExceeded"  # the first report is the one telemetry keeps
