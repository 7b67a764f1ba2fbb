"""Encoding requests: IR messages -> ``instructions`` and input items, and the tools, tool choice, output format
and settings of a Responses request body."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final, cast

from ... import ir
from ...errors import UnsupportedFeature
from .._images import sniff_image_type
from .._report import Report
from ..openai_chat import parse_data_url, to_data_url
from .assistant_encoding import AssistantEncoder
from .content import PARAGRAPH_BREAK, stringable
from .json_values import decode_file_data
from .provider_details import NAME, own_details, section, with_extras

_INPUT_PATH: Final = re.compile(r"input\[(\d+)\]")

# Settings whose wire name is the GenerationSettings field name.
_PLAIN_SETTINGS: Final = ("temperature", "top_p", "parallel_tool_calls", "top_logprobs", "metadata")
_DROPPED_SETTINGS: Final[dict[str, str]] = {
    "top_k": "the Responses API has no top_k",
    "stop": "the Responses API has no stop sequences",
    "seed": "the Responses API has no seed",
    "presence_penalty": "the Responses API has no presence_penalty",
    "frequency_penalty": "the Responses API has no frequency_penalty",
    "logit_bias": "the Responses API has no logit_bias",
    "reasoning_budget": "the Responses API takes reasoning.effort, not a token budget",
}
_LOGPROBS_INCLUDE: Final = "message.output_text.logprobs"


class InputEncoder:
    """IR messages -> ``instructions`` and input items."""

    def __init__(self, report: Report, same_source: bool) -> None:
        self._report = report
        self._same_source = same_source
        self._assistant = AssistantEncoder(report, None, output=False)

    def encode(self, messages: list[ir.Message]) -> tuple[str | None, list[dict[str, Any]]]:
        instructions, hoisted = self._instructions(messages)
        items: list[dict[str, Any]] = []
        for i, message in enumerate(messages):
            if i not in hoisted:
                items.extend(self._message(message, f"messages[{i}]"))
        return instructions, items

    def _instructions(self, messages: list[ir.Message]) -> tuple[str | None, set[int]]:
        """This codec's marked message; from elsewhere, the system/developer messages when all of them lead."""
        if self._same_source:
            for i, message in enumerate(messages):
                if own_details(message.provider_details).get("instructions"):
                    return message.text, {i}
            return None, set()
        leading: list[int] = []
        for i, message in enumerate(messages):
            if message.role not in ("system", "developer"):
                break
            leading.append(i)
        later = any(message.role in ("system", "developer") for message in messages[len(leading) :])
        text_only = all(isinstance(part, ir.TextPart) for i in leading for part in messages[i].parts)
        if not leading or later or not text_only:
            return None, set()
        for i in leading:
            if messages[i].name is not None:
                self._report.add(f"messages[{i}].name", "dropped", "Responses input messages have no name")
        return PARAGRAPH_BREAK.join(messages[i].text for i in leading), set(leading)

    def _message(self, message: ir.Message, path: str) -> list[dict[str, Any]]:
        if message.name is not None:
            self._report.add(f"{path}.name", "dropped", "Responses input messages have no name")
        if message.role == "assistant":
            return self._assistant.encode(message.parts, path)
        items: list[dict[str, Any]] = []
        others: list[ir.Part] = []
        for part in message.parts:
            if isinstance(part, ir.ToolResultPart):
                items.append(self._tool_output(part, path))
            elif message.role == "tool":
                self._report.add(f"{path}.content", "dropped", f"{part.kind} part outside a tool result")
            else:
                others.append(part)
        if message.role == "tool" or (items and not others):
            return items
        content = [item for part in others if (item := self._content(part, path)) is not None]
        mine = own_details(message.provider_details)
        wire: dict[str, Any] = {"role": message.role, "content": _content_value(content, mine.get("content"))}
        if mine.get("typed"):
            wire = {"type": "message", **wire}
        return [*items, with_extras(wire, mine)]

    def _tool_output(self, result: ir.ToolResultPart, path: str) -> dict[str, Any]:
        content = [wire for part in result.content if (wire := self._content(part, path)) is not None]
        if result.is_error:
            self._report.add(f"{path}.is_error", "dropped", "a function_call_output cannot mark an error")
        mine = own_details(result.provider_details)
        output = _content_value(content, mine.get("output"))
        wire = {"type": "function_call_output", "call_id": result.tool_call_id, "output": output}
        return with_extras(wire, mine)

    def _content(self, part: ir.Part, path: str) -> dict[str, Any] | None:
        """One input content part, or None (reported) when a user-side message cannot carry it."""
        mine = own_details(part.provider_details)
        if isinstance(part, ir.TextPart):
            return with_extras({"type": "input_text", "text": part.text}, mine)
        if isinstance(part, ir.ImagePart):
            return self._image(part, mine, path)
        if isinstance(part, ir.DocumentPart):
            return self._document(part, mine, path)
        if isinstance(part, ir.AudioPart):
            raise UnsupportedFeature(f"{path}: the Responses API does not accept audio input")
        if isinstance(part, ir.RefusalPart):
            self._report.add(f"{path}.content", "adapted", "a refusal is sent as text")
            return {"type": "input_text", "text": part.text}
        self._report.add(f"{path}.content", "dropped", f"{part.kind} parts cannot appear in this message")
        return None

    def _image(self, part: ir.ImagePart, mine: Mapping[str, Any], path: str) -> dict[str, Any] | None:
        wire: dict[str, Any] = {"type": "input_image"}
        if part.data is not None:
            stored = mine.get("url")
            reusable = isinstance(stored, str) and parse_data_url(stored) == (part.media_type, part.data)
            media_type = part.media_type or sniff_image_type(part.data) or "application/octet-stream"
            wire["image_url"] = stored if reusable else to_data_url(media_type, part.data)
        elif part.url is not None:
            wire["image_url"] = part.url
        if isinstance(mine.get("file_id"), str):
            wire["file_id"] = mine["file_id"]
        if len(wire) == 1:
            self._report.add(f"{path}.content", "dropped", "an image with neither data, URL nor file id")
            return None
        if part.detail is not None:
            wire["detail"] = part.detail
        elif not mine.get("no_detail"):
            wire["detail"] = "auto"
        return with_extras(wire, mine)

    def _document(self, part: ir.DocumentPart, mine: Mapping[str, Any], path: str) -> dict[str, Any] | None:
        wire: dict[str, Any] = {"type": "input_file"}
        if part.data is not None:
            stored = mine.get("file_data")
            reusable = isinstance(stored, str) and decode_file_data(stored) == (part.media_type, part.data)
            media_type = part.media_type or "application/pdf"
            wire["file_data"] = stored if reusable else to_data_url(media_type, part.data)
        elif part.url is not None:
            wire["file_url"] = part.url
        if isinstance(mine.get("file_id"), str):
            wire["file_id"] = mine["file_id"]
        if len(wire) == 1:
            if part.text is not None:
                self._report.add(f"{path}.content", "adapted", "a text document is sent as input_text")
                return {"type": "input_text", "text": part.text}
            self._report.add(f"{path}.content", "dropped", "a document with neither data, URL nor file id")
            return None
        if part.filename is not None:
            wire["filename"] = part.filename
        elif "file_data" in wire and not mine.get("unnamed"):
            wire["filename"] = "document.pdf"  # OpenAI rejects file_data without a filename
        return with_extras(wire, mine)


def _content_value(items: list[dict[str, Any]], form: object) -> str | list[dict[str, Any]]:
    """A string for no content or one plain text part, unless the caller wrote parts."""
    if form == "parts" or not stringable(items):
        return items
    return "".join(cast("str", item["text"]) for item in items)


def put_input(body: dict[str, Any], items: list[dict[str, Any]], form: object) -> None:
    if form == "absent" and not items:
        return
    if form == "string" and len(items) == 1:
        only = items[0]
        if set(only) == {"role", "content"} and only["role"] == "user" and isinstance(only["content"], str):
            body["input"] = only["content"]
            return
    body["input"] = items


def insert_opaque_items(items: list[dict[str, Any]], extra: Mapping[str, Any]) -> None:
    """Put the input items the IR does not model back at their input positions."""
    opaque: list[tuple[int, Any]] = []
    for key, value in extra.items():
        match = _INPUT_PATH.fullmatch(key)
        if match is not None:
            opaque.append((int(match.group(1)), value))
    for position, item in sorted(opaque, key=lambda entry: entry[0]):
        items.insert(min(position, len(items)), item)


def encode_tools(body: dict[str, Any], request: ir.Request, mine: Mapping[str, Any]) -> None:
    same_source = request.source == NAME
    tools = [_encode_tool(tool, same_source) for tool in request.tools]
    hosted = request.extra.get("tools") if same_source else None
    if isinstance(hosted, list):
        positions = mine.get("hosted_tool_positions")
        entries = cast("list[Any]", hosted)
        if not (isinstance(positions, list) and len(cast("list[Any]", positions)) == len(entries)):
            positions = [len(tools) + i for i in range(len(entries))]
        for position, tool in zip(cast("list[int]", positions), entries, strict=True):
            tools.insert(min(position, len(tools)), tool)
    if tools:
        body["tools"] = tools


def _encode_tool(tool: ir.Tool, same_source: bool) -> dict[str, Any]:
    wire: dict[str, Any] = {"type": "function", "name": tool.name}
    if tool.description is not None:
        wire["description"] = tool.description
    if tool.parameters is not None:
        wire["parameters"] = tool.parameters
    elif not same_source:
        wire["parameters"] = {"type": "object", "properties": {}}
    if tool.strict is not None:
        wire["strict"] = tool.strict
    elif not same_source:
        wire["strict"] = False  # Responses function tools default to strict; other protocols' tools are not
    return with_extras(wire, own_details(tool.provider_details))


def encode_tool_choice(choice: ir.ToolChoice, details: Mapping[str, Any]) -> str | dict[str, Any]:
    if isinstance(choice, str):
        return choice
    return with_extras({"type": "function", "name": choice.name}, details)


def encode_format(response_format: ir.ResponseFormat, details: Mapping[str, Any]) -> dict[str, Any]:
    wire: dict[str, Any] = {"type": response_format.type}
    if response_format.type == "json_schema":
        wire["name"] = response_format.name or "response"  # required
        if response_format.description is not None:
            wire["description"] = response_format.description
        wire["schema"] = response_format.schema if response_format.schema is not None else {}
        if response_format.strict is not None:
            wire["strict"] = response_format.strict
    return with_extras(wire, details)


def encode_settings(
    settings: ir.GenerationSettings, mine: Mapping[str, Any], body: dict[str, Any], report: Report
) -> None:
    if ir.is_set(settings.max_tokens):
        body["max_output_tokens"] = settings.max_tokens
    for key in _PLAIN_SETTINGS:
        value = getattr(settings, key)
        if ir.is_set(value):
            body[key] = value
    if ir.is_set(settings.user):
        body["safety_identifier" if mine.get("user_key") == "safety_identifier" else "user"] = settings.user
    reasoning = dict(section(mine, "reasoning"))
    if ir.is_set(settings.reasoning_effort):
        reasoning["effort"] = settings.reasoning_effort
    if reasoning or "reasoning" in mine:
        body["reasoning"] = reasoning
    if settings.logprobs is True:
        body["include"] = [_LOGPROBS_INCLUDE]
        report.add("logprobs", "adapted", f"asked for with include: [{_LOGPROBS_INCLUDE!r}]")
    if ir.is_set(settings.n) and settings.n > 1:
        raise UnsupportedFeature(f"n={settings.n}: the Responses API returns one answer per request")
    for key, reason in _DROPPED_SETTINGS.items():
        if ir.is_set(getattr(settings, key)):
            report.add(key, "dropped", reason)


def merge_extra(body: dict[str, Any], extra: Mapping[str, Any]) -> None:
    """Same-protocol pass-through of the unmodelled parameters (hosted tools and input items are placed already)."""
    for key, value in extra.items():
        if key == "tools" or _INPUT_PATH.fullmatch(key):
            continue
        if key == "text" and isinstance(value, Mapping) and isinstance(body.get("text"), dict):
            body["text"] = {**cast("Mapping[str, Any]", value), **body["text"]}
        else:
            body.setdefault(key, value)
