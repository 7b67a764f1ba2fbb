"""The five chat codecs as the fuzz suite sees them: how to call each, what IR each models (its ``Profile``), and a
normaliser per codec that maps an IR request to the fields that codec carries, each lossy field named and why."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from routeapi import ir
from routeapi.ir import UNSET
from routeapi.protocols.anthropic_messages import AnthropicMessagesCodec, AnthropicStreamDecoder, AnthropicStreamEncoder
from routeapi.protocols.base import Codec
from routeapi.protocols.bedrock_converse import BedrockConverseCodec, BedrockStreamDecoder, BedrockStreamEncoder
from routeapi.protocols.gemini import GeminiCodec, GeminiStreamDecoder, GeminiStreamEncoder
from routeapi.protocols.openai_chat import OpenAIChatCodec, OpenAIChatStreamDecoder, OpenAIChatStreamEncoder
from routeapi.protocols.openai_responses import (
    OpenAIResponsesCodec,
    OpenAIResponsesStreamDecoder,
    OpenAIResponsesStreamEncoder,
)
from routeapi.protocols.sse import SSEEvent

from .strategies import Profile

Plain = dict[str, Any]


def plain(value: Any) -> Any:
    """An IR value as nested dicts and lists, without ``provider_details`` (wire detail, not meaning)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name != "provider_details"
        }
    if isinstance(value, list):
        return [plain(item) for item in value]  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}  # pyright: ignore[reportUnknownVariableType]
    return value


def _parts(request: Plain) -> list[Plain]:
    """Every part, the content of tool results included."""
    found: list[Plain] = []
    for message in request["messages"]:
        for part in message["parts"]:
            found.append(part)
            if part["kind"] == "tool_result":
                found += part["content"]
    return found


def _tool_results(request: Plain) -> list[Plain]:
    return [part for part in _parts(request) if part["kind"] == "tool_result"]


def _canonical_arguments(request: Plain) -> None:
    """Tool arguments travel as JSON objects, not text: only their value survives, not their spelling."""
    for part in _parts(request):
        if part["kind"] == "tool_call":
            part["arguments"] = json.loads(part["arguments"] or "{}")


def _without_result_names(request: Plain) -> None:
    for part in _tool_results(request):
        part["name"] = None


def normalise_openai_chat(request: Plain) -> Plain:
    """Chat Completions: a tool message has no name (the call id links it), and the tool result has no error flag."""
    _without_result_names(request)
    return request


def normalise_anthropic(request: Plain) -> Plain:
    """Anthropic Messages: tool_use.input is an object (argument spelling lost); tool_result has no name; a
    document's filename travels as its title; parallel tool use is a tool_choice flag (so it needs one, ``auto`` when
    tools are declared); an output schema has no name."""
    _canonical_arguments(request)
    _without_result_names(request)
    _filename_as_title(request)
    settings = request["settings"]
    if settings["parallel_tool_calls"] is False and request["tool_choice"] is UNSET and request["tools"]:
        request["tool_choice"] = "auto"
    if request["tool_choice"] in (UNSET, "none"):
        settings["parallel_tool_calls"] = UNSET  # travels inside tool_choice only
    if request["response_format"] is not UNSET:
        request["response_format"]["name"] = None  # output_config.format has no name
    return request


def _filename_as_title(request: Plain) -> None:
    for part in _parts(request):
        if part["kind"] == "document":
            part["title"] = part["title"] or part["filename"]
            part["filename"] = None


def normalise_gemini(request: Plain) -> Plain:
    """Gemini: function calls carry no ids on the wire, so decoding synthesises them (``call_<name>_<n>``) and
    results are paired by name and order; arguments are objects; thought signatures live in provider_details, not
    in ``ThinkingPart.signature``; an image URL's media type is guessed from its extension; documents have no name;
    a response schema has no name."""
    _canonical_arguments(request)
    for part in _parts(request):
        if part["kind"] == "thinking":
            part["signature"] = None
        if part["kind"] == "image" and part["url"] is not None:
            part["media_type"] = None
        if part["kind"] == "document":
            part["filename"] = part["title"] = None
    if request["response_format"] is not UNSET:
        request["response_format"]["name"] = None
    calls = [p for p in _parts(request) if p["kind"] == "tool_call"]
    renamed = {}
    for number, call in enumerate(calls):
        renamed[call["id"]] = f"call{number}"
        call["id"] = f"call{number}"
    for result in _tool_results(request):
        result["tool_call_id"] = renamed.get(result["tool_call_id"], result["tool_call_id"])
    return request


def normalise_bedrock(request: Plain) -> Plain:
    """Bedrock Converse: toolUse.input is an object; toolResult has no name."""
    _canonical_arguments(request)
    _without_result_names(request)
    return request


def normalise_openai_responses(request: Plain) -> Plain:
    """Responses: function_call_output items carry no name; an image's detail is always sent (``auto`` when not
    given)."""
    _without_result_names(request)
    for part in _parts(request):
        if part["kind"] == "image" and part["detail"] is None:
            part["detail"] = "auto"
    return request


def _response_parts(response: Plain) -> list[Plain]:
    return [part for choice in response["choices"] for part in choice["message"]["parts"]]


def same_response(response: Plain) -> Plain:
    return response


def gemini_response(response: Plain) -> Plain:
    """Gemini: call ids are synthesised, arguments re-serialised; thought signatures are in provider_details; no
    cache-write count."""
    for number, part in enumerate(p for p in _response_parts(response) if p["kind"] == "tool_call"):
        part["id"] = f"call{number}"
        part["arguments"] = json.loads(part["arguments"] or "{}")
    for part in _response_parts(response):
        if part["kind"] == "thinking":
            part["signature"] = None
    if response["usage"] is not None:
        response["usage"]["cache_write_tokens"] = 0
    return response


def bedrock_response(response: Plain) -> Plain:
    """Bedrock Converse: no response id or model on the wire (the stream's id is generated); no reasoning count."""
    response["id"] = response["model"] = ""
    if response["usage"] is not None:
        response["usage"]["reasoning_tokens"] = 0
    for part in _response_parts(response):
        if part["kind"] == "tool_call":
            part["arguments"] = json.loads(part["arguments"] or "{}")
    return response


@dataclass(frozen=True)
class CodecUnderTest:
    name: str
    codec: Codec
    profile: Profile
    normalise: Callable[[Plain], Plain]
    stream_decoder: Callable[[], Any]
    stream_encoder: Callable[[], Any]
    sse: bool
    """Stream items are SSE events (else the JSON objects themselves)."""
    normalise_response: Callable[[Plain], Plain] = same_response

    def decode_request(self, body: dict[str, Any]) -> ir.Request:
        if isinstance(self.codec, GeminiCodec):
            return self.codec.decode_request(body, model="model-x")
        return self.codec.decode_request(body)

    def comparable(self, request: ir.Request) -> Plain:
        return self.normalise(plain(request))

    def comparable_response(self, response: ir.Response) -> Plain:
        return self.normalise_response(plain(response))

    def stream_items(self, payloads: list[Any]) -> list[Any]:
        """Stream payloads as the decoder receives them: SSE events named by their ``type`` (and OpenAI's
        ``[DONE]``, which the gateway's writer adds after the encoder's chunks), or the objects themselves."""
        if not self.sse:
            return payloads
        events: list[Any] = []
        for payload in payloads:
            kind = payload.get("type") if isinstance(payload, dict) else None
            events.append(SSEEvent(json.dumps(payload), event=kind if isinstance(kind, str) else None))
        if self.name == "openai_chat":
            events.append(SSEEvent("[DONE]"))
        return events


_COMMON_SETTINGS = frozenset({"max_tokens", "temperature", "top_p", "stop"})

CODECS: dict[str, CodecUnderTest] = {
    c.name: c
    for c in [
        CodecUnderTest(
            "openai_chat",
            OpenAIChatCodec(),
            Profile(
                thinking=False,  # Chat Completions takes no reasoning in history
                tool_result_errors=False,
                tool_result_images=False,  # moved to a following user message
                image_detail=True,
                message_names=True,
                audio=True,
                system_anywhere=True,
                settings=_COMMON_SETTINGS
                | {
                    "seed",
                    "presence_penalty",
                    "frequency_penalty",
                    "n",
                    "logprobs",
                    "top_logprobs",
                    "logit_bias",
                    "parallel_tool_calls",
                    "reasoning_effort",
                    "user",
                    "metadata",
                },
            ),
            normalise_openai_chat,
            OpenAIChatStreamDecoder,
            lambda: OpenAIChatStreamEncoder(include_usage=True),
            sse=True,
        ),
        CodecUnderTest(
            "anthropic_messages",
            AnthropicMessagesCodec(),
            Profile(
                settings=_COMMON_SETTINGS | {"top_k", "reasoning_budget", "user", "parallel_tool_calls"},
                required_settings=frozenset({"max_tokens"}),
                response_formats=("json_schema",),  # no JSON mode
            ),
            normalise_anthropic,
            AnthropicStreamDecoder,
            AnthropicStreamEncoder,
            sse=True,
        ),
        CodecUnderTest(
            "gemini",
            GeminiCodec(),
            Profile(
                tool_result_errors=False,
                tool_result_images=False,  # sent as parts after the function response
                settings=_COMMON_SETTINGS
                | {
                    "top_k",
                    "seed",
                    "presence_penalty",
                    "frequency_penalty",
                    "n",
                    "reasoning_budget",
                    "logprobs",
                    "top_logprobs",
                },
            ),
            normalise_gemini,
            GeminiStreamDecoder,
            GeminiStreamEncoder,
            sse=False,
            normalise_response=gemini_response,
        ),
        CodecUnderTest(
            "bedrock_converse",
            BedrockConverseCodec(),
            Profile(
                images_by_url=False,  # Converse takes bytes or S3 locations only
                settings=_COMMON_SETTINGS,
                tool_choices=("auto", "required", "named"),  # no "none"
                response_formats=("json_schema",),  # no JSON mode
            ),
            normalise_bedrock,
            BedrockStreamDecoder,
            BedrockStreamEncoder,
            sse=False,
            normalise_response=bedrock_response,
        ),
        CodecUnderTest(
            "openai_responses",
            OpenAIResponsesCodec(),
            Profile(
                thinking=False,  # reasoning items replay only with the encrypted content a real answer carries
                image_detail=True,
                tool_result_errors=False,
                settings=frozenset(
                    {
                        "max_tokens",
                        "temperature",
                        "top_p",
                        "parallel_tool_calls",
                        "reasoning_effort",
                        "user",
                        "metadata",
                        "top_logprobs",
                    }
                ),
            ),
            normalise_openai_responses,
            OpenAIResponsesStreamDecoder,
            OpenAIResponsesStreamEncoder,
            sse=True,
        ),
    ]
}
