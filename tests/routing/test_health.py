"""Circuit breaker: opening at the threshold, cooldown, exactly one half-open probe, and its verdicts."""

from __future__ import annotations

import threading

import pytest

from routeapi.routing.health import CLOSED, CircuitBreaker, CircuitState, MemoryHealthBackend

from ._fakes import FakeClock

KEY = "openai/gpt-4o"


def opened(clock: FakeClock, *, probe_timeout: float | None = None) -> CircuitBreaker:
    """A breaker whose circuit for KEY opened at t=1000 and cools down until t=1030."""
    breaker = CircuitBreaker(failure_threshold=3, cooldown=30.0, probe_timeout=probe_timeout, clock=clock)
    for _ in range(3):
        breaker.record_failure(KEY)
    return breaker


def test_unknown_key_is_closed_and_available() -> None:
    breaker = CircuitBreaker(clock=FakeClock())
    assert breaker.state(KEY) == "closed"
    assert breaker.available(KEY) is True
    assert breaker.available(KEY) is True


def test_failures_below_threshold_keep_it_closed_and_a_success_resets_the_count() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=3, clock=clock)
    breaker.record_failure(KEY)
    breaker.record_failure(KEY)
    assert breaker.state(KEY) == "closed"
    assert breaker.backend.get(KEY) == CircuitState(failures=2)
    breaker.record_success(KEY)
    assert breaker.backend.get(KEY) == CLOSED
    breaker.record_failure(KEY)
    breaker.record_failure(KEY)
    assert breaker.state(KEY) == "closed"  # not consecutive with the first two


def test_threshold_opens_for_the_cooldown() -> None:
    clock = FakeClock()
    breaker = opened(clock)
    assert breaker.state(KEY) == "open"
    assert breaker.backend.get(KEY) == CircuitState(failures=3, open_until=1030.0)
    clock.advance(29.999)
    assert breaker.state(KEY) == "open"
    assert [breaker.available(KEY) for _ in range(5)] == [False] * 5
    assert breaker.available("anthropic/claude-sonnet-4-5") is True  # other deployments unaffected


def test_after_cooldown_exactly_one_caller_gets_the_probe() -> None:
    clock = FakeClock()
    breaker = opened(clock)
    clock.advance(30.0)
    assert breaker.state(KEY) == "half_open"
    assert [breaker.available(KEY) for _ in range(4)] == [True, False, False, False]
    assert breaker.state(KEY) == "half_open"


def test_exactly_one_of_50_concurrent_threads_gets_the_probe() -> None:
    clock = FakeClock()
    breaker = opened(clock)
    clock.advance(31.0)
    barrier = threading.Barrier(50)
    results: list[bool] = []
    results_lock = threading.Lock()

    def contend() -> None:
        barrier.wait()
        answer = breaker.available(KEY)
        with results_lock:
            results.append(answer)

    threads = [threading.Thread(target=contend) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 50
    assert results.count(True) == 1


def test_probe_success_closes_and_traffic_returns() -> None:
    clock = FakeClock()
    breaker = opened(clock)
    clock.advance(30.0)
    assert breaker.available(KEY) is True
    breaker.record_success(KEY)
    assert breaker.state(KEY) == "closed"
    assert breaker.backend.get(KEY) == CLOSED
    assert [breaker.available(KEY) for _ in range(3)] == [True, True, True]
    # A fresh count: it takes the full threshold again to open.
    breaker.record_failure(KEY)
    breaker.record_failure(KEY)
    assert breaker.state(KEY) == "closed"


def test_probe_failure_reopens_for_a_new_cooldown() -> None:
    clock = FakeClock()
    breaker = opened(clock)
    clock.advance(30.0)  # t = 1030
    assert breaker.available(KEY) is True
    clock.advance(2.0)  # the probe took 2 s to fail
    breaker.record_failure(KEY)
    assert breaker.state(KEY) == "open"
    assert breaker.backend.get(KEY) == CircuitState(failures=4, open_until=1062.0)
    clock.advance(29.9)
    assert breaker.available(KEY) is False
    clock.advance(0.1)
    assert [breaker.available(KEY) for _ in range(2)] == [True, False]


def test_retry_after_longer_than_cooldown_extends_the_opening() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=2, cooldown=30.0, clock=clock)
    breaker.record_failure(KEY, retry_after=5.0)
    breaker.record_failure(KEY, retry_after=90.0)
    assert breaker.backend.get(KEY).open_until == 1090.0
    clock.advance(89.0)
    assert breaker.available(KEY) is False
    clock.advance(1.0)
    assert breaker.available(KEY) is True


def test_retry_after_shorter_than_cooldown_keeps_the_cooldown() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, cooldown=30.0, clock=clock)
    breaker.record_failure(KEY, retry_after=2.0)
    assert breaker.backend.get(KEY).open_until == 1030.0


def test_failure_during_cooldown_only_extends_with_a_longer_retry_after() -> None:
    clock = FakeClock()
    breaker = opened(clock)  # open until 1030
    clock.advance(10.0)
    breaker.record_failure(KEY)  # a straggler sent before the circuit opened: no new cooldown
    assert breaker.backend.get(KEY).open_until == 1030.0
    breaker.record_failure(KEY, retry_after=5.0)  # ends before 1030
    assert breaker.backend.get(KEY).open_until == 1030.0
    breaker.record_failure(KEY, retry_after=60.0)
    assert breaker.backend.get(KEY).open_until == 1070.0


def test_probe_failure_with_retry_after_reopens_for_the_longer_wait() -> None:
    clock = FakeClock()
    breaker = opened(clock)
    clock.advance(30.0)
    assert breaker.available(KEY) is True
    breaker.record_failure(KEY, retry_after=45.0)
    assert breaker.backend.get(KEY) == CircuitState(failures=4, open_until=1075.0)


def test_release_probe_lets_the_next_caller_probe() -> None:
    clock = FakeClock()
    breaker = opened(clock)
    clock.advance(30.0)
    assert breaker.available(KEY) is True
    assert breaker.available(KEY) is False
    breaker.release_probe(KEY)  # the probe hit the caller's own 400: no verdict
    assert breaker.state(KEY) == "half_open"
    assert [breaker.available(KEY) for _ in range(3)] == [True, False, False]


def test_release_probe_on_a_closed_circuit_changes_nothing() -> None:
    breaker = CircuitBreaker(clock=FakeClock())
    breaker.record_failure(KEY)
    breaker.release_probe(KEY)
    assert breaker.backend.get(KEY) == CircuitState(failures=1)


def test_a_lost_probe_frees_the_slot_after_the_probe_timeout() -> None:
    clock = FakeClock()
    breaker = opened(clock, probe_timeout=10.0)
    clock.advance(30.0)
    assert breaker.available(KEY) is True  # ...and this caller never reports
    clock.advance(9.9)
    assert breaker.available(KEY) is False
    clock.advance(0.1)
    assert [breaker.available(KEY) for _ in range(2)] == [True, False]


def test_probe_timeout_defaults_to_the_cooldown_but_at_least_a_minute() -> None:
    assert CircuitBreaker(cooldown=300.0).probe_timeout == 300.0
    assert CircuitBreaker(cooldown=30.0).probe_timeout == 60.0
    clock = FakeClock()
    breaker = opened(clock)
    clock.advance(30.0)
    assert breaker.available(KEY) is True
    clock.advance(59.9)
    assert breaker.available(KEY) is False
    clock.advance(0.1)
    assert breaker.available(KEY) is True


def test_breakers_sharing_a_backend_share_the_probe_slot() -> None:
    clock = FakeClock()
    backend = MemoryHealthBackend()
    first = CircuitBreaker(backend, failure_threshold=1, cooldown=5.0, clock=clock)
    second = CircuitBreaker(backend, failure_threshold=1, cooldown=5.0, clock=clock)
    first.record_failure(KEY)
    assert second.state(KEY) == "open"
    clock.advance(5.0)
    assert [first.available(KEY), second.available(KEY)] == [True, False]
    second.record_success(KEY)
    assert first.state(KEY) == "closed"


def test_memory_backend_try_take_probe_is_a_compare_and_set() -> None:
    backend = MemoryHealthBackend()
    assert backend.try_take_probe(KEY, now=0.0, hold_until=10.0) is False  # closed: no probe to take
    backend.put(KEY, CircuitState(failures=3, open_until=5.0))
    assert backend.try_take_probe(KEY, now=4.0, hold_until=14.0) is False  # still cooling down
    assert backend.try_take_probe(KEY, now=5.0, hold_until=15.0) is True
    assert backend.get(KEY) == CircuitState(failures=3, open_until=5.0, probe_until=15.0)
    assert backend.try_take_probe(KEY, now=6.0, hold_until=16.0) is False
    backend.put(KEY, CLOSED)
    assert backend.get(KEY) == CLOSED


def test_zero_cooldown_goes_straight_to_half_open() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, cooldown=0.0, clock=clock)
    breaker.record_failure(KEY)
    assert breaker.state(KEY) == "half_open"
    assert [breaker.available(KEY), breaker.available(KEY)] == [True, False]


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="failure_threshold must be at least 1, got 0"):
        CircuitBreaker(failure_threshold=0)
    with pytest.raises(ValueError, match=r"cooldown must not be negative, got -1\.0"):
        CircuitBreaker(cooldown=-1.0)
    with pytest.raises(ValueError, match=r"probe_timeout must be positive, got 0\.0"):
        CircuitBreaker(probe_timeout=0.0)
