"""The gateway's own configuration is the ``server:`` section of the configuration schema (tokens and limits)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from ..config import RouteConfig, ServerConfig, ServerToken, load_file

__all__ = ["ServerConfig", "ServerToken", "load_gateway_config"]


def load_gateway_config(
    path: str | os.PathLike[str], env: Mapping[str, str] | None = None
) -> tuple[RouteConfig, ServerConfig]:
    """A YAML file -> the configuration and its ``server:`` section. ``${NAME}`` reads the environment."""
    config = load_file(path, env)
    return config, config.server
