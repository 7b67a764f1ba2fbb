"""The HTTP/1.1 connections the gateway serves: uvicorn's h11 protocol, plus a deadline for the request head.

uvicorn has no header-read timeout: a client that opens a connection and sends its headers a byte at a time (slow
loris) holds it for as long as it likes. Here the head must be complete within ``server.header_timeout`` seconds of
the connection opening, or of the first byte of the next request on a kept-alive connection; otherwise the client
gets a 408 and the connection is closed. Idle kept-alive connections stay uvicorn's business (``timeout_keep_alive``).

Accepted sockets also get TCP_NODELAY. With several workers uvicorn binds the port itself without naming TCP as the
protocol, asyncio then leaves Nagle's algorithm on, and every small response waits ~40 ms for the client's delayed
ACK. ``routeapi serve`` pins this protocol (``http=``) in every case, h11 included: uvicorn would pick httptools
when it is installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from typing import Any

import h11
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from ..config import ServerConfig

__all__ = ["GatewayH11Protocol"]

logger = logging.getLogger("routeapi.server")

_DEFAULT_HEADER_TIMEOUT: float = ServerConfig.model_fields["header_timeout"].default
_REQUEST_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
_WRAPPERS = 8  # uvicorn wraps the app in a few middlewares, each holding the next one in ``.app``


class GatewayH11Protocol(H11Protocol):
    """uvicorn's :class:`H11Protocol` that closes a connection whose request head is late, with TCP_NODELAY set."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.header_timeout = header_timeout_of(getattr(config, "loaded_app", None))
        self._head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        _no_delay(transport)
        self._await_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._cancel_deadline()  # the head arrived (or the connection is done with)
        elif self._head_deadline is None and not self.transport.is_closing():
            self._await_head()  # the first bytes of another request on a kept-alive connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def _await_head(self) -> None:
        self._head_deadline = self.loop.call_later(self.header_timeout, self._head_late)

    def _cancel_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_late(self) -> None:
        self._head_deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            logger.debug("closed a connection whose request head took over %g s", self.header_timeout)
            self.transport.write(_REQUEST_TIMEOUT)
            self.transport.close()


def header_timeout_of(app: object) -> float:
    """``server.header_timeout`` of the gateway ``app`` (found under uvicorn's middlewares), else the default."""
    for _ in range(_WRAPPERS):
        server = getattr(app, "server", None)
        timeout = getattr(server, "header_timeout", None)
        if isinstance(timeout, (int, float)):
            return float(timeout)
        app = getattr(app, "app", None)
        if app is None:
            break
    return _DEFAULT_HEADER_TIMEOUT


def _no_delay(transport: asyncio.Transport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
