"""What an adapter offers the router: raw bodies in, raw responses and stream items out, errors mapped."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

Operation = Literal["chat", "embeddings", "responses"]

_T_co = TypeVar("_T_co", covariant=True)


@dataclass(slots=True)
class CallOptions:
    """Per-call settings an adapter applies to the SDK request."""

    request_id: str
    timeout: float | None = None
    headers: Mapping[str, str] = field(default_factory=lambda: {})
    model: str = ""
    """The upstream model name, for protocols that put it in the URL rather than the body (Gemini, Bedrock)."""


@dataclass(slots=True)
class RawResponse:
    """An upstream response body, unparsed, so a same-protocol route can hand it on without re-encoding."""

    content: bytes
    headers: Mapping[str, str]
    upstream_request_id: str | None = None
    _json: Any = None

    def json(self) -> Any:
        if self._json is None:
            self._json = json.loads(self.content)
        return self._json

    @classmethod
    def from_data(cls, data: Any, headers: Mapping[str, str], upstream_request_id: str | None = None) -> RawResponse:
        """A response an SDK has already parsed (boto3 returns dicts, not bytes)."""
        return cls(b"", headers, upstream_request_id, data)


class RawStream(Protocol[_T_co]):
    """Upstream stream items (SSE events, JSON chunks...) in the adapter protocol's form. Closing it closes the
    upstream connection."""

    upstream_request_id: str | None

    def __iter__(self) -> Iterator[_T_co]: ...

    def close(self) -> None: ...


class AsyncRawStream(Protocol[_T_co]):
    upstream_request_id: str | None

    def __aiter__(self) -> AsyncIterator[_T_co]: ...

    async def aclose(self) -> None: ...


class Adapter(Protocol):
    """One configured provider. ``protocol`` names the codec of its wire format (e.g. ``openai_chat``)."""

    provider: str
    protocol: str

    def send(self, operation: Operation, body: dict[str, Any], options: CallOptions) -> RawResponse: ...

    async def asend(self, operation: Operation, body: dict[str, Any], options: CallOptions) -> RawResponse: ...

    def stream(self, operation: Operation, body: dict[str, Any], options: CallOptions) -> RawStream[Any]: ...

    async def astream(
        self, operation: Operation, body: dict[str, Any], options: CallOptions
    ) -> AsyncRawStream[Any]: ...

    def close(self) -> None: ...

    async def aclose(self) -> None: ...
