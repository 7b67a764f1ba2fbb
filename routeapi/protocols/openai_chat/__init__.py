"""OpenAI Chat Completions (``POST /chat/completions``): requests, responses, streams and errors.

Round trips are exact. What the IR does not model survives a decode/encode through this codec: unknown top-level
parameters in ``Request.extra``; explicit nulls, unknown nested keys and wire-form choices (string or parts content,
``max_tokens`` or ``max_completion_tokens``, a data URL's exact spelling...) in ``provider_details["openai_chat"]``.
A stored wire form is reused only while it still matches the IR value, so an edited IR is never overridden.

Modules: ``codec`` (the codec class), ``request_decoding``/``request_encoding`` (messages, parts, tools...),
``content_form`` (string/parts/null content), ``response`` (choices, finish reasons, usage), ``stream_decoder``/
``stream_encoder``, ``errors`` (error bodies), ``base64_data`` (data URLs), ``provider_details`` (this codec's entry).
"""

from .base64_data import parse_data_url, to_data_url
from .codec import OpenAIChatCodec
from .errors import error_from_body
from .response import usage_from_wire
from .stream_decoder import TERMINATOR, OpenAIChatStreamDecoder
from .stream_encoder import OpenAIChatStreamEncoder

__all__ = [
    "TERMINATOR",
    "OpenAIChatCodec",
    "OpenAIChatStreamDecoder",
    "OpenAIChatStreamEncoder",
    "error_from_body",
    "parse_data_url",
    "to_data_url",
    "usage_from_wire",
]
