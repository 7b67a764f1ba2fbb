"""The gateway's connections (routeapi.server.connections): a request head that is not complete within
``server.header_timeout`` gets a 408 and its connection is closed, while healthy clients are served; and responses
are not held back by Nagle's algorithm when the port is bound the way uvicorn binds it for several workers."""

from __future__ import annotations

import contextlib
import json
import select
import socket
import statistics
import threading
import time
from collections.abc import Iterator

import httpx2
import pytest
import uvicorn

from routeapi.server import Gateway
from routeapi.server.connections import GatewayH11Protocol, header_timeout_of
from routeapi.testing import FakeOpenAI

from .gateway import AUTH_HEADERS, CHAT_PATHS, config_for, make_app, running

HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 1.0
MARGIN = 1.0
"""How late after the deadline a close may come on a busy CI machine."""
HEAD = b"POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\n" + b"x-padding: " + b"a" * 10_000
BODY = {"model": "openai/model-x", "messages": [{"role": "user", "content": "Hi"}]}

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(scope="module")
def gateway(_routeapi_fake_openai_server: FakeOpenAI) -> Iterator[str]:
    config = config_for({"openai": _routeapi_fake_openai_server})
    app = make_app(config, header_timeout=HEADER_TIMEOUT, body_timeout=BODY_TIMEOUT)
    with running(app, http=GatewayH11Protocol, access_log=False) as url:
        yield url


def address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def request_bytes() -> bytes:
    body = httpx2.Request("POST", "http://gateway/", json=BODY).content
    token = AUTH_HEADERS["openai"]["authorization"]
    return (
        f"POST {CHAT_PATHS['openai']} HTTP/1.1\r\nHost: gateway\r\nauthorization: {token}\r\n"
        f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    ).encode() + body


def read_response(sock: socket.socket) -> bytes:
    """One whole response with a Content-Length."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


class Loris:
    """One connection that sends ``head`` a byte at a time (or nothing) until the gateway closes it."""

    def __init__(self, url: str, head: bytes) -> None:
        self.sock = socket.create_connection(address(url), timeout=5)
        self.opened = time.monotonic()
        self.head, self.sent = head, 0
        self.closed_after: float | None = None
        self.answer = b""

    def step(self) -> None:
        """Send the next byte, then read whatever the gateway said (its 408 and the close)."""
        if self.closed_after is not None:
            return
        try:
            if self.sent < len(self.head):
                self.sock.send(self.head[self.sent : self.sent + 1])
                self.sent += 1
            while select.select([self.sock], [], [], 0)[0]:
                chunk = self.sock.recv(4096)
                self.answer += chunk
                if not chunk:
                    break
            else:
                return
        except OSError:
            pass  # reset: closed as well
        self.closed_after = time.monotonic() - self.opened
        self.sock.close()


def drip(lorises: list[Loris], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(c.closed_after is None for c in lorises):
        for loris in lorises:
            loris.step()
        time.sleep(0.02)


class Healthy:
    """Small requests one after another on one kept-alive connection, ``pause`` seconds apart, in a thread, until
    stopped."""

    def __init__(self, url: str, pause: float = 0.05) -> None:
        self.url, self.pause, self.statuses, self.latencies = url, pause, list[int](), list[float]()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Healthy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        with httpx2.Client(base_url=self.url, headers=AUTH_HEADERS["openai"], timeout=10) as client:
            while not self._stop.is_set():
                started = time.monotonic()
                self.statuses.append(client.post(CHAT_PATHS["openai"], json=BODY).status_code)
                self.latencies.append(time.monotonic() - started)
                time.sleep(self.pause)


@pytest.mark.usefixtures("fake_openai")
def test_slow_loris_connections_get_a_408_and_are_closed_while_a_healthy_client_is_served(gateway: str) -> None:
    with Healthy(gateway) as healthy:
        lorises = [Loris(gateway, HEAD) for _ in range(5)] + [Loris(gateway, b"")]  # and one that sends nothing
        drip(lorises, HEADER_TIMEOUT + MARGIN + 1)

    for loris in lorises:
        assert loris.closed_after is not None, f"still open after {HEADER_TIMEOUT + MARGIN + 1} s"
        assert HEADER_TIMEOUT - 0.1 <= loris.closed_after <= HEADER_TIMEOUT + MARGIN
        assert loris.answer.startswith(b"HTTP/1.1 408 ")
    assert all(0 < loris.sent < len(HEAD) for loris in lorises[:-1])  # they were still dripping
    assert len(healthy.statuses) >= 10
    assert set(healthy.statuses) == {200}
    assert max(healthy.latencies) < 0.5


def test_a_body_dripped_after_a_complete_head_gets_a_408_in_the_callers_shape(gateway: str) -> None:
    raw = request_bytes()
    head_end = raw.index(b"\r\n\r\n") + 4
    body = raw[head_end:]
    with Healthy(gateway) as healthy:
        loris = Loris(gateway, body)  # its "head" to drip is the body: the real head goes first, whole
        loris.sock.sendall(raw[:head_end])
        drip([loris], BODY_TIMEOUT + MARGIN + 1)

    assert loris.closed_after is not None, "a dripping body held its connection"
    assert BODY_TIMEOUT - 0.1 <= loris.closed_after <= BODY_TIMEOUT + MARGIN
    assert 0 < loris.sent < len(body)  # it was still dripping
    head, _, payload = loris.answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ")
    error = json.loads(payload)["error"]
    assert (error["code"], error["type"]) == ("request_timeout", "invalid_request_error")
    assert set(healthy.statuses) == {200}


@pytest.mark.usefixtures("fake_openai")
def test_a_slow_head_that_completes_in_time_is_served(gateway: str) -> None:
    raw = request_bytes()
    head_end = raw.index(b"\r\n\r\n") + 4
    with socket.create_connection(address(gateway), timeout=5) as sock:
        for i in range(0, head_end, max(1, head_end // 20)):  # the head in ~20 pieces over ~0.5 s
            sock.send(raw[i : min(i + max(1, head_end // 20), head_end)])
            time.sleep(0.025)
        sock.sendall(raw[head_end:])
        answer = read_response(sock)

    assert answer.startswith(b"HTTP/1.1 200 ")


@pytest.mark.usefixtures("fake_openai")
def test_the_next_head_on_a_kept_alive_connection_has_the_same_deadline(gateway: str) -> None:
    loris = Loris(gateway, HEAD)
    loris.sock.sendall(request_bytes())
    first = read_response(loris.sock)
    loris.opened = time.monotonic()  # the deadline starts with the next request's first byte

    drip([loris], HEADER_TIMEOUT + MARGIN + 1)

    assert first.startswith(b"HTTP/1.1 200 ")
    assert loris.closed_after is not None
    assert HEADER_TIMEOUT - 0.1 <= loris.closed_after <= HEADER_TIMEOUT + MARGIN
    assert loris.answer.startswith(b"HTTP/1.1 408 ")


def test_the_header_timeout_is_found_under_uvicorns_middlewares(fake_openai: FakeOpenAI) -> None:
    class Wrapper:
        def __init__(self, app: object) -> None:
            self.app = app

    app = make_app(config_for({"openai": fake_openai}), header_timeout=2.5)
    assert header_timeout_of(Wrapper(Wrapper(app))) == 2.5
    assert header_timeout_of(object()) == 10.0  # not the gateway: the default


# -- TCP_NODELAY ---------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def served_like_several_workers(app: Gateway) -> Iterator[str]:
    """The app in a thread, on a port bound by uvicorn's own ``bind_socket`` (what ``--workers`` > 1 uses)."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, http=GatewayH11Protocol, log_level="warning",
                            lifespan="on", access_log=False, timeout_graceful_shutdown=1)  # fmt: skip
    sock = config.bind_socket()
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the gateway did not start")
        time.sleep(0.005)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def test_responses_are_not_held_back_by_nagle_on_a_port_bound_for_several_workers(fake_openai: FakeOpenAI) -> None:
    """With Nagle on, each response's last write waits ~40 ms for the client's delayed ACK."""
    app = make_app(config_for({"openai": fake_openai}))
    # Back to back: after a pause the client's TCP acknowledges at once again, which would hide the delay.
    with served_like_several_workers(app) as url, Healthy(url, pause=0) as healthy:
        while len(healthy.latencies) < 20:
            time.sleep(0.05)

    assert set(healthy.statuses) == {200}
    assert statistics.median(healthy.latencies) < 0.025, f"median {statistics.median(healthy.latencies) * 1000:.1f} ms"
