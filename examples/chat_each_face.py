"""One question through each face — OpenAI, Anthropic and Gemini shaped — each answered by a different provider.

Runs offline against routeapi's fake upstreams; with real providers only ``providers`` changes.
"""

from __future__ import annotations

from routeapi import RouteClient
from routeapi.testing import FakeAnthropic, FakeGemini, FakeOpenAI, Reply


def main() -> list[str]:
    with FakeOpenAI() as gpt, FakeAnthropic() as claude, FakeGemini() as gemini:
        gpt.script_default(Reply("GPT here."))
        claude.script_default(Reply("Claude here."))
        gemini.script_default(Reply("Gemini here."))
        providers = {
            "openai": {"type": "openai", "base_url": gpt.base_url, "api_key": "sk-demo"},
            "anthropic": {"type": "anthropic", "base_url": claude.base_url, "api_key": "sk-demo"},
            "gemini": {"type": "gemini", "base_url": gemini.base_url, "api_key": "demo"},
        }
        with RouteClient(providers=providers) as client:
            question = [{"role": "user", "content": "Who are you?"}]
            completion = client.chat.completions.create(model="anthropic/claude-sonnet-4-5", messages=question)
            message = client.messages.create(model="gemini/gemini-2.5-flash", max_tokens=100, messages=question)
            response = client.models.generate_content(model="openai/gpt-4o-mini", contents="Who are you?")
    answers = [
        completion.choices[0].message.content or "",
        "".join(block.text for block in message.content if block.type == "text"),
        response.text or "",
    ]
    for face, answer in zip(("OpenAI face", "Anthropic face", "Gemini face"), answers, strict=True):
        print(f"{face:15} {answer}")
    return answers


if __name__ == "__main__":
    main()
