"""Configuration: in code, from YAML with ${ENV}, and errors that name the offending place."""

from __future__ import annotations

from pathlib import Path

import pytest

from routeapi import ConfigurationError, RouteClient
from routeapi.config import build, load_file, resolve_provider
from routeapi.routing.targets import plan


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "routeapi.yaml"
    path.write_text(text)
    return path


def test_yaml_file_with_env_interpolation(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
providers:
  main: {type: openai, api_key: "${TEST_KEY}", base_url: "${TEST_URL:-http://127.0.0.1:9/v1}"}
models:
  chat-default:
    deployments:
      - {provider: main, model: gpt-4o, weight: 2}
      - main/gpt-4o-mini
    fallbacks: [anthropic/claude-sonnet-4-5]
retry: {max_attempts: 2}
""",
    )
    config = load_file(path, env={"TEST_KEY": "sk-from-env"})

    main = config.providers["main"]
    assert main.api_key is not None
    assert main.api_key.get_secret_value() == "sk-from-env"
    assert main.base_url == "http://127.0.0.1:9/v1"
    assert [(d.provider, d.model, d.weight) for d in config.models["chat-default"].deployments] == [
        ("main", "gpt-4o", 2.0),
        ("main", "gpt-4o-mini", 1.0),
    ]
    assert config.retry.max_attempts == 2
    assert "sk-from-env" not in repr(config)  # secrets are masked


def test_missing_environment_variable_names_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, "providers:\n  main: {type: openai, api_key: '${NOT_SET_ANYWHERE}'}\n")
    with pytest.raises(ConfigurationError, match=r"providers\.main\.api_key: environment variable NOT_SET_ANYWHERE"):
        load_file(path, env={})


def test_unknown_provider_type_names_the_key() -> None:
    with pytest.raises(ConfigurationError, match=r"providers\.eu\.type: unknown provider type 'openia'"):
        build({"providers": {"eu": {"type": "openia"}}})


def test_unknown_key_names_the_key() -> None:
    with pytest.raises(ConfigurationError, match=r"providers\.eu\.api_kye: Extra inputs are not permitted"):
        build({"providers": {"eu": {"type": "openai", "api_kye": "x"}}})


def test_deployment_referencing_unknown_provider_names_the_place() -> None:
    with pytest.raises(ConfigurationError, match=r"models\.fast\.deployments\[1\]\.provider: 'nowhere'"):
        build({"models": {"fast": {"deployments": ["openai/gpt-4o", {"provider": "nowhere", "model": "m"}]}}})


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "providers:\n  main: {type: openai\nmodels: [\n")
    with pytest.raises(ConfigurationError, match=r"routeapi\.yaml: line \d+, column \d+"):
        load_file(path)


def test_missing_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_file(tmp_path / "absent.yaml")


def test_missing_key_fails_at_construction_naming_the_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match=r"providers\.claude\.api_key: not set, and ANTHROPIC_API_KEY"):
        RouteClient(providers={"claude": {"type": "anthropic"}})


def test_direct_model_id_needs_no_config_when_the_key_is_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    config = build({})
    assert plan(config, "openai/gpt-4o-mini")[0].model == "gpt-4o-mini"
    provider = resolve_provider(config, "openai")
    assert provider.api_key is not None
    assert provider.api_key.get_secret_value() == "sk-env"


def test_openai_compatible_vendor_gets_its_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-ds")
    provider = resolve_provider(build({}), "deepseek")
    assert (provider.type, provider.base_url) == ("deepseek", "https://api.deepseek.com/v1")


def test_alias_plan_lists_deployments_then_fallbacks_once() -> None:
    config = build(
        {
            "models": {
                "a": {
                    "deployments": ["openai/x", {"provider": "openai", "model": "y", "priority": -1}],
                    "fallbacks": ["b"],
                },
                "b": {"deployments": ["anthropic/z"], "fallbacks": ["a"]},
            }
        }
    )
    assert [(t.provider, t.model, t.position) for t in plan(config, "a")] == [
        ("openai", "y", 0),
        ("openai", "x", 0),
        ("anthropic", "z", 1),
    ]


def test_weighted_strategy_follows_weights() -> None:
    config = build(
        {
            "routing": {"strategy": "weighted"},
            "models": {"m": {"deployments": [{"provider": "openai", "model": "heavy", "weight": 9}, "openai/light"]}},
        }
    )
    firsts = [plan(config, "m")[0].model for _ in range(2000)]
    share = firsts.count("heavy") / len(firsts)
    assert 0.85 < share < 0.95  # expected 0.9
