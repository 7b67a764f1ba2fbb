"""In-process overhead: routeapi vs the vendor SDK called directly vs a raw httpx2 request, same fake upstream.

    python -m tests.benchmarks.overhead [--quick] [--rounds 4] [--calls 100] [--async-calls 250] [--modes ...]
    python -m tests.benchmarks.overhead --profile "Gemini face -> OpenAI" --profile-mode sync

Four modes (sync, sync stream, async at concurrency 50, async stream) and four routes (OpenAI face -> OpenAI, the
same protocol; OpenAI face -> Anthropic, Anthropic face -> OpenAI and Gemini face -> OpenAI, translated). Each round
runs every variant once, in an order rotated per round (interleaved: noise on the 2 shared cores hits every variant
alike); a variant's figure is the median over rounds, and ratios are computed round by round (routeapi's batch
against the SDK batch of the same round) before taking their median. The fake upstream runs in its own process, so
the client CPU time (``time.process_time``) per call is routeapi's and the SDK's own cost.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from ._calls import MODES, SAME_PROTOCOL, AsyncCall, AsyncCalls, SyncCall, SyncCalls, Variant, variants
from ._ceiling import fake_ceiling
from ._procs import fake_upstream
from ._stats import median, paired_ratio, percentile, table, verdict

SAME_PROTOCOL_TARGET = 1.05
CROSS_PROTOCOL_TARGET = 1.30


@dataclass(frozen=True)
class Batch:
    """One variant's run of ``calls`` calls: client CPU and wall time per call, latency percentiles, call rate."""

    cpu_ms: float
    p50_ms: float
    p99_ms: float
    rate: float


def _batch(latencies: list[float], cpu: float, wall: float) -> Batch:
    calls = len(latencies)
    return Batch(cpu / calls * 1000, percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000, calls / wall)


def run_sync(call: SyncCall, calls: int) -> Batch:
    gc.collect()
    latencies: list[float] = []
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(calls):
        started = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - started)
    return _batch(latencies, time.process_time() - cpu, time.perf_counter() - wall)


async def run_async(call: AsyncCall, calls: int, concurrency: int) -> Batch:
    gc.collect()
    latencies: list[float] = []
    left = calls

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            started = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - started)

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return _batch(latencies, time.process_time() - cpu, time.perf_counter() - wall)


def _rotated(items: Sequence[Variant], by: int) -> list[Variant]:
    shift = by % len(items)
    return [*items[shift:], *items[:shift]]


def measure_sync(fake_url: str, stream: bool, rounds: int, calls: int, warm_up: int) -> dict[Variant, list[Batch]]:
    client = SyncCalls(fake_url)
    try:
        measured = variants()
        prepared = {v: client.call(v, stream) for v in measured}
        for variant in measured:  # warm-up: lazy imports, connections, caches
            run_sync(prepared[variant], warm_up)
        results: dict[Variant, list[Batch]] = {v: [] for v in measured}
        for round_ in range(rounds):
            for variant in _rotated(measured, round_):
                results[variant].append(run_sync(prepared[variant], calls))
        return results
    finally:
        client.close()


def measure_async(
    fake_url: str, stream: bool, rounds: int, calls: int, concurrency: int, warm_up: int
) -> dict[Variant, list[Batch]]:
    async def main() -> dict[Variant, list[Batch]]:
        client = AsyncCalls(fake_url)
        try:
            measured = variants()
            prepared = {v: client.call(v, stream) for v in measured}
            for variant in measured:
                await run_async(prepared[variant], warm_up, concurrency)
            results: dict[Variant, list[Batch]] = {v: [] for v in measured}
            for round_ in range(rounds):
                for variant in _rotated(measured, round_):
                    results[variant].append(await run_async(prepared[variant], calls, concurrency))
            return results
        finally:
            await client.aclose()

    return asyncio.run(main())


def _baseline(variant: Variant) -> Variant:
    """The SDK of the protocol the call reaches upstream: what the targets compare against."""
    return Variant("SDK", variant.target)


def _cpu(batches: list[Batch]) -> list[float]:
    return [b.cpu_ms for b in batches]


def mode_table(mode: str, results: dict[Variant, list[Batch]]) -> str:
    rows: list[list[object]] = []
    for variant, batches in results.items():
        target_sdk, face_sdk = results[_baseline(variant)], results[Variant("SDK", variant.face)]
        rows.append(
            [
                variant.label,
                median(_cpu(batches)),
                median([b.p50_ms for b in batches]),
                median([b.p99_ms for b in batches]),
                median([b.rate for b in batches]),
                paired_ratio(_cpu(batches), _cpu(target_sdk)),
                paired_ratio([b.p50_ms for b in batches], [b.p50_ms for b in target_sdk]),
                paired_ratio(_cpu(batches), _cpu(face_sdk)),
            ]
        )
    headers = ["variant", "CPU ms/call", "p50 ms", "p99 ms", "calls/s", "CPU / target SDK", "p50 / target SDK"]
    return f"### {mode}\n\n" + table([*headers, "CPU / face's SDK"], rows)


def targets_table(all_results: dict[str, dict[Variant, list[Batch]]]) -> str:
    rows: list[list[object]] = []
    for mode, results in all_results.items():
        for variant, batches in results.items():
            if variant.kind != "routeapi":
                continue
            limit = SAME_PROTOCOL_TARGET if variant.route in SAME_PROTOCOL else CROSS_PROTOCOL_TARGET
            ratio = paired_ratio(_cpu(batches), _cpu(results[_baseline(variant)]))
            rows.append([variant.route, mode, ratio, f"<= {limit:.2f}x", verdict(ratio <= limit)])
    return "### Targets (client CPU per call, routeapi / the target vendor's SDK, paired by round)\n\n" + table(
        ["route", "mode", "ratio", "target", "verdict"], rows
    )


def profile(fake_url: str, route: str, mode: str, calls: int) -> None:
    """Run one routeapi route under pyinstrument (or cProfile when it is not installed) and print the top frames."""
    if mode.startswith("async"):
        raise SystemExit("--profile runs the sync modes (the async paths share the same codecs and faces)")
    client = SyncCalls(fake_url)
    call = client.call(Variant("routeapi", "", route), mode == "sync stream")
    run_sync(call, 50)
    try:
        from pyinstrument import Profiler
    except ImportError:
        import cProfile
        import pstats

        with cProfile.Profile() as profiler:
            run_sync(call, calls)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    else:
        profiler = Profiler(interval=0.0002)
        profiler.start()
        run_sync(call, calls)
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False, show_all=False))
    client.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="routeapi vs the vendor SDKs vs raw httpx2, in process")
    parser.add_argument("--quick", action="store_true", help="a ~15 s smoke run (2 rounds, few calls)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--calls", type=int, default=100, help="sync calls per variant per round")
    parser.add_argument("--async-calls", type=int, default=250, help="async calls per variant per round")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, of: {', '.join(MODES)}")
    parser.add_argument("--profile", metavar="ROUTE", help='profile one route instead, e.g. "Gemini face -> OpenAI"')
    parser.add_argument("--profile-mode", default="sync", choices=("sync", "sync stream"))
    args = parser.parse_args(argv)
    sync_warm_up, async_warm_up = max(5, args.calls // 5), max(args.concurrency, args.async_calls // 5)
    if args.quick:  # the numbers of a quick run mean nothing: it checks that everything runs
        args.rounds, args.calls, args.async_calls = 1, 10, 50
        sync_warm_up, async_warm_up = 2, 10
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = set(modes) - set(MODES)
    if unknown:
        parser.error(f"unknown modes: {', '.join(sorted(unknown))}")

    started = time.perf_counter()
    with fake_upstream() as fake:
        if args.profile:
            profile(fake.url, args.profile, args.profile_mode, args.calls * 10)
            return 0
        fake_ceiling(fake, seconds=0.25 if args.quick else 1.0)
        all_results: dict[str, dict[Variant, list[Batch]]] = {}
        for mode in modes:
            stream = mode.endswith("stream")
            if mode.startswith("async"):
                all_results[mode] = measure_async(
                    fake.url, stream, args.rounds, args.async_calls, args.concurrency, async_warm_up
                )
            else:
                all_results[mode] = measure_sync(fake.url, stream, args.rounds, args.calls, sync_warm_up)
            print(mode_table(mode, all_results[mode]), end="\n\n", flush=True)
    print(targets_table(all_results))
    print(
        f"\n{args.rounds} interleaved rounds; {args.calls} sync / {args.async_calls} async calls per variant per round"
        f" (async concurrency {args.concurrency}); medians over rounds; {time.perf_counter() - started:.0f} s in all."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
