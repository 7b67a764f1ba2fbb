"""OpenAI-shaped code calling Claude, and Anthropic-shaped code streaming from an OpenAI model.

Runs offline against routeapi's fake upstreams.
"""

from __future__ import annotations

from routeapi import RouteClient
from routeapi.testing import FakeAnthropic, FakeOpenAI, Reply


def main() -> tuple[str, str]:
    with FakeAnthropic() as claude, FakeOpenAI() as gpt:
        claude.script("claude-sonnet-4-5", Reply("Hello from Claude."))
        gpt.script("gpt-4o", Reply("Hello from GPT, streamed."))
        with RouteClient(
            providers={
                "anthropic": {"type": "anthropic", "base_url": claude.base_url, "api_key": "sk-ant-demo"},
                "openai": {"type": "openai", "base_url": gpt.base_url, "api_key": "sk-demo"},
            }
        ) as client:
            # The OpenAI face, routed to Anthropic: an openai.types.chat.ChatCompletion comes back.
            completion = client.chat.completions.create(
                model="anthropic/claude-sonnet-4-5", messages=[{"role": "user", "content": "Hi"}]
            )
            # The Anthropic face, routed to OpenAI, through the anthropic SDK's own stream helper.
            with client.messages.stream(
                model="openai/gpt-4o", max_tokens=100, messages=[{"role": "user", "content": "Hi"}]
            ) as stream:
                streamed = "".join(stream.text_stream)
    print(completion.choices[0].message.content)
    print(streamed)
    return completion.choices[0].message.content or "", streamed


if __name__ == "__main__":
    main()
