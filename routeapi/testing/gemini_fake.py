"""FakeGemini: generateContent (plain and streamed), embeddings and the model list, as the Gemini Developer API."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import unquote

from routeapi.testing._base import Endpoint, FakeUpstream, JSONObject, RecordedRequest, as_list, as_object
from routeapi.testing._http import HTTPExchange, HTTPRequest
from routeapi.testing._script import Fault, Reply, ToolCall
from routeapi.testing.openai_fake import FakeOpenAI

_ACTION_PATH = re.compile(r"/(?:v1beta|v1)/models/(?P<model>[^/:]+):(?P<action>[A-Za-z]+)")
_MODELS_PATH = re.compile(r"/(?:v1beta|v1)/models")
_FINISH_REASONS = {
    "stop": "STOP",
    "stop_sequence": "STOP",
    "tool_calls": "STOP",  # Gemini has no tool-call finish: the functionCall parts say it
    "length": "MAX_TOKENS",
    "content_filter": "SAFETY",
}
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_STATUS_CODES = {
    **{name: code for code, name in _STATUS_NAMES.items()},
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "UNKNOWN": 500,
}
# Fault.stream_error takes other vendors' error types too (its default is Anthropic's overloaded_error).
_FOREIGN_ERROR_STATUS = {
    "overloaded_error": "UNAVAILABLE",
    "rate_limit_error": "RESOURCE_EXHAUSTED",
    "invalid_request_error": "INVALID_ARGUMENT",
}
_BLOCKED_RATING: JSONObject = {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}
_LISTED_MODELS = ("gemini-2.5-flash", "gemini-2.5-pro", "text-embedding-004")
_DEFAULT_DIMENSIONS = 8


class FakeGemini(FakeUpstream):
    """A fake ``https://generativelanguage.googleapis.com``, serving both ``/v1beta`` and ``/v1``. Point
    google-genai at it with::

        genai.Client(api_key="k", http_options=types.HttpOptions(base_url=fake.base_url, api_version="v1beta"))

    (without ``api_version`` google-genai 3.x uses ``/v1``, which works too; the SDK retries nothing unless
    ``HttpOptions.retry_options`` is set, so faults reach the caller at once).

    Auth: ``x-goog-api-key`` header or ``?key=`` query. Scripts are keyed by the model in the path, without the
    ``models/`` prefix. ``:streamGenerateContent?alt=sse`` streams SSE ``data:`` events with no terminator (the
    last chunk, carrying ``finishReason`` and the full ``usageMetadata``, ends the answer); without ``alt=sse``
    it writes one JSON array incrementally (``[{...}``, ``,{...}``, ``]``). Streamed text comes in
    ``Reply.chunk_size`` pieces; all function calls arrive whole in the last chunk. A ``thinking_signature``
    goes on the first functionCall part, else on the first text part. String tool arguments that are not a JSON
    object become ``{"_raw": text}``. ``Reply.extra`` is merged into every response object.

    ``Fault.blocked`` answers 200 with ``promptFeedback.blockReason`` and no candidates; ``Fault.stream_error``
    sends ``{"error": {...}}`` as a chunk, its ``error_type`` being a Gemini status (``UNAVAILABLE``...) or
    another vendor's error type. Embedding vectors are :meth:`embedding_for` (8 dimensions unless the request
    sets ``outputDimensionality``).
    """

    vendor: ClassVar[str] = "Gemini"
    request_id_header: ClassVar[str] = "x-request-id"

    def __init__(self, api_key: str | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(api_key, host, port)
        generate = Endpoint(self._render_response, self._render_stream, required=("contents",))
        self._actions = {
            "generateContent": generate,
            "streamGenerateContent": generate,
            "embedContent": Endpoint(self._render_embedding, required=("content",)),
            "batchEmbedContents": Endpoint(self._render_batch_embeddings, required=("requests",)),
        }
        self._model_list = Endpoint(self._render_models, scripted=False)

    @staticmethod
    def embedding_for(text: str, dimensions: int = _DEFAULT_DIMENSIONS) -> list[float]:
        """The fake's deterministic unit vector for ``text`` (the same as FakeOpenAI's)."""
        return FakeOpenAI.embedding_for(text, dimensions)

    # FakeUpstream hooks

    def _endpoint(self, method: str, path: str) -> Endpoint | None:
        path = path.rstrip("/")
        if method == "GET" and _MODELS_PATH.fullmatch(path):
            return self._model_list
        match = _ACTION_PATH.fullmatch(path)
        return self._actions.get(match["action"]) if method == "POST" and match else None

    def _presented_key(self, headers: Mapping[str, str]) -> str | None:
        return headers.get("x-goog-api-key") or None

    def _request_key(self, request: RecordedRequest) -> str | None:
        return self._presented_key(request.headers) or request.query.get("key") or None

    def _model_of(self, request: HTTPRequest, body: Any) -> str | None:
        match = _ACTION_PATH.fullmatch(request.path.rstrip("/"))
        return unquote(match["model"]) if match else None

    def _is_stream(self, request: HTTPRequest, body: Any) -> bool:
        match = _ACTION_PATH.fullmatch(request.path.rstrip("/"))
        return match is not None and match["action"] == "streamGenerateContent"

    def _error_body(self, status: int, message: str, error_type: str | None) -> JSONObject:
        name = error_type or _STATUS_NAMES.get(status, "UNKNOWN")
        return {"error": {"code": status, "message": message, "status": name}}

    def _stream_error_event(self, error_type: str, message: str) -> bytes:
        name = error_type if error_type in _STATUS_CODES else _FOREIGN_ERROR_STATUS.get(error_type, "INTERNAL")
        return _json_bytes({"error": {"code": _STATUS_CODES[name], "message": message, "status": name}})

    def _malformed_event(self) -> bytes:
        return b'{"broken'

    def _stream_content_type(self, request: RecordedRequest) -> str:
        return "text/event-stream" if _sse(request) else "application/json; charset=UTF-8"

    def _frame_stream(self, request: RecordedRequest, events: Sequence[bytes], *, complete: bool) -> list[bytes]:
        # Events are bare JSON texts here; the framing depends on `alt=sse`.
        if _sse(request):
            return [b"data: " + event + b"\n\n" for event in events]
        chunks = [(b"," if index else b"[") + event for index, event in enumerate(events)]
        if complete:
            chunks.append(b"]" if chunks else b"[]")
        return chunks

    async def _send_blocked(
        self, exchange: HTTPExchange, request: RecordedRequest, fault: Fault, sequence: int, streaming: bool
    ) -> None:
        feedback: JSONObject = {"blockReason": fault.reason}
        if fault.message:
            feedback["blockReasonMessage"] = fault.message
        if fault.reason == "SAFETY":
            feedback["safetyRatings"] = [_BLOCKED_RATING]
        body = {"promptFeedback": feedback, "modelVersion": request.model, "responseId": _response_id(None, sequence)}
        if streaming:
            await self._send_events(exchange, request, [_json_bytes(body)], end=True)
        else:
            await self._send_json(exchange, request, 200, body)

    def _validate(self, request: RecordedRequest) -> str | None:
        body: dict[str, Any] = request.json
        if request.path.endswith(":batchEmbedContents"):
            items = as_list(body["requests"])
            if items is None or not all(as_object(_field(item, "content")) is not None for item in items):
                return "requests must be a list of EmbedContentRequest objects with a content."
            return next((problem for item in items if (problem := _dimensions_problem(item))), None)
        if request.path.endswith(":embedContent"):
            return _dimensions_problem(body)
        return None

    # generateContent

    def _render_response(self, reply: Reply, request: RecordedRequest, sequence: int) -> JSONObject:
        parts: list[JSONObject] = []
        if reply.thinking:
            parts.append({"text": reply.thinking, "thought": True})
        if reply.text:
            parts.append({"text": reply.text})
        parts += [_function_call_part(call) for call in reply.tool_calls]
        _sign([parts], reply.thinking_signature)
        return self._response_object(reply, request, sequence, parts, final=True)

    def _render_stream(self, reply: Reply, request: RecordedRequest, sequence: int) -> list[bytes]:
        chunk_parts: list[list[JSONObject]] = [
            [{"text": piece, "thought": True}] for piece in reply.pieces(reply.thinking or "")
        ]
        chunk_parts += [[{"text": piece}] for piece in reply.pieces(reply.text)]
        if reply.tool_calls:
            chunk_parts.append([_function_call_part(call) for call in reply.tool_calls])
        chunk_parts = chunk_parts or [[]]
        _sign(chunk_parts, reply.thinking_signature)
        last = len(chunk_parts) - 1
        return [
            _json_bytes(self._response_object(reply, request, sequence, parts, final=index == last))
            for index, parts in enumerate(chunk_parts)
        ]

    def _response_object(
        self, reply: Reply, request: RecordedRequest, sequence: int, parts: list[JSONObject], *, final: bool
    ) -> JSONObject:
        candidates = [_candidate(reply, index, parts, final=final) for index in range(_candidate_count(reply, request))]
        return {
            "candidates": candidates,
            "usageMetadata": _usage(reply) if final else _prompt_usage(reply),
            "modelVersion": reply.model or request.model,
            "responseId": _response_id(reply.id, sequence),
            **reply.extra,
        }

    # embeddings and models

    def _render_embedding(self, reply: Reply, request: RecordedRequest, sequence: int) -> JSONObject:
        return {"embedding": {"values": self._vector(request.json)}, **reply.extra}

    def _render_batch_embeddings(self, reply: Reply, request: RecordedRequest, sequence: int) -> JSONObject:
        items = as_list(request.param("requests")) or []
        return {"embeddings": [{"values": self._vector(item)} for item in items], **reply.extra}

    def _vector(self, embed_request: Any) -> list[float]:
        content = as_object(_field(embed_request, "content")) or {}
        texts = [part.get("text", "") for part in _objects(content.get("parts"))]
        dimensions = _field(embed_request, "outputDimensionality") or _DEFAULT_DIMENSIONS
        return self.embedding_for("\n".join(texts), dimensions)

    def _render_models(self, reply: Reply, request: RecordedRequest, sequence: int) -> JSONObject:
        with self._lock:
            names = sorted(set(_LISTED_MODELS) | set(self._scripts))
        return {"models": [_model_entry(name) for name in names]}


def _sse(request: RecordedRequest) -> bool:
    return request.query.get("alt") == "sse"


def _json_bytes(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def _response_id(reply_id: str | None, sequence: int) -> str:
    return reply_id or f"fake-response-{sequence}"


def _field(value: Any, name: str) -> Any:
    """A field by its camelCase name, also found in snake_case: Gemini's JSON parser takes both (and the SDK
    sends some nested keys in snake_case)."""
    fields = as_object(value)
    if fields is None:
        return None
    return fields[name] if name in fields else fields.get(re.sub(r"([A-Z])", r"_\1", name).lower())


def _objects(value: Any) -> list[dict[str, Any]]:
    return [item for item in map(as_object, as_list(value) or []) if item is not None]


def _dimensions_problem(embed_request: Any) -> str | None:
    dimensions = _field(embed_request, "outputDimensionality")
    if dimensions is None or (isinstance(dimensions, int) and not isinstance(dimensions, bool) and dimensions > 0):
        return None
    return "outputDimensionality must be a positive integer."


def _candidate_count(reply: Reply, request: RecordedRequest) -> int:
    if reply.n > 1:
        return reply.n
    requested = _field(request.param("generationConfig") or request.param("generation_config"), "candidateCount")
    return requested if isinstance(requested, int) and requested > 1 else 1


def _candidate(reply: Reply, index: int, parts: list[JSONObject], *, final: bool) -> JSONObject:
    # An empty answer has a content without parts, as the real API sends it.
    content: JSONObject = {"role": "model", "parts": parts} if parts else {"role": "model"}
    candidate: JSONObject = {"content": content, "index": index}
    if final:
        candidate["finishReason"] = _FINISH_REASONS[reply.finish_reason]
        if reply.finish_reason == "content_filter":
            candidate["safetyRatings"] = [_BLOCKED_RATING]
    return candidate


def _function_call_part(call: ToolCall) -> JSONObject:
    function_call: JSONObject = {"name": call.name, "args": _arguments(call.arguments)}
    if call.id is not None:
        function_call["id"] = call.id
    return {"functionCall": function_call}


def _arguments(arguments: Mapping[str, Any] | str) -> JSONObject:
    if not isinstance(arguments, str):
        return dict(arguments)
    try:
        parsed = as_object(json.loads(arguments))
    except ValueError:
        parsed = None
    return parsed if parsed is not None else {"_raw": arguments}


def _sign(chunk_parts: list[list[JSONObject]], signature: str | None) -> None:
    """Put the thought signature on the first functionCall part, else on the first answer text part."""
    if signature is None:
        return
    parts = [part for chunk in chunk_parts for part in chunk]
    calls = [part for part in parts if "functionCall" in part]
    texts = [part for part in parts if "text" in part and not part.get("thought")]
    target = calls or texts
    if target:
        target[0]["thoughtSignature"] = signature


def _usage(reply: Reply) -> JSONObject:
    usage: JSONObject = {"promptTokenCount": reply.input_tokens}
    if reply.cache_read_tokens:
        usage["cachedContentTokenCount"] = reply.cache_read_tokens
    # candidatesTokenCount excludes thoughts; the script's output_tokens includes them.
    usage["candidatesTokenCount"] = reply.output_tokens - reply.reasoning_tokens
    if reply.reasoning_tokens:
        usage["thoughtsTokenCount"] = reply.reasoning_tokens
    usage["totalTokenCount"] = reply.input_tokens + reply.output_tokens
    return usage


def _prompt_usage(reply: Reply) -> JSONObject:
    """The usage of a chunk before the last: the prompt is counted, the answer not yet."""
    return {"promptTokenCount": reply.input_tokens, "totalTokenCount": reply.input_tokens}


def _model_entry(name: str) -> JSONObject:
    methods = ["embedContent", "batchEmbedContents"] if "embedding" in name else ["generateContent", "countTokens"]
    return {"name": f"models/{name}", "version": "001", "displayName": name, "supportedGenerationMethods": methods}
