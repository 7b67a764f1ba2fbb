"""Every error routeapi raises. None subclasses a vendor SDK's exceptions; the SDK's error is ``__cause__``.

::

    RouteError                          .provider .model .request_id .upstream_request_id
    ├── ConfigurationError              missing credentials, unknown provider, bad config file
    ├── UnsupportedFeature              the target cannot express something the request needs
    ├── ProtocolError                   bad inbound payload, unexpected vendor payload
    ├── ProviderError                   .status_code .headers .body
    │   ├── ConnectionError             retryable (reset, refused, DNS)
    │   ├── Timeout                     retryable
    │   ├── AuthenticationError         401
    │   ├── PermissionDenied            403
    │   ├── NotFound                    404
    │   ├── BadRequest                  400, 422 and other 4xx
    │   │   ├── ContextLengthExceeded
    │   │   └── ContentFiltered         .categories
    │   ├── RateLimited                 429, retryable, .retry_after
    │   └── ServerError                 5xx, retryable
    │       └── Overloaded              529 / 503 overloaded
    ├── StreamError
    │   ├── StreamTimeout               no first token / idle too long
    │   └── StreamInterrupted           the stream broke after content was delivered; .partial
    └── AllAttemptsFailed               .attempts: every attempt with its error, in order
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .ir import Response

__all__ = [
    "AllAttemptsFailed",
    "Attempt",
    "AuthenticationError",
    "BadRequest",
    "ConfigurationError",
    "ConnectionError",
    "ContentFiltered",
    "ContextLengthExceeded",
    "NotFound",
    "Overloaded",
    "PermissionDenied",
    "ProtocolError",
    "ProviderError",
    "RateLimited",
    "RouteError",
    "ServerError",
    "StreamError",
    "StreamInterrupted",
    "StreamTimeout",
    "Timeout",
    "UnsupportedFeature",
]


class RouteError(Exception):
    """Base of every routeapi error."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        model: str | None = None,
        request_id: str | None = None,
        upstream_request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.model = model
        self.request_id = request_id
        self.upstream_request_id = upstream_request_id

    def __str__(self) -> str:
        where = "/".join(p for p in (self.provider, self.model) if p)
        ids = ", ".join(
            f"{k}={v}"
            for k, v in (("request_id", self.request_id), ("upstream_request_id", self.upstream_request_id))
            if v
        )
        suffix = "".join(f" [{s}]" for s in (where, ids) if s)
        return f"{self.message}{suffix}"


class ConfigurationError(RouteError):
    """The configuration is invalid or incomplete; the message names the offending key."""


class UnsupportedFeature(RouteError):
    """The target cannot express something the request needs; never silently dropped."""


class ProtocolError(RouteError):
    """A payload does not follow its protocol (a bad inbound request or an unexpected vendor payload)."""


class ProviderError(RouteError):
    """The upstream answered with an error or could not be reached."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        headers: Mapping[str, str] | None = None,
        body: object = None,
        code: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.status_code = status_code
        self.headers: dict[str, str] = dict(headers or {})
        self.body = body
        self.code = code


class ConnectionError(ProviderError):  # noqa: A001 - scoped name, reachable as routeapi.errors.ConnectionError
    retryable = True


class Timeout(ProviderError):
    retryable = True


class AuthenticationError(ProviderError):
    pass


class PermissionDenied(ProviderError):
    pass


class NotFound(ProviderError):
    pass


class BadRequest(ProviderError):
    pass


class ContextLengthExceeded(BadRequest):
    pass


class ContentFiltered(BadRequest):
    """The provider refused the prompt or the answer; ``categories`` holds its reasons where it gave them."""

    def __init__(self, message: str, *, categories: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.categories: dict[str, Any] = dict(categories or {})


class RateLimited(ProviderError):
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(ProviderError):
    retryable = True


class Overloaded(ServerError):
    pass


class StreamError(RouteError):
    pass


class StreamTimeout(StreamError):
    retryable = True


class StreamInterrupted(StreamError):
    """The stream broke after content reached the caller. ``partial`` is what had arrived, when known."""

    def __init__(self, message: str, *, partial: Response | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.partial = partial


@dataclass(slots=True, frozen=True)
class Attempt:
    provider: str
    model: str
    error: builtins.BaseException


class AllAttemptsFailed(RouteError):
    """Every target failed. ``attempts`` lists them in order; ``skipped`` the targets not tried and why (``(target,
    reason)`` pairs); ``__cause__`` is the most relevant error."""

    def __init__(
        self, message: str, *, attempts: list[Attempt], skipped: list[tuple[Any, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.attempts = attempts
        self.skipped: list[tuple[Any, str]] = list(skipped or [])


REDACTED = "[redacted]"


def _scrubbed(value: object, secrets: tuple[str, ...]) -> object:
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return {k: _scrubbed(v, secrets) for k, v in value.items()}  # type: ignore[misc]
    if isinstance(value, list):
        return [_scrubbed(v, secrets) for v in value]  # type: ignore[misc]
    return value


def redact(error: RouteError, secrets: tuple[str, ...]) -> None:
    """Remove ``secrets`` (provider keys, tokens) from an error before anyone sees it: its message, body and headers.
    An upstream that quotes the caller's key in its error text must not put it in our errors, logs or responses. When
    the original SDK exception (``__cause__``) quotes one too, the chain is cut, so no traceback can show it."""
    secrets = tuple(s for s in secrets if len(s) >= 4)
    if not secrets:
        return
    error.message = str(_scrubbed(error.message, secrets))
    error.args = tuple(_scrubbed(a, secrets) for a in error.args)
    if isinstance(error, ProviderError):
        error.body = _scrubbed(error.body, secrets)
        error.headers = {k: str(_scrubbed(v, secrets)) for k, v in error.headers.items()}
    seen = {id(error)}
    cause: BaseException | None = error.__cause__ or error.__context__
    while cause is not None and id(cause) not in seen:  # chains can loop (an error raised from itself)
        seen.add(id(cause))
        if any(secret in f"{cause!s} {cause!r} {getattr(cause, 'body', '')}" for secret in secrets):
            error.__cause__ = None
            error.__suppress_context__ = True
            return
        cause = cause.__cause__ or cause.__context__
