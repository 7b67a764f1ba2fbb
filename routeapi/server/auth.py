"""Where a caller's routeapi token is, presented the way each vendor's SDK presents its key (``tokens.py``
checks it)."""

from __future__ import annotations

from ._asgi import Incoming

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
