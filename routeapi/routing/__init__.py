"""Routing: model resolution, retry and fallback policy, and the engine that runs attempts."""
