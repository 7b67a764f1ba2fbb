"""The offline demo, the ``server:`` configuration section, and how ``routeapi serve`` picks its configuration."""

from __future__ import annotations

import argparse
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anthropic
import httpx2
import openai
import pytest
from google import genai
from google.genai import types

from routeapi.config import RouteConfig
from routeapi.errors import ConfigurationError
from routeapi.server import Gateway, ServerConfig, create_app, load_gateway_config
from routeapi.server.cli import add_arguments, choose_config
from routeapi.server.demo import DEMO_TOKEN, banner

from .conftest import run_in_thread


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[str, Gateway]]:
    app = create_app(RouteConfig(), demo=True)
    with run_in_thread(app) as url:
        yield url, app


def test_the_demo_answers_every_sdk_offline(demo: tuple[str, Gateway]) -> None:
    url, _ = demo
    chat = openai.OpenAI(base_url=f"{url}/v1", api_key=DEMO_TOKEN, max_retries=0)
    claude = anthropic.Anthropic(base_url=url, api_key=DEMO_TOKEN, max_retries=0)
    google = genai.Client(api_key=DEMO_TOKEN, http_options=types.HttpOptions(base_url=url, api_version="v1beta"))
    messages = [{"role": "user", "content": "Hello?"}]

    by_alias = chat.chat.completions.with_raw_response.create(model="chat-default", messages=messages)  # type: ignore[arg-type]
    from_claude = claude.messages.create(model="demo-claude", max_tokens=50, messages=messages)  # type: ignore[arg-type]
    from_gemini = "".join(
        c.text or "" for c in google.models.generate_content_stream(model="demo-gemini", contents="Hi")
    )

    assert by_alias.parse().choices[0].message.content == (
        "Hello from routeapi's offline demo! (a fake OpenAI upstream answered)"
    )
    assert by_alias.headers["x-routeapi-demo"] == "offline demo: answers come from fake upstreams"
    assert from_claude.content[0].text == "Hello from routeapi's offline demo! (a fake Anthropic upstream answered)"  # type: ignore[union-attr]
    assert from_gemini == "Hello from routeapi's offline demo! (a fake Gemini upstream answered)"
    assert [m.id for m in chat.models.list()] == ["chat-default", "demo-claude", "demo-gemini", "demo-openai"]


def test_the_demo_still_wants_its_token(demo: tuple[str, Gateway]) -> None:
    url, _ = demo

    response = httpx2.get(f"{url}/v1/models", headers={"authorization": "Bearer guess"}, timeout=10)

    assert response.status_code == 401


def test_the_banner_is_loud() -> None:
    text = banner(DEMO_TOKEN)

    assert "OFFLINE DEMO" in text
    assert "FAKE upstream" in text
    assert "demo-openai, demo-claude, demo-gemini, chat-default" in text
    assert f"Token: {DEMO_TOKEN}" in text


def test_the_server_section_is_read_from_the_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "routeapi.yaml"
    path.write_text(
        "providers:\n"
        "  openai: {type: openai, api_key: sk-x}\n"
        "models:\n"
        "  fast: openai/gpt-4o-mini\n"
        "server:\n"
        "  tokens:\n"
        "    - {name: alice, token: '${ALICE_TOKEN}'}\n"
        "  max_body_bytes: 1000\n"
        "  request_timeout: 30\n",
        encoding="utf-8",
    )

    config, server = load_gateway_config(path, env={"ALICE_TOKEN": "rt-alice"})

    assert list(config.models) == ["fast"]
    assert [(t.name, t.token.get_secret_value()) for t in server.tokens] == [("alice", "rt-alice")]
    assert (server.max_body_bytes, server.request_timeout, server.ping_interval) == (1000, 30.0, 10.0)
    assert "rt-alice" not in repr(server)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("  max_body_bytes: 0\n", "server.max_body_bytes: Input should be greater than 0"),
        ("  tokens: [{name: a, token: ''}]\n", "server.tokens[0].token: must not be empty"),
        ("  tokens: [{name: a, token: x}, {name: a, token: y}]\n", "server.tokens: two tokens have the same name"),
        ("  colour: blue\n", "server.colour: Extra inputs are not permitted"),
    ],
)
def test_server_section_errors_name_the_key(tmp_path: Path, section: str, message: str) -> None:
    path = tmp_path / "routeapi.yaml"
    path.write_text("server:\n" + section, encoding="utf-8")

    with pytest.raises(ConfigurationError) as caught:
        load_gateway_config(path, env={})

    assert str(caught.value) == f"{path}: {message}"


def test_the_gateway_refuses_to_run_without_a_token() -> None:
    with pytest.raises(ConfigurationError, match=r"server\.tokens: no token configured"):
        create_app(RouteConfig(), server=ServerConfig())


def test_the_gateway_refuses_to_start_when_a_provider_has_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    config = RouteConfig.model_validate({"models": {"claude": "anthropic/claude-sonnet-4-5"}})

    with pytest.raises(ConfigurationError, match="ANTHROPIC_API_KEY is not in the environment"):
        create_app(config, tokens=["t"])


def test_choosing_the_configuration(tmp_path: Path) -> None:
    given = choose_config("custom.yaml", {}, tmp_path)
    nothing = choose_config(None, {}, tmp_path)
    with pytest.raises(ConfigurationError, match=r"needs a configuration file with server\.tokens"):
        choose_config(None, {"OPENAI_API_KEY": "sk-real"}, tmp_path)
    (tmp_path / "routeapi.yaml").write_text(json.dumps({"server": {}}), encoding="utf-8")
    found = choose_config(None, {}, tmp_path)

    assert given == ("custom.yaml", False, None)
    assert nothing == (None, True, "no --config, no ./routeapi.yaml and no provider API key in the environment")
    assert found == (str(tmp_path / "routeapi.yaml"), False, None)


def test_shutdown_stops_the_demo_upstreams() -> None:
    app = create_app(RouteConfig(), demo=True)
    upstreams = app._demo
    assert upstreams is not None
    with run_in_thread(app) as url:
        assert httpx2.get(f"{url}/healthz", timeout=10).json() == {"status": "ok"}

    with pytest.raises(RuntimeError, match="is not started"):
        _ = upstreams.openai.port
    assert app.draining is True


def test_serve_arguments_and_their_defaults() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)

    defaults = vars(parser.parse_args([]))
    given = vars(parser.parse_args(["--config", "x.yaml", "--host", "0.0.0.0", "--port", "8080", "--workers", "4"]))

    assert defaults == {"config": None, "host": "127.0.0.1", "port": 4000, "workers": 1, "demo": False}
    assert given == {"config": "x.yaml", "host": "0.0.0.0", "port": 8080, "workers": 4, "demo": False}


def test_routeapi_serve_demo_runs_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "routeapi.server.cli", "--demo", "--port", str(port)]
    process = subprocess.Popen(command, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                health = httpx2.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx2.TransportError:
                assert process.poll() is None, "routeapi serve exited"
                assert time.monotonic() < deadline, "routeapi serve did not start"
                time.sleep(0.05)
        models = httpx2.get(f"http://127.0.0.1:{port}/v1/models", headers={"x-api-key": DEMO_TOKEN}, timeout=5)
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)

    assert health.json() == {"status": "ok"}
    assert [m["id"] for m in models.json()["data"]] == ["chat-default", "demo-claude", "demo-gemini", "demo-openai"]
    assert process.returncode == 0
    assert banner(DEMO_TOKEN) in stderr
    assert "(demo because" not in stderr  # --demo was asked for
