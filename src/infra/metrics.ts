/**
 * What an operator graphs and alerts on, in Prometheus's format at `GET /metrics` (prom-client):
 * turns by platform and outcome with their latency, the thread queues, live sessions and the
 * runtime's memory and recycles, every platform API call by method and status, deliveries
 * de-duplicated, tool approvals, and store latency. One registry per app (no global): the parts
 * that count are handed this object, and gauges are read from their owners when scraped.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Route } from './http-server.js';

export type TurnOutcome = 'answered' | 'timeout' | 'failed' | 'runtime_exited' | 'store_unavailable' | 'stopped' | 'busy' | 'session_limit' | 'signed_out' | 'no_seat' | 'error';

/** Read when scraped, from whoever owns the number. */
export interface MetricSources {
  queuedTurns(): number;
  liveSessions(): number;
  runtimeRssBytes(): number | undefined;
  runtimeRecycles(): number;
}

const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const FAST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

export class Metrics {
  readonly registry = new Registry();
  private readonly turns = new Counter({ name: 'copilot_threads_turns_total', help: 'Turns by platform and outcome.', labelNames: ['platform', 'outcome'], registers: [this.registry] });
  private readonly turnSeconds = new Histogram({ name: 'copilot_threads_turn_duration_seconds', help: 'From the start of a turn to its answer (or failure).', labelNames: ['platform'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  private readonly queueWait = new Histogram({ name: 'copilot_threads_queue_wait_seconds', help: 'How long a message waited behind earlier turns of its thread.', labelNames: ['platform'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  private readonly apiCalls = new Counter({ name: 'copilot_threads_platform_api_calls_total', help: 'Slack Web API and Discord REST calls by method and HTTP status (0: no answer).', labelNames: ['platform', 'method', 'status'], registers: [this.registry] });
  private readonly apiErrors = new Counter({ name: 'copilot_threads_platform_api_errors_total', help: 'Platform API calls that failed: an HTTP error, a Slack ok:false, or no answer.', labelNames: ['platform', 'method', 'status'], registers: [this.registry] });
  private readonly deduplicated = new Counter({ name: 'copilot_threads_deliveries_deduplicated_total', help: 'Deliveries (platform retries, a mention seen twice, another instance) not answered again.', labelNames: ['platform'], registers: [this.registry] });
  private readonly approvals = new Counter({ name: 'copilot_threads_tool_approvals_total', help: 'Tool approval requests by how they ended: approved, always, denied, expired, granted (an earlier always).', labelNames: ['tool', 'outcome'], registers: [this.registry] });
  private readonly storeSeconds = new Histogram({ name: 'copilot_threads_store_operation_seconds', help: 'Store calls (registry, de-duplication, journal, approvals) by operation and result.', labelNames: ['operation', 'result'], buckets: FAST_BUCKETS, registers: [this.registry] });

  constructor(sources: MetricSources, options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    new Gauge({ name: 'copilot_threads_queued_turns', help: 'Turns queued or running in this process.', registers, collect() { this.set(sources.queuedTurns()); } });
    new Gauge({ name: 'copilot_threads_live_sessions', help: 'Copilot sessions open in the runtime (the rest stay on disk).', registers, collect() { this.set(sources.liveSessions()); } });
    new Gauge({
      name: 'copilot_threads_runtime_rss_bytes',
      help: 'Resident memory of the Copilot runtime (with its sandbox and tools).',
      registers,
      collect() {
        const rss = sources.runtimeRssBytes();
        if (rss !== undefined) this.set(rss);
      },
    });
    new Gauge({ name: 'copilot_threads_runtime_recycles', help: 'Times the runtime was restarted to bound its memory (RUNTIME_RECYCLE_*).', registers, collect() { this.set(sources.runtimeRecycles()); } });
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'copilot_threads_' });
  }

  turn(platform: string, outcome: TurnOutcome, seconds: number): void {
    this.turns.inc({ platform, outcome });
    this.turnSeconds.observe({ platform }, seconds);
  }

  waited(platform: string, seconds: number): void {
    this.queueWait.observe({ platform }, seconds);
  }

  apiCall(platform: string, method: string, status: number, ok: boolean): void {
    const labels = { platform, method, status: String(status) };
    this.apiCalls.inc(labels);
    if (!ok) this.apiErrors.inc(labels);
  }

  deduplicatedDelivery(platform: string): void {
    this.deduplicated.inc({ platform });
  }

  approval(tool: string, outcome: string): void {
    this.approvals.inc({ tool, outcome });
  }

  storeCall(operation: string, seconds: number, ok: boolean): void {
    this.storeSeconds.observe({ operation, result: ok ? 'ok' : 'error' }, seconds);
  }

  contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** What adapters count: their platform's API calls, and deliveries they did not answer twice. */
export type PlatformMetrics = Pick<Metrics, 'apiCall' | 'deduplicatedDelivery'>;

/** `GET /metrics` on the bot's HTTP port. */
export function metricsRoute(metrics: Metrics): Route {
  return async (req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') return false;
    const body = await metrics.text();
    res.writeHead(200, { 'content-type': metrics.contentType() });
    res.end(body);
    return true;
  };
}
