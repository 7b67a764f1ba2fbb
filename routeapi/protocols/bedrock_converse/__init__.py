"""AWS Bedrock Runtime Converse / ConverseStream <-> IR: requests, responses, stream events and error codes.

Bodies are what boto3's ``converse(**kwargs)`` takes and returns: Python dicts whose blobs (image, document and
audio bytes, redacted reasoning) are ``bytes``; boto3 does the base64 on the wire. ``modelId`` is one of the keys.
Stream items are the dicts boto3 yields (``{"contentBlockDelta": {...}}``).

Same-protocol fidelity: wire details the IR does not model travel in ``provider_details["bedrock_converse"]`` (on
parts, messages, tools, choices, the request and the response) and in ``Request.extra``, so decoding a body and
encoding it again gives the same body. Keys in a part's details are wire keys merged into its block, except the
markers named in ``constants.MARKERS``, which record the wire shape.

Modules: ``constants`` and ``reading`` (shared names and reading helpers), ``block_decoder`` / ``block_encoder``
(content blocks <-> IR parts), ``request_decoder`` / ``request_encoder``, ``response``, ``errors``,
``stream_decoder`` / ``stream_encoder`` and ``codec``.
"""

from __future__ import annotations

from .codec import BedrockConverseCodec
from .errors import error_from_code
from .stream_decoder import BedrockStreamDecoder
from .stream_encoder import BedrockStreamEncoder

__all__ = [
    "BedrockConverseCodec",
    "BedrockStreamDecoder",
    "BedrockStreamEncoder",
    "error_from_code",
]
