"""The little ASGI plumbing the gateway needs: the request head, a size-capped body, and a response writer that
puts the request ID on every response."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from . import _json

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = Sequence[tuple[str, str]]

# A body over the limit is still read (and thrown away) up to this many times the limit, so that the client, which
# sends its whole body before reading, gets the 413 rather than a broken connection.
_DRAIN_FACTOR = 8


class ClientGone(Exception):
    """The client closed the connection."""


class BodyTooLarge(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Incoming:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    """Lower-cased names; a repeated header keeps its first value."""

    @classmethod
    def from_scope(cls, scope: Scope) -> Incoming:
        headers: dict[str, str] = {}
        for name, value in scope.get("headers") or ():
            headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
        query_string: bytes = scope.get("query_string") or b""
        query = dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
        return cls(scope["method"], scope["path"], query, headers)


async def read_body(receive: Receive, headers: dict[str, str], limit: int) -> bytes:
    declared = headers.get("content-length", "")
    too_large = declared.isdigit() and int(declared) > limit
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk: bytes = message.get("body") or b""
        size += len(chunk)
        if size > limit:
            too_large = True
            chunks.clear()
        if not too_large:
            chunks.append(chunk)
        if not message.get("more_body") or size > limit * _DRAIN_FACTOR:
            break
    if too_large:
        raise BodyTooLarge
    return b"".join(chunks)


async def wait_for_disconnect(receive: Receive) -> None:
    """Returns when the client has gone. Call it only once the body has been read."""
    while (await receive())["type"] != "http.disconnect":
        pass


class Responder:
    """Writes one response. Headers given at construction go on whatever is sent (the request ID, for example)."""

    def __init__(self, send: Send, common: Headers) -> None:
        self._send = send
        self._common = list(common)
        self.status: int | None = None
        self.finished = False

    @property
    def started(self) -> bool:
        return self.status is not None

    def add_header(self, name: str, value: str) -> None:
        """For headers known only later (the provider that served); ignored once the response has started."""
        self._common.append((name, value))

    async def start(self, status: int, content_type: str, headers: Headers = ()) -> None:
        raw = [(b"content-type", content_type.encode())]
        raw += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in (*self._common, *headers)]
        self.status = status
        await self._send({"type": "http.response.start", "status": status, "headers": raw})

    async def write(self, data: bytes) -> None:
        await self._send({"type": "http.response.body", "body": data, "more_body": True})

    async def end(self, data: bytes = b"") -> None:
        self.finished = True
        await self._send({"type": "http.response.body", "body": data, "more_body": False})

    async def json(self, status: int, body: Any, headers: Headers = ()) -> None:
        payload = _json.dumps(body)
        await self.start(status, "application/json", [("content-length", str(len(payload))), *headers])
        await self.end(payload)
