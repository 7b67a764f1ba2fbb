"""A real gateway on loopback (uvicorn in a thread) in front of the fake upstreams, for the official SDKs."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anthropic
import openai
import pytest
import uvicorn
from google import genai
from google.genai import types

from routeapi.config import build
from routeapi.server import Gateway, ServerConfig, ServerToken, create_app
from routeapi.testing import FakeAnthropic, FakeAzureOpenAI, FakeBedrock, FakeGemini, FakeOpenAI, FakeUpstream
from tests.integration.drivers import provider_config

TOKEN = "rt-test-token"
KINDS = ("openai", "anthropic", "gemini")
UPSTREAMS = (*KINDS, "azure", "bedrock")
"""Faces are the three protocols; upstreams add Azure OpenAI and Bedrock."""


@dataclass
class Served:
    """A running gateway and the fakes behind it (providers named ``openai``, ``anthropic``, ``gemini``)."""

    url: str
    app: Gateway
    upstreams: dict[str, FakeUpstream]

    def openai(self, **options: Any) -> openai.OpenAI:
        return openai.OpenAI(base_url=f"{self.url}/v1", api_key=TOKEN, max_retries=0, **options)

    def anthropic(self, **options: Any) -> anthropic.Anthropic:
        return anthropic.Anthropic(base_url=self.url, api_key=TOKEN, max_retries=0, **options)

    def genai(self, api_version: str = "v1beta") -> genai.Client:
        return genai.Client(api_key=TOKEN, http_options=types.HttpOptions(base_url=self.url, api_version=api_version))


@contextlib.contextmanager
def run_in_thread(app: Gateway) -> Iterator[str]:
    """Serve ``app`` on a free loopback port until the generator is closed; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1))
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


def serve_gateway(request: pytest.FixtureRequest, **limits: Any) -> Iterator[Served]:
    """A gateway over the session's fake upstreams, with ``limits`` as its ServerConfig."""
    upstreams: dict[str, FakeUpstream] = {
        "openai": request.getfixturevalue("_routeapi_fake_openai_server"),
        "anthropic": request.getfixturevalue("_routeapi_fake_anthropic_server"),
        "gemini": request.getfixturevalue("_routeapi_fake_gemini_server"),
        "azure": request.getfixturevalue("_routeapi_fake_azure_server"),
        "bedrock": request.getfixturevalue("_routeapi_fake_bedrock_server"),
    }
    config = build(
        {
            "providers": {kind: provider_config(kind, fake, **_secret(kind)) for kind, fake in upstreams.items()},
            "models": {
                "alias-x": "openai/model-x",
                "impatient-x": {"deployments": ["openai/model-x"], "stream_idle_timeout": 0.3},
                "restarting-x": {
                    "deployments": ["openai/model-x"],
                    "fallbacks": ["gemini/model-y"],
                    "on_interrupt": "continue",
                },
                "continuing-x": {
                    "deployments": ["openai/model-x"],
                    "fallbacks": ["anthropic/claude-sonnet-4-5"],
                    "on_interrupt": "continue",
                },
            },
            "retry": {"max_attempts": 1},
            # Tests fail deployments on purpose and call them in quick succession: no circuit, no pacing.
            "routing": {"failure_threshold": 1000, "attempts_per_second": 1000},
        }
    )
    server = ServerConfig(tokens=[ServerToken(name="tests", token=TOKEN)], **limits)  # type: ignore[arg-type]
    app = create_app(config, server=server)
    with run_in_thread(app) as url:
        yield Served(url, app, upstreams)


def _secret(kind: str) -> dict[str, str]:
    if kind == "bedrock":
        return {"aws_secret_access_key": "sk-upstream-bedrock-secret"}
    return {"api_key": f"sk-upstream-{kind}-secret"}


@pytest.fixture
def fakes(
    fake_openai: FakeOpenAI,
    fake_anthropic: FakeAnthropic,
    fake_gemini: FakeGemini,
    fake_azure: FakeAzureOpenAI,
    fake_bedrock: FakeBedrock,
) -> dict[str, FakeUpstream]:
    """The fakes, reset for this test."""
    return {
        "openai": fake_openai,
        "anthropic": fake_anthropic,
        "gemini": fake_gemini,
        "azure": fake_azure,
        "bedrock": fake_bedrock,
    }
