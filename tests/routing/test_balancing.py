"""Balancing strategies: each one's order, priority levels kept by all, weighted odds, rotation, EWMA latency."""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass

import pytest

from routeapi.config import Deployment
from routeapi.routing.balancing import (
    STRATEGIES,
    LatencyStats,
    RoundRobin,
    Strategy,
    deployment_key,
    order,
    split_available,
)


@dataclass(frozen=True)
class Dep:
    provider: str
    model: str
    priority: int = 0
    weight: float = 1.0


def keys(deployments: list[Dep]) -> list[str]:
    return [deployment_key(d) for d in deployments]


A = Dep("openai", "a")
B = Dep("openai", "b")
C = Dep("azure", "c")
BACKUP = Dep("anthropic", "backup", priority=1)
LAST = Dep("bedrock", "last", priority=5)
# Config order deliberately mixes priority levels.
MIXED = [LAST, A, BACKUP, B, C]


def test_priority_lowest_value_first_config_order_among_equals() -> None:
    assert keys(order(MIXED, "priority")) == ["openai/a", "openai/b", "azure/c", "anthropic/backup", "bedrock/last"]


def test_negative_priorities_come_first() -> None:
    early = Dep("gemini", "early", priority=-1)
    assert keys(order([A, early], "priority")) == ["gemini/early", "openai/a"]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_strategy_keeps_priority_levels(strategy: Strategy) -> None:
    stats = LatencyStats()
    stats.observe("anthropic/backup", 0.01)  # fastest overall, but a lower priority level
    stats.observe("openai/a", 5.0)
    stats.observe("openai/b", 6.0)
    stats.observe("azure/c", 7.0)
    rotation = RoundRobin()
    rng = random.Random(7)
    for _ in range(20):
        ordered = order(MIXED, strategy, stats=stats, rng=rng, rotation=rotation, model_key="chat")
        assert sorted(keys(ordered[:3])) == ["azure/c", "openai/a", "openai/b"]
        assert keys(ordered[3:]) == ["anthropic/backup", "bedrock/last"]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_strategy_handles_empty_and_single_lists(strategy: Strategy) -> None:
    rotation = RoundRobin()
    assert order([], strategy, rotation=rotation) == []
    assert order([A], strategy, rotation=rotation) == [A]


def test_weighted_first_choice_follows_the_weights() -> None:
    light = Dep("openai", "light", weight=1.0)
    medium = Dep("openai", "medium", weight=2.0)
    heavy = Dep("openai", "heavy", weight=7.0)
    rng = random.Random(20240601)
    draws = 20_000
    firsts = Counter(order([light, medium, heavy], "weighted", rng=rng)[0].model for _ in range(draws))
    assert abs(firsts["light"] / draws - 0.10) < 0.03
    assert abs(firsts["medium"] / draws - 0.20) < 0.03
    assert abs(firsts["heavy"] / draws - 0.70) < 0.03


def test_weighted_second_choice_is_weighted_among_the_rest() -> None:
    # Given "heavy" went first, "medium" follows with probability 2 / (1 + 2).
    light = Dep("openai", "light", weight=1.0)
    medium = Dep("openai", "medium", weight=2.0)
    heavy = Dep("openai", "heavy", weight=7.0)
    rng = random.Random(5)
    orders = [order([light, medium, heavy], "weighted", rng=rng) for _ in range(20_000)]
    after_heavy = [o[1].model for o in orders if o[0].model == "heavy"]
    assert abs(after_heavy.count("medium") / len(after_heavy) - 2 / 3) < 0.03


def test_weighted_is_reproducible_with_a_seeded_rng() -> None:
    runs = [keys(order(MIXED, "weighted", rng=random.Random(42))) for _ in range(3)]
    assert runs[0] == runs[1] == runs[2]


def test_weight_zero_only_after_every_positive_weight_in_config_order() -> None:
    off1 = Dep("openai", "off1", weight=0.0)
    off2 = Dep("openai", "off2", weight=0.0)
    rng = random.Random(1)
    for _ in range(200):
        assert keys(order([off1, A, off2, B], "weighted", rng=rng)[2:]) == ["openai/off1", "openai/off2"]


def test_tiny_weights_still_order_by_weight() -> None:
    tiny = Dep("openai", "tiny", weight=1e-6)
    small = Dep("openai", "small", weight=1e-5)
    rng = random.Random(3)
    firsts = Counter(order([tiny, small], "weighted", rng=rng)[0].model for _ in range(5_000))
    assert abs(firsts["small"] / 5_000 - 10 / 11) < 0.03


def test_round_robin_rotates_the_start_per_model_key() -> None:
    rotation = RoundRobin()
    starts = [keys(order([A, B, C], "round_robin", rotation=rotation, model_key="chat")) for _ in range(4)]
    assert starts == [
        ["openai/a", "openai/b", "azure/c"],
        ["openai/b", "azure/c", "openai/a"],
        ["azure/c", "openai/a", "openai/b"],
        ["openai/a", "openai/b", "azure/c"],
    ]
    # Another model has its own counter.
    assert keys(order([A, B], "round_robin", rotation=rotation, model_key="other")) == ["openai/a", "openai/b"]


def test_round_robin_rotates_within_the_lowest_level_first() -> None:
    rotation = RoundRobin()
    backup2 = Dep("anthropic", "backup2", priority=1)
    deployments = [BACKUP, A, backup2, B]
    orders = [keys(order(deployments, "round_robin", rotation=rotation, model_key="m")) for _ in range(2)]
    assert orders == [
        ["openai/a", "openai/b", "anthropic/backup", "anthropic/backup2"],
        ["openai/b", "openai/a", "anthropic/backup2", "anthropic/backup"],
    ]


def test_round_robin_default_counter_is_the_deployment_list() -> None:
    rotation = RoundRobin()
    assert order([A, B], "round_robin", rotation=rotation)[0] == A
    assert order([C, A], "round_robin", rotation=rotation)[0] == C  # a different list: its own counter
    assert order([A, B], "round_robin", rotation=rotation)[0] == B


def test_round_robin_needs_a_rotation() -> None:
    with pytest.raises(ValueError, match="round_robin strategy needs a RoundRobin"):
        order([A, B], "round_robin")


def test_round_robin_counter_is_thread_safe() -> None:
    rotation = RoundRobin()
    barrier = threading.Barrier(8)
    turns: list[int] = []
    lock = threading.Lock()

    def take_many() -> None:
        barrier.wait()
        mine = [rotation.take("chat") for _ in range(500)]
        with lock:
            turns.extend(mine)

    threads = [threading.Thread(target=take_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(turns) == list(range(4000))


def test_latency_ewma_updates() -> None:
    stats = LatencyStats(alpha=0.5)
    assert stats.ewma("openai/a") is None
    stats.observe("openai/a", 2.0)
    assert stats.ewma("openai/a") == 2.0
    stats.observe("openai/a", 4.0)
    assert stats.ewma("openai/a") == 3.0
    stats.observe("openai/a", 1.0)
    assert stats.ewma("openai/a") == 2.0
    assert stats.ewma("openai/b") is None


def test_latency_default_alpha_is_point_three() -> None:
    stats = LatencyStats()
    stats.observe("k", 1.0)
    stats.observe("k", 2.0)
    assert stats.ewma("k") == 1.3


def test_least_latency_orders_by_ewma_unknown_first_ties_in_config_order() -> None:
    stats = LatencyStats(alpha=0.5)
    d = Dep("gemini", "d")
    e = Dep("gemini", "e")
    stats.observe("openai/a", 3.0)
    stats.observe("openai/b", 1.0)
    stats.observe("azure/c", 3.0)
    # d and e never measured: first, in config order; a and c tie at 3.0: config order.
    assert keys(order([A, B, d, C, e], "least_latency", stats=stats)) == [
        "gemini/d",
        "gemini/e",
        "openai/b",
        "openai/a",
        "azure/c",
    ]


def test_least_latency_follows_ewma_updates() -> None:
    stats = LatencyStats(alpha=0.5)
    stats.observe("openai/a", 1.0)
    stats.observe("openai/b", 2.0)
    assert keys(order([A, B], "least_latency", stats=stats)) == ["openai/a", "openai/b"]
    stats.observe("openai/a", 4.0)  # a: 2.5, b: 2.0
    assert keys(order([A, B], "least_latency", stats=stats)) == ["openai/b", "openai/a"]
    stats.observe("openai/a", 1.0)  # a: 1.75
    assert keys(order([A, B], "least_latency", stats=stats)) == ["openai/a", "openai/b"]


def test_least_latency_without_stats_is_config_order_by_priority() -> None:
    assert order(MIXED, "least_latency") == order(MIXED, "priority")


def test_latency_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\], got 0"):
        LatencyStats(alpha=0)
    with pytest.raises(ValueError, match="latency must be a non-negative number of seconds, got -1"):
        LatencyStats().observe("k", -1)


def test_unknown_strategy_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown balancing strategy 'fastest'"):
        order([A], "fastest")  # type: ignore[arg-type]


def test_config_deployments_are_balanceable() -> None:
    deployments = [
        Deployment(provider="openai", model="gpt-4o", priority=1),
        Deployment(provider="azure", model="gpt-4o", weight=3.0),
    ]
    assert [deployment_key(d) for d in order(deployments, "priority")] == ["azure/gpt-4o", "openai/gpt-4o"]


def test_split_available_keeps_order_and_asks_once_each() -> None:
    asked: list[str] = []

    def is_available(deployment: Dep) -> bool:
        asked.append(deployment.model)
        return deployment.model != "b"

    available, skipped = split_available([A, B, C, BACKUP], is_available)
    assert available == [A, C, BACKUP]
    assert skipped == [B]
    assert asked == ["a", "b", "c", "backup"]
