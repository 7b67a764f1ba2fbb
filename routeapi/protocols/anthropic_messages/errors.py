"""Anthropic error answers -> routeapi errors."""

from __future__ import annotations

import contextlib
import email.utils
import json
import re
import time
from collections.abc import Mapping
from typing import Any, cast

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
from .shared import JSONObject

_ERROR_TYPES: dict[str, tuple[type[ProviderError], int]] = {
    "invalid_request_error": (BadRequest, 400),
    "authentication_error": (AuthenticationError, 401),
    "billing_error": (BadRequest, 402),
    "permission_error": (PermissionDenied, 403),
    "not_found_error": (NotFound, 404),
    "request_too_large": (BadRequest, 413),
    "rate_limit_error": (RateLimited, 429),
    "api_error": (ServerError, 500),
    "timeout_error": (Timeout, 504),
    "overloaded_error": (Overloaded, 529),
}
_CONTEXT_LENGTH = re.compile(r"prompt is too long|context (window|length|limit)", re.IGNORECASE)


def _error_class_for_status(status: int) -> type[ProviderError]:
    by_status: dict[int, type[ProviderError]] = {
        401: AuthenticationError,
        403: PermissionDenied,
        404: NotFound,
        408: Timeout,
        429: RateLimited,
        503: Overloaded,
        504: Timeout,
        529: Overloaded,
    }
    if status in by_status:
        return by_status[status]
    return ServerError if status >= 500 else BadRequest


def _retry_after(headers: Mapping[str, str]) -> float | None:
    lowered = {key.lower(): value for key, value in headers.items()}
    try:
        if "retry-after-ms" in lowered:
            return float(lowered["retry-after-ms"]) / 1000
        if "retry-after" in lowered:
            return float(lowered["retry-after"])
    except ValueError:
        pass
    if "retry-after" in lowered:
        try:
            when = email.utils.parsedate_to_datetime(lowered["retry-after"])
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())
    return None


def error_from_body(status: int, body: object, headers: Mapping[str, str]) -> ProviderError:
    """The routeapi error for an Anthropic error answer. ``status`` 200 means an in-stream ``error`` event: the
    status then comes from the error type (529 overloaded, 429 rate limit...)."""
    if isinstance(body, (bytes, str)):
        with contextlib.suppress(ValueError):
            body = json.loads(body)
    error_type: str | None = None
    message = f"Anthropic returned HTTP {status}"
    request_id: str | None = None
    if isinstance(body, dict):
        payload = cast("JSONObject", body)
        error = payload.get("error")
        if isinstance(error, dict):
            error_type = cast("JSONObject", error).get("type")
            message = str(cast("JSONObject", error).get("message") or error_type or message)
        if isinstance(payload.get("request_id"), str):
            request_id = payload["request_id"]
    elif isinstance(body, (bytes, str)) and body:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        message = f"{message}: {text[:200]}"
    known = _ERROR_TYPES.get(error_type or "")
    if status < 400:
        status = known[1] if known else 500
    cls = known[0] if known else _error_class_for_status(status)
    if status in (503, 529) and issubclass(cls, ServerError):
        cls = Overloaded  # "unavailable" and "overloaded" both mean: try again later or elsewhere
    if cls is BadRequest and _CONTEXT_LENGTH.search(message):
        cls = ContextLengthExceeded
    lowered = {key.lower(): value for key, value in headers.items()}
    common: dict[str, Any] = {
        "status_code": status,
        "headers": headers,
        "body": body,
        "code": error_type if isinstance(error_type, str) else None,
        "upstream_request_id": request_id or lowered.get("request-id"),
    }
    if cls is RateLimited:
        return RateLimited(message, retry_after=_retry_after(headers), **common)
    return cls(message, **common)
