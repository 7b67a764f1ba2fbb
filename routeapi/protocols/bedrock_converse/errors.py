"""Errors: Bedrock error codes -> routeapi errors."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from ...errors import (
    AuthenticationError,
    BadRequest,
    ContextLengthExceeded,
    NotFound,
    Overloaded,
    PermissionDenied,
    ProviderError,
    RateLimited,
    ServerError,
    Timeout,
)

_ERROR_CODES: Final[dict[str, tuple[type[ProviderError], int]]] = {
    "ThrottlingException": (RateLimited, 429),
    "ValidationException": (BadRequest, 400),
    "AccessDeniedException": (PermissionDenied, 403),
    "UnrecognizedClientException": (AuthenticationError, 403),
    "ExpiredTokenException": (AuthenticationError, 403),
    "ResourceNotFoundException": (NotFound, 404),
    "ModelTimeoutException": (Timeout, 408),
    "ServiceUnavailableException": (Overloaded, 503),
    "InternalServerException": (ServerError, 500),
    "ModelStreamErrorException": (ServerError, 424),
    "ModelErrorException": (ServerError, 424),
    "ModelNotReadyException": (ServerError, 429),
}
_CONTEXT_LENGTH: Final = re.compile(
    r"input length|too long|context (window|length|limit)|token limit|too many (input )?tokens", re.IGNORECASE
)


def _class_for_status(status: int | None) -> type[ProviderError]:
    by_status: dict[int, type[ProviderError]] = {
        400: BadRequest,
        401: AuthenticationError,
        403: PermissionDenied,
        404: NotFound,
        408: Timeout,
        429: RateLimited,
        503: Overloaded,
    }
    if status is None:
        return ProviderError
    return by_status.get(status, ServerError if status >= 500 else BadRequest)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = {key.lower(): item for key, item in headers.items()}.get("retry-after")
    try:
        return None if value is None else max(0.0, float(value))
    except ValueError:
        return None


def error_from_code(
    code: str, message: str, status: int | None, headers: Mapping[str, str] | None = None, *, body: object = None
) -> ProviderError:
    """The routeapi error for a Bedrock error code: botocore's ``Error.Code`` (``ThrottlingException``), an
    ``x-amzn-ErrorType`` value (``ThrottlingException:http://...``) or a stream exception event name
    (``throttlingException``). ``status`` None takes the code's documented HTTP status."""
    headers = headers or {}
    name = code.split(":", 1)[0].rsplit("#", 1)[-1]
    name = name[:1].upper() + name[1:]
    known = _ERROR_CODES.get(name)
    cls = known[0] if known else _class_for_status(status)
    if cls is ServerError and status in (503, 529):
        cls = Overloaded  # "unavailable" and "overloaded" mean the same to a router: try later or elsewhere
    if status is None and known:
        status = known[1]
    if cls is BadRequest and _CONTEXT_LENGTH.search(message):
        cls = ContextLengthExceeded
    lowered = {key.lower(): value for key, value in headers.items()}
    common: dict[str, Any] = {
        "status_code": status,
        "headers": headers,
        "body": body,
        "code": name or None,
        "upstream_request_id": lowered.get("x-amzn-requestid"),
    }
    text = message or name or "Bedrock returned an error"
    if cls is RateLimited:
        return RateLimited(text, retry_after=_retry_after(headers), **common)
    return cls(text, **common)
