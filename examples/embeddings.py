"""Embeddings through the OpenAI face, served by Gemini (or OpenAI, Azure, Bedrock Titan/Cohere)."""

from __future__ import annotations

from routeapi import RouteClient
from routeapi.testing import FakeGemini


def main() -> list[list[float]]:
    with FakeGemini() as gemini:
        providers = {"g": {"type": "gemini", "base_url": gemini.base_url, "api_key": "demo"}}
        with RouteClient(providers=providers) as client:
            response = client.embeddings.create(
                model="g/text-embedding-004", input=["first text", "second text", "third"], dimensions=8
            )
    vectors = [item.embedding for item in response.data]
    print(f"{len(vectors)} vectors of {len(vectors[0])} floats")
    return vectors  # type: ignore[return-value]


if __name__ == "__main__":
    main()
