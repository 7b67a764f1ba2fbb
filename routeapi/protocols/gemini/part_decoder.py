"""Parts: wire -> IR."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from ... import ir
from .call_ids import CallLedger
from .json_access import NAME, JSONObject, as_list, as_object, as_str, dumps, gemini_entry, provider_details
from .media import audio_format_from_mime, audio_mime, b64decode, mime_from_uri

THOUGHT_SIGNATURE = "thoughtSignature"


def result_text(response: JSONObject) -> tuple[str, bool]:
    """A function response object as (text, is_error), per the SDK docstring's ``output``/``error`` convention."""
    if len(response) == 1 and ("output" in response or "error" in response):
        key, value = next(iter(response.items()))
        return (value if isinstance(value, str) else dumps(value)), key == "error"
    return dumps(response), False


def result_response(text: str, is_error: bool) -> JSONObject:
    return {"error": text} if is_error else {"output": text}


def _render_opaque(part: JSONObject) -> str:
    """Readable text for part kinds the IR lacks (server-side code execution), for other protocols."""
    code = part.get("executableCode")
    if isinstance(code, dict):
        code = cast("JSONObject", code)
        return f"```{str(code.get('language', '')).lower()}\n{code.get('code', '')}\n```"
    result = part.get("codeExecutionResult")
    if isinstance(result, dict):
        return str(cast("JSONObject", result).get("output", ""))
    return ""


def leftover_fields(raw: JSONObject, consumed: Sequence[str]) -> JSONObject:
    return {key: value for key, value in raw.items() if key not in consumed}


def decode_part(raw: JSONObject, where: str, ledger: CallLedger, turn: int) -> ir.Part:
    """One wire part. Keys the IR does not model stay in provider_details for the way back."""
    entry: JSONObject = {}
    if THOUGHT_SIGNATURE in raw:
        entry[THOUGHT_SIGNATURE] = raw[THOUGHT_SIGNATURE]
    if "functionCall" in raw:
        consumed: tuple[str, ...] = ("functionCall",)
        part: ir.Part = _decode_function_call(
            as_object(raw["functionCall"], f"{where}.functionCall"), where, ledger, turn
        )
    elif "functionResponse" in raw:
        consumed = ("functionResponse",)
        fr = as_object(raw["functionResponse"], f"{where}.functionResponse")
        part = _decode_function_response(fr, where, ledger, turn)
    elif "text" in raw or raw.get("thought") is True:
        thought = raw.get("thought") is True
        consumed = ("text", "thought") if thought else ("text",)
        text = as_str(raw.get("text", ""), f"{where}.text")
        part = ir.ThinkingPart(text) if thought else ir.TextPart(text)
    elif "inlineData" in raw:
        consumed = ("inlineData",)
        part = _decode_inline_data(as_object(raw["inlineData"], f"{where}.inlineData"), f"{where}.inlineData", entry)
    elif "fileData" in raw:
        consumed = ("fileData",)
        part = _decode_file_data(as_object(raw["fileData"], f"{where}.fileData"), f"{where}.fileData", entry)
    else:  # executableCode, codeExecutionResult and kinds this codec does not know: kept whole
        return ir.TextPart(_render_opaque(raw), provider_details={NAME: {"part": raw}})
    extra = leftover_fields(raw, (*consumed, THOUGHT_SIGNATURE))
    if extra:
        entry["extra"] = extra
    entry.update(gemini_entry(part.provider_details))
    part.provider_details = provider_details(entry)
    return part


def _decode_function_call(call: JSONObject, where: str, ledger: CallLedger, turn: int) -> ir.ToolCallPart:
    name = as_str(call.get("name"), f"{where}.functionCall.name")
    args = as_object(call.get("args", {}), f"{where}.functionCall.args")
    wire_id = call.get("id")
    entry: JSONObject = {}
    if wire_id is not None:
        entry["id"] = as_str(wire_id, f"{where}.functionCall.id")
    extra = leftover_fields(call, ("name", "args", "id"))
    if extra:
        entry["functionCall"] = extra
    call_id = ledger.add_call(name, entry.get("id"), turn)
    return ir.ToolCallPart(call_id, name, dumps(args), provider_details=provider_details(entry))


def _decode_function_response(fr: JSONObject, where: str, ledger: CallLedger, turn: int) -> ir.ToolResultPart:
    name = as_str(fr.get("name"), f"{where}.functionResponse.name")
    response = as_object(fr.get("response", {}), f"{where}.functionResponse.response")
    wire_id = fr.get("id")
    entry: JSONObject = {}
    if wire_id is not None:
        entry["id"] = as_str(wire_id, f"{where}.functionResponse.id")
    text, is_error = result_text(response)
    if result_response(text, is_error) != response:
        entry["response"] = response  # the exact object, for the way back to Gemini
    extra = leftover_fields(fr, ("name", "response", "id"))
    if extra:
        entry["functionResponse"] = extra
    call_id = ledger.match_response(name, entry.get("id"), turn)
    return ir.ToolResultPart(call_id, [ir.TextPart(text)], is_error, name, provider_details=provider_details(entry))


def _decode_inline_data(blob: JSONObject, where: str, entry: JSONObject) -> ir.Part:
    mime = as_str(blob.get("mimeType"), f"{where}.mimeType")
    data = b64decode(blob.get("data", ""), f"{where}.data")
    extra = leftover_fields(blob, ("mimeType", "data"))
    if extra:
        entry["inlineData"] = extra
    part: ir.Part
    if mime.startswith("image/"):
        part = ir.ImagePart(data=data, media_type=mime)
    elif mime.startswith("audio/"):
        part = ir.AudioPart(data, audio_format_from_mime(mime))
        if audio_mime(part.format) != mime:
            entry["mimeType"] = mime
    else:
        part = ir.DocumentPart(data=data, media_type=mime)
    return part


def _decode_file_data(blob: JSONObject, where: str, entry: JSONObject) -> ir.Part:
    uri = as_str(blob.get("fileUri"), f"{where}.fileUri")
    given = blob.get("mimeType")
    mime = as_str(given, f"{where}.mimeType") if given is not None else mime_from_uri(uri)
    if given is None:
        entry["mimeType"] = None  # absent on the wire: keep it absent on the way back
    extra = leftover_fields(blob, ("mimeType", "fileUri"))
    if extra:
        entry["fileData"] = extra
    if mime is not None and mime.startswith("image/"):
        return ir.ImagePart(url=uri, media_type=mime)
    return ir.DocumentPart(url=uri, media_type=mime)


def decode_parts(content: JSONObject, where: str, ledger: CallLedger, turn: int) -> list[ir.Part]:
    parts = as_list(content.get("parts", []), f"{where}.parts")
    return [
        decode_part(as_object(raw, f"{where}.parts[{j}]"), f"{where}.parts[{j}]", ledger, turn)
        for j, raw in enumerate(parts)
    ]
