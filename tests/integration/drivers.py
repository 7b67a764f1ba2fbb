"""Face drivers and upstream probes for the protocol matrix.

A face driver speaks one face's own shapes (messages, tools, results) and reads the answer back into a neutral
:class:`Answer`; an upstream probe reads what a fake upstream received in that vendor's shapes. Together they let one
test table run over every face x provider route.
"""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass
from typing import Any, ClassVar

import openai

from routeapi import AsyncRouteClient, RouteClient

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
PNG_B64 = base64.b64encode(PNG).decode()

WEATHER_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
TIME_SCHEMA = {"type": "object", "properties": {"timezone": {"type": "string"}}}


@dataclass
class Call:
    id: str
    name: str
    arguments: dict[str, Any]


@dataclass
class Answer:
    """A face's answer in neutral terms."""

    text: str
    calls: list[Call]
    finish: str  # neutral: stop, length, tool_calls, content_filter, stop_sequence
    input_tokens: int | None
    output_tokens: int | None
    cache_read_tokens: int | None = None
    raw: Any = None


class FaceDriver:
    name: str

    def __init__(self, client: RouteClient | AsyncRouteClient) -> None:
        self.client = client
        self.is_async = isinstance(client, AsyncRouteClient)

    async def run(self, sync_fn: Any, async_fn: Any) -> Any:
        if self.is_async:
            return await async_fn()
        return await asyncio.to_thread(sync_fn)

    async def aclose(self) -> None:
        if isinstance(self.client, AsyncRouteClient):
            await self.client.aclose()
        else:
            self.client.close()


class OpenAIFace(FaceDriver):
    name = "openai"
    FINISH: ClassVar[dict[str, str]] = {
        "stop": "stop",
        "length": "length",
        "tool_calls": "tool_calls",
        "content_filter": "content_filter",
    }

    def tools(self) -> list[dict[str, Any]]:
        return [
            {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_SCHEMA}},
            {"type": "function", "function": {"name": "get_time", "parameters": TIME_SCHEMA}},
        ]

    def user(self, text: str) -> list[dict[str, Any]]:
        return [{"role": "user", "content": text}]

    def image_messages(self) -> list[dict[str, Any]]:
        url = f"data:image/png;base64,{PNG_B64}"
        return [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": url}},
                ],
            }
        ]

    def tool_result_messages(self) -> list[dict[str, Any]]:
        return [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Weather and time in Paris?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_A",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                    },
                    {"id": "call_B", "type": "function", "function": {"name": "get_time", "arguments": "{}"}},
                ],
            },
            {"role": "tool", "tool_call_id": "call_A", "content": "sunny"},
            {"role": "tool", "tool_call_id": "call_B", "content": "noon"},
        ]

    def json_schema(self) -> dict[str, Any]:
        return {
            "response_format": {"type": "json_schema", "json_schema": {"name": "weather", "schema": WEATHER_SCHEMA}}
        }

    def answer(self, completion: Any) -> Answer:
        message = completion.choices[0].message
        calls = [Call(c.id, c.function.name, json.loads(c.function.arguments)) for c in message.tool_calls or []]
        usage = completion.usage
        cached = usage.prompt_tokens_details.cached_tokens if usage and usage.prompt_tokens_details else None
        return Answer(
            message.content or "",
            calls,
            completion.choices[0].finish_reason,
            usage.prompt_tokens if usage else None,
            usage.completion_tokens if usage else None,
            cached,
            completion,
        )

    async def create(self, model: str, messages: list[dict[str, Any]], **params: Any) -> Answer:
        completions = self.client.chat.completions
        return self.answer(
            await self.run(
                lambda: completions.create(model=model, messages=messages, **params),
                lambda: completions.create(model=model, messages=messages, **params),
            )
        )

    async def stream(self, model: str, messages: list[dict[str, Any]], **params: Any) -> Answer:
        """Through the openai SDK's own stream helper, which checks chunk order and accumulates tool calls."""
        params.setdefault("stream_options", {"include_usage": True})
        completions = self.client.chat.completions

        # The helper refuses to "parse" a content-filtered completion (ContentFilterFinishReasonError), exactly as
        # with OpenAI directly; its snapshot still holds what arrived.
        def sync() -> Any:
            with completions.stream(model=model, messages=messages, **params) as stream:
                for _ in stream:
                    pass
                try:
                    return stream.get_final_completion()
                except openai.ContentFilterFinishReasonError:
                    return stream.current_completion_snapshot

        async def async_() -> Any:
            async with completions.stream(model=model, messages=messages, **params) as stream:
                async for _ in stream:
                    pass
                try:
                    return await stream.get_final_completion()
                except openai.ContentFilterFinishReasonError:
                    return stream.current_completion_snapshot

        return self.answer(await self.run(sync, async_))


class AnthropicFace(FaceDriver):
    name = "anthropic"
    FINISH: ClassVar[dict[str, str]] = {
        "end_turn": "stop",
        "max_tokens": "length",
        "tool_use": "tool_calls",
        "refusal": "content_filter",
        "stop_sequence": "stop_sequence",
    }

    def tools(self) -> list[dict[str, Any]]:
        return [
            {"name": "get_weather", "input_schema": WEATHER_SCHEMA},
            {"name": "get_time", "input_schema": TIME_SCHEMA},
        ]

    def user(self, text: str) -> list[dict[str, Any]]:
        return [{"role": "user", "content": text}]

    def image_messages(self) -> list[dict[str, Any]]:
        source = {"type": "base64", "media_type": "image/png", "data": PNG_B64}
        return [
            {
                "role": "user",
                "content": [{"type": "text", "text": "What is this?"}, {"type": "image", "source": source}],
            }
        ]

    def tool_result_messages(self) -> list[dict[str, Any]]:
        return [
            {"role": "user", "content": "Weather and time in Paris?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "call_A", "name": "get_weather", "input": {"city": "Paris"}},
                    {"type": "tool_use", "id": "call_B", "name": "get_time", "input": {}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "call_A", "content": "sunny"},
                    {"type": "tool_result", "tool_use_id": "call_B", "content": "noon"},
                ],
            },
        ]

    def json_schema(self) -> dict[str, Any]:
        return {"output_config": {"format": {"type": "json_schema", "schema": WEATHER_SCHEMA}}}

    def answer(self, message: Any) -> Answer:
        text = "".join(b.text for b in message.content if b.type == "text")
        calls = [Call(b.id, b.name, b.input) for b in message.content if b.type == "tool_use"]
        usage = message.usage
        total_input = (
            usage.input_tokens + (usage.cache_read_input_tokens or 0) + (usage.cache_creation_input_tokens or 0)
        )
        return Answer(
            text,
            calls,
            self.FINISH[message.stop_reason],
            total_input,
            usage.output_tokens,
            usage.cache_read_input_tokens,
            message,
        )

    async def create(self, model: str, messages: list[dict[str, Any]], **params: Any) -> Answer:
        params.setdefault("max_tokens", 256)
        api = self.client.messages
        return self.answer(
            await self.run(
                lambda: api.create(model=model, messages=messages, **params),
                lambda: api.create(model=model, messages=messages, **params),
            )
        )

    async def stream(self, model: str, messages: list[dict[str, Any]], **params: Any) -> Answer:
        """Through the anthropic SDK's own ``messages.stream()`` helper and its accumulator."""
        params.setdefault("max_tokens", 256)
        api = self.client.messages

        def sync() -> Any:
            with api.stream(model=model, messages=messages, **params) as stream:
                return stream.get_final_message()

        async def async_() -> Any:
            async with api.stream(model=model, messages=messages, **params) as stream:
                return await stream.get_final_message()

        return self.answer(await self.run(sync, async_))


class GeminiFace(FaceDriver):
    """google-genai style: ``contents`` plus a ``config``; the driver folds neutral keywords into the config."""

    name = "gemini"
    FINISH: ClassVar[dict[str, str]] = {
        "STOP": "stop",
        "MAX_TOKENS": "length",
        "SAFETY": "content_filter",
        "RECITATION": "content_filter",
    }
    _CONFIG_KEYS: ClassVar[dict[str, str]] = {
        "tools": "tools",
        "temperature": "temperature",
        "top_p": "top_p",
        "top_k": "top_k",
        "stop": "stop_sequences",
        "response_mime_type": "response_mime_type",
        "response_json_schema": "response_json_schema",
        "candidate_count": "candidate_count",
    }

    def tools(self) -> list[dict[str, Any]]:
        return [
            {
                "function_declarations": [
                    {"name": "get_weather", "parameters_json_schema": WEATHER_SCHEMA},
                    {"name": "get_time", "parameters_json_schema": TIME_SCHEMA},
                ]
            }
        ]

    def user(self, text: str) -> list[dict[str, Any]]:
        return [{"role": "user", "parts": [{"text": text}]}]

    def image_messages(self) -> list[dict[str, Any]]:
        image = {"inline_data": {"mime_type": "image/png", "data": PNG}}
        return [{"role": "user", "parts": [{"text": "What is this?"}, image]}]

    def tool_result_messages(self) -> list[dict[str, Any]]:
        return [
            {"role": "user", "parts": [{"text": "Weather and time in Paris?"}]},
            {
                "role": "model",
                "parts": [
                    {"function_call": {"id": "call_A", "name": "get_weather", "args": {"city": "Paris"}}},
                    {"function_call": {"id": "call_B", "name": "get_time", "args": {}}},
                ],
            },
            {
                "role": "user",
                "parts": [
                    {"function_response": {"id": "call_A", "name": "get_weather", "response": {"output": "sunny"}}},
                    {"function_response": {"id": "call_B", "name": "get_time", "response": {"output": "noon"}}},
                ],
            },
        ]

    def json_schema(self) -> dict[str, Any]:
        return {"response_mime_type": "application/json", "response_json_schema": WEATHER_SCHEMA}

    def _config(self, params: dict[str, Any]) -> dict[str, Any]:
        unknown = set(params) - set(self._CONFIG_KEYS)
        if unknown:
            raise TypeError(f"GeminiFace driver cannot express {sorted(unknown)}")
        return {self._CONFIG_KEYS[k]: v for k, v in params.items()}

    def answer_from_chunks(self, chunks: list[Any]) -> Answer:
        text, calls, finish, usage = "", [], "", None
        for chunk in chunks:
            for part in chunk.candidates[0].content.parts if chunk.candidates and chunk.candidates[0].content else []:
                if part.text and not part.thought:
                    text += part.text
                if part.function_call:
                    calls.append(Call(part.function_call.id or "", part.function_call.name, part.function_call.args))
            if chunk.candidates and chunk.candidates[0].finish_reason:
                finish = chunk.candidates[0].finish_reason.value
            elif chunk.prompt_feedback and chunk.prompt_feedback.block_reason:
                finish = "SAFETY"
            usage = chunk.usage_metadata or usage
        neutral = "tool_calls" if calls and finish == "STOP" else self.FINISH.get(finish, finish)
        prompt = usage.prompt_token_count if usage else None
        output = ((usage.candidates_token_count or 0) + (usage.thoughts_token_count or 0)) if usage else None
        cached = usage.cached_content_token_count if usage else None
        return Answer(text, calls, neutral, prompt, output, cached, chunks[-1] if chunks else None)

    async def create(self, model: str, messages: list[dict[str, Any]], **params: Any) -> Answer:
        config = self._config(params)
        models = self.client.models
        response = await self.run(
            lambda: models.generate_content(model=model, contents=messages, config=config),
            lambda: models.generate_content(model=model, contents=messages, config=config),
        )
        answer = self.answer_from_chunks([response])
        answer.raw = response
        return answer

    async def stream(self, model: str, messages: list[dict[str, Any]], **params: Any) -> Answer:
        config = self._config(params)
        models = self.client.models

        def sync() -> list[Any]:
            return list(models.generate_content_stream(model=model, contents=messages, config=config))

        async def async_() -> list[Any]:
            stream = await models.generate_content_stream(model=model, contents=messages, config=config)
            return [chunk async for chunk in stream]

        return self.answer_from_chunks(await self.run(sync, async_))


FACES: dict[str, type[OpenAIFace] | type[AnthropicFace] | type[GeminiFace]] = {
    "openai": OpenAIFace,
    "anthropic": AnthropicFace,
    "gemini": GeminiFace,
}


class OpenAIProbe:
    """Reads what the fake OpenAI upstream received."""

    expected_call_keys: ClassVar[list[str]] = ["call_A", "call_B"]

    @staticmethod
    def param(body: dict[str, Any], name: str) -> Any:
        return body.get(name, "absent")

    @staticmethod
    def tool_names(body: dict[str, Any]) -> list[str]:
        return [t["function"]["name"] for t in body.get("tools", [])]

    @staticmethod
    def tool_result_ids(body: dict[str, Any]) -> list[str]:
        return [m["tool_call_id"] for m in body["messages"] if m["role"] == "tool"]

    @staticmethod
    def tool_call_ids(body: dict[str, Any]) -> list[str]:
        return [c["id"] for m in body["messages"] if m["role"] == "assistant" for c in m.get("tool_calls") or []]

    @staticmethod
    def image_bytes(body: dict[str, Any]) -> bytes | None:
        for message in body["messages"]:
            for part in message["content"] if isinstance(message.get("content"), list) else []:
                if part.get("type") == "image_url":
                    return base64.b64decode(part["image_url"]["url"].split(",", 1)[1])
        return None

    @staticmethod
    def schema(body: dict[str, Any]) -> Any:
        return body["response_format"]["json_schema"]["schema"]

    @staticmethod
    def system_text(body: dict[str, Any]) -> str:
        return "".join(m["content"] for m in body["messages"] if m["role"] in ("system", "developer"))


class AnthropicProbe:
    expected_call_keys: ClassVar[list[str]] = ["call_A", "call_B"]

    @staticmethod
    def param(body: dict[str, Any], name: str) -> Any:
        return body.get(name, "absent")

    @staticmethod
    def tool_names(body: dict[str, Any]) -> list[str]:
        return [t["name"] for t in body.get("tools", [])]

    @staticmethod
    def tool_result_ids(body: dict[str, Any]) -> list[str]:
        return [
            b["tool_use_id"]
            for m in body["messages"]
            if isinstance(m["content"], list)
            for b in m["content"]
            if b["type"] == "tool_result"
        ]

    @staticmethod
    def tool_call_ids(body: dict[str, Any]) -> list[str]:
        return [
            b["id"]
            for m in body["messages"]
            if isinstance(m["content"], list)
            for b in m["content"]
            if b["type"] == "tool_use"
        ]

    @staticmethod
    def image_bytes(body: dict[str, Any]) -> bytes | None:
        for message in body["messages"]:
            for block in message["content"] if isinstance(message["content"], list) else []:
                if block["type"] == "image":
                    return base64.b64decode(block["source"]["data"])
        return None

    @staticmethod
    def schema(body: dict[str, Any]) -> Any:
        return body["output_config"]["format"]["schema"]

    @staticmethod
    def system_text(body: dict[str, Any]) -> str:
        system = body.get("system", "")
        return system if isinstance(system, str) else "".join(b["text"] for b in system)


class GeminiProbe:
    """Gemini has no call ids unless it issued them: calls and results are matched by function name."""

    _SETTINGS: ClassVar[dict[str, str]] = {"temperature": "temperature", "top_p": "topP", "top_k": "topK"}

    @staticmethod
    def tool_names(body: dict[str, Any]) -> list[str]:
        return [d["name"] for t in body.get("tools", []) for d in t.get("functionDeclarations", [])]

    @staticmethod
    def _parts(body: dict[str, Any]) -> list[dict[str, Any]]:
        return [p for c in body["contents"] for p in c["parts"]]

    @classmethod
    def tool_call_ids(cls, body: dict[str, Any]) -> list[str]:
        return [p["functionCall"]["name"] for p in cls._parts(body) if "functionCall" in p]

    @classmethod
    def tool_result_ids(cls, body: dict[str, Any]) -> list[str]:
        return [p["functionResponse"]["name"] for p in cls._parts(body) if "functionResponse" in p]

    @classmethod
    def image_bytes(cls, body: dict[str, Any]) -> bytes | None:
        for part in cls._parts(body):
            if "inlineData" in part:  # google-genai sends URL-safe base64, unpadded
                data: str = part["inlineData"]["data"]
                return base64.urlsafe_b64decode(data.replace("+", "-").replace("/", "_") + "=" * (-len(data) % 4))
        return None

    @staticmethod
    def schema(body: dict[str, Any]) -> Any:
        return body["generationConfig"]["responseJsonSchema"]

    @classmethod
    def param(cls, body: dict[str, Any], name: str) -> Any:
        return body.get("generationConfig", {}).get(cls._SETTINGS[name], "absent")

    expected_call_keys: ClassVar[list[str]] = ["get_weather", "get_time"]


class BedrockProbe:
    """The Converse JSON boto3 sent (blobs as base64 strings)."""

    expected_call_keys: ClassVar[list[str]] = ["call_A", "call_B"]
    _SETTINGS: ClassVar[dict[str, str]] = {"temperature": "temperature", "top_p": "topP"}

    @staticmethod
    def tool_names(body: dict[str, Any]) -> list[str]:
        return [t["toolSpec"]["name"] for t in body.get("toolConfig", {}).get("tools", [])]

    @staticmethod
    def _blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
        return [b for m in body["messages"] for b in m["content"]]

    @classmethod
    def tool_call_ids(cls, body: dict[str, Any]) -> list[str]:
        return [b["toolUse"]["toolUseId"] for b in cls._blocks(body) if "toolUse" in b]

    @classmethod
    def tool_result_ids(cls, body: dict[str, Any]) -> list[str]:
        return [b["toolResult"]["toolUseId"] for b in cls._blocks(body) if "toolResult" in b]

    @classmethod
    def image_bytes(cls, body: dict[str, Any]) -> bytes | None:
        for block in cls._blocks(body):
            if "image" in block:
                return base64.b64decode(block["image"]["source"]["bytes"])
        return None

    @staticmethod
    def schema(body: dict[str, Any]) -> Any:
        return json.loads(body["outputConfig"]["textFormat"]["structure"]["jsonSchema"]["schema"])

    @classmethod
    def param(cls, body: dict[str, Any], name: str) -> Any:
        if name == "top_k":
            return body.get("additionalModelRequestFields", {}).get("top_k", "absent")
        return body.get("inferenceConfig", {}).get(cls._SETTINGS[name], "absent")


PROBES: dict[str, type[OpenAIProbe] | type[AnthropicProbe] | type[GeminiProbe] | type[BedrockProbe]] = {
    "openai": OpenAIProbe,
    "azure": OpenAIProbe,
    "anthropic": AnthropicProbe,
    "gemini": GeminiProbe,
    "bedrock": BedrockProbe,
}


def provider_config(kind: str, fake: Any, **extra: Any) -> dict[str, Any]:
    """The ``providers`` entry that points routeapi at a fake upstream of ``kind``."""
    if kind == "azure":
        return {"type": "azure_openai", "endpoint": fake.endpoint, "api_key": "sk-secret-test", **extra}
    if kind == "bedrock":
        return {
            "type": "bedrock",
            "endpoint_url": fake.url,
            "region": "us-east-1",
            "aws_access_key_id": "AKIDTEST",
            "aws_secret_access_key": "sk-secret-test",
            **extra,
        }
    return {"type": kind, "base_url": fake.base_url, "api_key": "sk-secret-test", **extra}
