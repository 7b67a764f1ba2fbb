"""The smallest inputs the fuzz suite found that crashed a codec, kept as regression tests."""

from __future__ import annotations

import pytest

from routeapi.errors import ProtocolError
from routeapi.protocols.openai_responses import OpenAIResponsesCodec


def test_responses_output_item_with_a_non_string_type_is_a_protocol_error() -> None:
    response = {"id": "resp_1", "status": "completed", "model": "m", "output": [{"type": ["message"]}]}

    with pytest.raises(ProtocolError, match=r"output\[0\]\.type"):
        OpenAIResponsesCodec().decode_response(response)
