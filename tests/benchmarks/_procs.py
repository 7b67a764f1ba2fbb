"""Processes the benchmarks run beside themselves: the fast fake upstream, the gateway, the minimal proxy.

Each runs in its own process so the client's CPU time is its own, and each is stopped (by its own pid) on exit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TOKEN = "bench-token"


@dataclass
class Running:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_mb(self) -> float:
        return rss_mb(self.process.pid)


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` in MiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextlib.contextmanager
def background(name: str, command: list[str], port: int) -> Iterator[Running]:
    """Run ``command`` until the block ends; ready once ``GET /healthz`` on ``port`` answers 200. Its output goes
    to a log file, shown when it fails to start."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        running = Running(name, port, process)
        try:
            deadline = time.monotonic() + 30
            while not _healthy(running.url):
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"{name} did not start:\n{log.read().decode(errors='replace')[-3000:]}")
                time.sleep(0.05)
            yield running
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)  # uvicorn shuts down cleanly on SIGINT
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def fake_upstream(*, chunks: int = 10, event_delay: float = 0.0) -> contextlib.AbstractContextManager[Running]:
    port = free_port()
    command = [sys.executable, "-m", "tests.benchmarks.fake_upstream", "--port", str(port), "--chunks", str(chunks)]
    command += ["--event-delay", str(event_delay)]
    return background("fake upstream", command, port)


def minimal_proxy(upstream: str) -> contextlib.AbstractContextManager[Running]:
    port = free_port()
    command = [sys.executable, "-m", "tests.benchmarks.minimal_proxy", upstream, "--port", str(port)]
    return background("minimal proxy", command, port)


def gateway_config(providers: dict[str, str], folder: Path, *, limit: int = 256) -> str:
    """A gateway configuration file: OpenAI-type providers named after ``providers`` keys, at their base URLs
    (without ``/v1``), one token, the concurrency limits raised to ``limit``, the usage database in ``folder``."""
    lines = ["providers:"]
    for name, url in providers.items():
        lines.append(f"  {name}: {{type: openai, base_url: '{url}/v1', api_key: sk-bench}}")
        lines.append(f"  {name}-anthropic: {{type: anthropic, base_url: '{url}', api_key: sk-bench}}")
    lines += [
        "retry: {max_attempts: 1}",
        "server:",
        f"  tokens: [{{name: bench, token: {TOKEN}}}]",
        f"  max_concurrent_requests: {limit}",
        f"  max_concurrent_streams: {limit}",
        f"  storage: {{database: 'sqlite:///{folder}/usage.db'}}",
    ]
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def gateway(providers: dict[str, str], *, limit: int = 256) -> Iterator[Running]:
    """``python -m routeapi.server.cli --config FILE --port N``, one worker, in front of ``providers``."""
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "routeapi.yaml"
        config.write_text(gateway_config(providers, Path(folder), limit=limit))
        port = free_port()
        command = [sys.executable, "-m", "routeapi.server.cli", "--config", str(config), "--port", str(port)]
        with background("gateway", command, port) as running:
            yield running


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far (Linux /proc; clock-tick resolution, 10 ms)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
