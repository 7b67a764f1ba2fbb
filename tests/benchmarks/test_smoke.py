"""Every benchmark still runs: each one's ``--quick`` mode, in a subprocess, prints its tables.

The numbers of a quick run on a shared machine mean nothing; what is checked is that each benchmark starts its
processes, measures every variant without errors and prints the comparison and target tables. The four run at the
same time (their processes are separate), so the file takes about as long as the slowest of them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# For each benchmark, lines its output must contain.
EXPECTED = {
    "imports": [
        "| import routeapi ",
        "| routeapi: import + first completion (OpenAI face -> OpenAI) ",
        "| import routeapi loads no vendor SDK | none ",
        "### Heaviest top-level imports",
    ],
    "overhead": [
        "Fake upstream ceiling",
        "### sync\n",
        "### sync stream\n",
        "### async\n",
        "### async stream\n",
        "| routeapi, OpenAI face -> OpenAI ",
        "| routeapi, Gemini face -> OpenAI ",
        "### Targets",
    ],
    "gateway": [
        "Fake upstream ceiling",
        "### concurrency 1, not streamed",
        "### concurrency 64, streamed",
        "| minimal proxy ",
        "| gateway, Anthropic face -> OpenAI ",
        "### Targets",
    ],
    "memory": [
        "| idle, after start ",
        "| streams completed        | 200 ",
        "| errors                   | 0 ",
        "### Targets",
    ],
}


LOAD_ROWS = ("| direct ", "| minimal proxy ", "| gateway, OpenAI -> OpenAI ", "| gateway, Anthropic face -> OpenAI ")


@pytest.fixture(scope="module")
def outputs() -> dict[str, subprocess.CompletedProcess[str]]:
    running = {
        name: subprocess.Popen(
            [sys.executable, "-m", f"tests.benchmarks.{name}", "--quick"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in EXPECTED
    }
    done: dict[str, subprocess.CompletedProcess[str]] = {}
    for name, process in running.items():
        stdout, stderr = process.communicate(timeout=55)
        done[name] = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    return done


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", list(EXPECTED))
def test_quick_run_prints_its_tables(name: str, outputs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    result = outputs[name]
    assert result.returncode == 0, result.stderr[-3000:]
    missing = [line for line in EXPECTED[name] if line not in result.stdout]
    assert missing == [], result.stdout[-3000:]


def test_gateway_rows_have_no_errors(outputs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    rows = [line for line in outputs["gateway"].stdout.splitlines() if line.startswith(LOAD_ROWS)]
    assert len(rows) == 6 * len(LOAD_ROWS)  # 3 concurrency levels x streamed or not, one row per target
    assert [row.strip(" |").rsplit("|", 1)[1].strip() for row in rows] == ["0"] * len(rows)
