"""The embeddings faces: ``client.embeddings.create(...)`` with the ``openai`` SDK's types, and the Gemini face's
``models.embed_content(...)`` with google-genai's, over OpenAI, Azure OpenAI, Gemini and Bedrock (Titan, Cohere).

One call: the face body is decoded once by the face's embeddings codec; each target gets it re-encoded by the codec
its adapter and model call for, and the answer comes back through the face codec. When the face and the target speak
the same format the upstream JSON is handed back as is (and an OpenAI-shaped body goes out with only ``model``
replaced). Routing, retries, fallbacks and telemetry are the chat calls' (:class:`~._calls.Caller`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from .. import ir
from .._route import RouteInfo, attach
from ..adapters.base import RawResponse
from ..catalog import pricing
from ..errors import ProtocolError
from ..protocols.embeddings import (
    BedrockTitanEmbeddingsCodec,
    EmbeddingCodec,
    GeminiEmbeddingsCodec,
    OpenAIEmbeddingsCodec,
    codec_for,
)
from ..routing.targets import Target
from ..telemetry import AttemptTelemetry, CallTelemetry
from ._calls import Caller, CallSpec, _served
from .openai import split_kwargs

if TYPE_CHECKING:
    from google.genai import types
    from openai.types import CreateEmbeddingResponse

__all__ = ["AsyncEmbeddings", "Embeddings", "EmbeddingExchange", "aembed", "aembed_content", "embed", "embed_content"]

JSONObject = dict[str, Any]

_OPENAI_FACE = OpenAIEmbeddingsCodec()
_GEMINI_FACE = GeminiEmbeddingsCodec()
_BEDROCK = "bedrock_converse"  # the Bedrock adapter's protocol: embeddings go through invoke_model instead


# --------------------------------------------------------------------------------------------------------------------
# One call, from the face's format to a target's and back (pure).


@dataclass(slots=True)
class EmbeddingLeg:
    """The call prepared for one target."""

    body: JSONObject
    adaptations: list[ir.Adaptation]
    codec: EmbeddingCodec
    model: str
    """The upstream model, for responses that do not name it."""


@dataclass(slots=True)
class EmbeddingExchange:
    """The caller's body in its face's format, and its IR (decoded up front: a malformed body fails at once, not
    once per target)."""

    face: EmbeddingCodec
    body: JSONObject
    request: ir.EmbeddingRequest

    @classmethod
    def of(cls, face: EmbeddingCodec, body: Mapping[str, Any], *, model: str = "") -> EmbeddingExchange:
        return cls(face, dict(body), face.decode_request(body, model=model))

    def telemetry_params(self) -> dict[str, Any]:
        return {"dimensions": self.request.dimensions} if ir.is_set(self.request.dimensions) else {}

    def leg(self, target: Target, protocol: str) -> EmbeddingLeg:
        codec = codec_for(protocol, target.model)
        if codec.name == self.face.name == _OPENAI_FACE.name:
            # Same format: every parameter, unknown ones included, reaches the upstream unchanged.
            return EmbeddingLeg({**self.body, "model": target.model}, [], codec, target.model)
        if protocol == _BEDROCK:
            bodies, adaptations = _invoke_bodies(codec, self.request, target.model)
            return EmbeddingLeg({"modelId": target.model, "bodies": bodies}, adaptations, codec, target.model)
        body, adaptations = codec.encode_request(self.request, model=target.model)
        return EmbeddingLeg(body, adaptations, codec, target.model)

    def response(self, leg: EmbeddingLeg, protocol: str, raw: RawResponse) -> tuple[JSONObject, ir.EmbeddingResponse]:
        """The upstream answer in the face's format, and in the IR (for usage, cost and telemetry)."""
        data: Any = raw.json()
        if protocol == _BEDROCK:
            response = _decode_invoked(leg.codec, data, leg.model)
        else:
            response = leg.codec.decode_response(data, model=leg.model)
        response.model = response.model or leg.model
        if leg.codec.name == self.face.name:
            return dict(data), response
        return self.face.encode_response(response, self.request), response


def _invoke_bodies(
    codec: EmbeddingCodec, request: ir.EmbeddingRequest, model: str
) -> tuple[list[JSONObject], list[ir.Adaptation]]:
    """The ``invoke_model`` bodies for Bedrock: Titan takes one text per call, Cohere the whole batch in one."""
    if isinstance(codec, BedrockTitanEmbeddingsCodec):
        return codec.encode_requests(request, model=model)
    body, adaptations = codec.encode_request(request, model=model)
    return [body], adaptations


def _decode_invoked(codec: EmbeddingCodec, data: Any, model: str) -> ir.EmbeddingResponse:
    """The adapter's ``{"responses": [...]}``, one per body of :func:`_invoke_bodies`, in order."""
    responses: Any = cast("Mapping[str, Any]", data).get("responses") if isinstance(data, Mapping) else None
    if not isinstance(responses, list):
        raise ProtocolError("bedrock embeddings: expected the adapter's responses list")
    answers = cast("list[Mapping[str, Any]]", responses)
    if isinstance(codec, BedrockTitanEmbeddingsCodec):
        return codec.decode_responses(answers, model=model)
    if len(answers) != 1:
        raise ProtocolError(f"bedrock embeddings: one response expected, not {len(answers)}")
    return codec.decode_response(answers[0], model=model)


# --------------------------------------------------------------------------------------------------------------------
# Routing: the same router, retries, fallbacks and telemetry as the chat calls.


def _account(caller: Caller, route: RouteInfo, target: Target, response: ir.EmbeddingResponse) -> float | None:
    """Usage and list-price cost of the attempt that served (embeddings bill input tokens only)."""
    usage = ir.Usage(input_tokens=response.input_tokens)
    family = pricing.family_of(caller._server(target.provider)[0])
    cost = pricing.cost(family, response.model or target.model, usage) if family else None
    route.usage, route.cost = usage, cost
    return cost


def _finished(
    caller: Caller, att: AttemptTelemetry, route: RouteInfo, target: Target, response: ir.EmbeddingResponse
) -> None:
    cost = _account(caller, route, target, response)
    att.succeeded(response.model, None, (), route.usage, cost, route.adaptations)


def _start_call(caller: Caller, exchange: EmbeddingExchange, spec: CallSpec) -> CallTelemetry:
    params = exchange.telemetry_params()
    return CallTelemetry.start("embeddings", spec.model, params, spec.request_id, telemetry=caller.telemetry)


def embed(caller: Caller, exchange: EmbeddingExchange, spec: CallSpec) -> tuple[JSONObject, RouteInfo]:
    """Run one embeddings call over its targets: the face's wire dict and how it was served."""
    targets, state, route = caller._start(spec)
    call = _start_call(caller, exchange, spec)

    def attempt(target: Target) -> JSONObject:
        with caller._attempt_span(call, target) as att:
            adapter = caller.adapters.get(target.provider)
            leg = exchange.leg(target, adapter.protocol)
            raw = adapter.send("embeddings", leg.body, caller._options(spec, target, state))
            _served(route, target, raw.upstream_request_id, leg.adaptations, state)
            data, response = exchange.response(leg, adapter.protocol, raw)
            _finished(caller, att, route, target, response)
            return data

    try:
        data = caller.router.run(targets, attempt, state, caller.screen)
    except BaseException as error:
        call.fail(error)
        raise
    call.finish()
    return data, route


async def aembed(caller: Caller, exchange: EmbeddingExchange, spec: CallSpec) -> tuple[JSONObject, RouteInfo]:
    """The async twin of :func:`embed`."""
    targets, state, route = caller._start(spec)
    call = _start_call(caller, exchange, spec)

    async def attempt(target: Target) -> JSONObject:
        with caller._attempt_span(call, target) as att:
            adapter = caller.adapters.get(target.provider)
            leg = exchange.leg(target, adapter.protocol)
            raw = await adapter.asend("embeddings", leg.body, caller._options(spec, target, state))
            _served(route, target, raw.upstream_request_id, leg.adaptations, state)
            data, response = exchange.response(leg, adapter.protocol, raw)
            _finished(caller, att, route, target, response)
            return data

    try:
        data = await caller.router.arun(targets, attempt, state, caller.screen)
    except BaseException as error:
        call.fail(error)
        raise
    call.finish()
    return data, route


# --------------------------------------------------------------------------------------------------------------------
# The OpenAI face: client.embeddings.create(...).


def _openai_request(model: str, input: Any, kwargs: dict[str, Any]) -> tuple[EmbeddingExchange, CallSpec]:  # noqa: A002
    body, spec = split_kwargs({"model": model, "input": input, **kwargs})
    # An explicit None is "not given", as in the SDK's signature.
    present = {key: value for key, value in body.items() if value is not None}
    return EmbeddingExchange.of(_OPENAI_FACE, present), spec


def _create_response(data: JSONObject, route: RouteInfo) -> CreateEmbeddingResponse:
    from openai.types import CreateEmbeddingResponse

    response = CreateEmbeddingResponse.construct(**data)
    object.__setattr__(response, "_request_id", route.upstream_request_id)
    attach(response, route)
    return response


class Embeddings:
    """``client.embeddings``, as in the ``openai`` SDK."""

    def __init__(self, caller: Caller) -> None:
        self._caller = caller

    def create(
        self,
        *,
        model: str,
        input: str | list[str] | list[int] | list[list[int]],  # noqa: A002 - the SDK's parameter name
        encoding_format: str | None = None,
        dimensions: int | None = None,
        user: str | None = None,
        **kwargs: Any,
    ) -> CreateEmbeddingResponse:
        """Like ``openai.OpenAI().embeddings.create``: vectors are floats unless ``encoding_format="base64"``
        (the SDK decodes the base64 it asks for by default; routeapi returns the floats directly). Extra keywords:
        ``fallbacks``, ``request_id``, ``deadline``, and the SDK's ``timeout``, ``extra_headers``, ``extra_body``."""
        options = {"encoding_format": encoding_format, "dimensions": dimensions, "user": user, **kwargs}
        exchange, spec = _openai_request(model, input, options)
        data, route = embed(self._caller, exchange, spec)
        return _create_response(data, route)


class AsyncEmbeddings:
    """``client.embeddings`` of the async client, as in ``openai.AsyncOpenAI``."""

    def __init__(self, caller: Caller) -> None:
        self._caller = caller

    async def create(
        self,
        *,
        model: str,
        input: str | list[str] | list[int] | list[list[int]],  # noqa: A002 - the SDK's parameter name
        encoding_format: str | None = None,
        dimensions: int | None = None,
        user: str | None = None,
        **kwargs: Any,
    ) -> CreateEmbeddingResponse:
        """The async twin of :meth:`Embeddings.create`."""
        options = {"encoding_format": encoding_format, "dimensions": dimensions, "user": user, **kwargs}
        exchange, spec = _openai_request(model, input, options)
        data, route = await aembed(self._caller, exchange, spec)
        return _create_response(data, route)


# --------------------------------------------------------------------------------------------------------------------
# The Gemini face: models.embed_content(...), through google-genai's own (private) converters, as generate_content.


def _embed_parameters(model: str, contents: Any, config: Any) -> Any:
    from google.genai import _transformers, types

    transformers: Any = _transformers
    if transformers.t_is_multimodal_embedding_model(model):
        # As the SDK does for these models: the contents become one Content (one vector for all of them).
        contents = transformers.t_contents(contents)
    return types._EmbedContentParametersPrivate(model=model, contents=contents, config=config)


def _embed_body(parameters: Any) -> JSONObject:
    """SDK-style arguments -> the ``batchEmbedContents`` body, by the SDK's own converter."""
    from google.genai import _common, models

    from .gemini import _converter_client  # imported here: faces.gemini may import this module

    body = models._EmbedContentParametersPrivate_to_mldev(_converter_client(), parameters, None, parameters)
    for private in ("_url", "_query", "config"):
        body.pop(private, None)
    return _common.encode_unserializable_types(_common.convert_to_dict(body))


def _embed_response(data: JSONObject, parameters: Any, route: RouteInfo) -> types.EmbedContentResponse:
    """Wire JSON -> ``EmbedContentResponse``, by the SDK's own converter."""
    from google.genai import models, types

    converted = models._EmbedContentResponse_from_mldev(data, None, parameters)
    response = types.EmbedContentResponse._from_response(response=converted, kwargs={})
    attach(response, route)
    return response


def _gemini_request(
    model: str, contents: Any, config: Any, routing: dict[str, Any]
) -> tuple[Any, EmbeddingExchange, CallSpec]:
    from .gemini import _spec

    parameters = _embed_parameters(model, contents, config)
    exchange = EmbeddingExchange.of(_GEMINI_FACE, _embed_body(parameters), model=model)
    return parameters, exchange, _spec(model, routing)


def embed_content(
    caller: Caller, *, model: str, contents: Any, config: Any = None, **routing: Any
) -> types.EmbedContentResponse:
    """Like ``genai.Client().models.embed_content`` (text only). Extra keywords: ``fallbacks``, ``request_id``,
    ``timeout``, ``extra_headers``, ``deadline``."""
    parameters, exchange, spec = _gemini_request(model, contents, config, routing)
    data, route = embed(caller, exchange, spec)
    return _embed_response(data, parameters, route)


async def aembed_content(
    caller: Caller, *, model: str, contents: Any, config: Any = None, **routing: Any
) -> types.EmbedContentResponse:
    """Like ``genai.Client().aio.models.embed_content``."""
    parameters, exchange, spec = _gemini_request(model, contents, config, routing)
    data, route = await aembed(caller, exchange, spec)
    return _embed_response(data, parameters, route)
