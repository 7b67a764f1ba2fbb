"""What every wire-format codec offers. Codecs are pure: no I/O, shared by sync and async paths."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, Protocol, TypeVar

from .. import ir

WireIn = TypeVar("WireIn", contravariant=True)


class Codec(Protocol):
    """One wire format, both directions.

    - ``decode_request``: inbound body (as a face or the gateway receives it) -> IR. Raises ``ProtocolError`` naming
      the offending field for malformed input. Parameters it does not model go to ``Request.extra`` unchanged.
    - ``encode_request``: IR -> body for this upstream, with ``model`` as the upstream model name. Returns the body and
      every adaptation made (dropped or changed parameters, ``Request.extra`` keys it cannot carry included).
    - ``decode_response`` / ``encode_response``: the non-streamed response.
    """

    name: str

    def decode_request(self, body: Mapping[str, Any]) -> ir.Request: ...

    def encode_request(self, request: ir.Request, *, model: str) -> tuple[dict[str, Any], list[ir.Adaptation]]: ...

    def decode_response(self, data: Mapping[str, Any]) -> ir.Response: ...

    def encode_response(self, response: ir.Response) -> dict[str, Any]: ...


class StreamDecoder(Protocol, Generic[WireIn]):
    """Stateful: upstream stream items (SSE events, JSON chunks...) -> IR stream events.

    ``feed`` raises the matching ``ProviderError`` for an in-stream error event and ``ProtocolError`` for a
    malformed item. ``end`` is called when the transport ends: it returns the final events, or raises
    ``StreamInterrupted`` when the protocol's terminator never arrived.
    """

    def feed(self, item: WireIn) -> list[ir.StreamEvent]: ...

    def end(self) -> list[ir.StreamEvent]: ...


class StreamEncoder(Protocol):
    """Stateful: IR stream events -> this protocol's stream payloads (JSON objects, in order)."""

    def encode(self, event: ir.StreamEvent) -> list[dict[str, Any]]: ...
