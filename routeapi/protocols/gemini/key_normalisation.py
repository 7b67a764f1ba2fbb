"""Key normalisation. A spec names, per structural object, the keys whose values are structural too; the
keys of every structural object are camelCased, values of keys outside the spec are kept verbatim (user JSON lives
there)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias, Union, cast

from .json_access import JSONObject

_SCHEMA = "gemini-schema"
_Spec: TypeAlias = Union["dict[str, _Spec]", str]

_BLOB: _Spec = {}
_PART: _Spec = {
    "inlineData": _BLOB,
    "fileData": _BLOB,
    "functionCall": {},  # args stays verbatim
    "functionResponse": {"parts": {"inlineData": _BLOB, "fileData": _BLOB}},  # response stays verbatim
    "executableCode": {},
    "codeExecutionResult": {},
    "videoMetadata": {},
}
_CONTENT: _Spec = {"parts": _PART}
_TOOL: _Spec = {
    "functionDeclarations": {"parameters": _SCHEMA, "response": _SCHEMA},  # the *JsonSchema forms stay verbatim
    "googleSearch": {},
    "googleSearchRetrieval": {"dynamicRetrievalConfig": {}},
    "codeExecution": {},
    "urlContext": {},
}
REQUEST_SPEC: _Spec = {
    "contents": _CONTENT,
    "systemInstruction": _CONTENT,
    "tools": _TOOL,
    "toolConfig": {"functionCallingConfig": {}, "retrievalConfig": {}},
    "safetySettings": {},
    "generationConfig": {"thinkingConfig": {}, "responseSchema": _SCHEMA, "imageConfig": {}},
}
_USAGE: _Spec = {
    "promptTokensDetails": {},
    "candidatesTokensDetails": {},
    "cacheTokensDetails": {},
    "toolUsePromptTokensDetails": {},
}
RESPONSE_SPEC: _Spec = {
    "candidates": {"content": _CONTENT, "safetyRatings": {}, "citationMetadata": {"citations": {}}},
    "usageMetadata": _USAGE,
    "promptFeedback": {"safetyRatings": {}},
    "error": {},
}
EMBED_REQUEST_SPEC: _Spec = {"content": _CONTENT, "requests": {"content": _CONTENT}}


def camel(key: str) -> str:
    if "_" not in key or key.startswith("_"):
        return key
    head, *rest = key.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def normalise(value: Any, spec: _Spec) -> Any:
    if isinstance(spec, str):
        return normalise_schema(value)
    if isinstance(value, list):
        return [normalise(item, spec) for item in cast("list[Any]", value)]
    if not isinstance(value, Mapping):
        return value
    out: JSONObject = {}
    for key, item in cast("Mapping[str, Any]", value).items():
        if item is None:  # SDK ``model_dump()`` output spells absent fields as None
            continue
        name = camel(key)
        sub = spec.get(name)
        out[name] = item if sub is None else normalise(item, sub)
    return out


def normalise_schema(value: Any) -> Any:
    """camelCase a Gemini Schema's keywords, but not the property names it defines."""
    if not isinstance(value, Mapping):
        return value
    out: JSONObject = {}
    for key, item in cast("Mapping[str, Any]", value).items():
        if item is None:
            continue
        name = camel(key)
        if name in ("properties", "defs") and isinstance(item, Mapping):
            out[name] = {prop: normalise_schema(sub) for prop, sub in cast("Mapping[str, Any]", item).items()}
        elif name in ("items", "additionalProperties"):
            out[name] = normalise_schema(item)
        elif name == "anyOf" and isinstance(item, list):
            out[name] = [normalise_schema(sub) for sub in cast("list[Any]", item)]
        else:
            out[name] = item
    return out
