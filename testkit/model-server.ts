/**
 * A small OpenAI-compatible chat-completions server on 127.0.0.1 for tests and benchmarks.
 * The real Copilot runtime talks to it as a BYOK `openai` provider, so every test drives the
 * real SDK end to end without the internet. Replies are scriptable per request; the default
 * script echoes the last user message and lists the earlier ones, which lets a test see which
 * turns the runtime replayed to the model (i.e. whether a session kept its context).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { withBody } from './http.js';

export interface ChatMessage {
  role: string;
  content: string | null | Array<{ type: string; text?: string }>;
  tool_calls?: unknown[];
  tool_call_id?: string;
}

export interface ModelRequest {
  model: string;
  stream: boolean;
  messages: ChatMessage[];
  tools?: Array<{ type: string; function: { name: string } }>;
  /** User messages in order, with the runtime's `<current_datetime>` block removed. */
  userTexts: string[];
}

export type ModelReply =
  /** `delayMs` before the answer; `pieceDelayMs` between streamed pieces (a slow, visible stream). */
  | { kind: 'text'; text: string; delayMs?: number; pieceDelayMs?: number }
  | { kind: 'error'; status: number; message?: string }
  | { kind: 'tool'; name: string; args: Record<string, unknown> }
  /** Never answers until the client goes away (a stuck model). */
  | { kind: 'hang' };

export type ModelScript = (req: ModelRequest) => ModelReply | Promise<ModelReply>;

/** `you said: <last>` plus `| earlier: a; b` when the model was sent earlier turns. */
export function echoReply(req: ModelRequest): ModelReply {
  const texts = req.userTexts;
  const last = texts.at(-1) ?? '';
  const earlier = texts.slice(0, -1);
  return { kind: 'text', text: `you said: ${last}${earlier.length ? ` | earlier: ${earlier.join('; ')}` : ''}` };
}

export function textOf(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => p.text ?? '').join('');
  return '';
}

export function stripDatetime(text: string): string {
  return text.replace(/<current_datetime>[\s\S]*?<\/current_datetime>\s*/g, '').trim();
}

export interface ModelServer {
  url: string;
  requests: ModelRequest[];
  /** Replace the script; returns the previous one. */
  script(fn: ModelScript): ModelScript;
  close(): Promise<void>;
}

export async function startModelServer(initial: ModelScript = echoReply, listenPort = 0): Promise<ModelServer> {
  let script = initial;
  const requests: ModelRequest[] = [];
  const server = http.createServer(
    withBody((req, res, raw) => {
      void handle(req, res, raw).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: String(err) } }));
      });
    }),
  );

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (req.method === 'GET' && path.endsWith('/models')) {
      json(res, 200, { object: 'list', data: [{ id: 'test-model', object: 'model', owned_by: 'test' }] });
      return;
    }
    if (req.method !== 'POST' || !path.endsWith('/chat/completions')) {
      json(res, 404, { error: { message: `no route ${req.method} ${path}` } });
      return;
    }
    const body = JSON.parse(raw) as Omit<ModelRequest, 'userTexts'>;
    const request: ModelRequest = {
      model: body.model,
      stream: body.stream === true,
      messages: body.messages,
      tools: body.tools,
      userTexts: body.messages.filter((m) => m.role === 'user').map((m) => stripDatetime(textOf(m.content))),
    };
    requests.push(request);
    const reply = await script(request);
    switch (reply.kind) {
      case 'error':
        json(res, reply.status, { error: { message: reply.message ?? `scripted ${reply.status}`, type: 'server_error' } });
        return;
      case 'hang':
        await new Promise<void>((resolve) => res.on('close', resolve));
        return;
      case 'text':
        if (reply.delayMs) await delay(reply.delayMs, res);
        if (res.destroyed) return;
        await sendCompletion(res, request, { content: reply.text }, reply.pieceDelayMs);
        return;
      case 'tool':
        await sendCompletion(res, request, {
          toolCall: { id: `call_${requests.length}`, name: reply.name, args: JSON.stringify(reply.args) },
        });
        return;
    }
  }

  await new Promise<void>((resolve) => server.listen(listenPort, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    script(fn) {
      const previous = script;
      script = fn;
      return previous;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function delay(ms: number, res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.on('close', done);
  });
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

interface Completion {
  content?: string;
  toolCall?: { id: string; name: string; args: string };
}

async function sendCompletion(res: http.ServerResponse, req: ModelRequest, out: Completion, pieceDelayMs = 0): Promise<void> {
  const id = `chatcmpl-${Date.now()}`;
  const created = Math.floor(Date.now() / 1000);
  const finish = out.toolCall ? 'tool_calls' : 'stop';
  const toolCalls = out.toolCall
    ? [{ index: 0, id: out.toolCall.id, type: 'function', function: { name: out.toolCall.name, arguments: out.toolCall.args } }]
    : undefined;
  const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
  if (!req.stream) {
    json(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model: req.model,
      choices: [{ index: 0, message: { role: 'assistant', content: out.content ?? null, tool_calls: toolCalls }, finish_reason: finish }],
      usage,
    });
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const chunk = (delta: unknown, finishReason: string | null, extra: object = {}) =>
    res.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: req.model, choices: [{ index: 0, delta, finish_reason: finishReason }], ...extra })}\n\n`,
    );
  chunk({ role: 'assistant', content: '' }, null);
  if (out.content) {
    // Several deltas, so streaming consumers see partial text.
    for (const piece of out.content.match(/[\s\S]{1,40}/g) ?? []) {
      chunk({ content: piece }, null);
      if (pieceDelayMs) await delay(pieceDelayMs, res);
      if (res.destroyed) return;
    }
  }
  if (toolCalls) chunk({ tool_calls: toolCalls }, null);
  chunk({}, finish, { usage });
  res.write('data: [DONE]\n\n');
  res.end();
}

/** `sh <command>` runs it with bash; the tool's output comes back as `OUT: <output>`; anything else is echoed. */
export const shellScript: ModelScript = (req) => {
  const last = req.messages.at(-1)!;
  if (last.role === 'tool') return { kind: 'text', text: `OUT: ${textOf(last.content)}` };
  const said = req.userTexts.at(-1) ?? '';
  if (said.startsWith('sh ')) return { kind: 'tool', name: 'bash', args: { command: said.slice(3), description: 'probe' } };
  return echoReply(req);
};

/**
 * Asks for tools: `run <name>` → `bash` writing `<name>.txt` in the workspace (and printing it),
 * `fetch <url>` → `web_fetch`; a tool's result comes back as `tool answer: <result>`; anything
 * else is answered `you said: <text>`.
 */
export const toolScript: ModelScript = (req) => {
  const last = req.messages.at(-1)!;
  if (last.role === 'tool') return { kind: 'text', text: `tool answer: ${textOf(last.content)}` };
  const said = req.userTexts.at(-1) ?? '';
  const run = /\brun (\w+)/.exec(said);
  if (run) return { kind: 'tool', name: 'bash', args: { command: `echo made-${run[1]} > ${run[1]}.txt && cat ${run[1]}.txt`, description: `write ${run[1]}` } };
  // `exact <hex>`: runs exactly that command (any characters: escapes, bidi controls, long runs of spaces).
  const exact = /\bexact ([0-9a-f]+)/.exec(said);
  if (exact) return { kind: 'tool', name: 'bash', args: { command: Buffer.from(exact[1]!, 'hex').toString('utf8'), description: 'exactly this' } };
  const fetch = /\bfetch (\S+)/.exec(said);
  if (fetch) return { kind: 'tool', name: 'web_fetch', args: { url: fetch[1] } };
  return { kind: 'text', text: `you said: ${said}` };
};
