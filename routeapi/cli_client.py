"""``routeapi models``, ``routeapi check`` and ``routeapi chat``: the configuration seen from the command line.

Exit codes: 0 success; 1 a provider check or the call failed; 2 the configuration is invalid or the command misused.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

from .config import RouteConfig, load_file
from .errors import ConfigurationError, RouteError

DEFAULT_CONFIG = "routeapi.yaml"


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help=f"YAML configuration (default: ./{DEFAULT_CONFIG} when it exists)")
    parser.add_argument("--demo", action="store_true", help="use the offline demo providers (fake upstreams)")


@contextlib.contextmanager
def _configuration(args: argparse.Namespace) -> Generator[RouteConfig, None, None]:
    """The configuration the command works on; for ``--demo`` the demo upstreams run while it is in use."""
    if args.demo:
        from .server.demo import DemoUpstreams

        demo = DemoUpstreams().start()
        try:
            yield demo.config()
        finally:
            demo.stop()
        return
    path = args.config or (DEFAULT_CONFIG if Path(DEFAULT_CONFIG).is_file() else None)
    yield load_file(path) if path else RouteConfig()


def _providers(config: RouteConfig) -> dict[str, str | None]:
    """Every provider the configuration uses, with a model to test it with (the first deployment naming it)."""
    found: dict[str, str | None] = dict.fromkeys(config.providers)
    for model in config.models.values():
        for deployment in model.deployments:
            if found.get(deployment.provider) is None:
                found[deployment.provider] = deployment.model
    return found


def models(args: argparse.Namespace) -> int:
    """List the configured aliases, their deployments and fallbacks, and whether each provider has credentials."""
    from .config import resolve_provider

    with _configuration(args) as config:
        reachable: dict[str, str] = {}
        for name in _providers(config):
            try:
                resolve_provider(config, name)
                reachable[name] = "credentials found"
            except ConfigurationError as error:
                reachable[name] = f"NOT USABLE: {error.message}"
        listing: dict[str, Any] = {
            alias: {
                "deployments": [f"{d.provider}/{d.model}" for d in model.deployments],
                "fallbacks": list(model.fallbacks),
            }
            for alias, model in config.models.items()
        }
        if args.json:
            print(json.dumps({"models": listing, "providers": reachable}, indent=2))
            return 0
        for alias, entry in listing.items():
            fallbacks = f"  then {', '.join(entry['fallbacks'])}" if entry["fallbacks"] else ""
            print(f"{alias:24} {', '.join(entry['deployments'])}{fallbacks}")
        if not listing:
            print("no aliases configured: use provider/model IDs such as openai/gpt-4o-mini")
        for name, state in reachable.items():
            print(f"provider {name:16} {state}")
    return 0


def check(args: argparse.Namespace) -> int:
    """Validate the configuration and try each provider's credentials with a one-token call."""
    from ._client import RouteClient

    failures = 0
    with _configuration(args) as config:
        providers = _providers(config)
        if not providers:
            print("the configuration names no provider: nothing to check")
            return 0
        client = RouteClient(
            config=config.model_copy(update={"retry": config.retry.model_copy(update={"max_attempts": 1})})
        )
        with client:
            for name, model in providers.items():
                if model is None:
                    print(f"{name}: skipped (no model of it is configured to test with)")
                    continue
                print(f"{name}: checking with {model} ...", end=" ", flush=True)
                started = time.monotonic()
                try:
                    client.chat.completions.create(
                        model=f"{name}/{model}", messages=[{"role": "user", "content": "ping"}], max_tokens=1
                    )
                except RouteError as error:
                    failures += 1
                    print(f"FAILED ({type(error).__name__}: {error.message})")
                else:
                    print(f"ok ({time.monotonic() - started:.2f}s)")
    if failures:
        print(f"{failures} provider(s) failed", file=sys.stderr)
        return 1
    return 0


def chat(args: argparse.Namespace) -> int:
    """Stream one answer to the terminal."""
    from ._client import RouteClient

    with _configuration(args) as config, RouteClient(config=config) as client:
        try:
            stream = client.chat.completions.create(
                model=args.model, messages=[{"role": "user", "content": args.prompt}], stream=True
            )
            with stream:
                for chunk in stream:
                    if chunk.choices and chunk.choices[0].delta.content:
                        print(chunk.choices[0].delta.content, end="", flush=True)
            print()
        except RouteError as error:
            print(f"\nrouteapi chat: {type(error).__name__}: {error.message}", file=sys.stderr)
            return 1
    return 0


def register(commands: Any) -> None:
    """Add ``models``, ``check`` and ``chat`` to the ``routeapi`` parser's subcommands."""
    listing = commands.add_parser("models", help="list configured models and whether their providers are usable")
    add_config_arguments(listing)
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=models)
    checking = commands.add_parser(
        "check", help="validate the configuration and test each provider's credentials (exit 1 on failure)"
    )
    add_config_arguments(checking)
    checking.set_defaults(handler=check)
    chatting = commands.add_parser("chat", help="stream one answer to the terminal")
    add_config_arguments(chatting)
    chatting.add_argument("-m", "--model", required=True, help="a model ID: an alias or provider/model")
    chatting.add_argument("prompt", help="the prompt")
    chatting.set_defaults(handler=chat)
