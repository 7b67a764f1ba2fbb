"""Request: wire -> IR (an inbound ``generateContent`` body)."""

from __future__ import annotations

from typing import Any, Literal, cast

from ... import ir
from ...errors import ProtocolError
from .call_ids import CallLedger
from .json_access import NAME, JSONObject, as_bool, as_int, as_list, as_number, as_object, as_str, provider_details
from .part_decoder import decode_parts, leftover_fields
from .schemas import gemini_to_json

GENERATION_SETTINGS: tuple[tuple[str, str, Literal["number", "int", "bool", "strings"]], ...] = (
    ("temperature", "temperature", "number"),
    ("topP", "top_p", "number"),
    ("topK", "top_k", "int"),
    ("candidateCount", "n", "int"),
    ("maxOutputTokens", "max_tokens", "int"),
    ("stopSequences", "stop", "strings"),
    ("presencePenalty", "presence_penalty", "number"),
    ("frequencyPenalty", "frequency_penalty", "number"),
    ("seed", "seed", "int"),
    ("responseLogprobs", "logprobs", "bool"),
    ("logprobs", "top_logprobs", "int"),
)
JSON_MIME = "application/json"
TEXT_MIME = "text/plain"


class RequestDecoder:
    """One inbound generateContent body (already key-normalised) -> ir.Request."""

    def __init__(self, body: JSONObject, model: str) -> None:
        self.body = body
        self.model = model
        self.ledger = CallLedger()
        self.extra: JSONObject = {}
        self.details: JSONObject = {}  # Request.provider_details["gemini"]

    def decode(self) -> ir.Request:
        body = self.body
        request = ir.Request(model=self.model, source=NAME)
        if "systemInstruction" in body:
            request.messages.append(self._system(body["systemInstruction"]))
        request.messages.extend(self._contents(as_list(body.get("contents"), "contents")))
        if "tools" in body:
            request.tools = self._tools(as_list(body["tools"], "tools"))
        if "toolConfig" in body:
            request.tool_choice = self._tool_config(as_object(body["toolConfig"], "toolConfig"))
        if "generationConfig" in body:
            config = as_object(body["generationConfig"], "generationConfig")
            request.settings, request.response_format = self._generation_config(config)
        for key, value in body.items():
            if key not in ("contents", "systemInstruction", "tools", "toolConfig", "generationConfig", "model"):
                self.extra[key] = value
        request.extra = self.extra
        request.provider_details = provider_details(self.details)
        return request

    # -- messages

    def _system(self, value: object) -> ir.Message:
        if isinstance(value, str):  # lenient: some REST clients send a bare string (re-encoded as a Content)
            return ir.Message("system", [ir.TextPart(value)])
        content = as_object(value, "systemInstruction")
        parts = decode_parts(content, "systemInstruction", self.ledger, -1)
        role = content.get("role")
        return ir.Message("system", parts, provider_details=None if role == "user" else {NAME: {"role": role}})

    def _contents(self, contents: list[Any]) -> list[ir.Message]:
        messages: list[ir.Message] = []
        for turn, value in enumerate(contents):
            where = f"contents[{turn}]"
            content = as_object(value, where)
            role = content.get("role")
            if role not in (None, "user", "model", "function"):
                raise ProtocolError(f"{where}.role must be 'user' or 'model', got {role!r}")
            parts = decode_parts(content, where, self.ledger, turn)
            split = self._split(parts) if role != "model" else [ir.Message("assistant", parts)]
            for position, message in enumerate(split):
                entry: JSONObject = {}
                if position > 0:
                    entry["continuesContent"] = True  # same wire Content as the message before
                elif role not in ("user", "model"):
                    entry["role"] = role
                message.provider_details = provider_details(entry)
            messages.extend(split)
        return messages

    @staticmethod
    def _split(parts: list[ir.Part]) -> list[ir.Message]:
        """A user Content -> one ``tool`` message per function response and user messages for the rest, in order."""
        messages: list[ir.Message] = []
        for part in parts:
            if isinstance(part, ir.ToolResultPart):
                messages.append(ir.Message("tool", [part]))
            elif messages and messages[-1].role == "user":
                messages[-1].parts.append(part)
            else:
                messages.append(ir.Message("user", [part]))
        if not messages:
            messages.append(ir.Message("user", []))
        return messages

    # -- tools

    def _tools(self, entries: list[Any]) -> list[ir.Tool]:
        tools: list[ir.Tool] = []
        other_tools: list[JSONObject] = []
        layout: list[int | None] = []  # per wire entry: how many declarations, or None for a non-function tool
        for i, value in enumerate(entries):
            entry = as_object(value, f"tools[{i}]")
            if "functionDeclarations" in entry:
                declarations = as_list(entry["functionDeclarations"], f"tools[{i}].functionDeclarations")
                for j, declaration in enumerate(declarations):
                    where = f"tools[{i}].functionDeclarations[{j}]"
                    tools.append(self._function_declaration(as_object(declaration, where), where))
                layout.append(len(declarations))
            rest = leftover_fields(entry, ("functionDeclarations",))
            if rest:  # googleSearch, codeExecution, urlContext...
                other_tools.append(rest)
                layout.append(None)
        if other_tools:
            self.extra["tools"] = other_tools
        if layout != default_tool_layout(len(tools), len(other_tools)):
            self.details["toolLayout"] = layout
        return tools

    @staticmethod
    def _function_declaration(declaration: JSONObject, where: str) -> ir.Tool:
        name = as_str(declaration.get("name"), f"{where}.name")
        description = declaration.get("description")
        if description is not None:
            description = as_str(description, f"{where}.description")
        entry: JSONObject = {}
        consumed = ["name", "description"]
        parameters: JSONObject | None = None
        if "parametersJsonSchema" in declaration:
            parameters = as_object(declaration["parametersJsonSchema"], f"{where}.parametersJsonSchema")
            consumed.append("parametersJsonSchema")
        elif "parameters" in declaration:
            original = as_object(declaration["parameters"], f"{where}.parameters")
            parameters = gemini_to_json(original)
            entry["parameters"] = original  # answer in the caller's own schema dialect
            consumed.append("parameters")
        extra = leftover_fields(declaration, consumed)
        if extra:
            entry["declaration"] = extra
        return ir.Tool(name, description, parameters, provider_details=provider_details(entry))

    def _tool_config(self, config: JSONObject) -> ir.Maybe[ir.ToolChoice]:
        rest = leftover_fields(config, ("functionCallingConfig",))
        choice: ir.Maybe[ir.ToolChoice] = ir.UNSET
        if "functionCallingConfig" in config:
            calling = as_object(config["functionCallingConfig"], "toolConfig.functionCallingConfig")
            unmodelled = leftover_fields(calling, ("mode", "allowedFunctionNames"))
            mode, names = calling.get("mode"), calling.get("allowedFunctionNames")
            if mode == "ANY" and isinstance(names, list) and len(cast("list[Any]", names)) == 1:
                choice = ir.NamedToolChoice(as_str(cast("list[Any]", names)[0], "allowedFunctionNames[0]"))
            elif mode == "ANY":
                choice = "required"
                if names is not None:  # several allowed names: the IR has no "one of these"
                    unmodelled["allowedFunctionNames"] = names
            elif mode in ("AUTO", "NONE") and names is None:
                choice = "auto" if mode == "AUTO" else "none"
            else:  # VALIDATED and anything newer travel verbatim
                unmodelled = dict(calling)
            if unmodelled:
                rest["functionCallingConfig"] = unmodelled
        if rest:
            self.extra["toolConfig"] = rest
        return choice

    # -- generation config

    def _generation_config(self, config: JSONObject) -> tuple[ir.GenerationSettings, ir.Maybe[ir.ResponseFormat]]:
        leftover = dict(config)
        settings: dict[str, Any] = {}
        for wire, attr, kind in GENERATION_SETTINGS:
            if wire not in leftover:
                continue
            value, where = leftover[wire], f"generationConfig.{wire}"
            if kind == "int" and isinstance(value, float) and not value.is_integer():
                continue  # a fractional topK stays in extra
            del leftover[wire]
            if kind == "number":
                settings[attr] = as_number(value, where)
            elif kind == "int":
                settings[attr] = as_int(value, where)
            elif kind == "bool":
                settings[attr] = as_bool(value, where)
            else:
                settings[attr] = [as_str(s, f"{where}[{i}]") for i, s in enumerate(as_list(value, where))]
        if "thinkingConfig" in leftover:
            thinking = self._thinking_config(
                as_object(leftover.pop("thinkingConfig"), "generationConfig.thinkingConfig")
            )
            settings.update(thinking[0])
            if thinking[1]:
                leftover["thinkingConfig"] = thinking[1]
        response_format = self._response_format(leftover)
        if leftover:
            self.extra["generationConfig"] = leftover
        return ir.GenerationSettings(**settings), response_format

    def _thinking_config(self, config: JSONObject) -> tuple[dict[str, Any], JSONObject]:
        settings: dict[str, Any] = {}
        rest = leftover_fields(config, ("thinkingBudget", "thinkingLevel", "includeThoughts"))
        if "thinkingBudget" in config:
            settings["reasoning_budget"] = as_int(config["thinkingBudget"], "thinkingConfig.thinkingBudget")
        if "thinkingLevel" in config:
            level = as_str(config["thinkingLevel"], "thinkingConfig.thinkingLevel")
            settings["reasoning_effort"] = level.lower()
            if level != level.lower():
                self.details["thinkingLevel"] = level  # the caller's spelling
        if "includeThoughts" in config:
            self.details["includeThoughts"] = as_bool(config["includeThoughts"], "thinkingConfig.includeThoughts")
        return settings, rest

    def _response_format(self, leftover: JSONObject) -> ir.Maybe[ir.ResponseFormat]:
        """Consumes responseMimeType/responseSchema/responseJsonSchema from ``leftover`` when the IR can hold them."""
        mime = leftover.get("responseMimeType")
        has_schema = "responseSchema" in leftover or "responseJsonSchema" in leftover
        if mime == TEXT_MIME and not has_schema:
            del leftover["responseMimeType"]
            return ir.ResponseFormat("text")
        if mime != JSON_MIME or ("responseSchema" in leftover and "responseJsonSchema" in leftover):
            return ir.UNSET
        del leftover["responseMimeType"]
        if "responseJsonSchema" in leftover:
            schema = as_object(leftover.pop("responseJsonSchema"), "generationConfig.responseJsonSchema")
            return ir.ResponseFormat("json_schema", schema=schema)
        if "responseSchema" in leftover:
            original = as_object(leftover.pop("responseSchema"), "generationConfig.responseSchema")
            self.details["responseSchema"] = original
            return ir.ResponseFormat("json_schema", schema=gemini_to_json(original))
        return ir.ResponseFormat("json_object")


def default_tool_layout(declarations: int, other_tools: int) -> list[int | None]:
    return ([declarations] if declarations else []) + [None] * other_tools
