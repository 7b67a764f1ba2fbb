"""Many calls at once with the async client: one connection pool, one client, asyncio.gather."""

from __future__ import annotations

import asyncio

from routeapi import AsyncRouteClient
from routeapi.testing import FakeOpenAI, Reply


async def fan_out(client: AsyncRouteClient, questions: list[str]) -> list[str]:
    async def ask(question: str) -> str:
        completion = await client.chat.completions.create(
            model="chat-default", messages=[{"role": "user", "content": question}]
        )
        return completion.choices[0].message.content or ""

    return await asyncio.gather(*(ask(q) for q in questions))


def main() -> list[str]:
    with FakeOpenAI() as upstream:
        upstream.script_default(Reply("an answer"))
        config = {
            "providers": {"openai": {"type": "openai", "base_url": upstream.base_url, "api_key": "sk-demo"}},
            "models": {"chat-default": "openai/gpt-4o-mini"},
        }

        async def run() -> list[str]:
            async with AsyncRouteClient(**config) as client:
                return await fan_out(client, [f"question {i}" for i in range(20)])

        answers = asyncio.run(run())
    print(f"{len(answers)} answers, {len(set(answers))} distinct")
    return answers


if __name__ == "__main__":
    main()
