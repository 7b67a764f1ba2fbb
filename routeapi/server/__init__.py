"""The routeapi gateway: an ASGI app serving the OpenAI, Anthropic and Gemini HTTP APIs over the router.

Needs the ``server`` extra (uvicorn). ``docs/gateway.md`` documents endpoints, auth, errors and configuration.
"""

from .app import Gateway, create_app
from .config import ServerConfig, ServerToken, load_gateway_config
from .serve import serve

__all__ = ["Gateway", "ServerConfig", "ServerToken", "create_app", "load_gateway_config", "serve"]
