"""OpenTelemetry set-up and W3C trace-context propagation over NATS.

HTTP server spans come from FastAPI's own telemetry (it reads `traceparent` and opens a SERVER span per request
once a tracer provider is installed); this module installs the provider and carries the context through events.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi.telemetry import TelemetryConfig
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_propagator = TraceContextTextMapPropagator()

# FastAPI's own telemetry, as every app of the platform configures it: one SERVER span per request (it carries the
# trace into logs, calls and events), but no span per dependency, endpoint and serialization (several per request,
# they cost more than the work of a small call) and no HTTP metrics (nothing reads them).
FASTAPI_TELEMETRY: TelemetryConfig = {"tracing": True, "operation_spans": False, "metrics": False}


def setup_tracing(service_name: str, exporter: str = "none", endpoint: str | None = None) -> None:
    """Installs an SDK tracer provider once per process (later calls keep the first one, as tests need)."""
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    span_exporter: SpanExporter | None = None
    if exporter == "console":
        span_exporter = ConsoleSpanExporter()
    elif exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        span_exporter = OTLPSpanExporter(endpoint=endpoint) if endpoint else OTLPSpanExporter()
    if span_exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(span_exporter))
    trace.set_tracer_provider(provider)


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


def inject_headers(headers: dict[str, str] | None = None) -> dict[str, str]:
    """Adds the current trace context to outgoing HTTP or NATS headers."""
    headers = dict(headers or {})
    _propagator.inject(headers)
    return headers


def extract_context(carrier: Mapping[str, str] | None) -> otel_context.Context:
    return _propagator.extract(dict(carrier or {}))


def current_trace_id() -> str | None:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None
