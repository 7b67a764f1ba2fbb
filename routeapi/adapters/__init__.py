"""Adapters: one module per provider, each wrapping the official vendor SDK."""
