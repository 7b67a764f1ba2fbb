"""Parts: IR -> wire."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Literal, cast

from ... import ir
from ...errors import UnsupportedFeature
from .._images import sniff_image_type
from .json_access import JSONObject, gemini_entry
from .media import audio_mime, b64encode, mime_from_uri, parse_data_url
from .part_decoder import THOUGHT_SIGNATURE, result_response, result_text


def _parse_arguments(arguments: str) -> JSONObject | None:
    """Tool call arguments as a JSON object, or None when they are not one."""
    if not arguments.strip():
        return {}
    try:
        value = json.loads(arguments)
    except ValueError:
        return None
    return cast("JSONObject", value) if isinstance(value, dict) else None


class PartEncoder:
    """IR parts -> wire parts, collecting adaptations. Remembers the tool calls it encoded so later tool results can
    find their function name and Gemini id."""

    def __init__(self, *, for_request: bool, same_protocol: bool = False) -> None:
        self.for_request = for_request
        self.same_protocol = same_protocol  # the request was decoded by this codec: nothing in it needs reporting
        self.adaptations: list[ir.Adaptation] = []
        self._calls: dict[str, tuple[str, str | None]] = {}  # IR call id -> (name, Gemini's own id)

    def report(self, param: str, action: Literal["dropped", "adapted"], reason: str) -> None:
        self.adaptations.append(ir.Adaptation(param, action, reason))

    def encode_all(self, parts: Sequence[ir.Part], where: str) -> list[JSONObject]:
        return [wire for j, part in enumerate(parts) for wire in self.encode(part, f"{where}.parts[{j}]")]

    def encode(self, part: ir.Part, where: str) -> list[JSONObject]:
        entry = gemini_entry(part.provider_details)
        original = entry.get("part")
        if isinstance(original, dict):
            return [cast("JSONObject", original)]
        wires = self._encode(part, entry, where)
        if wires:
            if THOUGHT_SIGNATURE in entry:
                wires[0][THOUGHT_SIGNATURE] = entry[THOUGHT_SIGNATURE]
            wires[0].update(cast("JSONObject", entry.get("extra", {})))
        return wires

    def _encode(self, part: ir.Part, entry: JSONObject, where: str) -> list[JSONObject]:
        if isinstance(part, ir.TextPart):
            return [{"text": part.text}]
        if isinstance(part, ir.ThinkingPart):
            return self._thinking(part, entry, where)
        if isinstance(part, ir.RefusalPart):
            if self.for_request:
                self.report(where, "adapted", "refusal sent as text")
            return [{"text": part.text}]
        if isinstance(part, ir.ImagePart):
            return [self._image(part, entry, where)]
        if isinstance(part, ir.DocumentPart):
            return [self._document(part, entry, where)]
        if isinstance(part, ir.AudioPart):
            mime = entry["mimeType"] if "mimeType" in entry else audio_mime(part.format)
            return [{"inlineData": self._blob(mime, part.data, entry)}]
        if isinstance(part, ir.ToolCallPart):
            return [self._function_call(part, entry, where)]
        return self._function_response(part, entry, where)

    def _thinking(self, part: ir.ThinkingPart, entry: JSONObject, where: str) -> list[JSONObject]:
        if self.for_request and not self.same_protocol and not entry:
            # another vendor's reasoning: Gemini cannot verify it, and it carries no Gemini signature
            self.report(where, "dropped", "reasoning from another provider cannot be replayed to Gemini")
            return []
        if not part.text and not entry:
            return []  # redacted reasoning has no Gemini form
        return [{"text": part.text, "thought": True}]

    @staticmethod
    def _blob(mime: str | None, data: bytes, entry: JSONObject) -> JSONObject:
        blob: JSONObject = {} if mime is None else {"mimeType": mime}
        blob["data"] = b64encode(data)
        blob.update(cast("JSONObject", entry.get("inlineData", {})))
        return blob

    def _file(self, mime: str | None, uri: str, entry: JSONObject) -> JSONObject:
        blob: JSONObject = {} if mime is None else {"mimeType": mime}
        blob["fileUri"] = uri
        blob.update(cast("JSONObject", entry.get("fileData", {})))
        return {"fileData": blob}

    def _image(self, part: ir.ImagePart, entry: JSONObject, where: str) -> JSONObject:
        if part.detail not in (None, "auto"):
            self.report(f"{where}.detail", "dropped", "Gemini has no per-image detail")
        if part.data is not None:
            mime = entry.get("mimeType", part.media_type)
            if mime is None:
                mime = sniff_image_type(part.data) or "image/jpeg"
                self.report(f"{where}.media_type", "adapted", f"guessed {mime} from the image bytes")
            return {"inlineData": self._blob(mime, part.data, entry)}
        if part.url is None:
            raise UnsupportedFeature(f"{where}: image has neither data nor url")
        inline = parse_data_url(part.url)
        if inline is not None:
            return {"inlineData": self._blob(part.media_type or inline[0], inline[1], entry)}
        return self._file(self._url_mime(part.url, part.media_type, entry, where, "image"), part.url, entry)

    def _document(self, part: ir.DocumentPart, entry: JSONObject, where: str) -> JSONObject:
        if self.for_request and (part.filename or part.title):
            self.report(f"{where}.filename", "dropped", "Gemini parts carry no document name or title")
        if part.data is not None:
            mime = entry.get("mimeType", part.media_type or "application/pdf")
            return {"inlineData": self._blob(mime, part.data, entry)}
        if part.url is not None:
            inline = parse_data_url(part.url)
            if inline is not None:
                return {"inlineData": self._blob(part.media_type or inline[0], inline[1], entry)}
            return self._file(self._url_mime(part.url, part.media_type, entry, where, "document"), part.url, entry)
        if part.text is not None:
            self.report(where, "adapted", "text document sent as a text part")
            return {"text": part.text}
        raise UnsupportedFeature(f"{where}: document has no data, url or text")

    def _url_mime(self, url: str, given: str | None, entry: JSONObject, where: str, kind: str) -> str | None:
        if "mimeType" in entry:
            return cast("str | None", entry["mimeType"])
        if given is not None:
            if self.for_request and not self.same_protocol:
                self.report(where, "adapted", f"{kind} URL sent as fileData (Gemini fetches only URIs it supports)")
            return given
        mime = mime_from_uri(url) or ("image/jpeg" if kind == "image" else "application/pdf")
        self.report(where, "adapted", f"{kind} URL sent as fileData with mime type {mime} guessed from the URL")
        return mime

    def _function_call(self, part: ir.ToolCallPart, entry: JSONObject, where: str) -> JSONObject:
        args = _parse_arguments(part.arguments)
        if args is None:
            args = {"_raw_arguments": part.arguments}
            self.report(f"{where}.arguments", "adapted", "arguments are not a JSON object: wrapped in _raw_arguments")
        call: JSONObject = {"name": part.name, "args": args}
        wire_id = entry.get("id")
        if isinstance(wire_id, str):  # only ids Gemini itself issued go back to it
            call["id"] = wire_id
        call.update(cast("JSONObject", entry.get("functionCall", {})))
        self._calls[part.id] = (part.name, wire_id if isinstance(wire_id, str) else None)
        return {"functionCall": call}

    def _function_response(self, part: ir.ToolResultPart, entry: JSONObject, where: str) -> list[JSONObject]:
        known = self._calls.get(part.tool_call_id)
        name = part.name or (known[0] if known else None)
        if name is None:
            raise UnsupportedFeature(
                f"{where}: Gemini needs the function name of tool result {part.tool_call_id!r}, and no earlier tool "
                "call has that id"
            )
        text = "".join(p.text for p in part.content if isinstance(p, ir.TextPart))
        original = entry.get("response")
        if isinstance(original, dict) and result_text(cast("JSONObject", original)) == (text, part.is_error):
            response = cast("JSONObject", original)
        else:
            response = result_response(text, part.is_error)
        result: JSONObject = {"name": name, "response": response}
        wire_id = entry.get("id") or (known[1] if known else None)
        if wire_id:
            result["id"] = wire_id
        result.update(cast("JSONObject", entry.get("functionResponse", {})))
        wires: list[JSONObject] = [{"functionResponse": result}]
        media = [p for p in part.content if not isinstance(p, ir.TextPart)]
        for k, item in enumerate(media):
            wires.extend(self.encode(item, f"{where}.content[{k}]"))
        if media:
            self.report(where, "adapted", "non-text tool result content sent as parts after the function response")
        return wires
