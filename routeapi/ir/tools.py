"""Tool definitions, tool choice and response format."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, Union


@dataclass(slots=True)
class Tool:
    """A function the model may call. ``parameters`` is a JSON Schema object."""

    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None
    provider_details: dict[str, Any] | None = None


@dataclass(slots=True, frozen=True)
class NamedToolChoice:
    """The model must call this tool."""

    name: str


ToolChoice: TypeAlias = Union[Literal["auto", "none", "required"], NamedToolChoice]


@dataclass(slots=True)
class ResponseFormat:
    """``json_object`` asks for any JSON; ``json_schema`` for JSON matching ``schema``."""

    type: Literal["text", "json_object", "json_schema"]
    name: str | None = None
    schema: dict[str, Any] | None = None
    description: str | None = None
    strict: bool | None = None
