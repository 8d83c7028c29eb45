/**
 * Downloading a file people attached, for both platforms: only from the platform's own file
 * hosts (a token is never sent anywhere else, and the bot fetches nothing a message merely
 * names), no redirects followed, a deadline, and the size cap enforced while the bytes arrive
 * (a declared size is not trusted).
 */
import { FileTooLargeError } from '../../src/core/attachments.js';

export class FileHostError extends Error {
  override name = 'FileHostError';
}

/**
 * `https://<host>` for the platform's file hosts; where the operator pointed the bot at another
 * API (SLACK_API_URL, DISCORD_API_URL: tests, a proxy), that origin only.
 */
export function allowedOrigins(hosts: readonly string[], apiUrl?: string): Set<string> {
  return apiUrl ? new Set([new URL(apiUrl).origin]) : new Set(hosts.map((h) => `https://${h}`));
}

export async function downloadCapped(url: string, o: { origins: ReadonlySet<string>; headers?: Record<string, string>; maxBytes: number; timeoutMs: number }): Promise<Buffer> {
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    throw new FileHostError('not a URL');
  }
  if (!o.origins.has(origin)) throw new FileHostError(`${origin} is not one of the platform's file hosts`);
  const res = await fetch(url, { headers: o.headers, redirect: 'manual', signal: AbortSignal.timeout(o.timeoutMs) });
  if (res.status >= 300 && res.status < 400) throw new FileHostError(`the file host redirected (HTTP ${res.status}); not followed`);
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > o.maxBytes) {
    await res.body.cancel().catch(() => undefined);
    throw new FileTooLargeError(`${declared} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > o.maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new FileTooLargeError(`over ${o.maxBytes} bytes`);
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks, size);
}
