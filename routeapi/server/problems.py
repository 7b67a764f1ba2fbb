"""Failures as each protocol reports them: routeapi errors -> an HTTP status and a body in the caller's dialect.

OpenAI ``{"error": {"message", "type", "param", "code"}}``, Anthropic ``{"type": "error", "error": {"type",
"message"}}``, Gemini ``{"error": {"code", "message", "status"}}``. The same bodies are the in-stream error events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from .. import errors
from ..routing.targets import UnknownModel

Dialect = Literal["openai", "anthropic", "gemini"]
Kind = Literal[
    "invalid_request",
    "authentication",
    "permission",
    "not_found",
    "method_not_allowed",
    "too_large",
    "rate_limited",
    "overloaded",
    "timeout",
    "upstream",
    "not_implemented",
    "internal",
]

STATUS: dict[Kind, int] = {
    "invalid_request": 400,
    "authentication": 401,
    "permission": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "too_large": 413,
    "rate_limited": 429,
    "internal": 500,
    "not_implemented": 501,
    "upstream": 502,
    "overloaded": 503,
    "timeout": 504,
}


class Problem(Exception):
    """A failure to report to the caller. ``status`` defaults to the kind's; ``code`` is OpenAI's error code."""

    def __init__(
        self,
        kind: Kind,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind: Kind = kind
        self.message = message
        self.status = status if status is not None else STATUS[kind]
        self.code = code
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class _Names:
    openai_type: str
    openai_code: str | None
    anthropic_type: str
    gemini_status: str


_NAMES: dict[Kind, _Names] = {
    "invalid_request": _Names("invalid_request_error", None, "invalid_request_error", "INVALID_ARGUMENT"),
    "authentication": _Names("invalid_request_error", "invalid_api_key", "authentication_error", "UNAUTHENTICATED"),
    "permission": _Names("invalid_request_error", "permission_denied", "permission_error", "PERMISSION_DENIED"),
    "not_found": _Names("invalid_request_error", None, "not_found_error", "NOT_FOUND"),
    "method_not_allowed": _Names("invalid_request_error", "method_not_allowed", "invalid_request_error", "NOT_FOUND"),
    "too_large": _Names("invalid_request_error", "request_too_large", "request_too_large", "INVALID_ARGUMENT"),
    "rate_limited": _Names("rate_limit_error", "rate_limit_exceeded", "rate_limit_error", "RESOURCE_EXHAUSTED"),
    "overloaded": _Names("server_error", "overloaded", "overloaded_error", "UNAVAILABLE"),
    "timeout": _Names("server_error", "timeout", "timeout_error", "DEADLINE_EXCEEDED"),
    "upstream": _Names("server_error", "upstream_error", "api_error", "UNAVAILABLE"),
    "not_implemented": _Names("invalid_request_error", "not_implemented", "invalid_request_error", "UNIMPLEMENTED"),
    "internal": _Names("server_error", None, "api_error", "INTERNAL"),
}


def status_for(dialect: Dialect, problem: Problem) -> int:
    # Anthropic's overload status is 529: its SDK turns exactly that into OverloadedError.
    if dialect == "anthropic" and problem.kind == "overloaded":
        return 529
    return problem.status


def error_body(dialect: Dialect, problem: Problem, request_id: str | None = None) -> dict[str, Any]:
    names = _NAMES[problem.kind]
    if dialect == "openai":
        code = problem.code or names.openai_code
        return {"error": {"message": problem.message, "type": names.openai_type, "param": None, "code": code}}
    if dialect == "anthropic":
        body: dict[str, Any] = {"type": "error", "error": {"type": names.anthropic_type, "message": problem.message}}
        if request_id is not None:
            body["request_id"] = request_id
        return body
    status = status_for(dialect, problem)
    return {"error": {"code": status, "message": problem.message, "status": names.gemini_status}}


def problem_from_error(error: BaseException) -> Problem:
    """What a failed call tells the caller. Upstream credential problems are never passed on as they are: the
    caller's token was fine, and a vendor's message can quote part of the gateway's key."""
    if isinstance(error, Problem):
        return error
    if isinstance(error, errors.AllAttemptsFailed):
        cause = error.__cause__
        if cause is None:  # no target was even tried (every circuit open, say)
            return Problem("overloaded", error.message)
        inner = problem_from_error(cause)
        return Problem(
            inner.kind,
            f"{inner.message} ({error.message})",
            status=inner.status,
            code=inner.code,
            retry_after=inner.retry_after,
        )
    if isinstance(error, UnknownModel):
        return Problem("not_found", error.message, code="model_not_found")
    if isinstance(error, errors.ConfigurationError):
        return Problem("internal", f"the gateway is misconfigured: {error.message}")
    if isinstance(error, errors.UnsupportedFeature):
        return Problem("invalid_request", error.message, code="unsupported_feature")
    if isinstance(error, errors.ProviderError):
        return _provider_problem(error)
    if isinstance(error, errors.StreamTimeout):
        return Problem("timeout", error.message)
    if isinstance(error, (errors.StreamError, errors.ProtocolError)):
        return Problem("upstream", f"the upstream failed: {error.message}")
    return Problem("internal", "internal error in the gateway")


def _provider_problem(error: errors.ProviderError) -> Problem:
    where = f"{error.provider}: " if error.provider and not error.message.startswith(f"{error.provider}:") else ""
    message = f"{where}{error.message}"
    if isinstance(error, (errors.AuthenticationError, errors.PermissionDenied)):
        return Problem("upstream", f"{where}the upstream provider refused the gateway's credentials")
    if isinstance(error, errors.RateLimited):
        return Problem("rate_limited", message, retry_after=error.retry_after)
    if isinstance(error, errors.Overloaded):
        return Problem("overloaded", message)
    if isinstance(error, errors.Timeout):
        return Problem("timeout", message)
    if isinstance(error, errors.NotFound):
        return Problem("not_found", message)
    if isinstance(error, errors.BadRequest):
        given = error.status_code
        status = given if given is not None and 400 <= given < 500 and given not in (401, 403, 404, 429) else 400
        return Problem("invalid_request", message, status=status, code=error.code)
    return Problem("upstream", message)
