"""Provider types: the five native ones and OpenAI-compatible vendors, as data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Vendor:
    """How to reach a provider type with no more configuration than its API key."""

    adapter: str
    """Adapter module that serves it: ``openai``, ``azure_openai``, ``anthropic``, ``gemini`` or ``bedrock``."""
    key_env: tuple[str, ...] = ()
    """Environment variables consulted, in order, for the API key."""
    base_url: str | None = None
    key_required: bool = True


VENDORS: dict[str, Vendor] = {
    "openai": Vendor("openai", ("OPENAI_API_KEY",)),
    "azure_openai": Vendor("azure_openai", ("AZURE_OPENAI_API_KEY",)),
    "anthropic": Vendor("anthropic", ("ANTHROPIC_API_KEY",)),
    "gemini": Vendor("gemini", ("GEMINI_API_KEY", "GOOGLE_API_KEY")),
    "bedrock": Vendor("bedrock", key_required=False),
    # OpenAI-compatible vendors: the OpenAI adapter with another base URL and key variable.
    "deepseek": Vendor("openai", ("DEEPSEEK_API_KEY",), "https://api.deepseek.com/v1"),
    "groq": Vendor("openai", ("GROQ_API_KEY",), "https://api.groq.com/openai/v1"),
    "mistral": Vendor("openai", ("MISTRAL_API_KEY",), "https://api.mistral.ai/v1"),
    "together": Vendor("openai", ("TOGETHER_API_KEY",), "https://api.together.xyz/v1"),
    "fireworks": Vendor("openai", ("FIREWORKS_API_KEY",), "https://api.fireworks.ai/inference/v1"),
    "openrouter": Vendor("openai", ("OPENROUTER_API_KEY",), "https://openrouter.ai/api/v1"),
    "xai": Vendor("openai", ("XAI_API_KEY",), "https://api.x.ai/v1"),
    "ollama": Vendor("openai", (), "http://localhost:11434/v1", key_required=False),
    "lmstudio": Vendor("openai", (), "http://localhost:1234/v1", key_required=False),
    "vllm": Vendor("openai", ("VLLM_API_KEY",), "http://localhost:8000/v1", key_required=False),
}
