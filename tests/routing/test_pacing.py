"""Attempt pacing (a sliding window of starts per deployment) and Retry-After parsing."""

from __future__ import annotations

import threading
from email.utils import formatdate

import pytest

from routeapi.routing.pacing import AttemptPacer, retry_after_seconds

from ._fakes import FakeClock

KEY = "openai/gpt-4o"


def run_back_to_back(pacer: AttemptPacer, clock: FakeClock, attempts: int) -> tuple[list[float], list[float]]:
    """Each attempt waits what the pacer says, then starts and fails at once. Returns (delays, start times)."""
    delays: list[float] = []
    starts: list[float] = []
    for _ in range(attempts):
        delay = pacer.delay_before(KEY)
        delays.append(delay)
        clock.advance(delay)
        pacer.started(KEY)
        starts.append(clock.now)
    return delays, starts


def test_five_back_to_back_attempts_start_at_most_two_per_second() -> None:
    clock = FakeClock(start=0.0)
    pacer = AttemptPacer(clock=clock)
    delays, starts = run_back_to_back(pacer, clock, 5)
    assert delays == [0.0, 0.0, 1.0, 0.0, 1.0]
    assert starts == [0.0, 0.0, 1.0, 1.0, 2.0]


def test_no_window_ever_holds_more_than_max_attempts() -> None:
    clock = FakeClock(start=0.0)
    pacer = AttemptPacer(max_attempts=3, window=2.0, clock=clock)
    starts: list[float] = []
    for gap in [0.0, 0.3, 0.1, 0.0, 1.5, 0.2, 0.0, 0.7, 0.0, 0.0]:
        clock.advance(gap)
        clock.advance(pacer.delay_before(KEY))
        pacer.started(KEY)
        starts.append(clock.now)
    for start in starts:
        assert sum(1 for s in starts if start <= s < start + 2.0) <= 3
    assert [round(s, 9) for s in starts] == [0.0, 0.3, 0.4, 2.0, 3.5, 3.7, 4.0, 5.5, 5.7, 6.0]


def test_spaced_attempts_never_wait() -> None:
    clock = FakeClock(start=0.0)
    pacer = AttemptPacer(clock=clock)
    for _ in range(5):
        assert pacer.delay_before(KEY) == 0.0
        pacer.started(KEY)
        clock.advance(0.5)


def test_partial_wait_counts_the_time_already_passed() -> None:
    clock = FakeClock(start=0.0)
    pacer = AttemptPacer(clock=clock)
    pacer.started(KEY)
    clock.advance(0.25)
    pacer.started(KEY)
    clock.advance(0.5)
    assert pacer.delay_before(KEY) == 0.25  # the start at 0.0 leaves the window at 1.0
    assert pacer.delay_before("anthropic/claude") == 0.0  # per deployment


def test_reserve_gives_concurrent_callers_distinct_slots() -> None:
    clock = FakeClock(start=0.0)
    pacer = AttemptPacer(clock=clock)
    assert [pacer.reserve(KEY) for _ in range(5)] == [0.0, 0.0, 1.0, 1.0, 2.0]
    clock.advance(1.5)
    # Booked: 1.0, 1.0, 2.0. The window from 2.0 has room for one more; the one after goes to 3.0.
    assert [pacer.reserve(KEY), pacer.reserve(KEY)] == [0.5, 1.5]


def test_reserve_from_many_threads_books_each_slot_once() -> None:
    pacer = AttemptPacer(clock=FakeClock(start=0.0))
    barrier = threading.Barrier(10)
    delays: list[float] = []
    lock = threading.Lock()

    def book() -> None:
        barrier.wait()
        delay = pacer.reserve(KEY)
        with lock:
            delays.append(delay)

    threads = [threading.Thread(target=book) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(delays) == [0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0]


def test_pacer_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="max_attempts must be at least 1, got 0"):
        AttemptPacer(max_attempts=0)
    with pytest.raises(ValueError, match="window must be positive, got 0"):
        AttemptPacer(window=0)


NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"Retry-After": "0"}, 0.0),
        ({"RETRY-AFTER": " 1.5 "}, 1.5),
        ({"retry-after-ms": "250"}, 0.25),
        ({"Retry-After-Ms": "1500.5"}, 1.5005),
        ({"retry-after-ms": "250", "retry-after": "30"}, 0.25),  # milliseconds win
        ({"retry-after-ms": "soon", "retry-after": "30"}, 30.0),  # ...when readable
        ({}, None),
        ({"x-ratelimit-reset": "3"}, None),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "-3"}, None),
        ({"retry-after": "inf"}, None),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "1_0"}, None),
        ({"retry-after": ""}, None),
        ({"retry-after-ms": "-5"}, None),
    ],
)
def test_retry_after_values(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_seconds(headers, now=NOW) == expected


def test_retry_after_http_date() -> None:
    assert retry_after_seconds({"Retry-After": formatdate(NOW + 120, usegmt=True)}, now=NOW) == 120.0
    assert retry_after_seconds({"retry-after": "Tue, 14 Nov 2023 22:13:27 GMT"}, now=NOW) == 7.0


def test_retry_after_http_date_in_the_past_is_zero() -> None:
    assert retry_after_seconds({"retry-after": formatdate(NOW - 60, usegmt=True)}, now=NOW) == 0.0


def test_retry_after_http_date_with_minus_zero_zone_is_utc() -> None:
    assert retry_after_seconds({"retry-after": "Tue, 14 Nov 2023 22:13:27 -0000"}, now=NOW) == 7.0


def test_retry_after_http_date_defaults_to_the_wall_clock() -> None:
    wait = retry_after_seconds({"retry-after": "Fri, 31 Dec 9999 23:59:59 GMT"})
    assert wait is not None
    assert wait > 200_000_000_000


@pytest.mark.parametrize("value", ["Tue, 99 Nov 2023 22:13:27 GMT", "Tuesday", "Tue, 14 Nov", "   "])
def test_retry_after_garbage_dates_are_none(value: str) -> None:
    assert retry_after_seconds({"retry-after": value}, now=NOW) is None
