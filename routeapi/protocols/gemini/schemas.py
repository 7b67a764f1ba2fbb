"""Schemas: Gemini's OpenAPI subset (uppercase types, ``nullable``) <-> JSON Schema."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

from .json_access import JSONObject, as_int, as_object
from .key_normalisation import normalise_schema

_COUNT_KEYWORDS = ("minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties")
_SHARED_KEYWORDS = ("description", "title", "format", "pattern", "default", "minimum", "maximum", "required", "enum")


def gemini_schema_to_json_schema(schema: Mapping[str, Any]) -> JSONObject:
    """A Gemini ``Schema`` as JSON Schema. ``propertyOrdering`` and the ``enum`` format have no JSON Schema meaning and
    are dropped."""
    return gemini_to_json(as_object(normalise_schema(schema), "schema"))


def gemini_to_json(schema: JSONObject) -> JSONObject:
    out: JSONObject = {}
    for key, value in schema.items():
        if key == "type":
            if isinstance(value, str) and value.upper() != "TYPE_UNSPECIFIED":
                out["type"] = value.lower()
        elif key == "properties" and isinstance(value, dict):
            out["properties"] = {name: _gemini_to_json_any(sub) for name, sub in cast("JSONObject", value).items()}
        elif key in ("items", "additionalProperties"):
            out[key] = _gemini_to_json_any(value)
        elif key == "anyOf" and isinstance(value, list):
            out["anyOf"] = [_gemini_to_json_any(sub) for sub in cast("list[Any]", value)]
        elif key == "defs" and isinstance(value, dict):
            out["$defs"] = {name: _gemini_to_json_any(sub) for name, sub in cast("JSONObject", value).items()}
        elif key == "ref" and isinstance(value, str):
            out["$ref"] = value.replace("#/defs/", "#/$defs/", 1)
        elif key == "example":
            out["examples"] = [value]
        elif key in _COUNT_KEYWORDS:
            out[key] = as_int(value, f"schema.{key}")
        elif key == "format" and value == "enum":
            continue
        elif key in _SHARED_KEYWORDS:
            out[key] = value
    if schema.get("nullable") is True:
        _make_nullable(out)
    return out


def _gemini_to_json_any(value: Any) -> Any:
    return gemini_to_json(cast("JSONObject", value)) if isinstance(value, dict) else value


def _make_nullable(schema: JSONObject) -> None:
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    elif isinstance(schema.get("anyOf"), list):
        schema["anyOf"] = [*schema["anyOf"], {"type": "null"}]
    enum = schema.get("enum")
    if isinstance(enum, list) and None not in enum:
        schema["enum"] = [*cast("list[Any]", enum), None]


def json_schema_to_gemini_schema(schema: Mapping[str, Any]) -> JSONObject:
    """JSON Schema as a Gemini ``Schema``: lowercase types become uppercase, ``null`` unions become ``nullable``,
    ``oneOf`` becomes ``anyOf``, ``const`` a one-value ``enum``; keywords Gemini lacks are dropped."""
    out: JSONObject = {}
    nullable = False
    for key, value in schema.items():
        if key == "type":
            kinds = [value] if isinstance(value, str) else cast("list[Any]", value) if isinstance(value, list) else []
            concrete = [str(kind).upper() for kind in kinds if kind != "null"]
            nullable = nullable or len(concrete) < len(kinds)
            if len(concrete) == 1:
                out["type"] = concrete[0]
            elif concrete:
                out.setdefault("anyOf", []).extend({"type": kind} for kind in concrete)
            elif kinds:
                out["type"] = "NULL"
        elif key in ("anyOf", "oneOf") and isinstance(value, list):
            for branch in cast("list[Any]", value):
                if branch == {"type": "null"}:
                    nullable = True
                else:
                    out.setdefault("anyOf", []).append(_json_to_gemini_any(branch))
        elif key == "const":
            out["enum"] = [value]
        elif key == "enum" and isinstance(value, list):
            values = [item for item in cast("list[Any]", value) if item is not None]
            nullable = nullable or len(values) < len(cast("list[Any]", value))
            out["enum"] = values
        elif key == "properties" and isinstance(value, dict):
            out["properties"] = {name: _json_to_gemini_any(sub) for name, sub in cast("JSONObject", value).items()}
        elif key in ("items", "additionalProperties"):
            if isinstance(value, (dict, bool)):
                out[key] = _json_to_gemini_any(value)
        elif key in ("$defs", "definitions") and isinstance(value, dict):
            out["defs"] = {name: _json_to_gemini_any(sub) for name, sub in cast("JSONObject", value).items()}
        elif key == "$ref" and isinstance(value, str):
            out["ref"] = re.sub(r"^#/(\$defs|definitions)/", "#/defs/", value)
        elif key == "examples" and isinstance(value, list) and value:
            out["example"] = cast("list[Any]", value)[0]
        elif key in _COUNT_KEYWORDS or key in _SHARED_KEYWORDS or key == "propertyOrdering":
            out[key] = value
    if nullable:
        out["nullable"] = True
    return out


def _json_to_gemini_any(value: Any) -> Any:
    return json_schema_to_gemini_schema(cast("JSONObject", value)) if isinstance(value, dict) else value
