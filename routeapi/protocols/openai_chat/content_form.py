"""The wire form of a message's ``content``: a string, an array of parts, null, or absent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, cast

ContentForm = Literal["string", "parts", "null", "absent"]


def default_form(role: str, items: list[Any]) -> ContentForm:
    """How content is written unless the caller used another form: one plain text part as a string, nothing as
    null (assistant) or "" (others), anything else as parts."""
    if not items:
        return "null" if role == "assistant" else "string"
    if len(items) == 1 and _is_plain_text(items[0]):
        return "string"
    return "parts"


def _is_plain_text(item: object) -> bool:
    return (
        isinstance(item, Mapping)
        and set(cast("Mapping[str, Any]", item)) == {"type", "text"}
        and (cast("Mapping[str, Any]", item)["type"] == "text")
    )


def put_content(wire: dict[str, Any], role: str, items: list[dict[str, Any]], form: object) -> None:
    fits = (
        form == "parts"
        or (form == "string" and all(_is_plain_text(item) for item in items))
        or (form in ("null", "absent") and not items)
    )
    chosen = form if fits else default_form(role, items)
    if chosen == "string":
        wire["content"] = "".join(item["text"] for item in items)
    elif chosen == "parts":
        wire["content"] = items
    elif chosen == "null":
        wire["content"] = None
