"""Malformed input never crashes a codec: arbitrary JSON, junk keyed by the codec's own field names, and valid
payloads with parts replaced, fed to every decode_request, decode_response and stream decoder. Only RouteError
subclasses may escape (ProtocolError for bad payloads, ProviderError for error events, StreamInterrupted at the
end), and every call returns quickly."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from routeapi.errors import RouteError
from routeapi.protocols.sse import SSEDecoder

from .codecs import CODECS, CodecUnderTest
from .mutation import keyed_junk, mutated, vocabulary
from .strategies import FUZZ, events_of, json_values, requests, responses, sse_bytes

CALL_LIMIT = 2.0  # seconds; generous for a loaded CI machine, far below "hangs"
NAMES = list(CODECS)

pytestmark = pytest.mark.timeout(120)


def survives(call: Callable[[], object]) -> RouteError | None:
    """Runs ``call``: it returns, or raises a RouteError (returned here), within CALL_LIMIT seconds."""
    started = time.monotonic()
    try:
        call()
    except RouteError as error:
        return error
    finally:
        assert time.monotonic() - started < CALL_LIMIT
    return None


def junk_for(cut: CodecUnderTest) -> st.SearchStrategy[Any]:
    return keyed_junk(vocabulary(sys.modules[type(cut.codec).__module__]))


def request_bodies(cut: CodecUnderTest) -> st.SearchStrategy[Any]:
    """Valid bodies of this protocol (encoded from generated IR), mutated."""
    junk = junk_for(cut)
    valid = requests(cut.profile, cut.name).map(lambda r: cut.codec.encode_request(r, model="model-x")[0])
    return valid.flatmap(lambda body: mutated(body, junk))


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_decode_request_takes_any_object(name: str, data: st.DataObject) -> None:
    cut = CODECS[name]
    body = data.draw(st.one_of(st.dictionaries(st.text(max_size=8), json_values, max_size=4), junk_for(cut)))
    if isinstance(body, dict):
        survives(lambda: cut.decode_request(body))  # pyright: ignore[reportUnknownArgumentType]


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_decode_request_takes_a_damaged_valid_body(name: str, data: st.DataObject) -> None:
    cut = CODECS[name]
    body = data.draw(request_bodies(cut))
    if isinstance(body, dict):
        survives(lambda: cut.decode_request(body))  # pyright: ignore[reportUnknownArgumentType]


@pytest.mark.parametrize("name", NAMES)
def test_decode_response_refuses_a_payload_that_is_not_an_object(name: str) -> None:
    cut = CODECS[name]
    for payload in (None, [1], "text", 3):
        assert isinstance(survives(lambda payload=payload: cut.codec.decode_response(payload)), RouteError)


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_decode_response_takes_any_object(name: str, data: st.DataObject) -> None:
    cut = CODECS[name]
    valid = data.draw(responses(cut.profile).map(cut.codec.encode_response))
    payload = data.draw(
        st.one_of(st.dictionaries(st.text(max_size=8), json_values), junk_for(cut), mutated(valid, junk_for(cut)))
    )
    assume(not known_bug(name, payload))
    if isinstance(payload, dict):
        survives(lambda: cut.codec.decode_response(payload))  # pyright: ignore[reportUnknownArgumentType]


def known_bug(name: str, payload: Any) -> bool:
    """Inputs of a bug already pinned in test_found_bugs.py: left out here, so the fuzz finds new ones. Remove
    with the fix."""
    if name != "openai_responses" or not isinstance(payload, dict):
        return False
    output = payload.get("output")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
    items = output if isinstance(output, list) else []  # pyright: ignore[reportUnknownVariableType]
    return any(isinstance(i, dict) and isinstance(i.get("type"), (list, dict)) for i in items)  # pyright: ignore


def feed_all(cut: CodecUnderTest, items: list[Any]) -> None:
    """Feeds ``items`` until the decoder raises (an adapter stops there too), then ends the stream."""
    decoder = cut.stream_decoder()
    for item in items:
        if survives(lambda item=item: decoder.feed(item)) is not None:
            return
    survives(decoder.end)


@pytest.mark.parametrize("name", [n for n in NAMES if CODECS[n].sse])
@FUZZ
@given(data=st.data())
def test_stream_decoders_take_any_sse_bytes(name: str, data: st.DataObject) -> None:
    cut = CODECS[name]
    words = [w for w in vocabulary(sys.modules[type(cut.codec).__module__]) if "_" in w or "." in w]
    chunks = data.draw(sse_bytes(words or ["message"]))
    sse = SSEDecoder()
    feed_all(cut, [event for chunk in chunks for event in sse.feed(chunk)])


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_stream_decoders_take_any_json_items(name: str, data: st.DataObject) -> None:
    cut = CODECS[name]
    items = data.draw(st.lists(st.one_of(json_values, junk_for(cut)), max_size=6))
    feed_all(cut, cut.stream_items(items))


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_stream_decoders_take_a_damaged_valid_stream(name: str, data: st.DataObject) -> None:
    cut = CODECS[name]
    encoder = cut.stream_encoder()
    payloads = [p for event in events_of(data.draw(responses(cut.profile))) for p in encoder.encode(event)]
    damage = data.draw(st.sampled_from(["mutate", "drop", "repeat", "truncate"]))
    position = data.draw(st.integers(0, len(payloads) - 1))
    if damage == "mutate":
        payloads[position] = data.draw(mutated(payloads[position], junk_for(cut)))
    elif damage == "drop":
        del payloads[position]
    elif damage == "repeat":
        payloads.insert(position, payloads[position])
    else:
        del payloads[position:]
    feed_all(cut, cut.stream_items(payloads))
