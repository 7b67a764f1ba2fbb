"""``routeapi serve``: arguments, the choice of configuration, and the offline demo's banner."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..catalog.vendors import VENDORS
from ..errors import ConfigurationError
from .demo import DEMO_TOKEN, banner

DEFAULT_CONFIG = "routeapi.yaml"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help=f"YAML configuration (default: ./{DEFAULT_CONFIG} when it exists)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=4000, help="port to listen on (default: 4000)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default: 1)")
    parser.add_argument("--demo", action="store_true", help="serve offline demo models backed by fake upstreams")


def choose_config(given: str | None, env: Mapping[str, str], cwd: Path) -> tuple[str | None, bool, str | None]:
    """(config path, demo, why demo). Without a file and without any provider key there is nothing real to serve:
    the offline demo starts instead."""
    if given is not None:
        return given, False, None
    if (cwd / DEFAULT_CONFIG).is_file():
        return str(cwd / DEFAULT_CONFIG), False, None
    if any(env.get(name) for vendor in VENDORS.values() for name in vendor.key_env):
        raise ConfigurationError(
            f"no --config given and no ./{DEFAULT_CONFIG}: the gateway needs a configuration file with server.tokens"
        )
    return None, True, f"no --config, no ./{DEFAULT_CONFIG} and no provider API key in the environment"


def run(args: argparse.Namespace) -> int:
    """The ``serve`` command, for ``routeapi.cli``: ``serve.set_defaults(handler=run)``."""
    from .serve import load, serve

    try:
        if args.demo:
            path, demo, why = args.config, True, None
        else:
            path, demo, why = choose_config(args.config, os.environ, Path.cwd())
        if demo:
            _, server = load(path)
            print(banner(None if server.tokens else DEMO_TOKEN), file=sys.stderr)
            if why:
                print(f"  (demo because {why})", file=sys.stderr)
        serve(path, host=args.host, port=args.port, workers=args.workers, demo=demo)
    except ConfigurationError as error:
        print(f"routeapi serve: {error}", file=sys.stderr)
        return 2
    return 0


def run_server(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="routeapi serve", description="Run the routeapi gateway.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(run_server())
