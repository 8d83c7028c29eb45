/**
 * The few pages the bot shows a browser (GitHub's sign-in return, Slack's install result): a title,
 * a sentence, at most a form of the bot's own; everything escaped, nothing cached, not framable,
 * no script, forms posting only back to the bot.
 */
import type http from 'node:http';

export function htmlPage(res: http.ServerResponse, status: number, title: string, text: string, form = ''): true {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // Nobody clicks a button of these pages through someone else's frame.
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  });
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}: copilot-threads</title><style>body{font:16px system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em}button{font-size:1em;padding:.5em 1.5em}</style></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>${form}</body></html>`,
  );
  return true;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
