"""The public surface is deliberate: a change to ``routeapi.__all__`` must change this test too."""

from __future__ import annotations

import routeapi

PUBLIC = {
    "AllAttemptsFailed",
    "AsyncRouteClient",
    "ConfigurationError",
    "ContentFiltered",
    "ProviderError",
    "RateLimited",
    "RouteClient",
    "RouteError",
    "RouteInfo",
    "StreamInterrupted",
    "UnsupportedFeature",
    "__version__",
    "errors",
    "route_info",
}


def test_all_is_locked() -> None:
    assert set(routeapi.__all__) == PUBLIC


def test_every_public_name_resolves() -> None:
    for name in routeapi.__all__:
        assert getattr(routeapi, name) is not None


def test_the_clients_offer_every_face() -> None:
    config = {"providers": {"p": {"type": "openai", "api_key": "k"}}}
    for client in (routeapi.RouteClient(**config), routeapi.AsyncRouteClient(**config)):
        faces = (client.chat.completions, client.responses, client.embeddings, client.messages, client.models)
        assert all(callable(getattr(face, "create", None) or face.generate_content) for face in faces)
        assert callable(client.aio.models.generate_content)
