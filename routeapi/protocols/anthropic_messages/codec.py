"""The Anthropic Messages codec: requests and responses in both directions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from ... import ir
from ...errors import ProtocolError
from .request_decoder import decode_request
from .request_encoder import RequestEncoder
from .response import decode_response, encode_response
from .shared import NAME, JSONObject


class AnthropicMessagesCodec:
    """Anthropic Messages, both directions (see the package docstring for what survives a round trip)."""

    name = NAME

    def decode_request(self, body: Mapping[str, Any]) -> ir.Request:
        """Inbound body -> IR. ``max_tokens`` may be missing (the router fills it from the model catalog)."""
        return decode_request(body)

    def encode_request(
        self,
        request: ir.Request,
        *,
        model: str,
        default_max_tokens: int = 4096,
        structured_output: Literal["native", "tool"] = "native",
    ) -> tuple[JSONObject, list[ir.Adaptation]]:
        """IR -> request body. ``structured_output="tool"`` emulates a json_schema response format with a forced
        tool call (undo it on the response with :func:`unwrap_forced_tool`)."""
        encoder = RequestEncoder(
            request, model=model, default_max_tokens=default_max_tokens, structured_output=structured_output
        )
        return encoder.encode()

    def decode_response(self, data: Mapping[str, Any]) -> ir.Response:
        if not isinstance(data, Mapping):  # pyright: ignore[reportUnnecessaryIsInstance] - upstream sent null or a list
            raise ProtocolError(f"the upstream response is not a JSON object but {type(data).__name__}")
        return decode_response(data)

    def encode_response(self, response: ir.Response) -> JSONObject:
        return encode_response(response)
