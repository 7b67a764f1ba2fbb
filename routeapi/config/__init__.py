"""Configuration: the schema (:mod:`.models`) and how it is loaded (:mod:`.loading`)."""

from .loading import build, load_file, resolve_provider
from .models import (
    Deployment,
    MediaFetchConfig,
    ModelConfig,
    ProviderConfig,
    RetryConfig,
    RouteConfig,
    RoutingConfig,
    ServerConfig,
    ServerToken,
    StorageSettings,
    TimeoutConfig,
)

__all__ = [
    "Deployment",
    "MediaFetchConfig",
    "ModelConfig",
    "ProviderConfig",
    "RetryConfig",
    "RouteConfig",
    "RoutingConfig",
    "ServerConfig",
    "ServerToken",
    "StorageSettings",
    "TimeoutConfig",
    "build",
    "load_file",
    "resolve_provider",
]
