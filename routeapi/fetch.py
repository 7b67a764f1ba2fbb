"""Fetching a remote image or document that a request names by URL, when a route must send its bytes inline.

The URL comes from the caller, and the fetch runs inside the gateway's network: without care it reaches the cloud
metadata service, the loopback interface and the intranet (SSRF). So every fetch:

- accepts only the policy's schemes (http, https) and no credentials in the URL;
- resolves the host name itself and refuses it when ANY of its addresses is loopback, private, link-local, multicast,
  reserved, unspecified or otherwise not globally routable (IPv4 embedded in IPv6 included); the cloud metadata
  addresses are refused even when private addresses are allowed;
- connects to the address it checked, keeping the name in the Host header and the TLS SNI (a second DNS answer,
  a rebinding attack, is never used);
- follows redirects itself, each hop checked like the first, up to ``max_redirects``;
- stops reading past ``max_bytes`` and after ``timeout`` seconds, and checks the content type.

Every refusal is a :class:`FetchRefused` (an ``UnsupportedFeature``, so the gateway answers 400) whose message says
why without echoing the URL's query string or the addresses a name resolved to.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Generator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Union

from .errors import UnsupportedFeature

if TYPE_CHECKING:
    import httpx2

__all__ = ["METADATA_ADDRESSES", "FetchPolicy", "FetchRefused", "address_refusal", "afetch", "fetch"]

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
Reason = Literal[
    "invalid_url",
    "scheme",
    "address",
    "unresolvable",
    "redirect",
    "status",
    "content_type",
    "too_large",
    "timeout",
    "unreachable",
    "too_many",  # more URLs in one request than routeapi.media fetches
]

# Instance metadata services (AWS, GCP, Azure, OpenStack share 169.254.169.254; AWS's IPv6 one; Alibaba's).
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")  # 0.0.0.0 itself reaches the local host on Linux
_DEFAULT_PORTS = {"http": 80, "https": 443}
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_USER_AGENT = "routeapi-fetch"
_SHOWN_LIMIT = 200  # characters of a URL quoted in a message


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """What a fetch may reach and how much it may read. The defaults suit a gateway facing the internet."""

    schemes: tuple[str, ...] = ("http", "https")
    max_bytes: int = 20 * 1024 * 1024
    timeout: float = 10.0
    """Seconds for the whole fetch, redirects included."""
    max_redirects: int = 3
    content_types: tuple[str, ...] = ("image/", "application/pdf", "text/")
    """Accepted media types: an entry ending in ``/`` is a prefix, any other must match exactly."""
    allow_private: bool = False
    """Accept loopback, private and link-local addresses (an intranet deployment). Metadata addresses stay refused."""
    allow_hosts: tuple[str, ...] = ()
    """Host names (exact, case-insensitive), IP addresses or networks (``10.1.0.0/16``) accepted whatever they
    resolve to, metadata addresses excepted: for tests and known intranet servers."""


class FetchRefused(UnsupportedFeature):
    """A URL the gateway will not (or could not) fetch. ``reason`` is a stable code, ``url`` the URL as shown."""

    def __init__(self, message: str, *, reason: Reason, url: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason
        self.url = url


# -- checking a URL and its addresses (pure, shared by both flavours) ------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Target:
    url: httpx2.URL
    host: str
    """ASCII (IDNA) host, without IPv6 brackets."""
    port: int
    shown: str
    """The URL for messages: no credentials, no query, no fragment."""


def _parse(url: str | httpx2.URL, policy: FetchPolicy) -> _Target:
    import httpx2

    try:
        parsed = httpx2.URL(url)
    except (httpx2.InvalidURL, TypeError, ValueError):
        raise FetchRefused("not a valid URL", reason="invalid_url", url="<invalid>") from None
    scheme = parsed.scheme.lower()
    host = parsed.raw_host.decode("ascii", errors="replace").lower()
    port = parsed.port if parsed.port is not None else _DEFAULT_PORTS.get(scheme, 0)
    shown = f"{scheme}://{_bracketed(host)}{'' if parsed.port is None else f':{parsed.port}'}{parsed.path}"
    if len(shown) > _SHOWN_LIMIT:
        shown = shown[:_SHOWN_LIMIT] + "..."
    if scheme not in policy.schemes:
        allowed = ", ".join(policy.schemes)
        raise FetchRefused(
            f"{shown}: the {scheme or 'missing'} scheme is not fetched (allowed: {allowed})", reason="scheme", url=shown
        )
    if not host:
        raise FetchRefused(f"{shown}: the URL has no host", reason="invalid_url", url=shown)
    if parsed.userinfo:
        raise FetchRefused(f"{shown}: URLs with credentials are not fetched", reason="invalid_url", url=shown)
    if not 0 < port < 65536:
        raise FetchRefused(f"{shown}: the port is out of range", reason="invalid_url", url=shown)
    return _Target(parsed, host, port, shown)


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def address_refusal(address: IPAddress, *, allow_private: bool = False) -> str | None:
    """Why ``address`` may not be fetched (``"loopback"``, ``"private"``...), or None when it may."""
    if address in METADATA_ADDRESSES:
        return "cloud metadata"
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return address_refusal(embedded, allow_private=allow_private)
    if address.is_unspecified or address in _THIS_NETWORK:
        return "unspecified"
    if address.is_multicast:
        return "multicast"
    if address.is_reserved and not (address.is_loopback or address.is_link_local):
        return "reserved"  # checked before the private ranges: Python counts 240.0.0.0/4 in both
    local = (
        "loopback" if address.is_loopback
        else "link-local" if address.is_link_local
        else "private" if address.is_private
        else None
    )  # fmt: skip
    if local is not None:
        return None if allow_private else local
    if not address.is_global:
        return None if allow_private else "non-public"  # shared (CGNAT), documentation, benchmarking ranges
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), which is where a packet really goes."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _allowed_explicitly(target: _Target, address: IPAddress, policy: FetchPolicy) -> bool:
    for entry in policy.allow_hosts:
        entry = entry.strip().lower().strip("[]")
        if entry == target.host:
            return True
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue  # a host name, not an address
    return False


def _addresses(infos: Sequence[tuple[Any, ...]]) -> list[IPAddress]:
    found: list[IPAddress] = []
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]  # an IPv6 scope ("fe80::1%eth0") is not part of the address
        address = ipaddress.ip_address(text)
        if address not in found:
            found.append(address)
    return found


def _choose(target: _Target, infos: Sequence[tuple[Any, ...]], policy: FetchPolicy) -> IPAddress:
    """The address to connect to, once every address the name resolved to passed the check."""
    addresses = _addresses(infos)
    if not addresses:
        raise FetchRefused(f"{target.shown}: the host did not resolve", reason="unresolvable", url=target.shown)
    literal = _is_ip_literal(target.host)
    for address in addresses:
        reason = address_refusal(address, allow_private=policy.allow_private)
        if reason is None or (reason != "cloud metadata" and _allowed_explicitly(target, address, policy)):
            continue
        # A name's addresses are not shown: they would map the internal network for the caller.
        article = "an" if reason[0] in "aeiou" else "a"
        what = f"is {target.host}, {article} {reason} address" if literal else f"resolves to {article} {reason} address"
        raise FetchRefused(
            f"{target.shown}: the host {what}; only public addresses are fetched", reason="address", url=target.shown
        )
    return addresses[0]


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _getaddrinfo(target: _Target) -> list[tuple[Any, ...]]:
    try:
        return list(socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM))
    except (OSError, UnicodeError):
        raise FetchRefused(
            f"{target.shown}: the host did not resolve", reason="unresolvable", url=target.shown
        ) from None


def _request(
    client: httpx2.Client | httpx2.AsyncClient, target: _Target, address: IPAddress, timeout: float
) -> httpx2.Request:
    """A GET to the checked address, carrying the name in Host and (for https) in the TLS SNI."""
    url = target.url.copy_with(host=str(address), userinfo=b"", fragment=None)
    default = _DEFAULT_PORTS.get(target.url.scheme.lower())
    host_header = _bracketed(target.host) + ("" if target.port == default else f":{target.port}")
    headers = {"host": host_header, "accept-encoding": "identity", "user-agent": _USER_AGENT}
    extensions: dict[str, Any] = {}
    if target.url.scheme.lower() == "https" and not _is_ip_literal(target.host):
        extensions["sni_hostname"] = target.host
    return client.build_request("GET", url, headers=headers, extensions=extensions, timeout=timeout)


def _next_hop(response: httpx2.Response, target: _Target) -> httpx2.URL | None:
    if response.status_code not in _REDIRECTS:
        return None
    location = response.headers.get("location")
    if not location:
        raise FetchRefused(f"{target.shown}: a redirect without a Location", reason="redirect", url=target.shown)
    return target.url.copy_with(userinfo=b"").join(location)


def _media_type(response: httpx2.Response, target: _Target, policy: FetchPolicy) -> str:
    """The response's media type, once its status, encoding, type and declared size are acceptable."""
    if response.status_code != 200:
        raise FetchRefused(
            f"{target.shown}: the server answered {response.status_code}", reason="status", url=target.shown
        )
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        # Decompressing could turn a few bytes into gigabytes before the size check sees them.
        raise FetchRefused(
            f"{target.shown}: a {encoding}-encoded answer is not accepted", reason="content_type", url=target.shown
        )
    media_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if not any(media_type.startswith(p) if p.endswith("/") else media_type == p for p in policy.content_types):
        accepted = ", ".join(f"{p}*" if p.endswith("/") else p for p in policy.content_types)
        raise FetchRefused(
            f"{target.shown}: content type {media_type or '(none)'} is not accepted ({accepted})",
            reason="content_type",
            url=target.shown,
        )
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > policy.max_bytes:
        raise _too_large(target, policy)
    return media_type


class _Body:
    """The downloaded bytes, refused as soon as they pass the size limit or the deadline."""

    def __init__(self, target: _Target, policy: FetchPolicy, deadline: float) -> None:
        self._target, self._policy, self._deadline = target, policy, deadline
        self.data = bytearray()

    def add(self, chunk: bytes) -> None:
        self.data += chunk
        if len(self.data) > self._policy.max_bytes:
            raise _too_large(self._target, self._policy)
        if time.monotonic() > self._deadline:
            raise _timed_out(self._target, self._policy)


def _too_large(target: _Target, policy: FetchPolicy) -> FetchRefused:
    return FetchRefused(
        f"{target.shown}: larger than the {policy.max_bytes} byte limit", reason="too_large", url=target.shown
    )


def _timed_out(target: _Target, policy: FetchPolicy) -> FetchRefused:
    return FetchRefused(
        f"{target.shown}: no complete answer within {policy.timeout:g} s", reason="timeout", url=target.shown
    )


def _too_many_redirects(target: _Target, policy: FetchPolicy) -> FetchRefused:
    return FetchRefused(
        f"{target.shown}: more than {policy.max_redirects} redirects", reason="redirect", url=target.shown
    )


@contextmanager
def _network_errors(target: _Target, policy: FetchPolicy) -> Generator[None, None, None]:
    """httpx2's transport errors as refusals; their text (which can name internal addresses) is not passed on."""
    import httpx2

    try:
        yield
    except httpx2.TimeoutException:
        raise _timed_out(target, policy) from None
    except (httpx2.HTTPError, OSError) as error:
        raise FetchRefused(
            f"{target.shown}: could not be fetched ({type(error).__name__})", reason="unreachable", url=target.shown
        ) from None


def _remaining(deadline: float, target: _Target, policy: FetchPolicy) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise _timed_out(target, policy)
    return left


# -- the two flavours ----------------------------------------------------------------------------------------------
def fetch(url: str, policy: FetchPolicy | None = None) -> tuple[bytes, str]:
    """GET ``url`` under ``policy`` (default: :class:`FetchPolicy()`): its bytes and media type, or FetchRefused.

    The whole fetch takes at most ``policy.timeout`` seconds plus, at worst, one read's timeout; name resolution
    runs under the system resolver's own timeout (``afetch`` bounds it too)."""
    import httpx2

    policy = policy or FetchPolicy()
    deadline = time.monotonic() + policy.timeout
    target = _parse(url, policy)
    client = httpx2.Client(trust_env=False, follow_redirects=False)
    with client:
        for _ in range(policy.max_redirects + 1):
            address = _choose(target, _getaddrinfo(target), policy)
            request = _request(client, target, address, _remaining(deadline, target, policy))
            with _network_errors(target, policy):
                response = client.send(request, stream=True)
                try:
                    hop = _next_hop(response, target)
                    if hop is None:
                        media_type = _media_type(response, target, policy)
                        body = _Body(target, policy, deadline)
                        for chunk in response.iter_raw():
                            body.add(chunk)
                        return bytes(body.data), media_type
                finally:
                    response.close()
            target = _parse(hop, policy)
        raise _too_many_redirects(target, policy)


async def afetch(url: str, policy: FetchPolicy | None = None) -> tuple[bytes, str]:
    """The async :func:`fetch`; the whole fetch is cancelled after ``policy.timeout`` seconds."""
    policy = policy or FetchPolicy()
    target = _parse(url, policy)
    try:
        return await asyncio.wait_for(_afetch(target, policy), policy.timeout)
    except asyncio.TimeoutError:
        raise _timed_out(target, policy) from None


async def _afetch(target: _Target, policy: FetchPolicy) -> tuple[bytes, str]:
    import httpx2

    deadline = time.monotonic() + policy.timeout
    client = httpx2.AsyncClient(trust_env=False, follow_redirects=False)
    async with client:
        for _ in range(policy.max_redirects + 1):
            infos = await asyncio.to_thread(_getaddrinfo, target)
            address = _choose(target, infos, policy)
            request = _request(client, target, address, _remaining(deadline, target, policy))
            with _network_errors(target, policy):
                response = await client.send(request, stream=True)
                try:
                    hop = _next_hop(response, target)
                    if hop is None:
                        media_type = _media_type(response, target, policy)
                        body = _Body(target, policy, deadline)
                        async for chunk in response.aiter_raw():
                            body.add(chunk)
                        return bytes(body.data), media_type
                finally:
                    await response.aclose()
            target = _parse(hop, policy)
        raise _too_many_redirects(target, policy)
