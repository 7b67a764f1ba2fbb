"""Request: IR -> wire (the ``generateContent`` body)."""

from __future__ import annotations

from typing import Any, Literal, cast

from ... import ir
from .json_access import NAME, JSONObject, deep_merge, gemini_entry
from .part_encoder import PartEncoder
from .request_decoder import GENERATION_SETTINGS, JSON_MIME, TEXT_MIME, default_tool_layout
from .schemas import gemini_to_json, json_schema_to_gemini_schema

_EFFORT_BUDGETS = {"none": 0, "minimal": 128, "low": 1024, "medium": 8192, "high": 24576, "xhigh": 24576}


class RequestEncoder:
    def __init__(self, request: ir.Request) -> None:
        self.request = request
        self.same_protocol = request.source == NAME
        self.details = gemini_entry(request.provider_details)
        self.parts = PartEncoder(for_request=True, same_protocol=self.same_protocol)

    def report(self, param: str, action: Literal["dropped", "adapted"], reason: str) -> None:
        self.parts.report(param, action, reason)

    def encode(self) -> tuple[JSONObject, list[ir.Adaptation]]:
        request = self.request
        body: JSONObject = {}
        contents, system = self._messages()
        body["contents"] = contents
        if system is not None:
            body["systemInstruction"] = system
        extra = dict(request.extra) if self.same_protocol else {}
        tools = self._tools(cast("list[JSONObject]", extra.pop("tools", [])))
        if tools:
            body["tools"] = tools
        if not isinstance(request.tool_choice, ir.Unset):
            body["toolConfig"] = {"functionCallingConfig": self._tool_choice(request.tool_choice)}
        generation = self._generation_config()
        if generation:
            body["generationConfig"] = generation
        if self.same_protocol:
            deep_merge(body, extra)
        else:
            for key in request.extra:
                self.report(key, "dropped", f"{request.source or 'source'} parameter has no Gemini equivalent")
        return body, self.parts.adaptations

    # -- messages

    def _messages(self) -> tuple[list[JSONObject], JSONObject | None]:
        contents: list[JSONObject] = []
        roles: list[str] = []
        system: JSONObject | None = None
        system_parts: list[JSONObject] = []
        for i, message in enumerate(self.request.messages):
            where = f"messages[{i}]"
            entry = gemini_entry(message.provider_details)
            if message.role in ("system", "developer"):
                if contents:
                    self.report(where, "adapted", "system message moved into systemInstruction")
                if system is None:  # Gemini has one system instruction: later system messages join it
                    system = _with_role(entry, "user")
                    system["parts"] = system_parts
                system_parts.extend(self.parts.encode_all(message.parts, where))
                continue
            role = "model" if message.role == "assistant" else "user"
            parts = self.parts.encode_all(message.parts, where)
            if self.same_protocol:
                merge = bool(entry.get("continuesContent")) and bool(contents)
            else:
                merge = bool(roles) and roles[-1] == role
                if not parts:
                    continue  # every part was dropped: Gemini rejects empty turns
            if merge:
                contents[-1]["parts"].extend(parts)
                continue
            content = _with_role(entry, role)
            content["parts"] = parts
            contents.append(content)
            roles.append(role)
        return contents, system

    # -- tools

    def _tools(self, other_tools: list[JSONObject]) -> list[JSONObject]:
        declarations = [self._declaration(tool, f"tools[{i}]") for i, tool in enumerate(self.request.tools)]
        layout = self.details.get("toolLayout") if self.same_protocol else None
        if not isinstance(layout, list) or not _layout_fits(
            cast("list[Any]", layout), len(declarations), len(other_tools)
        ):
            layout = default_tool_layout(len(declarations), len(other_tools))
        entries: list[JSONObject] = []
        declared = others = 0
        for slot in cast("list[int | None]", layout):
            if slot is None:
                entries.append(other_tools[others])
                others += 1
            else:
                entries.append({"functionDeclarations": declarations[declared : declared + slot]})
                declared += slot
        return entries

    def _declaration(self, tool: ir.Tool, where: str) -> JSONObject:
        declaration: JSONObject = {"name": tool.name}
        if tool.description is not None:
            declaration["description"] = tool.description
        entry = gemini_entry(tool.provider_details)
        if tool.parameters is not None:
            original = entry.get("parameters")
            if isinstance(original, dict):  # the caller wrote Gemini's schema dialect: answer in kind
                unchanged = gemini_to_json(cast("JSONObject", original)) == tool.parameters
                declaration["parameters"] = original if unchanged else json_schema_to_gemini_schema(tool.parameters)
            else:
                declaration["parametersJsonSchema"] = tool.parameters
        declaration.update(cast("JSONObject", entry.get("declaration", {})))
        if tool.strict:
            self.report(f"{where}.strict", "dropped", "Gemini has no strict flag for function declarations")
        return declaration

    @staticmethod
    def _tool_choice(choice: ir.ToolChoice) -> JSONObject:
        if isinstance(choice, ir.NamedToolChoice):
            return {"mode": "ANY", "allowedFunctionNames": [choice.name]}
        return {"mode": {"auto": "AUTO", "required": "ANY", "none": "NONE"}[choice]}

    # -- generation config

    def _generation_config(self) -> JSONObject:
        settings = self.request.settings
        config: JSONObject = {}
        for wire, attr, _ in GENERATION_SETTINGS:
            value = getattr(settings, attr)
            if ir.is_set(value):
                config[wire] = value
        for attr in ("parallel_tool_calls", "logit_bias", "user", "metadata"):
            if ir.is_set(getattr(settings, attr)):
                self.report(attr, "dropped", "Gemini has no equivalent")
        thinking = self._thinking_config()
        if thinking:
            config["thinkingConfig"] = thinking
        config.update(self._response_format())
        return config

    def _thinking_config(self) -> JSONObject:
        settings = self.request.settings
        thinking: JSONObject = {}
        if ir.is_set(settings.reasoning_budget):
            thinking["thinkingBudget"] = settings.reasoning_budget
        effort = settings.reasoning_effort
        if ir.is_set(effort):
            spelling = self.details.get("thinkingLevel")
            if self.same_protocol:
                same = isinstance(spelling, str) and spelling.lower() == effort
                thinking["thinkingLevel"] = spelling if same else effort
            elif ir.is_set(settings.reasoning_budget):
                self.report("reasoning_effort", "dropped", "reasoning_budget given too; Gemini takes one")
            elif effort in _EFFORT_BUDGETS:
                thinking["thinkingBudget"] = _EFFORT_BUDGETS[effort]
                self.report("reasoning_effort", "adapted", f"sent as thinkingBudget {_EFFORT_BUDGETS[effort]}")
            else:
                self.report("reasoning_effort", "dropped", f"no Gemini thinking budget for effort {effort!r}")
        if "includeThoughts" in self.details:
            thinking["includeThoughts"] = self.details["includeThoughts"]
        return thinking

    def _response_format(self) -> JSONObject:
        response_format = self.request.response_format
        if not ir.is_set(response_format):
            return {}
        if response_format.type == "text":
            return {"responseMimeType": TEXT_MIME} if self.same_protocol else {}
        config: JSONObject = {"responseMimeType": JSON_MIME}
        if response_format.type == "json_schema" and response_format.schema is not None:
            original = self.details.get("responseSchema")
            if isinstance(original, dict) and gemini_to_json(cast("JSONObject", original)) == response_format.schema:
                config["responseSchema"] = original
            else:
                config["responseJsonSchema"] = response_format.schema
        return config


def _with_role(entry: JSONObject, role: str) -> JSONObject:
    """A Content's role: the one decoded from the wire when kept (None: there was none), else ``role``."""
    wire_role = entry.get("role", role)
    return {} if wire_role is None else {"role": wire_role}


def _layout_fits(layout: list[Any], declarations: int, other_tools: int) -> bool:
    counts = [slot for slot in layout if slot is not None]
    return sum(counts) == declarations and len(layout) - len(counts) == other_tools
