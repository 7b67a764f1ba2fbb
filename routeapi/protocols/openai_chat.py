"""OpenAI Chat Completions (``POST /chat/completions``): requests, responses, streams and errors.

Round trips are exact. What the IR does not model survives a decode/encode through this codec: unknown top-level
parameters in ``Request.extra``; explicit nulls, unknown nested keys and wire-form choices (string or parts content,
``max_tokens`` or ``max_completion_tokens``, a data URL's exact spelling...) in ``provider_details["openai_chat"]``.
A stored wire form is reused only while it still matches the IR value, so an edited IR is never overridden.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import urllib.parse
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any, Final, Literal, cast

from .. import ir
from ..errors import (
    AuthenticationError,
    BadRequest,
    ContentFiltered,
    ContextLengthExceeded,
    NotFound,
    Overloaded,
    PermissionDenied,
    ProtocolError,
    ProviderError,
    RateLimited,
    ServerError,
    StreamInterrupted,
    Timeout,
)
from ._checks import Reader as _Reader
from ._checks import is_number as _is_number
from ._checks import set_if_given as _set_if_given
from .sse import SSEEvent

__all__ = [
    "TERMINATOR",
    "OpenAIChatCodec",
    "OpenAIChatStreamDecoder",
    "OpenAIChatStreamEncoder",
    "error_from_body",
    "parse_data_url",
    "to_data_url",
]

NAME: Final = "openai_chat"
TERMINATOR: Final = "[DONE]"
"""The stream's last ``data:`` line; the transport writes it once the encoder has seen ``StreamEnd``."""

_ROLES: Final[tuple[ir.Role, ...]] = ("system", "developer", "user", "assistant", "tool")
_PART_TYPES: Final[dict[str, frozenset[str]]] = {
    "system": frozenset({"text"}),
    "developer": frozenset({"text"}),
    "tool": frozenset({"text"}),
    "user": frozenset({"text", "image_url", "input_audio", "file"}),
    "assistant": frozenset({"text", "refusal"}),
}
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
_TOOL_CHOICE_STRINGS: Final = ("auto", "none", "required")

_FINISH_FROM_WIRE: Final[dict[str, ir.FinishReason]] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}
_FINISH_TO_WIRE: Final[dict[str, str]] = {
    "stop": "stop",
    "stop_sequence": "stop",
    "pause": "stop",
    "other": "stop",
    "malformed_tool_call": "stop",
    "length": "length",
    "context_length": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
}

_ContentForm = Literal["string", "parts", "null", "absent"]


# -- public helpers ------------------------------------------------------------------------------------------------
def parse_data_url(url: str) -> tuple[str, bytes] | None:
    """``data:<media type>[;base64],<payload>`` -> (media type, bytes); None when ``url`` is not a valid data URL.
    The media type keeps its parameters (``text/plain;charset=utf-8``); RFC 2397's default is ``text/plain``."""
    if url[:5].lower() != "data:" or "," not in url:
        return None
    header, _, payload = url[5:].partition(",")
    media_type, is_base64 = header, False
    if header.lower().endswith(";base64"):
        media_type, is_base64 = header[: -len(";base64")], True
    if not is_base64:
        return media_type or "text/plain", urllib.parse.unquote_to_bytes(payload)
    data = _b64decode(payload)
    return None if data is None else (media_type or "text/plain", data)


def to_data_url(media_type: str, data: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def error_from_body(status: int | None, body: object, headers: Mapping[str, str] | None = None) -> ProviderError:
    """An OpenAI error response (``{"error": {"message", "type", "param", "code"}}``) -> the routeapi error.

    ``status`` None (or below 400, as for an error sent inside a 200 stream) means no HTTP status applies: the class
    then follows the error's ``code``/``type``.
    """
    error = _error_object(body)
    http_status = status if status is not None and status >= 400 else None
    message = _error_message(error, body, http_status)
    code = None if error.get("code") is None else str(error["code"])
    lowered = {key.lower(): value for key, value in (headers or {}).items()}
    common: dict[str, Any] = {
        "status_code": status,
        "headers": headers,
        "body": body,
        "code": code,
        "upstream_request_id": lowered.get("x-request-id"),
    }
    effective = http_status if http_status is not None else _status_from_error(error, code)
    if effective == 400:
        if code == "context_length_exceeded" or "maximum context length" in message.lower():
            return ContextLengthExceeded(message, **common)
        if code == "content_filter":
            return ContentFiltered(message, categories=_content_filter_categories(error), **common)
        return BadRequest(message, **common)
    if effective == 401:
        return AuthenticationError(message, **common)
    if effective == 403:
        return PermissionDenied(message, **common)
    if effective == 404:
        return NotFound(message, **common)
    if effective in (408, 504):
        return Timeout(message, **common)
    if effective == 429:
        return RateLimited(message, retry_after=_retry_after(lowered), **common)
    if effective in (503, 529):
        return Overloaded(message, **common)
    if effective is not None and 400 <= effective < 500:
        return BadRequest(message, **common)
    return ServerError(message, **common)


# -- the codec -----------------------------------------------------------------------------------------------------
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
            _decode_message(raw, f"messages[{i}]") for i, raw in enumerate(top.required_array("messages"))
        ]
        details: dict[str, Any] = {}
        echo: dict[str, Any] = {}  # keys that say nothing beyond the IR, sent back only to this protocol

        tools = top.array("tools")
        if tools is not None:
            request.tools = [_decode_tool(raw, f"tools[{i}]") for i, raw in enumerate(tools)]
            if not tools:
                echo["tools"] = []
        _decode_tool_choice(top, request, details)
        _decode_response_format(top, request, details)
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
        request.provider_details = _details(echo=echo or None, **details)
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
        report = _Report()
        mine = _mine(request.provider_details)
        body: dict[str, Any] = {"model": model, "messages": _MessageEncoder(report).encode(request.messages)}
        if request.tools:
            body["tools"] = [_encode_tool(tool) for tool in request.tools]
        if not isinstance(request.tool_choice, ir.Unset):
            body["tool_choice"] = _encode_tool_choice(request.tool_choice, _section(mine, "tool_choice"))
        if ir.is_set(request.response_format):
            body["response_format"] = _encode_response_format(
                request.response_format, _section(mine, "response_format")
            )
        self._encode_settings(request.settings, mine, body, report)
        if request.stream:
            body["stream"] = True
        _encode_stream_options(request, mine, body)
        _merge(body, mine.get("echo"))
        if request.source == self.name:
            _merge(body, request.extra)
        else:
            for key in request.extra:
                report.add(key, "dropped", f"not a Chat Completions parameter (from {request.source})")
        return body, report.items

    def _encode_settings(
        self, settings: ir.GenerationSettings, mine: Mapping[str, Any], body: dict[str, Any], report: _Report
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
        choices = [_decode_choice(raw, f"choices[{i}]") for i, raw in enumerate(top.required_array("choices"))]
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
            response.usage = _decode_usage(raw_usage, "usage")
            usage_as_sent = raw_usage if _encode_usage(response.usage) != raw_usage else None
        response.provider_details = _details(usage=usage_as_sent, **_extras(top))
        return response

    def encode_response(self, response: ir.Response) -> dict[str, Any]:
        mine = _mine(response.provider_details)
        wire: dict[str, Any] = {
            "id": response.id,
            "object": "chat.completion",
            "created": response.created,
            "model": response.model,
            "choices": [_encode_choice(choice) for choice in response.choices],
        }
        if response.usage is not None:
            stored = mine.get("usage")
            matches = isinstance(stored, Mapping) and _decode_usage(cast("Mapping[str, Any]", stored)) == response.usage
            wire["usage"] = stored if matches else _encode_usage(response.usage)
        _merge(wire, mine.get("extra"))
        return wire


# -- streams -------------------------------------------------------------------------------------------------------
class OpenAIChatStreamDecoder:
    """``ChatCompletionChunk`` SSE events -> IR stream events.

    Per choice, a run of text (or of refusal text) and each tool call is one part, numbered in order of appearance;
    a new part closes the previous one. (A tool-call fragment that arrives after its part closed still yields a
    ``ToolArgumentsDelta`` for that part rather than losing data.)
    """

    __slots__ = ("_choices", "_done", "_started")

    def __init__(self) -> None:
        self._started = False
        self._done = False
        self._choices: dict[int, _ChoiceParts] = {}

    def feed(self, item: SSEEvent) -> list[ir.StreamEvent]:
        if self._done:
            return []
        if item.data.startswith(TERMINATOR):
            self._done = True
            return [ir.StreamEnd()]
        try:
            payload = json.loads(item.data)
        except ValueError:
            raise ProtocolError(f"stream chunk is not valid JSON: {item.data[:80]!r}") from None
        if not isinstance(payload, dict):
            raise ProtocolError(f"stream chunk is not a JSON object: {item.data[:80]!r}")
        chunk = cast("dict[str, Any]", payload)
        if chunk.get("error"):
            raise error_from_body(None, chunk)
        return self._chunk(_Reader(chunk, "chunk"))

    def end(self) -> list[ir.StreamEvent]:
        if not self._done:
            raise StreamInterrupted(f"the Chat Completions stream ended without its data: {TERMINATOR} terminator")
        return []

    def _chunk(self, chunk: _Reader) -> list[ir.StreamEvent]:
        events: list[ir.StreamEvent] = []
        choices = chunk.array("choices") or []
        usage = chunk.mapping("usage")
        # Wait for content: Azure sends a first chunk with an empty id and only prompt-filter results.
        if not self._started and (choices or usage is not None):
            self._started = True
            events.append(self._message_start(chunk))
        for i, raw in enumerate(choices):
            events.extend(self._choice(_Reader(raw, chunk.at(f"choices[{i}]"))))
        if usage is not None:
            events.append(ir.UsageUpdate(_decode_usage(usage, chunk.at("usage"))))
        return events

    @staticmethod
    def _message_start(chunk: _Reader) -> ir.MessageStart:
        kept = {
            key: value
            for key, value in chunk.data.items()
            if key not in ("id", "object", "created", "model", "choices", "usage", "obfuscation")
        }
        return ir.MessageStart(
            id=chunk.string("id") or "",
            model=chunk.string("model") or "",
            created=chunk.integer("created") or 0,
            provider_details=_details(extra=kept or None),
        )

    def _choice(self, choice: _Reader) -> list[ir.StreamEvent]:
        index = choice.integer("index") or 0
        parts = self._choices.setdefault(index, _ChoiceParts(index))
        events: list[ir.StreamEvent] = []
        delta = choice.reader("delta")
        if delta is not None:
            content = delta.string("content")
            if content:
                events.extend(parts.text("text", content))
            refusal = delta.string("refusal")
            if refusal:
                events.extend(parts.text("refusal", refusal))
            for i, raw in enumerate(delta.array("tool_calls") or []):
                events.extend(parts.tool_fragment(_Reader(raw, delta.at(f"tool_calls[{i}]"))))
        finish = choice.string("finish_reason")
        if finish:  # some compatible servers send "" for "not yet"
            events.extend(parts.close())
            reason = _finish_from_wire(finish)
            details = _details(finish_reason=_finish_as_sent(finish, reason))
            events.append(ir.Finish(reason, index, provider_details=details))
        return events


class _ChoiceParts:
    """Part numbering for one streamed choice."""

    __slots__ = ("_choice", "_next", "_open", "_open_kind", "_tools")

    def __init__(self, choice: int) -> None:
        self._choice = choice
        self._next = 0
        self._open: int | None = None
        self._open_kind: str | None = None
        self._tools: dict[int, int] = {}  # tool_calls[].index -> part index

    def text(self, kind: Literal["text", "refusal"], text: str) -> list[ir.StreamEvent]:
        events: list[ir.StreamEvent] = []
        index = self._open
        if index is None or self._open_kind != kind:
            events.extend(self.close())
            index = self._start(kind)
            marker = _details(refusal=True) if kind == "refusal" else None
            events.append(ir.PartStart(index, ir.TextPart("", provider_details=marker), self._choice))
        events.append(ir.TextDelta(index, text, self._choice))
        return events

    def tool_fragment(self, call: _Reader) -> list[ir.StreamEvent]:
        wire_index = self._wire_index(call)
        function = call.reader("function")
        arguments = function.string("arguments") if function is not None else None
        events: list[ir.StreamEvent] = []
        if wire_index not in self._tools:
            events.extend(self.close())
            name = function.string("name") if function is not None else None
            part = ir.ToolCallPart(id=call.string("id") or "", name=name or "")
            self._tools[wire_index] = self._start("tool")
            events.append(ir.PartStart(self._tools[wire_index], part, self._choice))
        if arguments:
            events.append(ir.ToolArgumentsDelta(self._tools[wire_index], arguments, self._choice))
        return events

    def _wire_index(self, call: _Reader) -> int:
        index = call.integer("index")
        if index is not None:
            return index
        # Some OpenAI-compatible servers omit `index`: a fragment with an id starts the next call, others continue.
        if call.peek("id") or not self._tools:
            return max(self._tools, default=-1) + 1
        return list(self._tools)[-1]

    def close(self) -> list[ir.StreamEvent]:
        if self._open is None:
            return []
        index, self._open, self._open_kind = self._open, None, None
        return [ir.PartEnd(index, self._choice)]

    def _start(self, kind: str) -> int:
        self._open, self._open_kind = self._next, kind
        self._next += 1
        return self._open


class OpenAIChatStreamEncoder:
    """IR stream events -> ``ChatCompletionChunk`` dicts, following the rules the SDK's accumulator relies on: one
    id/created/model throughout, ``role`` in each choice's first delta, a tool call's id/type/name only in its first
    fragment (``index`` = its ordinal among the choice's tool calls), ``delta: {}`` with the finish reason, and with
    ``include_usage`` a ``"usage": null`` on every chunk plus one ``choices: []`` usage chunk before the end.
    Reasoning events are dropped: Chat Completions has no reasoning text. ``finished`` turns true on ``StreamEnd``,
    when the transport writes ``data: [DONE]``."""

    __slots__ = ("_choices", "_envelope", "_include_usage", "_usage", "finished")

    def __init__(self, *, include_usage: bool = False) -> None:
        self._include_usage = include_usage
        self._envelope: dict[str, Any] | None = None
        self._choices: dict[int, _ChoiceOutput] = {}
        self._usage: ir.Usage | None = None
        self.finished = False

    def encode(self, event: ir.StreamEvent) -> list[dict[str, Any]]:
        if isinstance(event, ir.MessageStart):
            envelope = {
                "id": event.id,
                "object": "chat.completion.chunk",
                "created": event.created,
                "model": event.model,
            }
            _merge(envelope, _mine(event.provider_details).get("extra"))
            self._envelope = envelope
            return []
        if isinstance(event, ir.UsageUpdate):
            self._usage = event.usage
            return []
        if isinstance(event, ir.StreamEnd):
            self.finished = True
            if self._include_usage and self._usage is not None:
                return [self._chunk([], usage=_encode_usage(self._usage))]
            return []
        if isinstance(event, (ir.PartEnd, ir.ThinkingDelta)):
            return []
        if isinstance(event, ir.Finish):
            chunks = [] if self._output(event.choice).started else self._delta(event.choice, {})
            reason = _finish_to_wire(event.reason, _mine(event.provider_details))
            return [*chunks, self._chunk([_choice_chunk(event.choice, {}, reason)])]
        if isinstance(event, ir.PartStart):
            return self._part_start(event)
        if isinstance(event, ir.TextDelta):
            return self._text(event.choice, self._output(event.choice).kinds.get(event.index, "text"), event.text)
        ordinal = self._output(event.choice).tool_ordinals.get(event.index)
        if ordinal is None:
            raise ProtocolError(f"tool arguments for part {event.index}, which is not a started tool call")
        if not event.arguments:
            return []
        return self._delta(
            event.choice, {"tool_calls": [{"index": ordinal, "function": {"arguments": event.arguments}}]}
        )

    def _part_start(self, event: ir.PartStart) -> list[dict[str, Any]]:
        output = self._output(event.choice)
        part = event.part
        if isinstance(part, ir.ThinkingPart):
            output.kinds[event.index] = "skip"
            return []
        if isinstance(part, ir.TextPart):
            kind = "refusal" if _mine(part.provider_details).get("refusal") else "text"
            output.kinds[event.index] = kind
            return self._text(event.choice, kind, part.text)
        ordinal = len(output.tool_ordinals)
        output.tool_ordinals[event.index] = ordinal
        output.kinds[event.index] = "tool"
        function = {"name": part.name, "arguments": part.arguments}
        call: dict[str, Any] = {"index": ordinal, "id": part.id, "type": "function", "function": function}
        return self._delta(event.choice, {"tool_calls": [call]})

    def _text(self, choice: int, kind: str, text: str) -> list[dict[str, Any]]:
        if kind == "skip" or not text:
            return []
        return self._delta(choice, {"refusal" if kind == "refusal" else "content": text})

    def _output(self, choice: int) -> _ChoiceOutput:
        return self._choices.setdefault(choice, _ChoiceOutput())

    def _delta(self, choice: int, delta: dict[str, Any]) -> list[dict[str, Any]]:
        """A content chunk; the first one of each choice carries the role. The SDK accumulator adds choices in
        index order, so choices below this one that have not spoken yet get a role-only chunk first."""
        chunks: list[dict[str, Any]] = []
        for earlier in range(choice):
            if not self._output(earlier).started:
                self._output(earlier).started = True
                chunks.append(self._chunk([_choice_chunk(earlier, {"role": "assistant"}, None)]))
        output = self._output(choice)
        if not output.started:
            output.started = True
            delta = {"role": "assistant", **delta}
        chunks.append(self._chunk([_choice_chunk(choice, delta, None)]))
        return chunks

    def _chunk(self, choices: list[dict[str, Any]], *, usage: dict[str, Any] | None = None) -> dict[str, Any]:
        if self._envelope is None:
            raise ProtocolError("stream event before MessageStart")
        chunk = {**self._envelope, "choices": choices}
        if self._include_usage:
            chunk["usage"] = usage
        return chunk


class _ChoiceOutput:
    __slots__ = ("kinds", "started", "tool_ordinals")

    def __init__(self) -> None:
        self.started = False
        self.kinds: dict[int, str] = {}  # part index -> "text" | "refusal" | "tool" | "skip"
        self.tool_ordinals: dict[int, int] = {}  # part index -> tool_calls[].index


def _choice_chunk(index: int, delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
    return {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish_reason}


# -- reading JSON --------------------------------------------------------------------------------------------------


def _b64decode(text: str) -> bytes | None:
    compact = "".join(text.split())
    try:
        return base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


# -- provider_details helpers --------------------------------------------------------------------------------------
def _details(**entries: Any) -> dict[str, Any] | None:
    """``provider_details`` for this codec, holding only the entries that say something."""
    kept = {key: value for key, value in entries.items() if value is not None}
    return {NAME: kept} if kept else None


def _extras(outer: _Reader, inner: _Reader | None = None) -> dict[str, Any]:
    """The keys an object (and its one nested object) carried beyond what was read."""
    extras: dict[str, Any] = {}
    if outer_left := outer.leftovers():
        extras["extra"] = outer_left
    if inner is not None and (inner_left := inner.leftovers()):
        extras["inner_extra"] = inner_left
    return extras


def _mine(provider_details: Mapping[str, Any] | None) -> Mapping[str, Any]:
    value = (provider_details or {}).get(NAME)
    return cast("Mapping[str, Any]", value) if isinstance(value, Mapping) else {}


def _section(mine: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = mine.get(key)
    return cast("Mapping[str, Any]", value) if isinstance(value, Mapping) else {}


def _merge(target: dict[str, Any], extra: object) -> None:
    """Adds stored keys without overriding what the encoder set."""
    if isinstance(extra, Mapping):
        for key, value in cast("Mapping[str, Any]", extra).items():
            target.setdefault(key, value)


def _with_extras(wire: dict[str, Any], details: Mapping[str, Any], inner: str | None = None) -> dict[str, Any]:
    _merge(wire, details.get("extra"))
    if inner is not None and isinstance(wire.get(inner), dict):
        _merge(wire[inner], details.get("inner_extra"))
    return wire


# -- decoding requests ---------------------------------------------------------------------------------------------
def _decode_message(raw: object, path: str) -> ir.Message:
    message = _Reader(raw, path)
    role = message.required_string("role")
    if role not in _ROLES:
        raise ProtocolError(f"{message.at('role')} must be one of {', '.join(_ROLES)} (got {role!r})")
    if role == "tool":
        return _decode_tool_message(message)
    parts, form = _decode_content(message, role)
    if role == "assistant":
        refusal = message.string("refusal")
        if refusal is not None:
            parts.append(ir.RefusalPart(refusal))
        calls = message.array("tool_calls")
        if calls:
            parts.extend(_decode_tool_call(call, message.at(f"tool_calls[{i}]")) for i, call in enumerate(calls))
        elif calls is not None:
            message.keep("tool_calls")  # an empty list says nothing: kept verbatim
    name = message.string("name")
    return ir.Message(role, parts, name, provider_details=_details(content=form, **_extras(message)))


def _decode_tool_message(message: _Reader) -> ir.Message:
    tool_call_id = message.required_string("tool_call_id")
    parts, form = _decode_content(message, "tool")
    texts = [part for part in parts if isinstance(part, ir.TextPart)]
    details = _details(content=form, **_extras(message))
    content: list[ir.ContentPart] = [*texts]
    return ir.Message("tool", [ir.ToolResultPart(tool_call_id, content, provider_details=details)])


def _decode_content(message: _Reader, role: ir.Role) -> tuple[list[ir.Part], _ContentForm | None]:
    """The content as parts, plus its wire form when the encoder's default would not reproduce it."""
    value = message.take("content") if role == "assistant" else message.required("content")
    if isinstance(value, str):
        return [ir.TextPart(value)], None
    if value is None:  # assistant only: null is the default for no content; absence must be remembered
        if not message.has("content"):
            return [], "absent"
        message.claim("content")
        return [], None
    if isinstance(value, list):
        items = cast("list[Any]", value)
        path = message.at("content")
        parts = [_decode_part(item, f"{path}[{i}]", role) for i, item in enumerate(items)]
        return parts, (None if _default_form(role, items) == "parts" else "parts")
    raise ProtocolError(f"{message.at('content')} must be a string or an array of content parts")


def _decode_part(raw: object, path: str, role: ir.Role) -> ir.Part:
    part = _Reader(raw, path)
    kind = part.required_string("type")
    if kind not in _PART_TYPES[role]:
        raise ProtocolError(f"{part.at('type')}: {kind!r} parts are not allowed in {role} messages")
    if kind == "text":
        return ir.TextPart(part.required_string("text"), provider_details=_details(**_extras(part)))
    if kind == "refusal":
        text = part.required_string("refusal")
        return ir.RefusalPart(text, provider_details=_details(in_content=True, **_extras(part)))
    if kind == "image_url":
        return _decode_image(part)
    if kind == "input_audio":
        audio = part.required_reader("input_audio")
        encoded = audio.required_string("data")
        data = _b64decode(encoded)
        if data is None:
            raise ProtocolError(f"{audio.at('data')} is not valid base64")
        audio_format = audio.required_string("format")
        as_sent = encoded if base64.b64encode(data).decode("ascii") != encoded else None
        return ir.AudioPart(data, audio_format, provider_details=_details(data=as_sent, **_extras(part, audio)))
    return _decode_file(part)


def _decode_image(part: _Reader) -> ir.ImagePart:
    image = part.required_reader("image_url")
    url = image.required_string("url")
    detail = image.string("detail")
    if url[:5].lower() != "data:":
        return ir.ImagePart(url=url, detail=detail, provider_details=_details(**_extras(part, image)))
    parsed = parse_data_url(url)
    if parsed is None:
        raise ProtocolError(f"{image.at('url')} is not a valid data URL")
    media_type, data = parsed
    as_sent = url if to_data_url(media_type, data) != url else None
    details = _details(url=as_sent, **_extras(part, image))
    return ir.ImagePart(data=data, media_type=media_type, detail=detail, provider_details=details)


def _decode_file(part: _Reader) -> ir.DocumentPart:
    file = part.required_reader("file")
    document = ir.DocumentPart(filename=file.string("filename"))
    file_data = file.string("file_data")
    as_sent = None
    if file_data is not None:
        decoded = _decode_file_data(file_data)
        if decoded is None:
            raise ProtocolError(f"{file.at('file_data')} is neither a data URL nor base64")
        document.media_type, document.data = decoded
        if to_data_url(document.media_type or "application/pdf", document.data) != file_data:
            as_sent = file_data
    file_id = file.string("file_id")
    unnamed = True if file_data is not None and document.filename is None else None
    details = _details(file_data=as_sent, file_id=file_id, unnamed=unnamed, **_extras(part, file))
    document.provider_details = details
    return document


def _decode_file_data(value: str) -> tuple[str | None, bytes] | None:
    """``file_data`` is normally a data URL; plain base64 is accepted too."""
    if value[:5].lower() == "data:":
        return parse_data_url(value)
    data = _b64decode(value)
    return None if data is None else (None, data)


def _decode_tool_call(raw: object, path: str) -> ir.ToolCallPart:
    call = _Reader(raw, path)
    call_id = call.required_string("id")
    kind = call.required_string("type")
    if kind not in ("function", "custom"):
        raise ProtocolError(f"{call.at('type')} must be 'function' or 'custom' (got {kind!r})")
    body = call.required_reader(kind)
    name = body.required_string("name")
    arguments = body.required_string("arguments" if kind == "function" else "input")
    details = _details(type="custom" if kind == "custom" else None, **_extras(call, body))
    return ir.ToolCallPart(call_id, name, arguments, provider_details=details)


def _decode_tool(raw: object, path: str) -> ir.Tool:
    tool = _Reader(raw, path)
    kind = tool.required_string("type")
    if kind not in ("function", "custom"):
        raise ProtocolError(f"{tool.at('type')} must be 'function' or 'custom' (got {kind!r})")
    body = tool.required_reader(kind)
    name = body.required_string("name")
    description = body.string("description")
    if kind == "custom":  # format and the like stay in provider_details
        details = _details(type="custom", **_extras(tool, body))
        return ir.Tool(name, description, provider_details=details)
    parameters = body.mapping("parameters")
    strict = body.boolean("strict")
    return ir.Tool(name, description, parameters, strict, provider_details=_details(**_extras(tool, body)))


def _decode_tool_choice(top: _Reader, request: ir.Request, details: dict[str, Any]) -> None:
    raw = top.peek("tool_choice")
    if raw is None:
        return
    if isinstance(raw, str):
        if raw not in _TOOL_CHOICE_STRINGS:
            raise ProtocolError(f"tool_choice must be one of {', '.join(_TOOL_CHOICE_STRINGS)} or an object")
        top.take("tool_choice")
        request.tool_choice = cast("ir.ToolChoice", raw)
        return
    if not isinstance(raw, Mapping):
        raise ProtocolError("tool_choice must be a string or an object")
    if cast("Mapping[str, Any]", raw).get("type") != "function":
        return  # allowed_tools, custom and future forms stay in `extra`, verbatim
    choice = top.required_reader("tool_choice")
    choice.take("type")
    function = choice.required_reader("function")
    request.tool_choice = ir.NamedToolChoice(function.required_string("name"))
    details["tool_choice"] = _extras(choice, function) or None


def _decode_response_format(top: _Reader, request: ir.Request, details: dict[str, Any]) -> None:
    raw = top.peek("response_format")
    if raw is None:
        return
    if not isinstance(raw, Mapping):
        raise ProtocolError("response_format must be an object")
    kind = cast("Mapping[str, Any]", raw).get("type")
    if kind not in ("text", "json_object", "json_schema"):
        if not isinstance(kind, str):
            raise ProtocolError("response_format.type must be a string")
        return  # a future format: kept in `extra`, verbatim
    response_format = top.required_reader("response_format")
    response_format.take("type")
    if kind != "json_schema":
        request.response_format = ir.ResponseFormat(kind)
        details["response_format"] = _extras(response_format) or None
        return
    schema = response_format.required_reader("json_schema")
    request.response_format = ir.ResponseFormat(
        "json_schema",
        name=schema.required_string("name"),
        schema=schema.mapping("schema"),
        description=schema.string("description"),
        strict=schema.boolean("strict"),
    )
    details["response_format"] = _extras(response_format, schema) or None


# -- encoding requests ---------------------------------------------------------------------------------------------
class _Report:
    """The adaptations an encoding made, each reported once."""

    def __init__(self) -> None:
        self.items: list[ir.Adaptation] = []

    def add(self, param: str, action: Literal["dropped", "adapted"], reason: str) -> None:
        adaptation = ir.Adaptation(param, action, reason)
        if adaptation not in self.items:
            self.items.append(adaptation)


class _MessageEncoder:
    """IR messages -> Chat Completions messages. Tool results become ``tool`` messages (several per IR message
    when another protocol grouped them); their non-text content cannot live in a tool message, so it moves to a
    user message placed right after the run of tool messages."""

    def __init__(self, report: _Report) -> None:
        self._report = report
        self._moved: list[dict[str, Any]] = []

    def encode(self, messages: list[ir.Message]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for i, message in enumerate(messages):
            for wire in self._message(message, f"messages[{i}]"):
                if wire["role"] != "tool":
                    self._flush_moved(out)
                out.append(wire)
        self._flush_moved(out)
        return out

    def _flush_moved(self, out: list[dict[str, Any]]) -> None:
        if self._moved:
            out.append({"role": "user", "content": self._moved})
            self._moved = []

    def _message(self, message: ir.Message, path: str) -> list[dict[str, Any]]:
        if message.role == "assistant":
            return [self.assistant(message, path)]
        mine = _mine(message.provider_details)
        results = [part for part in message.parts if isinstance(part, ir.ToolResultPart)]
        wires = [self._tool_message(result, path) for result in results]
        if message.role == "tool":
            for part in message.parts:
                if not isinstance(part, ir.ToolResultPart):
                    self._report.add(f"{path}.content", "dropped", f"{part.kind} part outside a tool result")
            return wires
        others = [part for part in message.parts if not isinstance(part, ir.ToolResultPart)]
        if results and not others:
            return wires
        items = [item for part in others if (item := self._item(part, message.role, path)) is not None]
        wire: dict[str, Any] = {"role": message.role}
        _put_content(wire, message.role, items, mine.get("content"))
        if message.name is not None:
            wire["name"] = message.name
        return [*wires, _with_extras(wire, mine)]

    def assistant(self, message: ir.Message, path: str) -> dict[str, Any]:
        items: list[dict[str, Any]] = []
        refusals: list[str] = []
        calls: list[dict[str, Any]] = []
        for part in message.parts:
            if isinstance(part, ir.RefusalPart):
                details = _mine(part.provider_details)
                if details.get("in_content"):
                    items.append(_with_extras({"type": "refusal", "refusal": part.text}, details))
                else:
                    refusals.append(part.text)
            elif isinstance(part, ir.ToolCallPart):
                calls.append(_encode_tool_call(part))
            elif (item := self._item(part, "assistant", path)) is not None:
                items.append(item)
        mine = _mine(message.provider_details)
        wire: dict[str, Any] = {"role": "assistant"}
        _put_content(wire, "assistant", items, mine.get("content"))
        if refusals:
            wire["refusal"] = "".join(refusals)
        if calls:
            wire["tool_calls"] = calls
        if message.name is not None:
            wire["name"] = message.name
        return _with_extras(wire, mine)

    def _tool_message(self, result: ir.ToolResultPart, path: str) -> dict[str, Any]:
        items: list[dict[str, Any]] = []
        for part in result.content:
            if isinstance(part, ir.TextPart) or (isinstance(part, ir.DocumentPart) and _is_text_document(part)):
                item = self._item(part, "tool", path)
                if item is not None:
                    items.append(item)
            elif (item := self._item(part, "user", path)) is not None:
                self._moved.append(item)
                self._report.add(
                    f"{path}.tool_result", "adapted", "non-text tool result content moved to a following user message"
                )
        if result.is_error:
            self._report.add(f"{path}.tool_result.is_error", "dropped", "tool messages cannot mark an error")
        mine = _mine(result.provider_details)
        wire: dict[str, Any] = {"role": "tool", "tool_call_id": result.tool_call_id}
        _put_content(wire, "tool", items, mine.get("content"))
        return _with_extras(wire, mine)

    def _item(self, part: ir.Part, role: ir.Role, path: str) -> dict[str, Any] | None:
        """One content part for a message of this role, or None (reported) when the role cannot carry it."""
        if isinstance(part, ir.ThinkingPart):
            self._report.add("thinking", "dropped", "Chat Completions takes no reasoning content in history")
            return None
        if isinstance(part, ir.TextPart):
            return _with_extras({"type": "text", "text": part.text}, _mine(part.provider_details))
        if isinstance(part, ir.DocumentPart) and _is_text_document(part):
            self._report.add(f"{path}.content", "adapted", "a text document is sent as a text part")
            return {"type": "text", "text": part.text}
        if role == "user":
            if isinstance(part, ir.ImagePart):
                return self._image(part, path)
            if isinstance(part, ir.AudioPart):
                return _encode_audio(part)
            if isinstance(part, ir.DocumentPart):
                return self._document(part, path)
        self._report.add(f"{path}.content", "dropped", f"{part.kind} parts cannot appear in {role} messages")
        return None

    def _image(self, part: ir.ImagePart, path: str) -> dict[str, Any] | None:
        details = _mine(part.provider_details)
        if part.data is not None:
            stored = details.get("url")
            reusable = isinstance(stored, str) and parse_data_url(stored) == (part.media_type, part.data)
            media_type = part.media_type or _sniff_image_type(part.data)
            url = cast("str", stored) if reusable else to_data_url(media_type, part.data)
        elif part.url is not None:
            url = part.url
        else:
            self._report.add(f"{path}.content", "dropped", "an image with neither data nor URL")
            return None
        image: dict[str, Any] = {"url": url}
        if part.detail is not None:
            image["detail"] = part.detail
        return _with_extras({"type": "image_url", "image_url": image}, details, "image_url")

    def _document(self, part: ir.DocumentPart, path: str) -> dict[str, Any] | None:
        details = _mine(part.provider_details)
        file: dict[str, Any] = {}
        if part.data is not None:
            stored = details.get("file_data")
            reusable = isinstance(stored, str) and _decode_file_data(stored) == (part.media_type, part.data)
            file["file_data"] = stored if reusable else to_data_url(part.media_type or "application/pdf", part.data)
        if isinstance(details.get("file_id"), str):
            file["file_id"] = details["file_id"]
        if not file:
            self._report.add(f"{path}.content", "dropped", "Chat Completions cannot fetch documents by URL")
            return None
        if part.filename is not None:
            file["filename"] = part.filename
        elif "file_data" in file and not details.get("unnamed"):
            file["filename"] = "document.pdf"  # OpenAI rejects file_data without a filename
        return _with_extras({"type": "file", "file": file}, details, "file")


def _is_text_document(part: ir.DocumentPart) -> bool:
    return part.text is not None and part.data is None


def _encode_audio(part: ir.AudioPart) -> dict[str, Any]:
    details = _mine(part.provider_details)
    stored = details.get("data")
    reusable = isinstance(stored, str) and _b64decode(stored) == part.data
    data = stored if reusable else base64.b64encode(part.data).decode("ascii")
    return _with_extras(
        {"type": "input_audio", "input_audio": {"data": data, "format": part.format}}, details, "input_audio"
    )


def _sniff_image_type(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"GIF8"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


def _default_form(role: str, items: list[Any]) -> _ContentForm:
    """How content is written unless the caller used another form: one plain text part as a string, nothing as
    null (assistant) or "" (others), anything else as parts."""
    if not items:
        return "null" if role == "assistant" else "string"
    if len(items) == 1 and _is_plain_text(items[0]):
        return "string"
    return "parts"


def _is_plain_text(item: object) -> bool:
    return (
        isinstance(item, Mapping)
        and set(cast("Mapping[str, Any]", item)) == {"type", "text"}
        and (cast("Mapping[str, Any]", item)["type"] == "text")
    )


def _put_content(wire: dict[str, Any], role: str, items: list[dict[str, Any]], form: object) -> None:
    fits = (
        form == "parts"
        or (form == "string" and all(_is_plain_text(item) for item in items))
        or (form in ("null", "absent") and not items)
    )
    chosen = form if fits else _default_form(role, items)
    if chosen == "string":
        wire["content"] = "".join(item["text"] for item in items)
    elif chosen == "parts":
        wire["content"] = items
    elif chosen == "null":
        wire["content"] = None


def _encode_tool_call(part: ir.ToolCallPart) -> dict[str, Any]:
    details = _mine(part.provider_details)
    if details.get("type") == "custom":
        wire = {"id": part.id, "type": "custom", "custom": {"name": part.name, "input": part.arguments}}
        return _with_extras(wire, details, "custom")
    wire = {"id": part.id, "type": "function", "function": {"name": part.name, "arguments": part.arguments}}
    return _with_extras(wire, details, "function")


def _encode_tool(tool: ir.Tool) -> dict[str, Any]:
    details = _mine(tool.provider_details)
    kind = "custom" if details.get("type") == "custom" else "function"
    body: dict[str, Any] = {"name": tool.name}
    if tool.description is not None:
        body["description"] = tool.description
    if kind == "function":
        if tool.parameters is not None:
            body["parameters"] = tool.parameters
        if tool.strict is not None:
            body["strict"] = tool.strict
    return _with_extras({"type": kind, kind: body}, details, kind)


def _encode_tool_choice(choice: ir.ToolChoice, details: Mapping[str, Any]) -> str | dict[str, Any]:
    if isinstance(choice, str):
        return choice
    return _with_extras({"type": "function", "function": {"name": choice.name}}, details, "function")


def _encode_response_format(response_format: ir.ResponseFormat, details: Mapping[str, Any]) -> dict[str, Any]:
    if response_format.type != "json_schema":
        return _with_extras({"type": response_format.type}, details)
    schema: dict[str, Any] = {"name": response_format.name or "response"}  # the name is required
    if response_format.description is not None:
        schema["description"] = response_format.description
    if response_format.schema is not None:
        schema["schema"] = response_format.schema
    if response_format.strict is not None:
        schema["strict"] = response_format.strict
    return _with_extras({"type": "json_schema", "json_schema": schema}, details, "json_schema")


def _encode_stream_options(request: ir.Request, mine: Mapping[str, Any], body: dict[str, Any]) -> None:
    """``include_usage`` follows ``stream_usage`` (a router may turn it on to meter usage); other options the
    caller sent are kept."""
    stored = mine.get("stream_options")
    options = dict(cast("Mapping[str, Any]", stored)) if isinstance(stored, Mapping) else {}
    if request.stream_usage:
        if request.stream:
            options["include_usage"] = True
    elif options.get("include_usage") is True:
        del options["include_usage"]
    if options or isinstance(stored, Mapping):
        body["stream_options"] = options


# -- responses -----------------------------------------------------------------------------------------------------
def _decode_choice(raw: object, path: str) -> ir.Choice:
    choice = _Reader(raw, path)
    index = choice.integer("index")
    message = _decode_message(choice.required("message"), choice.at("message"))
    finish = choice.string("finish_reason")
    reason = None if finish is None else _finish_from_wire(finish)
    logprobs = choice.take("logprobs")
    as_sent = _finish_as_sent(finish, reason) if finish is not None and reason is not None else None
    extras = _extras(choice)
    filtered = cast("dict[str, Any] | None", extras.get("extra", {}).get("content_filter_results"))
    return ir.Choice(
        message,
        reason,
        index=0 if index is None else index,
        logprobs=logprobs,
        content_filter=filtered if reason == "content_filter" else None,
        provider_details=_details(finish_reason=as_sent, **extras),
    )


def _encode_choice(choice: ir.Choice) -> dict[str, Any]:
    mine = _mine(choice.provider_details)
    message = _MessageEncoder(_Report()).assistant(choice.message, "message")
    wire: dict[str, Any] = {"index": choice.index, "message": message}
    if choice.finish_reason is not None:
        wire["finish_reason"] = _finish_to_wire(choice.finish_reason, mine)
    if choice.logprobs is not None:
        wire["logprobs"] = choice.logprobs
    _merge(wire, mine.get("extra"))
    wire.setdefault("finish_reason", "stop")  # required by the SDK's ChatCompletion
    return wire


def _finish_from_wire(reason: str) -> ir.FinishReason:
    return _FINISH_FROM_WIRE.get(reason, "other")


def _finish_to_wire(reason: ir.FinishReason, details: Mapping[str, Any]) -> str:
    stored = details.get("finish_reason")
    if isinstance(stored, str) and _finish_from_wire(stored) == reason:
        return stored
    return _FINISH_TO_WIRE[reason]


def _finish_as_sent(wire: str, reason: ir.FinishReason) -> str | None:
    """The wire reason when the IR reason would not give it back (``function_call``, a vendor's own)."""
    return wire if _FINISH_TO_WIRE[reason] != wire else None


def _decode_usage(raw: Mapping[str, Any], path: str = "usage") -> ir.Usage:
    usage = _Reader(raw, path)
    prompt_details = usage.reader("prompt_tokens_details")
    completion_details = usage.reader("completion_tokens_details")
    return ir.Usage(
        input_tokens=usage.integer("prompt_tokens") or 0,
        output_tokens=usage.integer("completion_tokens") or 0,
        cache_read_tokens=(prompt_details.integer("cached_tokens") if prompt_details else None) or 0,
        cache_write_tokens=(prompt_details.integer("cache_write_tokens") if prompt_details else None) or 0,
        reasoning_tokens=(completion_details.integer("reasoning_tokens") if completion_details else None) or 0,
    )


def _encode_usage(usage: ir.Usage) -> dict[str, Any]:
    prompt_details: dict[str, Any] = {"cached_tokens": usage.cache_read_tokens}
    if usage.cache_write_tokens:
        prompt_details["cache_write_tokens"] = usage.cache_write_tokens
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": prompt_details,
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


# -- errors --------------------------------------------------------------------------------------------------------
_STATUS_BY_ERROR: Final[dict[str, int]] = {
    "invalid_request_error": 400,
    "context_length_exceeded": 400,
    "content_filter": 400,
    "authentication_error": 401,
    "invalid_api_key": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "model_not_found": 404,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "insufficient_quota": 429,
    "tokens": 429,
    "requests": 429,
    "server_error": 500,
    "overloaded_error": 503,
}


def _error_object(body: object) -> Mapping[str, Any]:
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8", errors="replace")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return {}
    if not isinstance(body, Mapping):
        return {}
    error = cast("Mapping[str, Any]", body).get("error")
    return cast("Mapping[str, Any]", error) if isinstance(error, Mapping) else cast("Mapping[str, Any]", body)


def _error_message(error: Mapping[str, Any], body: object, status: int | None) -> str:
    message = error.get("message")
    if isinstance(message, str) and message:
        return message
    if isinstance(body, str) and body.strip():
        return body.strip()[:200]
    return f"upstream error (HTTP {status})" if status is not None else "upstream error"


def _status_from_error(error: Mapping[str, Any], code: str | None) -> int | None:
    for key in (code, error.get("type")):
        if isinstance(key, str) and key in _STATUS_BY_ERROR:
            return _STATUS_BY_ERROR[key]
    return None


def _content_filter_categories(error: Mapping[str, Any]) -> dict[str, Any]:
    inner = error.get("innererror")
    if isinstance(inner, Mapping):
        result = cast("Mapping[str, Any]", inner).get("content_filter_result")
        if isinstance(result, Mapping):
            return dict(cast("Mapping[str, Any]", result))
    return {}


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait, from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds is not None:
        try:
            return max(float(milliseconds) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


usage_from_wire = _decode_usage
"""A Chat Completions ``usage`` object -> IR usage (used by the same-protocol stream relay)."""
