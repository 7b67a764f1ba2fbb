"""A fallback chain: the primary deployment is down, routeapi retries it, then serves from the fallback.

Runs offline against routeapi's fake OpenAI upstream; with real providers only the ``providers`` section changes.
"""

from __future__ import annotations

from routeapi import RouteClient, route_info
from routeapi.testing import FakeOpenAI, Fault, Reply


def main() -> str:
    with FakeOpenAI() as upstream:
        upstream.script("gpt-4o", Fault.status(503, "overloaded"))
        upstream.script("gpt-4o-mini", Reply("Served by the fallback."))
        with RouteClient(
            providers={"openai": {"type": "openai", "base_url": upstream.base_url, "api_key": "sk-demo"}},
            models={"chat-default": {"deployments": ["openai/gpt-4o"], "fallbacks": ["openai/gpt-4o-mini"]}},
            retry={"max_attempts": 2, "initial_backoff": 0.05},
        ) as client:
            completion = client.chat.completions.create(
                model="chat-default", messages=[{"role": "user", "content": "Hello"}], temperature=0
            )
    info = route_info(completion)
    assert info is not None
    print(completion.choices[0].message.content, f"(served by {info.provider}/{info.model})")
    return completion.choices[0].message.content or ""


if __name__ == "__main__":
    main()
