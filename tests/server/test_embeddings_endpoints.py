"""Embeddings through the gateway: /v1/embeddings with the openai SDK, :embedContent / :batchEmbedContents with the
google-genai SDK and plain REST, each against OpenAI and Gemini upstreams."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest

from routeapi.testing import FakeGemini, FakeOpenAI, FakeUpstream

from .conftest import TOKEN, Served, serve_gateway

TEXTS = ["alpha", "beta", "gamma"]


@pytest.fixture(scope="module")
def gateway(request: pytest.FixtureRequest) -> Iterator[Served]:
    yield from serve_gateway(request)


def expected(upstream: str, text: str, dimensions: int) -> list[float]:
    fake = FakeOpenAI if upstream == "openai" else FakeGemini
    return fake.embedding_for(text, dimensions)


@pytest.mark.parametrize("upstream", ["openai", "gemini"])
@pytest.mark.parametrize("encoding", ["float", "base64"])
def test_openai_sdk_embeddings(gateway: Served, fakes: dict[str, FakeUpstream], upstream: str, encoding: str) -> None:
    response = gateway.openai().embeddings.create(
        model=f"{upstream}/embed-x",
        input=TEXTS,
        dimensions=16,
        encoding_format=encoding,  # type: ignore[arg-type]
    )

    assert [d.index for d in response.data] == [0, 1, 2]
    for text, item in zip(TEXTS, response.data, strict=True):
        if encoding == "float":
            assert item.embedding == pytest.approx(expected(upstream, text, 16), abs=1e-6)
        else:
            assert isinstance(item.embedding, str)
    assert fakes[upstream].requests[-1].path.endswith(("/embeddings", ":batchEmbedContents"))


@pytest.mark.parametrize("upstream", ["openai", "gemini"])
def test_genai_sdk_embed_content(gateway: Served, upstream: str) -> None:
    from google.genai import types

    client = gateway.genai()  # kept: a collected genai.Client closes its connection pool mid-call
    response = client.models.embed_content(
        model=f"{upstream}/embed-x", contents=TEXTS, config=types.EmbedContentConfig(output_dimensionality=16)
    )

    assert response.embeddings is not None
    assert [e.values for e in response.embeddings] == [
        pytest.approx(expected(upstream, t, 16), abs=1e-6) for t in TEXTS
    ]


def test_rest_embed_content_single(gateway: Served) -> None:
    response = httpx2.post(
        f"{gateway.url}/v1beta/models/openai/embed-x:embedContent",
        headers={"x-goog-api-key": TOKEN},
        json={"content": {"parts": [{"text": "alpha"}]}, "outputDimensionality": 16},
    )

    assert response.status_code == 200
    assert response.json()["embedding"]["values"] == pytest.approx(expected("openai", "alpha", 16), abs=1e-6)
