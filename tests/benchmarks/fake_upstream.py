"""A fast fake upstream for benchmarks: raw asyncio HTTP/1.1, fixed bodies, one process of its own.

It answers OpenAI chat completions, Anthropic messages and Gemini generateContent, plain and streamed (SSE), with
bytes prepared once at start, so a request costs a header scan and one write. It must never be the bottleneck: the
benchmarks measure its ceiling with a raw client and print it. (``routeapi.testing`` fakes record and script every
request; they are for correctness, not for throughput.)

    python -m tests.benchmarks.fake_upstream --port 8100 [--chunks 10] [--event-delay 0.25]

``--event-delay`` spaces stream events out (slow streams, for the memory benchmark). It prints ``ready <port>``
once listening. ``GET /healthz`` answers 200.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import sys
from dataclasses import dataclass
from typing import Any

TEXT = "Hello! This is a fixed benchmark answer, split into a few stream events."
_STREAM_FLAG = re.compile(rb'"stream"\s*:\s*true')
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)


def _pieces(chunks: int) -> list[str]:
    """TEXT cut into ``chunks`` pieces that join back into it."""
    size = max(1, -(-len(TEXT) // chunks))
    return [TEXT[i : i + size] for i in range(0, len(TEXT), size)]


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


# -- the fixed bodies, per protocol ------------------------------------------------------------------------------
def openai_completion() -> dict[str, Any]:
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o-mini",
        "system_fingerprint": "fp_bench",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": TEXT, "refusal": None, "annotations": []},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 15, "total_tokens": 24},
    }


def openai_events(chunks: int) -> list[str]:
    envelope = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-4o-mini",
        "system_fingerprint": "fp_bench",
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return f"data: {_dumps({**envelope, 'choices': [choice], 'usage': None})}\n\n"

    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": piece}) for piece in _pieces(chunks)]
    events.append(chunk({}, "stop"))
    usage = {"prompt_tokens": 9, "completion_tokens": 15, "total_tokens": 24}
    events.append(f"data: {_dumps({**envelope, 'choices': [], 'usage': usage})}\n\n")
    events.append("data: [DONE]\n\n")
    return events


def anthropic_message() -> dict[str, Any]:
    return {
        "id": "msg_bench",
        "type": "message",
        "role": "assistant",
        "model": "claude-haiku-4-5",
        "content": [{"type": "text", "text": TEXT}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 9, "output_tokens": 15},
    }


def anthropic_events(chunks: int) -> list[str]:
    def event(name: str, data: dict[str, Any]) -> str:
        return f"event: {name}\ndata: {_dumps({'type': name, **data})}\n\n"

    start = {
        **anthropic_message(),
        "content": [],
        "stop_reason": None,
        "usage": {"input_tokens": 9, "output_tokens": 1},
    }
    events = [
        event("message_start", {"message": start}),
        event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}),
    ]
    events += [
        event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": piece}})
        for piece in _pieces(chunks)
    ]
    events += [
        event("content_block_stop", {"index": 0}),
        event(
            "message_delta",
            {"delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": {"output_tokens": 15}},
        ),
        event("message_stop", {}),
    ]
    return events


def gemini_response(text: str = TEXT, finish: bool = True) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}, "index": 0}
    if finish:
        candidate["finishReason"] = "STOP"
    return {
        "candidates": [candidate],
        "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": 15, "totalTokenCount": 24},
        "modelVersion": "gemini-2.5-flash",
        "responseId": "bench",
    }


def gemini_events(chunks: int) -> list[str]:
    pieces = _pieces(chunks)
    last = len(pieces) - 1
    return [f"data: {_dumps(gemini_response(p, finish=i == last))}\r\n\r\n" for i, p in enumerate(pieces)]


# -- HTTP framing ------------------------------------------------------------------------------------------------
_COMMON = b"x-request-id: req_bench\r\nrequest-id: req_bench\r\n"


def json_response(body: dict[str, Any]) -> bytes:
    payload = _dumps(body).encode()
    head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(payload)}\r\n".encode()
    return head + _COMMON + b"\r\n" + payload


def chunk_frame(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


STREAM_HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n" + _COMMON + b"\r\n"
)
STREAM_END = b"0\r\n\r\n"
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
HEALTHY = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"


@dataclass(frozen=True)
class Answer:
    """What to write for one kind of request: a whole response, or a stream's head, frames and end."""

    whole: bytes
    frames: tuple[bytes, ...] = ()


class Answers:
    def __init__(self, chunks: int) -> None:
        def stream(events: list[str]) -> Answer:
            frames = tuple(chunk_frame(e.encode()) for e in events)
            return Answer(STREAM_HEAD + b"".join(frames) + STREAM_END, frames)

        self.openai = Answer(json_response(openai_completion()))
        self.openai_stream = stream(openai_events(chunks))
        self.anthropic = Answer(json_response(anthropic_message()))
        self.anthropic_stream = stream(anthropic_events(chunks))
        self.gemini = Answer(json_response(gemini_response()))
        self.gemini_stream = stream(gemini_events(chunks))

    def pick(self, target: bytes, body: bytes) -> Answer | None:
        if target.endswith(b"/chat/completions"):
            return self.openai_stream if _STREAM_FLAG.search(body) else self.openai
        if target.endswith(b"/messages"):
            return self.anthropic_stream if _STREAM_FLAG.search(body) else self.anthropic
        if b":streamGenerateContent" in target:
            return self.gemini_stream
        if b":generateContent" in target:
            return self.gemini
        return None


class _Connection(asyncio.Protocol):
    """One keep-alive connection: requests are answered in order, as soon as their body is complete."""

    def __init__(self, answers: Answers, event_delay: float) -> None:
        self._answers = answers
        self._event_delay = event_delay
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        self._streaming = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while not self._streaming and self._answer_one():
            pass

    def _answer_one(self) -> bool:
        buffer = self._buffer
        head_end = buffer.find(b"\r\n\r\n")
        if head_end < 0:
            return False
        head = bytes(buffer[:head_end])
        found = _CONTENT_LENGTH.search(head)
        length = int(found.group(1)) if found else 0
        total = head_end + 4 + length
        if len(buffer) < total:
            return False
        body = bytes(buffer[head_end + 4 : total])
        del buffer[:total]
        method, target = head.split(b" ", 2)[:2]
        transport = self._transport
        if transport is None:
            return False
        if method == b"GET":
            transport.write(HEALTHY if target.startswith(b"/healthz") else NOT_FOUND)
            return True
        answer = self._answers.pick(target.split(b"?", 1)[0], body)
        if answer is None:
            transport.write(NOT_FOUND)
        elif self._event_delay > 0 and answer.frames:
            self._streaming = True
            asyncio.get_running_loop().create_task(self._slow_stream(answer))
        else:
            transport.write(answer.whole)
        return True

    async def _slow_stream(self, answer: Answer) -> None:
        transport = self._transport
        if transport is None:
            return
        transport.write(STREAM_HEAD)
        for frame in answer.frames:
            await asyncio.sleep(self._event_delay)
            if self._transport is None:
                return
            transport.write(frame)
        transport.write(STREAM_END)
        self._streaming = False
        self.data_received(b"")  # a request that arrived meanwhile


async def serve(port: int, chunks: int, event_delay: float) -> None:
    answers = Answers(chunks)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Connection(answers, event_delay), "127.0.0.1", port, backlog=4096, reuse_address=True
    )
    bound = server.sockets[0].getsockname()[1]
    print(f"ready {bound}", flush=True)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--chunks", type=int, default=10, help="content events per stream (default 10)")
    parser.add_argument("--event-delay", type=float, default=0.0, help="seconds between stream events (default 0)")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, args.chunks, args.event_delay))
    return 0


if __name__ == "__main__":
    sys.exit(main())
