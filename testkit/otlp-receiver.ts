/** A local OTLP/HTTP trace receiver (JSON encoding): keeps every span it is sent, with its service. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { withBody } from './http.js';

export interface ReceivedSpan {
  service: string;
  scope: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  status: { code?: number; message?: string };
}

export interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  /** Bodies it could not read (another encoding): a test can say so instead of missing spans silently. */
  unreadable: string[];
  close(): Promise<void>;
}

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
const valueOf = (v: AnyValue | undefined) => v?.stringValue ?? (v?.intValue !== undefined ? Number(v.intValue) : v?.boolValue ?? v?.doubleValue);
const attrs = (list: Array<{ key: string; value: AnyValue }> | undefined) => Object.fromEntries((list ?? []).map((a) => [a.key, valueOf(a.value)]));

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const unreadable: string[] = [];
  const server = http.createServer(
    withBody((req, res, raw) => {
      if (req.method === 'POST' && (req.url ?? '').startsWith('/v1/traces')) {
        try {
          const body = JSON.parse(raw) as {
            resourceSpans?: Array<{ resource?: { attributes?: Array<{ key: string; value: AnyValue }> }; scopeSpans?: Array<{ scope?: { name?: string }; spans?: Array<Record<string, unknown>> }> }>;
          };
          for (const rs of body.resourceSpans ?? []) {
            const service = String(attrs(rs.resource?.attributes)['service.name'] ?? '');
            for (const ss of rs.scopeSpans ?? []) {
              for (const s of ss.spans ?? []) {
                spans.push({
                  service,
                  scope: ss.scope?.name ?? '',
                  traceId: String(s.traceId),
                  spanId: String(s.spanId),
                  parentSpanId: s.parentSpanId ? String(s.parentSpanId) : undefined,
                  name: String(s.name),
                  kind: Number(s.kind ?? 0),
                  attributes: attrs(s.attributes as Array<{ key: string; value: AnyValue }>),
                  status: (s.status ?? {}),
                });
              }
            }
          }
        } catch {
          unreadable.push(`${req.headers['content-type']}: ${raw.slice(0, 80)}`);
        }
      }
      // Metrics and logs (the runtime may send them too) are accepted and ignored.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    unreadable,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
