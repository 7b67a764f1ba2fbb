"""Requests: IR -> ``converse`` / ``converse_stream`` kwargs, with the adaptations made."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final, Literal, cast

from ... import ir
from ...errors import UnsupportedFeature
from .block_encoder import BlockEncoder, check_tool_name
from .constants import NAME, OPAQUE_BLOCKS, SAME_TURN, JSONObject
from .reading import own_details, wire_extras
from .request_decoder import compact_json

# The vendor prefix of a Bedrock model id ("anthropic.claude-...", "us.anthropic.claude-...", ARNs naming one).
_ANTHROPIC_MODEL: Final = "anthropic."

# Settings with no Converse equivalent: (name, values that are no-ops and not reported, reason).
_NO_EQUIVALENT: Final = "Bedrock Converse has no equivalent"
_UNSUPPORTED_SETTINGS: Final[tuple[tuple[str, tuple[object, ...], str], ...]] = (
    ("seed", (), _NO_EQUIVALENT),
    ("presence_penalty", (), _NO_EQUIVALENT),
    ("frequency_penalty", (), _NO_EQUIVALENT),
    ("logit_bias", (), _NO_EQUIVALENT),
    ("logprobs", (False,), _NO_EQUIVALENT),
    ("top_logprobs", (), _NO_EQUIVALENT),
    ("parallel_tool_calls", (True,), _NO_EQUIVALENT),
    ("reasoning_effort", (), "Converse takes a thinking budget (reasoning_budget), not an effort"),
    ("user", (), _NO_EQUIVALENT),
)


def _has_tool_history(messages: list[ir.Message]) -> bool:
    return any(isinstance(part, (ir.ToolCallPart, ir.ToolResultPart)) for m in messages for part in m.parts)


_METADATA_TEXT: Final = re.compile(r"[a-zA-Z0-9\s:_@$#=/+,\-.]{0,256}")


def _valid_request_metadata(metadata: Mapping[str, Any]) -> bool:
    """Bedrock's limits: 1 to 16 string pairs in a restricted character set."""
    allowed = _METADATA_TEXT
    return 0 < len(metadata) <= 16 and all(
        key and isinstance(value, str) and allowed.fullmatch(key) and allowed.fullmatch(value)
        for key, value in metadata.items()
    )


class RequestEncoder:
    """One ``encode_request`` call: IR request -> Converse kwargs plus the adaptations made."""

    def __init__(self, request: ir.Request, *, model: str) -> None:
        self.request = request
        self.model = model
        self.same_source = request.source == NAME
        self.anthropic_model = _ANTHROPIC_MODEL in model
        self.notes = own_details(request.provider_details) if self.same_source else {}
        self.adaptations: list[ir.Adaptation] = []
        self.blocks = BlockEncoder(self.adaptations, same_source=self.same_source)
        self.model_fields: JSONObject = {}  # additionalModelRequestFields being built

    def adapt(self, param: str, action: Literal["dropped", "adapted"], reason: str) -> None:
        self.adaptations.append(ir.Adaptation(param, action, reason))

    def encode(self) -> tuple[JSONObject, list[ir.Adaptation]]:
        body: JSONObject = {"modelId": self.model}
        self._messages(body)
        self._inference_config(body)
        self._tools(body)
        self._model_specific_settings()
        self._other_settings(body)
        self._response_format(body)
        self._extra(body)
        return body, self.adaptations

    # -- conversation --------------------------------------------------------------------------------------

    def _messages(self, body: JSONObject) -> None:
        system_blocks: list[JSONObject] = []
        has_system = False
        wire: list[JSONObject] = []
        for i, message in enumerate(self.request.messages):
            path = f"messages[{i}]"
            if message.name is not None:
                self.adapt(f"{path}.name", "dropped", "Bedrock messages have no name")
            if message.role in ("system", "developer"):
                if wire:
                    self.adapt("system", "adapted", f"{path} moved into the top-level system prompt")
                has_system = True
                system_blocks.extend(self._system_blocks(message, path))
            else:
                self._add_turn(wire, message, path)
        if system_blocks or (has_system and self.same_source):
            body["system"] = system_blocks
        if wire or not self.notes.get("no_messages"):
            body["messages"] = wire

    def _system_blocks(self, message: ir.Message, path: str) -> list[JSONObject]:
        blocks: list[JSONObject] = []
        for j, part in enumerate(message.parts):
            if isinstance(part, ir.TextPart):
                if part.text or self.same_source:  # system text must not be empty
                    blocks.append({"text": part.text})
            else:
                self.adapt(f"{path}.parts[{j}]", "dropped", "Bedrock system prompts hold text only")
        opaque = cast("list[Any]", own_details(message.provider_details).get(OPAQUE_BLOCKS, []))
        for entry in opaque if self.same_source else []:
            position, block = cast("list[Any]", entry)
            blocks.insert(min(int(position), len(blocks)), cast("JSONObject", block))
        return blocks

    def _add_turn(self, wire: list[JSONObject], message: ir.Message, path: str) -> None:
        details = own_details(message.provider_details)
        opaque = details.get(OPAQUE_BLOCKS) if self.same_source else None
        blocks = self.blocks.blocks(message.parts, path, opaque)
        role = "assistant" if message.role == "assistant" else "user"
        previous = wire[-1] if wire else None
        if self.same_source:
            if details.get(SAME_TURN) and previous is not None and previous["role"] == role:
                previous["content"].extend(blocks)
            else:
                wire.append({"role": role, "content": blocks})
            return
        # From another protocol: merge same-role turns, tool results first in a user turn (one turn answers
        # every call of the assistant turn before it).
        if not blocks:
            return
        if previous is None or previous["role"] != role:
            wire.append({"role": role, "content": []})
        content = cast("list[JSONObject]", wire[-1]["content"])
        for block in blocks:
            if "toolResult" in block:
                leading_results = next((k for k, b in enumerate(content) if "toolResult" not in b), len(content))
                content.insert(leading_results, block)
            else:
                content.append(block)

    # -- settings ------------------------------------------------------------------------------------------

    def _inference_config(self, body: JSONObject) -> None:
        settings = self.request.settings
        config: JSONObject = dict(cast("JSONObject", self.notes.get("inferenceConfig", {})))
        if ir.is_set(settings.max_tokens):
            config["maxTokens"] = settings.max_tokens
        if ir.is_set(settings.temperature):
            temperature = settings.temperature
            if temperature > 1 and not self.same_source:
                temperature = 1.0
                self.adapt("temperature", "adapted", f"Bedrock accepts 0 to 1; {settings.temperature} sent as 1")
            config["temperature"] = temperature
        if ir.is_set(settings.top_p):
            config["topP"] = settings.top_p
        if ir.is_set(settings.stop):
            config["stopSequences"] = list(settings.stop)
        if config or "inferenceConfig" in self.notes:
            body["inferenceConfig"] = config

    def _model_specific_settings(self) -> None:
        """top_k and the thinking budget go in ``additionalModelRequestFields``, in Anthropic's spelling."""
        settings = self.request.settings
        if ir.is_set(settings.top_k):
            if self.same_source:
                self.model_fields["top_k"] = settings.top_k
            elif self.anthropic_model:
                self.model_fields["top_k"] = settings.top_k
                self.adapt("top_k", "adapted", "sent as additionalModelRequestFields.top_k")
            else:
                self.adapt("top_k", "dropped", "Converse has no top_k for this model")
        budget = settings.reasoning_budget
        if not ir.is_set(budget):
            return
        if self.same_source:
            self.model_fields["thinking"] = {"type": "enabled", "budget_tokens": budget}
        elif not self.anthropic_model:
            self.adapt("reasoning_budget", "dropped", "Converse has no thinking budget for this model")
        elif budget < 0:
            self.adapt("reasoning_budget", "dropped", "Claude has no dynamic thinking budget")
        elif budget > 0:
            self.model_fields["thinking"] = {"type": "enabled", "budget_tokens": budget}
            self.adapt("reasoning_budget", "adapted", "sent as additionalModelRequestFields.thinking")
        # 0 means "no thinking", Claude's default: nothing to send

    def _other_settings(self, body: JSONObject) -> None:
        settings = self.request.settings
        if ir.is_set(settings.n) and settings.n > 1:
            raise UnsupportedFeature(f"n={settings.n}: Bedrock Converse returns one choice")
        for name, no_ops, reason in _UNSUPPORTED_SETTINGS:
            value = getattr(settings, name)
            if ir.is_set(value) and value not in no_ops:
                self.adapt(name, "dropped", reason)
        metadata = settings.metadata
        if not ir.is_set(metadata):
            return
        if self.same_source:
            body["requestMetadata"] = metadata
        elif _valid_request_metadata(metadata):
            body["requestMetadata"] = dict(metadata)
            self.adapt("metadata", "adapted", "sent as requestMetadata")
        else:
            self.adapt("metadata", "dropped", "requestMetadata takes 1 to 16 plain string pairs")

    # -- tools ---------------------------------------------------------------------------------------------

    def _tools(self, body: JSONObject) -> None:
        tools: list[JSONObject] = [
            {"toolSpec": self._tool(tool, f"tools[{k}]")} for k, tool in enumerate(self.request.tools)
        ]
        for entry in cast("list[Any]", self.notes.get("opaque_tools", [])):
            position, tool = cast("list[Any]", entry)
            tools.insert(min(int(position), len(tools)), cast("JSONObject", tool))
        choice = self._tool_choice(tools)
        if not tools:
            return
        config: JSONObject = {"tools": tools}
        if choice is not None:
            config["toolChoice"] = choice
        body["toolConfig"] = {**config, **cast("JSONObject", self.notes.get("toolConfig", {}))}

    def _tool(self, tool: ir.Tool, path: str) -> JSONObject:
        check_tool_name(tool.name, f"{path}.name")
        spec: JSONObject = {"name": tool.name}
        if tool.description:
            spec["description"] = tool.description
        parameters: JSONObject = {"type": "object", "properties": {}} if tool.parameters is None else tool.parameters
        spec["inputSchema"] = {"json": parameters}
        if tool.strict is not None:
            spec["strict"] = tool.strict
        return {**spec, **wire_extras(tool.provider_details)}

    def _tool_choice(self, tools: list[JSONObject]) -> JSONObject | None:
        """The wire toolChoice; for ``none`` (which Converse cannot say) it may also empty ``tools``."""
        choice = self.request.tool_choice
        if not ir.is_set(choice):
            return None
        if choice == "none":
            if tools and not _has_tool_history(self.request.messages):
                tools.clear()
                self.adapt("tool_choice", "adapted", "Bedrock has no 'none'; the tools were not sent")
            elif tools:
                self.adapt("tool_choice", "dropped", "Bedrock has no 'none' and the history needs the tools")
            return None
        wire: JSONObject
        if isinstance(choice, ir.NamedToolChoice):
            check_tool_name(choice.name, "tool_choice.name")
            wire = {"tool": {"name": choice.name}}
        else:
            wire = {"auto": {}} if choice == "auto" else {"any": {}}
        if not tools:
            if choice != "auto":
                self.adapt("tool_choice", "dropped", "no tools were given")
            return None
        return wire

    # -- structured output ---------------------------------------------------------------------------------

    def _response_format(self, body: JSONObject) -> None:
        response_format = self.request.response_format
        if not ir.is_set(response_format) or response_format.type == "text":
            return
        if response_format.type == "json_object":
            self.adapt("response_format", "dropped", "Bedrock has no JSON mode; use json_schema")
            return
        schema = response_format.schema if response_format.schema is not None else {"type": "object"}
        text = self.notes.get("schema_text")
        if not (isinstance(text, str) and _parses_to(text, schema)):
            text = compact_json(schema)
        definition: JSONObject = {"schema": text}
        if response_format.name is not None:
            definition["name"] = response_format.name
        if response_format.description is not None:
            definition["description"] = response_format.description
        if response_format.strict:
            self.adapt("response_format.strict", "dropped", "Bedrock output schemas have no strict switch")
        body["outputConfig"] = {"textFormat": {"type": "json_schema", "structure": {"jsonSchema": definition}}}

    # -- unmodelled parameters -----------------------------------------------------------------------------

    def _extra(self, body: JSONObject) -> None:
        fields = dict(self.model_fields)
        sent_fields = bool(fields)
        for key, value in self.request.extra.items():
            if not self.same_source:
                source = self.request.source or "the caller"
                self.adapt(key, "dropped", f"{source} parameter not supported by Bedrock Converse")
            elif key == "additionalModelRequestFields" and isinstance(value, dict):
                fields = {**cast("JSONObject", value), **fields}
                sent_fields = True
            else:
                body.setdefault(key, value)
        if sent_fields:
            body["additionalModelRequestFields"] = fields


def _parses_to(text: str, value: object) -> bool:
    try:
        return bool(json.loads(text) == value)
    except ValueError:
        return False
