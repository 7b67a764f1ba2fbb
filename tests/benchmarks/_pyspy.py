"""Profile a running process with py-spy (``pip install py-spy``; not a project dependency) and summarise the
samples as the functions seen most often: on the stack (total) and at its top (self)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

from ._stats import table


def start(pid: int, seconds: float, output: Path) -> subprocess.Popen[bytes]:
    executable = shutil.which("py-spy")
    if executable is None:
        raise SystemExit("--profile needs py-spy: pip install py-spy")
    command = [executable, "record", "--pid", str(pid), "--duration", str(max(1, round(seconds))), "--rate", "250"]
    command += ["--format", "raw", "--output", str(output), "--nonblocking"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summary(collapsed: str, top: int = 12) -> str:
    """``collapsed``: py-spy's raw output, one ``frame;frame;... count`` line per distinct stack. Three views: the
    leaf frames' share by package (where the CPU goes), the leaf functions, and routeapi's own functions by their
    share of stacks (what routeapi could change)."""
    own: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    samples = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        samples += count
        frames = [_short(frame) for frame in stack.split(";")]
        own[frames[-1]] += count
        packages[_package(frames[-1])] += count
        for frame in {f for f in frames if f.endswith(".py)") and "(routeapi/" in f}:
            ours[frame] += count
    if not samples:
        return "(no samples)"

    def rows(counter: Counter[str], limit: int) -> list[list[object]]:
        return [[name, f"{100 * n / samples:.1f}%"] for name, n in counter.most_common(limit)]

    return "\n\n".join(
        [
            f"{samples} samples of the busy thread",
            table(["package (leaf frame)", "share of samples"], rows(packages, top)),
            table(["function (leaf frame)", "share of samples"], rows(own, top)),
            table(["routeapi function (anywhere on the stack)", "share of samples"], rows(ours, top)),
        ]
    )


def _short(frame: str) -> str:
    """``handle (/path/site-packages/h11/_connection.py:123)`` -> ``handle (h11/_connection.py)``."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/lib/python3.11/", "/lib/python3.10/", "/lib/python3.12/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    if "/routeapi/" in path:
        path = "routeapi/" + path.split("/routeapi/", 1)[1]
    return f"{name} ({path})"


def _package(frame: str) -> str:
    """``... (routeapi/server/app.py)`` -> ``routeapi.server``; ``... (h11/_util.py)`` -> ``h11``."""
    path = frame.rpartition(" (")[2].rstrip(")")
    parts = path.split("/")
    if parts[0] == "routeapi" and len(parts) > 2:
        return f"routeapi.{parts[1]}"
    return parts[0].removesuffix(".py") if len(parts) > 1 or path.endswith(".py") else path


def profiled(pid: int, seconds: float) -> tuple[subprocess.Popen[bytes], Path]:
    folder = Path(tempfile.mkdtemp(prefix="bench-pyspy-"))
    output = folder / "stacks.txt"
    return start(pid, seconds, output), output


def finish(process: subprocess.Popen[bytes], output: Path) -> str:
    process.wait(60)
    text = output.read_text() if output.exists() else ""
    shutil.rmtree(output.parent, ignore_errors=True)
    return summary(text)
