/**
 * The web flow's return address (COPILOT_AUTH=per-user with PUBLIC_URL). GitHub sends the person's
 * browser to `GET /auth/github/callback?code=…&state=…` after they approve (or at once, for someone
 * who approved the app before); the page asks them to confirm which chat person their account is
 * being connected to, and only the confirmation (`POST`, same address) links it. So a sign-in link
 * someone else asked for, opened by another person, connects nothing unless they say so. The pages
 * say what happened and hold nothing but the form: no token, nothing reflected unescaped, not framable.
 */
import type http from 'node:http';
import type { Route } from '../../src/infra/http-server.js';
import { CALLBACK_PATH } from '../../src/core/identity/accounts.js';
import { escapeHtml, htmlPage } from '../shared/page.js';

export interface WebSignIns {
  webSignInFor(state: string): Promise<{ ok: true; who: string } | { ok: false; text: string }>;
  finishWebSignIn(state: string, code: string): Promise<{ ok: boolean; text: string }>;
}

/** A confirmation form is a few hundred bytes: anything larger is not one. */
const MAX_FORM_BYTES = 8192;

export function gitHubCallbackRoute(signIns: WebSignIns): Route {
  return async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== CALLBACK_PATH) return false;
    if (req.method === 'GET') {
      const state = url.searchParams.get('state') ?? '';
      const code = url.searchParams.get('code') ?? '';
      // GitHub sends `error=access_denied` when the person declines.
      if (url.searchParams.get('error')) return send(res, 400, 'Not connected', 'You declined the connection on GitHub. Nothing was linked.');
      if (!code || !state) return send(res, 400, 'Not connected', 'This is not a sign-in GitHub sent back. Ask the bot again in the chat (`login`).');
      const pending = await signIns.webSignInFor(state);
      if (!pending.ok) return send(res, 400, 'Not connected', pending.text);
      return send(
        res,
        200,
        'Connect your GitHub account?',
        `This connects your GitHub account to ${pending.who}: Copilot will answer that chat user's messages as you, on your Copilot seat. Continue only if that is you.`,
        { state, code },
      );
    }
    if (req.method === 'POST') {
      const form = await readForm(req);
      if (!form) return send(res, 400, 'Not connected', 'That was not a sign-in confirmation.');
      const result = await signIns.finishWebSignIn(form.get('state') ?? '', form.get('code') ?? '');
      return send(res, result.ok ? 200 : 400, result.ok ? 'Connected' : 'Not connected', result.text);
    }
    res.writeHead(405, { allow: 'GET, POST' }).end();
    return true;
  };
}

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams | undefined> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return undefined;
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) return undefined;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res: http.ServerResponse, status: number, title: string, text: string, confirm?: { state: string; code: string }): true {
  const form = confirm
    ? `<form method="post" action="${CALLBACK_PATH}"><input type="hidden" name="state" value="${escapeHtml(confirm.state)}"><input type="hidden" name="code" value="${escapeHtml(confirm.code)}"><button type="submit">Connect</button></form>`
    : '';
  return htmlPage(res, status, title, text, form);
}
