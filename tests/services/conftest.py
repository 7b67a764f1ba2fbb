"""PostgreSQL and Redis servers for the tests that need them, started once per session on free loopback ports.

PostgreSQL comes from ``/usr/lib/postgresql/*/bin`` (initdb + pg_ctl, in a temporary directory; as root, through
``runuser`` with a dedicated user, since initdb refuses root), Redis from ``redis-server`` on PATH. When one is
missing the tests that need it are skipped with a loud reason, or fail when ``ROUTEAPI_REQUIRE_SERVICES=1`` (CI)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from routeapi.testing import FakeAnthropic, FakeGemini, FakeOpenAI, FakeUpstream

REQUIRED = os.environ.get("ROUTEAPI_REQUIRE_SERVICES") == "1"
PG_USER = "routeapi-test"


def unavailable(reason: str) -> None:
    message = f"SERVICE UNAVAILABLE, TEST NOT RUN: {reason}"
    if REQUIRED:
        pytest.fail(f"{message} (ROUTEAPI_REQUIRE_SERVICES=1)")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
        time.sleep(0.05)
    return False


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def _as_postgres_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    if subprocess.run(["id", "-u", PG_USER], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--system", "--no-create-home", PG_USER], check=True, capture_output=True)
    return ["runuser", "-u", PG_USER, "--", *command]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """``postgresql://`` URL of a fresh, empty database (``routeapi``) on a private server."""
    try:
        import psycopg
    except ImportError:
        unavailable("psycopg is not installed (pip install 'routeapi[postgres]')")
    bin_dir = _postgres_bin()
    if bin_dir is None:
        unavailable("no PostgreSQL under /usr/lib/postgresql/*/bin (apt-get install postgresql)")
    assert bin_dir is not None
    root = Path(tempfile.mkdtemp(prefix="routeapi-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        _as_postgres_user(["true"])  # creates the user
        shutil.chown(root, PG_USER)
    port = free_port()
    init = subprocess.run(
        _as_postgres_user([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]),
        capture_output=True,
        text=True,
    )
    if init.returncode != 0:
        unavailable(f"initdb failed: {init.stderr.strip()[-400:]}")
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root} -c fsync=off"
    start = subprocess.run(
        _as_postgres_user(
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"]
        ),
        capture_output=True,
        text=True,
    )
    if start.returncode != 0 or not wait_for_port(port):
        unavailable(f"PostgreSQL did not start: {start.stderr.strip()[-400:]}")
    try:
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as connection:
            connection.execute("CREATE DATABASE routeapi")
        yield f"postgresql://postgres@127.0.0.1:{port}/routeapi"
    finally:
        subprocess.run(
            _as_postgres_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    try:
        import redis  # noqa: F401
    except ImportError:
        unavailable("the redis package is not installed (pip install 'routeapi[redis]')")
    server = shutil.which("redis-server")
    if server is None:
        unavailable("redis-server is not on PATH (apt-get install redis-server)")
    assert server is not None
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        if not wait_for_port(port):
            unavailable("redis-server did not start")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


def fresh_database(postgres_url: str, name: str) -> str:
    """A new, empty database on the session's server, for a test that needs its own."""
    import psycopg

    admin = postgres_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return postgres_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def fakes(fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic, fake_gemini: FakeGemini) -> dict[str, FakeUpstream]:
    return {"openai": fake_openai, "anthropic": fake_anthropic, "gemini": fake_gemini}
