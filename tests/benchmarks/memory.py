"""Gateway memory: RSS idle, over many requests (it must stay flat), and with 1,000 concurrent slow streams.

    python -m tests.benchmarks.memory [--quick] [--requests 30000] [--streams 1000] [--event-delay 0.2]

One gateway worker in front of two fake upstream processes: a fast one for the request phase and a slow one whose
stream events are ``--event-delay`` seconds apart for the stream phase. The request phase cycles through three
kinds of request (OpenAI face plain and streamed, and the Anthropic face translated to OpenAI) at concurrency 16 and
reads the gateway's RSS after each tenth of the run. The stream phase opens ``--streams`` connections at once, each
a streamed request that lasts about ``chunks x event-delay`` seconds, and samples RSS every 50 ms; the peak counts.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from ._http_load import Outcome, http_request, load
from ._procs import TOKEN, Running, fake_upstream, gateway
from ._stats import table, verdict

STREAMS_RSS_TARGET_MB = 300.0
FLAT_TOLERANCE_MB = 3.0
"""RSS growth over the second half of the request phase still counted as noise (allocator arenas, caches)."""

MESSAGES = [{"role": "user", "content": "Hello"}]
OPENAI_AUTH = {"authorization": f"Bearer {TOKEN}"}
ANTHROPIC_AUTH = {"x-api-key": TOKEN, "anthropic-version": "2023-06-01"}


def request_mix(provider: str) -> list[tuple[bytes, bytes | None]]:
    """(request, marker the response must contain) for each kind of request in the mix."""
    body = {"model": f"{provider}/gpt-4o-mini", "messages": MESSAGES, "max_tokens": 256}
    return [
        (http_request("/v1/chat/completions", body, OPENAI_AUTH), None),
        (http_request("/v1/chat/completions", {**body, "stream": True}, OPENAI_AUTH), b"[DONE]"),
        (http_request("/v1/messages", body, ANTHROPIC_AUTH), None),
    ]


@dataclass
class Checkpoint:
    requests: int
    rss_mb: float
    rate: float


async def request_phase(served: Running, requests: int, checkpoints: int) -> tuple[list[Checkpoint], int]:
    """The gateway's RSS after each of ``checkpoints`` equal slices of ``requests``, and the error count."""
    mix = request_mix("fake")
    seen: list[Checkpoint] = []
    done = errors = 0
    per_slice = max(len(mix), requests // checkpoints)
    started = time.perf_counter()
    for _ in range(checkpoints):
        for payload, expect in mix:
            outcome = await load(served.port, payload, concurrency=16, requests=per_slice // len(mix), expect=expect)
            done += len(outcome.latencies)
            errors += outcome.errors
        seen.append(Checkpoint(done, served.rss_mb(), done / (time.perf_counter() - started)))
    return seen, errors


async def stream_phase(served: Running, streams: int) -> tuple[Outcome, float]:
    """``streams`` slow streams at once; returns their outcome and the peak RSS seen meanwhile."""
    payload, expect = request_mix("slow")[1]
    peak = served.rss_mb()
    running = asyncio.ensure_future(load(served.port, payload, concurrency=streams, requests=streams, expect=expect))
    while not running.done():
        peak = max(peak, served.rss_mb())
        await asyncio.sleep(0.05)
    return running.result(), peak


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="gateway RSS: idle, over many requests, with many slow streams")
    parser.add_argument("--quick", action="store_true", help="a ~15 s smoke run (1,500 requests, 200 streams)")
    parser.add_argument("--requests", type=int, default=30_000, help="requests in the flat-memory phase")
    parser.add_argument("--streams", type=int, default=1000, help="concurrent slow streams")
    parser.add_argument("--event-delay", type=float, default=0.2, help="seconds between slow stream events")
    parser.add_argument("--chunks", type=int, default=20, help="content events per slow stream")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.streams, args.event_delay, args.chunks = 1500, 200, 0.1, 10

    started = time.perf_counter()
    limit = max(256, args.streams * 2)
    with (
        fake_upstream() as fast,
        fake_upstream(chunks=args.chunks, event_delay=args.event_delay) as slow,
        gateway({"fake": fast.url, "slow": slow.url}, limit=limit) as served,
    ):
        time.sleep(1.0)
        idle = served.rss_mb()
        warm_up = 300 if args.quick else 1500
        warm = asyncio.run(request_phase(served, warm_up, 1))[0][-1].rss_mb
        checkpoints, errors = asyncio.run(request_phase(served, args.requests, 10))
        before_streams = served.rss_mb()
        streamed, peak = asyncio.run(stream_phase(served, args.streams))
        after_streams = served.rss_mb()

    print("### Gateway RSS over the request phase (concurrency 16, mixed plain / streamed / translated)\n")
    rows: list[list[object]] = [["idle, after start", idle, "-"], [f"{warm_up} warm-up", warm, "-"]]
    rows += [[c.requests, c.rss_mb, c.rate] for c in checkpoints]
    print(table(["requests", "RSS MiB", "req/s so far"], rows))
    halfway, last = checkpoints[max(0, len(checkpoints) // 2 - 1)], checkpoints[-1]
    growth = last.rss_mb - halfway.rss_mb
    per_request = growth * 1024 * 1024 / max(1, last.requests - halfway.requests)
    print(f"\nerrors: {errors}; RSS growth over the second half: {growth:+.1f} MiB", end="")
    print(f" ({per_request:+.0f} bytes per request)\n")

    print(f"### {args.streams} concurrent slow streams ({args.chunks} events, {args.event_delay:g} s apart)\n")
    stream_rows = [
        ["RSS before", before_streams],
        ["RSS peak", peak],
        ["RSS after", after_streams],
        ["streams completed", len(streamed.latencies)],
        ["most in flight at once", streamed.peak_in_flight],
        ["errors", streamed.errors],
        [
            "median stream duration s",
            sorted(streamed.latencies)[len(streamed.latencies) // 2] if streamed.latencies else float("nan"),
        ],
    ]
    print(table(["measure", "value"], stream_rows))
    if streamed.first_error:
        print(f"\nfirst error: {streamed.first_error}")

    flat = growth <= FLAT_TOLERANCE_MB and errors == 0
    all_streams = len(streamed.latencies) == args.streams and streamed.peak_in_flight == args.streams
    targets = [
        [
            f"flat over {last.requests} requests (second-half growth)",
            f"{growth:+.1f} MiB",
            f"<= {FLAT_TOLERANCE_MB:g} MiB",
            verdict(flat),
        ],
        [
            f"{args.streams} concurrent streams, peak RSS",
            f"{peak:.0f} MiB",
            f"< {STREAMS_RSS_TARGET_MB:.0f} MiB",
            verdict(peak < STREAMS_RSS_TARGET_MB and all_streams),
        ],
    ]
    print("\n### Targets\n")
    print(table(["target", "measured", "limit", "verdict"], targets))
    print(f"\nidle RSS {idle:.0f} MiB; {time.perf_counter() - started:.0f} s in all.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
