"""The protocol faces a client offers: OpenAI, Anthropic and Gemini shaped, returning the vendor SDKs' types."""
