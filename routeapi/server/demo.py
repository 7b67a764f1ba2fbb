"""``routeapi serve --demo``: demo models answered by the built-in fake upstreams, on loopback, offline."""

from __future__ import annotations

from typing import Any

from ..config import RouteConfig, build
from ..testing import FakeAnthropic, FakeGemini, FakeOpenAI, Reply

DEMO_TOKEN = "routeapi-demo"
DEMO_MODELS = ("demo-openai", "demo-claude", "demo-gemini", "chat-default")

BANNER = """\
==============================================================================
  routeapi OFFLINE DEMO: every answer comes from a built-in FAKE upstream on
  127.0.0.1, never from a real model. Models: {models}.
  Token: {token}
==============================================================================\
"""


class DemoUpstreams:
    """A fake OpenAI, Anthropic and Gemini API, each answering every request with a fixed demo text."""

    def __init__(self) -> None:
        self.openai = FakeOpenAI()
        self.anthropic = FakeAnthropic()
        self.gemini = FakeGemini()

    def start(self) -> DemoUpstreams:
        for fake, vendor in ((self.openai, "OpenAI"), (self.anthropic, "Anthropic"), (self.gemini, "Gemini")):
            fake.start()
            fake.script_default(Reply(f"Hello from routeapi's offline demo! (a fake {vendor} upstream answered)"))
        return self

    def stop(self) -> None:
        for fake in (self.openai, self.anthropic, self.gemini):
            fake.stop()

    def config(self, base: RouteConfig | None = None) -> RouteConfig:
        """``base`` with its providers and models replaced by the demo ones (routing, retries and timeouts kept)."""
        sections: dict[str, Any] = base.model_dump(exclude={"providers", "models"}) if base is not None else {}
        sections["providers"] = {
            "fake-openai": {"type": "openai", "base_url": self.openai.base_url, "api_key": "demo"},
            "fake-anthropic": {"type": "anthropic", "base_url": self.anthropic.base_url, "api_key": "demo"},
            "fake-gemini": {"type": "gemini", "base_url": self.gemini.base_url, "api_key": "demo"},
        }
        sections["models"] = {
            "demo-openai": "fake-openai/gpt-4o-mini",
            "demo-claude": "fake-anthropic/claude-sonnet-4-5",
            "demo-gemini": "fake-gemini/gemini-2.5-flash",
            "chat-default": {"deployments": ["fake-openai/gpt-4o-mini"], "fallbacks": ["demo-claude", "demo-gemini"]},
        }
        return build(sections, source="demo configuration")


def banner(token: str | None) -> str:
    shown = token if token is not None else "one of the configured server.tokens"
    return BANNER.format(models=", ".join(DEMO_MODELS), token=shown)
