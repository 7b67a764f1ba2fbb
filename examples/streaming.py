"""Streaming, sync and async: chunks as the OpenAI SDK types them, from a Claude model."""

from __future__ import annotations

import asyncio

from routeapi import AsyncRouteClient, RouteClient
from routeapi.testing import FakeAnthropic, Reply


def main() -> tuple[str, str]:
    with FakeAnthropic() as claude:
        claude.script_default(Reply("Tokens arrive one piece at a time.", chunk_size=5))
        providers = {"claude": {"type": "anthropic", "base_url": claude.base_url, "api_key": "sk-demo"}}
        messages = [{"role": "user", "content": "Stream, please."}]

        with RouteClient(providers=providers) as client:
            pieces: list[str] = []
            with client.chat.completions.create(model="claude/claude-haiku-4-5", messages=messages, stream=True) as s:
                for chunk in s:
                    if chunk.choices and chunk.choices[0].delta.content:
                        pieces.append(chunk.choices[0].delta.content)
        synced = "".join(pieces)

        async def run() -> str:
            async with AsyncRouteClient(providers=providers) as client:
                stream = await client.chat.completions.create(
                    model="claude/claude-haiku-4-5", messages=messages, stream=True
                )
                return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

        streamed = asyncio.run(run())
    print("sync: ", synced)
    print("async:", streamed)
    return synced, streamed


if __name__ == "__main__":
    main()
