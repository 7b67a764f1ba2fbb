"""routeapi.fetch: SSRF refusals (addresses, names, schemes, redirects), limits (size, time, type), and fetches that
a policy allows, against a small HTTP server on loopback. Host names resolve through a fake DNS table."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest

from routeapi.errors import RouteError, UnsupportedFeature
from routeapi.fetch import FetchPolicy, FetchRefused, address_refusal, afetch, fetch

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
LOCAL = FetchPolicy(allow_hosts=("127.0.0.1",))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, str]]  # (path, Host header), set on the class by the fixture

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("host", "")))
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        route = {
            "/cat.png": lambda: self.reply(200, "image/png", PNG),
            "/doc.pdf": lambda: self.reply(200, "application/pdf; name=doc.pdf", b"%PDF-1.7 tiny"),
            "/page.txt": lambda: self.reply(200, "text/plain; charset=utf-8", b"hello"),
            "/data.json": lambda: self.reply(200, "application/json", b"{}"),
            "/untyped": lambda: self.reply(200, None, b"??"),
            "/big": lambda: self.reply(200, "image/png", b"x" * 2000),
            "/big-undeclared": self.undeclared,
            "/gzip": lambda: self.reply(200, "text/plain", gzip.compress(b"a" * 1000), ("content-encoding", "gzip")),
            "/missing": lambda: self.reply(404, "text/plain", b"no"),
            "/redirect": lambda: self.reply(302, "text/plain", b"", ("location", query["to"])),
            "/loop": lambda: self.reply(302, "text/plain", b"", ("location", "/loop")),
            "/slow": self.slow,
            "/drip": self.drip,
        }[url.path]
        route()

    def reply(self, status: int, content_type: str | None, body: bytes, *headers: tuple[str, str]) -> None:
        self.send_response(status)
        if content_type is not None:
            self.send_header("content-type", content_type)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def undeclared(self) -> None:
        """No Content-Length: the body ends when the connection closes."""
        self.send_response(200)
        self.send_header("content-type", "image/png")
        self.send_header("connection", "close")
        self.end_headers()
        for _ in range(20):
            self.wfile.write(b"x" * 100)
        self.close_connection = True

    def slow(self) -> None:
        time.sleep(3)
        with contextlib.suppress(OSError):  # the client gave up long ago
            self.reply(200, "image/png", PNG)

    def drip(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "image/png")
        self.send_header("content-length", "100")
        self.end_headers()
        with contextlib.suppress(OSError):
            for _ in range(100):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.05)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """The base URL (``http://127.0.0.1:<port>``) and what the server saw: (path, Host header) per request."""
    seen: list[tuple[str, str]] = []
    handler = type("RecordingHandler", (Handler,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def seen(server: tuple[str, list[tuple[str, str]]]) -> list[tuple[str, str]]:
    server[1].clear()
    return server[1]


@pytest.fixture
def base(server: tuple[str, list[tuple[str, str]]]) -> str:
    return server[0]


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """A fake DNS table (name -> addresses); names not in it resolve normally. ``dns["?lookups"]`` lists lookups."""
    table: dict[str, list[str]] = {"?lookups": []}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        table["?lookups"].append(str(host))
        if host not in table:
            return real(host, port, *args, **kwargs)
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in table[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


@pytest.fixture
def no_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails the test if a request is sent at all: refusals must come before any connection."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a refused URL was requested")

    monkeypatch.setattr(httpx2.Client, "send", refuse)
    monkeypatch.setattr(httpx2.AsyncClient, "send", refuse)


Get = Callable[[str, FetchPolicy], tuple[bytes, str]]


@pytest.fixture(params=["sync", "async"])
def get(request: pytest.FixtureRequest) -> Get:
    """``fetch``, or ``afetch`` run to completion: every test runs against both."""
    if request.param == "sync":
        return fetch
    return lambda url, policy: asyncio.run(afetch(url, policy))


def refusal(get: Get, url: str, policy: FetchPolicy | None = None) -> FetchRefused:
    with pytest.raises(FetchRefused) as caught:
        get(url, policy or FetchPolicy())
    return caught.value


# -- addresses ----------------------------------------------------------------------------------------------------
REFUSED_LITERALS = [
    ("http://127.0.0.1/x.png", "http://127.0.0.1/x.png: the host is 127.0.0.1, a loopback address"),
    ("http://127.0.0.1:8080/x.png", "http://127.0.0.1:8080/x.png: the host is 127.0.0.1, a loopback address"),
    ("http://[::1]/x.png", "http://[::1]/x.png: the host is ::1, a loopback address"),
    ("http://169.254.169.254/latest/meta-data/", "http://169.254.169.254/latest/meta-data/: the host is "
     "169.254.169.254, a cloud metadata address"),
    ("http://[fd00:ec2::254]/", "http://[fd00:ec2::254]/: the host is fd00:ec2::254, a cloud metadata address"),
    ("http://10.20.30.40/x", "http://10.20.30.40/x: the host is 10.20.30.40, a private address"),
    ("https://192.168.1.1/x", "https://192.168.1.1/x: the host is 192.168.1.1, a private address"),
    ("http://172.16.0.9/x", "http://172.16.0.9/x: the host is 172.16.0.9, a private address"),
    ("http://169.254.10.10/x", "http://169.254.10.10/x: the host is 169.254.10.10, a link-local address"),
    ("http://[fe80::1]/x", "http://[fe80::1]/x: the host is fe80::1, a link-local address"),
    ("http://[fc00::5]/x", "http://[fc00::5]/x: the host is fc00::5, a private address"),
    ("http://[::ffff:127.0.0.1]/x", "http://[::ffff:127.0.0.1]/x: the host is ::ffff:127.0.0.1, a loopback address"),
    ("http://[::ffff:a9fe:a9fe]/x", "http://[::ffff:a9fe:a9fe]/x: the host is ::ffff:a9fe:a9fe, a cloud metadata "
     "address"),
    ("http://[64:ff9b::a00:1]/x", "http://[64:ff9b::a00:1]/x: the host is 64:ff9b::a00:1, a private address"),
    ("http://0.0.0.0/x", "http://0.0.0.0/x: the host is 0.0.0.0, an unspecified address"),
    ("http://0.1.2.3/x", "http://0.1.2.3/x: the host is 0.1.2.3, an unspecified address"),
    ("http://100.64.1.1/x", "http://100.64.1.1/x: the host is 100.64.1.1, a non-public address"),
    ("http://224.0.0.251/x", "http://224.0.0.251/x: the host is 224.0.0.251, a multicast address"),
    ("http://240.0.0.1/x", "http://240.0.0.1/x: the host is 240.0.0.1, a reserved address"),
    # Numeric spellings the resolver turns into loopback: the resolved address is what is checked.
    ("http://2130706433/x", "http://2130706433/x: the host resolves to a loopback address"),
    ("http://127.1/x", "http://127.1/x: the host resolves to a loopback address"),
]  # fmt: skip


@pytest.mark.usefixtures("no_connection")
@pytest.mark.parametrize(("url", "message"), REFUSED_LITERALS, ids=[u for u, _ in REFUSED_LITERALS])
def test_internal_addresses_are_refused_before_connecting(get: Get, url: str, message: str) -> None:
    error = refusal(get, url)

    assert str(error) == f"{message}; only public addresses are fetched"
    assert (error.reason, error.url) == ("address", url.split("?")[0])
    assert isinstance(error, UnsupportedFeature)
    assert isinstance(error, RouteError)


@pytest.mark.usefixtures("no_connection")
def test_a_name_resolving_to_loopback_is_refused_without_showing_the_address(
    get: Get, dns: dict[str, list[str]]
) -> None:
    dns["innocent.example"] = ["127.0.0.1"]

    error = refusal(get, "https://innocent.example/cat.png?sig=abc")

    assert str(error) == (
        "https://innocent.example/cat.png: the host resolves to a loopback address; only public addresses are fetched"
    )


@pytest.mark.usefixtures("no_connection")
def test_every_resolved_address_is_checked_not_only_the_first(get: Get, dns: dict[str, list[str]]) -> None:
    dns["mixed.example"] = ["93.184.216.34", "10.0.0.7"]

    error = refusal(get, "http://mixed.example/a.png")

    assert str(error) == (
        "http://mixed.example/a.png: the host resolves to a private address; only public addresses are fetched"
    )


@pytest.mark.usefixtures("no_connection")
def test_metadata_addresses_stay_refused_when_private_ones_are_allowed(get: Get, dns: dict[str, list[str]]) -> None:
    dns["metadata.example"] = ["169.254.169.254"]
    lenient = FetchPolicy(allow_private=True, allow_hosts=("metadata.example", "169.254.0.0/16"))

    by_name = refusal(get, "http://metadata.example/latest/", lenient)
    by_address = refusal(get, "http://169.254.169.254/latest/", lenient)

    assert str(by_name) == (
        "http://metadata.example/latest/: the host resolves to a cloud metadata address; only public addresses are "
        "fetched"
    )
    assert by_address.reason == "address"


@pytest.mark.usefixtures("no_connection")
def test_an_unresolvable_name_is_refused(get: Get, dns: dict[str, list[str]]) -> None:
    dns["nowhere.example"] = []

    error = refusal(get, "http://nowhere.example/a.png")

    assert (str(error), error.reason) == ("http://nowhere.example/a.png: the host did not resolve", "unresolvable")


# -- schemes and URL forms -----------------------------------------------------------------------------------------
BAD_URLS = [
    ("file:///etc/passwd", "file:///etc/passwd: the file scheme is not fetched (allowed: http, https)", "scheme"),
    ("gopher://127.0.0.1:70/_x", "gopher://127.0.0.1:70/_x: the gopher scheme is not fetched (allowed: http, https)",
     "scheme"),
    ("ftp://files.example/a.png", "ftp://files.example/a.png: the ftp scheme is not fetched (allowed: http, https)",
     "scheme"),
    ("//files.example/a.png", "://files.example/a.png: the missing scheme is not fetched (allowed: http, https)",
     "scheme"),
    ("http:///a.png", "http:///a.png: the URL has no host", "invalid_url"),
    ("http://user:pw@files.example/a.png", "http://files.example/a.png: URLs with credentials are not fetched",
     "invalid_url"),
    ("http://files.example:99999/a.png", "http://files.example:99999/a.png: the port is out of range", "invalid_url"),
    ("http://[zz]/a.png", "not a valid URL", "invalid_url"),
]  # fmt: skip


@pytest.mark.usefixtures("no_connection")
@pytest.mark.parametrize(("url", "message", "reason"), BAD_URLS, ids=[u for u, _, _ in BAD_URLS])
def test_other_schemes_and_malformed_urls_are_refused(get: Get, url: str, message: str, reason: str) -> None:
    error = refusal(get, url)

    assert (str(error), error.reason) == (message, reason)


def test_a_long_url_is_shortened_in_messages(get: Get) -> None:
    error = refusal(get, "gopher://a.example/" + "x" * 5000)

    assert str(error).startswith("gopher://a.example/xxx")
    assert len(str(error)) < 300


def test_address_refusal_reasons() -> None:
    import ipaddress

    assert address_refusal(ipaddress.ip_address("8.8.8.8")) is None
    assert address_refusal(ipaddress.ip_address("2606:4700::1111")) is None
    assert address_refusal(ipaddress.ip_address("10.0.0.1"), allow_private=True) is None
    assert address_refusal(ipaddress.ip_address("127.0.0.1"), allow_private=True) is None
    assert address_refusal(ipaddress.ip_address("169.254.169.254"), allow_private=True) == "cloud metadata"
    assert address_refusal(ipaddress.ip_address("2002:7f00:1::")) == "loopback"  # 6to4 around 127.0.0.1
    assert address_refusal(ipaddress.ip_address("240.0.0.1"), allow_private=True) == "reserved"


# -- allowed fetches -----------------------------------------------------------------------------------------------
def test_an_allowed_loopback_host_is_fetched(get: Get, base: str, seen: list[tuple[str, str]]) -> None:
    assert get(f"{base}/cat.png", LOCAL) == (PNG, "image/png")
    assert get(f"{base}/doc.pdf", FetchPolicy(allow_private=True)) == (b"%PDF-1.7 tiny", "application/pdf")
    assert get(f"{base}/page.txt", LOCAL) == (b"hello", "text/plain")
    assert seen == [(p, base.removeprefix("http://")) for p in ("/cat.png", "/doc.pdf", "/page.txt")]


def test_a_public_looking_name_connects_to_the_checked_address_with_its_host_header(
    get: Get, base: str, seen: list[tuple[str, str]], dns: dict[str, list[str]]
) -> None:
    port = base.rsplit(":", 1)[1]
    dns["images.example.com"] = ["127.0.0.1"]

    assert get(f"http://images.example.com:{port}/cat.png", LOCAL) == (PNG, "image/png")
    assert seen == [("/cat.png", f"images.example.com:{port}")]
    # Resolved once, by the check: the connection went to the checked address (no second answer to rebind).
    assert dns["?lookups"].count("images.example.com") == 1


def test_a_redirect_on_the_same_host_is_followed(get: Get, base: str, seen: list[tuple[str, str]]) -> None:
    assert get(f"{base}/redirect?to=/cat.png", LOCAL) == (PNG, "image/png")
    assert [path for path, _ in seen] == ["/redirect?to=/cat.png", "/cat.png"]


# -- redirects -----------------------------------------------------------------------------------------------------
def test_a_redirect_to_a_private_host_is_refused(get: Get, base: str, seen: list[tuple[str, str]]) -> None:
    error = refusal(get, f"{base}/redirect?to=http://192.168.0.1/admin", LOCAL)

    assert str(error) == (
        "http://192.168.0.1/admin: the host is 192.168.0.1, a private address; only public addresses are fetched"
    )
    assert len(seen) == 1


def test_each_hop_is_checked_against_the_policy_again(
    get: Get, base: str, seen: list[tuple[str, str]], dns: dict[str, list[str]]
) -> None:
    port = base.rsplit(":", 1)[1]
    dns["images.example.com"] = ["127.0.0.1"]
    only_that_name = FetchPolicy(allow_hosts=("images.example.com",))
    url = f"http://images.example.com:{port}/redirect?to=http://127.0.0.1:{port}/cat.png"

    error = refusal(get, url, only_that_name)

    assert str(error) == (
        f"http://127.0.0.1:{port}/cat.png: the host is 127.0.0.1, a loopback address; only public addresses are fetched"
    )
    assert len(seen) == 1


def test_a_redirect_to_another_scheme_is_refused(get: Get, base: str) -> None:
    error = refusal(get, f"{base}/redirect?to=file:///etc/passwd", LOCAL)

    assert (error.reason, error.url) == ("scheme", "file:///etc/passwd")


def test_redirects_are_limited(get: Get, base: str, seen: list[tuple[str, str]]) -> None:
    error = refusal(get, f"{base}/loop", FetchPolicy(allow_hosts=("127.0.0.1",), max_redirects=2))

    assert (str(error), error.reason) == (f"{base}/loop: more than 2 redirects", "redirect")
    assert len(seen) == 3


# -- limits --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/big", "/big-undeclared"])
def test_an_oversized_answer_is_refused(get: Get, base: str, path: str) -> None:
    error = refusal(get, base + path, FetchPolicy(allow_hosts=("127.0.0.1",), max_bytes=1000))

    assert (str(error), error.reason) == (f"{base}{path}: larger than the 1000 byte limit", "too_large")


@pytest.mark.parametrize(
    ("path", "shown"),
    [("/data.json", "application/json"), ("/untyped", "(none)")],
)
def test_a_content_type_outside_the_policy_is_refused(get: Get, base: str, path: str, shown: str) -> None:
    error = refusal(get, base + path, LOCAL)

    assert str(error) == f"{base}{path}: content type {shown} is not accepted (image/*, application/pdf, text/*)"
    assert error.reason == "content_type"


def test_the_content_types_are_configurable(get: Get, base: str) -> None:
    json_only = FetchPolicy(allow_hosts=("127.0.0.1",), content_types=("application/json",))

    assert get(f"{base}/data.json", json_only) == (b"{}", "application/json")
    assert refusal(get, f"{base}/cat.png", json_only).reason == "content_type"


def test_a_compressed_answer_is_refused(get: Get, base: str) -> None:
    error = refusal(get, f"{base}/gzip", LOCAL)

    assert str(error) == f"{base}/gzip: a gzip-encoded answer is not accepted"


def test_an_error_status_is_refused(get: Get, base: str) -> None:
    error = refusal(get, f"{base}/missing", LOCAL)

    assert (str(error), error.reason) == (f"{base}/missing: the server answered 404", "status")


@pytest.mark.parametrize("path", ["/slow", "/drip"])
def test_a_slow_server_times_out(get: Get, base: str, path: str) -> None:
    started = time.monotonic()
    error = refusal(get, base + path, FetchPolicy(allow_hosts=("127.0.0.1",), timeout=0.5))

    assert (str(error), error.reason) == (f"{base}{path}: no complete answer within 0.5 s", "timeout")
    assert time.monotonic() - started < 1.5


def test_a_closed_port_is_unreachable(get: Get) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: connections are refused

        error = refusal(get, f"http://127.0.0.1:{port}/a.png", LOCAL)

    assert (str(error), error.reason) == (f"http://127.0.0.1:{port}/a.png: could not be fetched (ConnectError)",
                                          "unreachable")  # fmt: skip
