"""A tool-calling loop: the model asks for a function, the code runs it, the model answers with its result."""

from __future__ import annotations

import json
from typing import Any

from routeapi import RouteClient
from routeapi.testing import FakeGemini, Reply, ToolCall

TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather in a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
]


def get_weather(city: str) -> str:
    return f"sunny and 21C in {city}"


def main() -> str:
    with FakeGemini() as gemini:
        gemini.script_default(Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"})]), Reply("It is sunny."))
        providers = {"g": {"type": "gemini", "base_url": gemini.base_url, "api_key": "demo"}}
        with RouteClient(providers=providers) as client:
            messages: list[dict[str, Any]] = [{"role": "user", "content": "Weather in Paris?"}]
            first = client.chat.completions.create(model="g/gemini-2.5-flash", messages=messages, tools=TOOLS)
            call = (first.choices[0].message.tool_calls or [])[0]
            arguments = json.loads(call.function.arguments)  # type: ignore[union-attr]
            messages.append(first.choices[0].message.model_dump(exclude_none=True))
            messages.append({"role": "tool", "tool_call_id": call.id, "content": get_weather(**arguments)})
            final = client.chat.completions.create(model="g/gemini-2.5-flash", messages=messages, tools=TOOLS)
    answer = final.choices[0].message.content or ""
    print(f"called get_weather({arguments}); answer: {answer}")
    return answer


if __name__ == "__main__":
    main()
