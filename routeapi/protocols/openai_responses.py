"""OpenAI Responses API (``POST /responses``): requests, responses, streams and errors.

Round trips are exact for bodies this codec decoded. Unmodelled top-level parameters (``previous_response_id``,
``store``, ``include``, ``text.verbosity``...) sit in ``Request.extra``; wire-form choices (string or parts content,
item ids and statuses, typed or "easy" messages...) in ``provider_details["openai_responses"]``.

How the item list maps to the IR:

- ``instructions`` is a leading system message marked as such. From other protocols, system/developer messages
  become ``instructions`` when they all lead the conversation, else they stay input messages in place.
- Consecutive assistant-side items (reasoning, assistant messages, function calls) form one assistant message, as
  every other protocol has it; each part remembers which item it came from, so the items come back as they were.
- Each ``function_call_output`` item is one ``tool`` message.
- Items the IR cannot model (``item_reference``, hosted-tool calls...) stay in ``Request.extra`` under their input
  path (``"input[3]"``): another protocol reports them dropped, this codec puts them back in place.
- Hosted tools (web search, file search, MCP...) stay in ``Request.extra["tools"]``. :func:`check_portable` refuses
  to route them, or files referenced by id, to another protocol: losing them silently would change the answer.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, cast

from .. import ir
from ..errors import (
    BadRequest,
    ContentFiltered,
    ProtocolError,
    ProviderError,
    ServerError,
    StreamInterrupted,
    UnsupportedFeature,
)
from ._checks import Reader as _Reader
from ._checks import set_if_given as _set_if_given
from .openai_chat import error_from_body, parse_data_url, to_data_url
from .sse import SSEEvent

__all__ = [
    "OpenAIResponsesCodec",
    "OpenAIResponsesStreamDecoder",
    "OpenAIResponsesStreamEncoder",
    "check_portable",
]

NAME: Final = "openai_responses"

_MESSAGE_ROLES: Final[tuple[ir.Role, ...]] = ("user", "assistant", "system", "developer")
_ASSISTANT_ITEMS: Final = frozenset({"message", "function_call", "reasoning"})
_TOOL_CHOICE_STRINGS: Final = ("auto", "none", "required")
_FORMAT_TYPES: Final = ("text", "json_object", "json_schema")
_INPUT_PATH: Final = re.compile(r"input\[(\d+)\]")
_PARAGRAPH_BREAK: Final = "\n\n"

# Settings whose wire name is the GenerationSettings field name.
_PLAIN_SETTINGS: Final = ("temperature", "top_p", "parallel_tool_calls", "top_logprobs", "metadata")
_DROPPED_SETTINGS: Final[dict[str, str]] = {
    "top_k": "the Responses API has no top_k",
    "stop": "the Responses API has no stop sequences",
    "seed": "the Responses API has no seed",
    "presence_penalty": "the Responses API has no presence_penalty",
    "frequency_penalty": "the Responses API has no frequency_penalty",
    "logit_bias": "the Responses API has no logit_bias",
    "reasoning_budget": "the Responses API takes reasoning.effort, not a token budget",
}
_LOGPROBS_INCLUDE: Final = "message.output_text.logprobs"

_INCOMPLETE_FINISH: Final[dict[str, ir.FinishReason]] = {
    "max_output_tokens": "length",
    "content_filter": "content_filter",
}
_INCOMPLETE_REASON: Final[dict[str, str]] = {
    "length": "max_output_tokens",
    "context_length": "max_output_tokens",
    "content_filter": "content_filter",
}
# Failure codes of a `failed` response that are the caller's fault (error_from_body only knows HTTP-style codes).
_CONTENT_POLICY_CODES: Final = frozenset(
    {"image_content_policy_violation", "bio_policy", "misalignment_policy_violation"}
)
_CLIENT_CODE_PREFIXES: Final = ("invalid_", "image_", "empty_", "unsupported_", "failed_to_download", "data_residency")

_ContentForm = Literal["string", "parts"]


# -- public helpers ------------------------------------------------------------------------------------------------
def check_portable(request: ir.Request, target: str) -> None:
    """Raise ``UnsupportedFeature`` when a request this codec decoded needs OpenAI itself and ``target`` is another
    protocol: a built-in tool (web search, MCP...) or a file referenced by ``file_id``. Other codecs would only
    report the ``tools`` extra as dropped, and a missing tool silently changes what the model does."""
    if request.source != NAME or target == NAME:
        return
    hosted = _list(request.extra.get("tools")) or []
    if hosted:
        kind = cast("Mapping[str, Any]", hosted[0]).get("type") if isinstance(hosted[0], Mapping) else None
        raise UnsupportedFeature(f"built-in tool {kind} is only available on OpenAI")
    for i, message in enumerate(request.messages):
        for part in message.parts:
            inner = part.content if isinstance(part, ir.ToolResultPart) else [part]
            for piece in inner:
                if isinstance(piece, (ir.ImagePart, ir.DocumentPart)) and "file_id" in _mine(piece.provider_details):
                    raise UnsupportedFeature(f"messages[{i}]: a file referenced by file_id is only available on OpenAI")


# -- the codec -----------------------------------------------------------------------------------------------------
class OpenAIResponsesCodec:
    """Responses API bodies <-> IR."""

    name = NAME

    # requests ------------------------------------------------------------------------------------------------
    def decode_request(self, body: Mapping[str, Any]) -> ir.Request:
        top = _Reader(body, "")
        request = ir.Request(model=top.string("model") or "", source=self.name)
        details: dict[str, Any] = {}
        echo: dict[str, Any] = {}  # keys that say nothing beyond the IR, sent back only to this protocol

        instructions = top.string("instructions")
        if instructions is not None:
            marker = _details(instructions=True)
            request.messages.append(ir.Message("system", [ir.TextPart(instructions)], provider_details=marker))
        request.messages.extend(_decode_input(top, request.extra, details))
        _decode_tools(top, request, details, echo)
        _decode_tool_choice(top, request, details)
        _decode_text(top, request, details)
        _decode_settings(top, request.settings, details)
        stream = top.boolean("stream")
        request.stream = bool(stream)
        if stream is False:
            echo["stream"] = False

        for key, value in top.leftovers().items():
            if value is None:
                echo[key] = None
            else:
                request.extra[key] = value
        request.provider_details = _details(echo=echo or None, **details)
        return request

    def encode_request(self, request: ir.Request, *, model: str) -> tuple[dict[str, Any], list[ir.Adaptation]]:
        report = _Report()
        same_source = request.source == self.name
        mine: Mapping[str, Any] = _mine(request.provider_details) if same_source else {}
        body: dict[str, Any] = {"model": model}
        instructions, items = _InputEncoder(report, same_source).encode(request.messages)
        if same_source:
            _insert_opaque_items(items, request.extra)
        if instructions is not None:
            body["instructions"] = instructions
        _put_input(body, items, mine.get("input"))
        _encode_tools(body, request, mine)
        if not isinstance(request.tool_choice, ir.Unset):
            body["tool_choice"] = _encode_tool_choice(request.tool_choice, _section(mine, "tool_choice"))
        if ir.is_set(request.response_format):
            body["text"] = {"format": _encode_format(request.response_format, _section(mine, "format"))}
        _encode_settings(request.settings, mine, body, report)
        if request.stream:
            body["stream"] = True
        _merge(body, mine.get("echo"))
        if same_source:
            _merge_extra(body, request.extra)
        else:
            for key in request.extra:
                report.add(key, "dropped", f"not a Responses API parameter (from {request.source})")
        return body, report.items

    # responses -----------------------------------------------------------------------------------------------
    def decode_response(self, data: Mapping[str, Any]) -> ir.Response:
        top = _Reader(data, "")
        status = top.string("status")
        if status == "failed":
            raise _failure(data)
        top.take("object")
        parts: list[ir.Part] = []
        opaque: list[list[Any]] = []
        for i, raw in enumerate(top.required_array("output")):
            item = _Reader(raw, f"output[{i}]")
            kind = _item_type(item, f"output[{i}]")
            if kind in _ASSISTANT_ITEMS:
                parts.extend(_decode_assistant_item(item, kind))
            else:  # hosted-tool calls and future items: kept for a same-protocol round trip
                opaque.append([i, dict(item.data)])
        message = ir.Message("assistant", parts)
        incomplete = top.mapping("incomplete_details")
        reason = _finish_from_wire(status, incomplete, _has_calls(parts))
        as_sent = {"status": status, "incomplete_details": incomplete}
        finish = as_sent if _finish_to_wire(reason) != (status, incomplete) else None
        choice = ir.Choice(message, reason, provider_details=_details(finish=finish, opaque_output=opaque or None))

        created_at = top.number("created_at")
        created = int(created_at) if created_at is not None else 0
        response = ir.Response(
            id=top.string("id") or "", model=top.string("model") or "", choices=[choice], created=created
        )
        raw_usage = top.mapping("usage")
        usage_as_sent = None
        if raw_usage is not None:
            response.usage = _decode_usage(raw_usage, "usage")
            usage_as_sent = raw_usage if _encode_usage(response.usage) != raw_usage else None
        created_as_sent = created_at if created_at is not None and created_at != created else None
        response.provider_details = _details(created_at=created_as_sent, usage=usage_as_sent, **_extras(top))
        return response

    def encode_response(self, response: ir.Response) -> dict[str, Any]:
        mine = _mine(response.provider_details)
        choice = response.choices[0] if response.choices else ir.Choice(ir.Message("assistant"))
        choice_details = _mine(choice.provider_details)
        parts = choice.message.parts
        output = _AssistantEncoder(_Report(), _ItemIds(response.id), output=True).encode(parts, "output")
        for entry in cast("list[Any]", choice_details.get("opaque_output") or []):
            position, item = cast("list[Any]", entry)
            output.insert(min(int(position), len(output)), item)
        status, incomplete = _status(choice, _section(choice_details, "finish"))
        usage: Mapping[str, Any] | None = None
        if response.usage is not None:
            stored_usage = _section(mine, "usage")
            same = bool(stored_usage) and _decode_usage(stored_usage) == response.usage
            usage = stored_usage if same else _encode_usage(response.usage)
        created_at = mine.get("created_at")
        if not (isinstance(created_at, (int, float)) and int(created_at) == response.created):
            created_at = response.created
        wire = _response_envelope(response.id, response.model, created_at, status, output, usage)
        wire["incomplete_details"] = incomplete
        _merge(wire, mine.get("extra"))
        return _with_response_defaults(wire)


# -- streams -------------------------------------------------------------------------------------------------------
@dataclass
class _StreamItem:
    """One output item as the decoder follows it."""

    kind: str
    parts: dict[int, int] = field(default_factory=lambda: {})  # content index (0 for calls, reasoning) -> IR part
    open: list[int] = field(default_factory=lambda: [])
    received: dict[int, str] = field(default_factory=lambda: {})  # IR part -> text or arguments so far
    summaries: int = 0


class OpenAIResponsesStreamDecoder:
    """Responses stream events (SSE, dispatched on the JSON ``type``) -> IR stream events.

    Each ``output_text``/``refusal`` content part, function call and reasoning item is one part, numbered in order
    of appearance. Reasoning summary parts are joined with a blank line. A ``*.done`` or ``output_item.done`` that
    carries more than its deltas did yields the missing text, and a terminal response whose items never streamed
    yields them whole. ``encrypted_content`` does not fit a stream event and is not carried.
    """

    __slots__ = ("_done", "_handlers", "_items", "_next_part", "_saw_calls", "_started")

    def __init__(self) -> None:
        self._started = False
        self._done = False
        self._next_part = 0
        self._saw_calls = False
        self._items: dict[int, _StreamItem] = {}  # output_index -> item
        self._handlers: dict[str, Callable[[_Reader], list[ir.StreamEvent]]] = {
            "response.created": self._lifecycle,
            "response.queued": self._lifecycle,
            "response.in_progress": self._lifecycle,
            "response.completed": self._terminal,
            "response.incomplete": self._terminal,
            "response.output_item.added": self._item_added,
            "response.output_item.done": self._item_done,
            "response.content_part.added": self._content_added,
            "response.content_part.done": self._content_done,
            "response.output_text.delta": self._content_delta,
            "response.refusal.delta": self._content_delta,
            "response.output_text.done": self._content_text_done,
            "response.refusal.done": self._content_text_done,
            "response.function_call_arguments.delta": self._arguments_delta,
            "response.function_call_arguments.done": self._arguments_done,
            "response.reasoning_summary_part.added": self._summary_part_added,
            "response.reasoning_summary_text.delta": self._reasoning_delta,
            "response.reasoning_text.delta": self._reasoning_delta,
        }

    def feed(self, item: SSEEvent) -> list[ir.StreamEvent]:
        if self._done or item.data.strip() == "[DONE]":
            return []
        try:
            payload = json.loads(item.data)
        except ValueError:
            raise ProtocolError(f"stream event is not valid JSON: {item.data[:80]!r}") from None
        if not isinstance(payload, dict):
            raise ProtocolError(f"stream event is not a JSON object: {item.data[:80]!r}")
        event = _Reader(cast("dict[str, Any]", payload), "event")
        kind = event.string("type") or item.event or ""
        if kind == "error":
            raise _failure(event.data)
        if kind == "response.failed":
            raise _failure(event.required_reader("response").data)
        handler = self._handlers.get(kind)
        if handler is None:
            return []  # hosted-tool progress, annotations and future events
        events: list[ir.StreamEvent] = []
        if not self._started:
            self._started = True
            events.append(self._message_start(event))
        events.extend(handler(event))
        return events

    def end(self) -> list[ir.StreamEvent]:
        if not self._done:
            raise StreamInterrupted("the Responses stream ended without response.completed or response.incomplete")
        return []

    # lifecycle -----------------------------------------------------------------------------------------------
    @staticmethod
    def _message_start(event: _Reader) -> ir.MessageStart:
        response = _Reader(event.peek("response") or {}, event.at("response"))
        created_at = response.number("created_at")
        return ir.MessageStart(
            id=response.string("id") or "",
            model=response.string("model") or "",
            created=int(created_at) if created_at is not None else 0,
        )

    def _lifecycle(self, event: _Reader) -> list[ir.StreamEvent]:
        return []  # feed() turned the first lifecycle event into MessageStart; the others say nothing new

    def _terminal(self, event: _Reader) -> list[ir.StreamEvent]:
        response = event.required_reader("response")
        events: list[ir.StreamEvent] = []
        if not self._items:  # nothing streamed: a server that only sends the final response
            for i, raw in enumerate(response.array("output") or []):
                events.extend(self._whole_item(i, _Reader(raw, response.at(f"output[{i}]"))))
        for index in sorted(i for item in self._items.values() for i in item.open):
            events.append(ir.PartEnd(index))
        for item in self._items.values():
            item.open.clear()
        usage = response.mapping("usage")
        if usage is not None:
            events.append(ir.UsageUpdate(_decode_usage(usage, response.at("usage"))))
        status = response.string("status") or event.string("type")
        if status is not None and status.startswith("response."):
            status = status[len("response.") :]
        reason = _finish_from_wire(status, response.mapping("incomplete_details"), self._saw_calls)
        events.extend([ir.Finish(reason or "stop"), ir.StreamEnd()])
        self._done = True
        return events

    # items ---------------------------------------------------------------------------------------------------
    def _item_added(self, event: _Reader) -> list[ir.StreamEvent]:
        index = event.integer("output_index") or 0
        item = event.required_reader("item")
        return self._start_item(index, item)

    def _start_item(self, output_index: int, item: _Reader) -> list[ir.StreamEvent]:
        kind = item.string("type") or ""
        state = _StreamItem(kind if kind in _ASSISTANT_ITEMS else "other")
        self._items[output_index] = state
        item_id = _details(extra={"id": item.peek("id")}) if isinstance(item.peek("id"), str) else None
        if kind == "function_call":
            self._saw_calls = True
            part = ir.ToolCallPart(item.string("call_id") or "", item.string("name") or "", provider_details=item_id)
            return self._start_part(state, 0, part, item.string("arguments") or "")
        if kind == "reasoning":
            return self._start_part(state, 0, ir.ThinkingPart(provider_details=item_id), "")
        return []

    def _start_part(
        self, state: _StreamItem, key: int, part: ir.TextPart | ir.ToolCallPart | ir.ThinkingPart, initial: str
    ) -> list[ir.StreamEvent]:
        index = self._next_part
        self._next_part += 1
        state.parts[key] = index
        state.open.append(index)
        state.received[index] = ""
        return [ir.PartStart(index, part), *self._delta(state, index, initial)]

    def _delta(self, state: _StreamItem, index: int, text: str) -> list[ir.StreamEvent]:
        if not text or index not in state.open:
            return []
        state.received[index] += text
        if state.kind == "function_call":
            return [ir.ToolArgumentsDelta(index, text)]
        if state.kind == "reasoning":
            return [ir.ThinkingDelta(index, text)]
        return [ir.TextDelta(index, text)]

    def _rest(self, state: _StreamItem, index: int, full: str | None) -> list[ir.StreamEvent]:
        """What a ``.done`` event carries beyond the deltas received (servers that skip deltas)."""
        received = state.received.get(index, "")
        if full is None or not full.startswith(received):
            return []
        return self._delta(state, index, full[len(received) :])

    def _item_done(self, event: _Reader) -> list[ir.StreamEvent]:
        output_index = event.integer("output_index") or 0
        item = event.required_reader("item")
        if output_index not in self._items:
            return self._whole_item(output_index, item)
        state = self._items[output_index]
        events: list[ir.StreamEvent] = []
        if state.kind == "function_call":
            events.extend(self._rest(state, state.parts[0], item.string("arguments")))
        return events + self._close(state, list(state.open))

    def _whole_item(self, output_index: int, item: _Reader) -> list[ir.StreamEvent]:
        """An item that arrived complete: start, content and end at once."""
        events = self._start_item(output_index, item)
        state = self._items[output_index]
        if state.kind == "message":
            for j, raw in enumerate(item.array("content") or []):
                content = _Reader(raw, item.at(f"content[{j}]"))
                kind = content.string("type")
                text = content.string("refusal" if kind == "refusal" else "text") or ""
                events.extend(self._start_part(state, j, _stream_text_part(kind), text))
        elif state.kind == "reasoning":
            text = _reasoning_text(item.peek("summary"), item.peek("content"))
            events.extend(self._delta(state, state.parts[0], text))
        return events + self._close(state, list(state.open))

    @staticmethod
    def _close(state: _StreamItem, indexes: list[int]) -> list[ir.StreamEvent]:
        events: list[ir.StreamEvent] = []
        for index in indexes:
            if index in state.open:
                state.open.remove(index)
                events.append(ir.PartEnd(index))
        return events

    def _item(self, event: _Reader) -> _StreamItem | None:
        return self._items.get(event.integer("output_index") or 0)

    # content -------------------------------------------------------------------------------------------------
    def _content_added(self, event: _Reader) -> list[ir.StreamEvent]:
        state = self._item(event)
        if state is None or state.kind != "message":
            return []
        part = event.required_reader("part")
        kind = part.string("type")
        text = part.string("refusal" if kind == "refusal" else "text") or ""
        return self._start_part(state, event.integer("content_index") or 0, _stream_text_part(kind), text)

    def _content_delta(self, event: _Reader) -> list[ir.StreamEvent]:
        state = self._item(event)
        if state is None or state.kind != "message":
            return []
        delta = event.string("delta") or ""
        content_index = event.integer("content_index") or 0
        if content_index not in state.parts:  # the server skipped content_part.added
            kind = "refusal" if event.string("type") == "response.refusal.delta" else "output_text"
            return self._start_part(state, content_index, _stream_text_part(kind), delta)
        return self._delta(state, state.parts[content_index], delta)

    def _content_text_done(self, event: _Reader) -> list[ir.StreamEvent]:
        state = self._item(event)
        index = self._content_part(state, event)
        if state is None or index is None:
            return []
        full = event.string("refusal") if event.string("type") == "response.refusal.done" else event.string("text")
        return self._rest(state, index, full)

    def _content_done(self, event: _Reader) -> list[ir.StreamEvent]:
        state = self._item(event)
        index = self._content_part(state, event)
        if state is None or index is None:
            return []
        return self._close(state, [index])

    @staticmethod
    def _content_part(state: _StreamItem | None, event: _Reader) -> int | None:
        if state is None or state.kind != "message":
            return None
        return state.parts.get(event.integer("content_index") or 0)

    def _arguments_delta(self, event: _Reader) -> list[ir.StreamEvent]:
        state = self._item(event)
        if state is None or state.kind != "function_call":
            return []
        return self._delta(state, state.parts[0], event.string("delta") or "")

    def _arguments_done(self, event: _Reader) -> list[ir.StreamEvent]:
        state = self._item(event)
        if state is None or state.kind != "function_call":
            return []
        return self._rest(state, state.parts[0], event.string("arguments"))

    def _summary_part_added(self, event: _Reader) -> list[ir.StreamEvent]:
        state = self._item(event)
        if state is None or state.kind != "reasoning":
            return []
        state.summaries += 1
        if state.summaries == 1 or not state.received.get(state.parts[0]):
            return []
        return self._delta(state, state.parts[0], _PARAGRAPH_BREAK)

    def _reasoning_delta(self, event: _Reader) -> list[ir.StreamEvent]:
        state = self._item(event)
        if state is None or state.kind != "reasoning":
            return []
        return self._delta(state, state.parts[0], event.string("delta") or "")


def _stream_text_part(kind: str | None) -> ir.TextPart:
    return ir.TextPart("", provider_details=_details(refusal=True) if kind == "refusal" else None)


_StreamKind = Literal["text", "refusal", "function_call", "reasoning"]


@dataclass
class _OpenItem:
    """An output item the encoder has added and not yet finished."""

    part: int
    output_index: int
    kind: _StreamKind
    item: dict[str, Any]  # as added
    received: str = ""
    summary_open: bool = False


class OpenAIResponsesStreamEncoder:
    """IR stream events -> Responses stream events (dicts whose ``type`` is also the SSE event name), numbered by
    ``sequence_number`` from 0, in the order the SDK's accumulator checks: ``response.created`` and
    ``response.in_progress`` with an in-progress snapshot, then per part an output item (``output_index`` = its
    position in ``output``) with its content events, then ``response.completed`` (``response.incomplete`` for a
    length or content-filter finish) carrying the whole response.

    Each text part is one ``message`` item, each tool call a ``function_call`` item, each thinking part a
    ``reasoning`` item with one ``summary_text``; redacted thinking is skipped. Items are added as their parts
    start, so parts that interleave (OpenAI Chat streams several tool calls) stream side by side with distinct
    output indexes. Function calls finish at the ``Finish`` rather than at their ``PartEnd``: the Chat decoder
    may deliver a late fragment after a call's part ended. Only choice 0 is encoded."""

    __slots__ = (
        "_done",
        "_finish",
        "_ids",
        "_next_output",
        "_open",
        "_output",
        "_sequence",
        "_skipped",
        "_start",
        "_usage",
    )

    def __init__(self) -> None:
        self._sequence = 0
        self._start: ir.MessageStart | None = None
        self._ids = _ItemIds("")
        self._finish: ir.Finish | None = None
        self._usage: ir.Usage | None = None
        self._done = False
        self._open: dict[int, _OpenItem] = {}  # IR part index -> item still streaming
        self._skipped: set[int] = set()
        self._output: dict[int, dict[str, Any]] = {}  # output_index -> finished item
        self._next_output = 0

    def encode(self, event: ir.StreamEvent) -> list[dict[str, Any]]:
        if self._done or getattr(event, "choice", 0) != 0:
            return []
        out: list[dict[str, Any]] = []
        if self._start is None:
            out += self._begin(event if isinstance(event, ir.MessageStart) else ir.MessageStart(id="", model=""))
        if isinstance(event, ir.MessageStart):
            return out
        if isinstance(event, ir.UsageUpdate):
            self._usage = event.usage
        elif isinstance(event, ir.PartStart):
            out += self._part_start(event)
        elif isinstance(event, (ir.TextDelta, ir.ToolArgumentsDelta, ir.ThinkingDelta)):
            out += self._delta(event)
        elif isinstance(event, ir.PartEnd):
            out += self._part_end(event.index)
        elif isinstance(event, ir.Finish):
            self._finish = event
            out += self._close_all()
        else:
            self._done = True
            out += [*self._close_all(), self._terminal()]
        return out

    # lifecycle -----------------------------------------------------------------------------------------------
    def _begin(self, start: ir.MessageStart) -> list[dict[str, Any]]:
        self._start = start
        self._ids = _ItemIds(start.id)
        return [
            self._event("response.created", response=self._snapshot()),
            self._event("response.in_progress", response=self._snapshot()),
        ]

    def _snapshot(self) -> dict[str, Any]:
        start = self._start or ir.MessageStart(id="", model="")
        return _with_response_defaults(
            _response_envelope(start.id, start.model, start.created, "in_progress", [], None)
        )

    def _terminal(self) -> dict[str, Any]:
        start = self._start or ir.MessageStart(id="", model="")
        status, incomplete = _finish_to_wire(self._finish.reason if self._finish is not None else None)
        output = [self._output[index] for index in sorted(self._output)]
        usage = _encode_usage(self._usage) if self._usage is not None else None
        response = _response_envelope(start.id, start.model, start.created, status, output, usage)
        response["incomplete_details"] = incomplete
        kind = "response.completed" if status == "completed" else "response.incomplete"
        return self._event(kind, response=_with_response_defaults(response))

    def _event(self, kind: str, **fields: Any) -> dict[str, Any]:
        event = {"type": kind, **fields, "sequence_number": self._sequence}
        self._sequence += 1
        return event

    # items ---------------------------------------------------------------------------------------------------
    def _part_start(self, start: ir.PartStart) -> list[dict[str, Any]]:
        part = start.part
        if isinstance(part, ir.ThinkingPart) and part.redacted is not None and not part.text:
            self._skipped.add(start.index)  # opaque reasoning of another vendor: nothing to show
            return []
        output_index = self._next_output
        self._next_output += 1
        stored_id = _section(_mine(part.provider_details), "extra").get("id")
        kind: _StreamKind
        if isinstance(part, ir.TextPart):
            kind = "refusal" if _is_refusal(part) else "text"
            item: dict[str, Any] = {"type": "message", "status": "in_progress", "role": "assistant", "content": []}
            prefix, initial = "msg", part.text
        elif isinstance(part, ir.ToolCallPart):
            kind = "function_call"
            item = {"type": "function_call", "status": "in_progress", "call_id": part.id, "name": part.name}
            item["arguments"] = ""
            prefix, initial = "fc", part.arguments
        else:
            kind, prefix, initial = "reasoning", "rs", part.text
            item = {"type": "reasoning", "summary": []}
        item = {"id": stored_id if isinstance(stored_id, str) else self._ids.make(prefix, output_index), **item}
        opened = _OpenItem(start.index, output_index, kind, item)
        self._open[start.index] = opened
        out = [self._event("response.output_item.added", output_index=output_index, item=dict(item))]
        if kind in ("text", "refusal"):
            empty = _output_text("") if kind == "text" else _refusal("")
            out.append(self._event("response.content_part.added", **self._at(opened, 0), part=empty))
        return out + self._emit(opened, initial)

    def _delta(self, delta: ir.TextDelta | ir.ToolArgumentsDelta | ir.ThinkingDelta) -> list[dict[str, Any]]:
        if delta.index in self._skipped:
            return []
        opened = self._open.get(delta.index)
        if opened is None:
            raise ProtocolError(f"stream delta for part {delta.index}, which is not open")
        fits = (
            (isinstance(delta, ir.TextDelta) and opened.kind in ("text", "refusal"))
            or (isinstance(delta, ir.ToolArgumentsDelta) and opened.kind == "function_call")
            or (isinstance(delta, ir.ThinkingDelta) and opened.kind == "reasoning")
        )
        if not fits:
            raise ProtocolError(f"stream delta {type(delta).__name__} does not fit a {opened.kind} item")
        return self._emit(opened, delta.arguments if isinstance(delta, ir.ToolArgumentsDelta) else delta.text)

    def _emit(self, opened: _OpenItem, text: str) -> list[dict[str, Any]]:
        if not text:
            return []
        opened.received += text
        if opened.kind == "text":
            return [self._event("response.output_text.delta", **self._at(opened, 0), delta=text, logprobs=[])]
        if opened.kind == "refusal":
            return [self._event("response.refusal.delta", **self._at(opened, 0), delta=text)]
        if opened.kind == "function_call":
            return [self._event("response.function_call_arguments.delta", **self._at(opened), delta=text)]
        out: list[dict[str, Any]] = []
        if not opened.summary_open:
            opened.summary_open = True
            part = _summary("")
            out.append(self._event("response.reasoning_summary_part.added", **self._summary_at(opened), part=part))
        out.append(self._event("response.reasoning_summary_text.delta", **self._summary_at(opened), delta=text))
        return out

    def _part_end(self, index: int) -> list[dict[str, Any]]:
        opened = self._open.get(index)
        if opened is None or opened.kind == "function_call":  # calls finish with the response (late fragments)
            return []
        return self._close(opened)

    def _close_all(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for opened in sorted(self._open.values(), key=lambda item: item.output_index):
            out += self._close(opened)
        return out

    def _close(self, opened: _OpenItem) -> list[dict[str, Any]]:
        del self._open[opened.part]
        text = opened.received
        out: list[dict[str, Any]] = []
        done = dict(opened.item)
        if opened.kind in ("text", "refusal"):
            if opened.kind == "text":
                part = _output_text(text)
                out.append(self._event("response.output_text.done", **self._at(opened, 0), text=text, logprobs=[]))
            else:
                part = _refusal(text)
                out.append(self._event("response.refusal.done", **self._at(opened, 0), refusal=text))
            out.append(self._event("response.content_part.done", **self._at(opened, 0), part=dict(part)))
            done.update(status="completed", content=[part])
        elif opened.kind == "function_call":
            out.append(self._event("response.function_call_arguments.done", **self._at(opened), arguments=text))
            done.update(status="completed", arguments=text)
        else:
            summary = [_summary(text)] if opened.summary_open else []
            if opened.summary_open:
                out.append(self._event("response.reasoning_summary_text.done", **self._summary_at(opened), text=text))
                part = _summary(text)
                out.append(self._event("response.reasoning_summary_part.done", **self._summary_at(opened), part=part))
            done["summary"] = summary
        self._output[opened.output_index] = done
        out.append(self._event("response.output_item.done", output_index=opened.output_index, item=dict(done)))
        return out

    @staticmethod
    def _at(opened: _OpenItem, content_index: int | None = None) -> dict[str, Any]:
        where: dict[str, Any] = {"item_id": opened.item["id"], "output_index": opened.output_index}
        if content_index is not None:
            where["content_index"] = content_index
        return where

    @staticmethod
    def _summary_at(opened: _OpenItem) -> dict[str, Any]:
        return {"item_id": opened.item["id"], "output_index": opened.output_index, "summary_index": 0}


def _output_text(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": []}


def _refusal(text: str) -> dict[str, Any]:
    return {"type": "refusal", "refusal": text}


def _summary(text: str) -> dict[str, Any]:
    return {"type": "summary_text", "text": text}


def _is_refusal(part: ir.TextPart) -> bool:
    """A text part that carries refusal text (marked by this codec's or the Chat codec's stream decoder)."""
    details = part.provider_details or {}
    return any(
        isinstance(details.get(name), Mapping) and cast("Mapping[str, Any]", details[name]).get("refusal") is True
        for name in (NAME, "openai_chat")
    )


# -- decoding requests ---------------------------------------------------------------------------------------------
def _decode_input(top: _Reader, extra: dict[str, Any], details: dict[str, Any]) -> list[ir.Message]:
    raw = top.take("input")
    if raw is None:
        details["input"] = "absent"
        return []
    if isinstance(raw, str):
        details["input"] = "string"
        return [ir.Message("user", [ir.TextPart(raw)])]
    if not isinstance(raw, list):
        raise ProtocolError("input must be a string or an array of items")
    return _InputDecoder(extra).decode(cast("list[Any]", raw))


class _InputDecoder:
    """Input items -> IR messages. Assistant-side items that follow each other form one assistant message."""

    def __init__(self, extra: dict[str, Any]) -> None:
        self._extra = extra
        self._messages: list[ir.Message] = []
        self._turn: list[ir.Part] = []

    def decode(self, items: list[Any]) -> list[ir.Message]:
        for i, raw in enumerate(items):
            path = f"input[{i}]"
            item = _Reader(raw, path)
            kind = _item_type(item, path)
            if kind in ("function_call", "reasoning") or (kind == "message" and item.peek("role") == "assistant"):
                self._turn.extend(_decode_assistant_item(item, kind))
            elif kind == "message":
                self._flush()
                self._messages.append(_decode_input_message(item))
            elif kind == "function_call_output":
                self._flush()
                self._messages.append(_decode_tool_output(item))
            else:  # item_reference, hosted-tool calls and outputs, future items
                self._extra[path] = dict(item.data)
        self._flush()
        return self._messages

    def _flush(self) -> None:
        if self._turn:
            self._messages.append(ir.Message("assistant", self._turn))
            self._turn = []


def _item_type(item: _Reader, path: str) -> str:
    kind = item.peek("type")
    if kind is None:
        if item.has("role"):
            return "message"  # an "easy" message
        raise ProtocolError(f"{path}.type is required")
    if not isinstance(kind, str):
        raise ProtocolError(f"{path}.type must be a string")
    return kind


def _decode_input_message(item: _Reader) -> ir.Message:
    role = item.required_string("role")
    if role not in _MESSAGE_ROLES:
        raise ProtocolError(f"{item.at('role')} must be one of {', '.join(_MESSAGE_ROLES)} (got {role!r})")
    typed = item.string("type") is not None
    value = item.required("content")
    parts: list[ir.Part]
    form: _ContentForm | None = None
    if isinstance(value, str):
        parts = [ir.TextPart(value)]
    elif isinstance(value, list):
        raw_parts = cast("list[Any]", value)
        parts = [_decode_input_part(raw, item.at(f"content[{j}]")) for j, raw in enumerate(raw_parts)]
        form = "parts" if _stringable(raw_parts) else None
    else:
        raise ProtocolError(f"{item.at('content')} must be a string or an array of content parts")
    details = _details(typed=typed or None, content=form, **_extras(item))
    return ir.Message(cast("ir.Role", role), parts, provider_details=details)


def _decode_input_part(raw: object, path: str) -> ir.TextPart | ir.ImagePart | ir.DocumentPart:
    part = _Reader(raw, path)
    kind = part.required_string("type")
    if kind == "input_text":
        return ir.TextPart(part.required_string("text"), provider_details=_details(**_extras(part)))
    if kind == "input_image":
        return _decode_image(part)
    if kind == "input_file":
        return _decode_file(part)
    raise ProtocolError(f"{part.at('type')}: {kind!r} is not input_text, input_image or input_file")


def _decode_image(part: _Reader) -> ir.ImagePart:
    url = part.string("image_url")
    file_id = part.string("file_id")
    if url is None and file_id is None:
        raise ProtocolError(f"{part.at('image_url')} or {part.at('file_id')} is required")
    image = ir.ImagePart(detail=part.string("detail"))
    as_sent = None
    if url is not None and url[:5].lower() == "data:":
        parsed = parse_data_url(url)
        if parsed is None:
            raise ProtocolError(f"{part.at('image_url')} is not a valid data URL")
        image.media_type, image.data = parsed
        as_sent = url if to_data_url(*parsed) != url else None
    else:
        image.url = url
    no_detail = True if not part.has("detail") else None
    image.provider_details = _details(url=as_sent, file_id=file_id, no_detail=no_detail, **_extras(part))
    return image


def _decode_file(part: _Reader) -> ir.DocumentPart:
    file_data = part.string("file_data")
    file_id = part.string("file_id")
    document = ir.DocumentPart(filename=part.string("filename"), url=part.string("file_url"))
    if file_data is None and file_id is None and document.url is None:
        raise ProtocolError(f"{part.at('file_data')}, {part.at('file_id')} or {part.at('file_url')} is required")
    as_sent = None
    if file_data is not None:
        decoded = _decode_file_data(file_data)
        if decoded is None:
            raise ProtocolError(f"{part.at('file_data')} is neither a data URL nor base64")
        document.media_type, document.data = decoded
        as_sent = (
            file_data if to_data_url(document.media_type or "application/pdf", document.data) != file_data else None
        )
    unnamed = True if file_data is not None and document.filename is None else None
    document.provider_details = _details(file_data=as_sent, file_id=file_id, unnamed=unnamed, **_extras(part))
    return document


def _decode_tool_output(item: _Reader) -> ir.Message:
    item.take("type")
    call_id = item.required_string("call_id")
    value = item.required("output")
    form: _ContentForm | None = None
    content: list[ir.ContentPart]
    if isinstance(value, str):
        content = [ir.TextPart(value)]
    elif isinstance(value, list):
        raw_parts = cast("list[Any]", value)
        content = [_decode_input_part(raw, item.at(f"output[{j}]")) for j, raw in enumerate(raw_parts)]
        form = "parts" if _stringable(raw_parts) else None
    else:
        raise ProtocolError(f"{item.at('output')} must be a string or an array of content parts")
    result = ir.ToolResultPart(call_id, content, provider_details=_details(output=form, **_extras(item)))
    return ir.Message("tool", [result])


def _decode_assistant_item(item: _Reader, kind: str) -> list[ir.Part]:
    """A message, function call or reasoning item of the assistant (input history or response output)."""
    if kind == "function_call":
        item.take("type")
        call_id = item.required_string("call_id")
        name = item.required_string("name")
        arguments = item.required_string("arguments")
        return [ir.ToolCallPart(call_id, name, arguments, provider_details=_details(**_extras(item)))]
    if kind == "reasoning":
        return [_decode_reasoning(item)]
    role = item.required_string("role")
    if role != "assistant":
        raise ProtocolError(f"{item.at('role')} must be 'assistant' (got {role!r})")
    return _decode_assistant_message(item)


def _decode_assistant_message(item: _Reader) -> list[ir.Part]:
    """The item's parts; the first one carries the item's own wire form (``item``), which also marks where the next
    item starts when several follow each other."""
    typed = item.string("type") is not None
    value = item.required("content")
    form: str | None = None
    parts: list[ir.Part]
    if isinstance(value, str):
        parts, form = [ir.TextPart(value)], "string"
    elif isinstance(value, list):
        raws = cast("list[Any]", value)
        parts = [_decode_output_part(raw, item.at(f"content[{j}]")) for j, raw in enumerate(raws)]
        if not parts:
            parts, form = [ir.TextPart("")], "empty"
    else:
        raise ProtocolError(f"{item.at('content')} must be a string or an array of content parts")
    info = {"typed": typed or None, "content": form, **_extras(item)}
    _put_detail(parts[0], "item", {key: value for key, value in info.items() if value is not None})
    return parts


def _decode_output_part(raw: object, path: str) -> ir.TextPart | ir.RefusalPart:
    part = _Reader(raw, path)
    kind = part.required_string("type")
    if kind in ("output_text", "input_text"):
        text = part.required_string("text")
        wire_type = "input_text" if kind == "input_text" else None
        return ir.TextPart(text, provider_details=_details(type=wire_type, **_extras(part)))
    if kind == "refusal":
        return ir.RefusalPart(part.required_string("refusal"), provider_details=_details(**_extras(part)))
    raise ProtocolError(f"{part.at('type')}: {kind!r} is not output_text or refusal")


def _decode_reasoning(item: _Reader) -> ir.ThinkingPart:
    item.take("type")
    summary = item.required_array("summary")
    for j, raw in enumerate(summary):
        _Reader(raw, item.at(f"summary[{j}]")).required_string("text")
    content = item.array("content")
    text = _reasoning_text(summary, content)
    summary_as_sent = summary if _summary_wire(text) != summary else None
    return ir.ThinkingPart(text, provider_details=_details(summary=summary_as_sent, content=content, **_extras(item)))


def _reasoning_text(summary: object, content: object) -> str:
    """The summary texts, or for models that show their raw reasoning (no summary) the reasoning texts."""
    return _PARAGRAPH_BREAK.join(_texts(summary)) or "".join(_texts(content))


def _summary_wire(text: str) -> list[dict[str, Any]]:
    return [_summary(text)] if text else []


def _texts(entries: object) -> list[str]:
    if not isinstance(entries, list):
        return []
    texts: list[str] = []
    for entry in cast("list[Any]", entries):
        text = cast("Mapping[str, Any]", entry).get("text") if isinstance(entry, Mapping) else None
        if isinstance(text, str):
            texts.append(text)
    return texts


def _decode_tools(top: _Reader, request: ir.Request, details: dict[str, Any], echo: dict[str, Any]) -> None:
    tools = top.array("tools")
    if tools is None:
        return
    if not tools:
        echo["tools"] = []
        return
    hosted: list[dict[str, Any]] = []
    positions: list[int] = []
    for i, raw in enumerate(tools):
        tool = _Reader(raw, f"tools[{i}]")
        kind = tool.peek("type")
        if not isinstance(kind, str):
            raise ProtocolError(f"tools[{i}].type must be a string")
        if kind == "function":
            tool.take("type")
            name = tool.required_string("name")
            description = tool.string("description")
            parameters = tool.mapping("parameters")
            strict = tool.boolean("strict")
            details_ = _details(**_extras(tool))
            request.tools.append(ir.Tool(name, description, parameters, strict, provider_details=details_))
        else:  # built-in (hosted) tools only OpenAI runs
            hosted.append(dict(tool.data))
            positions.append(i)
    if hosted:
        request.extra["tools"] = hosted
        details["hosted_tool_positions"] = positions


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
        return  # allowed_tools, hosted-tool and future forms stay in `extra`, verbatim
    choice = top.required_reader("tool_choice")
    choice.take("type")
    request.tool_choice = ir.NamedToolChoice(choice.required_string("name"))
    details["tool_choice"] = _extras(choice) or None


def _decode_text(top: _Reader, request: ir.Request, details: dict[str, Any]) -> None:
    """``text.format`` -> response_format; the rest of ``text`` (``verbosity``, future formats) -> extra."""
    text = top.reader("text")
    if text is None:
        return
    raw_format = text.peek("format")
    if isinstance(raw_format, Mapping) and cast("Mapping[str, Any]", raw_format).get("type") in _FORMAT_TYPES:
        fmt = text.required_reader("format")
        kind = cast("Literal['text', 'json_object', 'json_schema']", fmt.required_string("type"))
        if kind == "json_schema":
            request.response_format = ir.ResponseFormat(
                "json_schema",
                name=fmt.required_string("name"),
                schema=fmt.mapping("schema"),
                description=fmt.string("description"),
                strict=fmt.boolean("strict"),
            )
        else:
            request.response_format = ir.ResponseFormat(kind)
        details["format"] = _extras(fmt) or None
    elif raw_format is not None and not isinstance(raw_format, Mapping):
        raise ProtocolError("text.format must be an object")
    rest = text.leftovers()
    if rest or not text.data:
        request.extra["text"] = rest


def _decode_settings(top: _Reader, settings: ir.GenerationSettings, details: dict[str, Any]) -> None:
    _set_if_given(settings, "max_tokens", top.integer("max_output_tokens"))
    for key in ("temperature", "top_p"):
        _set_if_given(settings, key, top.number(key))
    _set_if_given(settings, "parallel_tool_calls", top.boolean("parallel_tool_calls"))
    _set_if_given(settings, "top_logprobs", top.integer("top_logprobs"))
    _set_if_given(settings, "metadata", top.mapping("metadata"))
    user = top.string("user")
    if user is not None:
        settings.user = user
    else:  # the newer name for the same end-user identifier
        safety_identifier = top.string("safety_identifier")
        if safety_identifier is not None:
            settings.user = safety_identifier
            details["user_key"] = "safety_identifier"
    reasoning = top.reader("reasoning")
    if reasoning is not None:
        _set_if_given(settings, "reasoning_effort", reasoning.string("effort"))
        details["reasoning"] = reasoning.leftovers()  # summary and future keys


# -- encoding requests ---------------------------------------------------------------------------------------------
class _Report:
    """The adaptations an encoding made, each reported once."""

    def __init__(self) -> None:
        self.items: list[ir.Adaptation] = []

    def add(self, param: str, action: Literal["dropped", "adapted"], reason: str) -> None:
        adaptation = ir.Adaptation(param, action, reason)
        if adaptation not in self.items:
            self.items.append(adaptation)


class _InputEncoder:
    """IR messages -> ``instructions`` and input items."""

    def __init__(self, report: _Report, same_source: bool) -> None:
        self._report = report
        self._same_source = same_source
        self._assistant = _AssistantEncoder(report, None, output=False)

    def encode(self, messages: list[ir.Message]) -> tuple[str | None, list[dict[str, Any]]]:
        instructions, hoisted = self._instructions(messages)
        items: list[dict[str, Any]] = []
        for i, message in enumerate(messages):
            if i not in hoisted:
                items.extend(self._message(message, f"messages[{i}]"))
        return instructions, items

    def _instructions(self, messages: list[ir.Message]) -> tuple[str | None, set[int]]:
        """This codec's marked message; from elsewhere, the system/developer messages when all of them lead."""
        if self._same_source:
            for i, message in enumerate(messages):
                if _mine(message.provider_details).get("instructions"):
                    return message.text, {i}
            return None, set()
        leading: list[int] = []
        for i, message in enumerate(messages):
            if message.role not in ("system", "developer"):
                break
            leading.append(i)
        later = any(message.role in ("system", "developer") for message in messages[len(leading) :])
        text_only = all(isinstance(part, ir.TextPart) for i in leading for part in messages[i].parts)
        if not leading or later or not text_only:
            return None, set()
        for i in leading:
            if messages[i].name is not None:
                self._report.add(f"messages[{i}].name", "dropped", "Responses input messages have no name")
        return _PARAGRAPH_BREAK.join(messages[i].text for i in leading), set(leading)

    def _message(self, message: ir.Message, path: str) -> list[dict[str, Any]]:
        if message.name is not None:
            self._report.add(f"{path}.name", "dropped", "Responses input messages have no name")
        if message.role == "assistant":
            return self._assistant.encode(message.parts, path)
        items: list[dict[str, Any]] = []
        others: list[ir.Part] = []
        for part in message.parts:
            if isinstance(part, ir.ToolResultPart):
                items.append(self._tool_output(part, path))
            elif message.role == "tool":
                self._report.add(f"{path}.content", "dropped", f"{part.kind} part outside a tool result")
            else:
                others.append(part)
        if message.role == "tool" or (items and not others):
            return items
        content = [item for part in others if (item := self._content(part, path)) is not None]
        mine = _mine(message.provider_details)
        wire: dict[str, Any] = {"role": message.role, "content": _content_value(content, mine.get("content"))}
        if mine.get("typed"):
            wire = {"type": "message", **wire}
        return [*items, _with_extras(wire, mine)]

    def _tool_output(self, result: ir.ToolResultPart, path: str) -> dict[str, Any]:
        content = [wire for part in result.content if (wire := self._content(part, path)) is not None]
        if result.is_error:
            self._report.add(f"{path}.is_error", "dropped", "a function_call_output cannot mark an error")
        mine = _mine(result.provider_details)
        output = _content_value(content, mine.get("output"))
        wire = {"type": "function_call_output", "call_id": result.tool_call_id, "output": output}
        return _with_extras(wire, mine)

    def _content(self, part: ir.Part, path: str) -> dict[str, Any] | None:
        """One input content part, or None (reported) when a user-side message cannot carry it."""
        mine = _mine(part.provider_details)
        if isinstance(part, ir.TextPart):
            return _with_extras({"type": "input_text", "text": part.text}, mine)
        if isinstance(part, ir.ImagePart):
            return self._image(part, mine, path)
        if isinstance(part, ir.DocumentPart):
            return self._document(part, mine, path)
        if isinstance(part, ir.AudioPart):
            raise UnsupportedFeature(f"{path}: the Responses API does not accept audio input")
        if isinstance(part, ir.RefusalPart):
            self._report.add(f"{path}.content", "adapted", "a refusal is sent as text")
            return {"type": "input_text", "text": part.text}
        self._report.add(f"{path}.content", "dropped", f"{part.kind} parts cannot appear in this message")
        return None

    def _image(self, part: ir.ImagePart, mine: Mapping[str, Any], path: str) -> dict[str, Any] | None:
        wire: dict[str, Any] = {"type": "input_image"}
        if part.data is not None:
            stored = mine.get("url")
            reusable = isinstance(stored, str) and parse_data_url(stored) == (part.media_type, part.data)
            media_type = part.media_type or _sniff_image_type(part.data)
            wire["image_url"] = stored if reusable else to_data_url(media_type, part.data)
        elif part.url is not None:
            wire["image_url"] = part.url
        if isinstance(mine.get("file_id"), str):
            wire["file_id"] = mine["file_id"]
        if len(wire) == 1:
            self._report.add(f"{path}.content", "dropped", "an image with neither data, URL nor file id")
            return None
        if part.detail is not None:
            wire["detail"] = part.detail
        elif not mine.get("no_detail"):
            wire["detail"] = "auto"
        return _with_extras(wire, mine)

    def _document(self, part: ir.DocumentPart, mine: Mapping[str, Any], path: str) -> dict[str, Any] | None:
        wire: dict[str, Any] = {"type": "input_file"}
        if part.data is not None:
            stored = mine.get("file_data")
            reusable = isinstance(stored, str) and _decode_file_data(stored) == (part.media_type, part.data)
            media_type = part.media_type or "application/pdf"
            wire["file_data"] = stored if reusable else to_data_url(media_type, part.data)
        elif part.url is not None:
            wire["file_url"] = part.url
        if isinstance(mine.get("file_id"), str):
            wire["file_id"] = mine["file_id"]
        if len(wire) == 1:
            if part.text is not None:
                self._report.add(f"{path}.content", "adapted", "a text document is sent as input_text")
                return {"type": "input_text", "text": part.text}
            self._report.add(f"{path}.content", "dropped", "a document with neither data, URL nor file id")
            return None
        if part.filename is not None:
            wire["filename"] = part.filename
        elif "file_data" in wire and not mine.get("unnamed"):
            wire["filename"] = "document.pdf"  # OpenAI rejects file_data without a filename
        return _with_extras(wire, mine)


@dataclass
class _PendingMessage:
    """An assistant message item whose content is still being collected."""

    info: Mapping[str, Any] | None  # the item's wire form as decoded; None for parts from elsewhere
    content: list[dict[str, Any]] = field(default_factory=lambda: [])


class _AssistantEncoder:
    """IR assistant parts -> Responses items: a request's input history, or (``output``) a response's output, whose
    items need ids, statuses and annotations."""

    def __init__(self, report: _Report, ids: _ItemIds | None, *, output: bool) -> None:
        self._report = report
        self._ids = ids or _ItemIds("")
        self._output = output

    def encode(self, parts: list[ir.Part], path: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any] | _PendingMessage] = []
        pending: _PendingMessage | None = None
        for j, part in enumerate(parts):
            if isinstance(part, (ir.TextPart, ir.RefusalPart)):
                info = _mine(part.provider_details).get("item")
                if pending is None or isinstance(info, Mapping):
                    pending = _PendingMessage(cast("Mapping[str, Any]", info) if isinstance(info, Mapping) else None)
                    items.append(pending)
                pending.content.append(self._content(part))
                continue
            pending = None
            item = self._item(part, f"{path}.parts[{j}]", len(items))
            if item is not None:
                items.append(item)
        return [self._message(item, i) if isinstance(item, _PendingMessage) else item for i, item in enumerate(items)]

    def _content(self, part: ir.TextPart | ir.RefusalPart) -> dict[str, Any]:
        mine = _mine(part.provider_details)
        if isinstance(part, ir.RefusalPart):
            return _with_extras(_refusal(part.text), mine)
        kind = "input_text" if mine.get("type") == "input_text" else "output_text"
        wire = _with_extras({"type": kind, "text": part.text}, mine)
        if self._output and kind == "output_text":
            wire.setdefault("annotations", [])
        return wire

    def _message(self, pending: _PendingMessage, index: int) -> dict[str, Any]:
        info = pending.info or {}
        content = pending.content
        form = info.get("content")
        plain = all(_is_plain(item, "output_text") for item in content)
        value: str | list[dict[str, Any]] = content
        if form == "empty" and len(content) == 1 and _is_blank_text(content[0]):
            value = []
        elif plain and (form == "string" or (pending.info is None and not self._output)):
            value = "".join(item["text"] for item in content)
        wire: dict[str, Any] = {"role": "assistant", "content": value}
        if self._output or info.get("typed"):
            wire = {"type": "message", **wire}
        _merge(wire, info.get("extra"))
        if self._output:
            wire.setdefault("id", self._ids.make("msg", index))
            wire.setdefault("status", "completed")
        return wire

    def _item(self, part: ir.Part, path: str, index: int) -> dict[str, Any] | None:
        mine = _mine(part.provider_details)
        if isinstance(part, ir.ToolCallPart):
            wire = {"type": "function_call", "call_id": part.id, "name": part.name, "arguments": part.arguments}
            return self._identify(_with_extras(wire, mine), "fc", index)
        if isinstance(part, ir.ThinkingPart):
            return self._reasoning(part, mine, path, index)
        self._report.add(f"{path}", "dropped", f"{part.kind} parts cannot appear in assistant items")
        return None

    def _reasoning(
        self, part: ir.ThinkingPart, mine: Mapping[str, Any], path: str, index: int
    ) -> dict[str, Any] | None:
        if not mine:  # another vendor's reasoning
            if not self._output:
                self._report.add(path, "dropped", "reasoning from another provider cannot be replayed to OpenAI")
                return None
            if not part.text:
                return None  # redacted: nothing to show
            return self._identify({"type": "reasoning", "summary": _summary_wire(part.text)}, "rs", index)
        stored_summary, stored_content = _list(mine.get("summary")), _list(mine.get("content"))
        wire: dict[str, Any] = {"type": "reasoning", "summary": _summary_wire(part.text)}
        if stored_summary is not None and _reasoning_text(stored_summary, stored_content) == part.text:
            wire["summary"] = stored_summary
            if stored_content is not None:
                wire["content"] = stored_content
        return self._identify(_with_extras(wire, mine), "rs", index)

    def _identify(self, wire: dict[str, Any], prefix: str, index: int) -> dict[str, Any]:
        if self._output:
            wire.setdefault("id", self._ids.make(prefix, index))
            if wire["type"] == "function_call":
                wire.setdefault("status", "completed")
        return wire


class _ItemIds:
    """Output item ids for responses from other protocols: derived from the response id, so the streamed and the
    non-streamed encodings of one response agree."""

    def __init__(self, response_id: str) -> None:
        self._stem = response_id.partition("_")[2] or response_id

    def make(self, prefix: str, index: int) -> str:
        return f"{prefix}_{self._stem}_{index}" if self._stem else f"{prefix}_{index}"


def _content_value(items: list[dict[str, Any]], form: object) -> str | list[dict[str, Any]]:
    """A string for no content or one plain text part, unless the caller wrote parts."""
    if form == "parts" or not _stringable(items):
        return items
    return "".join(cast("str", item["text"]) for item in items)


def _stringable(items: list[Any]) -> bool:
    return not items or (len(items) == 1 and _is_plain(items[0], "input_text"))


def _is_plain(item: object, kind: str) -> bool:
    if not isinstance(item, Mapping):
        return False
    mapping = cast("Mapping[str, Any]", item)
    return set(mapping) == {"type", "text"} and mapping["type"] == kind


def _is_blank_text(item: Mapping[str, Any]) -> bool:
    return item.get("type") == "output_text" and item.get("text") == "" and not item.get("annotations")


def _put_input(body: dict[str, Any], items: list[dict[str, Any]], form: object) -> None:
    if form == "absent" and not items:
        return
    if form == "string" and len(items) == 1:
        only = items[0]
        if set(only) == {"role", "content"} and only["role"] == "user" and isinstance(only["content"], str):
            body["input"] = only["content"]
            return
    body["input"] = items


def _insert_opaque_items(items: list[dict[str, Any]], extra: Mapping[str, Any]) -> None:
    """Put the input items the IR does not model back at their input positions."""
    opaque: list[tuple[int, Any]] = []
    for key, value in extra.items():
        match = _INPUT_PATH.fullmatch(key)
        if match is not None:
            opaque.append((int(match.group(1)), value))
    for position, item in sorted(opaque, key=lambda entry: entry[0]):
        items.insert(min(position, len(items)), item)


def _encode_tools(body: dict[str, Any], request: ir.Request, mine: Mapping[str, Any]) -> None:
    same_source = request.source == NAME
    tools = [_encode_tool(tool, same_source) for tool in request.tools]
    hosted = request.extra.get("tools") if same_source else None
    if isinstance(hosted, list):
        positions = mine.get("hosted_tool_positions")
        entries = cast("list[Any]", hosted)
        if not (isinstance(positions, list) and len(cast("list[Any]", positions)) == len(entries)):
            positions = [len(tools) + i for i in range(len(entries))]
        for position, tool in zip(cast("list[int]", positions), entries, strict=True):
            tools.insert(min(position, len(tools)), tool)
    if tools:
        body["tools"] = tools


def _encode_tool(tool: ir.Tool, same_source: bool) -> dict[str, Any]:
    wire: dict[str, Any] = {"type": "function", "name": tool.name}
    if tool.description is not None:
        wire["description"] = tool.description
    if tool.parameters is not None:
        wire["parameters"] = tool.parameters
    elif not same_source:
        wire["parameters"] = {"type": "object", "properties": {}}
    if tool.strict is not None:
        wire["strict"] = tool.strict
    elif not same_source:
        wire["strict"] = False  # Responses function tools default to strict; other protocols' tools are not
    return _with_extras(wire, _mine(tool.provider_details))


def _encode_tool_choice(choice: ir.ToolChoice, details: Mapping[str, Any]) -> str | dict[str, Any]:
    if isinstance(choice, str):
        return choice
    return _with_extras({"type": "function", "name": choice.name}, details)


def _encode_format(response_format: ir.ResponseFormat, details: Mapping[str, Any]) -> dict[str, Any]:
    wire: dict[str, Any] = {"type": response_format.type}
    if response_format.type == "json_schema":
        wire["name"] = response_format.name or "response"  # required
        if response_format.description is not None:
            wire["description"] = response_format.description
        wire["schema"] = response_format.schema if response_format.schema is not None else {}
        if response_format.strict is not None:
            wire["strict"] = response_format.strict
    return _with_extras(wire, details)


def _encode_settings(
    settings: ir.GenerationSettings, mine: Mapping[str, Any], body: dict[str, Any], report: _Report
) -> None:
    if ir.is_set(settings.max_tokens):
        body["max_output_tokens"] = settings.max_tokens
    for key in _PLAIN_SETTINGS:
        value = getattr(settings, key)
        if ir.is_set(value):
            body[key] = value
    if ir.is_set(settings.user):
        body["safety_identifier" if mine.get("user_key") == "safety_identifier" else "user"] = settings.user
    reasoning = dict(_section(mine, "reasoning"))
    if ir.is_set(settings.reasoning_effort):
        reasoning["effort"] = settings.reasoning_effort
    if reasoning or "reasoning" in mine:
        body["reasoning"] = reasoning
    if settings.logprobs is True:
        body["include"] = [_LOGPROBS_INCLUDE]
        report.add("logprobs", "adapted", f"asked for with include: [{_LOGPROBS_INCLUDE!r}]")
    if ir.is_set(settings.n) and settings.n > 1:
        raise UnsupportedFeature(f"n={settings.n}: the Responses API returns one answer per request")
    for key, reason in _DROPPED_SETTINGS.items():
        if ir.is_set(getattr(settings, key)):
            report.add(key, "dropped", reason)


def _merge_extra(body: dict[str, Any], extra: Mapping[str, Any]) -> None:
    """Same-protocol pass-through of the unmodelled parameters (hosted tools and input items are placed already)."""
    for key, value in extra.items():
        if key == "tools" or _INPUT_PATH.fullmatch(key):
            continue
        if key == "text" and isinstance(value, Mapping) and isinstance(body.get("text"), dict):
            body["text"] = {**cast("Mapping[str, Any]", value), **body["text"]}
        else:
            body.setdefault(key, value)


# -- responses -----------------------------------------------------------------------------------------------------
def _response_envelope(
    response_id: str, model: str, created_at: float, status: str, output: list[Any], usage: object
) -> dict[str, Any]:
    return {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "model": model,
        "output": output,
        "usage": usage,
    }


def _with_response_defaults(wire: dict[str, Any]) -> dict[str, Any]:
    """The keys the SDK's ``Response`` requires (or OpenAI always sends), where the response did not say."""
    defaults: dict[str, Any] = {
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": {},
        "parallel_tool_calls": True,
        "temperature": None,
        "tool_choice": "auto",
        "tools": [],
        "top_p": None,
    }
    for key, value in defaults.items():
        wire.setdefault(key, value)
    return wire


def _has_calls(parts: list[ir.Part]) -> bool:
    return any(isinstance(part, ir.ToolCallPart) for part in parts)


def _finish_from_wire(status: object, incomplete: object, has_calls: bool) -> ir.FinishReason | None:
    if status == "completed":
        return "tool_calls" if has_calls else "stop"
    if status == "incomplete":
        reason = cast("Mapping[str, Any]", incomplete).get("reason") if isinstance(incomplete, Mapping) else None
        return _INCOMPLETE_FINISH.get(reason, "other") if isinstance(reason, str) else "other"
    if status in (None, "in_progress", "queued"):
        return None
    return "other"  # cancelled, and statuses to come


def _status(choice: ir.Choice, stored: Mapping[str, Any]) -> tuple[str, object]:
    """``status`` and ``incomplete_details`` for the choice's finish reason; as received while they still say it."""
    status, incomplete = stored.get("status"), stored.get("incomplete_details")
    has_calls = _has_calls(choice.message.parts)
    if isinstance(status, str) and _finish_from_wire(status, incomplete, has_calls) == choice.finish_reason:
        return status, incomplete
    return _finish_to_wire(choice.finish_reason)


def _finish_to_wire(reason: ir.FinishReason | None) -> tuple[str, dict[str, Any] | None]:
    incomplete = _INCOMPLETE_REASON.get(reason) if reason is not None else None
    if incomplete is not None:
        return "incomplete", {"reason": incomplete}
    return "completed", None


def _decode_usage(raw: Mapping[str, Any], path: str = "usage") -> ir.Usage:
    usage = _Reader(raw, path)
    inputs = usage.reader("input_tokens_details")
    outputs = usage.reader("output_tokens_details")
    return ir.Usage(
        input_tokens=usage.integer("input_tokens") or 0,
        output_tokens=usage.integer("output_tokens") or 0,
        cache_read_tokens=(inputs.integer("cached_tokens") if inputs else None) or 0,
        cache_write_tokens=(inputs.integer("cache_write_tokens") if inputs else None) or 0,
        reasoning_tokens=(outputs.integer("reasoning_tokens") if outputs else None) or 0,
    )


def _encode_usage(usage: ir.Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {
            "cached_tokens": usage.cache_read_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
        },
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.total_tokens,
    }


def _failure(body: Mapping[str, Any]) -> ProviderError:
    """A failed response or an ``error`` stream event -> the routeapi error. The Chat mapping knows HTTP-style
    codes; a failed response adds codes of its own for bad input."""
    error = error_from_body(None, body)
    code = error.code
    if not isinstance(error, ServerError) or code is None or code == "server_error":
        return error
    if code in _CONTENT_POLICY_CODES:
        return ContentFiltered(error.message, body=body, code=code)
    if code.startswith(_CLIENT_CODE_PREFIXES):
        return BadRequest(error.message, body=body, code=code)
    return error


# -- reading JSON --------------------------------------------------------------------------------------------------
def _list(value: object) -> list[Any] | None:
    return cast("list[Any]", value) if isinstance(value, list) else None


def _decode_file_data(value: str) -> tuple[str | None, bytes] | None:
    """``file_data`` is normally a data URL; plain base64 is accepted too."""
    if value[:5].lower() == "data:":
        return parse_data_url(value)
    compact = "".join(value.split())
    try:
        return None, base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


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


# -- provider_details helpers --------------------------------------------------------------------------------------
def _details(**entries: Any) -> dict[str, Any] | None:
    """``provider_details`` for this codec, holding only the entries that say something."""
    kept = {key: value for key, value in entries.items() if value is not None}
    return {NAME: kept} if kept else None


def _extras(reader: _Reader) -> dict[str, Any]:
    """The keys an object carried beyond what was read."""
    left = reader.leftovers()
    return {"extra": left} if left else {}


def _put_detail(part: ir.Part, key: str, value: object) -> None:
    details = dict(part.provider_details or {})
    details[NAME] = {**_mine(details), key: value}
    part.provider_details = details


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


def _with_extras(wire: dict[str, Any], details: Mapping[str, Any]) -> dict[str, Any]:
    _merge(wire, details.get("extra"))
    return wire
