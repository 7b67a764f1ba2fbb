"""Load balancing: the order in which to try the deployments of one model. Pure apart from the shared counters.

Every strategy keeps priority levels intact (all deployments with the lowest ``priority`` value come before any of
the next level) and only reorders within a level. Health is not applied here: the caller drops unavailable
deployments from the ordered list (:func:`split_available`), so a strategy's choice falls through to the next one.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable, Iterable, Sequence
from itertools import groupby
from typing import Literal, Protocol, TypeVar

Strategy = Literal["priority", "weighted", "round_robin", "least_latency"]
STRATEGIES: tuple[Strategy, ...] = ("priority", "weighted", "round_robin", "least_latency")


class Balanceable(Protocol):
    """What balancing reads from a deployment (``config.Deployment`` fits)."""

    @property
    def provider(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def priority(self) -> int: ...
    @property
    def weight(self) -> float: ...


D = TypeVar("D", bound=Balanceable)
T = TypeVar("T")


def deployment_key(deployment: Balanceable) -> str:
    """The key health, latency and pacing state is kept under: ``"provider/model"``."""
    return f"{deployment.provider}/{deployment.model}"


class LatencyStats:
    """Exponentially weighted moving average of each deployment's latency: recent calls count most, and one slow
    call moves the average by ``alpha`` of the difference only."""

    def __init__(self, alpha: float = 0.3) -> None:
        if not 0 < alpha <= 1:
            raise ValueError(f"alpha must be in (0, 1], got {alpha}")
        self.alpha = alpha
        self._averages: dict[str, float] = {}
        self._lock = threading.Lock()

    def observe(self, key: str, seconds: float) -> None:
        if seconds < 0 or math.isnan(seconds):
            raise ValueError(f"latency must be a non-negative number of seconds, got {seconds}")
        with self._lock:
            previous = self._averages.get(key)
            self._averages[key] = seconds if previous is None else previous + self.alpha * (seconds - previous)

    def ewma(self, key: str) -> float | None:
        """The average, or None before the first observation."""
        with self._lock:
            return self._averages.get(key)


class RoundRobin:
    """One rotating counter per model key, shared by every caller of that model."""

    def __init__(self) -> None:
        self._counters: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, model_key: str) -> int:
        """This call's turn for ``model_key`` (0, 1, 2...)."""
        with self._lock:
            turn = self._counters.get(model_key, 0)
            self._counters[model_key] = turn + 1
            return turn


def order(
    deployments: Sequence[D],
    strategy: Strategy,
    *,
    stats: LatencyStats | None = None,
    rng: random.Random | None = None,
    rotation: RoundRobin | None = None,
    model_key: str | None = None,
) -> list[D]:
    """``deployments`` in the order to try them.

    - ``priority``: lowest ``priority`` value first, config order among equals.
    - ``weighted``: within each level, a random order in which a deployment comes first with probability
      proportional to its ``weight`` (weight 0: only after every positive weight). Draws from ``rng``.
    - ``round_robin``: within each level, config order rotated by the model's turn from ``rotation`` (required);
      ``model_key`` names the counter (default: the deployments' keys joined, i.e. one counter per deployment list).
    - ``least_latency``: within each level, ascending EWMA latency from ``stats``; deployments without a
      measurement first so they get measured; config order among ties.
    """
    levels = [list(level) for _, level in groupby(sorted(deployments, key=lambda d: d.priority), lambda d: d.priority)]
    if strategy == "priority":
        return [d for level in levels for d in level]
    if strategy == "weighted":
        draw = rng if rng is not None else random.Random()
        return [d for level in levels for d in _weighted_order(level, draw)]
    if strategy == "round_robin":
        if rotation is None:
            raise ValueError("the round_robin strategy needs a RoundRobin (rotation=)")
        turn = rotation.take(model_key if model_key is not None else ",".join(map(deployment_key, deployments)))
        return [d for level in levels for d in _rotated(level, turn)]
    if strategy == "least_latency":
        latency = stats if stats is not None else LatencyStats()
        return [d for level in levels for d in _by_latency(level, latency)]
    raise ValueError(f"unknown balancing strategy {strategy!r}; known: {', '.join(STRATEGIES)}")


def split_available(items: Iterable[T], is_available: Callable[[T], bool]) -> tuple[list[T], list[T]]:
    """``(available, skipped)``, each in the input order. ``is_available`` is called once per item, in order."""
    available: list[T] = []
    skipped: list[T] = []
    for item in items:
        (available if is_available(item) else skipped).append(item)
    return available, skipped


def _weighted_order(level: list[D], rng: random.Random) -> list[D]:
    # Efraimidis-Spirakis: sorting by u ** (1 / w) descending draws a weighted order without replacement. The log
    # form log(u) / w sorts the same way without underflowing for small weights; 1 - random() keeps u in (0, 1].
    def key(deployment: D) -> float:
        u = 1.0 - rng.random()
        return math.log(u) / deployment.weight if deployment.weight > 0 else -math.inf

    return sorted(level, key=key, reverse=True)


def _rotated(level: list[D], turn: int) -> list[D]:
    start = turn % len(level)
    return level[start:] + level[:start]


def _by_latency(level: list[D], stats: LatencyStats) -> list[D]:
    def key(deployment: D) -> tuple[bool, float]:
        average = stats.ewma(deployment_key(deployment))
        return (average is not None, average or 0.0)

    return sorted(level, key=key)
