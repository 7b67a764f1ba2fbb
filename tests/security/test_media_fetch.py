"""Remote images going to Bedrock (which takes only bytes): fetched by routeapi under ``media_fetch``, through the SDK
client and the gateway. Internal addresses are refused before any connection and nothing reaches an upstream; a
public-looking name served by a loopback test server, allowed by the configuration, arrives at Bedrock as bytes."""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx2
import pytest

from routeapi import AsyncRouteClient, RouteClient, ir
from routeapi.config import build
from routeapi.fetch import FetchPolicy, FetchRefused
from routeapi.media import MediaPolicy, inline, remote_urls
from routeapi.testing import FakeBedrock, FakeGemini, FakeOpenAI
from tests.integration.drivers import provider_config

from .gateway import AUTH_HEADERS, CHAT_PATHS, error_shape_problems, make_app, running

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))
ALLOWED = "images.example.com"
"""A public-looking name, resolved to the loopback test server by the ``dns`` fixture and allowed by the config."""


class Images(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[str]  # paths requested, set on the class by the fixture

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def do_GET(self) -> None:
        self.seen.append(self.path)
        content_type, body = ("image/png", PNG) if self.path.startswith("/cat.png") else ("text/html", b"<html>")
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def image_server() -> Iterator[tuple[int, list[str]]]:
    """The loopback image server's port, and the paths it was asked for."""
    seen: list[str] = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), type("RecordingImages", (Images,), {"seen": seen}))
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1], seen
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def seen(image_server: tuple[int, list[str]]) -> list[str]:
    image_server[1].clear()
    return image_server[1]


@pytest.fixture
def port(image_server: tuple[int, list[str]]) -> int:
    return image_server[0]


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """``images.example.com`` resolves to 127.0.0.1; every other name resolves normally."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == ALLOWED:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def settings(bedrock: FakeBedrock, openai: FakeOpenAI) -> dict[str, Any]:
    """Bedrock behind the alias ``vision``, falling back to OpenAI (which would take any URL as it is)."""
    return {
        "providers": {"bedrock": provider_config("bedrock", bedrock), "openai": provider_config("openai", openai)},
        "models": {"vision": {"deployments": ["bedrock/model-x"], "fallbacks": ["openai/model-x"]}},
        "media_fetch": {"allow_hosts": [ALLOWED]},
        "retry": {"max_attempts": 1},
    }


def messages(*urls: str) -> list[dict[str, Any]]:
    images = [{"type": "image_url", "image_url": {"url": url}} for url in urls]
    return [{"role": "user", "content": [{"type": "text", "text": "What is this?"}, *images]}]


def refused_urls(port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{port}/cat.png",  # the test server itself: served if the check were missing
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://10.0.0.5/cat.png",
        f"http://localhost:{port}/cat.png",  # a name that resolves to loopback
    ]


REASONS = ["a loopback address", "a cloud metadata address", "a private address", "resolves to a loopback address"]


def images_at_bedrock(fake: FakeBedrock) -> list[bytes]:
    """The image bytes of every Converse request the fake received."""
    found: list[bytes] = []
    for request in fake.requests:
        for message in request.json["messages"]:
            found += [base64.b64decode(b["image"]["source"]["bytes"]) for b in message["content"] if "image" in b]
    return found


# -- the SDK client ----------------------------------------------------------------------------------------------------
async def chat(kind: str, config: dict[str, Any], urls: list[str], *, stream: bool = False) -> str:
    """The answer's text, through a sync or an async client."""
    if kind == "sync":
        with RouteClient(**config) as client:
            if not stream:
                return (
                    client.chat.completions.create(model="vision", messages=messages(*urls)).choices[0].message.content
                )  # type: ignore[arg-type,return-value]
            with client.chat.completions.create(model="vision", messages=messages(*urls), stream=True) as chunks:  # type: ignore[arg-type]
                return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    async with AsyncRouteClient(**config) as aclient:
        if not stream:
            answer = await aclient.chat.completions.create(model="vision", messages=messages(*urls))  # type: ignore[arg-type]
            return answer.choices[0].message.content or ""
        achunks = await aclient.chat.completions.create(model="vision", messages=messages(*urls), stream=True)  # type: ignore[arg-type]
        async with achunks:
            return "".join([c.choices[0].delta.content or "" async for c in achunks if c.choices])


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("case", range(4), ids=["loopback", "metadata", "private", "name-to-loopback"])
async def test_the_client_refuses_internal_image_urls_and_sends_nothing_upstream(
    fake_bedrock: FakeBedrock, fake_openai: FakeOpenAI, port: int, seen: list[str], kind: str, case: int
) -> None:
    with pytest.raises(FetchRefused) as caught:
        await chat(kind, settings(fake_bedrock, fake_openai), [refused_urls(port)[case]])

    assert caught.value.reason == "address"
    assert REASONS[case] in str(caught.value)
    assert "only public addresses are fetched" in str(caught.value)
    # Refused before connecting, not retried, and no fallback: the next target would get the same URL.
    assert (seen, fake_bedrock.requests, fake_openai.requests) == ([], [], [])


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.usefixtures("dns")
async def test_the_client_inlines_an_allowed_image_for_bedrock(
    fake_bedrock: FakeBedrock, fake_openai: FakeOpenAI, port: int, seen: list[str], kind: str, stream: bool
) -> None:
    url = f"http://{ALLOWED}:{port}/cat.png?size=small"

    text = await chat(kind, settings(fake_bedrock, fake_openai), [url, url], stream=stream)

    assert text == "Hello from fake Bedrock!"
    assert images_at_bedrock(fake_bedrock) == [PNG, PNG]
    assert seen == ["/cat.png?size=small"]  # one fetch per distinct URL
    assert fake_openai.requests == []


@pytest.mark.usefixtures("dns")
def test_a_page_that_is_not_an_image_is_refused(fake_bedrock: FakeBedrock, fake_openai: FakeOpenAI, port: int) -> None:
    with RouteClient(**settings(fake_bedrock, fake_openai)) as client, pytest.raises(FetchRefused) as caught:
        client.chat.completions.create(model="vision", messages=messages(f"http://{ALLOWED}:{port}/page?q=1"))  # type: ignore[arg-type]

    assert caught.value.reason == "content_type"
    assert f"http://{ALLOWED}:{port}/page: content type text/html is not an image" in str(caught.value)
    assert fake_bedrock.requests == []


def test_gemini_and_openai_targets_keep_the_url(
    fake_gemini: FakeGemini, fake_openai: FakeOpenAI, port: int, seen: list[str]
) -> None:
    """They fetch URLs themselves, from their own networks: routeapi fetches nothing for them."""
    url = f"http://127.0.0.1:{port}/cat.png"
    config = {"providers": {"gemini": provider_config("gemini", fake_gemini)}, "retry": {"max_attempts": 1}}
    with RouteClient(**config) as client:
        client.chat.completions.create(model="gemini/model-x", messages=messages(url))  # type: ignore[arg-type]

    parts = fake_gemini.requests[0].json["contents"][0]["parts"]
    assert {"fileData": {"mimeType": "image/png", "fileUri": url}} in parts
    assert seen == []


# -- what is fetched (pure) ----------------------------------------------------------------------------------------
def test_only_http_urls_for_bytes_only_targets_are_fetched() -> None:
    tool_result = ir.ToolResultPart("call_1", [ir.ImagePart(url="https://example.com/in-tool-result.png")])
    request = ir.Request(
        "m",
        [
            ir.Message(
                "user",
                [
                    ir.ImagePart(url="HTTPS://example.com/a.png"),
                    ir.ImagePart(url="HTTPS://example.com/a.png"),
                    ir.ImagePart(url="data:image/png;base64,iVBORw0KGgo="),
                    ir.DocumentPart(url="s3://bucket/doc.pdf"),
                    ir.DocumentPart(url="http://example.com/doc.pdf"),
                    ir.ImagePart(data=PNG, url="https://example.com/already-inline.png"),
                ],
            ),
            ir.Message("tool", [tool_result]),
        ],
    )

    assert remote_urls(request, "bedrock_converse") == [
        "HTTPS://example.com/a.png",
        "http://example.com/doc.pdf",
        "https://example.com/in-tool-result.png",
    ]
    for protocol in ("openai_chat", "anthropic_messages", "gemini", "openai_responses"):
        assert remote_urls(request, protocol) == []


def test_a_request_naming_too_many_urls_is_refused_before_any_fetch(seen: list[str], port: int) -> None:
    urls = [f"http://127.0.0.1:{port}/cat.png?n={i}" for i in range(3)]
    request = ir.Request("m", [ir.Message("user", [ir.ImagePart(url=u) for u in urls])])
    policy = MediaPolicy(FetchPolicy(allow_hosts=("127.0.0.1",)), max_urls=2)

    with pytest.raises(FetchRefused) as caught:
        inline(request, "bedrock_converse", policy)

    assert caught.value.reason == "too_many"
    assert str(caught.value) == "the request names 3 remote images and documents; at most 2 are fetched"
    assert seen == []


# -- the gateway -----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gateway(_routeapi_fake_bedrock_server: FakeBedrock, _routeapi_fake_openai_server: FakeOpenAI) -> Iterator[str]:
    app = make_app(build(settings(_routeapi_fake_bedrock_server, _routeapi_fake_openai_server)))
    with running(app, access_log=False) as url:
        yield url


def post(gateway: str, body: dict[str, Any]) -> httpx2.Response:
    return httpx2.post(gateway + CHAT_PATHS["openai"], json=body, headers=AUTH_HEADERS["openai"], timeout=10)


@pytest.mark.parametrize("case", range(4), ids=["loopback", "metadata", "private", "name-to-loopback"])
def test_the_gateway_answers_400_to_internal_image_urls_and_sends_nothing_upstream(
    gateway: str, fake_bedrock: FakeBedrock, fake_openai: FakeOpenAI, port: int, seen: list[str], case: int
) -> None:
    response = post(gateway, {"model": "vision", "messages": messages(refused_urls(port)[case])})

    assert response.status_code == 400
    assert error_shape_problems("openai", 400, response.json()) == []
    error = response.json()["error"]
    assert error["code"] == "unsupported_feature"
    assert REASONS[case] in error["message"]
    assert "only public addresses are fetched" in error["message"]
    assert (seen, fake_bedrock.requests, fake_openai.requests) == ([], [], [])


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.usefixtures("dns")
def test_the_gateway_inlines_an_allowed_image_for_bedrock(
    gateway: str, fake_bedrock: FakeBedrock, fake_openai: FakeOpenAI, port: int, seen: list[str], stream: bool
) -> None:
    url = f"http://{ALLOWED}:{port}/cat.png"

    response = post(gateway, {"model": "vision", "messages": messages(url), "stream": stream})

    assert response.status_code == 200
    if stream:
        events = [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: {")]
        text = "".join(e["choices"][0]["delta"].get("content") or "" for e in events if e["choices"])
    else:
        text = response.json()["choices"][0]["message"]["content"]
    assert text == "Hello from fake Bedrock!"
    assert images_at_bedrock(fake_bedrock) == [PNG]
    assert seen == ["/cat.png"]
    assert fake_openai.requests == []
