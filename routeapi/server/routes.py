"""Which endpoint a request is for, and what a chat request asks for, per protocol."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from ._asgi import Incoming
from .problems import Dialect, Problem

Kind = Literal["chat", "embeddings", "models", "health", "ready", "not_implemented"]

_FACES: dict[Dialect, str] = {"openai": "openai_chat", "anthropic": "anthropic_messages", "gemini": "gemini"}


@dataclass(frozen=True, slots=True)
class Endpoint:
    kind: Kind
    dialect: Dialect
    model: str | None = None
    """Gemini: the model named in the path."""
    streamed: bool = False
    """Gemini: ``streamGenerateContent``."""
    feature: str = ""
    """For ``not_implemented``: what is missing."""
    face: str = ""
    """The codec of the caller's protocol when the dialect alone does not tell (Responses vs Chat Completions)."""


# path -> (method, kind, dialect or None when the caller's headers tell, feature)
_FIXED: dict[str, tuple[str, Kind, Dialect | None, str]] = {
    "/v1/chat/completions": ("POST", "chat", "openai", ""),
    "/v1/messages": ("POST", "chat", "anthropic", ""),
    "/v1/messages/count_tokens": ("POST", "not_implemented", "anthropic", "token counting"),
    "/v1/responses": ("POST", "chat", "openai", ""),
    "/v1/embeddings": ("POST", "embeddings", "openai", ""),
    "/v1/models": ("GET", "models", None, ""),
    "/v1beta/models": ("GET", "models", "gemini", ""),
    "/healthz": ("GET", "health", "openai", ""),
    "/readyz": ("GET", "ready", "openai", ""),
}
_GEMINI_ACTION = re.compile(r"/v1(?:beta)?/models/(?P<model>.+):(?P<action>[A-Za-z]+)")
_GEMINI_ACTIONS: dict[str, tuple[Kind, bool, str]] = {
    "generateContent": ("chat", False, ""),
    "streamGenerateContent": ("chat", True, ""),
    "embedContent": ("embeddings", False, "single"),
    "batchEmbedContents": ("embeddings", False, ""),
    "countTokens": ("not_implemented", False, "token counting"),
}


def resolve(request: Incoming) -> Endpoint:
    """The endpoint; a :class:`Problem` (404, 405) otherwise, to report in :func:`guess_dialect`'s dialect."""
    path = request.path.rstrip("/") or "/"
    fixed = _FIXED.get(path)
    if fixed is not None:
        method, kind, dialect, feature = fixed
        face = "openai_responses" if path == "/v1/responses" else ""
        endpoint = Endpoint(kind, dialect or _listing_dialect(request), feature=feature, face=face)
        _check_method(request, method)
        return endpoint
    match = _GEMINI_ACTION.fullmatch(path)
    if match is not None and match["action"] in _GEMINI_ACTIONS:
        kind, streamed, feature = _GEMINI_ACTIONS[match["action"]]
        _check_method(request, "POST")
        return Endpoint(kind, "gemini", match["model"].removeprefix("models/"), streamed, feature)
    raise Problem("not_found", f"no such endpoint: {request.method} {request.path}", code="unknown_url")


def guess_dialect(request: Incoming) -> Dialect:
    """For errors raised before the endpoint is known."""
    if request.path.startswith("/v1/messages"):
        return "anthropic"
    if request.path.startswith("/v1beta") or ":" in request.path:
        return "gemini"
    return "openai"


def _listing_dialect(request: Incoming) -> Dialect:
    # GET /v1/models is the same path for all three SDKs: their auth headers tell them apart.
    if "anthropic-version" in request.headers:
        return "anthropic"
    if "x-goog-api-key" in request.headers or "key" in request.query:
        return "gemini"
    return "openai"


def _check_method(request: Incoming, method: str) -> None:
    if request.method != method:
        raise Problem("method_not_allowed", f"{request.path} accepts {method} only, not {request.method}")


@dataclass(frozen=True, slots=True)
class ChatCall:
    """What a chat request asks for, read from the body (OpenAI, Anthropic) or the URL (Gemini)."""

    face: str
    """Codec name of the caller's protocol."""
    model: str
    streamed: bool
    include_usage: bool = False
    sse: bool = True
    """Gemini streams: SSE with ``alt=sse``, else one incrementally written JSON array."""


def chat_call(endpoint: Endpoint, request: Incoming, body: Mapping[str, Any]) -> ChatCall:
    face = endpoint.face or _FACES[endpoint.dialect]
    if endpoint.dialect == "gemini":
        return ChatCall(face, endpoint.model or "", endpoint.streamed, sse=request.query.get("alt") == "sse")
    model = body.get("model")
    include_usage = endpoint.dialect == "openai" and _asks_for_usage(body.get("stream_options"))
    return ChatCall(face, model if isinstance(model, str) else "", body.get("stream") is True, include_usage)


def _asks_for_usage(stream_options: object) -> bool:
    """OpenAI's ``stream_options.include_usage``: the final usage chunk is sent only when asked for."""
    return (
        isinstance(stream_options, Mapping) and cast("Mapping[str, Any]", stream_options).get("include_usage") is True
    )
