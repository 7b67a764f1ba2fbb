"""Model IDs -> the ordered list of deployments to try."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from ..catalog.vendors import VENDORS
from ..config import Deployment, ModelConfig, RouteConfig
from ..errors import ConfigurationError


class UnknownModel(ConfigurationError):
    """The model ID is neither a configured alias nor ``provider/model`` with a known provider."""


@dataclass(frozen=True, slots=True)
class Target:
    """One deployment to try. ``position`` is its place in the fallback chain (0: the requested model)."""

    provider: str
    model: str
    requested: str
    position: int = 0
    max_tokens: int | None = None


def plan(config: RouteConfig, model_id: str, fallbacks: Sequence[str] = ()) -> list[Target]:
    """The deployments for ``model_id`` in routing order, then those of each fallback, each model once."""
    targets: list[Target] = []
    seen: set[str] = set()
    queue = [model_id, *fallbacks]
    position = 0
    while queue:
        name = queue.pop(0)
        if name in seen:
            continue
        seen.add(name)
        alias = config.models.get(name)
        if alias is None:
            provider, model = _split_direct(config, name)
            targets.append(Target(provider, model, name, position))
        else:
            for deployment in _ordered(alias, config.routing.strategy):
                targets.append(Target(deployment.provider, deployment.model, name, position, alias.max_tokens))
            queue.extend(f for f in alias.fallbacks if f not in seen)
        position += 1
    return targets


def _split_direct(config: RouteConfig, name: str) -> tuple[str, str]:
    provider, sep, model = name.partition("/")
    if sep and model and (provider in config.providers or provider in VENDORS):
        return provider, model
    known = ", ".join(sorted(config.models)) or "none configured"
    raise UnknownModel(
        f"unknown model {name!r}: use an alias (configured: {known}) or 'provider/model' with a configured "
        "provider or a provider type"
    )


def _ordered(model: ModelConfig, strategy: str) -> list[Deployment]:
    """``priority``: lowest ``priority`` value first, config order among equals. ``weighted``: within each priority
    level, a random order where a deployment comes first with probability proportional to its weight."""
    deployments = sorted(model.deployments, key=lambda d: d.priority)
    if strategy != "weighted" or len(deployments) < 2:
        return deployments
    # Efraimidis-Spirakis: sorting by u ** (1 / w) draws a weighted order without replacement.
    return sorted(
        deployments,
        key=lambda d: (d.priority, -(random.random() ** (1.0 / d.weight)) if d.weight > 0 else 0.0),
    )
