import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startModelProxy, type ModelProxy } from '../../src/agent/model-proxy.js';
import { silentLogger } from '../../src/log.js';

let upstream: http.Server | undefined;
let proxy: ModelProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  upstream?.closeAllConnections();
  await new Promise((r) => (upstream ? upstream.close(r) : r(undefined)));
  upstream = proxy = undefined;
});

async function recordingUpstream(): Promise<{ url: string; seen: Array<{ url: string; headers: http.IncomingHttpHeaders; body: string }> }> {
  const seen: Array<{ url: string; headers: http.IncomingHttpHeaders; body: string }> = [];
  upstream = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      setTimeout(() => res.end('data: two\n\n'), 20);
    });
  });
  await new Promise<void>((r) => upstream!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`, seen };
}

describe('model proxy (the provider key stays in the bot)', () => {
  it('forwards to the provider with the real key in place of whatever the runtime sent, streaming the answer', async () => {
    for (const [type, header, value] of [
      ['openai', 'authorization', 'Bearer real-key'],
      ['azure', 'api-key', 'real-key'],
      ['anthropic', 'x-api-key', 'real-key'],
    ] as const) {
      const up = await recordingUpstream();
      proxy = await startModelProxy({ type, baseUrl: up.url, apiKey: 'real-key' }, silentLogger);
      const res = await fetch(`${proxy.baseUrl}/chat/completions?api-version=1`, {
        method: 'POST',
        headers: { authorization: 'Bearer placeholder', 'api-key': 'placeholder', 'x-api-key': 'placeholder', 'content-type': 'application/json' },
        body: '{"stream":true}',
      });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('data: one\n\ndata: two\n\n');
      expect(up.seen[0]).toMatchObject({ url: '/v1/chat/completions?api-version=1', body: '{"stream":true}' });
      expect(up.seen[0]!.headers[header]).toBe(value);
      for (const h of ['authorization', 'api-key', 'x-api-key'].filter((h) => h !== header)) expect(up.seen[0]!.headers[h]).toBeUndefined();
      await proxy.close();
      proxy = undefined;
      upstream!.closeAllConnections();
      await new Promise((r) => upstream!.close(r));
      upstream = undefined;
    }
  });

  it('answers nothing without its random path, and a provider that is down with a 502 that names no address', async () => {
    const up = await recordingUpstream();
    proxy = await startModelProxy({ type: 'openai', baseUrl: up.url, apiKey: 'k' }, silentLogger);
    const origin = new URL(proxy.baseUrl).origin;
    expect((await fetch(`${origin}/chat/completions`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect(up.seen).toHaveLength(0);
    await proxy.close();
    proxy = await startModelProxy({ type: 'openai', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'k' }, silentLogger);
    const down = await fetch(`${proxy.baseUrl}/chat/completions`, { method: 'POST', body: '{}' });
    expect(down.status).toBe(502);
    expect(await down.text()).not.toMatch(/127\.0\.0\.1|:9/);
  });
});
