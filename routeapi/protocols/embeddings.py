"""Embedding wire formats <-> IR, one small codec per format: OpenAI (and Azure OpenAI) ``/embeddings``, Gemini
``batchEmbedContents`` / ``embedContent``, and Bedrock ``invoke_model`` bodies for Titan and Cohere. Pure: no I/O.

Rules shared with the chat codecs: ``UNSET`` never reaches the wire, explicit values do; parameters a format does not
model go to ``EmbeddingRequest.extra`` in wire form and are sent on only to the same format, every other codec reports
each one as dropped. Two kinds of ``extra`` key are special:

- keys that shape the *response* the caller gets back (OpenAI ``encoding_format``, Cohere ``embedding_types``) are
  honoured by the inbound codec's ``encode_response``, so another upstream codec does not report them as dropped;
- OpenAI token-array inputs (kept as ``extra["input"]``) cannot be turned into text: any other codec raises
  ``UnsupportedFeature``.

Lossy on purpose: an OpenAI string ``input`` comes back as a one-item list (the response is the same), and explicit
``null`` parameters are read as absent.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Final, Protocol, TypeAlias, cast

from .. import ir
from ..errors import ProtocolError, UnsupportedFeature
from .gemini import _camel, decode_embed_request, decode_embed_response, encode_embed_request

__all__ = [
    "BedrockCohereEmbeddingsCodec",
    "BedrockTitanEmbeddingsCodec",
    "EmbeddingCodec",
    "GeminiEmbeddingsCodec",
    "OpenAIEmbeddingsCodec",
    "codec_for",
    "float32_base64",
    "from_float32_base64",
]

JSONObject: TypeAlias = dict[str, Any]

OPENAI: Final = "openai_embeddings"
GEMINI: Final = "gemini_embeddings"
TITAN: Final = "bedrock_titan_embeddings"
COHERE: Final = "bedrock_cohere_embeddings"

# extra keys the inbound codec's encode_response honours (not upstream parameters, so never "dropped" elsewhere).
_RESPONSE_SHAPING: Final[dict[str, frozenset[str]]] = {
    OPENAI: frozenset({"encoding_format"}),
    COHERE: frozenset({"embedding_types"}),
}
_ENCODING_FORMATS: Final = ("float", "base64")
_TITAN_V2_DIMENSIONS: Final = (256, 512, 1024)
_TITAN_FIXED_SIZE_MODELS: Final = ("amazon.titan-embed-text-v1", "amazon.titan-embed-g1-text")
_COHERE_DEFAULT_INPUT_TYPE: Final = "search_document"
_COHERE_EMBEDDING_TYPES: Final = ["float"]
# Gemini taskType -> Cohere input_type, for the task types both vendors have.
_COHERE_INPUT_TYPES: Final[dict[str, str]] = {
    "RETRIEVAL_QUERY": "search_query",
    "RETRIEVAL_DOCUMENT": "search_document",
    "CLASSIFICATION": "classification",
    "CLUSTERING": "clustering",
}
_GEMINI_TASK_TYPES: Final[dict[str, str]] = {cohere: gemini for gemini, cohere in _COHERE_INPUT_TYPES.items()}
# Cross-region inference profiles prefix the model id with a geography (``us.cohere.embed-v4:0``).
_INFERENCE_PROFILE: Final = re.compile(r"^(?:us|us-gov|eu|apac|jp|au|ca|global)\.")


class EmbeddingCodec(Protocol):
    """One embeddings wire format, both directions.

    - ``decode_request``: body -> IR (``ProtocolError`` naming the field when malformed). ``model`` is the model from
      the URL, for formats whose body does not name it.
    - ``encode_request``: IR -> body for the upstream ``model``, with every adaptation made.
    - ``decode_response``: upstream body -> IR; ``model`` fills in for formats whose response does not name it.
    - ``encode_response``: IR -> the body the caller gets; ``request`` carries the caller's wishes (vector encoding).
    """

    name: str

    def decode_request(self, body: Mapping[str, Any], *, model: str = "") -> ir.EmbeddingRequest: ...

    def encode_request(self, request: ir.EmbeddingRequest, *, model: str) -> tuple[JSONObject, list[ir.Adaptation]]: ...

    def decode_response(self, data: Mapping[str, Any], *, model: str = "") -> ir.EmbeddingResponse: ...

    def encode_response(self, response: ir.EmbeddingResponse, request: ir.EmbeddingRequest) -> JSONObject: ...


# --------------------------------------------------------------------------------------------------------------------
# Vector encoding.


def float32_base64(vector: Sequence[float]) -> str:
    """``vector`` as packed little-endian float32, base64: OpenAI's ``encoding_format: "base64"``."""
    try:
        packed = struct.pack(f"<{len(vector)}f", *vector)
    except (OverflowError, struct.error) as error:
        raise ProtocolError(f"embedding: a value does not fit a float32 ({error})") from None
    return base64.b64encode(packed).decode("ascii")


def from_float32_base64(text: str) -> list[float]:
    """The inverse of :func:`float32_base64`."""
    return _unpack_float32(text, "embedding")


def _unpack_float32(text: str, where: str) -> list[float]:
    try:
        packed = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError(f"{where}: not valid base64") from None
    if len(packed) % 4:
        raise ProtocolError(f"{where}: {len(packed)} bytes is not a whole number of float32 values")
    return list(struct.unpack(f"<{len(packed) // 4}f", packed))


# --------------------------------------------------------------------------------------------------------------------
# OpenAI / Azure OpenAI.


class OpenAIEmbeddingsCodec:
    """``POST /embeddings`` (Azure: the same body under its deployment URL)."""

    name = OPENAI

    def decode_request(self, body: Mapping[str, Any], *, model: str = "") -> ir.EmbeddingRequest:
        data = _present(_object(body, "body"))
        request = ir.EmbeddingRequest(model=_string(data.pop("model", model or None), "model"), source=self.name)
        if "input" not in data:
            raise ProtocolError("input: required")
        texts = _openai_texts(data["input"])
        if texts is None:
            request.extra["input"] = data["input"]  # token arrays: only OpenAI can read them
        else:
            request.inputs = texts
        del data["input"]
        if "dimensions" in data:
            request.dimensions = _integer(data.pop("dimensions"), "dimensions")
        if "user" in data:
            request.user = _string(data.pop("user"), "user")
        if "encoding_format" in data and data["encoding_format"] not in _ENCODING_FORMATS:
            raise ProtocolError(f"encoding_format: must be one of {list(_ENCODING_FORMATS)}")
        request.extra.update(data)
        return request

    def encode_request(self, request: ir.EmbeddingRequest, *, model: str) -> tuple[JSONObject, list[ir.Adaptation]]:
        body: JSONObject = {"model": model, "input": list(request.inputs)}
        report: list[ir.Adaptation] = []
        if ir.is_set(request.dimensions):
            body["dimensions"] = request.dimensions
        if ir.is_set(request.user):
            body["user"] = request.user
        if request.task_type is not None:
            report.append(ir.Adaptation("task_type", "dropped", "OpenAI embeddings take no task type"))
        _carry_extra(request, self.name, body, report)
        return body, report

    def decode_response(self, data: Mapping[str, Any], *, model: str = "") -> ir.EmbeddingResponse:
        top = _object(data, "response")
        items = _array(top.get("data"), "data")
        indexed: list[tuple[int, list[float]]] = []
        for i, raw in enumerate(items):
            item = _object(raw, f"data[{i}]")
            index = _integer(item["index"], f"data[{i}].index") if "index" in item else i
            vector, where = item.get("embedding"), f"data[{i}].embedding"
            indexed.append(
                (index, _unpack_float32(vector, where) if isinstance(vector, str) else _vector(vector, where))
            )
        usage = _object(top.get("usage", {}), "usage")
        tokens = usage.get("prompt_tokens", 0)
        return ir.EmbeddingResponse(
            model=_string(top.get("model", model), "model"),
            vectors=[vector for _, vector in sorted(indexed, key=lambda pair: pair[0])],
            input_tokens=_integer(tokens, "usage.prompt_tokens"),
        )

    def encode_response(self, response: ir.EmbeddingResponse, request: ir.EmbeddingRequest) -> JSONObject:
        as_base64 = request.source == self.name and request.extra.get("encoding_format") == "base64"
        return {
            "object": "list",
            "data": [
                {"object": "embedding", "index": i, "embedding": float32_base64(v) if as_base64 else list(v)}
                for i, v in enumerate(response.vectors)
            ],
            "model": response.model or request.model,
            "usage": {"prompt_tokens": response.input_tokens, "total_tokens": response.input_tokens},
        }


def _openai_texts(value: object) -> list[str] | None:
    """The texts of an OpenAI ``input``, or None for token arrays (``[int]`` or ``[[int]]``)."""
    if isinstance(value, str):
        return [value]
    items = _array(value, "input")
    # Every item must be of the kind the first one is.
    kind = next((check for check in (_is_str, _is_int, _is_token_list) if items and check(items[0])), None)
    for i, item in enumerate(items):
        if kind is None or not kind(item):
            raise ProtocolError(f"input[{i}]: expected all strings, all token ids or all token-id lists")
    return cast("list[str]", items) if kind in (_is_str, None) else None


def _is_str(value: object) -> bool:
    return isinstance(value, str)


def _is_token_list(value: object) -> bool:
    return isinstance(value, list) and all(_is_int(token) for token in cast("list[Any]", value))


# --------------------------------------------------------------------------------------------------------------------
# Gemini.


class GeminiEmbeddingsCodec:
    """``batchEmbedContents``, or with ``single=True`` the one-text ``embedContent``.

    Per-text fields the IR does not model (``title``...) are kept as ``extra["requests"]``: one object per text, laid
    over the encoded ``requests`` (or over the single body) on a same-format round trip.
    """

    name = GEMINI

    def __init__(self, *, single: bool = False) -> None:
        self.single = single

    def decode_request(self, body: Mapping[str, Any], *, model: str = "") -> ir.EmbeddingRequest:
        data = _camel_keys(_object(body, "body"))
        if self.single == ("requests" in data):
            expected = "one content, not requests" if self.single else "requests"
            raise ProtocolError(f"body: {'embedContent' if self.single else 'batchEmbedContents'} takes {expected}")
        texts, dimensions, task_type = decode_embed_request(data)
        items = [data] if self.single else [_camel_keys(_object(item, "requests[]")) for item in data["requests"]]
        request = ir.EmbeddingRequest(
            model=model or _gemini_model(items, "model" if self.single else "requests[0].model"),
            inputs=texts,
            task_type=task_type,
        )
        request.source = self.name
        if dimensions is not None:
            request.dimensions = dimensions
        overlays = [_gemini_item_extra(item) for item in items]
        if any(overlays):
            request.extra["requests"] = overlays
        if not self.single:
            request.extra.update({key: value for key, value in data.items() if key != "requests"})
        return request

    def encode_request(self, request: ir.EmbeddingRequest, *, model: str) -> tuple[JSONObject, list[ir.Adaptation]]:
        report: list[ir.Adaptation] = []
        task_type = _gemini_task_type(request, report)
        dimensions = request.dimensions if ir.is_set(request.dimensions) else None
        if ir.is_set(request.user):
            report.append(ir.Adaptation("user", "dropped", "Gemini embeddings take no end-user id"))
        if self.single:
            if len(request.inputs) != 1:
                raise UnsupportedFeature(f"input: embedContent embeds one text, not {len(request.inputs)}")
            body: JSONObject = {"content": {"parts": [{"text": request.inputs[0]}]}}
            if task_type is not None:
                body["taskType"] = task_type
            if dimensions is not None:
                body["outputDimensionality"] = dimensions
            items = [body]
        else:
            body = encode_embed_request(request.inputs, model=model, dimensions=dimensions, task_type=task_type)
            items = cast("list[JSONObject]", body["requests"])
        if request.source == self.name:
            extra = dict(request.extra)
            # strict=False: the inputs may have been edited since decoding; overlays follow the texts they still match
            for item, overlay in zip(items, extra.pop("requests", []), strict=False):
                item.update(overlay)
            body.update(extra)
        else:
            _carry_extra(request, self.name, body, report)
        return body, report

    def decode_response(self, data: Mapping[str, Any], *, model: str = "") -> ir.EmbeddingResponse:
        top = _camel_keys(_object(data, "response"))
        usage = _camel_keys(_object(top.get("usageMetadata", {}), "usageMetadata"))
        tokens = _integer(usage.get("promptTokenCount", 0), "usageMetadata.promptTokenCount")
        return ir.EmbeddingResponse(model=model, vectors=decode_embed_response(top), input_tokens=tokens)

    def encode_response(self, response: ir.EmbeddingResponse, request: ir.EmbeddingRequest) -> JSONObject:
        if self.single:
            body: JSONObject = {"embedding": {"values": list(_only(response.vectors, "embedContent"))}}
        else:
            body = {"embeddings": [{"values": list(vector)} for vector in response.vectors]}
        if response.input_tokens:  # Gemini may omit usage; a count of 0 means none was reported
            tokens = response.input_tokens
            body["usageMetadata"] = {"promptTokenCount": tokens, "totalTokenCount": tokens}
        return body


_GEMINI_ITEM_KEYS: Final = frozenset({"model", "content", "taskType", "outputDimensionality"})


def _camel_keys(data: JSONObject) -> JSONObject:
    """Proto3 JSON takes snake_case too; the wire form this codec keeps and sends is camelCase."""
    return _present({_camel(key): value for key, value in data.items()})


def _gemini_item_extra(item: JSONObject) -> JSONObject:
    return {key: value for key, value in item.items() if key not in _GEMINI_ITEM_KEYS}


def _gemini_model(items: list[JSONObject], where: str) -> str:
    """The model the first item names (``models/`` stripped), or "" (it is in the URL)."""
    name = items[0].get("model") if items else None
    if name is None:
        return ""
    return _string(name, where).removeprefix("models/")


def _gemini_task_type(request: ir.EmbeddingRequest, report: list[ir.Adaptation]) -> str | None:
    task_type = request.task_type
    if request.source == COHERE and task_type in _GEMINI_TASK_TYPES:
        report.append(ir.Adaptation("task_type", "adapted", f"Cohere {task_type} sent as Gemini taskType"))
        return _GEMINI_TASK_TYPES[task_type]
    return task_type


# --------------------------------------------------------------------------------------------------------------------
# Bedrock: Amazon Titan Text Embeddings (invoke_model, one text per call).


class BedrockTitanEmbeddingsCodec:
    """Titan ``invoke_model`` bodies: ``{"inputText", "dimensions"?}`` -> ``{"embedding", "inputTextTokenCount"}``.

    Titan embeds one text per call: ``encode_requests`` makes one body per input and ``decode_responses`` gathers the
    answers. ``normalize`` is left to its default (true).
    """

    name = TITAN

    def decode_request(self, body: Mapping[str, Any], *, model: str = "") -> ir.EmbeddingRequest:
        data = _present(_object(body, "body"))
        request = ir.EmbeddingRequest(model=model, inputs=[_string(data.pop("inputText", None), "inputText")])
        request.source = self.name
        if "dimensions" in data:
            request.dimensions = _integer(data.pop("dimensions"), "dimensions")
        request.extra.update(data)
        return request

    def encode_request(self, request: ir.EmbeddingRequest, *, model: str) -> tuple[JSONObject, list[ir.Adaptation]]:
        """The body for a request of exactly one text (see :meth:`encode_requests`)."""
        bodies, report = self.encode_requests(request, model=model)
        if len(bodies) != 1:
            raise UnsupportedFeature(f"input: Titan embeds one text per call, not {len(bodies)}", model=model)
        return bodies[0], report

    def encode_requests(
        self, request: ir.EmbeddingRequest, *, model: str
    ) -> tuple[list[JSONObject], list[ir.Adaptation]]:
        """One body per input text, in order, and the adaptations (made once for all of them)."""
        shared: JSONObject = {}
        report: list[ir.Adaptation] = []
        if ir.is_set(request.dimensions):
            shared["dimensions"] = _titan_dimensions(request.dimensions, model)
        if request.task_type is not None:
            report.append(ir.Adaptation("task_type", "dropped", "Titan embeddings take no task type"))
        if ir.is_set(request.user):
            report.append(ir.Adaptation("user", "dropped", "Titan embeddings take no end-user id"))
        _carry_extra(request, self.name, shared, report)
        return [{"inputText": text, **shared} for text in request.inputs], report

    def decode_response(self, data: Mapping[str, Any], *, model: str = "") -> ir.EmbeddingResponse:
        return self.decode_responses([data], model=model)

    def decode_responses(self, data: Sequence[Mapping[str, Any]], *, model: str = "") -> ir.EmbeddingResponse:
        """The answers to :meth:`encode_requests`' bodies, in order: their vectors, and their token counts summed."""
        response = ir.EmbeddingResponse(model=model)
        for i, raw in enumerate(data):
            where = f"responses[{i}]" if len(data) > 1 else "response"
            body = _object(raw, where)
            vector = body.get("embedding")
            if vector is None:  # v2 asked for embeddingTypes answers by type only
                vector = _object(body.get("embeddingsByType"), f"{where}.embeddingsByType").get("float")
            response.vectors.append(_vector(vector, f"{where}.embedding"))
            response.input_tokens += _integer(body.get("inputTextTokenCount", 0), f"{where}.inputTextTokenCount")
        return response

    def encode_response(self, response: ir.EmbeddingResponse, request: ir.EmbeddingRequest) -> JSONObject:
        vector = _only(response.vectors, "Titan")
        return {"embedding": list(vector), "inputTextTokenCount": response.input_tokens}


def _titan_dimensions(dimensions: int, model: str) -> int:
    if model.startswith(_TITAN_FIXED_SIZE_MODELS):
        raise UnsupportedFeature(f"dimensions: {model} makes vectors of one fixed size", model=model)
    if dimensions not in _TITAN_V2_DIMENSIONS:
        allowed = ", ".join(map(str, _TITAN_V2_DIMENSIONS))
        raise UnsupportedFeature(f"dimensions: Titan takes {allowed}, not {dimensions}", model=model)
    return dimensions


# --------------------------------------------------------------------------------------------------------------------
# Bedrock: Cohere Embed (invoke_model).


class BedrockCohereEmbeddingsCodec:
    """Cohere ``invoke_model`` bodies: ``{"texts", "input_type", "embedding_types"}`` -> ``{"embeddings", ...}``.

    Only Embed v4 takes ``output_dimension``; for older models ``dimensions`` is dropped and reported.
    """

    name = COHERE

    def decode_request(self, body: Mapping[str, Any], *, model: str = "") -> ir.EmbeddingRequest:
        data = _present(_object(body, "body"))
        texts = _array(data.pop("texts", None), "texts")
        request = ir.EmbeddingRequest(model=model, inputs=[_string(t, f"texts[{i}]") for i, t in enumerate(texts)])
        request.source = self.name
        if "input_type" in data:
            request.task_type = _string(data.pop("input_type"), "input_type")
        if "output_dimension" in data:
            request.dimensions = _integer(data.pop("output_dimension"), "output_dimension")
        if "embedding_types" in data and data["embedding_types"] != _COHERE_EMBEDDING_TYPES:
            raise UnsupportedFeature(f"embedding_types: only {_COHERE_EMBEDDING_TYPES} vectors are supported")
        request.extra.update(data)
        return request

    def encode_request(self, request: ir.EmbeddingRequest, *, model: str) -> tuple[JSONObject, list[ir.Adaptation]]:
        report: list[ir.Adaptation] = []
        body: JSONObject = {
            "texts": list(request.inputs),
            "input_type": _cohere_input_type(request, report),
            "embedding_types": list(_COHERE_EMBEDDING_TYPES),
        }
        if ir.is_set(request.dimensions):
            if _is_cohere_v4(model):
                body["output_dimension"] = request.dimensions
            else:
                report.append(ir.Adaptation("dimensions", "dropped", f"{model} makes vectors of one fixed size"))
        if ir.is_set(request.user):
            report.append(ir.Adaptation("user", "dropped", "Cohere embeddings take no end-user id"))
        _carry_extra(request, self.name, body, report)
        return body, report

    def decode_response(self, data: Mapping[str, Any], *, model: str = "") -> ir.EmbeddingResponse:
        top = _object(data, "response")
        embeddings = top.get("embeddings")
        where = "embeddings"
        if isinstance(embeddings, dict):  # asked with embedding_types: vectors by type
            embeddings, where = cast("JSONObject", embeddings).get("float"), "embeddings.float"
        vectors = [_vector(v, f"{where}[{i}]") for i, v in enumerate(_array(embeddings, where))]
        return ir.EmbeddingResponse(model=model, vectors=vectors)

    def encode_response(self, response: ir.EmbeddingResponse, request: ir.EmbeddingRequest) -> JSONObject:
        vectors = [list(vector) for vector in response.vectors]
        by_type = request.source != self.name or "embedding_types" in request.extra
        return {
            "id": f"emb-{uuid.uuid4().hex}",
            "texts": list(request.inputs),
            "embeddings": {"float": vectors} if by_type else vectors,
            "response_type": "embeddings_by_type" if by_type else "embeddings_floats",
        }


def _cohere_input_type(request: ir.EmbeddingRequest, report: list[ir.Adaptation]) -> str:
    task_type = request.task_type
    if task_type is None:
        return _COHERE_DEFAULT_INPUT_TYPE
    if task_type in _COHERE_INPUT_TYPES:
        input_type = _COHERE_INPUT_TYPES[task_type]
        report.append(ir.Adaptation("task_type", "adapted", f"{task_type} sent as Cohere input_type {input_type}"))
        return input_type
    return task_type


def _is_cohere_v4(model: str) -> bool:
    return _INFERENCE_PROFILE.sub("", model).startswith("cohere.embed-v4")


# --------------------------------------------------------------------------------------------------------------------
# Choosing a codec.

_OPENAI_CODEC: Final = OpenAIEmbeddingsCodec()
_GEMINI_CODEC: Final = GeminiEmbeddingsCodec()
_TITAN_CODEC: Final = BedrockTitanEmbeddingsCodec()
_COHERE_CODEC: Final = BedrockCohereEmbeddingsCodec()


def codec_for(provider_protocol: str, model: str) -> EmbeddingCodec:
    """The embeddings codec for an adapter's protocol (``openai_chat``, ``gemini``, ``bedrock_converse``) and the
    upstream model id (on Bedrock the model family picks the body shape)."""
    if provider_protocol == "openai_chat":
        return _OPENAI_CODEC
    if provider_protocol == "gemini":
        return _GEMINI_CODEC
    if provider_protocol == "bedrock_converse":
        family = _INFERENCE_PROFILE.sub("", model)
        if family.startswith("amazon.titan-embed"):
            return _TITAN_CODEC
        if family.startswith("cohere.embed"):
            return _COHERE_CODEC
        raise UnsupportedFeature(
            f"embeddings: Bedrock model {model!r} is not a Titan or Cohere embedding model", model=model
        )
    raise UnsupportedFeature(f"embeddings: {provider_protocol} has no embeddings API (model {model!r})", model=model)


# --------------------------------------------------------------------------------------------------------------------
# Shared helpers.


def _carry_extra(request: ir.EmbeddingRequest, codec: str, body: JSONObject, report: list[ir.Adaptation]) -> None:
    """Send ``request.extra`` on when it came from this format; else report each key dropped (see module doc)."""
    if request.source == codec:
        body.update(request.extra)
        return
    if request.source == OPENAI and "input" in request.extra:
        raise UnsupportedFeature("input: token-id inputs can only be sent to OpenAI-format embeddings")
    honoured = _RESPONSE_SHAPING.get(request.source or "", frozenset())
    for key, value in request.extra.items():
        if key in honoured:
            continue
        if key == "requests" and request.source == GEMINI:  # per-text fields: report each field once
            names = sorted({name for overlay in cast("list[JSONObject]", value) for name in overlay})
            report.extend(ir.Adaptation(name, "dropped", f"not supported by {codec}") for name in names)
        else:
            report.append(ir.Adaptation(key, "dropped", f"not supported by {codec}"))


def _only(vectors: list[list[float]], where: str) -> list[float]:
    if len(vectors) != 1:
        raise ProtocolError(f"embeddings: {where} answers with one vector, not {len(vectors)}")
    return vectors[0]


def _present(data: Mapping[str, Any]) -> JSONObject:
    """``data`` without its null entries: SDK dumps spell absent parameters as null."""
    return {key: value for key, value in data.items() if value is not None}


def _object(value: object, where: str) -> JSONObject:
    if not isinstance(value, Mapping):
        raise ProtocolError(f"{where}: must be an object")
    return dict(cast("Mapping[str, Any]", value))


def _array(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ProtocolError(f"{where}: must be a list")
    return cast("list[Any]", value)


def _string(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ProtocolError(f"{where}: must be a string")
    return value


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _integer(value: object, where: str) -> int:
    if not _is_int(value):
        raise ProtocolError(f"{where}: must be an integer")
    return cast("int", value)


def _vector(value: object, where: str) -> list[float]:
    items = _array(value, where)
    for i, item in enumerate(items):
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            raise ProtocolError(f"{where}[{i}]: must be a number")
    return cast("list[float]", items)
