"""What a request needs and what a target can do: the capability screen that skips a target before it is tried.

Pure: shared by the sync and async loops. A capability is ``True``, ``False`` or ``None`` (not known); only a known
``False`` skips a target, so a model the catalog has never heard of is tried rather than refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import ir
from ..catalog.models import ModelInfo
from ..config.models import Capabilities as Declared

# APIs with no notion of prefill: a final assistant message there is just history, never continued.
_NO_PREFILL_FAMILIES = frozenset({"openai", "azure_openai", "gemini"})
# Protocols in which a final assistant message asks for its continuation.
PREFILL_PROTOCOLS = frozenset({"anthropic_messages", "bedrock_converse"})


@dataclass(frozen=True, slots=True)
class Capabilities:
    tools: bool | None = None
    vision: bool | None = None
    json_schema: bool | None = None
    prefill: bool | None = None
    context_window: int | None = None

    def lacks(self, *, prefill_matters: bool) -> bool:
        """Whether some known gap could disqualify the target (else the request need not be inspected)."""
        gaps = (self.tools, self.vision, self.json_schema, self.prefill if prefill_matters else None)
        return any(capability is False for capability in gaps)


@dataclass(frozen=True, slots=True)
class Needs:
    tools: bool = False
    vision: bool = False
    json_schema: bool = False
    prefill: bool = False


def resolve(info: ModelInfo | None, family: str, model: str, declared: Declared | None = None) -> Capabilities:
    """The deployment's declared capabilities over the catalog's, over what the provider's API implies."""
    prefill: bool | None = False if family in _NO_PREFILL_FAMILIES else None
    if info is not None:
        known = Capabilities(info.tools, info.vision, info.json_schema, info.prefill, info.context_window)
        prefill = known.prefill if known.prefill is not None else prefill
    else:
        known = Capabilities()
    if declared is None:
        declared = Declared()
    return Capabilities(
        tools=_first(declared.tools, known.tools),
        vision=_first(declared.vision, known.vision),
        json_schema=_first(declared.json_schema, known.json_schema),
        prefill=_first(declared.prefill, prefill),
        context_window=declared.context_window or known.context_window,
    )


def _first(declared: bool | None, known: bool | None) -> bool | None:
    return declared if declared is not None else known


def needs_of(request: ir.Request, protocol: str) -> Needs:
    """What serving ``request`` (decoded from ``protocol``) takes."""
    response_format = request.response_format
    last = request.messages[-1] if request.messages else None
    return Needs(
        tools=bool(request.tools),
        vision=any(_has_image(part) for message in request.messages for part in message.parts),
        json_schema=isinstance(response_format, ir.ResponseFormat) and response_format.type == "json_schema",
        prefill=protocol in PREFILL_PROTOCOLS and last is not None and last.role == "assistant" and bool(last.parts),
    )


def _has_image(part: ir.Part) -> bool:
    if isinstance(part, ir.ImagePart):
        return True
    if isinstance(part, ir.ToolResultPart):
        return any(isinstance(inner, ir.ImagePart) for inner in part.content)
    return False


def shortfall(needs: Needs, capabilities: Capabilities) -> str | None:
    """Why a target with these capabilities cannot serve a request with these needs, or None."""
    if needs.tools and capabilities.tools is False:
        return "the model cannot call tools"
    if needs.vision and capabilities.vision is False:
        return "the model does not accept images"
    if needs.json_schema and capabilities.json_schema is False and capabilities.tools is False:
        return "the model has neither JSON-schema output nor tools to emulate it"
    if needs.prefill and capabilities.prefill is False:
        return "the model does not continue a final assistant message (prefill)"
    return None
