"""FakeBedrock: Converse, ConverseStream (binary event stream) and embeddings by InvokeModel, as Bedrock Runtime."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import unquote

from routeapi.testing._base import Endpoint, FakeUpstream, JSONObject, RecordedRequest, as_list, as_object
from routeapi.testing._eventstream import event_frame, exception_frame, with_corrupted_checksum
from routeapi.testing._http import HTTPRequest
from routeapi.testing._script import Reply, ToolCall
from routeapi.testing.openai_fake import FakeOpenAI

_PATH = re.compile(r"/model/(?P<model>[^/]+)/(?P<action>converse|converse-stream|invoke)/?")
_CREDENTIAL = re.compile(r"Credential=(?P<access_key>[^/,\s]+)/")
_STOP_REASONS = {
    "stop": "end_turn",
    "stop_sequence": "stop_sequence",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "content_filtered",
}
_ERROR_TYPES = {
    400: "ValidationException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    408: "ModelTimeoutException",
    424: "ModelErrorException",
    429: "ThrottlingException",
    500: "InternalServerException",
    503: "ServiceUnavailableException",
}
# AWS appends the service namespace to the error type header; botocore keeps the text before the colon.
_ERROR_NAMESPACE = "http://internal.amazon.com/coral/com.amazon.bedrock/"
_DEFAULT_STREAM_EXCEPTION = "modelStreamErrorException"
_EMBEDDING_DIMENSIONS = 8
_COHERE_EMBEDDING_TYPES = ("float",)


class FakeBedrock(FakeUpstream):
    """A fake ``https://bedrock-runtime.{region}.amazonaws.com``. Point boto3 at it with::

        boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=fake.url,
                     aws_access_key_id="AKIDTEST", aws_secret_access_key="x",
                     config=Config(retries={"total_max_attempts": 1}))

    Auth: a SigV4 ``Authorization: AWS4-HMAC-SHA256 Credential=<access key id>/...`` header (the signature is not
    checked) or ``Authorization: Bearer <Bedrock API key>``; ``api_key``, when set, must equal the access key id or
    the bearer token. Scripts are keyed by the decoded model id (``anthropic.claude-3-5-sonnet-20240620-v1:0``).

    Errors carry ``x-amzn-ErrorType`` (from ``Fault.status``'s ``error_type``, else from the status) and a
    ``{"message"}`` body. ``Fault.stream_error``'s ``error_type`` names the in-stream exception; names that are not
    Bedrock exceptions (such as the default ``overloaded_error``) become ``modelStreamErrorException``.
    ``Fault.malformed`` inserts a frame whose CRC is wrong. A thinking reply without ``thinking_signature`` has
    no signature. String tool arguments that are not a JSON object become ``{"_raw": text}`` when not streamed.
    ``Reply.extra`` is merged into the Converse body; when streaming, ``additionalModelResponseFields`` goes into
    ``messageStop`` and other keys into ``metadata``. ``metrics.latencyMs`` is the time since the request arrived.

    ``/invoke`` serves embeddings: Titan (``{"inputText"}``) and Cohere (model ids ``cohere.embed…``), with
    vectors from :meth:`embedding_for` (8 dimensions unless the Titan body sets ``dimensions``);
    ``inputTextTokenCount`` is ``Reply.input_tokens``.
    """

    vendor: ClassVar[str] = "Bedrock"
    request_id_header: ClassVar[str] = "x-amzn-RequestId"
    stream_content_type: ClassVar[str] = "application/vnd.amazon.eventstream"

    def __init__(self, api_key: str | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(api_key, host, port)
        self._routes = {
            "converse": Endpoint(self._render_converse, required=("messages",)),
            "converse-stream": Endpoint(self._render_converse, self._render_converse_stream, required=("messages",)),
            "invoke": Endpoint(self._render_embeddings),
        }

    @staticmethod
    def embedding_for(text: str, dimensions: int = _EMBEDDING_DIMENSIONS) -> list[float]:
        """The fake's deterministic unit vector for ``text`` (the same as every other fake's)."""
        return FakeOpenAI.embedding_for(text, dimensions)

    # FakeUpstream hooks

    def _endpoint(self, method: str, path: str) -> Endpoint | None:
        action = _action(path)
        return self._routes[action] if method == "POST" and action is not None else None

    def _model_of(self, request: HTTPRequest, body: Any) -> str | None:
        match = _PATH.fullmatch(request.path)
        return unquote(match["model"]) if match is not None else None

    def _is_stream(self, request: HTTPRequest, body: Any) -> bool:
        return _action(request.path) == "converse-stream"

    def _presented_key(self, headers: Mapping[str, str]) -> str | None:
        scheme, _, rest = headers.get("authorization", "").partition(" ")
        if scheme == "AWS4-HMAC-SHA256":
            credential = _CREDENTIAL.search(rest)
            return credential["access_key"] if credential is not None else None
        if scheme.lower() == "bearer" and rest.strip():
            return rest.strip()
        return None

    def _auth_problem(self, key: str | None) -> tuple[int, str, str | None] | None:
        if key is None:
            return 403, "Missing Authentication Token", "AccessDeniedException"
        if self.api_key is not None and key != self.api_key:
            return 403, "The security token included in the request is invalid.", "UnrecognizedClientException"
        return None

    def _error_body(self, status: int, message: str, error_type: str | None) -> JSONObject:
        return {"message": message}

    def _error_headers(self, status: int, error_type: str | None) -> dict[str, str]:
        if error_type is None:
            fallback = "InternalServerException" if status >= 500 else "ValidationException"
            error_type = _ERROR_TYPES.get(status, fallback)
        return {"x-amzn-ErrorType": f"{error_type}:{_ERROR_NAMESPACE}"}

    def _stream_error_event(self, error_type: str, message: str) -> bytes:
        return exception_frame(_stream_exception_name(error_type), {"message": message})

    def _malformed_event(self) -> bytes:
        return with_corrupted_checksum(
            event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": ""}})
        )

    def _validate(self, request: RecordedRequest) -> str | None:
        if _action(request.path) != "invoke":
            return None
        body = as_object(request.json)
        if body is None:
            return "The request body must be a JSON object."
        if _is_cohere(request.model):
            return _cohere_problem(body)
        return _titan_problem(body)

    # Converse

    def _render_converse(self, reply: Reply, request: RecordedRequest, sequence: int) -> JSONObject:
        content: list[JSONObject] = []
        if reply.thinking is not None:
            content.append({"reasoningContent": {"reasoningText": _reasoning_text(reply)}})
        if reply.text:
            content.append({"text": reply.text})
        for index, call in enumerate(reply.tool_calls):
            tool_use = {"toolUseId": _tool_use_id(call, sequence, index), "name": call.name}
            content.append({"toolUse": {**tool_use, "input": _tool_input(call.arguments)}})
        return {
            "output": {"message": {"role": "assistant", "content": content}},
            "stopReason": _STOP_REASONS[reply.finish_reason],
            "usage": _usage(reply),
            "metrics": {"latencyMs": _latency_ms(request)},
            **reply.extra,
        }

    def _render_converse_stream(self, reply: Reply, request: RecordedRequest, sequence: int) -> list[bytes]:
        # (contentBlockStart payload or None, deltas) per block: text and reasoning blocks have no start event.
        blocks: list[tuple[JSONObject | None, list[JSONObject]]] = []
        if reply.thinking is not None:
            deltas = [{"reasoningContent": {"text": piece}} for piece in reply.pieces(reply.thinking)]
            if reply.thinking_signature is not None:
                deltas.append({"reasoningContent": {"signature": reply.thinking_signature}})
            blocks.append((None, deltas))
        if reply.text:
            blocks.append((None, [{"text": piece} for piece in reply.pieces(reply.text)]))
        for position, call in enumerate(reply.tool_calls):
            start = {"toolUse": {"toolUseId": _tool_use_id(call, sequence, position), "name": call.name}}
            blocks.append((start, [{"toolUse": {"input": piece}} for piece in reply.pieces(call.arguments_json)]))

        frames = [event_frame("messageStart", {"role": "assistant"})]
        for index, (start, deltas) in enumerate(blocks):
            if start is not None:
                frames.append(event_frame("contentBlockStart", {"contentBlockIndex": index, "start": start}))
            frames += [event_frame("contentBlockDelta", {"contentBlockIndex": index, "delta": d}) for d in deltas]
            frames.append(event_frame("contentBlockStop", {"contentBlockIndex": index}))
        metadata_extra = dict(reply.extra)
        stop: JSONObject = {"stopReason": _STOP_REASONS[reply.finish_reason]}
        if "additionalModelResponseFields" in metadata_extra:
            stop["additionalModelResponseFields"] = metadata_extra.pop("additionalModelResponseFields")
        frames.append(event_frame("messageStop", stop))
        metadata = {"usage": _usage(reply), "metrics": {"latencyMs": _latency_ms(request)}, **metadata_extra}
        frames.append(event_frame("metadata", metadata))
        return frames

    # InvokeModel (embeddings)

    def _render_embeddings(self, reply: Reply, request: RecordedRequest, sequence: int) -> JSONObject:
        body: dict[str, Any] = request.json
        if not _is_cohere(request.model):
            vector = self.embedding_for(body["inputText"], body.get("dimensions", _EMBEDDING_DIMENSIONS))
            return {"embedding": vector, "inputTextTokenCount": reply.input_tokens, **reply.extra}
        texts: list[str] = body["texts"]
        vectors = [self.embedding_for(text) for text in texts]
        types = as_list(body.get("embedding_types"))
        if types:
            embeddings: Any = dict.fromkeys(types, vectors)
            response_type = "embeddings_by_type"
        else:
            embeddings, response_type = vectors, "embeddings_floats"
        return {
            "embeddings": embeddings,
            "id": reply.id or f"emb-fake{sequence}",
            "response_type": response_type,
            "texts": texts,
            **reply.extra,
        }


def _reasoning_text(reply: Reply) -> JSONObject:
    text: JSONObject = {"text": reply.thinking}
    if reply.thinking_signature is not None:
        text["signature"] = reply.thinking_signature
    return text


def _tool_use_id(call: ToolCall, sequence: int, index: int) -> str:
    return call.id or f"tooluse_{sequence}_{index}"


def _tool_input(arguments: Mapping[str, Any] | str) -> JSONObject:
    """Converse tool input is a JSON object; text that is not one is kept under ``_raw``."""
    if not isinstance(arguments, str):
        return dict(arguments)
    try:
        parsed = as_object(json.loads(arguments))
    except ValueError:
        parsed = None
    return parsed if parsed is not None else {"_raw": arguments}


def _usage(reply: Reply) -> JSONObject:
    usage: JSONObject = {
        # Bedrock reports cache reads and writes apart from inputTokens; the script's count includes them.
        "inputTokens": reply.input_tokens - reply.cache_read_tokens - reply.cache_write_tokens,
        "outputTokens": reply.output_tokens,
        "totalTokens": reply.input_tokens + reply.output_tokens,
    }
    if reply.cache_read_tokens:
        usage["cacheReadInputTokens"] = reply.cache_read_tokens
    if reply.cache_write_tokens:
        usage["cacheWriteInputTokens"] = reply.cache_write_tokens
    return usage


def _latency_ms(request: RecordedRequest) -> int:
    return int((time.monotonic() - request.started) * 1000)


def _stream_exception_name(error_type: str) -> str:
    """The lowerCamel eventstream member name: ``ThrottlingException`` -> ``throttlingException``."""
    if not error_type.endswith("Exception"):
        return _DEFAULT_STREAM_EXCEPTION
    return error_type[0].lower() + error_type[1:]


def _action(path: str) -> str | None:
    """``converse``, ``converse-stream`` or ``invoke`` for a ``/model/{modelId}/...`` path, else None."""
    match = _PATH.fullmatch(path)
    return match["action"] if match is not None else None


def _is_cohere(model: str | None) -> bool:
    return model is not None and model.startswith("cohere.embed")


def _titan_problem(body: dict[str, Any]) -> str | None:
    if not isinstance(body.get("inputText"), str):
        return "The fake serves InvokeModel for embeddings only: expected a Titan body with inputText."
    dimensions = body.get("dimensions", _EMBEDDING_DIMENSIONS)
    if not isinstance(dimensions, int) or isinstance(dimensions, bool) or dimensions < 1:
        return "dimensions must be a positive integer."
    return None


def _cohere_problem(body: dict[str, Any]) -> str | None:
    texts = as_list(body.get("texts"))
    if texts is None or not all(isinstance(text, str) for text in texts):
        return "texts must be a list of strings."
    if not isinstance(body.get("input_type"), str):
        return "input_type is required."
    types = as_list(body.get("embedding_types", []))
    if types is None or any(name not in _COHERE_EMBEDDING_TYPES for name in types):
        return f"embedding_types must be a list of {list(_COHERE_EMBEDDING_TYPES)}."
    return None
