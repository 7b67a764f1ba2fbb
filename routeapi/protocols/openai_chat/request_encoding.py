"""IR request pieces -> Chat Completions: messages and their content parts, tools, tool_choice, response_format,
stream_options; and the adaptations an encoding reports."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, cast

from ... import ir
from .._images import sniff_image_type
from .._report import Report
from .base64_data import b64decode_or_none, parse_data_url, to_data_url
from .content_form import put_content
from .provider_details import codec_details, with_extras
from .request_decoding import decode_file_data


class MessageEncoder:
    """IR messages -> Chat Completions messages. Tool results become ``tool`` messages (several per IR message
    when another protocol grouped them); their non-text content cannot live in a tool message, so it moves to a
    user message placed right after the run of tool messages."""

    def __init__(self, report: Report) -> None:
        self._report = report
        self._moved: list[dict[str, Any]] = []

    def encode(self, messages: list[ir.Message]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for i, message in enumerate(messages):
            for wire in self._message(message, f"messages[{i}]"):
                if wire["role"] != "tool":
                    self._flush_moved(out)
                out.append(wire)
        self._flush_moved(out)
        return out

    def _flush_moved(self, out: list[dict[str, Any]]) -> None:
        if self._moved:
            out.append({"role": "user", "content": self._moved})
            self._moved = []

    def _message(self, message: ir.Message, path: str) -> list[dict[str, Any]]:
        if message.role == "assistant":
            return [self.assistant(message, path)]
        mine = codec_details(message.provider_details)
        results = [part for part in message.parts if isinstance(part, ir.ToolResultPart)]
        wires = [self._tool_message(result, path) for result in results]
        if message.role == "tool":
            for part in message.parts:
                if not isinstance(part, ir.ToolResultPart):
                    self._report.add(f"{path}.content", "dropped", f"{part.kind} part outside a tool result")
            return wires
        others = [part for part in message.parts if not isinstance(part, ir.ToolResultPart)]
        if results and not others:
            return wires
        items = [item for part in others if (item := self._item(part, message.role, path)) is not None]
        wire: dict[str, Any] = {"role": message.role}
        put_content(wire, message.role, items, mine.get("content"))
        if message.name is not None:
            wire["name"] = message.name
        return [*wires, with_extras(wire, mine)]

    def assistant(self, message: ir.Message, path: str) -> dict[str, Any]:
        items: list[dict[str, Any]] = []
        refusals: list[str] = []
        calls: list[dict[str, Any]] = []
        for part in message.parts:
            if isinstance(part, ir.RefusalPart):
                details = codec_details(part.provider_details)
                if details.get("in_content"):
                    items.append(with_extras({"type": "refusal", "refusal": part.text}, details))
                else:
                    refusals.append(part.text)
            elif isinstance(part, ir.ToolCallPart):
                calls.append(_encode_tool_call(part))
            elif (item := self._item(part, "assistant", path)) is not None:
                items.append(item)
        mine = codec_details(message.provider_details)
        wire: dict[str, Any] = {"role": "assistant"}
        put_content(wire, "assistant", items, mine.get("content"))
        if refusals:
            wire["refusal"] = "".join(refusals)
        if calls:
            wire["tool_calls"] = calls
        if message.name is not None:
            wire["name"] = message.name
        return with_extras(wire, mine)

    def _tool_message(self, result: ir.ToolResultPart, path: str) -> dict[str, Any]:
        items: list[dict[str, Any]] = []
        for part in result.content:
            if isinstance(part, ir.TextPart) or (isinstance(part, ir.DocumentPart) and _is_text_document(part)):
                item = self._item(part, "tool", path)
                if item is not None:
                    items.append(item)
            elif (item := self._item(part, "user", path)) is not None:
                self._moved.append(item)
                self._report.add(
                    f"{path}.tool_result", "adapted", "non-text tool result content moved to a following user message"
                )
        if result.is_error:
            self._report.add(f"{path}.tool_result.is_error", "dropped", "tool messages cannot mark an error")
        mine = codec_details(result.provider_details)
        wire: dict[str, Any] = {"role": "tool", "tool_call_id": result.tool_call_id}
        put_content(wire, "tool", items, mine.get("content"))
        return with_extras(wire, mine)

    def _item(self, part: ir.Part, role: ir.Role, path: str) -> dict[str, Any] | None:
        """One content part for a message of this role, or None (reported) when the role cannot carry it."""
        if isinstance(part, ir.ThinkingPart):
            self._report.add("thinking", "dropped", "Chat Completions takes no reasoning content in history")
            return None
        if isinstance(part, ir.TextPart):
            return with_extras({"type": "text", "text": part.text}, codec_details(part.provider_details))
        if isinstance(part, ir.DocumentPart) and _is_text_document(part):
            self._report.add(f"{path}.content", "adapted", "a text document is sent as a text part")
            return {"type": "text", "text": part.text}
        if role == "user":
            if isinstance(part, ir.ImagePart):
                return self._image(part, path)
            if isinstance(part, ir.AudioPart):
                return _encode_audio(part)
            if isinstance(part, ir.DocumentPart):
                return self._document(part, path)
        self._report.add(f"{path}.content", "dropped", f"{part.kind} parts cannot appear in {role} messages")
        return None

    def _image(self, part: ir.ImagePart, path: str) -> dict[str, Any] | None:
        details = codec_details(part.provider_details)
        if part.data is not None:
            stored = details.get("url")
            reusable = isinstance(stored, str) and parse_data_url(stored) == (part.media_type, part.data)
            media_type = part.media_type or sniff_image_type(part.data) or "application/octet-stream"
            url = cast("str", stored) if reusable else to_data_url(media_type, part.data)
        elif part.url is not None:
            url = part.url
        else:
            self._report.add(f"{path}.content", "dropped", "an image with neither data nor URL")
            return None
        image: dict[str, Any] = {"url": url}
        if part.detail is not None:
            image["detail"] = part.detail
        return with_extras({"type": "image_url", "image_url": image}, details, "image_url")

    def _document(self, part: ir.DocumentPart, path: str) -> dict[str, Any] | None:
        details = codec_details(part.provider_details)
        file: dict[str, Any] = {}
        if part.data is not None:
            stored = details.get("file_data")
            reusable = isinstance(stored, str) and decode_file_data(stored) == (part.media_type, part.data)
            file["file_data"] = stored if reusable else to_data_url(part.media_type or "application/pdf", part.data)
        if isinstance(details.get("file_id"), str):
            file["file_id"] = details["file_id"]
        if not file:
            self._report.add(f"{path}.content", "dropped", "Chat Completions cannot fetch documents by URL")
            return None
        if part.filename is not None:
            file["filename"] = part.filename
        elif "file_data" in file and not details.get("unnamed"):
            file["filename"] = "document.pdf"  # OpenAI rejects file_data without a filename
        return with_extras({"type": "file", "file": file}, details, "file")


def _is_text_document(part: ir.DocumentPart) -> bool:
    return part.text is not None and part.data is None


def _encode_audio(part: ir.AudioPart) -> dict[str, Any]:
    details = codec_details(part.provider_details)
    stored = details.get("data")
    reusable = isinstance(stored, str) and b64decode_or_none(stored) == part.data
    data = stored if reusable else base64.b64encode(part.data).decode("ascii")
    return with_extras(
        {"type": "input_audio", "input_audio": {"data": data, "format": part.format}}, details, "input_audio"
    )


def _encode_tool_call(part: ir.ToolCallPart) -> dict[str, Any]:
    details = codec_details(part.provider_details)
    if details.get("type") == "custom":
        wire = {"id": part.id, "type": "custom", "custom": {"name": part.name, "input": part.arguments}}
        return with_extras(wire, details, "custom")
    wire = {"id": part.id, "type": "function", "function": {"name": part.name, "arguments": part.arguments}}
    return with_extras(wire, details, "function")


def encode_tool(tool: ir.Tool) -> dict[str, Any]:
    details = codec_details(tool.provider_details)
    kind = "custom" if details.get("type") == "custom" else "function"
    body: dict[str, Any] = {"name": tool.name}
    if tool.description is not None:
        body["description"] = tool.description
    if kind == "function":
        if tool.parameters is not None:
            body["parameters"] = tool.parameters
        if tool.strict is not None:
            body["strict"] = tool.strict
    return with_extras({"type": kind, kind: body}, details, kind)


def encode_tool_choice(choice: ir.ToolChoice, details: Mapping[str, Any]) -> str | dict[str, Any]:
    if isinstance(choice, str):
        return choice
    return with_extras({"type": "function", "function": {"name": choice.name}}, details, "function")


def encode_response_format(response_format: ir.ResponseFormat, details: Mapping[str, Any]) -> dict[str, Any]:
    if response_format.type != "json_schema":
        return with_extras({"type": response_format.type}, details)
    schema: dict[str, Any] = {"name": response_format.name or "response"}  # the name is required
    if response_format.description is not None:
        schema["description"] = response_format.description
    if response_format.schema is not None:
        schema["schema"] = response_format.schema
    if response_format.strict is not None:
        schema["strict"] = response_format.strict
    return with_extras({"type": "json_schema", "json_schema": schema}, details, "json_schema")


def encode_stream_options(request: ir.Request, mine: Mapping[str, Any], body: dict[str, Any]) -> None:
    """``include_usage`` follows ``stream_usage`` (a router may turn it on to meter usage); other options the
    caller sent are kept."""
    stored = mine.get("stream_options")
    options = dict(cast("Mapping[str, Any]", stored)) if isinstance(stored, Mapping) else {}
    if request.stream_usage:
        if request.stream:
            options["include_usage"] = True
    elif options.get("include_usage") is True:
        del options["include_usage"]
    if options or isinstance(stored, Mapping):
        body["stream_options"] = options
