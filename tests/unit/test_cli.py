"""The command line: check, models, chat, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from routeapi.cli import main
from routeapi.testing import FakeOpenAI


def test_check_passes_on_the_demo_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--demo"]) == 0
    out = capsys.readouterr().out
    assert out.count(" ok (") == 3


def test_check_fails_naming_the_provider_with_a_wrong_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeOpenAI(api_key="sk-right") as upstream:
        config = tmp_path / "routeapi.yaml"
        config.write_text(
            "providers:\n"
            f"  billing-openai: {{type: openai, base_url: '{upstream.base_url}', api_key: sk-wrong}}\n"
            "models:\n  chat: billing-openai/gpt-4o-mini\n"
        )
        code = main(["check", "--config", str(config)])

    captured = capsys.readouterr()
    assert code == 1
    assert "billing-openai: checking with gpt-4o-mini ... FAILED (AuthenticationError" in captured.out
    assert "sk-wrong" not in captured.out + captured.err


def test_a_bad_configuration_exits_2_naming_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "routeapi.yaml"
    config.write_text("providers:\n  p: {type: nope}\n")

    assert main(["models", "--config", str(config)]) == 2
    assert "providers.p.type: unknown provider type 'nope'" in capsys.readouterr().err


def test_models_lists_aliases_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--demo", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["models"]["chat-default"] == {
        "deployments": ["fake-openai/gpt-4o-mini"],
        "fallbacks": ["demo-claude", "demo-gemini"],
    }
    assert set(listing["providers"].values()) == {"credentials found"}


def test_chat_streams_the_answer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "--demo", "-m", "demo-gemini", "Hi"]) == 0
    assert "fake Gemini upstream answered" in capsys.readouterr().out
