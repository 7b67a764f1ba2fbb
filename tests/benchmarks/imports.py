"""Import cost: ``import routeapi`` in a fresh interpreter, and import + first completion end to end, against the
vendor SDK alone in the same run.

    python -m tests.benchmarks.imports [--quick] [--rounds 10]

Every figure comes from a new interpreter (``sys.executable -c``), timed inside it with ``time.perf_counter`` from
before the first import to the end (interpreter start-up excluded; the process's whole wall time is shown too). The
scripts run interleaved, in an order rotated per round, and ratios are paired by round. The first completion goes to
the fast fake upstream (its own process). Finally one ``-X importtime`` run of each routeapi script lists the
heaviest imports, the evidence when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from ._procs import REPO, fake_upstream
from ._stats import median, paired_ratio, table, verdict

IMPORT_TARGET_MS = 150.0
FIRST_COMPLETION_TARGET = 1.10
VENDOR_MODULES = ("openai", "anthropic", "google.genai", "boto3", "botocore")

_REPORT = (
    "elapsed = time.perf_counter() - started\n"
    f"vendors = [m for m in {VENDOR_MODULES!r} if m in sys.modules]\n"
    "print(json.dumps({'seconds': elapsed, 'vendors': vendors}))\n"
)
_PRELUDE = "import json, sys, time\nstarted = time.perf_counter()\n"
_ASK = "messages=[{'role': 'user', 'content': 'Hello'}], max_tokens=256"


@dataclass(frozen=True)
class Script:
    name: str
    body: str
    """Python statements; ``{url}`` is the fake upstream's base URL."""

    def code(self, url: str) -> str:
        return _PRELUDE + self.body.replace("{url}", url) + "\n" + _REPORT


SCRIPTS = [
    Script("import routeapi", "import routeapi"),
    Script("import openai", "import openai"),
    Script("import anthropic", "import anthropic"),
    Script(
        "routeapi: import + first completion (OpenAI face -> OpenAI)",
        "from routeapi import RouteClient\n"
        "client = RouteClient(providers={'oa': {'type': 'openai', 'base_url': '{url}/v1', 'api_key': 'k'}})\n"
        f"client.chat.completions.create(model='oa/gpt-4o-mini', {_ASK})",
    ),
    Script(
        "openai: import + first completion",
        "import openai\n"
        "client = openai.OpenAI(base_url='{url}/v1', api_key='k', max_retries=0)\n"
        f"client.chat.completions.create(model='gpt-4o-mini', {_ASK})",
    ),
    Script(
        "routeapi: import + first completion (Anthropic face -> Anthropic)",
        "from routeapi import RouteClient\n"
        "client = RouteClient(providers={'an': {'type': 'anthropic', 'base_url': '{url}', 'api_key': 'k'}})\n"
        f"client.messages.create(model='an/claude-haiku-4-5', {_ASK})",
    ),
    Script(
        "anthropic: import + first completion",
        "import anthropic\n"
        "client = anthropic.Anthropic(base_url='{url}', api_key='k', max_retries=0)\n"
        f"client.messages.create(model='claude-haiku-4-5', {_ASK})",
    ),
]
# Each routeapi script against the vendor SDK it stands in for.
PAIRS = {
    "import routeapi": "import openai",
    "routeapi: import + first completion (OpenAI face -> OpenAI)": "openai: import + first completion",
    "routeapi: import + first completion (Anthropic face -> Anthropic)": "anthropic: import + first completion",
}


@dataclass(frozen=True)
class Run:
    seconds: float
    process_seconds: float
    vendors: tuple[str, ...]


def run_script(script: Script, url: str, *flags: str) -> tuple[Run, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *flags, "-c", script.code(url)], cwd=REPO, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{script.name} failed:\n{done.stderr[-3000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return Run(report["seconds"], wall, tuple(report["vendors"])), done.stderr


def heaviest_imports(stderr: str, count: int) -> list[tuple[str, float]]:
    """Top-level modules by cumulative import time, from ``-X importtime`` output."""
    found: list[tuple[str, float]] = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line[len("import time:") :].split("|")
        if cumulative.strip().isdigit() and name[1:2] != " ":  # depth 0: not imported by another import
            found.append((name.strip(), int(cumulative) / 1000))
    return sorted(found, key=lambda item: -item[1])[:count]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="import cost of routeapi vs the vendor SDKs, fresh interpreters")
    parser.add_argument("--quick", action="store_true", help="a ~15 s smoke run (1 round, no bytecode warm-up)")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args(argv)
    rounds = 1 if args.quick else args.rounds

    started = time.perf_counter()
    runs: dict[str, list[Run]] = {s.name: [] for s in SCRIPTS}
    with fake_upstream() as fake:
        if not args.quick:  # write the bytecode caches once, outside the measurement
            for script in SCRIPTS:
                run_script(script, fake.url)
        for round_ in range(rounds):
            shift = round_ % len(SCRIPTS)
            for script in [*SCRIPTS[shift:], *SCRIPTS[:shift]]:
                runs[script.name].append(run_script(script, fake.url)[0])
        profiles = {
            name: heaviest_imports(run_script(script, fake.url, "-X", "importtime")[1], 8)
            for script in SCRIPTS
            if (name := script.name).startswith(("import routeapi", "routeapi: import + first completion (OpenAI"))
        }

    def seconds(name: str) -> list[float]:
        return [r.seconds for r in runs[name]]

    rows: list[list[object]] = []
    for script in SCRIPTS:
        measured = runs[script.name]
        paired = PAIRS.get(script.name)
        ratio = paired_ratio(seconds(script.name), seconds(paired)) if paired else float("nan")
        vendors = ", ".join(measured[0].vendors) or "none"
        rows.append(
            [
                script.name,
                median(seconds(script.name)) * 1000,
                median([r.process_seconds for r in measured]) * 1000,
                ratio,
                vendors,
            ]
        )
    headers = ["script (fresh interpreter)", "in-process ms", "whole process ms", "ratio vs SDK", "vendor SDKs loaded"]
    print(f"### Import cost (medians of {rounds} interleaved runs)\n")
    print(table(headers, rows))

    import_ms = median(seconds("import routeapi")) * 1000
    loaded = {v for r in runs["import routeapi"] for v in r.vendors}
    first = "routeapi: import + first completion (OpenAI face -> OpenAI)"
    first_ratio = paired_ratio(seconds(first), seconds(PAIRS[first]))
    targets = [
        [
            "import routeapi",
            f"{import_ms:.0f} ms",
            f"<= {IMPORT_TARGET_MS:.0f} ms",
            verdict(import_ms <= IMPORT_TARGET_MS),
        ],
        ["import routeapi loads no vendor SDK", ", ".join(sorted(loaded)) or "none", "none", verdict(not loaded)],
        [
            "import + first completion vs openai",
            f"{first_ratio:.2f}x",
            f"<= {FIRST_COMPLETION_TARGET:.2f}x",
            verdict(first_ratio <= FIRST_COMPLETION_TARGET),
        ],
    ]
    print("\n### Targets\n")
    print(table(["target", "measured", "limit", "verdict"], targets))
    for name, heaviest in profiles.items():
        print(f"\n### Heaviest top-level imports, one -X importtime run: {name}\n")
        print(table(["module", "cumulative ms"], heaviest))
    print(f"\n{rounds} rounds; {time.perf_counter() - started:.0f} s in all.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
