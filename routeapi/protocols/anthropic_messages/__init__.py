"""Anthropic Messages (``POST /v1/messages``) <-> IR: requests, responses, stream events and error bodies.

Same-protocol fidelity: wire details the IR does not model travel in ``provider_details["anthropic_messages"]``
(on parts, messages, tools, the request and the response) and in ``Request.extra``, so decoding a body and encoding
it again gives the same body. Keys in a part's details are wire keys merged into its block, except the markers
named in ``shared._MARKERS``, which record the wire shape (string content, split user turns, blocks the IR cannot
hold).

Modules: ``shared`` (codec name, shape markers, JSON reading helpers), ``block_decoder`` / ``block_encoder``
(content blocks <-> IR parts), ``request_decoder`` / ``request_encoder``, ``response`` (bodies, stop reasons,
usage), ``errors`` (error answers), ``stream_decoder`` / ``stream_encoder`` and ``codec`` (the codec class).
"""

from __future__ import annotations

from ..structured_output import unwrap_forced_tool
from .codec import AnthropicMessagesCodec
from .errors import error_from_body
from .response import usage_from_wire
from .stream_decoder import AnthropicStreamDecoder
from .stream_encoder import AnthropicStreamEncoder

__all__ = [
    "AnthropicMessagesCodec",
    "AnthropicStreamDecoder",
    "AnthropicStreamEncoder",
    "error_from_body",
    "unwrap_forced_tool",
    "usage_from_wire",
]
