"""A gateway under uvicorn on loopback, in front of the fake upstreams, for the security and fuzz suites; and the
exact error shape each protocol must answer with."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

import uvicorn

from routeapi.config import RouteConfig, build
from routeapi.server import Gateway, ServerConfig, ServerToken, create_app
from routeapi.testing import FakeUpstream

TOKEN = "rt-security-token"
FAKE_FIXTURES = {
    "openai": "_routeapi_fake_openai_server",
    "anthropic": "_routeapi_fake_anthropic_server",
    "gemini": "_routeapi_fake_gemini_server",
}
AUTH_HEADERS = {
    "openai": {"authorization": f"Bearer {TOKEN}"},
    "anthropic": {"x-api-key": TOKEN, "anthropic-version": "2023-06-01"},
    "gemini": {"x-goog-api-key": TOKEN},
}
CHAT_PATHS = {
    "openai": "/v1/chat/completions",
    "anthropic": "/v1/messages",
    "gemini": "/v1beta/models/openai/model-x:generateContent",
}


def config_for(upstreams: Mapping[str, FakeUpstream], keys: Mapping[str, str] | None = None) -> RouteConfig:
    """Providers ``openai``, ``anthropic``, ``gemini`` at the fakes; one attempt, no circuit breaking."""
    return build(
        {
            "providers": {
                kind: {"type": kind, "base_url": fake.base_url, "api_key": (keys or {}).get(kind, f"sk-{kind}-key")}
                for kind, fake in upstreams.items()
            },
            "models": {"alias-x": "openai/model-x"},
            "retry": {"max_attempts": 1},
            "routing": {"failure_threshold": 1_000_000, "attempts_per_second": 1_000_000},
        }
    )


def make_app(config: RouteConfig, **limits: Any) -> Gateway:
    server = ServerConfig(tokens=[ServerToken(name="security-tests", token=TOKEN)], **limits)  # type: ignore[arg-type]
    return create_app(config, server=server)


@contextlib.contextmanager
def running(app: Gateway, **options: Any) -> Iterator[str]:
    """Serves ``app`` under uvicorn on a free loopback port until the block ends; yields the base URL. ``options``
    go to ``uvicorn.Config`` (``limit_concurrency``, ``timeout_keep_alive``...)."""
    # IPPROTO_TCP, as when uvicorn binds the port itself: asyncio then turns Nagle off on each connection (with
    # protocol 0 it does not, and every response waits ~40 ms for the client's delayed ACK).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1, **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the gateway did not start")
        time.sleep(0.005)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def error_shape_problems(dialect: str, status: int, body: Any) -> list[str]:
    """What is wrong with ``body`` as the protocol's error body for ``status`` (empty when it is right)."""
    problems: list[str] = []
    if not isinstance(body, dict):
        return [f"not a JSON object: {body!r:.200}"]
    if dialect == "openai":
        error = body.get("error")
        if set(body) != {"error"} or not isinstance(error, dict) or set(error) != {"message", "type", "param", "code"}:
            problems.append(f"not OpenAI's shape: {body!r:.300}")
        elif not isinstance(error["message"], str) or not isinstance(error["type"], str):
            problems.append("message and type must be strings")
    elif dialect == "anthropic":
        error = body.get("error")
        if (
            set(body) != {"type", "error", "request_id"}
            or body["type"] != "error"
            or not isinstance(error, dict)
            or set(error) != {"type", "message"}
        ):
            problems.append(f"not Anthropic's shape: {body!r:.300}")
    else:
        error = body.get("error")
        if set(body) != {"error"} or not isinstance(error, dict) or set(error) != {"code", "message", "status"}:
            problems.append(f"not Gemini's shape: {body!r:.300}")
        elif error["code"] != status:
            problems.append(f"error.code {error['code']} is not the status {status}")
    return problems
