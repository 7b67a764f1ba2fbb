"""Errors: Gemini error bodies -> routeapi errors."""

from __future__ import annotations

import json
import re
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
from .json_access import JSONObject

_ERRORS_BY_STATUS: dict[str, type[ProviderError]] = {
    "RESOURCE_EXHAUSTED": RateLimited,
    "INVALID_ARGUMENT": BadRequest,
    "FAILED_PRECONDITION": BadRequest,
    "OUT_OF_RANGE": BadRequest,
    "PERMISSION_DENIED": PermissionDenied,
    "UNAUTHENTICATED": AuthenticationError,
    "NOT_FOUND": NotFound,
    "INTERNAL": ServerError,
    "UNKNOWN": ServerError,
    "UNAVAILABLE": Overloaded,
    "DEADLINE_EXCEEDED": Timeout,
}
_ERRORS_BY_CODE: dict[int, type[ProviderError]] = {
    400: BadRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    429: RateLimited,
    500: ServerError,
    503: Overloaded,
    504: Timeout,
    529: Overloaded,  # not Google's, but a proxy in front may use it; it means the same everywhere
}
_TOKEN_LIMIT = re.compile(
    r"input token count|exceeds the maximum number of tokens|context (length|window)|too many tokens|token limit",
    re.IGNORECASE,
)
_RETRY_DELAY = re.compile(r"(\d+(?:\.\d+)?)s")


def _error_payload(body: object) -> JSONObject:
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8", errors="replace")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return {"message": body} if body else {}
    if isinstance(body, list) and body:  # streamGenerateContent without alt=sse wraps errors in an array
        body = cast("list[Any]", body)[0]
    if isinstance(body, Mapping):
        error = cast("Mapping[str, Any]", body).get("error")
        if isinstance(error, Mapping):
            return dict(cast("Mapping[str, Any]", error))
    return {}


def _retry_after(headers: Mapping[str, str], error: JSONObject) -> float | None:
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                return float(value)
            except ValueError:
                break
    for detail in cast("list[Any]", error.get("details") or []):
        if isinstance(detail, dict) and "retryDelay" in detail:
            match = _RETRY_DELAY.fullmatch(str(cast("JSONObject", detail)["retryDelay"]))
            if match:
                return float(match.group(1))
    return None


def _error_reasons(error: JSONObject) -> set[str]:
    details = error.get("details")
    if not isinstance(details, list):
        return set()
    return {
        str(cast("JSONObject", d)["reason"])
        for d in cast("list[Any]", details)
        if isinstance(d, dict) and "reason" in d
    }


def error_from_body(status: int | None, body: object, headers: Mapping[str, str] | None = None) -> ProviderError:
    """The routeapi error for a Gemini error body ``{"error": {"code", "message", "status", "details"?}}``.

    ``status`` is the HTTP status (None for an error met inside a stream: the body's code is used)."""
    error = _error_payload(body)
    code = error.get("code")
    status_code = status if status and status >= 400 else (code if isinstance(code, int) else status)
    status_name = error.get("status")
    kind = _ERRORS_BY_STATUS.get(status_name) if isinstance(status_name, str) else None
    if kind is None and status_code is not None:
        kind = _ERRORS_BY_CODE.get(status_code) or (BadRequest if 400 <= status_code < 500 else ServerError)
    kind = kind or ServerError
    if kind is ServerError and status_code in (503, 529):
        kind = Overloaded
    message = str(error.get("message") or f"Gemini error {status_code or ''}".strip())
    if kind is BadRequest and "API_KEY_INVALID" in _error_reasons(error):
        kind = AuthenticationError
    elif kind is BadRequest and _TOKEN_LIMIT.search(message):
        kind = ContextLengthExceeded
    common: dict[str, Any] = {
        "status_code": status_code,
        "headers": headers,
        "body": body,
        "code": status_name if isinstance(status_name, str) else None,
    }
    if kind is RateLimited:
        return RateLimited(message, retry_after=_retry_after(headers or {}, error), **common)
    return kind(message, **common)
