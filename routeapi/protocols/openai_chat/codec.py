"""The Chat Completions codec: request and response bodies <-> IR."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal, cast

from ... import ir
from ...errors import ProtocolError
from .._checks import Reader as _Reader
from .._checks import is_number as _is_number
from .._checks import set_if_given as _set_if_given
from .provider_details import NAME, codec_details, detail_section, make_details, merge_missing, unread_extras
from .request_decoding import decode_message, decode_response_format, decode_tool, decode_tool_choice
from .request_encoding import (
    MessageEncoder,
    Report,
    encode_response_format,
    encode_stream_options,
    encode_tool,
    encode_tool_choice,
)
from .response import decode_choice, decode_usage, encode_choice, encode_usage

# Settings whose wire name is the GenerationSettings field name, by JSON type.
_NUMBER_SETTINGS: Final = ("temperature", "top_p", "presence_penalty", "frequency_penalty")
_INTEGER_SETTINGS: Final = ("seed", "n", "top_logprobs")
_BOOLEAN_SETTINGS: Final = ("logprobs", "parallel_tool_calls")
_STRING_SETTINGS: Final = ("reasoning_effort", "user")
_OBJECT_SETTINGS: Final = ("logit_bias", "metadata")
_PLAIN_SETTINGS: Final = (
    *_NUMBER_SETTINGS,
    *_INTEGER_SETTINGS,
    *_BOOLEAN_SETTINGS,
    *_STRING_SETTINGS,
    *_OBJECT_SETTINGS,
)
_MAX_TOKENS_KEYS: Final = ("max_completion_tokens", "max_tokens")


class OpenAIChatCodec:
    """Chat Completions bodies <-> IR. ``max_tokens_key`` is the key used for ``settings.max_tokens`` when the request
    does not say which one its caller used (some OpenAI-compatible servers only know ``max_tokens``)."""

    name = NAME

    def __init__(self, *, max_tokens_key: Literal["max_completion_tokens", "max_tokens"] = "max_completion_tokens"):
        self._max_tokens_key = max_tokens_key

    # requests ------------------------------------------------------------------------------------------------
    def decode_request(self, body: Mapping[str, Any]) -> ir.Request:
        top = _Reader(body, "")
        request = ir.Request(model=top.required_string("model"), source=self.name)
        request.messages = [
            decode_message(raw, f"messages[{i}]") for i, raw in enumerate(top.required_array("messages"))
        ]
        details: dict[str, Any] = {}
        echo: dict[str, Any] = {}  # keys that say nothing beyond the IR, sent back only to this protocol

        tools = top.array("tools")
        if tools is not None:
            request.tools = [decode_tool(raw, f"tools[{i}]") for i, raw in enumerate(tools)]
            if not tools:
                echo["tools"] = []
        decode_tool_choice(top, request, details)
        decode_response_format(top, request, details)
        self._decode_settings(top, request.settings, details)

        stream = top.boolean("stream")
        request.stream = bool(stream)
        if stream is False:
            echo["stream"] = False
        options = top.reader("stream_options")
        if options is not None:
            request.stream_usage = bool(options.boolean("include_usage"))
            details["stream_options"] = dict(options.data)

        for key, value in top.leftovers().items():
            if value is None:
                echo[key] = None
            else:
                request.extra[key] = value
        request.provider_details = make_details(echo=echo or None, **details)
        return request

    def _decode_settings(self, top: _Reader, settings: ir.GenerationSettings, details: dict[str, Any]) -> None:
        for key in _MAX_TOKENS_KEYS:  # both given: the second stays in `extra`, verbatim
            value = top.integer(key)
            if value is not None:
                settings.max_tokens = value
                if key != self._max_tokens_key:
                    details["max_tokens_key"] = key
                break
        for key in _NUMBER_SETTINGS:
            _set_if_given(settings, key, top.number(key))
        for key in _INTEGER_SETTINGS:
            _set_if_given(settings, key, top.integer(key))
        for key in _BOOLEAN_SETTINGS:
            _set_if_given(settings, key, top.boolean(key))
        for key in _STRING_SETTINGS:
            _set_if_given(settings, key, top.string(key))
        for key in _OBJECT_SETTINGS:
            _set_if_given(settings, key, top.mapping(key))
        for token, bias in (top.mapping("logit_bias") or {}).items():
            if not _is_number(bias):
                raise ProtocolError(f"logit_bias.{token} must be a number")
        stop = top.take("stop")
        if isinstance(stop, str):
            settings.stop = [stop]
            details["stop_form"] = "string"
        elif isinstance(stop, list):
            items = cast("list[Any]", stop)
            for i, item in enumerate(items):
                if not isinstance(item, str):
                    raise ProtocolError(f"stop[{i}] must be a string")
            settings.stop = cast("list[str]", items)
        elif stop is not None:
            raise ProtocolError("stop must be a string or an array of strings")

    def encode_request(self, request: ir.Request, *, model: str) -> tuple[dict[str, Any], list[ir.Adaptation]]:
        report = Report()
        mine = codec_details(request.provider_details)
        body: dict[str, Any] = {"model": model, "messages": MessageEncoder(report).encode(request.messages)}
        if request.tools:
            body["tools"] = [encode_tool(tool) for tool in request.tools]
        if not isinstance(request.tool_choice, ir.Unset):
            body["tool_choice"] = encode_tool_choice(request.tool_choice, detail_section(mine, "tool_choice"))
        if ir.is_set(request.response_format):
            body["response_format"] = encode_response_format(
                request.response_format, detail_section(mine, "response_format")
            )
        self._encode_settings(request.settings, mine, body, report)
        if request.stream:
            body["stream"] = True
        encode_stream_options(request, mine, body)
        merge_missing(body, mine.get("echo"))
        if request.source == self.name:
            merge_missing(body, request.extra)
        else:
            for key in request.extra:
                report.add(key, "dropped", f"not a Chat Completions parameter (from {request.source})")
        return body, report.items

    def _encode_settings(
        self, settings: ir.GenerationSettings, mine: Mapping[str, Any], body: dict[str, Any], report: Report
    ) -> None:
        if ir.is_set(settings.max_tokens):
            key = mine.get("max_tokens_key")
            body[key if key in _MAX_TOKENS_KEYS else self._max_tokens_key] = settings.max_tokens
        for key in _PLAIN_SETTINGS:
            value = getattr(settings, key)
            if ir.is_set(value):
                body[key] = value
        if ir.is_set(settings.stop):
            as_string = mine.get("stop_form") == "string" and len(settings.stop) == 1
            body["stop"] = settings.stop[0] if as_string else list(settings.stop)
        if ir.is_set(settings.top_k):
            report.add("top_k", "dropped", "Chat Completions has no top_k")
        if ir.is_set(settings.reasoning_budget):
            report.add("reasoning_budget", "dropped", "Chat Completions takes reasoning_effort, not a token budget")

    # responses -----------------------------------------------------------------------------------------------
    def decode_response(self, data: Mapping[str, Any]) -> ir.Response:
        top = _Reader(data, "")
        choices = [decode_choice(raw, f"choices[{i}]") for i, raw in enumerate(top.required_array("choices"))]
        top.take("object")
        response = ir.Response(
            id=top.string("id") or "",
            model=top.string("model") or "",
            choices=choices,
            created=top.integer("created") or 0,
        )
        raw_usage = top.mapping("usage")
        usage_as_sent = None
        if raw_usage is not None:
            response.usage = decode_usage(raw_usage, "usage")
            usage_as_sent = raw_usage if encode_usage(response.usage) != raw_usage else None
        response.provider_details = make_details(usage=usage_as_sent, **unread_extras(top))
        return response

    def encode_response(self, response: ir.Response) -> dict[str, Any]:
        mine = codec_details(response.provider_details)
        wire: dict[str, Any] = {
            "id": response.id,
            "object": "chat.completion",
            "created": response.created,
            "model": response.model,
            "choices": [encode_choice(choice) for choice in response.choices],
        }
        if response.usage is not None:
            stored = mine.get("usage")
            matches = isinstance(stored, Mapping) and decode_usage(cast("Mapping[str, Any]", stored)) == response.usage
            wire["usage"] = stored if matches else encode_usage(response.usage)
        merge_missing(wire, mine.get("extra"))
        return wire
