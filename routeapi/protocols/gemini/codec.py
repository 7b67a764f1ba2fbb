"""The codec: ``generateContent`` bodies <-> IR, the class the protocol registry loads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ... import ir
from .json_access import NAME, JSONObject, as_object
from .key_normalisation import REQUEST_SPEC, RESPONSE_SPEC, normalise
from .request_decoder import RequestDecoder
from .request_encoder import RequestEncoder
from .response import decode_response, encode_response


class GeminiCodec:
    """Gemini ``generateContent`` bodies <-> IR. The model travels in the URL path, not in the body."""

    name = NAME

    def decode_request(self, body: Mapping[str, Any], *, model: str = "") -> ir.Request:
        data = as_object(normalise(body, REQUEST_SPEC), "body")
        body_model = data.get("model")
        return RequestDecoder(data, model or (body_model if isinstance(body_model, str) else "")).decode()

    def encode_request(self, request: ir.Request, *, model: str) -> tuple[JSONObject, list[ir.Adaptation]]:
        """The body for ``models/{model}:generateContent``; ``model`` goes in the path, so it is not used here."""
        del model
        return RequestEncoder(request).encode()

    def decode_response(self, data: Mapping[str, Any]) -> ir.Response:
        return decode_response(as_object(normalise(data, RESPONSE_SPEC), "response"))

    def encode_response(self, response: ir.Response) -> JSONObject:
        return encode_response(response)
