"""JSON-schema output, whichever provider serves it (Anthropic here: native where the model has it, a forced tool
call otherwise — the caller sees JSON text either way)."""

from __future__ import annotations

import json
from typing import Any

from routeapi import RouteClient
from routeapi.testing import FakeAnthropic, Reply

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
    "required": ["city", "population"],
}


def main() -> dict[str, Any]:
    with FakeAnthropic() as claude:
        claude.script_default(Reply.json({"city": "Paris", "population": 2102650}))
        providers = {"claude": {"type": "anthropic", "base_url": claude.base_url, "api_key": "sk-demo"}}
        with RouteClient(providers=providers) as client:
            completion = client.chat.completions.create(
                model="claude/claude-sonnet-4-5",
                messages=[{"role": "user", "content": "The biggest city of France, as JSON."}],
                response_format={"type": "json_schema", "json_schema": {"name": "city", "schema": SCHEMA}},
            )
    data: dict[str, Any] = json.loads(completion.choices[0].message.content or "{}")
    print(data)
    return data


if __name__ == "__main__":
    main()
