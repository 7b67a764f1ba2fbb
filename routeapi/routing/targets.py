"""Model IDs -> the ordered list of deployments to try."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from ..catalog.vendors import VENDORS
from ..config import Deployment, ModelConfig, RouteConfig
from ..config.models import Capabilities
from ..errors import ConfigurationError
from .balancing import order as order_deployments


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
    first_token_timeout: float | None = None
    stream_idle_timeout: float | None = None
    capabilities: Capabilities | None = None
    """Declared in the deployment's config, over the catalog's."""
    on_interrupt: Literal["raise", "continue"] = "raise"
    hedge_after: float | None = None

    @property
    def key(self) -> str:
        """The deployment's key for health, pacing and latency statistics."""
        return f"{self.provider}/{self.model}"


Order = Callable[[Sequence[Deployment], str], list[Deployment]]


def plan(config: RouteConfig, model_id: str, fallbacks: Sequence[str] = (), order: Order | None = None) -> list[Target]:
    """The deployments for ``model_id`` in routing order, then those of each fallback, each model once.
    ``order(deployments, alias)`` sorts an alias's deployments (the router's balancing strategy)."""
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
            deployments = order(alias.deployments, name) if order else _ordered(alias, config.routing.strategy)
            for deployment in deployments:
                targets.append(
                    Target(
                        deployment.provider,
                        deployment.model,
                        name,
                        position,
                        alias.max_tokens,
                        alias.first_token_timeout,
                        alias.stream_idle_timeout,
                        deployment.capabilities,
                        alias.on_interrupt,
                        alias.hedge_after,
                    )
                )
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
    """Without a router's statistics: ``priority`` order, or weighted random for ``weighted``."""
    return order_deployments(model.deployments, "weighted" if strategy == "weighted" else "priority")
