"""One call as it crosses from a face's protocol to a target's and back. Pure (but for ``inline_media``, which
fetches remote images for targets that need bytes): shared by sync and async.

Same protocol: the caller's body goes out with only ``model`` replaced, and upstream JSON comes back as is.
Different protocols: face codec -> IR -> target codec, and back; every adaptation is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from .. import ir
from ..adapters.base import RawResponse
from ..catalog.models import lookup
from ..ir.accumulate import Accumulator
from ..media import MediaPolicy, ainline, inline, remote_urls
from ..protocols.base import StreamDecoder, StreamEncoder
from ..protocols.registry import get_codec, stream_decoder, stream_encoder
from ..protocols.relay import NON_TEXT, AnthropicRelay, GeminiRelay, OpenAIChatRelay, OpenAIResponsesRelay
from ..protocols.structured_output import ForcedToolUnwrapper, as_forced_tool, unwrap_forced_tool
from ..routing.targets import Target


class StreamTranslator(Protocol):
    has_content: bool

    def feed(self, item: Any) -> list[dict[str, Any]]: ...

    def end(self) -> list[dict[str, Any]]: ...

    def partial(self) -> ir.Response:
        """What arrived so far (the answer an interrupted stream carries)."""
        ...


_RELAYS: dict[str, type[OpenAIChatRelay | AnthropicRelay | GeminiRelay | OpenAIResponsesRelay]] = {
    "openai_chat": OpenAIChatRelay,
    "anthropic_messages": AnthropicRelay,
    "gemini": GeminiRelay,
    "openai_responses": OpenAIResponsesRelay,
}
_MODEL_IN_PATH = {"gemini"}  # protocols whose model travels in the URL (the adapter takes it from CallOptions)


@dataclass(slots=True)
class Leg:
    """The call prepared for one target."""

    body: dict[str, Any]
    adaptations: list[ir.Adaptation]
    same_protocol: bool
    forced_tool: str | None = None
    """Set when a json_schema response format is emulated by this forced tool call."""
    model: str = ""
    """The upstream model, for responses that do not name it (Bedrock's)."""
    content_filter: dict[str, Any] | None = None
    """Set by :meth:`Exchange.response` when the provider filtered the answer."""


@dataclass(slots=True)
class Exchange:
    face: str
    """Codec name of the caller's protocol."""
    body: dict[str, Any]
    """The caller's request body in its own protocol (SDK-only options already removed)."""
    relay: bool = True
    """Same-protocol legs send the caller's body as is. False for a continuation, whose request is not the body."""
    _request: ir.Request | None = field(default=None, init=False)

    def request(self) -> ir.Request:
        """The body decoded once, on the first translated attempt."""
        if self._request is None:
            self._request = get_codec(self.face).decode_request(self.body)
        return self._request

    def inline_media(self, protocol: str, policy: MediaPolicy) -> None:
        """Before a translated leg to ``protocol``: fetch the remote images and documents it cannot take by URL and
        keep the request with their bytes, so later legs reuse them. FetchRefused when one may not be fetched."""
        if not self._passes_through(protocol) and remote_urls(self.request(), protocol):
            self._request = inline(self.request(), protocol, policy)

    async def ainline_media(self, protocol: str, policy: MediaPolicy) -> None:
        """The async :meth:`inline_media`."""
        if not self._passes_through(protocol) and remote_urls(self.request(), protocol):
            self._request = await ainline(self.request(), protocol, policy)

    def _passes_through(self, protocol: str) -> bool:
        return protocol == self.face and protocol in _RELAYS and self.relay

    def continuation(self, partial: ir.Response, *, prefix: bool) -> Exchange:
        """The call again, to finish an answer that broke after ``partial`` was delivered: with ``prefix``, the
        partial text as the final assistant turn (prefill) for the target to continue; else the original request."""
        request = self.request()
        if prefix:
            request = replace(request, messages=with_prefix(request.messages, partial.message.text))
        resumed = type(self)(self.face, self.body, relay=False)
        resumed._request = request
        return resumed

    def leg(self, target: Target, protocol: str, *, stream: bool = False) -> Leg:
        if protocol == self.face and protocol in _RELAYS and self.relay:
            body = self.body if protocol in _MODEL_IN_PATH else {**self.body, "model": target.model}
            return Leg(body, [], True)
        request = self.request()
        if self.face == "openai_responses":
            # Built-in tools and file IDs exist only at OpenAI: refuse rather than silently lose them.
            from ..protocols.openai_responses import check_portable

            check_portable(request, protocol)
        if request.stream != stream or (stream and not request.stream_usage):
            # The call mode decides (Gemini says it in the URL, not the body), and translated streams always ask
            # for usage: the caller's protocol may report it even where OpenAI's would not.
            request = replace(request, stream=stream, stream_usage=stream)
        adaptations: list[ir.Adaptation] = []
        if not ir.is_set(request.settings.max_tokens):
            default = _default_max_tokens(target, protocol)
            if default is not None:
                request = replace(request, settings=replace(request.settings, max_tokens=default))
                if target.max_tokens is None:
                    reason = f"{protocol} requires it; used the model's output limit {default}"
                    adaptations.append(ir.Adaptation("max_tokens", "adapted", reason))
        forced_tool = None
        if _needs_forced_tool(request, target, protocol):
            request, forced_tool = as_forced_tool(request)
            reason = f"{target.model} has no native JSON-schema output; emulated with a forced call of {forced_tool!r}"
            adaptations.append(ir.Adaptation("response_format", "adapted", reason))
        body, encoded = get_codec(protocol).encode_request(request, model=target.model)
        return Leg(body, adaptations + encoded, False, forced_tool, target.model)

    def response(self, leg: Leg, protocol: str, raw: RawResponse) -> tuple[dict[str, Any], ir.Response]:
        """The upstream response in the face's protocol, and in the IR (for usage, cost and telemetry)."""
        if leg.same_protocol:
            data: dict[str, Any] = raw.json()
            return data, get_codec(self.face).decode_response(data)
        response = get_codec(protocol).decode_response(raw.json())
        response.model = response.model or leg.model
        if leg.forced_tool is not None:
            response = unwrap_forced_tool(response, leg.forced_tool)
        response.adaptations = leg.adaptations
        leg.content_filter = next((c.content_filter for c in response.choices if c.content_filter), None)
        return get_codec(self.face).encode_response(response), response

    def stream_translator(
        self, leg: Leg, protocol: str, *, include_usage: bool, resume: Resume | None = None
    ) -> StreamTranslator:
        """Upstream items -> the face's payloads. With ``resume``, the output carries on a stream the caller has
        already received part of (see :class:`Splice`)."""
        if leg.same_protocol:
            return _RELAYS[protocol]()
        options = {"include_usage": include_usage} if self.face == "openai_chat" else {}
        transforms: list[Transform] = [_NameModel(leg.model)]
        if leg.forced_tool is not None:
            transforms.append(ForcedToolUnwrapper(leg.forced_tool))
        translator = _Translator(stream_decoder(protocol), stream_encoder(self.face, **options), transforms)
        if resume is not None:
            translator.resume(resume)
        return translator


_FAMILIES = {"anthropic_messages": "anthropic", "gemini": "gemini", "openai_chat": "openai"}
_REQUIRES_MAX_TOKENS = {"anthropic_messages"}
_FALLBACK_MAX_TOKENS = 4096


def _default_max_tokens(target: Target, protocol: str) -> int | None:
    """The configured default, else for protocols that require ``max_tokens`` the catalog's output limit."""
    if target.max_tokens is not None:
        return target.max_tokens
    if protocol not in _REQUIRES_MAX_TOKENS:
        return None
    info = lookup(_FAMILIES[protocol], target.model)
    return info.max_output_tokens if info and info.max_output_tokens else _FALLBACK_MAX_TOKENS


def _needs_forced_tool(request: ir.Request, target: Target, protocol: str) -> bool:
    response_format = request.response_format
    if not isinstance(response_format, ir.ResponseFormat) or response_format.type != "json_schema":
        return False
    declared = target.capabilities.json_schema if target.capabilities is not None else None
    if declared is not None:
        return not declared
    family = _FAMILIES.get(protocol)
    info = lookup(family, target.model) if family else None
    return info is not None and not info.json_schema


class _NameModel:
    """Fills in the served model on a stream start that lacks it (Bedrock's streams do not name it)."""

    __slots__ = ("_model",)

    def __init__(self, model: str) -> None:
        self._model = model

    def __call__(self, event: ir.StreamEvent) -> ir.StreamEvent:
        if isinstance(event, ir.MessageStart) and not event.model:
            return replace(event, model=self._model)
        return event


Transform = Callable[[ir.StreamEvent], "ir.StreamEvent | None"]
"""Rewrites a decoded stream event on its way to the encoder; None drops it."""


@dataclass(frozen=True, slots=True)
class Resume:
    """Where a continued stream picks up: the answer delivered so far, and whether what comes next goes on in the
    caller's open part (a continued prefix, or a first text) or starts a new part (a restart)."""

    partial: ir.Response
    merge: bool


def with_prefix(messages: list[ir.Message], text: str) -> list[ir.Message]:
    """``messages`` ending in an assistant turn holding ``text`` (appended to a final assistant turn, which is then
    a prefill itself). Trailing whitespace is left out: Anthropic refuses a prefill that ends with it."""
    last = messages[-1] if messages else None
    if last is not None and last.role == "assistant":
        return [*messages[:-1], replace(last, parts=[ir.TextPart((last.text + text).rstrip())])]
    return [*messages, ir.Message("assistant", [ir.TextPart(text.rstrip())])]


def continuable(partial: ir.Response) -> bool:
    """Only plain text can be continued: a half-made tool call or reasoning cannot."""
    parts = partial.message.parts if partial.choices else []
    if (partial.provider_details or {}).get(NON_TEXT):
        return False
    return all(isinstance(part, ir.TextPart) for part in parts)


class Splice:
    """Maps a continuation stream onto the caller's: its start is dropped (the caller's message has started) and
    its parts are renumbered after those delivered. Continuing a prefix, its first text part is the delivered
    last part (whose trailing whitespace, left out of the prefix, the caller already has)."""

    __slots__ = ("_indexes", "_merge", "_next", "_whitespace", "model")

    def __init__(self, resume: Resume) -> None:
        parts = resume.partial.message.parts if resume.partial.choices else []
        self._next = len(parts)
        self._merge: int | None = self._next - 1 if resume.merge and parts else None
        text = resume.partial.message.text
        self._whitespace = resume.merge and text != text.rstrip()
        self._indexes: dict[int, int] = {}
        self.model = ""
        """The model that carried the answer on (its start is dropped, but the answer is now its)."""

    def __call__(self, event: ir.StreamEvent) -> ir.StreamEvent | None:
        if isinstance(event, ir.MessageStart):
            self.model = event.model
            return None
        if getattr(event, "choice", 0) != 0:
            return None
        if isinstance(event, ir.PartStart):
            if self._merge is not None and isinstance(event.part, ir.TextPart) and not self._indexes:
                self._indexes[event.index] = self._merge
                return None
            self._indexes[event.index] = self._next
            self._next += 1
            return replace(event, index=self._indexes[event.index])
        if isinstance(event, (ir.TextDelta, ir.ToolArgumentsDelta, ir.ThinkingDelta, ir.PartEnd)):
            index = self._indexes.get(event.index)
            if index is None:
                return None
            if isinstance(event, ir.TextDelta) and self._whitespace and index == self._merge:
                self._whitespace = event.text.strip() == ""
                return replace(event, index=index, text=event.text.lstrip())
            return replace(event, index=index)
        return event


def _replay(partial: ir.Response) -> list[ir.StreamEvent]:
    """The events that put an encoder and an accumulator where the caller's stream broke off: its last part open."""
    events: list[ir.StreamEvent] = [ir.MessageStart(partial.id, partial.model, partial.created)]
    parts = partial.message.parts if partial.choices else []
    for index, part in enumerate(parts):
        if isinstance(part, ir.ToolCallPart):
            events += [
                ir.PartStart(index, ir.ToolCallPart(part.id, part.name)),
                ir.ToolArgumentsDelta(index, part.arguments),
            ]
        elif isinstance(part, ir.ThinkingPart):
            events += [ir.PartStart(index, ir.ThinkingPart()), ir.ThinkingDelta(index, part.text, part.signature)]
        elif isinstance(part, ir.TextPart):
            events += [ir.PartStart(index, ir.TextPart("", part.provider_details)), ir.TextDelta(index, part.text)]
        if index < len(parts) - 1:
            events.append(ir.PartEnd(index))
    return events


class _Translator:
    """Upstream stream items -> IR events (through the transforms, in order) -> the face's stream payloads."""

    __slots__ = ("_accumulator", "_decoder", "_encoder", "_pending", "_splice", "_transforms", "has_content")

    def __init__(
        self,
        decoder: StreamDecoder[Any],
        encoder: StreamEncoder,
        transforms: list[Transform],
    ) -> None:
        self._decoder = decoder
        self._encoder = encoder
        self._transforms = transforms
        self._accumulator = Accumulator()
        self._splice: Splice | None = None
        self._pending: list[dict[str, Any]] = []
        """Payloads that go out before the next ones (what closes the caller's open part before a restart)."""
        self.has_content = False

    def partial(self) -> ir.Response:
        response = self._accumulator.response()
        if self._splice is not None and self._splice.model:
            response.model = self._splice.model  # usage, cost and telemetry go to the model that finished it
        return response

    def resume(self, resume: Resume) -> None:
        """Continue a stream the caller has partly received: replay it (the output is what the caller has, so it
        is dropped), then splice what the next target sends onto it."""
        for event in _replay(resume.partial):
            self._accumulator.add(event)
            self._encoder.encode(event)
        parts = resume.partial.message.parts if resume.partial.choices else []
        if not resume.merge and parts:
            # A restart is a new part: the caller's open one is closed first, once the restart delivers.
            close = ir.PartEnd(len(parts) - 1)
            self._accumulator.add(close)
            self._pending = self._encoder.encode(close)
        # Last: it renumbers the events as the caller will see them (after a forced tool call is unwrapped).
        self._splice = Splice(resume)
        self._transforms.append(self._splice)

    def feed(self, item: Any) -> list[dict[str, Any]]:
        return self._encode(self._decoder.feed(item))

    def end(self) -> list[dict[str, Any]]:
        return self._encode(self._decoder.end())

    def _encode(self, events: list[ir.StreamEvent]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for decoded in events:
            event: ir.StreamEvent | None = decoded
            for transform in self._transforms:
                event = transform(event)
                if event is None:
                    break
            if event is None:
                continue
            self._accumulator.add(event)
            if not self.has_content and not isinstance(event, (ir.MessageStart, ir.UsageUpdate)):
                self.has_content = True
            out.extend(self._encoder.encode(event))
        if out and self._pending:
            out[:0], self._pending = self._pending, []
        return out
