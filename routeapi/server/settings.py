"""Settings of the gateway's storage and shared state (``server.storage`` in the configuration schema)."""

from __future__ import annotations

from ..config.models import DEFAULT_DATABASE, StorageSettings

__all__ = ["DEFAULT_DATABASE", "StorageSettings"]
