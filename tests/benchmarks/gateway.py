"""The gateway under load: requests per second and p50/p99 latency at concurrency 1, 16 and 64, one worker,
streamed and not, against the fake upstream hit directly and a minimal pass-through proxy (the Python floor).

    python -m tests.benchmarks.gateway [--quick] [--rounds 3] [--seconds 1.0] [--concurrency 1,16,64]

Four targets, each a separate process in front of the same fake upstream process: the fake itself ("direct"), the
minimal proxy (uvicorn + httpx2, ``minimal_proxy.py``), the gateway on a same-protocol route (OpenAI face -> OpenAI
provider) and on a translated one (Anthropic face -> OpenAI provider). The load comes from a raw asyncio HTTP/1.1
client in this process, over keep-alive connections. Each round runs every target once per cell, in an order
rotated per round; figures are medians over rounds and ratios are paired by round. uvicorn runs with its defaults
here (h11 unless httptools is installed, asyncio unless uvloop is): the proxy and the gateway share them.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from . import _pyspy
from ._ceiling import fake_ceiling
from ._http_load import http_request, load
from ._procs import TOKEN, Running, cpu_seconds, fake_upstream, gateway, minimal_proxy
from ._stats import median, paired_difference, paired_ratio, percentile, table, verdict

THROUGHPUT_TARGET = 0.70
ADDED_P99_TARGET_MS = 2.0

MESSAGES = [{"role": "user", "content": "Hello"}]
TARGETS = ("direct", "minimal proxy", "gateway, OpenAI -> OpenAI", "gateway, Anthropic face -> OpenAI")
SAME = "gateway, OpenAI -> OpenAI"


@dataclass(frozen=True)
class Request:
    server: Running
    """The process that answers (its CPU time is read around each batch)."""
    payload: bytes
    expect: bytes | None


@dataclass(frozen=True)
class Batch:
    rate: float
    p50_ms: float
    p99_ms: float
    server_cpu_ms: float
    """The answering process's CPU time per completed request."""
    errors: int
    first_error: str | None


def requests_for(fake: Running, proxy: Running, served: Running, stream: bool) -> dict[str, Request]:
    extra: dict[str, Any] = {"stream": True} if stream else {}
    chat = {"model": "gpt-4o-mini", "messages": MESSAGES, "max_tokens": 256, **extra}
    routed = {**chat, "model": "fake/gpt-4o-mini"}
    openai_auth = {"authorization": f"Bearer {TOKEN}"}
    anthropic_auth = {"x-api-key": TOKEN, "anthropic-version": "2023-06-01"}
    done = b"[DONE]" if stream else None
    return {
        "direct": Request(fake, http_request("/v1/chat/completions", chat), done),
        "minimal proxy": Request(proxy, http_request("/v1/chat/completions", chat), done),
        SAME: Request(served, http_request("/v1/chat/completions", routed, openai_auth), done),
        "gateway, Anthropic face -> OpenAI": Request(
            served, http_request("/v1/messages", routed, anthropic_auth), b"message_stop" if stream else None
        ),
    }


async def run_batch(request: Request, concurrency: int, seconds: float) -> Batch:
    pid = request.server.process.pid
    cpu = cpu_seconds(pid)
    outcome = await load(
        request.server.port, request.payload, concurrency=concurrency, duration=seconds, expect=request.expect
    )
    completed = max(1, len(outcome.latencies))
    return Batch(
        outcome.rate,
        percentile(outcome.latencies, 50) * 1000,
        percentile(outcome.latencies, 99) * 1000,
        (cpu_seconds(pid) - cpu) / completed * 1000,
        outcome.errors,
        outcome.first_error,
    )


async def measure_cell(
    requests: dict[str, Request], concurrency: int, rounds: int, seconds: float
) -> dict[str, list[Batch]]:
    results: dict[str, list[Batch]] = {name: [] for name in requests}
    names = list(requests)
    for name in names:  # warm-up: connections, lazy imports, caches
        await run_batch(requests[name], concurrency, seconds / 4)
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in [*names[shift:], *names[:shift]]:
            results[name].append(await run_batch(requests[name], concurrency, seconds))
    return results


def cell_table(results: dict[str, list[Batch]]) -> str:
    direct, proxy = results["direct"], results["minimal proxy"]
    rows: list[list[object]] = []
    for name, batches in results.items():
        rows.append(
            [
                name,
                median([b.rate for b in batches]),
                median([b.p50_ms for b in batches]),
                median([b.p99_ms for b in batches]),
                median([b.server_cpu_ms for b in batches]),
                paired_ratio([b.rate for b in batches], [b.rate for b in proxy]),
                paired_difference([b.p50_ms for b in batches], [b.p50_ms for b in direct]),
                paired_difference([b.p99_ms for b in batches], [b.p99_ms for b in direct]),
                sum(b.errors for b in batches),
            ]
        )
    headers = ["target", "req/s", "p50 ms", "p99 ms", "server CPU ms/req", "req/s vs proxy", "added p50 ms"]
    headers += ["added p99 ms", "errors"]
    return table(headers, rows)


def profile(fake: Running, proxy: Running, served: Running, seconds: float) -> None:
    """Where the gateway's CPU goes on the same-protocol route at concurrency 16 (py-spy, sampled from outside)."""
    for stream in (False, True):
        request = requests_for(fake, proxy, served, stream)[SAME]
        asyncio.run(run_batch(request, 16, 0.5))
        process, output = _pyspy.profiled(served.process.pid, seconds)
        time.sleep(0.5)  # py-spy attaches
        batch = asyncio.run(run_batch(request, 16, seconds))
        print(f"### py-spy, gateway, {SAME}, c16, {'streamed' if stream else 'not streamed'}:", end=" ")
        print(f"{batch.rate:.0f} req/s, {batch.server_cpu_ms:.2f} ms CPU/req\n\n{_pyspy.finish(process, output)}\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the routeapi gateway vs a minimal proxy vs the upstream itself")
    parser.add_argument("--quick", action="store_true", help="a ~15 s smoke run (1 round, short batches)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one batch")
    parser.add_argument("--concurrency", default="1,16,64", help="comma-separated connection counts")
    parser.add_argument("--profile", action="store_true", help="instead: py-spy on the gateway, same protocol, c16")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds = 1, 0.2
    levels = [int(c) for c in args.concurrency.split(",")]

    started = time.perf_counter()
    verdicts: list[list[object]] = []
    with fake_upstream() as fake, minimal_proxy(fake.url) as proxy, gateway({"fake": fake.url}) as served:
        if args.profile:
            profile(fake, proxy, served, seconds=8.0)
            return 0
        fake_ceiling(fake, seconds=0.25 if args.quick else 1.0)
        for stream in (False, True):
            requests = requests_for(fake, proxy, served, stream)
            for concurrency in levels:
                results = asyncio.run(measure_cell(requests, concurrency, args.rounds, args.seconds))
                kind = "streamed" if stream else "not streamed"
                print(f"### concurrency {concurrency}, {kind}\n\n{cell_table(results)}\n", flush=True)
                errors = [b.first_error for batches in results.values() for b in batches if b.first_error]
                if errors:
                    print(f"first error: {errors[0]}\n")
                share = paired_ratio([b.rate for b in results[SAME]], [b.rate for b in results["minimal proxy"]])
                verdicts.append(
                    [
                        f"same-protocol req/s vs minimal proxy, c{concurrency}, {kind}",
                        f"{share:.3f}",
                        f">= {THROUGHPUT_TARGET:.2f}",
                        verdict(share >= THROUGHPUT_TARGET),
                    ]
                )
                if concurrency == 16:
                    added = paired_difference([b.p99_ms for b in results[SAME]], [b.p99_ms for b in results["direct"]])
                    verdicts.append(
                        [
                            f"same-protocol added p99 vs direct, c16, {kind}",
                            f"{added:.2f} ms",
                            f"<= {ADDED_P99_TARGET_MS:g} ms",
                            verdict(added <= ADDED_P99_TARGET_MS),
                        ]
                    )
    print("### Targets\n")
    print(table(["target", "measured", "limit", "verdict"], verdicts))
    print(
        f"\n{args.rounds} interleaved rounds of {args.seconds:g} s per target and cell; one gateway worker;"
        f" {time.perf_counter() - started:.0f} s in all."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
