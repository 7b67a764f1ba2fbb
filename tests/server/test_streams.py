"""Streams through the gateway: framing per protocol, a cut upstream never reaching a client as a normal end,
client disconnects closing the upstream at once, request IDs, model lists."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx2
import openai
import pytest
from google.genai import errors as genai_errors

from routeapi.testing import FakeUpstream, Fault, Reply

from .conftest import KINDS, TOKEN, Served, serve_gateway

LONG = Reply("a long enough answer to cut in the middle", input_tokens=7, output_tokens=9)
HEADERS = {
    "openai": {"authorization": f"Bearer {TOKEN}"},
    "anthropic": {"x-api-key": TOKEN},
    "gemini": {"x-goog-api-key": TOKEN},
}


@pytest.fixture(scope="module")
def gateway(request: pytest.FixtureRequest) -> Iterator[Served]:
    yield from serve_gateway(request)


def stream_request(dialect: str, model: str, *, sse: bool = True) -> tuple[str, dict[str, Any]]:
    """(path, body) of a streamed chat request in ``dialect``."""
    if dialect == "openai":
        return "/v1/chat/completions", {"model": model, "stream": True, "messages": [{"role": "user", "content": "Hi"}]}
    if dialect == "anthropic":
        messages = [{"role": "user", "content": "Hi"}]
        return "/v1/messages", {"model": model, "max_tokens": 50, "stream": True, "messages": messages}
    query = "?alt=sse" if sse else ""
    return f"/v1beta/models/{model}:streamGenerateContent{query}", {"contents": [{"parts": [{"text": "Hi"}]}]}


def raw_stream(gateway: Served, dialect: str, model: str, *, sse: bool = True) -> httpx2.Response:
    path, body = stream_request(dialect, model, sse=sse)
    return httpx2.post(gateway.url + path, json=body, headers=HEADERS[dialect], timeout=10)


def sse_events(raw: str) -> list[tuple[str | None, str]]:
    events: list[tuple[str | None, str]] = []
    for block in raw.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        events.append((lines.get("event"), lines["data"]))
    return events


# -- framing ---------------------------------------------------------------------------------------------------
def test_openai_stream_framing(gateway: Served, fakes: dict[str, FakeUpstream]) -> None:
    fakes["anthropic"].script("model-x", Reply("Hello", chunk_size=5))

    response = raw_stream(gateway, "openai", "anthropic/model-x")

    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    events = sse_events(response.text)
    assert all(name is None for name, _ in events)
    assert events[-1] == (None, "[DONE]")
    chunks = [json.loads(data) for _, data in events[:-1]]
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]) == "Hello"


def test_anthropic_stream_framing(gateway: Served, fakes: dict[str, FakeUpstream]) -> None:
    fakes["openai"].script("model-x", Reply("Hello", chunk_size=5))

    response = raw_stream(gateway, "anthropic", "openai/model-x")

    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    events = sse_events(response.text)
    assert [name for name, _ in events] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert all(json.loads(data)["type"] == name for name, data in events)


def test_gemini_sse_framing(gateway: Served, fakes: dict[str, FakeUpstream]) -> None:
    fakes["openai"].script("model-x", Reply("Hello", chunk_size=5))

    response = raw_stream(gateway, "gemini", "openai/model-x")

    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    events = sse_events(response.text)
    assert all(name is None for name, _ in events)
    chunks = [json.loads(data) for _, data in events]
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"
    parts = [
        p
        for c in chunks
        for candidate in c.get("candidates", [])
        for p in candidate.get("content", {}).get("parts", [])
    ]
    text = "".join(p.get("text", "") for p in parts)
    assert text == "Hello"


def test_gemini_json_array_stream(gateway: Served, fakes: dict[str, FakeUpstream]) -> None:
    fakes["gemini"].script("model-x", Reply("Hello there", chunk_size=4))

    response = raw_stream(gateway, "gemini", "gemini/model-x", sse=False)

    assert response.headers["content-type"] == "application/json; charset=utf-8"
    chunks = json.loads(response.text)
    assert [p["text"] for c in chunks for p in c["candidates"][0]["content"]["parts"]] == ["Hell", "o th", "ere"]


def test_gemini_under_v1_through_the_sdk(gateway: Served, fakes: dict[str, FakeUpstream]) -> None:
    fakes["anthropic"].script("model-x", Reply("Hello from v1"))
    client = gateway.genai(api_version="v1")

    streamed = "".join(
        c.text or "" for c in client.models.generate_content_stream(model="anthropic/model-x", contents="Hi")
    )
    plain = client.models.generate_content(model="anthropic/model-x", contents="Hi").text

    assert (streamed, plain) == ("Hello from v1", "Hello from v1")


# -- a cut upstream is an error, never a normal end -----------------------------------------------------------
ROUTES = [(face, upstream) for face in KINDS for upstream in KINDS]


@pytest.mark.parametrize(("face", "upstream"), ROUTES, ids=[f"{f}-face-to-{u}" for f, u in ROUTES])
def test_a_cut_upstream_stream_ends_with_the_protocols_error_event(
    gateway: Served, fakes: dict[str, FakeUpstream], face: str, upstream: str
) -> None:
    fakes[upstream].script("model-x", Fault.cut(after_events=4, then=LONG))

    response = raw_stream(gateway, face, f"{upstream}/model-x")

    assert response.status_code == 200
    events = sse_events(response.text)
    name, data = events[-1]
    if face == "openai":
        assert name is None
        assert json.loads(data)["error"]["type"] == "server_error"
        assert (None, "[DONE]") not in events
    elif face == "anthropic":
        assert name == "error"
        assert json.loads(data)["error"]["type"] == "api_error"
        assert "message_stop" not in [name for name, _ in events]
    else:
        assert name is None
        assert json.loads(data)["error"]["status"] == "UNAVAILABLE"
    assert "content" in response.text  # some content arrived before the cut


@pytest.mark.parametrize("upstream", KINDS)
def test_a_cut_gemini_json_array_is_left_unclosed(
    gateway: Served, fakes: dict[str, FakeUpstream], upstream: str
) -> None:
    fakes[upstream].script("model-x", Fault.cut(after_events=4, then=LONG))

    response = raw_stream(gateway, "gemini", f"{upstream}/model-x", sse=False)

    assert not response.text.endswith("]")
    elements = json.loads(response.text + "]")
    assert elements[-1]["error"]["status"] == "UNAVAILABLE"
    assert len(elements) >= 2


@pytest.mark.parametrize("upstream", KINDS)
def test_a_cut_upstream_stream_raises_in_every_sdk(
    gateway: Served, fakes: dict[str, FakeUpstream], upstream: str
) -> None:
    fakes[upstream].script("model-x", Fault.cut(after_events=4, then=LONG))
    model = f"{upstream}/model-x"
    messages = [{"role": "user", "content": "Hi"}]

    with pytest.raises(openai.APIError, match="the upstream failed"):  # noqa: SIM117
        with gateway.openai().chat.completions.stream(model=model, messages=messages) as stream:  # type: ignore[arg-type]
            stream.get_final_completion()
    with pytest.raises(anthropic.APIError, match="the upstream failed"):  # noqa: SIM117
        with gateway.anthropic().messages.stream(model=model, max_tokens=50, messages=messages) as events:  # type: ignore[arg-type]
            events.get_final_message()
    google = gateway.genai()
    with pytest.raises(genai_errors.APIError, match="the upstream failed"):
        list(google.models.generate_content_stream(model=model, contents="Hi"))


@pytest.mark.parametrize("face", ["openai", "responses", "anthropic", "gemini"])
def test_a_cut_stream_is_continued_on_the_fallback_when_the_model_says_so(
    gateway: Served, fakes: dict[str, FakeUpstream], face: str
) -> None:
    # Three text events arrive ("abcdefghijkl"); a Responses stream has four events before its first text.
    cut = Fault.cut(after_events=7 if face == "responses" else 4, then=Reply("abcdefghijklmnop", chunk_size=4))
    fakes["openai"].script("model-x", cut)
    fakes["anthropic"].script("claude-sonnet-4-5", Reply("mnop, continued", chunk_size=5))
    messages = [{"role": "user", "content": "Hi"}]

    if face == "openai":
        with gateway.openai().chat.completions.stream(model="continuing-x", messages=messages) as stream:  # type: ignore[arg-type]
            text = stream.get_final_completion().choices[0].message.content
    elif face == "responses":
        with gateway.openai().responses.stream(model="continuing-x", input="Hi") as events:
            response = events.get_final_response()
        assert [item.type for item in response.output] == ["message"]
        text = response.output_text
    elif face == "anthropic":
        with gateway.anthropic().messages.stream(model="continuing-x", max_tokens=50, messages=messages) as events:  # type: ignore[arg-type]
            final = events.get_final_message()
        assert [block.type for block in final.content] == ["text"]  # one block, continued: the SDK checks order
        text = "".join(block.text for block in final.content if block.type == "text")
    else:
        google = gateway.genai()  # held: a collected client closes its connection pool
        chunks = list(google.models.generate_content_stream(model="continuing-x", contents="Hi"))
        text = "".join(chunk.text or "" for chunk in chunks)

    assert text == "abcdefghijklmnop, continued"
    prefix = fakes["anthropic"].requests[0].param("messages")[-1]
    assert prefix == {"role": "assistant", "content": [{"type": "text", "text": "abcdefghijkl"}]}


@pytest.mark.parametrize("face", ["openai", "responses", "anthropic"])
def test_a_cut_stream_restarts_as_a_new_part_where_the_fallback_takes_no_prefix(
    gateway: Served, fakes: dict[str, FakeUpstream], face: str
) -> None:
    cut = Fault.cut(after_events=7 if face == "responses" else 4, then=Reply("abcdefghijklmnop", chunk_size=4))
    fakes["openai"].script("model-x", cut)
    fakes["gemini"].script("model-y", Reply("a fresh answer"))
    messages = [{"role": "user", "content": "Hi"}]

    if face == "openai":  # one text per message: the new answer follows what was delivered
        with gateway.openai().chat.completions.stream(model="restarting-x", messages=messages) as stream:  # type: ignore[arg-type]
            texts = [stream.get_final_completion().choices[0].message.content]
        assert texts == ["abcdefghijkl" + "a fresh answer"]
    elif face == "responses":
        with gateway.openai().responses.stream(model="restarting-x", input="Hi") as events:
            response = events.get_final_response()
        texts = [item.content[0].text for item in response.output if item.type == "message"]  # type: ignore[union-attr]
        assert texts == ["abcdefghijkl", "a fresh answer"]
    else:
        with gateway.anthropic().messages.stream(model="restarting-x", max_tokens=50, messages=messages) as stream:  # type: ignore[arg-type]
            final = stream.get_final_message()
        assert [block.text for block in final.content if block.type == "text"] == ["abcdefghijkl", "a fresh answer"]
    assert "Hi" in json.dumps(fakes["gemini"].requests[0].json)  # the original request, no prefix


def test_a_stall_past_the_idle_timeout_ends_the_stream_with_an_error_event(
    gateway: Served, fakes: dict[str, FakeUpstream]
) -> None:
    fakes["openai"].script("model-x", Fault.stall(after_events=3, then=LONG))

    started = time.monotonic()
    response = raw_stream(gateway, "anthropic", "impatient-x")

    assert time.monotonic() - started < 2
    name, data = sse_events(response.text)[-1]
    assert (name, json.loads(data)["error"]["type"]) == ("error", "api_error")
    assert "stalled" in json.loads(data)["error"]["message"]
    assert fakes["openai"].wait_for_disconnect(0, 1.0) is True


# -- client disconnects ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("face", "upstream"), ROUTES, ids=[f"{f}-face-to-{u}" for f, u in ROUTES])
def test_a_client_leaving_mid_stream_closes_the_upstream_within_a_second(
    gateway: Served, fakes: dict[str, FakeUpstream], face: str, upstream: str
) -> None:
    fakes[upstream].script("model-x", Fault.stall(after_events=4, then=LONG))  # Anthropic's 4th event is text
    path, body = stream_request(face, f"{upstream}/model-x")

    with httpx2.stream("POST", gateway.url + path, json=body, headers=HEADERS[face], timeout=10) as response:
        assert response.status_code == 200
        assert next(response.iter_bytes())  # content is flowing; then the client goes away

    assert fakes[upstream].wait_for_disconnect(0, 1.0) is True


@pytest.mark.parametrize("upstream", KINDS)
def test_a_client_leaving_before_the_first_content_closes_the_upstream(
    gateway: Served, fakes: dict[str, FakeUpstream], upstream: str
) -> None:
    fakes[upstream].script("model-x", Fault.stall(after_events=0, then=LONG))
    path, body = stream_request("openai", f"{upstream}/model-x")

    with pytest.raises(httpx2.ReadTimeout):
        httpx2.post(gateway.url + path, json=body, headers=HEADERS["openai"], timeout=0.3)

    assert fakes[upstream].wait_for_disconnect(0, 1.0) is True


def test_a_client_leaving_a_plain_request_closes_the_upstream(gateway: Served, fakes: dict[str, FakeUpstream]) -> None:
    fakes["anthropic"].script("model-x", Fault.stall())
    body = {"model": "anthropic/model-x", "messages": [{"role": "user", "content": "Hi"}]}

    with pytest.raises(httpx2.ReadTimeout):
        httpx2.post(gateway.url + "/v1/chat/completions", json=body, headers=HEADERS["openai"], timeout=0.3)

    assert fakes["anthropic"].wait_for_disconnect(0, 1.0) is True


# -- request IDs -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("streamed", [False, True], ids=["plain", "stream"])
def test_a_given_request_id_is_echoed_and_passed_upstream(
    gateway: Served, fakes: dict[str, FakeUpstream], streamed: bool
) -> None:
    body = {"model": "gemini/model-x", "stream": streamed, "messages": [{"role": "user", "content": "Hi"}]}
    headers = {**HEADERS["openai"], "x-request-id": "trace-42.a:b"}

    response = httpx2.post(gateway.url + "/v1/chat/completions", json=body, headers=headers, timeout=10)

    assert response.status_code == 200
    assert response.headers["x-request-id"] == "trace-42.a:b"
    assert fakes["gemini"].requests[-1].headers["x-request-id"] == "trace-42.a:b"
    assert (response.headers["x-routeapi-provider"], response.headers["x-routeapi-model"]) == ("gemini", "model-x")


def test_a_request_id_is_generated_when_missing_or_unusable(gateway: Served, fakes: dict[str, FakeUpstream]) -> None:
    body = {"model": "openai/model-x", "max_tokens": 20, "messages": [{"role": "user", "content": "Hi"}]}

    missing = httpx2.post(gateway.url + "/v1/messages", json=body, headers=HEADERS["anthropic"], timeout=10)
    unusable = httpx2.post(
        gateway.url + "/v1/messages", json=body, headers={**HEADERS["anthropic"], "x-request-id": "a b"}, timeout=10
    )

    for response, sent in zip((missing, unusable), fakes["openai"].requests, strict=True):
        assert response.headers["x-request-id"].startswith("req_")
        assert response.headers["request-id"] == response.headers["x-request-id"]  # the Anthropic SDK reads this one
        assert sent.headers["x-request-id"] == response.headers["x-request-id"]
    assert missing.headers["x-request-id"] != unusable.headers["x-request-id"]


def test_errors_carry_the_request_id_too(gateway: Served) -> None:
    response = httpx2.post(
        gateway.url + "/v1/chat/completions", content=b"{", headers={"x-request-id": "trace-err"}, timeout=10
    )

    assert (response.status_code, response.headers["x-request-id"]) == (401, "trace-err")


def test_the_sdks_see_the_request_id(gateway: Served, fakes: dict[str, FakeUpstream]) -> None:
    messages = [{"role": "user", "content": "Hi"}]

    completion = gateway.openai().chat.completions.create(model="openai/model-x", messages=messages)  # type: ignore[arg-type]
    message = gateway.anthropic().messages.create(model="openai/model-x", max_tokens=5, messages=messages)  # type: ignore[arg-type]

    sent = [r.headers["x-request-id"] for r in fakes["openai"].requests]
    assert [completion._request_id, message._request_id] == sent


# -- model lists -----------------------------------------------------------------------------------------------
def test_model_lists_in_each_sdks_shape(gateway: Served) -> None:
    google = gateway.genai()

    assert [m.id for m in gateway.openai().models.list()] == ["alias-x", "continuing-x", "impatient-x", "restarting-x"]
    assert [m.id for m in gateway.anthropic().models.list()] == [
        "alias-x",
        "continuing-x",
        "impatient-x",
        "restarting-x",
    ]
    assert [m.name for m in google.models.list()] == [
        "models/alias-x",
        "models/continuing-x",
        "models/impatient-x",
        "models/restarting-x",
    ]
