"""Caller authentication: one routeapi token, presented the way each vendor's SDK presents its key."""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from ._asgi import Incoming
from .config import ServerToken

_KEY_HEADERS = ("x-api-key", "x-goog-api-key")  # Anthropic (older SDKs), Gemini


def presented_token(request: Incoming) -> str | None:
    """``Authorization: Bearer`` (OpenAI, Anthropic), ``x-api-key``, ``x-goog-api-key``, or ``?key=`` (Gemini REST)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    for name in _KEY_HEADERS:
        if request.headers.get(name):
            return request.headers[name]
    return request.query.get("key") or None


class TokenCheck:
    def __init__(self, tokens: Sequence[ServerToken]) -> None:
        self._tokens = [(t.name, t.token.get_secret_value().encode()) for t in tokens]

    def identify(self, presented: str | None) -> str | None:
        """The name of the token presented, or None. Compared in constant time."""
        if presented is None:
            return None
        given = presented.encode("utf-8", errors="replace")
        return next((name for name, secret in self._tokens if hmac.compare_digest(given, secret)), None)
