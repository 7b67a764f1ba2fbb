"""Google Gemini ``generateContent`` (Developer API) wire format <-> IR: requests, responses, streams, errors and
embeddings.

What this codec absorbs:

- The model is part of the URL path, never of the body: ``decode_request`` takes it as an argument and
  ``encode_request`` leaves it out.
- Proto3 JSON accepts camelCase and snake_case field names (and the SDKs send both). Decoding renames the structural
  keys to camelCase once, leaving user JSON (JSON schemas, function arguments and responses) untouched; encoding
  always emits camelCase.
- Function calls usually carry no id: ids are synthesised as ``call_<name>_<n>`` and function responses are paired
  with their call by id, else by name and order.
- What a same-protocol round trip needs but the IR does not model is kept in ``provider_details["gemini"]`` (thought
  signatures, the Gemini-flavoured schemas a caller sent, a function response's exact object...).

One module per concern: ``codec`` (the class the registry loads), ``request_decoder`` / ``request_encoder`` and
``part_decoder`` / ``part_encoder`` (requests and their parts), ``response``, ``errors``, ``embeddings``,
``stream_decoder`` / ``stream_encoder``, and the helpers they share: ``json_access``, ``key_normalisation``,
``schemas``, ``media`` and ``call_ids``.
"""

from __future__ import annotations

from .codec import GeminiCodec
from .embeddings import decode_embed_request, decode_embed_response, encode_embed_request
from .errors import error_from_body
from .key_normalisation import camel as _camel
from .response import prompt_block, usage_from_wire
from .schemas import gemini_schema_to_json_schema, json_schema_to_gemini_schema
from .stream_decoder import GeminiStreamDecoder
from .stream_encoder import GeminiStreamEncoder

__all__ = [
    "GeminiCodec",
    "GeminiStreamDecoder",
    "GeminiStreamEncoder",
    "decode_embed_request",
    "decode_embed_response",
    "encode_embed_request",
    "error_from_body",
    "gemini_schema_to_json_schema",
    "json_schema_to_gemini_schema",
    "prompt_block",
    "usage_from_wire",  # the same-protocol stream relay
    "_camel",  # protocols.embeddings (its private name before the split)
]
