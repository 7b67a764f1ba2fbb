"""Running the gateway under uvicorn, in one process or several workers."""

from __future__ import annotations

import copy
import os
from typing import Any

from ..config import RouteConfig
from ..errors import ConfigurationError
from .app import Gateway, create_app
from .config import ServerConfig, load_gateway_config
from .settings import StorageSettings

_CONFIG_ENV = "ROUTEAPI_SERVE_CONFIG"  # how ``serve`` tells worker processes what to load
_DEMO_ENV = "ROUTEAPI_SERVE_DEMO"
DATABASE_ENV = "ROUTEAPI_DATABASE"
REDIS_ENV = "ROUTEAPI_REDIS"


def load(config_path: str | None) -> tuple[RouteConfig, ServerConfig]:
    """The configuration to serve: the file's, or without a file the defaults (which only the demo can serve)."""
    if config_path is not None:
        return load_gateway_config(config_path)
    return RouteConfig(), ServerConfig()


def storage_settings(server: ServerConfig, *, demo: bool = False) -> StorageSettings | None:
    """``server.storage`` when configured; else ``$ROUTEAPI_DATABASE`` / ``$ROUTEAPI_REDIS``; else the default
    SQLite file ``./routeapi.db`` (the offline demo keeps nothing unless told where)."""
    configured: StorageSettings | None = getattr(server, "storage", None)
    if configured is not None:
        return configured
    database, redis = os.environ.get(DATABASE_ENV), os.environ.get(REDIS_ENV)
    if database or redis:
        return StorageSettings(database=database or StorageSettings().database, redis=redis or None)
    return None if demo else StorageSettings()


def app_from_file(config_path: str | None, *, demo: bool = False) -> Gateway:
    config, server = load(config_path)
    return create_app(config, server=server, demo=demo, storage=storage_settings(server, demo=demo))


def app_from_environment() -> Gateway:
    """The app factory each uvicorn worker process calls."""
    return app_from_file(os.environ.get(_CONFIG_ENV) or None, demo=os.environ.get(_DEMO_ENV) == "1")


def serve(
    config_path: str | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 4000,
    workers: int = 1,
    demo: bool = False,
    log_level: str = "info",
) -> None:
    """Serve until interrupted. The configuration is loaded and checked before the port is bound; with several
    workers each process loads it again (limits, and demo upstreams, are per process)."""
    try:
        import uvicorn
    except ImportError:
        raise ConfigurationError("the gateway needs uvicorn: pip install 'routeapi[server]'") from None
    from .connections import GatewayH11Protocol  # a deadline for request heads, and TCP_NODELAY

    if workers <= 1:
        app = app_from_file(config_path, demo=demo)
        uvicorn.run(
            app,
            host=host,
            port=port,
            http=GatewayH11Protocol,
            log_config=_log_config(log_level),
            access_log=False,
            lifespan="on",
        )
        return
    config, server = load(config_path)
    if not demo:
        create_app(config, server=server, storage=storage_settings(server))  # fail here, once, not in every worker
    os.environ[_CONFIG_ENV] = config_path or ""
    os.environ[_DEMO_ENV] = "1" if demo else ""
    factory = f"{__name__}:app_from_environment"
    uvicorn.run(
        factory,
        factory=True,
        workers=workers,
        host=host,
        port=port,
        http=GatewayH11Protocol,
        log_config=_log_config(log_level),
        access_log=False,
        lifespan="on",
    )


def _log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging setup plus the ``routeapi`` loggers (one line per request, with its ID), applied in every
    worker process. uvicorn's own access log is off: ours carries the request ID."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["routeapi"] = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    config["loggers"]["uvicorn"]["level"] = level.upper()
    return config
