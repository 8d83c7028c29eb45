/**
 * Is the model there? A BYOK provider is asked once at start for its model list (free, no
 * tokens spent) under a deadline, so a broken set-up is found before the first message rather
 * than 20 s into it. What the answer means:
 *
 * - `wrong`: the configuration is clearly wrong and waiting will not fix it (the key refused,
 *   the host unknown, nothing listening): the entry point stops, naming the setting and the
 *   upstream's own words.
 * - `down`: the provider is unreachable or failing for now (a timeout, a 5xx): the bot starts,
 *   and /healthz says `model: "down: …"` until a later probe succeeds.
 * - `ok`: it answered (or answered that it has no model list, which many compatible servers do).
 *
 * A Copilot (GitHub token) set-up is not probed here: its check needs GitHub itself, which the
 * runtime reaches on its own (docs/operations.md, troubleshooting, for how its errors show).
 */
import type { ProviderType } from '../domain.js';

export type ModelProbe =
  | { kind: 'ok'; models?: string[] }
  | { kind: 'wrong'; key: 'COPILOT_PROVIDER_API_KEY' | 'COPILOT_PROVIDER_BASE_URL'; reason: string }
  | { kind: 'down'; reason: string };

export interface ProbedProvider {
  type: ProviderType;
  baseUrl: string;
  apiKey: string | undefined;
}

/** Where the provider lists its models, with the headers it wants; undefined where there is no such list to ask. */
export function modelListRequest(p: ProbedProvider): { url: string; headers: Record<string, string> } | undefined {
  const base = p.baseUrl.replace(/\/+$/, '');
  switch (p.type) {
    case 'openai':
      return { url: `${base}/models`, headers: p.apiKey ? { authorization: `Bearer ${p.apiKey}` } : {} };
    case 'anthropic':
      return { url: `${base}${/\/v1$/.test(base) ? '' : '/v1'}/models`, headers: { 'anthropic-version': '2023-06-01', ...(p.apiKey ? { 'x-api-key': p.apiKey } : {}) } };
    case 'azure':
      // Native Azure endpoints list deployments per API version and resource; their v1 surface is OpenAI's.
      return /\/openai\/v1$/.test(base) ? { url: `${base}/models`, headers: p.apiKey ? { 'api-key': p.apiKey } : {} } : undefined;
  }
}

export async function probeProvider(p: ProbedProvider, timeoutMs: number, fetchImpl: typeof fetch = fetch): Promise<ModelProbe> {
  const request = modelListRequest(p);
  if (!request) return { kind: 'ok' };
  const host = new URL(request.url).host;
  let res: Response;
  try {
    res = await fetchImpl(request.url, { headers: request.headers, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
  } catch (err) {
    return fromNetworkError(err, host, timeoutMs);
  }
  const words = await upstreamWords(res);
  if (res.status === 401 || res.status === 403) {
    return { kind: 'wrong', key: 'COPILOT_PROVIDER_API_KEY', reason: `the provider at ${host} refused it: ${res.status}${words ? ` ${words}` : ''}` };
  }
  if (res.ok) return { kind: 'ok', ...modelsIn(words) };
  // No model list on this server (404, 405): nothing wrong with the set-up that this can tell.
  if (res.status === 404 || res.status === 405) return { kind: 'ok' };
  return { kind: 'down', reason: `${host} answered ${res.status}${words ? ` ${words}` : ''}` };
}

function fromNetworkError(err: unknown, host: string, timeoutMs: number): ModelProbe {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? (err as { code?: string }).code;
  const name = (err as { name?: string }).name;
  if (name === 'TimeoutError' || name === 'AbortError') return { kind: 'down', reason: `${host} did not answer within ${Math.round(timeoutMs / 1000)} s` };
  if (code === 'ENOTFOUND') return { kind: 'wrong', key: 'COPILOT_PROVIDER_BASE_URL', reason: `the host ${host.replace(/:\d+$/, '')} is not known (ENOTFOUND)` };
  if (code === 'ECONNREFUSED') return { kind: 'wrong', key: 'COPILOT_PROVIDER_BASE_URL', reason: `nothing answers at ${host} (connect ECONNREFUSED)` };
  return { kind: 'down', reason: `${host}: ${cause?.message ?? (err instanceof Error ? err.message : String(err))}` };
}

/** The upstream's own message, short and on one line (an error's `message`, or the start of the body). */
async function upstreamWords(res: Response): Promise<string> {
  const body = await res.text().catch(() => '');
  if (!res.ok) {
    try {
      const parsed = JSON.parse(body) as { error?: { message?: string } | string; message?: string };
      const message = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message);
      if (message) return clean(message);
    } catch {
      // not JSON: its first words
    }
    return clean(body);
  }
  return body;
}

/** One short line, with no control characters: it is printed to a terminal as it is. */
// eslint-disable-next-line no-control-regex
const clean = (s: string) => s.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200);

/** Model ids from an OpenAI- or Anthropic-style list (`{ data: [{ id }] }`), when the body is one. */
function modelsIn(body: string): { models?: string[] } {
  try {
    const data = (JSON.parse(body) as { data?: Array<{ id?: unknown }> }).data;
    const models = Array.isArray(data) ? data.map((m) => m.id).filter((id): id is string => typeof id === 'string') : [];
    return models.length ? { models } : {};
  } catch {
    return {};
  }
}

/** The configuration is clearly wrong: the entry point stops with this line. */
export class ModelUnusableError extends Error {
  override name = 'ModelUnusableError';
  constructor(readonly probe: Extract<ModelProbe, { kind: 'wrong' }>) {
    super(`the model cannot be used: ${probe.key}: ${probe.reason}`);
  }
}

/**
 * The model's part of /healthz: the last probe's result, asked again in the background at most
 * every `everyMs` (so a provider that comes back, or goes away, shows within that long and a
 * busy health checker does not become traffic to the provider).
 */
export class ModelHealth {
  private last: ModelProbe;
  private askedAt: number;
  private asking: Promise<void> | undefined;

  constructor(
    private readonly probe: () => Promise<ModelProbe>,
    first: ModelProbe,
    private readonly everyMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {
    this.last = first;
    this.askedAt = now();
  }

  status(): string {
    if (!this.asking && this.now() - this.askedAt >= this.everyMs) {
      this.askedAt = this.now();
      this.asking = this.probe()
        .then((p) => void (this.last = p), (err: unknown) => void (this.last = { kind: 'down', reason: String(err) }))
        .finally(() => (this.asking = undefined));
    }
    return this.last.kind === 'ok' ? 'ok' : `down: ${this.last.reason}`;
  }
}

/** How long the start-up probe waits for the provider. */
export const MODEL_PROBE_MS = 5000;

/**
 * The start-up check of the entry points that run turns: throws `ModelUnusableError` when the
 * set-up is clearly wrong, warns when the provider is down or does not list COPILOT_MODEL, and
 * returns what /healthz reports (undefined when there is nothing to probe).
 */
export async function checkModel(
  auth: { kind: 'github' | 'per-user' } | ({ kind: 'provider' } & ProbedProvider) | undefined,
  model: string | undefined,
  logger: { warn: (obj: object, msg: string) => void },
  probe: (p: ProbedProvider) => Promise<ModelProbe> = (p) => probeProvider(p, MODEL_PROBE_MS),
): Promise<ModelHealth | undefined> {
  if (auth?.kind !== 'provider') return undefined;
  const first = await probe(auth);
  if (first.kind === 'wrong') throw new ModelUnusableError(first);
  if (first.kind === 'down') logger.warn({ reason: first.reason }, 'the model provider is not answering; starting anyway (/healthz reports it)');
  if (first.kind === 'ok' && model && first.models && !first.models.includes(model)) {
    logger.warn({ model, listed: first.models.slice(0, 20) }, 'COPILOT_MODEL is not among the models the provider lists; turns may fail');
  }
  return new ModelHealth(() => probe(auth), first);
}
