"""A raw HTTP/1.1 load generator: keep-alive connections driven by asyncio protocols, no HTTP library in the way,
so the client side costs as little as Python allows (the benchmarks print the fake upstream's ceiling with it)."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any


def http_request(path: str, body: dict[str, Any] | None, headers: dict[str, str] | None = None) -> bytes:
    """The bytes of one keep-alive request (POST with a JSON body, or GET without one)."""
    lines = [f"{'POST' if body is not None else 'GET'} {path} HTTP/1.1", "host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    payload = json.dumps(body).encode() if body is not None else b""
    if body is not None:
        lines += ["content-type: application/json", f"content-length: {len(payload)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


@dataclass
class Outcome:
    """One load run: per-request latencies (seconds, complete response) and times to the first response byte."""

    latencies: list[float] = field(default_factory=lambda: [])
    first_bytes: list[float] = field(default_factory=lambda: [])
    elapsed: float = 0.0
    errors: int = 0
    first_error: str | None = None
    in_flight: int = 0
    peak_in_flight: int = 0
    """Most requests sent and not yet answered at once."""

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed > 0 else 0.0

    def failed(self, reason: str) -> None:
        self.errors += 1
        if self.first_error is None:
            self.first_error = reason


class _Connection(asyncio.Protocol):
    """Parses one response at a time: Content-Length or chunked bodies (no trailers)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._waiter: asyncio.Future[tuple[int, bytes, float]] | None = None
        self._reset()

    def _reset(self) -> None:
        self._status = 0
        self._body_start = -1
        self._length = -1  # -1: chunked
        self._scan = 0  # where the next chunk-size line starts (chunked)
        self._first_byte = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(ConnectionError(f"connection closed: {exc}"))

    def exchange(self, request: bytes) -> asyncio.Future[tuple[int, bytes, float]]:
        """Send ``request``; the future gives (status, body, time of the first byte) once the whole response
        arrived."""
        if self.transport is None:
            raise ConnectionError("connection closed")
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self._waiter

    def data_received(self, data: bytes) -> None:
        if not self._first_byte:
            self._first_byte = time.perf_counter()
        self._buffer += data
        end = self._complete_at()
        if end < 0:
            return
        body = bytes(self._buffer[self._body_start : end])
        status, first_byte = self._status, self._first_byte
        del self._buffer[:end]
        self._reset()
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((status, body, first_byte))

    def _complete_at(self) -> int:
        """Where the current response ends in the buffer, or -1 while it is incomplete."""
        buffer = self._buffer
        if self._body_start < 0:
            head_end = buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return -1
            head = bytes(buffer[:head_end]).lower()
            self._status = int(head[9:12])
            self._body_start = self._scan = head_end + 4
            marker = head.find(b"\r\ncontent-length:")
            if marker >= 0:
                line_end = head.find(b"\r\n", marker + 2)
                self._length = int(head[marker + 17 : line_end if line_end >= 0 else len(head)])
        if self._length >= 0:
            end = self._body_start + self._length
            return end if len(buffer) >= end else -1
        while True:
            line_end = buffer.find(b"\r\n", self._scan)
            if line_end < 0:
                return -1
            size = int(bytes(buffer[self._scan : line_end]).split(b";", 1)[0], 16)
            if size == 0:
                return line_end + 4 if len(buffer) >= line_end + 4 else -1
            following = line_end + 2 + size + 2
            if len(buffer) < following:
                return -1
            self._scan = following


async def _connect(host: str, port: int) -> _Connection:
    _, connection = await asyncio.get_running_loop().create_connection(_Connection, host, port)
    return connection


class _Budget:
    """Shared by the workers: a number of requests, or a deadline."""

    def __init__(self, requests: int | None, duration: float | None) -> None:
        self._left = requests
        self._until = time.perf_counter() + duration if duration is not None else None

    def take(self) -> bool:
        if self._until is not None and time.perf_counter() >= self._until:
            return False
        if self._left is not None:
            if self._left <= 0:
                return False
            self._left -= 1
        return True


async def load(
    port: int,
    request: bytes,
    *,
    concurrency: int,
    requests: int | None = None,
    duration: float | None = None,
    expect: bytes | None = None,
    host: str = "127.0.0.1",
) -> Outcome:
    """``concurrency`` connections send ``request`` back to back until ``requests`` were sent or ``duration``
    seconds passed. A response counts when its status is 200 and (for streams) its body contains ``expect``."""
    outcome = Outcome()
    budget = _Budget(requests, duration)

    async def worker() -> None:
        connection: _Connection | None = None
        while budget.take():
            try:
                if connection is None or connection.transport is None:
                    connection = await _connect(host, port)
                started = time.perf_counter()
                outcome.in_flight += 1
                outcome.peak_in_flight = max(outcome.peak_in_flight, outcome.in_flight)
                try:
                    status, body, first_byte = await connection.exchange(request)
                finally:
                    outcome.in_flight -= 1
                finished = time.perf_counter()
            except (ConnectionError, OSError) as error:
                outcome.failed(f"{type(error).__name__}: {error}")
                connection = None
                continue
            if status != 200 or (expect is not None and expect not in body):
                outcome.failed(f"status {status}: {body[:200]!r}")
                continue
            outcome.latencies.append(finished - started)
            outcome.first_bytes.append(first_byte - started)
        if connection is not None and connection.transport is not None:
            connection.transport.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    outcome.elapsed = time.perf_counter() - started
    return outcome
