"""Send routeapi's traces and metrics to an OpenTelemetry Collector over OTLP/HTTP.

routeapi depends on ``opentelemetry-api`` only, so its spans are no-ops until the application configures an SDK, as
this script does (``pip install opentelemetry-sdk opentelemetry-exporter-otlp-proto-http``). Start a collector
(``docs/telemetry.md`` has a config), then::

    OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 python examples/otel_collector.py

The call goes to routeapi's fake OpenAI upstream, so it runs offline; with real providers only ``providers``
changes. Without a collector listening, the export fails (logged) and the call still succeeds.
"""

from __future__ import annotations

import os

from opentelemetry import metrics, trace
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from routeapi import RouteClient, route_info
from routeapi.testing import FakeOpenAI, Reply

DEFAULT_ENDPOINT = "http://127.0.0.1:4318"
EXPORT_TIMEOUT = 2.0  # seconds per export: fail fast when no collector listens


def configure_opentelemetry(endpoint: str) -> tuple[TracerProvider, MeterProvider]:
    """The application's job, done once at startup: global providers exporting over OTLP/HTTP."""
    resource = Resource.create({"service.name": "routeapi-example"})
    tracer_provider = TracerProvider(resource=resource)
    span_exporter = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces", timeout=EXPORT_TIMEOUT)
    tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))
    trace.set_tracer_provider(tracer_provider)
    metric_exporter = OTLPMetricExporter(endpoint=f"{endpoint.rstrip('/')}/v1/metrics", timeout=EXPORT_TIMEOUT)
    meter_provider = MeterProvider(resource=resource, metric_readers=[PeriodicExportingMetricReader(metric_exporter)])
    metrics.set_meter_provider(meter_provider)
    return tracer_provider, meter_provider


def traced_call(client: RouteClient) -> str:
    """One call: routeapi records its span (with one child span per attempt), metrics and log record itself."""
    request_id = "req_otel_example"
    completion = client.chat.completions.create(
        model="chat-default", messages=[{"role": "user", "content": "Hello"}], temperature=0, request_id=request_id
    )
    info = route_info(completion)
    served = f"{info.provider}/{info.model}" if info else "unknown"
    return f"{completion.choices[0].message.content} (served by {served}, request {request_id})"


def main() -> str:
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", DEFAULT_ENDPOINT)
    tracer_provider, meter_provider = configure_opentelemetry(endpoint)
    try:
        with FakeOpenAI() as upstream:
            upstream.script(
                "gpt-4o-mini", Reply("Traced.", input_tokens=1_200, output_tokens=20, cache_read_tokens=1_024)
            )
            with RouteClient(
                providers={"openai": {"type": "openai", "base_url": upstream.base_url, "api_key": "sk-demo"}},
                models={"chat-default": "openai/gpt-4o-mini"},
            ) as client:
                summary = traced_call(client)
    finally:
        # Shutting down flushes what the batch processor and the metric reader still hold.
        tracer_provider.shutdown()
        meter_provider.shutdown()
    print(summary, f"-> telemetry sent to {endpoint}")
    return summary


if __name__ == "__main__":
    main()
