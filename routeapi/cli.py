"""The ``routeapi`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .cli_client import register as register_client_commands
from .errors import ConfigurationError
from .server.cli import add_arguments as add_serve_arguments
from .server.cli import run as run_serve


def _demo(_: argparse.Namespace) -> int:
    """An offline round trip: a fake OpenAI upstream on loopback, an alias with a fallback, sync and streamed."""
    from . import route_info
    from ._client import RouteClient
    from .testing import FakeOpenAI, Fault, Reply

    print("routeapi demo: OFFLINE — every answer comes from a built-in fake upstream on 127.0.0.1, not a real model.")
    with FakeOpenAI() as upstream:
        upstream.script("broken-model", Fault.status(503, "the primary is down"))
        upstream.script("demo-model", Reply("Hello from routeapi's offline demo!"))
        client = RouteClient(
            providers={"local": {"type": "openai", "base_url": upstream.base_url, "api_key": "demo-key"}},
            models={"chat-default": {"deployments": ["local/broken-model"], "fallbacks": ["local/demo-model"]}},
            retry={"max_attempts": 1},
        )
        with client:
            messages = [{"role": "user", "content": "Say hello."}]
            completion = client.chat.completions.create(model="chat-default", messages=messages)
            info = route_info(completion)
            assert info is not None
            print(f"answer:   {completion.choices[0].message.content}")
            print(f"served:   {info.provider}/{info.model} after {len(info.failed_attempts)} failed attempt(s)")
            print(f"request:  {info.request_id}")
            print("stream:   ", end="", flush=True)
            with client.chat.completions.create(model="chat-default", messages=messages, stream=True) as stream:
                for chunk in stream:
                    if chunk.choices and chunk.choices[0].delta.content:
                        print(chunk.choices[0].delta.content, end="", flush=True)
            print()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="routeapi", description="One client and gateway for every LLM provider.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="run the HTTP gateway (OpenAI, Anthropic and Gemini protocols); needs routeapi[server]",
        description="Serve the gateway. Without --config and ./routeapi.yaml and with no provider key in the "
        "environment, it serves the offline demo.",
    )
    add_serve_arguments(serve)
    serve.set_defaults(handler=run_serve)
    demo = commands.add_parser("demo", help="run an offline SDK demo against a built-in fake upstream, then exit")
    demo.set_defaults(handler=_demo)
    register_client_commands(commands)
    commands.add_parser("keys", help="manage the gateway's tokens: create, list, revoke, rotate", add_help=False)
    commands.add_parser("usage", help="report the gateway's usage by token, model and day", add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Exit codes: 0 success, 1 a call or check failed, 2 bad configuration or usage."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] in (["keys"], ["usage"]):  # the gateway's admin commands have their own parsers
        from .server.admin import keys_main, usage_main

        return (keys_main if arguments[0] == "keys" else usage_main)(arguments[1:])
    args = build_parser().parse_args(arguments)
    try:
        return int(args.handler(args))
    except ConfigurationError as error:
        print(f"routeapi {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
