"""OpenAI error bodies -> routeapi errors."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any, Final, cast

from ...errors import (
    AuthenticationError,
    BadRequest,
    ContentFiltered,
    ContextLengthExceeded,
    NotFound,
    Overloaded,
    PermissionDenied,
    ProviderError,
    RateLimited,
    ServerError,
    Timeout,
)


def error_from_body(status: int | None, body: object, headers: Mapping[str, str] | None = None) -> ProviderError:
    """An OpenAI error response (``{"error": {"message", "type", "param", "code"}}``) -> the routeapi error.

    ``status`` None (or below 400, as for an error sent inside a 200 stream) means no HTTP status applies: the class
    then follows the error's ``code``/``type``.
    """
    error = _error_object(body)
    http_status = status if status is not None and status >= 400 else None
    message = _error_message(error, body, http_status)
    code = None if error.get("code") is None else str(error["code"])
    lowered = {key.lower(): value for key, value in (headers or {}).items()}
    common: dict[str, Any] = {
        "status_code": status,
        "headers": headers,
        "body": body,
        "code": code,
        "upstream_request_id": lowered.get("x-request-id"),
    }
    effective = http_status if http_status is not None else _status_from_error(error, code)
    if effective == 400:
        if code == "context_length_exceeded" or "maximum context length" in message.lower():
            return ContextLengthExceeded(message, **common)
        if code == "content_filter":
            return ContentFiltered(message, categories=_content_filter_categories(error), **common)
        return BadRequest(message, **common)
    if effective == 401:
        return AuthenticationError(message, **common)
    if effective == 403:
        return PermissionDenied(message, **common)
    if effective == 404:
        return NotFound(message, **common)
    if effective in (408, 504):
        return Timeout(message, **common)
    if effective == 429:
        return RateLimited(message, retry_after=_retry_after(lowered), **common)
    if effective in (503, 529):
        return Overloaded(message, **common)
    if effective is not None and 400 <= effective < 500:
        return BadRequest(message, **common)
    return ServerError(message, **common)


_STATUS_BY_ERROR: Final[dict[str, int]] = {
    "invalid_request_error": 400,
    "context_length_exceeded": 400,
    "content_filter": 400,
    "authentication_error": 401,
    "invalid_api_key": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "model_not_found": 404,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "insufficient_quota": 429,
    "tokens": 429,
    "requests": 429,
    "server_error": 500,
    "overloaded_error": 503,
}


def _error_object(body: object) -> Mapping[str, Any]:
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8", errors="replace")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return {}
    if not isinstance(body, Mapping):
        return {}
    error = cast("Mapping[str, Any]", body).get("error")
    return cast("Mapping[str, Any]", error) if isinstance(error, Mapping) else cast("Mapping[str, Any]", body)


def _error_message(error: Mapping[str, Any], body: object, status: int | None) -> str:
    message = error.get("message")
    if isinstance(message, str) and message:
        return message
    if isinstance(body, str) and body.strip():
        return body.strip()[:200]
    return f"upstream error (HTTP {status})" if status is not None else "upstream error"


def _status_from_error(error: Mapping[str, Any], code: str | None) -> int | None:
    for key in (code, error.get("type")):
        if isinstance(key, str) and key in _STATUS_BY_ERROR:
            return _STATUS_BY_ERROR[key]
    return None


def _content_filter_categories(error: Mapping[str, Any]) -> dict[str, Any]:
    inner = error.get("innererror")
    if isinstance(inner, Mapping):
        result = cast("Mapping[str, Any]", inner).get("content_filter_result")
        if isinstance(result, Mapping):
            return dict(cast("Mapping[str, Any]", result))
    return {}


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait, from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds is not None:
        try:
            return max(float(milliseconds) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)
