"""IR requests -> Anthropic request bodies."""

from __future__ import annotations

from typing import Any, Literal, cast

from ... import ir
from ...errors import UnsupportedFeature
from .block_encoder import BlockEncoder, wire_content
from .shared import NAME, OPAQUE_BLOCKS, SAME_TURN, STRING_CONTENT, JSONObject, own_details, wire_extras

# Effort -> thinking budget is a policy choice (no vendor defines it). None means "no thinking".
_EFFORT_BUDGETS: dict[str, int | None] = {
    "none": None,
    "minimal": None,
    "low": 1024,
    "medium": 4096,
    "high": 16384,
    "xhigh": 32768,
}
_MIN_THINKING_BUDGET = 1024
_DEFAULT_STRUCTURED_TOOL = "json_output"

# Settings with no Anthropic equivalent; a value in the set is a no-op and is not reported.
_UNSUPPORTED_SETTINGS: tuple[tuple[str, tuple[object, ...]], ...] = (
    ("seed", ()),
    ("presence_penalty", ()),
    ("frequency_penalty", ()),
    ("logit_bias", ()),
    ("logprobs", (False,)),
    ("top_logprobs", ()),
    ("metadata", ()),
)


def _thinking_budget(thinking: JSONObject) -> int:
    return cast("int", thinking.get("budget_tokens", 0)) if thinking.get("type") == "enabled" else 0


class RequestEncoder:
    """One ``encode_request`` call: IR request -> Anthropic body plus the adaptations made."""

    def __init__(
        self,
        request: ir.Request,
        *,
        model: str,
        default_max_tokens: int,
        structured_output: Literal["native", "tool"],
    ) -> None:
        self.request = request
        self.model = model
        self.default_max_tokens = default_max_tokens
        self.structured_output = structured_output
        self.same_source = request.source == NAME
        self.notes = own_details(request.provider_details) if self.same_source else {}
        self.adaptations: list[ir.Adaptation] = []
        self.blocks = BlockEncoder(self.adaptations, same_source=self.same_source)
        self.forced_tool = False  # the structured-output emulation forced a tool call

    def adapt(self, param: str, action: Literal["dropped", "adapted"], reason: str) -> None:
        self.adaptations.append(ir.Adaptation(param, action, reason))

    def encode(self) -> tuple[JSONObject, list[ir.Adaptation]]:
        body: JSONObject = {"model": self.model}
        self._messages(body)
        self._settings(body)
        self._tools(body)
        self._response_format(body)
        self._thinking(body)
        self._extra(body)
        if self.request.stream:
            body["stream"] = True
        elif "stream" in self.notes:
            body["stream"] = False
        return body, self.adaptations

    # -- conversation --------------------------------------------------------------------------------------

    def _messages(self, body: JSONObject) -> None:
        system_blocks: list[JSONObject] = []
        system_messages: list[ir.Message] = []
        wire: list[JSONObject] = []
        seen_conversation = False
        for i, message in enumerate(self.request.messages):
            path = f"messages[{i}]"
            if message.name is not None:
                self.adapt(f"{path}.name", "dropped", "Anthropic messages have no name")
            if message.role in ("system", "developer"):
                if seen_conversation:
                    self.adapt("system", "adapted", f"{path} moved into the top-level system prompt")
                system_messages.append(message)
                system_blocks.extend(self._system_blocks(message, path))
                continue
            seen_conversation = True
            self._add_turn(wire, message, path)
        if system_messages and (system_blocks or self.same_source):
            only = system_messages[0]
            single = len(system_messages) == 1 and own_details(only.provider_details).get(STRING_CONTENT)
            body["system"] = wire_content(system_blocks, bool(single) and self.same_source)
        body["messages"] = wire

    def _system_blocks(self, message: ir.Message, path: str) -> list[JSONObject]:
        blocks: list[JSONObject] = []
        for j, part in enumerate(message.parts):
            if isinstance(part, ir.TextPart):
                block = self.blocks.text(part)
                if block is not None:
                    blocks.append(block)
            else:
                self.adapt(f"{path}.parts[{j}]", "dropped", "Anthropic system prompts hold text only")
        return blocks

    def _add_turn(self, wire: list[JSONObject], message: ir.Message, path: str) -> None:
        details = own_details(message.provider_details) if self.same_source else {}
        opaque = cast("list[Any] | None", own_details(message.provider_details).get(OPAQUE_BLOCKS))
        blocks = self.blocks.blocks(message.parts, path, opaque)
        role = "assistant" if message.role == "assistant" else "user"
        previous = wire[-1] if wire else None
        if self.same_source:
            if details.get(SAME_TURN) and previous is not None and previous["role"] == role:
                earlier = previous["content"]
                if isinstance(earlier, str):
                    earlier = [{"type": "text", "text": earlier}]
                previous["content"] = [*cast("list[JSONObject]", earlier), *blocks]
            else:
                wire.append({"role": role, "content": wire_content(blocks, bool(details.get(STRING_CONTENT)))})
            return
        # From another protocol: merge same-role turns, tool results first in a user turn (Anthropic requires it).
        if not blocks:
            return
        if previous is None or previous["role"] != role:
            wire.append({"role": role, "content": []})
        content = cast("list[JSONObject]", wire[-1]["content"])
        for block in blocks:
            if block["type"] == "tool_result":
                leading_results = next((k for k, b in enumerate(content) if b["type"] != "tool_result"), len(content))
                content.insert(leading_results, block)
            else:
                content.append(block)

    # -- settings ------------------------------------------------------------------------------------------

    def _settings(self, body: JSONObject) -> None:
        settings = self.request.settings
        if ir.is_set(settings.max_tokens):
            body["max_tokens"] = settings.max_tokens
        else:
            body["max_tokens"] = self.default_max_tokens
            self.adapt("max_tokens", "adapted", f"Anthropic requires max_tokens; sent {self.default_max_tokens}")
        if ir.is_set(settings.temperature):
            body["temperature"] = settings.temperature
        if ir.is_set(settings.top_p):
            body["top_p"] = settings.top_p
        if ir.is_set(settings.top_k):
            body["top_k"] = settings.top_k
        if ir.is_set(settings.stop):
            body["stop_sequences"] = list(settings.stop)
        n = settings.n
        if ir.is_set(n) and n > 1:
            # Dropping n would silently return one answer where the caller asked for several.
            raise UnsupportedFeature(f"n={n}: Anthropic Messages returns one answer per request")
        for name, no_ops in _UNSUPPORTED_SETTINGS:
            value = getattr(settings, name)
            if ir.is_set(value) and value not in no_ops:
                self.adapt(name, "dropped", "Anthropic Messages has no equivalent")
        self._metadata(body)

    def _metadata(self, body: JSONObject) -> None:
        user = self.request.settings.user
        if "metadata" not in self.notes and not ir.is_set(user):
            return
        metadata = dict(cast("JSONObject", self.notes.get("metadata", {})))
        if ir.is_set(user):
            metadata["user_id"] = user
            if not self.same_source:
                self.adapt("user", "adapted", "sent as metadata.user_id")
        body["metadata"] = metadata

    # -- tools ---------------------------------------------------------------------------------------------

    def _tools(self, body: JSONObject) -> None:
        tools = [self._tool(tool, f"tools[{k}]") for k, tool in enumerate(self.request.tools)]
        if self.same_source:
            server_tools = cast("list[JSONObject]", self.request.extra.get("tools", []))
            positions = cast("list[int]", self.notes.get("server_tool_positions", []))
            for k, tool in enumerate(server_tools):
                tools.insert(positions[k] if k < len(positions) else len(tools), tool)
        if tools or (self.same_source and "tools" in self.request.extra):
            body["tools"] = tools
        self._tool_choice(body)

    def _tool(self, tool: ir.Tool, path: str) -> JSONObject:
        wire: JSONObject = {"name": tool.name}
        if tool.description is not None:
            wire["description"] = tool.description
        wire["input_schema"] = tool.parameters if tool.parameters is not None else {"type": "object", "properties": {}}
        if tool.strict is not None:
            if self.same_source:
                wire["strict"] = tool.strict
            elif tool.strict:
                self.adapt(f"{path}.strict", "dropped", "strict tool schemas are not sent to Anthropic")
        return {**wire, **wire_extras(tool.provider_details)}

    def _tool_choice(self, body: JSONObject) -> None:
        choice = self.request.tool_choice
        parallel = self.request.settings.parallel_tool_calls
        has_tools = bool(body.get("tools"))
        wire: JSONObject | None
        if not ir.is_set(choice):
            wire = {"type": "auto"} if parallel is False and has_tools else None
        elif isinstance(choice, ir.NamedToolChoice):
            wire = {"type": "tool", "name": choice.name}
        else:
            wire = {"type": {"auto": "auto", "required": "any", "none": "none"}[choice]}
        if wire is None:
            return
        if not has_tools and not self.same_source:
            return  # Anthropic rejects tool_choice without tools; without tools there is nothing to choose
        if ir.is_set(parallel) and wire["type"] != "none":
            wire["disable_parallel_tool_use"] = not parallel
        body["tool_choice"] = {**wire, **cast("JSONObject", self.notes.get("tool_choice", {}))}

    # -- structured output and reasoning -------------------------------------------------------------------

    def _response_format(self, body: JSONObject) -> None:
        response_format = self.request.response_format
        if not ir.is_set(response_format) or response_format.type == "text":
            return
        if response_format.type == "json_object":
            self.adapt("response_format", "dropped", "Anthropic has no JSON mode; use json_schema")
            return
        schema = response_format.schema if response_format.schema is not None else {"type": "object"}
        if response_format.strict is not None:
            self.adapt("response_format.strict", "dropped", "Anthropic has no strict switch for output schemas")
        if self.structured_output == "native":
            body["output_config"] = {"format": {"type": "json_schema", "schema": schema}}
            return
        name = response_format.name or _DEFAULT_STRUCTURED_TOOL
        tool: JSONObject = {"name": name, "input_schema": schema}
        if response_format.description is not None:
            tool["description"] = response_format.description
        body["tools"] = [*cast("list[JSONObject]", body.get("tools", [])), tool]
        if "tool_choice" in body:
            self.adapt("tool_choice", "adapted", f"replaced by the forced tool {name!r} for structured output")
        body["tool_choice"] = {"type": "tool", "name": name}
        self.forced_tool = True
        self.adapt("response_format", "adapted", f"emulated with a forced call of the tool {name!r}")

    def _thinking(self, body: JSONObject) -> None:
        settings = self.request.settings
        budget = settings.reasoning_budget
        effort = settings.reasoning_effort if ir.is_set(settings.reasoning_effort) else None
        if not ir.is_set(budget) and effort is None:
            return
        if ir.is_set(budget) and effort is not None:
            self.adapt("reasoning_effort", "dropped", "reasoning_budget given too; the budget is used")
        wants_thinking = budget != 0 if ir.is_set(budget) else _EFFORT_BUDGETS.get(effort or "") is not None
        forced = cast("JSONObject", body.get("tool_choice", {})).get("type") in ("any", "tool")
        if wants_thinking and forced and (self.forced_tool or not self.same_source):
            self.adapt("reasoning", "dropped", "Anthropic does not allow thinking with a forced tool choice")
            return
        thinking = (
            self._thinking_from_budget(body, budget)
            if ir.is_set(budget)
            else self._thinking_from_effort(body, effort or "")
        )
        if thinking is not None:
            body["thinking"] = thinking

    def _thinking_from_budget(self, body: JSONObject, budget: int) -> JSONObject | None:
        original = cast("JSONObject | None", self.notes.get("thinking"))
        if original is not None and _thinking_budget(original) == budget:
            return original
        if budget == 0:
            return {"type": "disabled"}
        if self.same_source:
            return {"type": "enabled", "budget_tokens": budget}
        if budget < 0:
            self.adapt("reasoning_budget", "dropped", "Anthropic has no dynamic thinking budget")
            return None
        fitted = self._fit_thinking_budget(body, budget)
        if fitted is None:
            self.adapt("reasoning_budget", "dropped", f"max_tokens {body['max_tokens']} leaves no room for thinking")
            return None
        if fitted != budget:
            self.adapt("reasoning_budget", "adapted", f"sent as a thinking budget of {fitted} tokens")
        return {"type": "enabled", "budget_tokens": fitted}

    def _thinking_from_effort(self, body: JSONObject, effort: str) -> JSONObject | None:
        if effort not in _EFFORT_BUDGETS:
            self.adapt("reasoning_effort", "dropped", f"unknown effort {effort!r}")
            return None
        budget = _EFFORT_BUDGETS[effort]
        if budget is None:
            self.adapt("reasoning_effort", "adapted", f"{effort!r} sent as no thinking")
            return None
        fitted = self._fit_thinking_budget(body, budget)
        if fitted is None:
            self.adapt("reasoning_effort", "dropped", f"max_tokens {body['max_tokens']} leaves no room for thinking")
            return None
        self.adapt("reasoning_effort", "adapted", f"{effort!r} sent as a thinking budget of {fitted} tokens")
        return {"type": "enabled", "budget_tokens": fitted}

    def _fit_thinking_budget(self, body: JSONObject, budget: int) -> int | None:
        """Anthropic needs 1024 <= budget < max_tokens: raise a defaulted max_tokens, else shrink the budget.
        None when an explicit max_tokens leaves no room for the minimum budget."""
        budget = max(budget, _MIN_THINKING_BUDGET)
        max_tokens = cast("int", body["max_tokens"])
        if budget >= max_tokens:
            if ir.is_set(self.request.settings.max_tokens):
                budget = max_tokens - 1
            else:
                body["max_tokens"] = budget + self.default_max_tokens
        return budget if budget >= _MIN_THINKING_BUDGET else None

    # -- unmodelled parameters -----------------------------------------------------------------------------

    def _extra(self, body: JSONObject) -> None:
        for key, value in self.request.extra.items():
            if not self.same_source:
                source = self.request.source or "the caller"
                self.adapt(key, "dropped", f"{source} parameter not supported by Anthropic Messages")
            elif key == "tools":
                continue  # server tools, already placed
            elif key == "output_config" and isinstance(body.get("output_config"), dict):
                body["output_config"] = {**cast("JSONObject", value), **body["output_config"]}
            else:
                body.setdefault(key, value)
