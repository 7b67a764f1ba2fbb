"""Errors: a failed response or an ``error`` stream event -> the routeapi error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ...errors import BadRequest, ContentFiltered, ProviderError, ServerError
from ..openai_chat import error_from_body

# Failure codes of a `failed` response that are the caller's fault (error_from_body only knows HTTP-style codes).
_CONTENT_POLICY_CODES: Final = frozenset(
    {"image_content_policy_violation", "bio_policy", "misalignment_policy_violation"}
)
_CLIENT_CODE_PREFIXES: Final = ("invalid_", "image_", "empty_", "unsupported_", "failed_to_download", "data_residency")


def failure(body: Mapping[str, Any]) -> ProviderError:
    """A failed response or an ``error`` stream event -> the routeapi error. The Chat mapping knows HTTP-style
    codes; a failed response adds codes of its own for bad input."""
    error = error_from_body(None, body)
    code = error.code
    if not isinstance(error, ServerError) or code is None or code == "server_error":
        return error
    if code in _CONTENT_POLICY_CODES:
        return ContentFiltered(error.message, body=body, code=code)
    if code.startswith(_CLIENT_CODE_PREFIXES):
        return BadRequest(error.message, body=body, code=code)
    return error
