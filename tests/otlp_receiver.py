"""A minimal OTLP/HTTP receiver on loopback, for tests of the real export path.

It accepts protobuf POSTs on ``/v1/traces`` and ``/v1/metrics`` (gzip or not), decodes them with the
``opentelemetry.proto`` message classes and keeps what arrived. Use as a context manager::

    with OTLPReceiver() as receiver:
        run_something(env={"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint})
        spans = receiver.wait_for_spans(2)
"""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue


@dataclass(frozen=True)
class ReceivedSpan:
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    kind: int
    """``opentelemetry.proto.trace.v1.Span.SpanKind`` (3: CLIENT)."""
    status_code: int
    """``Status.StatusCode`` (0: unset, 1: ok, 2: error)."""
    attributes: dict[str, Any]
    resource: dict[str, Any]
    scope: str


@dataclass
class _Received:
    spans: list[ReceivedSpan] = field(default_factory=lambda: [])
    metric_names: list[str] = field(default_factory=lambda: [])
    requests: list[str] = field(default_factory=lambda: [])
    changed: threading.Condition = field(default_factory=threading.Condition)


def decode_value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [decode_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return decode_attributes(value.kvlist_value.values)
    return getattr(value, kind) if kind is not None else None


def decode_attributes(pairs: Any) -> dict[str, Any]:
    items: list[KeyValue] = list(pairs)
    return {kv.key: decode_value(kv.value) for kv in items}


class _Handler(BaseHTTPRequestHandler):
    received: _Received  # set on the subclass each receiver builds

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        if self.path == "/v1/traces":
            self._traces(ExportTraceServiceRequest.FromString(body))
            self._reply(ExportTraceServiceResponse().SerializeToString())
        elif self.path == "/v1/metrics":
            self._metrics(ExportMetricsServiceRequest.FromString(body))
            self._reply(ExportMetricsServiceResponse().SerializeToString())
        else:
            self.send_error(404)

    def _traces(self, request: ExportTraceServiceRequest) -> None:
        spans = [
            ReceivedSpan(
                name=span.name,
                trace_id=span.trace_id.hex(),
                span_id=span.span_id.hex(),
                parent_span_id=span.parent_span_id.hex(),
                kind=span.kind,
                status_code=span.status.code,
                attributes=decode_attributes(span.attributes),
                resource=decode_attributes(resource_spans.resource.attributes),
                scope=scope_spans.scope.name,
            )
            for resource_spans in request.resource_spans
            for scope_spans in resource_spans.scope_spans
            for span in scope_spans.spans
        ]
        with self.received.changed:
            self.received.spans.extend(spans)
            self.received.requests.append("traces")
            self.received.changed.notify_all()

    def _metrics(self, request: ExportMetricsServiceRequest) -> None:
        names = [
            metric.name
            for resource_metrics in request.resource_metrics
            for scope_metrics in resource_metrics.scope_metrics
            for metric in scope_metrics.metrics
        ]
        with self.received.changed:
            self.received.metric_names.extend(names)
            self.received.requests.append("metrics")
            self.received.changed.notify_all()

    def _reply(self, payload: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # quiet: pytest shows failures, not every request


class OTLPReceiver:
    """An OTLP/HTTP endpoint on 127.0.0.1 (``endpoint`` is the base URL, as OTEL_EXPORTER_OTLP_ENDPOINT takes)."""

    def __init__(self) -> None:
        self._received = _Received()
        handler = type("Handler", (_Handler,), {"received": self._received})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="otlp-receiver", daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def spans(self) -> list[ReceivedSpan]:
        with self._received.changed:
            return list(self._received.spans)

    @property
    def metric_names(self) -> list[str]:
        with self._received.changed:
            return list(self._received.metric_names)

    def wait_for_spans(self, count: int, timeout: float = 10.0) -> list[ReceivedSpan]:
        """At least ``count`` spans, or whatever arrived when ``timeout`` runs out."""
        deadline = time.monotonic() + timeout
        with self._received.changed:
            while len(self._received.spans) < count and (remaining := deadline - time.monotonic()) > 0:
                self._received.changed.wait(remaining)
            return list(self._received.spans)

    def start(self) -> OTLPReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> OTLPReceiver:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
