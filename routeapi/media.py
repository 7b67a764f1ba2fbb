"""Inlining the remote images and documents a request names by URL, for targets that take only bytes.

Bedrock Converse takes bytes (or ``s3://`` locations) and never fetches a URL itself, so an OpenAI ``image_url``
going there must be fetched by routeapi. Other targets take URLs as they are: OpenAI and Anthropic fetch them, and so
does Gemini (``fileData``, from Google's network). Fetches go through :mod:`routeapi.fetch`, under the configured
policy (SSRF checks, size, time, content type); each distinct URL is fetched once per call, and a request may name at
most ``max_urls`` of them. ``data:`` URLs and ``s3://`` locations are left as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from . import ir
from .fetch import FetchPolicy, FetchRefused, afetch, fetch

if TYPE_CHECKING:
    from .config.models import MediaFetchConfig

__all__ = ["BYTES_ONLY", "MediaPolicy", "ainline", "inline", "media_policy", "remote_urls"]

BYTES_ONLY: frozenset[str] = frozenset({"bedrock_converse"})
"""Target protocols that cannot take an http(s) image or document by URL."""

_Fetched = Mapping[str, tuple[bytes, str]]
"""URL -> (bytes, media type)."""


@dataclass(frozen=True, slots=True)
class MediaPolicy:
    """How one call may fetch: the policy of every fetch, and how many distinct URLs one request may name."""

    fetch: FetchPolicy = field(default_factory=FetchPolicy)
    max_urls: int = 20


def media_policy(config: MediaFetchConfig) -> MediaPolicy:
    """The ``media_fetch`` configuration section as a policy."""
    fetch_policy = FetchPolicy(
        max_bytes=config.max_bytes,
        timeout=config.timeout,
        max_redirects=config.max_redirects,
        content_types=tuple(config.content_types),
        allow_private=config.allow_private,
        allow_hosts=tuple(config.allow_hosts),
    )
    return MediaPolicy(fetch_policy, config.max_urls)


def remote_urls(request: ir.Request, protocol: str) -> list[str]:
    """The distinct http(s) URLs of images and documents (tool results included) that ``protocol`` cannot take by
    URL, in order of appearance; empty when the target takes every URL as it is. Pure."""
    if protocol not in BYTES_ONLY:
        return []
    found: dict[str, None] = {}
    for part in _media_parts(request):
        if part.data is None and part.url is not None and _is_remote(part.url):
            found.setdefault(part.url, None)
    return list(found)


def inline(request: ir.Request, protocol: str, policy: MediaPolicy) -> ir.Request:
    """``request`` with the bytes of every URL :func:`remote_urls` names, fetched under ``policy`` (FetchRefused
    when one may not or cannot be fetched). The request itself is not changed."""
    urls = _checked(remote_urls(request, protocol), policy)
    if not urls:
        return request
    return _replaced(request, {url: fetch(url, policy.fetch) for url in urls})


async def ainline(request: ir.Request, protocol: str, policy: MediaPolicy) -> ir.Request:
    """The async :func:`inline`. URLs are fetched one after another, as in :func:`inline`."""
    urls = _checked(remote_urls(request, protocol), policy)
    if not urls:
        return request
    return _replaced(request, {url: await afetch(url, policy.fetch) for url in urls})


def _is_remote(url: str) -> bool:
    return url[:8].lower().startswith(("http://", "https://"))


def _checked(urls: list[str], policy: MediaPolicy) -> list[str]:
    if len(urls) > policy.max_urls:
        # Each fetch may take max_bytes and timeout: the count bounds what one small request can make us do.
        raise FetchRefused(
            f"the request names {len(urls)} remote images and documents; at most {policy.max_urls} are fetched",
            reason="too_many",
            url="",
        )
    return urls


def _media_parts(request: ir.Request) -> list[ir.ImagePart | ir.DocumentPart]:
    found: list[ir.ImagePart | ir.DocumentPart] = []
    for message in request.messages:
        for part in message.parts:
            inner = part.content if isinstance(part, ir.ToolResultPart) else [part]
            found.extend(p for p in inner if isinstance(p, (ir.ImagePart, ir.DocumentPart)))
    return found


def _replaced(request: ir.Request, fetched: _Fetched) -> ir.Request:
    def part_of(part: ir.Part) -> ir.Part:
        if isinstance(part, ir.ToolResultPart):
            return replace(part, content=[_content(p, fetched) for p in part.content])
        return _content(part, fetched) if isinstance(part, (ir.ImagePart, ir.DocumentPart)) else part

    messages = [replace(m, parts=[part_of(p) for p in m.parts]) for m in request.messages]
    return replace(request, messages=messages)


def _content(part: ir.ContentPart, fetched: _Fetched) -> ir.ContentPart:
    if not isinstance(part, (ir.ImagePart, ir.DocumentPart)) or part.data is not None or part.url is None:
        return part
    found = fetched.get(part.url)
    if found is None:
        return part
    data, media_type = found
    if isinstance(part, ir.ImagePart) and not media_type.startswith("image/"):
        shown = part.url.split("#", 1)[0].split("?", 1)[0][:200]  # no query, as routeapi.fetch shows URLs
        raise FetchRefused(
            f"{shown}: content type {media_type or '(none)'} is not an image", reason="content_type", url=shown
        )
    return replace(part, data=data, media_type=media_type, url=None)
