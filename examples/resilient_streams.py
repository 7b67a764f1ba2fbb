"""Streams that survive their upstream: a hedge around a slow first token, and a cut stream carried on elsewhere.

- ``hedge_after``: when the first deployment has sent nothing after that many seconds, the next one starts too and
  whichever streams first is kept (the other is cancelled).
- ``on_interrupt: continue``: when a stream breaks after content, the next target carries the answer on (here
  Claude, which continues the delivered text as a prefix), so the caller reads one whole answer.

Runs offline against routeapi's fake upstreams; with real providers only the ``providers`` section changes.
"""

from __future__ import annotations

from routeapi import RouteClient, route_info
from routeapi.testing import FakeAnthropic, FakeOpenAI, Fault, Reply

QUESTION = [{"role": "user", "content": "Name the primary colours."}]


def main() -> str:
    with FakeOpenAI() as openai_upstream, FakeAnthropic() as anthropic_upstream:
        # gpt-4o goes silent after its first event; gpt-4o-mini answers at once.
        openai_upstream.script("gpt-4o", Fault.stall(after_events=1, then=Reply("never arrives")))
        openai_upstream.script("gpt-4o-mini", Reply("Red, yellow and blue."))
        # gpt-4.1 is cut after "Red, yel"; Claude carries the answer on from there.
        openai_upstream.script("gpt-4.1", Fault.cut(after_events=3, then=Reply("Red, yellow and blue.")))
        anthropic_upstream.script("claude-sonnet-4-5", Reply("low and blue."))

        with RouteClient(
            providers={
                "openai": {"type": "openai", "base_url": openai_upstream.base_url, "api_key": "sk-demo"},
                "anthropic": {"type": "anthropic", "base_url": anthropic_upstream.base_url, "api_key": "sk-demo"},
            },
            models={
                "fast-chat": {
                    "deployments": ["openai/gpt-4o"],
                    "fallbacks": ["openai/gpt-4o-mini"],
                    "hedge_after": 0.5,
                },
                "long-chat": {
                    "deployments": ["openai/gpt-4.1"],
                    "fallbacks": ["anthropic/claude-sonnet-4-5"],
                    "on_interrupt": "continue",
                },
            },
            retry={"max_attempts": 1},
            timeouts={"first_token": 5},
        ) as client:
            answers: list[str] = []
            for model in ("fast-chat", "long-chat"):
                with client.chat.completions.create(model=model, messages=QUESTION, stream=True) as stream:
                    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
                info = route_info(stream)
                assert info is not None
                how = (
                    "hedged"
                    if info.hedged
                    else ", ".join(f"{c.mode} after {c.offset} chars" for c in info.continuations)
                )
                print(f"{model}: {text!r} (served by {info.provider}/{info.model}; {how})")
                answers.append(text)
    return " | ".join(answers)


if __name__ == "__main__":
    main()
