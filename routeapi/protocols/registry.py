"""Codecs by name, imported on first use."""

from __future__ import annotations

import importlib
from typing import Any, cast

from .base import Codec, StreamDecoder, StreamEncoder

# name -> (module, codec class, stream decoder class, stream encoder class)
_CODECS: dict[str, tuple[str, str, str, str]] = {
    "openai_chat": (
        "routeapi.protocols.openai_chat",
        "OpenAIChatCodec",
        "OpenAIChatStreamDecoder",
        "OpenAIChatStreamEncoder",
    ),
    "anthropic_messages": (
        "routeapi.protocols.anthropic_messages",
        "AnthropicMessagesCodec",
        "AnthropicStreamDecoder",
        "AnthropicStreamEncoder",
    ),
    "gemini": ("routeapi.protocols.gemini", "GeminiCodec", "GeminiStreamDecoder", "GeminiStreamEncoder"),
    "openai_responses": (
        "routeapi.protocols.openai_responses",
        "OpenAIResponsesCodec",
        "OpenAIResponsesStreamDecoder",
        "OpenAIResponsesStreamEncoder",
    ),
    "bedrock_converse": (
        "routeapi.protocols.bedrock_converse",
        "BedrockConverseCodec",
        "BedrockStreamDecoder",
        "BedrockStreamEncoder",
    ),
}
_instances: dict[str, Codec] = {}


def get_codec(name: str) -> Codec:
    codec = _instances.get(name)
    if codec is None:
        codec = cast("Codec", _attribute(name, 1)())
        _instances[name] = codec
    return codec


def stream_decoder(name: str) -> StreamDecoder[Any]:
    return cast("StreamDecoder[Any]", _attribute(name, 2)())


def stream_encoder(name: str, **options: Any) -> StreamEncoder:
    return cast("StreamEncoder", _attribute(name, 3)(**options))


def _attribute(name: str, index: int) -> Any:
    entry = _CODECS[name]
    return getattr(importlib.import_module(entry[0]), entry[index])
