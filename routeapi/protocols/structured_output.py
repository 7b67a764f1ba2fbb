"""JSON-schema output for targets without a native mechanism: ask for one forced tool call whose arguments are the
JSON, then turn that call back into text. Pure IR transformations, shared by every codec and both call styles."""

from __future__ import annotations

import dataclasses

from .. import ir

DEFAULT_TOOL_NAME = "json_output"


def as_forced_tool(request: ir.Request) -> tuple[ir.Request, str]:
    """The request with its json_schema response format replaced by a tool the model must call."""
    response_format = request.response_format
    if not isinstance(response_format, ir.ResponseFormat) or response_format.type != "json_schema":
        raise ValueError("as_forced_tool needs a json_schema response format")
    name = response_format.name or DEFAULT_TOOL_NAME
    description = response_format.description or "Give the answer as this tool's input."
    tool = ir.Tool(name, description, response_format.schema or {"type": "object"})
    forced = dataclasses.replace(
        request,
        tools=[*request.tools, tool],
        tool_choice=ir.NamedToolChoice(name),
        response_format=ir.UNSET,
    )
    return forced, name


def unwrap_forced_tool(response: ir.Response, tool_name: str) -> ir.Response:
    """The call of ``tool_name`` becomes a text part holding its JSON arguments, and the finish reason ``stop``."""
    choices: list[ir.Choice] = []
    for choice in response.choices:
        forced = [p for p in choice.message.parts if isinstance(p, ir.ToolCallPart) and p.name == tool_name]
        parts = [ir.TextPart(p.arguments) if p in forced else p for p in choice.message.parts]
        other_calls = any(isinstance(p, ir.ToolCallPart) for p in parts)
        finish = choice.finish_reason
        if forced and finish == "tool_calls" and not other_calls:
            finish = "stop"
        message = dataclasses.replace(choice.message, parts=parts)
        choices.append(dataclasses.replace(choice, message=message, finish_reason=finish))
    return dataclasses.replace(response, choices=choices)


class ForcedToolUnwrapper:
    """The streaming twin of :func:`unwrap_forced_tool`: the forced call's argument fragments become text."""

    __slots__ = ("_forced", "_name", "_other_calls")

    def __init__(self, tool_name: str) -> None:
        self._name = tool_name
        self._forced: set[tuple[int, int]] = set()
        self._other_calls = False

    def __call__(self, event: ir.StreamEvent) -> ir.StreamEvent:
        if isinstance(event, ir.PartStart) and isinstance(event.part, ir.ToolCallPart):
            if event.part.name != self._name:
                self._other_calls = True
                return event
            self._forced.add((event.choice, event.index))
            return ir.PartStart(event.index, ir.TextPart(event.part.arguments), event.choice)
        if isinstance(event, ir.ToolArgumentsDelta) and (event.choice, event.index) in self._forced:
            return ir.TextDelta(event.index, event.arguments, event.choice)
        if isinstance(event, ir.Finish) and event.reason == "tool_calls" and self._forced and not self._other_calls:
            return dataclasses.replace(event, reason="stop")
        return event
