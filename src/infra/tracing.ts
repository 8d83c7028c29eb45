/**
 * OpenTelemetry traces, exported by OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set, off (the
 * API's no-op tracer, nothing exported) otherwise. One trace per message: the adapter opens
 * `<platform>.message` when the event arrives; the core's `turn` (with the time it waited in its
 * thread's line) and every platform API call run inside it, and the Copilot runtime's own spans
 * join the same trace (the SDK asks `traceContext()` before each session call, and the runtime
 * exports to the same endpoint). The exporter reads the standard OTEL_* variables (headers,
 * timeouts); OTEL_SERVICE_NAME names the service.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

export const TRACER_NAME = 'copilot-threads';

export interface Tracing {
  enabled: boolean;
  /** Where the runtime should send its spans too (the SDK's `telemetry.otlpEndpoint`). */
  endpoint: string | undefined;
  /** Exports what is buffered and stops; bounded by the exporter's own timeout. */
  shutdown(): Promise<void>;
}

/** Turns tracing on for this process when the environment asks for it. Call once, at start. */
export function startTracing(env: NodeJS.ProcessEnv = process.env): Tracing {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint || env.OTEL_SDK_DISABLED === 'true') return { enabled: false, endpoint: undefined, shutdown: async () => undefined };
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME || 'copilot-threads', [ATTR_SERVICE_VERSION]: '0.1.0' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 1000 })],
  });
  provider.register();
  return { enabled: true, endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined, shutdown: () => provider.shutdown() };
}

export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/**
 * Runs `work` inside a new span (a child of the active one), ended when it settles; a rejection is
 * recorded on the span and rethrown. With tracing off this costs a no-op span.
 */
export function inSpan<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T>, kind: SpanKind = SpanKind.INTERNAL): Promise<T> {
  return tracer().startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await work(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Adds to the active span (the turn's, the message's); nothing without tracing. */
export function annotate(attributes: Attributes, failed = false): void {
  const span = trace.getActiveSpan();
  span?.setAttributes(attributes);
  if (failed) span?.setStatus({ code: SpanStatusCode.ERROR });
}

/** The active trace as W3C headers, for the SDK to pass to the runtime (`onGetTraceContext`). */
export function traceContext(): { traceparent?: string; tracestate?: string } {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}
