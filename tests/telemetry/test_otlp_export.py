"""The real export path: examples/otel_collector.py, run as a user would, exports over OTLP/HTTP to a local
receiver that decodes the protobuf payloads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ..otlp_receiver import OTLPReceiver

EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "otel_collector.py"
SPAN_KIND_CLIENT = 3
STATUS_UNSET = 0


def test_the_example_exports_its_spans_and_metrics_over_otlp_http() -> None:
    with OTLPReceiver() as receiver:
        env = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint}
        result = subprocess.run(
            [sys.executable, str(EXAMPLE)], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 0, result.stderr
        spans = receiver.wait_for_spans(2)
        metric_names = receiver.metric_names

    assert "Traced." in result.stdout
    assert "Failed to export" not in result.stderr
    call = next(s for s in spans if s.parent_span_id == "")
    (attempt,) = [s for s in spans if s.parent_span_id == call.span_id]
    assert len(spans) == 2
    assert (call.name, attempt.name) == ("chat chat-default", "chat gpt-4o-mini")
    assert attempt.trace_id == call.trace_id
    assert (call.kind, call.status_code) == (SPAN_KIND_CLIENT, STATUS_UNSET)
    assert call.scope == "routeapi"
    assert call.resource["service.name"] == "routeapi-example"
    port = call.attributes["server.port"]
    assert isinstance(port, int)
    assert port > 0
    assert call.attributes == {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "chat-default",
        "gen_ai.request.stream": False,
        "gen_ai.request.temperature": 0,
        "routeapi.request_id": "req_otel_example",
        "gen_ai.provider.name": "openai",
        "routeapi.provider": "openai",
        "server.address": "127.0.0.1",
        "server.port": port,
        "routeapi.attempt.count": 1,
        "routeapi.retry.count": 0,
        "routeapi.fallback.position": 0,
        "gen_ai.response.model": "gpt-4o-mini",
        "gen_ai.response.id": call.attributes["gen_ai.response.id"],
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": 1_200,
        "gen_ai.usage.output_tokens": 20,
        "gen_ai.usage.cache_read.input_tokens": 1_024,
        "gen_ai.usage.cache_creation.input_tokens": 0,
        "gen_ai.usage.reasoning.output_tokens": 0,
        # (176 * 0.15 + 1024 * 0.075 + 20 * 0.60) / 1e6
        "routeapi.usage.cost": call.attributes["routeapi.usage.cost"],
    }
    assert abs(call.attributes["routeapi.usage.cost"] - 0.0001152) < 1e-15
    assert str(call.attributes["gen_ai.response.id"]).startswith("chatcmpl")
    assert attempt.attributes["routeapi.attempt.number"] == 1
    assert set(metric_names) >= {
        "gen_ai.client.operation.duration",
        "gen_ai.client.token.usage",
        "routeapi.client.attempts",
    }
