"""Embeddings through the real SDK stack and the fake upstreams: the OpenAI face (``embeddings.create``) and the
Gemini face (``models.embed_content``) over OpenAI, Azure OpenAI, Gemini and Bedrock (Titan, Cohere), sync and async.
Vectors are checked value for value against the fakes' deterministic ``embedding_for``."""

from __future__ import annotations

import asyncio
import base64
import struct
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from google.genai import types as genai_types
from openai.types import CreateEmbeddingResponse

from routeapi import AsyncRouteClient, RouteClient, errors, ir, route_info
from routeapi.faces.embeddings import AsyncEmbeddings, Embeddings, aembed_content, embed_content
from routeapi.testing import FakeOpenAI, FakeUpstream, Fault, Reply

from .drivers import provider_config

TEXTS = ["the cat", "sat on", "the mat"]
FAKE_DEFAULT_DIMENSIONS = 8  # every fake's vector size when the request names none


@dataclass(frozen=True)
class Route:
    """One upstream for the table: its provider kind, fake fixture, model, and a dimension it accepts."""

    kind: str
    fixture: str
    model: str
    dimensions: int | None

    @property
    def expected_size(self) -> int:
        return self.dimensions or FAKE_DEFAULT_DIMENSIONS


ROUTES = {
    "openai": Route("openai", "fake_openai", "text-embedding-3-small", 16),
    "azure": Route("azure", "fake_azure", "text-embedding-3-small", 16),
    "gemini": Route("gemini", "fake_gemini", "text-embedding-004", 16),
    "titan": Route("bedrock", "fake_bedrock", "amazon.titan-embed-text-v2:0", 256),
    "cohere": Route("bedrock", "fake_bedrock", "cohere.embed-english-v3", None),  # one fixed size
}


def expected(texts: list[str], size: int) -> list[list[float]]:
    return [FakeOpenAI.embedding_for(text, size) for text in texts]


def unpack_float32(text: str) -> list[float]:
    packed = base64.b64decode(text)
    return list(struct.unpack(f"<{len(packed) // 4}f", packed))


class Driver:
    """Drives a sync or async client's embeddings faces with ``await``, so one test covers both."""

    def __init__(self, client: RouteClient | AsyncRouteClient) -> None:
        self.client = client
        self.is_async = isinstance(client, AsyncRouteClient)

    def _openai_face(self) -> Any:
        # client.embeddings once the client offers it; the face over the client's caller until then.
        face = getattr(self.client, "embeddings", None)
        if face is None:
            face = (AsyncEmbeddings if self.is_async else Embeddings)(self.client._caller)
        return face

    async def create(self, **kwargs: Any) -> CreateEmbeddingResponse:
        face = self._openai_face()
        if self.is_async:
            return await face.create(**kwargs)
        return await asyncio.to_thread(lambda: face.create(**kwargs))

    async def embed_content(self, **kwargs: Any) -> genai_types.EmbedContentResponse:
        if self.is_async:
            method = getattr(self.client.models, "embed_content", None)
            if method is not None:
                return await method(**kwargs)
            return await aembed_content(self.client._caller, **kwargs)
        method = getattr(self.client.models, "embed_content", None)
        if method is None:
            return await asyncio.to_thread(lambda: embed_content(self.client._caller, **kwargs))
        return await asyncio.to_thread(lambda: method(**kwargs))

    async def aclose(self) -> None:
        if isinstance(self.client, AsyncRouteClient):
            await self.client.aclose()
        else:
            self.client.close()


@pytest.fixture(params=["sync", "async"])
async def make_caller(request: pytest.FixtureRequest) -> AsyncIterator[Callable[..., Driver]]:
    """``make_caller(providers)`` -> a :class:`Driver` over a sync or async client (per the parametrisation)."""
    made: list[Driver] = []

    def make(providers: dict[str, Any], **config: Any) -> Driver:
        config.setdefault("retry", {"max_attempts": 1})
        factory = AsyncRouteClient if request.param == "async" else RouteClient
        caller = Driver(factory(providers=providers, **config))
        made.append(caller)
        return caller

    yield make
    for caller in made:
        await caller.aclose()


def _upstream(request: pytest.FixtureRequest, route: Route) -> FakeUpstream:
    fake: FakeUpstream = request.getfixturevalue(route.fixture)
    return fake


# --------------------------------------------------------------------------------------------------------------------
# The OpenAI face over every provider.


@pytest.mark.parametrize("name", list(ROUTES))
async def test_openai_face_embeds_a_batch_on_every_provider(
    request: pytest.FixtureRequest, make_caller: Callable[..., Driver], name: str
) -> None:
    route = ROUTES[name]
    fake = _upstream(request, route)
    fake.script(route.model, Reply(input_tokens=7))
    caller = make_caller({"up": provider_config(route.kind, fake)})
    dimensions = {"dimensions": route.dimensions} if route.dimensions else {}

    response = await caller.create(model=f"up/{route.model}", input=TEXTS, **dimensions)

    assert isinstance(response, CreateEmbeddingResponse)
    assert [item.embedding for item in response.data] == expected(TEXTS, route.expected_size)
    assert [item.index for item in response.data] == [0, 1, 2]
    assert len(response.data[0].embedding) == route.expected_size
    info = route_info(response)
    assert info is not None
    assert (info.provider, info.model, info.adaptations) == ("up", route.model, [])
    # Usage as each vendor reports it: per text on Titan (summed), none on batchEmbedContents or Cohere.
    tokens = {"titan": 3 * 7, "gemini": 0, "cohere": 0}.get(name, 7)
    assert info.usage == ir.Usage(input_tokens=tokens)
    assert (response.usage.prompt_tokens, response.usage.total_tokens) == (tokens, tokens)
    assert info.cost is None  # the catalog prices no embedding model: no cost rather than a guess


async def test_openai_to_openai_passes_the_body_through(
    fake_openai: FakeOpenAI, make_caller: Callable[..., Driver]
) -> None:
    caller = make_caller({"up": provider_config("openai", fake_openai)})

    response = await caller.create(
        model="up/text-embedding-3-small",
        input=TEXTS,
        dimensions=16,
        user="u-1",
        extra_body={"vendor_knob": True},
        request_id="req-embed-1",
        extra_headers={"X-Trace": "t1"},
    )

    sent = fake_openai.requests[-1]
    # model replaced, unknown parameters kept, no encoding_format added (the upstream answers floats)
    assert sent.json == {
        "model": "text-embedding-3-small",
        "input": TEXTS,
        "dimensions": 16,
        "user": "u-1",
        "vendor_knob": True,
    }
    assert (sent.headers["x-request-id"], sent.headers["x-trace"]) == ("req-embed-1", "t1")
    assert response.model == "text-embedding-3-small"
    info = route_info(response)
    assert info is not None
    assert info.request_id == "req-embed-1"


@pytest.mark.parametrize("name", ["openai", "gemini", "titan"])
async def test_openai_face_base64_decodes_to_the_same_floats(
    request: pytest.FixtureRequest, make_caller: Callable[..., Driver], name: str
) -> None:
    route = ROUTES[name]
    fake = _upstream(request, route)
    caller = make_caller({"up": provider_config(route.kind, fake)})

    response = await caller.create(
        model=f"up/{route.model}", input=TEXTS, dimensions=route.dimensions, encoding_format="base64"
    )

    vectors = [item.embedding for item in response.data]
    assert all(isinstance(vector, str) for vector in vectors)
    assert [unpack_float32(vector) for vector in vectors] == expected(TEXTS, route.expected_size)  # type: ignore[arg-type]


async def test_explicit_float_format_reaches_openai_and_floats_come_back(
    fake_openai: FakeOpenAI, make_caller: Callable[..., Driver]
) -> None:
    caller = make_caller({"up": provider_config("openai", fake_openai)})

    response = await caller.create(model="up/text-embedding-3-small", input="one text", encoding_format="float")

    assert fake_openai.requests[-1].json["encoding_format"] == "float"
    assert [item.embedding for item in response.data] == expected(["one text"], FAKE_DEFAULT_DIMENSIONS)


async def test_translated_requests_carry_dimensions_in_each_vendor_shape(
    request: pytest.FixtureRequest, make_caller: Callable[..., Driver]
) -> None:
    gemini, bedrock = request.getfixturevalue("fake_gemini"), request.getfixturevalue("fake_bedrock")
    caller = make_caller({"g": provider_config("gemini", gemini), "b": provider_config("bedrock", bedrock)})

    await caller.create(model="g/text-embedding-004", input=TEXTS, dimensions=16)
    await caller.create(model="b/amazon.titan-embed-text-v2:0", input=TEXTS, dimensions=256)
    await caller.create(model="b/cohere.embed-english-v3", input=TEXTS)

    assert gemini.requests[-1].path.endswith("/models/text-embedding-004:batchEmbedContents")
    assert gemini.requests[-1].json == {
        "requests": [
            {
                "model": "models/text-embedding-004",
                "content": {"role": "user", "parts": [{"text": text}]},
                "outputDimensionality": 16,
            }
            for text in TEXTS
        ]
    }
    titan = [r.json for r in bedrock.requests if r.model == "amazon.titan-embed-text-v2:0"]
    assert titan == [{"inputText": text, "dimensions": 256} for text in TEXTS]
    cohere = [r.json for r in bedrock.requests if r.model == "cohere.embed-english-v3"]
    assert cohere == [{"texts": TEXTS, "input_type": "search_document", "embedding_types": ["float"]}]


async def test_dimensions_a_cohere_v3_model_cannot_honour_are_reported_dropped(
    request: pytest.FixtureRequest, make_caller: Callable[..., Driver]
) -> None:
    bedrock = request.getfixturevalue("fake_bedrock")
    caller = make_caller({"up": provider_config("bedrock", bedrock)})

    response = await caller.create(model="up/cohere.embed-english-v3", input=TEXTS, dimensions=256)

    assert [item.embedding for item in response.data] == expected(TEXTS, FAKE_DEFAULT_DIMENSIONS)
    info = route_info(response)
    assert info is not None
    assert [(a.param, a.action) for a in info.adaptations] == [("dimensions", "dropped")]
    assert "output_dimension" not in bedrock.requests[-1].json


async def test_titan_rejects_a_dimension_it_does_not_make_before_any_request(
    request: pytest.FixtureRequest, make_caller: Callable[..., Driver]
) -> None:
    bedrock = request.getfixturevalue("fake_bedrock")
    caller = make_caller({"up": provider_config("bedrock", bedrock)})

    with pytest.raises(errors.UnsupportedFeature, match="Titan takes 256, 512, 1024, not 16"):
        await caller.create(model="up/amazon.titan-embed-text-v2:0", input=TEXTS, dimensions=16)
    assert bedrock.requests == []


# --------------------------------------------------------------------------------------------------------------------
# The Gemini face.


async def test_gemini_face_embeds_through_gemini_with_its_own_fields(
    request: pytest.FixtureRequest, make_caller: Callable[..., Driver]
) -> None:
    gemini = request.getfixturevalue("fake_gemini")
    caller = make_caller({"up": provider_config("gemini", gemini)})

    response = await caller.embed_content(
        model="up/text-embedding-004",
        contents=TEXTS,
        config={"output_dimensionality": 16, "task_type": "RETRIEVAL_DOCUMENT", "title": "Doc"},
    )

    assert isinstance(response, genai_types.EmbedContentResponse)
    assert [embedding.values for embedding in response.embeddings or []] == expected(TEXTS, 16)
    # the upstream model replaces the routeapi one; Gemini-only fields (title) survive a Gemini route
    assert gemini.requests[-1].json["requests"] == [
        {
            "model": "models/text-embedding-004",
            "content": {"role": "user", "parts": [{"text": text}]},
            "taskType": "RETRIEVAL_DOCUMENT",
            "outputDimensionality": 16,
            "title": "Doc",
        }
        for text in TEXTS
    ]
    info = route_info(response)
    assert info is not None
    assert (info.provider, info.model, info.adaptations, info.usage) == (
        "up",
        "text-embedding-004",
        [],
        ir.Usage(input_tokens=0),
    )


async def test_gemini_face_embeds_through_openai(fake_openai: FakeOpenAI, make_caller: Callable[..., Driver]) -> None:
    fake_openai.script("text-embedding-3-small", Reply(input_tokens=9))
    caller = make_caller({"up": provider_config("openai", fake_openai)})

    response = await caller.embed_content(
        model="up/text-embedding-3-small",
        contents=TEXTS,
        config={"output_dimensionality": 16, "task_type": "RETRIEVAL_QUERY"},
    )

    assert fake_openai.requests[-1].json == {"model": "text-embedding-3-small", "input": TEXTS, "dimensions": 16}
    assert [embedding.values for embedding in response.embeddings or []] == expected(TEXTS, 16)
    assert response.usage_metadata is not None
    assert response.usage_metadata.prompt_token_count == 9
    info = route_info(response)
    assert info is not None
    assert info.usage == ir.Usage(input_tokens=9)
    assert [(a.param, a.action) for a in info.adaptations] == [("task_type", "dropped")]


async def test_gemini_face_takes_a_single_string(fake_gemini: Any, make_caller: Callable[..., Driver]) -> None:
    caller = make_caller({"up": provider_config("gemini", fake_gemini)})

    response = await caller.embed_content(model="up/text-embedding-004", contents="just one")

    assert [embedding.values for embedding in response.embeddings or []] == expected(["just one"], 8)


async def test_gemini_face_rejects_unknown_keywords(fake_gemini: Any, make_caller: Callable[..., Driver]) -> None:
    caller = make_caller({"up": provider_config("gemini", fake_gemini)})

    with pytest.raises(TypeError, match="unexpected keyword arguments: temperature"):
        await caller.embed_content(model="up/text-embedding-004", contents="x", temperature=0)
    assert fake_gemini.requests == []


# --------------------------------------------------------------------------------------------------------------------
# Routes that cannot embed, and fallbacks.


async def test_anthropic_has_no_embeddings_and_says_so(
    request: pytest.FixtureRequest, make_caller: Callable[..., Driver]
) -> None:
    anthropic = request.getfixturevalue("fake_anthropic")
    caller = make_caller({"up": provider_config("anthropic", anthropic)})

    with pytest.raises(errors.UnsupportedFeature, match="anthropic_messages has no embeddings API") as caught:
        await caller.create(model="up/claude-sonnet-4-5", input=TEXTS)
    assert (caught.value.provider, caught.value.model) == ("up", "claude-sonnet-4-5")
    assert anthropic.requests == []


async def test_a_bedrock_chat_model_cannot_embed(
    request: pytest.FixtureRequest, make_caller: Callable[..., Driver]
) -> None:
    bedrock = request.getfixturevalue("fake_bedrock")
    caller = make_caller({"up": provider_config("bedrock", bedrock)})

    with pytest.raises(errors.UnsupportedFeature, match="not a Titan or Cohere embedding model"):
        await caller.create(model="up/anthropic.claude-3-5-sonnet-20240620-v1:0", input=TEXTS)
    assert bedrock.requests == []


async def test_token_ids_reach_openai_but_not_gemini(
    request: pytest.FixtureRequest, make_caller: Callable[..., Driver]
) -> None:
    openai_fake, gemini = request.getfixturevalue("fake_openai"), request.getfixturevalue("fake_gemini")
    caller = make_caller({"o": provider_config("openai", openai_fake), "g": provider_config("gemini", gemini)})

    response = await caller.create(model="o/text-embedding-3-small", input=[[1, 2], [3]])
    assert [item.embedding for item in response.data] == expected(["1 2", "3"], 8)  # the fake hashes token text

    with pytest.raises(errors.UnsupportedFeature, match="token-id inputs"):
        await caller.create(model="g/text-embedding-004", input=[[1, 2], [3]])
    assert gemini.requests == []


async def test_fallback_past_a_route_without_embeddings_and_a_failing_one(
    request: pytest.FixtureRequest, make_caller: Callable[..., Driver]
) -> None:
    anthropic, gemini, azure = (request.getfixturevalue(f"fake_{name}") for name in ("anthropic", "gemini", "azure"))
    gemini.script("text-embedding-004", Fault.status(503, "overloaded"))
    caller = make_caller(
        {
            "a": provider_config("anthropic", anthropic),
            "g": provider_config("gemini", gemini),
            "z": provider_config("azure", azure),
        }
    )

    response = await caller.create(
        model="a/claude-sonnet-4-5",
        fallbacks=["g/text-embedding-004", "z/text-embedding-3-small"],
        input=TEXTS,
        dimensions=16,
    )

    assert [item.embedding for item in response.data] == expected(TEXTS, 16)
    info = route_info(response)
    assert info is not None
    assert (info.provider, info.model) == ("z", "text-embedding-3-small")
    assert [(a.provider, type(a.error).__name__) for a in info.failed_attempts] == [
        ("a", "UnsupportedFeature"),
        ("g", "Overloaded"),
    ]
    assert azure.requests[-1].path == "/openai/deployments/text-embedding-3-small/embeddings"


async def test_malformed_input_fails_before_any_request(
    fake_openai: FakeOpenAI, make_caller: Callable[..., Driver]
) -> None:
    caller = make_caller({"up": provider_config("openai", fake_openai)})

    with pytest.raises(errors.ProtocolError, match="encoding_format: must be one of"):
        await caller.create(model="up/text-embedding-3-small", input=TEXTS, encoding_format="int8")
    assert fake_openai.requests == []


async def test_bedrock_invoke_errors_are_mapped_and_carry_the_request_id(
    request: pytest.FixtureRequest, make_caller: Callable[..., Driver]
) -> None:
    bedrock = request.getfixturevalue("fake_bedrock")
    bedrock.script(
        "amazon.titan-embed-text-v2:0",
        Reply(),
        Fault.status(429, "Too many requests", error_type="ThrottlingException"),
    )
    caller = make_caller({"up": provider_config("bedrock", bedrock)})

    with pytest.raises(errors.RateLimited) as caught:
        await caller.create(model="up/amazon.titan-embed-text-v2:0", input=TEXTS, request_id="req-titan")

    assert caught.value.retryable
    assert (caught.value.provider, caught.value.request_id) == ("up", "req-titan")
    # the first text was embedded, the second throttled, the third never sent
    assert [r.json["inputText"] for r in bedrock.requests] == TEXTS[:2]
    assert {r.headers["x-request-id"] for r in bedrock.requests} == {"req-titan"}
