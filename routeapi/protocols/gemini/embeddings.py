"""Embeddings (batchEmbedContents / embedContent)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...errors import UnsupportedFeature
from .json_access import JSONObject, as_int, as_list, as_number, as_object, as_str
from .key_normalisation import EMBED_REQUEST_SPEC, normalise


def _model_resource(model: str) -> str:
    return model if model.startswith(("models/", "tunedModels/")) else f"models/{model}"


def encode_embed_request(
    texts: Sequence[str], *, model: str, dimensions: int | None = None, task_type: str | None = None
) -> JSONObject:
    """A ``batchEmbedContents`` body: one request per text, as the SDK sends it."""
    requests: list[JSONObject] = []
    for text in texts:
        item: JSONObject = {"model": _model_resource(model), "content": {"role": "user", "parts": [{"text": text}]}}
        if task_type is not None:
            item["taskType"] = task_type
        if dimensions is not None:
            item["outputDimensionality"] = dimensions
        requests.append(item)
    return {"requests": requests}


def decode_embed_response(data: Mapping[str, Any]) -> list[list[float]]:
    """The vectors of a ``batchEmbedContents`` (``embeddings``) or ``embedContent`` (``embedding``) response."""
    embeddings = [data["embedding"]] if "embedding" in data else as_list(data.get("embeddings"), "embeddings")
    vectors: list[list[float]] = []
    for i, value in enumerate(embeddings):
        values = as_list(as_object(value, f"embeddings[{i}]").get("values"), f"embeddings[{i}].values")
        vectors.append([as_number(v, f"embeddings[{i}].values") for v in values])
    return vectors


def decode_embed_request(body: Mapping[str, Any]) -> tuple[list[str], int | None, str | None]:
    """An inbound ``embedContent`` or ``batchEmbedContents`` body -> (texts, dimensions, task type)."""
    data = as_object(normalise(body, EMBED_REQUEST_SPEC), "body")
    single = "requests" not in data
    items = [data] if single else as_list(data["requests"], "requests")
    texts: list[str] = []
    settings: set[tuple[int | None, str | None]] = set()
    for i, value in enumerate(items):
        where = "" if single else f"requests[{i}]."
        item = as_object(value, where.rstrip(".") or "body")
        content = as_object(item.get("content"), f"{where}content")
        text = ""
        for j, part in enumerate(as_list(content.get("parts"), f"{where}content.parts")):
            part = as_object(part, f"{where}content.parts[{j}]")
            if "text" not in part:
                raise UnsupportedFeature(f"{where}content.parts[{j}]: only text can be embedded")
            text += as_str(part["text"], f"{where}content.parts[{j}].text")
        texts.append(text)
        dims = item.get("outputDimensionality")
        task = item.get("taskType")
        settings.add(
            (
                as_int(dims, f"{where}outputDimensionality") if dims is not None else None,
                as_str(task, f"{where}taskType") if task is not None else None,
            )
        )
    if len(settings) > 1:
        raise UnsupportedFeature("requests: every request must use the same taskType and outputDimensionality")
    dimensions, task_type = settings.pop() if settings else (None, None)
    return texts, dimensions, task_type
