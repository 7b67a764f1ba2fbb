"""Encoding assistant parts: a request's input history, or a response's output items with their ids."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from ... import ir
from .._report import Report
from .content import is_plain, reasoning_text, refusal_part, summary_wire
from .json_values import as_list
from .provider_details import merge, own_details, with_extras


@dataclass
class _PendingMessage:
    """An assistant message item whose content is still being collected."""

    info: Mapping[str, Any] | None  # the item's wire form as decoded; None for parts from elsewhere
    content: list[dict[str, Any]] = field(default_factory=lambda: [])


class AssistantEncoder:
    """IR assistant parts -> Responses items: a request's input history, or (``output``) a response's output, whose
    items need ids, statuses and annotations."""

    def __init__(self, report: Report, ids: ItemIds | None, *, output: bool) -> None:
        self._report = report
        self._ids = ids or ItemIds("")
        self._output = output

    def encode(self, parts: list[ir.Part], path: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any] | _PendingMessage] = []
        pending: _PendingMessage | None = None
        for j, part in enumerate(parts):
            if isinstance(part, (ir.TextPart, ir.RefusalPart)):
                info = own_details(part.provider_details).get("item")
                if pending is None or isinstance(info, Mapping):
                    pending = _PendingMessage(cast("Mapping[str, Any]", info) if isinstance(info, Mapping) else None)
                    items.append(pending)
                pending.content.append(self._content(part))
                continue
            pending = None
            item = self._item(part, f"{path}.parts[{j}]", len(items))
            if item is not None:
                items.append(item)
        return [self._message(item, i) if isinstance(item, _PendingMessage) else item for i, item in enumerate(items)]

    def _content(self, part: ir.TextPart | ir.RefusalPart) -> dict[str, Any]:
        mine = own_details(part.provider_details)
        if isinstance(part, ir.RefusalPart):
            return with_extras(refusal_part(part.text), mine)
        kind = "input_text" if mine.get("type") == "input_text" else "output_text"
        wire = with_extras({"type": kind, "text": part.text}, mine)
        if self._output and kind == "output_text":
            wire.setdefault("annotations", [])
        return wire

    def _message(self, pending: _PendingMessage, index: int) -> dict[str, Any]:
        info = pending.info or {}
        content = pending.content
        form = info.get("content")
        plain = all(is_plain(item, "output_text") for item in content)
        value: str | list[dict[str, Any]] = content
        if form == "empty" and len(content) == 1 and _is_blank_text(content[0]):
            value = []
        elif plain and (form == "string" or (pending.info is None and not self._output)):
            value = "".join(item["text"] for item in content)
        wire: dict[str, Any] = {"role": "assistant", "content": value}
        if self._output or info.get("typed"):
            wire = {"type": "message", **wire}
        merge(wire, info.get("extra"))
        if self._output:
            wire.setdefault("id", self._ids.make("msg", index))
            wire.setdefault("status", "completed")
        return wire

    def _item(self, part: ir.Part, path: str, index: int) -> dict[str, Any] | None:
        mine = own_details(part.provider_details)
        if isinstance(part, ir.ToolCallPart):
            wire = {"type": "function_call", "call_id": part.id, "name": part.name, "arguments": part.arguments}
            return self._identify(with_extras(wire, mine), "fc", index)
        if isinstance(part, ir.ThinkingPart):
            return self._reasoning(part, mine, path, index)
        self._report.add(f"{path}", "dropped", f"{part.kind} parts cannot appear in assistant items")
        return None

    def _reasoning(
        self, part: ir.ThinkingPart, mine: Mapping[str, Any], path: str, index: int
    ) -> dict[str, Any] | None:
        if not mine:  # another vendor's reasoning
            if not self._output:
                self._report.add(path, "dropped", "reasoning from another provider cannot be replayed to OpenAI")
                return None
            if not part.text:
                return None  # redacted: nothing to show
            return self._identify({"type": "reasoning", "summary": summary_wire(part.text)}, "rs", index)
        stored_summary, stored_content = as_list(mine.get("summary")), as_list(mine.get("content"))
        wire: dict[str, Any] = {"type": "reasoning", "summary": summary_wire(part.text)}
        if stored_summary is not None and reasoning_text(stored_summary, stored_content) == part.text:
            wire["summary"] = stored_summary
            if stored_content is not None:
                wire["content"] = stored_content
        return self._identify(with_extras(wire, mine), "rs", index)

    def _identify(self, wire: dict[str, Any], prefix: str, index: int) -> dict[str, Any]:
        if self._output:
            wire.setdefault("id", self._ids.make(prefix, index))
            if wire["type"] == "function_call":
                wire.setdefault("status", "completed")
        return wire


class ItemIds:
    """Output item ids for responses from other protocols: derived from the response id, so the streamed and the
    non-streamed encodings of one response agree."""

    def __init__(self, response_id: str) -> None:
        self._stem = response_id.partition("_")[2] or response_id

    def make(self, prefix: str, index: int) -> str:
        return f"{prefix}_{self._stem}_{index}" if self._stem else f"{prefix}_{index}"


def _is_blank_text(item: Mapping[str, Any]) -> bool:
    return item.get("type") == "output_text" and item.get("text") == "" and not item.get("annotations")
