"""The codec: both directions of Bedrock Converse behind the ``Codec`` interface."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ... import ir
from ...errors import ProtocolError
from .constants import NAME, JSONObject
from .request_decoder import decode_request
from .request_encoder import RequestEncoder
from .response import decode_response, encode_response


class BedrockConverseCodec:
    """Bedrock Converse, both directions (see the package docstring for what survives a round trip)."""

    name = NAME

    def decode_request(self, body: Mapping[str, Any]) -> ir.Request:
        """``converse`` kwargs -> IR."""
        return decode_request(body)

    def encode_request(self, request: ir.Request, *, model: str) -> tuple[JSONObject, list[ir.Adaptation]]:
        """IR -> ``converse`` / ``converse_stream`` kwargs (``modelId`` included; ``request.stream`` picks the
        operation, not a body key)."""
        return RequestEncoder(request, model=model).encode()

    def decode_response(self, data: Mapping[str, Any]) -> ir.Response:
        """A ``converse`` result -> IR. ``model`` is left empty: the response does not name it."""
        if not isinstance(data, Mapping):  # pyright: ignore[reportUnnecessaryIsInstance] - upstream sent null or a list
            raise ProtocolError(f"the upstream response is not a JSON object but {type(data).__name__}")
        return decode_response(data)

    def encode_response(self, response: ir.Response) -> JSONObject:
        return encode_response(response)
