"""IR -> wire -> IR for every codec: generated requests (as if decoded from the codec's own protocol), responses
and stream event sequences come back equal on every field the codec models. ``codecs.py`` names the lossy fields
per codec and why."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routeapi import ir
from routeapi.ir.accumulate import Accumulator

from .codecs import CODECS, plain
from .strategies import FUZZ, events_of, requests, responses

NAMES = list(CODECS)

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_a_request_survives_its_own_protocol(name: str, data: st.DataObject) -> None:
    cut = CODECS[name]
    request = data.draw(requests(cut.profile, name))
    expected = cut.comparable(request)

    body, _ = cut.codec.encode_request(request, model="model-x")
    decoded = cut.decode_request(body)

    assert cut.comparable(decoded) == expected
    assert decoded.source == name


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_explicit_zeros_and_false_survive(name: str, data: st.DataObject) -> None:
    """Every setting the codec models, each at its zero value: none may turn into UNSET or vanish."""
    cut = CODECS[name]
    zeros: dict[str, Any] = {"max_tokens": 0, "temperature": 0.0, "top_p": 0.0, "top_k": 0, "seed": 0,
                             "presence_penalty": 0.0, "frequency_penalty": 0.0, "logprobs": False, "top_logprobs": 0,
                             "parallel_tool_calls": False, "reasoning_budget": 0}  # fmt: skip
    chosen = data.draw(st.lists(st.sampled_from(sorted(cut.profile.settings & zeros.keys())), min_size=1, unique=True))
    request = data.draw(requests(cut.profile, name))
    request.settings = ir.GenerationSettings(**{key: zeros[key] for key in chosen})
    if "max_tokens" in cut.profile.required_settings:
        request.settings.max_tokens = 0

    body, _ = cut.codec.encode_request(request, model="model-x")
    decoded = cut.decode_request(body)

    assert cut.comparable(decoded)["settings"] == cut.comparable(request)["settings"]


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_a_response_survives_its_own_protocol(name: str, data: st.DataObject) -> None:
    cut = CODECS[name]
    response = data.draw(responses(cut.profile))

    decoded = cut.codec.decode_response(cut.codec.encode_response(response))

    assert cut.comparable_response(decoded) == cut.comparable_response(response)


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_a_stream_survives_its_own_protocol(name: str, data: st.DataObject) -> None:
    """Events -> the protocol's stream payloads -> events again: the answer they add up to is the same."""
    cut = CODECS[name]
    response = data.draw(responses(cut.profile))
    encoder, decoder = cut.stream_encoder(), cut.stream_decoder()
    payloads = [payload for event in events_of(response) for payload in encoder.encode(event)]

    events = [event for item in cut.stream_items(payloads) for event in decoder.feed(item)]
    events += decoder.end()

    accumulator = Accumulator()
    for event in events:
        accumulator.add(event)
    assert cut.comparable_response(accumulator.response()) == cut.comparable_response(response)
    assert isinstance(events[0], ir.MessageStart)
    assert isinstance(events[-1], ir.StreamEnd)


def test_the_normalisers_see_provider_details_as_wire_detail() -> None:
    """``plain`` drops provider_details everywhere and keeps every other field, UNSET included."""
    request = ir.Request("m", [ir.Message("user", [ir.TextPart("hi", provider_details={"x": {"y": 1}})])])

    flat = plain(request)

    assert flat["messages"] == [{"role": "user", "parts": [{"text": "hi", "kind": "text"}], "name": None}]
    assert flat["tool_choice"] is ir.UNSET
    assert "provider_details" not in flat
