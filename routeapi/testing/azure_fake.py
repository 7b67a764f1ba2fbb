"""FakeAzureOpenAI: FakeOpenAI behind Azure OpenAI's URLs, with Azure's content-filter annotations."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from routeapi.testing._base import Endpoint, JSONObject, RecordedRequest, sse_event
from routeapi.testing._http import HTTPRequest
from routeapi.testing._script import Fault, Reply
from routeapi.testing.openai_fake import FakeOpenAI

_DEPLOYMENT_PATH = re.compile(r"/openai/deployments/(?P<deployment>[^/]+)/(?P<operation>chat/completions|embeddings)")
# The Responses API path of the api-version form: like deployment paths, a 404 without `api-version`.
_VERSIONED_RESPONSES_PATH = "/openai/responses"
_PROMPT_FILTERED = (
    "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify"
    " your prompt and retry. To learn more about our content filtering policies please read our documentation:"
    " https://go.microsoft.com/fwlink/?linkid=2198766"
)
_SEVERITY_CATEGORIES = ("hate", "self_harm", "sexual", "violence")
# A content_filter finish reports this category as the one that fired.
_OUTPUT_FILTERED_CATEGORY = "violence"


class FakeAzureOpenAI(FakeOpenAI):
    """A fake Azure OpenAI resource. Point the SDKs at it with::

        openai.AzureOpenAI(azure_endpoint=fake.endpoint, api_version="2024-10-21", api_key="k")
        openai.OpenAI(base_url=fake.base_url, api_key="k")  # the v1 GA form, {endpoint}/openai/v1/

    Serves ``/openai/deployments/{deployment}/chat/completions``, ``.../embeddings`` and ``/openai/responses``
    (``api-version`` query required: without it, like Azure, a 404 ``Resource not found``), and
    ``/openai/v1/chat/completions``, ``/openai/v1/responses``, ``/openai/v1/embeddings``, ``/openai/v1/models``.
    Scripts are keyed by the deployment in the path, else by the body's ``model`` (the Responses API and the v1
    form). Responses API answers are FakeOpenAI's, without content-filter annotations. Auth: ``api-key`` or
    ``Authorization: Bearer``. Anything else is a 404.

    Chat completions carry Azure's ``prompt_filter_results`` and per-choice ``content_filter_results`` (all categories
    safe); a ``content_filter`` finish reports ``violence`` at ``high``, filtered. Streams start with Azure's
    prompt-filter frame (empty ``id`` and ``model``, no choices). ``Fault.blocked`` answers Azure's 400
    ``content_filter`` error with ``innererror.content_filter_result``: the category named by ``reason``
    (``hate``, ``self_harm``, ``sexual``, ``violence``) is filtered at ``high``, any other reason reports a jailbreak.
    """

    vendor: ClassVar[str] = "Azure OpenAI"
    base_path: ClassVar[str] = "/openai/v1"

    def __init__(self, api_key: str | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(api_key, host, port)
        stream = self._render_completion_stream
        self._deployment_routes = {
            "chat/completions": Endpoint(self._render_completion, stream, required=("messages",)),
            "embeddings": Endpoint(self._render_embeddings, required=("input",)),
        }
        self._routes = {
            ("POST", "/openai/v1/chat/completions"): Endpoint(
                self._render_completion, stream, required=("model", "messages")
            ),
            ("POST", _VERSIONED_RESPONSES_PATH): self._responses_endpoint(),
            ("POST", "/openai/v1/responses"): self._responses_endpoint(),
            ("POST", "/openai/v1/embeddings"): Endpoint(self._render_embeddings, required=("model", "input")),
            ("GET", "/openai/v1/models"): Endpoint(self._render_models, scripted=False),
        }

    @property
    def endpoint(self) -> str:
        """What to pass as ``AzureOpenAI(azure_endpoint=...)``: scheme, host and port."""
        return self.url

    # FakeUpstream hooks

    def _endpoint(self, method: str, path: str) -> Endpoint | None:
        match = _DEPLOYMENT_PATH.fullmatch(path.rstrip("/"))
        if match is not None:
            return self._deployment_routes[match["operation"]] if method == "POST" else None
        return self._routes.get((method, path.rstrip("/")))

    def _route(self, request: RecordedRequest) -> Endpoint | None:
        path = request.path.rstrip("/")
        versioned = path == _VERSIONED_RESPONSES_PATH or _DEPLOYMENT_PATH.fullmatch(path) is not None
        if versioned and "api-version" not in request.query:
            return None
        return super()._route(request)

    def _model_of(self, request: HTTPRequest, body: Any) -> str | None:
        match = _DEPLOYMENT_PATH.fullmatch(request.path.rstrip("/"))
        return match["deployment"] if match else super()._model_of(request, body)

    def _error_body(self, status: int, message: str, error_type: str | None) -> JSONObject:
        if status == 404 and error_type is None:
            return {"error": {"code": "404", "message": "Resource not found"}}
        return super()._error_body(status, message, error_type)

    def _blocked_body(self, fault: Fault) -> JSONObject:
        category = (fault.reason or "").lower()
        results: JSONObject = {
            "hate": _severity(filtered=category == "hate"),
            "jailbreak": _detection(category not in _SEVERITY_CATEGORIES),
            "self_harm": _severity(filtered=category == "self_harm"),
            "sexual": _severity(filtered=category == "sexual"),
            "violence": _severity(filtered=category == "violence"),
        }
        return {
            "error": {
                "message": fault.message or _PROMPT_FILTERED,
                "type": None,
                "param": "prompt",
                "code": "content_filter",
                "status": 400,
                "innererror": {"code": "ResponsibleAIPolicyViolation", "content_filter_result": results},
            }
        }

    # chat completions with content-filter annotations

    def _render_completion(self, reply: Reply, request: RecordedRequest, sequence: int) -> JSONObject:
        completion = super()._render_completion(reply, request, sequence)
        for choice in completion["choices"]:
            choice["content_filter_results"] = _output_results(filtered=reply.finish_reason == "content_filter")
        return {"prompt_filter_results": _prompt_filter_results(), **completion}

    def _render_completion_stream(self, reply: Reply, request: RecordedRequest, sequence: int) -> list[bytes]:
        prompt_frame = {
            "choices": [],
            "created": 0,
            "id": "",
            "model": "",
            "object": "",
            "prompt_filter_results": _prompt_filter_results(),
        }
        chunks = self._completion_chunks(reply, request, sequence)
        for chunk in chunks:
            for choice in chunk["choices"]:
                choice["content_filter_results"] = _chunk_results(choice)
        return [sse_event(prompt_frame), *(sse_event(chunk) for chunk in chunks), b"data: [DONE]\n\n"]


def _severity(*, filtered: bool) -> JSONObject:
    return {"filtered": filtered, "severity": "high" if filtered else "safe"}


def _detection(detected: bool) -> JSONObject:
    return {"filtered": detected, "detected": detected}


def _prompt_filter_results() -> list[JSONObject]:
    results: JSONObject = {
        "hate": _severity(filtered=False),
        "jailbreak": _detection(False),
        "self_harm": _severity(filtered=False),
        "sexual": _severity(filtered=False),
        "violence": _severity(filtered=False),
    }
    return [{"prompt_index": 0, "content_filter_results": results}]


def _output_results(*, filtered: bool) -> JSONObject:
    return {
        "hate": _severity(filtered=False),
        "protected_material_code": _detection(False),
        "protected_material_text": _detection(False),
        "self_harm": _severity(filtered=False),
        "sexual": _severity(filtered=False),
        "violence": _severity(filtered=False),
        **({_OUTPUT_FILTERED_CATEGORY: _severity(filtered=True)} if filtered else {}),
    }


def _chunk_results(choice: JSONObject) -> JSONObject:
    """Content chunks are annotated, a content_filter finish names the category; other chunks carry ``{}``."""
    if choice["finish_reason"] == "content_filter":
        return _output_results(filtered=True)
    delta: JSONObject = choice["delta"]
    return _output_results(filtered=False) if delta.get("content") or delta.get("tool_calls") else {}
