"""Building a :class:`RouteConfig` from code or a YAML file, with ``${ENV}`` interpolation and errors that name
the offending key."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError

from ..catalog.vendors import VENDORS
from ..errors import ConfigurationError
from .models import ProviderConfig, RouteConfig

DEFAULT_AZURE_API_VERSION = "2024-10-21"  # the current GA data-plane version
_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def load_file(path: str | os.PathLike[str], env: Mapping[str, str] | None = None) -> RouteConfig:
    import yaml  # only needed for files

    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"{source}: cannot read the configuration file ({exc.strerror})") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigurationError(f"{source}:{where}: {problem}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{source}: the top level must be a mapping of sections, got {type(raw).__name__}")
    return build(interpolate(raw, os.environ if env is None else env), source=str(source))


def interpolate(value: Any, env: Mapping[str, str], path: str = "") -> Any:
    """Replace ``${NAME}`` and ``${NAME:-default}`` in every string of a loaded YAML tree."""
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in env:
                return env[name]
            if default is not None:
                return default
            raise ConfigurationError(f"{path or '<root>'}: environment variable {name} is not set")

        return _ENV_REFERENCE.sub(substitute, value)
    if isinstance(value, dict):
        return {k: interpolate(v, env, f"{path}.{k}" if path else str(k)) for k, v in value.items()}  # type: ignore[misc]
    if isinstance(value, list):
        return [interpolate(v, env, f"{path}[{i}]") for i, v in enumerate(value)]  # type: ignore[arg-type]
    return value


def build(raw: Mapping[str, Any], *, source: str = "configuration") -> RouteConfig:
    try:
        return RouteConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigurationError(f"{source}: {_describe(exc)}") from None


def _describe(exc: ValidationError) -> str:
    problems: list[str] = []
    for error in exc.errors(include_url=False, include_input=False):
        location = ""
        for part in error["loc"]:
            location += f"[{part}]" if isinstance(part, int) else (f".{part}" if location else str(part))
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{location}: {message}" if location else message)
    return "; ".join(problems)


def resolve_provider(config: RouteConfig, name: str, env: Mapping[str, str] | None = None) -> ProviderConfig:
    """The named provider with its credentials complete: configured keys first, then the vendor's environment
    variables. A provider type used by name without a ``providers`` entry gets an implicit configuration."""
    environ = os.environ if env is None else env
    configured = config.providers.get(name)
    place = f"providers.{name}"
    if configured is None:
        if name not in VENDORS:
            raise ConfigurationError(f"{place}: no such provider, and {name!r} is not a provider type")
        configured = ProviderConfig(type=name)
        place = f"provider {name!r} (implicit)"
    vendor = VENDORS[configured.type]
    updates: dict[str, Any] = {}
    if configured.type == "azure_openai":
        updates.update(_azure_defaults(configured, environ, place))
    token_auth = configured.azure_ad_token is not None or configured.azure_ad_token_provider is not None
    if configured.api_key is None and not token_auth:
        key = next((environ[v] for v in vendor.key_env if environ.get(v)), None)
        if key is not None:
            updates["api_key"] = SecretStr(key)
        elif vendor.key_required:
            wanted = " or ".join(vendor.key_env)
            raise ConfigurationError(f"{place}.api_key: not set, and {wanted} is not in the environment")
    if configured.base_url is None and vendor.base_url is not None:
        updates["base_url"] = vendor.base_url
    return configured.model_copy(update=updates) if updates else configured


def _azure_defaults(config: ProviderConfig, environ: Mapping[str, str], place: str) -> dict[str, Any]:
    updates: dict[str, Any] = {}
    if config.endpoint is None:
        endpoint = environ.get("AZURE_OPENAI_ENDPOINT")
        if not endpoint:
            raise ConfigurationError(f"{place}.endpoint: not set, and AZURE_OPENAI_ENDPOINT is not in the environment")
        updates["endpoint"] = endpoint
    if config.api_version is None:
        updates["api_version"] = environ.get("OPENAI_API_VERSION", DEFAULT_AZURE_API_VERSION)
    return updates
