"""Circuit-breaker state in Redis: replicas share one circuit per deployment and one probe among them."""

from __future__ import annotations

import threading
import time

from routeapi.routing.health import CircuitBreaker
from routeapi.server.health_redis import RedisHealthBackend


def breaker(redis_url: str) -> CircuitBreaker:
    # Two breakers on one Redis stand for two gateway replicas.
    return CircuitBreaker(RedisHealthBackend(redis_url), failure_threshold=2, cooldown=0.5, clock=time.time)


def test_a_circuit_opened_by_one_replica_is_open_for_the_other(redis_url: str) -> None:
    one, other = breaker(redis_url), breaker(redis_url)
    key = f"openai/gpt-4o-{time.time_ns()}"

    one.record_failure(key)
    other.record_failure(key)

    assert (one.state(key), other.state(key)) == ("open", "open")
    assert not other.available(key)
    one.record_success(key)
    assert other.state(key) == "closed"


def test_exactly_one_probe_among_replicas_after_the_cooldown(redis_url: str) -> None:
    replicas = [breaker(redis_url) for _ in range(8)]
    key = f"anthropic/claude-{time.time_ns()}"
    replicas[0].record_failure(key)
    replicas[1].record_failure(key)
    time.sleep(0.6)
    start = threading.Barrier(len(replicas))
    answers: list[bool] = []

    def ask(replica: CircuitBreaker) -> None:
        start.wait()
        answers.append(replica.available(key))

    threads = [threading.Thread(target=ask, args=(r,)) for r in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers) == [False] * 7 + [True]
