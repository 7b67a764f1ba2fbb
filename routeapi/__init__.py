"""routeapi: one client for OpenAI, Anthropic, Gemini, Azure OpenAI and Bedrock.

``import routeapi`` is cheap: no vendor SDK is imported until a call needs it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from . import errors
from ._route import RouteInfo, route_info
from .errors import (
    AllAttemptsFailed,
    ConfigurationError,
    ContentFiltered,
    ProviderError,
    RateLimited,
    RouteError,
    StreamInterrupted,
    UnsupportedFeature,
)

if TYPE_CHECKING:
    from ._client import AsyncRouteClient, RouteClient

__version__ = "0.1.0"

# A library logs, the application decides where records go (the standard NullHandler convention).
logging.getLogger("routeapi").addHandler(logging.NullHandler())

__all__ = [
    "AllAttemptsFailed",
    "AsyncRouteClient",
    "ConfigurationError",
    "ContentFiltered",
    "ProviderError",
    "RateLimited",
    "RouteClient",
    "RouteError",
    "RouteInfo",
    "StreamInterrupted",
    "UnsupportedFeature",
    "__version__",
    "errors",
    "route_info",
]


def __getattr__(name: str) -> Any:
    # The clients pull in pydantic and the config schema: load them when first asked for.
    if name in ("RouteClient", "AsyncRouteClient"):
        from . import _client

        return getattr(_client, name)
    raise AttributeError(f"module 'routeapi' has no attribute {name!r}")
