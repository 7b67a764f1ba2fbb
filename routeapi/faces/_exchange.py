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
from ..protocols.relay import AnthropicRelay, GeminiRelay, OpenAIChatRelay, OpenAIResponsesRelay
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
        return protocol == self.face and protocol in _RELAYS

    def leg(self, target: Target, protocol: str, *, stream: bool = False) -> Leg:
        if protocol == self.face and protocol in _RELAYS:
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

    def stream_translator(self, leg: Leg, protocol: str, *, include_usage: bool) -> StreamTranslator:
        if leg.same_protocol:
            return _RELAYS[protocol]()
        options = {"include_usage": include_usage} if self.face == "openai_chat" else {}
        transforms: list[Callable[[ir.StreamEvent], ir.StreamEvent]] = [_NameModel(leg.model)]
        if leg.forced_tool is not None:
            transforms.append(ForcedToolUnwrapper(leg.forced_tool))
        return _Translator(stream_decoder(protocol), stream_encoder(self.face, **options), transforms)


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


class _Translator:
    """Upstream stream items -> IR events (through the transforms, in order) -> the face's stream payloads."""

    __slots__ = ("_accumulator", "_decoder", "_encoder", "_transforms", "has_content")

    def __init__(
        self,
        decoder: StreamDecoder[Any],
        encoder: StreamEncoder,
        transforms: list[Callable[[ir.StreamEvent], ir.StreamEvent]],
    ) -> None:
        self._decoder = decoder
        self._encoder = encoder
        self._transforms = transforms
        self._accumulator = Accumulator()
        self.has_content = False

    def partial(self) -> ir.Response:
        return self._accumulator.response()

    def feed(self, item: Any) -> list[dict[str, Any]]:
        return self._encode(self._decoder.feed(item))

    def end(self) -> list[dict[str, Any]]:
        return self._encode(self._decoder.end())

    def _encode(self, events: list[ir.StreamEvent]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for decoded in events:
            event = decoded
            for transform in self._transforms:
                event = transform(event)
            self._accumulator.add(event)
            if not self.has_content and not isinstance(event, (ir.MessageStart, ir.UsageUpdate)):
                self.has_content = True
            out.extend(self._encoder.encode(event))
        return out
