"""docs/configuration.md holds the reference generated from the schema; it must be current."""

from __future__ import annotations

from pathlib import Path

from routeapi.config.models import RouteConfig
from routeapi.config.reference import render, splice

DOC = Path(__file__).parents[2] / "docs" / "configuration.md"


def test_the_configuration_reference_is_current() -> None:
    document = DOC.read_text(encoding="utf-8")
    assert splice(document) == document, "run: python -m routeapi.config.reference, and paste it into the doc"


def test_every_section_and_key_is_documented() -> None:
    reference = render()
    for section in RouteConfig.model_fields:
        assert f"`{section}" in reference
    for key in ("api_key", "deployments", "fallbacks", "strategy", "max_attempts", "first_token", "tokens"):
        assert f"| `{key}` |" in reference
