"""Helpers for gateways with a database: managed tokens made directly in the store, a gateway over the session's
fake upstreams with ``storage`` set, and reading the records back."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from routeapi.config import build
from routeapi.server import ServerConfig, create_app
from routeapi.server.settings import StorageSettings
from routeapi.server.store import ModelLimit, TokenRecord, UsageRecord, open_store
from routeapi.server.tokens import digest, lookup_of, new_token
from routeapi.testing import FakeUpstream

from .conftest import Served, run_in_thread

PRICED = "gpt-4o-mini"  # an OpenAI model the catalog prices, so records carry a cost
HEADER_OF = {"openai": "authorization", "anthropic": "x-api-key", "gemini": "x-goog-api-key"}


def headers(dialect: str, token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"} if dialect == "openai" else {HEADER_OF[dialect]: token}


def chat(dialect: str, model: str, *, stream: bool = False, max_tokens: int = 50) -> tuple[str, dict[str, Any]]:
    """(path, body) of a chat request in ``dialect``."""
    if dialect == "openai":
        body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": "Hi"}]}
        if stream:
            body |= {"stream": True, "stream_options": {"include_usage": True}}
        return "/v1/chat/completions", body
    if dialect == "anthropic":
        body = {"model": model, "max_tokens": max_tokens, "messages": [{"role": "user", "content": "Hi"}]}
        return "/v1/messages", body | ({"stream": True} if stream else {})
    action = "streamGenerateContent?alt=sse" if stream else "generateContent"
    return f"/v1beta/models/{model}:{action}", {"contents": [{"parts": [{"text": "Hi"}]}]}


def make_token(database: str, name: str, **options: Any) -> str:
    """A managed token written straight into the database (what ``routeapi keys create`` does)."""
    token = new_token()
    limits = {m: ModelLimit(*v) for m, v in options.pop("model_limits", {}).items()}
    record = TokenRecord(
        name=name,
        lookup=lookup_of(token),
        secret_sha256=digest(token),
        created_at=time.time(),
        model_limits=limits,
        **options,
    )

    async def add() -> None:
        store = open_store(database)
        await store.migrate()
        await store.add_token(record)
        await store.close()

    asyncio.run(add())
    return token


def revoke(database: str, name: str) -> bool:
    async def run() -> bool:
        store = open_store(database)
        try:
            return await store.revoke(name)
        finally:
            await store.close()

    return asyncio.run(run())


def usage_records(database: str) -> list[UsageRecord]:
    async def read() -> list[UsageRecord]:
        store = open_store(database)
        try:
            await store.migrate()
            return await store.usage()
        finally:
            await store.close()

    return asyncio.run(read())


def fake_config(upstreams: dict[str, FakeUpstream]) -> dict[str, Any]:
    return {
        "providers": {
            kind: {"type": kind, "base_url": fake.base_url, "api_key": f"sk-upstream-{kind}-secret"}
            for kind, fake in upstreams.items()
            if kind in ("openai", "anthropic", "gemini")  # the three the usage scenarios drive
        },
        "models": {"alias-x": "openai/model-x", "priced": f"openai/{PRICED}"},
        "retry": {"max_attempts": 1},
        "routing": {"failure_threshold": 1000, "attempts_per_second": 1000},
    }


@contextlib.contextmanager
def stored_gateway(request: pytest.FixtureRequest, storage: StorageSettings, **limits: Any) -> Iterator[Served]:
    upstreams: dict[str, FakeUpstream] = {
        "openai": request.getfixturevalue("_routeapi_fake_openai_server"),
        "anthropic": request.getfixturevalue("_routeapi_fake_anthropic_server"),
        "gemini": request.getfixturevalue("_routeapi_fake_gemini_server"),
    }
    app = create_app(build(fake_config(upstreams)), server=ServerConfig(**limits), storage=storage)
    with run_in_thread(app) as url:
        yield Served(url, app, upstreams)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gateway(
    config: dict[str, object], tmp_path: Path, env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], str]:
    """``routeapi serve`` in its own process (JSON is YAML); returns the process and its URL once it is ready."""
    path = tmp_path / f"gateway-{len(list(tmp_path.iterdir()))}.yaml"
    path.write_text(json.dumps(config))
    port = free_port()
    command = [sys.executable, "-m", "routeapi.server.cli", "--config", str(path), "--port", str(port)]
    log = (tmp_path / f"{path.stem}.log").open("wb")
    process = subprocess.Popen(command, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx2.get(url + "/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx2.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the gateway did not start: {(tmp_path / f'{path.stem}.log').read_text()}")
        time.sleep(0.05)
