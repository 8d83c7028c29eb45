/** The start-up model check, against small servers on 127.0.0.1 (and a fetch that fails as DNS would). */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { checkModel, ModelHealth, ModelUnusableError, probeProvider, type ModelProbe } from '../../../src/agent/model-probe.js';
import { freePort } from '../../../testkit/process.js';

const servers: http.Server[] = [];
afterAll(() => servers.forEach((s) => s.close()));

async function serve(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

const openai = (baseUrl: string, apiKey = 'sk-test') => ({ type: 'openai' as const, baseUrl, apiKey });

describe('probeProvider', () => {
  it('ok with the models a provider lists, asked with its key', async () => {
    let auth: string | undefined;
    const url = await serve((req, res) => {
      auth = req.headers.authorization;
      res.end(JSON.stringify({ data: [{ id: 'gpt-a' }, { id: 'gpt-b' }] }));
    });
    expect(await probeProvider(openai(url), 2000)).toEqual({ kind: 'ok', models: ['gpt-a', 'gpt-b'] });
    expect(auth).toBe('Bearer sk-test');
  });

  it('a refused key names COPILOT_PROVIDER_API_KEY with the upstream words, never the key', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'Incorrect API key provided.' } }));
    });
    const probe = await probeProvider(openai(url, 'sk-secret-value'), 2000);
    expect(probe).toEqual({ kind: 'wrong', key: 'COPILOT_PROVIDER_API_KEY', reason: expect.stringMatching(/^the provider at 127\.0\.0\.1:\d+ refused it: 401 Incorrect API key provided\.$/) });
    expect(JSON.stringify(probe)).not.toContain('sk-secret-value');
    // The provider's words are printed to a terminal: no escape sequence gets through.
    const noisy = await serve((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'no\u001b[2J access\u0007' } }));
    });
    expect(await probeProvider(openai(noisy), 2000)).toMatchObject({ kind: 'wrong', reason: expect.stringMatching(/refused it: 403 no \[2J access$/) });
  });

  it('nothing listening, or a host that does not exist: COPILOT_PROVIDER_BASE_URL', async () => {
    const port = await freePort();
    expect(await probeProvider(openai(`http://127.0.0.1:${port}/v1`), 2000)).toEqual({ kind: 'wrong', key: 'COPILOT_PROVIDER_BASE_URL', reason: `nothing answers at 127.0.0.1:${port} (connect ECONNREFUSED)` });
    // DNS is not asked from a test: a fetch failing the way an unknown host does.
    const unknownHost: typeof fetch = () => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND llm.example' } }));
    expect(await probeProvider(openai('https://llm.example/v1'), 2000, unknownHost)).toEqual({ kind: 'wrong', key: 'COPILOT_PROVIDER_BASE_URL', reason: 'the host llm.example is not known (ENOTFOUND)' });
  });

  it('a provider failing or silent for now is down, not wrong; a server with no model list is fine', async () => {
    const failing = await serve((_req, res) => {
      res.writeHead(503);
      res.end('overloaded, try later');
    });
    expect(await probeProvider(openai(failing), 2000)).toEqual({ kind: 'down', reason: expect.stringMatching(/answered 503 overloaded, try later$/) });
    const silent = await serve(() => undefined);
    expect(await probeProvider(openai(silent), 300)).toEqual({ kind: 'down', reason: expect.stringMatching(/did not answer within 0 s$/) });
    const noList = await serve((_req, res) => {
      res.writeHead(404);
      res.end();
    });
    expect(await probeProvider(openai(noList), 2000)).toEqual({ kind: 'ok' });
  });

  it('asks Anthropic with its own headers, and does not ask a native Azure endpoint at all', async () => {
    let seen: http.IncomingHttpHeaders = {};
    let path = '';
    const url = await serve((req, res) => {
      seen = req.headers;
      path = req.url ?? '';
      res.end('{"data":[]}');
    });
    expect((await probeProvider({ type: 'anthropic', baseUrl: url.replace(/\/v1$/, ''), apiKey: 'k' }, 2000)).kind).toBe('ok');
    expect(path).toBe('/v1/models');
    expect(seen['x-api-key']).toBe('k');
    expect(seen['anthropic-version']).toBeDefined();
    const never: typeof fetch = () => Promise.reject(new Error('must not be asked'));
    expect(await probeProvider({ type: 'azure', baseUrl: 'https://res.openai.azure.com', apiKey: 'k' }, 2000, never)).toEqual({ kind: 'ok' });
  });
});

describe('checkModel and ModelHealth', () => {
  const warnings: string[] = [];
  const logger = { warn: (_o: object, msg: string) => void warnings.push(msg) };

  it('stops on a clearly wrong set-up, starts on a down one, warns about a model the provider does not list', async () => {
    const wrong: ModelProbe = { kind: 'wrong', key: 'COPILOT_PROVIDER_API_KEY', reason: 'refused' };
    const provider = { kind: 'provider' as const, ...openai('http://127.0.0.1:1/v1') };
    await expect(checkModel(provider, 'm', logger, async () => wrong)).rejects.toThrow(new ModelUnusableError(wrong).message);
    expect((await checkModel(provider, 'm', logger, async () => ({ kind: 'down', reason: 'slow' })))!.status()).toBe('down: slow');
    await checkModel(provider, 'gpt-x', logger, async () => ({ kind: 'ok', models: ['gpt-a'] }));
    expect(warnings).toContain('COPILOT_MODEL is not among the models the provider lists; turns may fail');
    expect(await checkModel({ kind: 'github' }, undefined, logger)).toBeUndefined();
  });

  it('asks again in the background at most every period, and reports what it learnt', async () => {
    let now = 0;
    let asked = 0;
    let next: ModelProbe = { kind: 'ok' };
    const health = new ModelHealth(async () => (asked++, next), { kind: 'down', reason: 'slow' }, 30_000, () => now);
    expect(health.status()).toBe('down: slow');
    expect(asked).toBe(0);
    now = 30_000;
    expect(health.status()).toBe('down: slow');
    await Promise.resolve();
    await Promise.resolve();
    expect(health.status()).toBe('ok');
    expect(asked).toBe(1);
    next = { kind: 'down', reason: 'gone' };
    now = 45_000;
    health.status();
    expect(asked).toBe(1);
    now = 60_000;
    health.status();
    await new Promise((r) => setTimeout(r, 0));
    expect(health.status()).toBe('down: gone');
    expect(asked).toBe(2);
  });
});
