"""AWS event-stream framing (``application/vnd.amazon.eventstream``), the binary stream of Bedrock's ConverseStream.

A message is a 12-byte prelude (total length, headers length, CRC32 of those 8 bytes), the headers, the payload,
and a CRC32 of everything before it; all integers big-endian. Only string header values are written: Bedrock's
streams use no other header type.
"""

from __future__ import annotations

import binascii
import json
import struct
from collections.abc import Mapping
from typing import Any

_PRELUDE_BYTES = 12
_CRC_BYTES = 4
_STRING_VALUE = 7


def frame(headers: Mapping[str, str], payload: bytes) -> bytes:
    """One complete message."""
    encoded_headers = b"".join(_header(name, value) for name, value in headers.items())
    total_length = _PRELUDE_BYTES + len(encoded_headers) + len(payload) + _CRC_BYTES
    lengths = struct.pack(">II", total_length, len(encoded_headers))
    message = lengths + _crc(lengths) + encoded_headers + payload
    return message + _crc(message)


def event_frame(event_type: str, payload: Mapping[str, Any]) -> bytes:
    """An event message: botocore yields it as ``{event_type: payload}``."""
    headers = {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}
    return frame(headers, _json(payload))


def exception_frame(exception_type: str, payload: Mapping[str, Any]) -> bytes:
    """A modelled exception message: botocore raises ``EventStreamError`` with ``Error.Code == exception_type``."""
    headers = {":exception-type": exception_type, ":content-type": "application/json", ":message-type": "exception"}
    return frame(headers, _json(payload))


def with_corrupted_checksum(message: bytes) -> bytes:
    """``message`` with its trailing message CRC inverted, so readers reject it."""
    (checksum,) = struct.unpack(">I", message[-_CRC_BYTES:])
    return message[:-_CRC_BYTES] + struct.pack(">I", checksum ^ 0xFFFFFFFF)


def _header(name: str, value: str) -> bytes:
    encoded_name, encoded_value = name.encode(), value.encode()
    return (
        struct.pack(">B", len(encoded_name))
        + encoded_name
        + struct.pack(">BH", _STRING_VALUE, len(encoded_value))
        + encoded_value
    )


def _crc(data: bytes) -> bytes:
    return struct.pack(">I", binascii.crc32(data) & 0xFFFFFFFF)


def _json(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
