/**
 * The web flow's return address (COPILOT_AUTH=per-user with PUBLIC_URL): GitHub sends the person's
 * browser to `GET /auth/github/callback?code=…&state=…` after they approve; the state says whose
 * sign-in it is (core/identity/accounts.ts). The page says what happened, and nothing else: no
 * token, no code, nothing of the request is echoed back.
 */
import type http from 'node:http';
import type { Route } from '../../src/infra/http-server.js';
import { CALLBACK_PATH } from '../../src/core/identity/accounts.js';

export interface WebSignIns {
  finishWebSignIn(state: string, code: string): Promise<{ ok: boolean; text: string }>;
}

export function gitHubCallbackRoute(signIns: WebSignIns): Route {
  return async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== CALLBACK_PATH) return false;
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
      return true;
    }
    const state = url.searchParams.get('state') ?? '';
    const code = url.searchParams.get('code') ?? '';
    // GitHub sends `error=access_denied` when the person declines.
    const result = url.searchParams.get('error')
      ? { ok: false, text: 'You declined the connection on GitHub. Nothing was linked.' }
      : code && state
        ? await signIns.finishWebSignIn(state, code)
        : { ok: false, text: 'This is not a sign-in GitHub sent back. Ask the bot again in the chat (`login`).' };
    res.writeHead(result.ok ? 200 : 400, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // The page holds nothing worth framing or sending on.
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    });
    res.end(page(result.ok ? 'Connected' : 'Not connected', result.text));
    return true;
  };
}

function page(title: string, text: string): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}: copilot-threads</title><style>body{font:16px system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em}</style></head><body><h1>${esc(title)}</h1><p>${esc(text)}</p></body></html>`;
}
