"""What routeapi tells the caller about how a call was served."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import Attempt
from .ir import Adaptation, Usage

_ATTRIBUTE = "_routeapi_route"


@dataclass(frozen=True, slots=True)
class Continuation:
    """A stream that broke after content and was carried on elsewhere (``on_interrupt="continue"``)."""

    broken: str
    """The "provider/model" whose stream broke."""
    served: str
    """The "provider/model" that carried on."""
    mode: Literal["prefix", "restart"]
    """``prefix``: the target continued the delivered text. ``restart``: it answered afresh after it (a new part
    where the protocol has parts)."""
    offset: int
    """Characters of text the caller had received when the stream broke: where a restart's answer begins."""


@dataclass(slots=True)
class RouteInfo:
    """The request ID, the deployment that served, the failed attempts before it and every parameter a translation
    adapted or dropped."""

    request_id: str
    provider: str | None = None
    model: str | None = None
    upstream_request_id: str | None = None
    adaptations: list[Adaptation] = field(default_factory=lambda: [])
    failed_attempts: list[Attempt] = field(default_factory=lambda: [])
    usage: Usage | None = None
    """Tokens of the attempt that served (streams: once the stream ended)."""
    cost: float | None = None
    """USD at the catalog's list prices; ``None`` when the model has no known price."""
    skipped: list[tuple[str, str]] = field(default_factory=lambda: [])
    """Targets passed over before the one that served, as ("provider/model", reason): an open circuit, a missing
    capability, a context window too small."""
    hedged: bool = False
    """A hedge started: the first target gave no first token within ``hedge_after``, so the next ran alongside."""
    continuations: list[Continuation] = field(default_factory=lambda: [])
    """Broken streams carried on elsewhere, in order."""
    content_filter: dict[str, Any] | None = None
    """The provider's content-filter categories when it filtered the answer (translated, non-streamed calls; a
    same-protocol answer carries them in its own fields)."""


def attach(obj: Any, info: RouteInfo) -> None:
    # Bypasses pydantic's __setattr__ so the info never shows up in model_dump() of an SDK object.
    object.__setattr__(obj, _ATTRIBUTE, info)


def route_info(obj: object) -> RouteInfo | None:
    """The :class:`RouteInfo` of a response or stream returned by a routeapi face, or ``None``."""
    info = getattr(obj, _ATTRIBUTE, None)
    return info if isinstance(info, RouteInfo) else None
