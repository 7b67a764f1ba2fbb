"""Retries, fallbacks, health, balancing and stream guards, driven by the fake upstreams' fault scripts.

Every test runs against the sync and the async client (one shared table, see conftest.make_face). Timing bounds are
generous but real: nothing here is mocked.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from routeapi import errors, route_info
from routeapi.testing import FakeAnthropic, FakeOpenAI, Fault, Reply, ToolCall

from .conftest import Face

USER = [{"role": "user", "content": "Hi"}]
TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}]
FAST_RETRY = {"initial_backoff": 0.01, "max_backoff": 0.05}
CONTEXT_TOO_LONG = {
    "error": {
        "message": "This model's maximum context length is 128000 tokens.",
        "type": "invalid_request_error",
        "param": "messages",
        "code": "context_length_exceeded",
    }
}


def make(make_face: Any, fake: FakeOpenAI, *, models: dict[str, Any] | None = None, **sections: Any) -> Face:
    sections.setdefault("retry", {"max_attempts": 1, **FAST_RETRY})
    return make_face(
        providers={"up": {"type": "openai", "base_url": fake.base_url, "api_key": "k"}},
        models=models or {},
        **sections,
    )


def starts(fake: FakeOpenAI, model: str) -> list[float]:
    return [r.started for r in fake.requests if r.model == model]


async def test_rate_limit_retry_after_is_honoured(make_face: Any, fake_openai: FakeOpenAI) -> None:
    face = make(make_face, fake_openai, retry={"max_attempts": 2, **FAST_RETRY})
    fake_openai.script("m", Fault.status(429, "slow down", headers={"Retry-After": "2"}), Reply("ok"))
    try:
        completion = await face.chat(model="up/m", messages=USER)
    finally:
        await face.aclose()

    assert completion.choices[0].message.content == "ok"
    first, second = starts(fake_openai, "m")
    assert second - first >= 1.9


async def test_persistent_rate_limit_is_never_hammered(make_face: Any, fake_openai: FakeOpenAI) -> None:
    face = make(make_face, fake_openai, retry={"max_attempts": 4, **FAST_RETRY})
    fake_openai.script("m", Fault.status(429, "slow down"))
    try:
        with pytest.raises(errors.RateLimited):
            await face.chat(model="up/m", messages=USER)
    finally:
        await face.aclose()

    times = starts(fake_openai, "m")
    assert len(times) == 4  # the configured attempts, no more
    assert sum(1 for t in times if t - times[0] < 1.0) <= 2  # never more than 2 in any first second
    assert all(b - a >= 0.99 for a, b in zip(times, times[2:], strict=False))  # nor in any later one


async def test_server_error_once_then_ok_succeeds_on_the_same_target(make_face: Any, fake_openai: FakeOpenAI) -> None:
    face = make(
        make_face,
        fake_openai,
        models={"chat": {"deployments": ["up/primary"], "fallbacks": ["up/backup"]}},
        retry={"max_attempts": 3, **FAST_RETRY},
    )
    fake_openai.script("primary", Fault.status(500, "hiccup"), Reply("from primary"))
    try:
        completion = await face.chat(model="chat", messages=USER)
    finally:
        await face.aclose()

    assert completion.choices[0].message.content == "from primary"
    assert [r.model for r in fake_openai.requests] == ["primary", "primary"]


async def test_unavailable_forever_falls_back(make_face: Any, fake_openai: FakeOpenAI) -> None:
    face = make(
        make_face,
        fake_openai,
        models={"chat": {"deployments": ["up/primary"], "fallbacks": ["up/backup"]}},
        retry={"max_attempts": 2, **FAST_RETRY},
    )
    fake_openai.script("primary", Fault.status(503, "down"))
    fake_openai.script("backup", Reply("from backup"))
    try:
        completion = await face.chat(model="chat", messages=USER)
    finally:
        await face.aclose()

    assert completion.choices[0].message.content == "from backup"
    info = route_info(completion)
    assert info is not None
    assert [type(a.error) for a in info.failed_attempts] == [errors.Overloaded, errors.Overloaded]


async def test_reset_before_headers_is_retried(make_face: Any, fake_openai: FakeOpenAI) -> None:
    face = make(make_face, fake_openai, retry={"max_attempts": 2, **FAST_RETRY})
    fake_openai.script("m", Fault.reset(), Reply("after the reset"))
    try:
        completion = await face.chat(model="up/m", messages=USER)
    finally:
        await face.aclose()

    assert completion.choices[0].message.content == "after the reset"
    assert len(starts(fake_openai, "m")) == 2


async def test_silent_upstream_times_out_within_budget_and_moves_on(make_face: Any, fake_openai: FakeOpenAI) -> None:
    face = make(
        make_face,
        fake_openai,
        models={"chat": {"deployments": ["up/silent"], "fallbacks": ["up/backup"]}},
        timeouts={"request": 1.0},
    )
    fake_openai.script("silent", Fault.delay(30, then=Reply("too late")))
    fake_openai.script("backup", Reply("from backup"))
    started = time.monotonic()
    try:
        completion = await face.chat(model="chat", messages=USER)
    finally:
        await face.aclose()

    assert completion.choices[0].message.content == "from backup"
    assert time.monotonic() - started < 3.0


@pytest.mark.parametrize("where", ["config", "call"])
async def test_no_first_token_in_time_moves_on(make_face: Any, fake_openai: FakeOpenAI, where: str) -> None:
    config: dict[str, Any] = {"deployments": ["up/slow"], "fallbacks": ["up/backup"]}
    if where == "config":
        config["first_token_timeout"] = 1.0
    face = make(make_face, fake_openai, models={"chat": config})
    fake_openai.script("slow", Fault.stall(after_events=1, then=Reply("never arrives")))  # role chunk, then silence
    fake_openai.script("backup", Reply("from backup"))
    per_call = {"first_token_timeout": 1.0} if where == "call" else {}
    started = time.monotonic()
    try:
        chunks = await face.chat_stream(model="chat", messages=USER, **per_call)
    finally:
        await face.aclose()

    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "from backup"
    assert time.monotonic() - started < 3.0
    assert fake_openai.wait_for_disconnect(0, 1.0)  # the silent stream was closed, not left open


async def test_cut_stream_raises_stream_interrupted_with_the_partial_answer(
    make_face: Any, fake_openai: FakeOpenAI
) -> None:
    face = make(make_face, fake_openai)
    fake_openai.script("m", Fault.cut(after_events=4, then=Reply("abcdefghijklmnop", chunk_size=4)))
    try:
        with pytest.raises(errors.StreamInterrupted) as caught:
            await face.chat_stream(model="up/m", messages=USER)
    finally:
        await face.aclose()

    partial = caught.value.partial
    assert partial is not None
    assert partial.message.text == "abcdefghijkl"  # role chunk + three text chunks arrived


async def test_an_interrupted_stream_reports_the_usage_it_had(make_face: Any, fake_anthropic: FakeAnthropic) -> None:
    face = make_face(providers={"claude": {"type": "anthropic", "base_url": fake_anthropic.base_url, "api_key": "k"}})
    fake_anthropic.script("m", Fault.cut(after_events=4, then=Reply("abcdefghijklmnop", input_tokens=42)))
    try:
        with pytest.raises(errors.StreamInterrupted):
            await face.messages_stream(model="claude/m", max_tokens=50, messages=USER)
    finally:
        await face.aclose()

    assert face.route is not None
    assert face.route.usage is not None
    assert face.route.usage.input_tokens == 42  # from message_start, before the break


async def test_stalled_stream_after_content_raises_within_the_idle_timeout(
    make_face: Any, fake_openai: FakeOpenAI
) -> None:
    face = make(make_face, fake_openai, timeouts={"stream_idle": 1.0})
    fake_openai.script("m", Fault.stall(after_events=3, then=Reply("abcdefghijklmnop", chunk_size=4)))
    started = time.monotonic()
    try:
        with pytest.raises(errors.StreamInterrupted, match="stalled") as caught:
            await face.chat_stream(model="up/m", messages=USER)
    finally:
        await face.aclose()

    assert time.monotonic() - started < 3.0
    assert caught.value.partial is not None
    assert caught.value.partial.message.text == "abcdefgh"


async def test_context_length_goes_to_a_larger_model_without_retrying(make_face: Any, fake_openai: FakeOpenAI) -> None:
    face = make(
        make_face,
        fake_openai,
        models={"chat": {"deployments": ["up/gpt-4o"], "fallbacks": ["up/gpt-4o-mini", "up/gpt-4.1"]}},
        retry={"max_attempts": 3, **FAST_RETRY},
    )
    fake_openai.script("gpt-4o", Fault.status(400, body=CONTEXT_TOO_LONG))
    fake_openai.script("gpt-4.1", Reply("from the larger model"))
    try:
        completion = await face.chat(model="chat", messages=USER)
    finally:
        await face.aclose()

    assert completion.choices[0].message.content == "from the larger model"
    assert [r.model for r in fake_openai.requests] == ["gpt-4o", "gpt-4.1"]  # gpt-4o-mini: same window, skipped


async def test_context_length_without_a_larger_model_is_a_clean_error(make_face: Any, fake_openai: FakeOpenAI) -> None:
    face = make(
        make_face, fake_openai, models={"chat": {"deployments": ["up/gpt-4o"], "fallbacks": ["up/gpt-4o-mini"]}}
    )
    fake_openai.script("gpt-4o", Fault.status(400, body=CONTEXT_TOO_LONG))
    try:
        with pytest.raises(errors.ContextLengthExceeded):
            await face.chat(model="chat", messages=USER)
    finally:
        await face.aclose()

    assert [r.model for r in fake_openai.requests] == ["gpt-4o"]


async def test_content_filter_is_neither_retried_nor_sent_elsewhere(make_face: Any, fake_openai: FakeOpenAI) -> None:
    face = make(
        make_face,
        fake_openai,
        models={"chat": {"deployments": ["up/primary"], "fallbacks": ["up/backup"]}},
        retry={"max_attempts": 3, **FAST_RETRY},
    )
    fake_openai.script("primary", Fault.blocked("violence"))
    try:
        with pytest.raises(errors.ContentFiltered) as caught:
            await face.chat(model="chat", messages=USER)
    finally:
        await face.aclose()

    assert caught.value.status_code == 400
    assert [r.model for r in fake_openai.requests] == ["primary"]


async def test_the_most_relevant_error_explains_a_total_failure(make_face: Any, fake_openai: FakeOpenAI) -> None:
    face = make(make_face, fake_openai, models={"chat": {"deployments": ["up/a"], "fallbacks": ["up/b"]}})
    fake_openai.script("a", Fault.status(429, "quota"))
    fake_openai.script("b", Fault.status(500, "later unrelated outage"))
    try:
        with pytest.raises(errors.AllAttemptsFailed) as caught:
            await face.chat(model="chat", messages=USER)
    finally:
        await face.aclose()

    assert [(a.model, type(a.error)) for a in caught.value.attempts] == [
        ("a", errors.RateLimited),
        ("b", errors.ServerError),
    ]
    assert isinstance(caught.value.__cause__, errors.RateLimited)


async def test_deadline_bounds_the_whole_call(make_face: Any, fake_openai: FakeOpenAI) -> None:
    face = make(make_face, fake_openai, retry={"max_attempts": 10, "initial_backoff": 0.5, "max_backoff": 0.5})
    fake_openai.script("m", Fault.status(503, "down"))
    started = time.monotonic()
    try:
        with pytest.raises((errors.Timeout, errors.Overloaded)):
            await face.chat(model="up/m", messages=USER, deadline=1.5)
    finally:
        await face.aclose()

    assert time.monotonic() - started < 2.5
    assert len(fake_openai.requests) < 10


async def test_flapping_primary_is_bypassed_then_used_again_with_one_probe(
    make_face: Any, fake_openai: FakeOpenAI
) -> None:
    face = make(
        make_face,
        fake_openai,
        models={"chat": {"deployments": ["up/primary"], "fallbacks": ["up/backup"]}},
        routing={"failure_threshold": 1, "cooldown_seconds": 1.0},
    )
    back = Reply("primary is back")
    fake_openai.script(
        "primary", Fault.status(503, "down"), Fault.status(503, "still down"), Fault.delay(0.5, then=back), back
    )
    fake_openai.script("backup", Reply("from backup"))

    async def served() -> str:
        completion = await face.chat(model="chat", messages=USER)
        return completion.choices[0].message.content or ""

    def primary_calls() -> int:
        return len(starts(fake_openai, "primary"))

    try:
        assert await served() == "from backup"  # primary failed once: circuit opens
        assert (await served(), primary_calls()) == ("from backup", 1)  # skipped while cooling down
        await asyncio.sleep(1.1)
        assert (await served(), primary_calls()) == ("from backup", 2)  # one probe, failed: open again
        assert (await served(), primary_calls()) == ("from backup", 2)
        await asyncio.sleep(1.1)
        answers = await asyncio.gather(*(served() for _ in range(5)))  # five at once; the probe takes 0.5 s
        assert primary_calls() == 3  # exactly one probe among them, the others went to the backup
        assert sorted(answers).count("primary is back") == 1
        assert await served() == "primary is back"  # closed again: the primary serves
    finally:
        await face.aclose()


async def test_round_robin_alternates_deployments(make_face: Any, fake_openai: FakeOpenAI) -> None:
    face = make(
        make_face,
        fake_openai,
        models={"chat": {"deployments": ["up/a", "up/b"]}},
        routing={"strategy": "round_robin"},
    )
    try:
        for _ in range(4):
            await face.chat(model="chat", messages=USER)
    finally:
        await face.aclose()

    assert [r.model for r in fake_openai.requests] == ["a", "b", "a", "b"]


async def test_least_latency_prefers_the_faster_deployment(make_face: Any, fake_openai: FakeOpenAI) -> None:
    face = make(
        make_face,
        fake_openai,
        models={"chat": {"deployments": ["up/slow", "up/fast"]}},
        routing={"strategy": "least_latency"},
    )
    fake_openai.script("slow", Fault.delay(0.3, then=Reply("slow")))
    fake_openai.script("fast", Reply("fast"))
    try:
        answers = [(await face.chat(model="chat", messages=USER)).choices[0].message.content for _ in range(4)]
    finally:
        await face.aclose()

    assert answers == ["slow", "fast", "fast", "fast"]  # both measured once, then the faster one wins


# -- continuing a broken stream (on_interrupt="continue") ------------------------------------------------------------
CUT_AT_TWELVE = Fault.cut(after_events=4, then=Reply("abcdefghijklmnop", chunk_size=4))  # "abcdefghijkl" arrives


def text_of(chunks: list[Any]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def continuing(make_face: Any, fake: FakeOpenAI, anthropic: FakeAnthropic, *fallbacks: str, **model: Any) -> Face:
    return make_face(
        providers={
            "up": {"type": "openai", "base_url": fake.base_url, "api_key": "k"},
            "claude": {"type": "anthropic", "base_url": anthropic.base_url, "api_key": "k"},
        },
        models={"chat": {"deployments": ["up/m"], "fallbacks": list(fallbacks), **model}},
        retry={"max_attempts": 1, **FAST_RETRY},
    )


async def test_a_broken_stream_continues_as_a_prefix_where_the_next_target_takes_one(
    make_face: Any, fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic
) -> None:
    face = continuing(make_face, fake_openai, fake_anthropic, "claude/claude-sonnet-4-5", on_interrupt="continue")
    fake_openai.script("m", CUT_AT_TWELVE)
    fake_anthropic.script("claude-sonnet-4-5", Reply("mnop and more", chunk_size=5))
    try:
        chunks = await face.chat_stream(model="chat", messages=USER)
    finally:
        await face.aclose()

    assert text_of(chunks) == "abcdefghijklmnop and more"  # one answer: what was delivered, then its continuation
    sent = fake_anthropic.requests[0].param("messages")
    assert sent[-1] == {"role": "assistant", "content": [{"type": "text", "text": "abcdefghijkl"}]}
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    assert len({c.id for c in chunks}) == 1  # one completion, as the SDK's stream helper expects
    route = face.route
    assert route is not None
    assert [(c.broken, c.served, c.mode, c.offset) for c in route.continuations] == [
        ("up/m", "claude/claude-sonnet-4-5", "prefix", 12)
    ]
    assert (route.provider, route.model) == ("claude", "claude-sonnet-4-5")


async def test_a_broken_stream_restarts_where_the_next_target_takes_no_prefix(
    make_face: Any, fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic
) -> None:
    face = continuing(make_face, fake_openai, fake_anthropic, "up/backup")
    fake_openai.script("m", CUT_AT_TWELVE)
    fake_openai.script("backup", Reply("a fresh answer"))
    try:
        chunks = await face.chat_stream(model="chat", messages=USER, on_interrupt="continue")  # per call
    finally:
        await face.aclose()

    assert text_of(chunks) == "abcdefghijkl" + "a fresh answer"
    assert fake_openai.requests[1].param("messages") == USER  # the original request: nothing to refuse
    assert face.route is not None
    assert [(c.mode, c.offset) for c in face.route.continuations] == [("restart", 12)]


async def test_a_refused_prefill_restarts_instead_of_reaching_the_caller(
    make_face: Any, fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic
) -> None:
    face = continuing(make_face, fake_openai, fake_anthropic, "claude/claude-sonnet-4-5", on_interrupt="continue")
    fake_openai.script("m", CUT_AT_TWELVE)
    refusal = "This model does not support assistant message prefill. The conversation must end with a user message."
    fake_anthropic.script("claude-sonnet-4-5", Fault.status(400, refusal), Reply("a fresh answer"))
    try:
        chunks = await face.chat_stream(model="chat", messages=USER)
    finally:
        await face.aclose()

    assert text_of(chunks) == "abcdefghijkl" + "a fresh answer"
    prefilled, restarted = (r.param("messages") for r in fake_anthropic.requests)
    assert prefilled[-1]["role"] == "assistant"
    assert restarted == [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]
    assert face.route is not None
    assert [c.mode for c in face.route.continuations] == ["restart"]


async def test_a_continuation_that_fails_leaves_the_caller_the_original_interruption(
    make_face: Any, fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic
) -> None:
    face = continuing(make_face, fake_openai, fake_anthropic, "up/backup", on_interrupt="continue")
    fake_openai.script("m", CUT_AT_TWELVE)
    fake_openai.script("backup", Fault.status(503, "down"))
    try:
        with pytest.raises(errors.StreamInterrupted) as caught:
            await face.chat_stream(model="chat", messages=USER)
    finally:
        await face.aclose()

    assert caught.value.partial is not None
    assert caught.value.partial.message.text == "abcdefghijkl"
    assert caught.value.model == "m"  # the break the caller saw, not the continuation's 503
    assert [r.model for r in fake_openai.requests] == ["m", "backup"]


async def test_without_continue_a_broken_stream_is_not_carried_on(
    make_face: Any, fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic
) -> None:
    face = continuing(make_face, fake_openai, fake_anthropic, "up/backup")
    fake_openai.script("m", CUT_AT_TWELVE)
    try:
        with pytest.raises(errors.StreamInterrupted):
            await face.chat_stream(model="chat", messages=USER)
    finally:
        await face.aclose()

    assert [r.model for r in fake_openai.requests] == ["m"]


# -- hedging (hedge_after) ------------------------------------------------------------------------------------------
SILENT = Fault.stall(after_events=1, then=Reply("never arrives"))  # headers and the role chunk, then silence


def hedged(make_face: Any, fake: FakeOpenAI, **model: Any) -> Face:
    # The first-token timeout (far above hedge_after) only bounds a test whose hedge never starts.
    chat = {"deployments": ["up/first"], "fallbacks": ["up/second"], "first_token_timeout": 3.0, **model}
    return make(make_face, fake, models={"chat": chat})


async def test_a_hedge_starts_the_next_target_and_keeps_the_one_that_streams_first(
    make_face: Any, fake_openai: FakeOpenAI
) -> None:
    face = hedged(make_face, fake_openai, hedge_after=0.3)
    fake_openai.script("first", SILENT)
    fake_openai.script("second", Reply("from second"))
    started = time.monotonic()
    try:
        chunks = await face.chat_stream(model="chat", messages=USER)
    finally:
        await face.aclose()

    assert text_of(chunks) == "from second"
    assert time.monotonic() - started < 2.0
    first, second = sorted(fake_openai.requests, key=lambda r: r.model != "first")
    assert second.started - started >= 0.25  # only once hedge_after had passed without a first token
    assert first.wait_finished(1.0)
    assert first.client_disconnected  # the silent first stream was cancelled
    assert face.route is not None
    assert face.route.hedged
    assert (face.route.model, face.route.failed_attempts) == ("second", [])


async def test_the_first_target_still_wins_when_it_streams_first_after_the_hedge_started(
    make_face: Any, fake_openai: FakeOpenAI
) -> None:
    face = hedged(make_face, fake_openai)
    fake_openai.script("first", Fault.delay(0.6, Reply("from first")))
    fake_openai.script("second", SILENT)
    try:
        chunks = await face.chat_stream(model="chat", messages=USER, hedge_after=0.2)  # per call
    finally:
        await face.aclose()

    assert text_of(chunks) == "from first"
    (second,) = (r for r in fake_openai.requests if r.model == "second")
    assert second.wait_finished(1.0)
    assert second.client_disconnected  # the hedge, silent, was cancelled
    assert face.route is not None
    assert (face.route.hedged, face.route.model) == (True, "first")


async def test_no_hedge_when_the_first_target_answers_in_time(make_face: Any, fake_openai: FakeOpenAI) -> None:
    face = hedged(make_face, fake_openai, hedge_after=1.0)
    fake_openai.script("first", Reply("from first"))
    try:
        chunks = await face.chat_stream(model="chat", messages=USER)
    finally:
        await face.aclose()

    assert text_of(chunks) == "from first"
    assert [r.model for r in fake_openai.requests] == ["first"]
    assert face.route is not None
    assert not face.route.hedged


async def test_a_hedge_whose_sides_both_fail_reports_every_attempt(make_face: Any, fake_openai: FakeOpenAI) -> None:
    face = hedged(make_face, fake_openai, hedge_after=0.2)
    fake_openai.script("first", Fault.delay(0.5, Fault.status(503, "first down")))
    fake_openai.script("second", Fault.status(503, "second down"))
    try:
        with pytest.raises(errors.AllAttemptsFailed) as caught:
            await face.chat_stream(model="chat", messages=USER)
    finally:
        await face.aclose()

    assert sorted(a.model for a in caught.value.attempts) == ["first", "second"]


async def test_a_broken_tool_call_is_not_carried_on(
    make_face: Any, fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic
) -> None:
    # Half a tool call cannot be continued as text, nor restarted without leaving the caller a broken call.
    face = continuing(make_face, fake_openai, fake_anthropic, "up/backup", on_interrupt="continue")
    call = ToolCall("get_weather", {"city": "Paris, France"}, id="call_1")
    fake_openai.script("m", Fault.cut(after_events=3, then=Reply(tool_calls=[call], chunk_size=4)))
    try:
        with pytest.raises(errors.StreamInterrupted):
            await face.chat_stream(model="chat", messages=USER, tools=TOOLS)
    finally:
        await face.aclose()

    assert [r.model for r in fake_openai.requests] == ["m"]  # the backup was never asked


async def test_a_broken_answer_with_reasoning_is_not_carried_on(
    make_face: Any, fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic
) -> None:
    face = make_face(
        providers={"claude": {"type": "anthropic", "base_url": fake_anthropic.base_url, "api_key": "k"}},
        models={"chat": {"deployments": ["claude/m"], "fallbacks": ["claude/backup"], "on_interrupt": "continue"}},
    )
    reply = Reply("the answer", thinking="let me think", thinking_signature="sig", chunk_size=4)
    fake_anthropic.script("m", Fault.cut(after_events=8, then=reply))  # thinking, then the answer's first text
    try:
        with pytest.raises(errors.StreamInterrupted):
            await face.messages_stream(model="chat", max_tokens=50, messages=USER)
    finally:
        await face.aclose()

    assert [r.model for r in fake_anthropic.requests] == ["m"]
