"""``import routeapi`` stays cheap: no vendor SDK, no OpenTelemetry SDK."""

from __future__ import annotations

import subprocess
import sys

VENDOR_MODULES = ("openai", "anthropic", "google.genai", "boto3", "botocore", "opentelemetry.sdk")


def test_import_routeapi_loads_no_vendor_sdk() -> None:
    code = (
        "import sys, routeapi\n"
        "from routeapi import RouteClient, AsyncRouteClient\n"
        "import routeapi.testing\n"
        f"print([m for m in {VENDOR_MODULES!r} if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_building_a_client_loads_no_vendor_sdk_until_a_call() -> None:
    code = (
        "import sys\n"
        "from routeapi import RouteClient\n"
        "RouteClient(providers={'p': {'type': 'openai', 'api_key': 'k'}}, models={'m': 'p/gpt-4o'})\n"
        f"print([m for m in {VENDOR_MODULES!r} if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
