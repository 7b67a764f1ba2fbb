"""A small HTTP/1.1 server for the fakes: one asyncio event loop in a daemon thread, one Protocol per connection.

It supports keep-alive, request bodies by Content-Length or chunked encoding, JSON answers with Content-Length and
streamed answers with chunked encoding (one chunk per write, flushed at once). For fault injection it can reset
the connection, hold it open silently, or end a body early, and it tells a handler when the peer went away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import parse_qsl, urlsplit

_log = logging.getLogger("routeapi.testing")

_MAX_HEAD_BYTES = 64 * 1024
_MAX_BODY_BYTES = 64 * 1024 * 1024


class ClientGone(Exception):
    """The connection is closed: nothing more can be sent."""


class _BadRequest(Exception):
    pass


@dataclass(frozen=True)
class HTTPRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ", "
    body: bytes


Handler = Callable[["HTTPExchange"], Awaitable[None]]


class HTTPExchange:
    """One request and its response, as seen by a handler."""

    def __init__(self, connection: _Connection, request: HTTPRequest) -> None:
        self.request = request
        self._connection = connection
        self.headers_sent = False
        self.complete = False

    @property
    def connection_lost(self) -> bool:
        return self._connection.lost

    @property
    def client_disconnected(self) -> bool:
        """The peer closed the connection before the response was complete."""
        return self._connection.lost and not self._connection.closed_by_server and not self.complete

    async def wait_connection_lost(self) -> None:
        await self._connection.lost_event.wait()

    async def sleep(self, seconds: float) -> bool:
        """Sleep, waking early if the connection is lost; True when the connection is still open."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._connection.lost_event.wait(), timeout=seconds)
        return not self._connection.lost

    async def respond(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        head = self._head(status, {**headers, "content-length": str(len(body))})
        self.headers_sent = True
        await self._connection.write(head + body)
        self.complete = True

    async def start_stream(self, status: int, headers: Mapping[str, str]) -> None:
        head = self._head(status, {**headers, "transfer-encoding": "chunked"})
        self.headers_sent = True
        await self._connection.write(head)

    async def send_chunk(self, data: bytes) -> None:
        if data:
            await self._connection.write(b"%x\r\n%s\r\n" % (len(data), data))

    async def end_stream(self) -> None:
        await self._connection.write(b"0\r\n\r\n")
        self.complete = True

    def abort(self) -> None:
        """Reset the TCP connection (RST, not FIN), dropping anything unsent."""
        self._connection.abort()

    def _head(self, status: int, headers: Mapping[str, str]) -> bytes:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
        lines = [f"HTTP/1.1 {status} {reason}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if not self._connection.keep_alive:
            lines.append("connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class _Connection(asyncio.Protocol):
    def __init__(self, server: HTTPServer) -> None:
        self._server = server
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._eof = False
        self._data_waiter: asyncio.Future[None] | None = None
        self._writable = asyncio.Event()
        self._writable.set()
        self._task: asyncio.Task[None] | None = None
        self.lost = False
        self.lost_event = asyncio.Event()
        self.closed_by_server = False
        self.keep_alive = True

    # asyncio.Protocol callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._server.connections.add(self)
        self._task = asyncio.get_running_loop().create_task(self._serve())

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        self._wake()

    def eof_received(self) -> bool:
        # A client that half-closes has gone away as far as HTTP is concerned: let the transport close.
        self._eof = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.lost_event.set()
        self._writable.set()
        self._wake()
        self._server.connections.discard(self)

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    # used by exchanges and the server

    async def write(self, data: bytes) -> None:
        if self.lost or self._transport is None or self._transport.is_closing():
            raise ClientGone
        self._transport.write(data)
        await self._writable.wait()
        if self.lost:
            raise ClientGone

    def abort(self) -> None:
        if self._transport is None or self.lost:
            return
        self.closed_by_server = True
        sock = self._transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._transport.abort()

    def close(self) -> None:
        if self._transport is not None and not self.lost:
            self.closed_by_server = True
            self._transport.close()

    async def shutdown(self) -> None:
        self.abort()
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    # request handling

    async def _serve(self) -> None:
        try:
            while not self.lost:
                try:
                    request = await self._read_request()
                except _BadRequest as exc:
                    await self._reject(str(exc))
                    return
                if request is None:
                    return
                exchange = HTTPExchange(self, request)
                await self._run_handler(exchange)
                if not exchange.complete or not self.keep_alive:
                    break
        except ClientGone:
            pass
        finally:
            self.close()

    async def _run_handler(self, exchange: HTTPExchange) -> None:
        try:
            await self._server.handler(exchange)
        except ClientGone:
            pass
        except Exception:
            _log.exception("fake upstream handler failed for %s %s", exchange.request.method, exchange.request.path)
            if not exchange.headers_sent and not self.lost:
                body = b"fake upstream handler failed; see the log"
                await exchange.respond(500, {"content-type": "text/plain"}, body)

    async def _reject(self, reason: str) -> None:
        self.keep_alive = False
        body = reason.encode()
        head = f"HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: {len(body)}\r\n"
        with contextlib.suppress(ClientGone):
            await self.write(head.encode() + b"connection: close\r\n\r\n" + body)

    async def _read_request(self) -> HTTPRequest | None:
        head = await self._read_until(b"\r\n\r\n", _MAX_HEAD_BYTES)
        if head is None:
            return None
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _BadRequest(f"bad request line: {request_line!r}")
        method, target, version = parts
        headers: dict[str, str] = {}
        for line in header_lines:
            name, sep, value = line.partition(":")
            if not sep or not name.strip():
                raise _BadRequest(f"bad header line: {line!r}")
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
        connection = headers.get("connection", "").lower()
        self.keep_alive = "close" not in connection and (version == "HTTP/1.1" or "keep-alive" in connection)
        if headers.get("expect", "").lower() == "100-continue":
            await self.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = await self._read_body(headers)
        url = urlsplit(target)
        return HTTPRequest(method, url.path, dict(parse_qsl(url.query, keep_blank_values=True)), headers, body)

    async def _read_body(self, headers: Mapping[str, str]) -> bytes:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return await self._read_chunked_body()
        length_text = headers.get("content-length", "0")
        if not length_text.isdigit() or int(length_text) > _MAX_BODY_BYTES:
            raise _BadRequest(f"bad content-length: {length_text!r}")
        body = await self._read_exactly(int(length_text))
        if body is None:
            raise ClientGone
        return body

    async def _read_chunked_body(self) -> bytes:
        body = bytearray()
        while True:
            size_line = await self._read_until(b"\r\n", 1024)
            if size_line is None:
                raise ClientGone
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BadRequest(f"bad chunk size: {size_line!r}") from None
            if size == 0:
                # Skip trailers up to the blank line that ends the message.
                while (trailer := await self._read_until(b"\r\n", _MAX_HEAD_BYTES)) is not None and trailer:
                    pass
                return bytes(body)
            chunk = await self._read_exactly(size + 2)
            if chunk is None:
                raise ClientGone
            body += chunk[:-2]
            if len(body) > _MAX_BODY_BYTES:
                raise _BadRequest("request body too large")

    async def _read_until(self, separator: bytes, limit: int) -> bytes | None:
        """Bytes before ``separator`` (which is consumed); None if the peer closed first."""
        while True:
            end = self._buffer.find(separator)
            if end >= 0:
                data = bytes(self._buffer[:end])
                del self._buffer[: end + len(separator)]
                return data
            if len(self._buffer) > limit:
                raise _BadRequest("request head too large")
            if not await self._wait_for_data():
                return None

    async def _read_exactly(self, size: int) -> bytes | None:
        while len(self._buffer) < size:
            if not await self._wait_for_data():
                return None
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    async def _wait_for_data(self) -> bool:
        if self._eof or self.lost:
            return False
        self._data_waiter = asyncio.get_running_loop().create_future()
        try:
            await self._data_waiter
        finally:
            self._data_waiter = None
        return True

    def _wake(self) -> None:
        if self._data_waiter is not None and not self._data_waiter.done():
            self._data_waiter.set_result(None)


class HTTPServer:
    """Runs ``handler`` for each request on its own event loop thread. ``start()`` binds; ``stop()`` closes
    every connection and joins the thread."""

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 0) -> None:
        self.handler = handler
        self.host = host
        self._requested_port = port
        self.port = 0
        self.connections: set[_Connection] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        if self._thread is not None:
            return
        ready = threading.Event()
        failure: list[BaseException] = []
        thread = threading.Thread(target=self._run, args=(ready, failure), name="routeapi-fake-http", daemon=True)
        thread.start()
        ready.wait()
        if failure:
            thread.join()
            raise failure[0]
        self._thread = thread

    def stop(self) -> None:
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop may already be gone
            asyncio.run_coroutine_threadsafe(self._close_all(), loop).result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._thread = None

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            server = loop.run_until_complete(
                loop.create_server(lambda: _Connection(self), self.host, self._requested_port, backlog=4096)
            )
        except BaseException as exc:
            failure.append(exc)
            loop.close()
            ready.set()
            return
        self._server, self._loop = server, loop
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            self._loop = self._server = None

    async def _close_all(self) -> None:
        if self._server is not None:
            self._server.close()
        await asyncio.gather(*(connection.shutdown() for connection in list(self.connections)))
        if self._server is not None:
            await self._server.wait_closed()
