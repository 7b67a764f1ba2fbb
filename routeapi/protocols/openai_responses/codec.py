"""The codec: Responses API request and response bodies <-> IR."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from ... import ir
from .._checks import Reader as _Reader
from .._report import Report
from .assistant_encoding import AssistantEncoder, ItemIds
from .errors import failure
from .provider_details import NAME, extras, make_details, merge, own_details, section
from .request_decoding import (
    decode_assistant_item,
    decode_input,
    decode_settings,
    decode_text,
    decode_tool_choice,
    decode_tools,
    item_type,
)
from .request_encoding import (
    InputEncoder,
    encode_format,
    encode_settings,
    encode_tool_choice,
    encode_tools,
    insert_opaque_items,
    merge_extra,
    put_input,
)
from .response import (
    ASSISTANT_ITEMS,
    decode_usage,
    encode_usage,
    finish_from_wire,
    finish_to_wire,
    has_tool_calls,
    response_envelope,
    wire_status,
    with_response_defaults,
)


class OpenAIResponsesCodec:
    """Responses API bodies <-> IR."""

    name = NAME

    # requests ------------------------------------------------------------------------------------------------
    def decode_request(self, body: Mapping[str, Any]) -> ir.Request:
        top = _Reader(body, "")
        request = ir.Request(model=top.string("model") or "", source=self.name)
        details: dict[str, Any] = {}
        echo: dict[str, Any] = {}  # keys that say nothing beyond the IR, sent back only to this protocol

        instructions = top.string("instructions")
        if instructions is not None:
            marker = make_details(instructions=True)
            request.messages.append(ir.Message("system", [ir.TextPart(instructions)], provider_details=marker))
        request.messages.extend(decode_input(top, request.extra, details))
        decode_tools(top, request, details, echo)
        decode_tool_choice(top, request, details)
        decode_text(top, request, details)
        decode_settings(top, request.settings, details)
        stream = top.boolean("stream")
        request.stream = bool(stream)
        if stream is False:
            echo["stream"] = False

        for key, value in top.leftovers().items():
            if value is None:
                echo[key] = None
            else:
                request.extra[key] = value
        request.provider_details = make_details(echo=echo or None, **details)
        return request

    def encode_request(self, request: ir.Request, *, model: str) -> tuple[dict[str, Any], list[ir.Adaptation]]:
        report = Report()
        same_source = request.source == self.name
        mine: Mapping[str, Any] = own_details(request.provider_details) if same_source else {}
        body: dict[str, Any] = {"model": model}
        instructions, items = InputEncoder(report, same_source).encode(request.messages)
        if same_source:
            insert_opaque_items(items, request.extra)
        if instructions is not None:
            body["instructions"] = instructions
        put_input(body, items, mine.get("input"))
        encode_tools(body, request, mine)
        if not isinstance(request.tool_choice, ir.Unset):
            body["tool_choice"] = encode_tool_choice(request.tool_choice, section(mine, "tool_choice"))
        if ir.is_set(request.response_format):
            body["text"] = {"format": encode_format(request.response_format, section(mine, "format"))}
        encode_settings(request.settings, mine, body, report)
        if request.stream:
            body["stream"] = True
        merge(body, mine.get("echo"))
        if same_source:
            merge_extra(body, request.extra)
        else:
            for key in request.extra:
                report.add(key, "dropped", f"not a Responses API parameter (from {request.source})")
        return body, report.items

    # responses -----------------------------------------------------------------------------------------------
    def decode_response(self, data: Mapping[str, Any]) -> ir.Response:
        top = _Reader(data, "")
        status = top.string("status")
        if status == "failed":
            raise failure(data)
        top.take("object")
        parts: list[ir.Part] = []
        opaque: list[list[Any]] = []
        for i, raw in enumerate(top.required_array("output")):
            item = _Reader(raw, f"output[{i}]")
            kind = item_type(item, f"output[{i}]")
            if kind in ASSISTANT_ITEMS:
                parts.extend(decode_assistant_item(item, kind))
            else:  # hosted-tool calls and future items: kept for a same-protocol round trip
                opaque.append([i, dict(item.data)])
        message = ir.Message("assistant", parts)
        incomplete = top.mapping("incomplete_details")
        reason = finish_from_wire(status, incomplete, has_tool_calls(parts))
        as_sent = {"status": status, "incomplete_details": incomplete}
        finish = as_sent if finish_to_wire(reason) != (status, incomplete) else None
        choice = ir.Choice(message, reason, provider_details=make_details(finish=finish, opaque_output=opaque or None))

        created_at = top.number("created_at")
        created = int(created_at) if created_at is not None else 0
        response = ir.Response(
            id=top.string("id") or "", model=top.string("model") or "", choices=[choice], created=created
        )
        raw_usage = top.mapping("usage")
        usage_as_sent = None
        if raw_usage is not None:
            response.usage = decode_usage(raw_usage, "usage")
            usage_as_sent = raw_usage if encode_usage(response.usage) != raw_usage else None
        created_as_sent = created_at if created_at is not None and created_at != created else None
        response.provider_details = make_details(created_at=created_as_sent, usage=usage_as_sent, **extras(top))
        return response

    def encode_response(self, response: ir.Response) -> dict[str, Any]:
        mine = own_details(response.provider_details)
        choice = response.choices[0] if response.choices else ir.Choice(ir.Message("assistant"))
        choice_details = own_details(choice.provider_details)
        parts = choice.message.parts
        output = AssistantEncoder(Report(), ItemIds(response.id), output=True).encode(parts, "output")
        for entry in cast("list[Any]", choice_details.get("opaque_output") or []):
            position, item = cast("list[Any]", entry)
            output.insert(min(int(position), len(output)), item)
        status, incomplete = wire_status(choice, section(choice_details, "finish"))
        usage: Mapping[str, Any] | None = None
        if response.usage is not None:
            stored_usage = section(mine, "usage")
            same = bool(stored_usage) and decode_usage(stored_usage) == response.usage
            usage = stored_usage if same else encode_usage(response.usage)
        created_at = mine.get("created_at")
        if not (isinstance(created_at, (int, float)) and int(created_at) == response.created):
            created_at = response.created
        wire = response_envelope(response.id, response.model, created_at, status, output, usage)
        wire["incomplete_details"] = incomplete
        merge(wire, mine.get("extra"))
        return with_response_defaults(wire)
