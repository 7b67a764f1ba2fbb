"""Deadline: the remaining budget, capping backoffs, and the Timeout once it is spent."""

from __future__ import annotations

import pytest

from routeapi.errors import Timeout
from routeapi.routing.deadline import Deadline

from ._fakes import FakeClock


def test_remaining_counts_down_from_creation_and_never_goes_negative() -> None:
    clock = FakeClock()
    deadline = Deadline(10.0, clock)
    assert deadline.remaining() == 10.0
    clock.advance(4.0)
    assert deadline.remaining() == 6.0
    assert deadline.expired() is False
    clock.advance(6.0)
    assert deadline.remaining() == 0.0
    assert deadline.expired() is True
    clock.advance(5.0)
    assert deadline.remaining() == 0.0


def test_cap_never_sleeps_past_the_deadline() -> None:
    clock = FakeClock()
    deadline = Deadline(5.0, clock)
    assert deadline.cap(2.0) == 2.0
    clock.advance(4.0)
    assert deadline.cap(2.0) == 1.0
    assert deadline.cap(0.5) == 0.5
    clock.advance(3.0)
    assert deadline.cap(2.0) == 0.0


def test_check_raises_timeout_once_expired() -> None:
    clock = FakeClock()
    deadline = Deadline(2.5, clock)
    deadline.check("before attempt 2")  # within budget: no error
    clock.advance(2.5)
    with pytest.raises(Timeout) as raised:
        deadline.check("before attempt 3 at openai/gpt-4o")
    assert str(raised.value) == "deadline of 2.5s exceeded before attempt 3 at openai/gpt-4o"
    assert raised.value.retryable is True


def test_no_deadline_never_caps_or_expires() -> None:
    clock = FakeClock()
    deadline = Deadline(None, clock)
    clock.advance(1e9)
    assert deadline.remaining() is None
    assert deadline.expired() is False
    assert deadline.cap(30.0) == 30.0
    deadline.check("before attempt 9")


def test_zero_deadline_is_expired_at_once() -> None:
    deadline = Deadline(0, FakeClock())
    assert deadline.expired() is True
    with pytest.raises(Timeout, match="deadline of 0s exceeded before attempt 1"):
        deadline.check("before attempt 1")


def test_negative_deadline_is_refused() -> None:
    with pytest.raises(ValueError, match="a deadline must not be negative, got -1"):
        Deadline(-1)
