import { describe, expect, it } from 'vitest';
import { formatEntry, paginate, renderEvent, renderTranscript, stripDatetime, transcriptMarkdown, type TranscriptEvent } from '../../../src/core/history.js';

const at = '2026-11-25T10:00:00.000Z';
const ev = (type: string, data: unknown = {}): TranscriptEvent => ({ type, timestamp: at, data });

describe('history rendering', () => {
  it('shows what the user said without the runtime datetime block', () => {
    expect(stripDatetime('<current_datetime>2026-11-25T10:00</current_datetime>\n\nhello')).toBe('hello');
    expect(renderEvent(ev('user.message', { content: '<current_datetime>x</current_datetime>\n\nhello' }))).toEqual({ kind: 'user', at, text: 'hello' });
    expect(renderEvent(ev('assistant.message', { content: 'hi there' }))).toEqual({ kind: 'assistant', at, text: 'hi there' });
  });

  it('renders tool calls and results compactly', () => {
    expect(renderEvent(ev('tool.execution_start', { toolName: 'view', arguments: { path: '/x' } }))?.text).toBe('view({"path":"/x"}) started');
    expect(renderEvent(ev('tool.execution_complete', { toolName: 'view', success: true, result: { content: 'file body' } }))?.text).toBe('view done: file body');
    expect(renderEvent(ev('tool.execution_complete', { toolName: 'bash', success: false, error: { message: 'denied' } }))?.text).toBe('bash failed: denied');
    expect(renderEvent(ev('assistant.message', { content: '', toolRequests: [{ name: 'bash' }] }))).toMatchObject({ kind: 'tool', text: 'asked for bash' });
    expect(renderEvent(ev('session.error', { message: 'boom' }))).toMatchObject({ kind: 'error', text: 'error: boom' });
  });

  it('never drops an event kind it does not know', () => {
    expect(renderEvent(ev('some.future_kind', { x: 1 }))).toEqual({ kind: 'system', at, text: 'some.future_kind' });
    expect(renderEvent({ type: '' })).toMatchObject({ text: 'unknown event' });
    // Streaming fragments are the only thing left out: the full message is its own event.
    expect(renderEvent(ev('assistant.message_delta', { deltaContent: 'hi' }))).toBeUndefined();
  });

  const turn = [
    ev('session.start', { selectedModel: 'm' }),
    ev('user.message', { content: 'q' }),
    ev('system.message', { content: 'abc' }),
    ev('assistant.turn_start'),
    ev('brand.new_kind'),
    ev('assistant.message', { content: 'a' }),
    ev('assistant.turn_end'),
  ];

  it('shows the conversation, without bookkeeping, unless everything is asked for', () => {
    const chat = renderTranscript(turn);
    // A kind this renderer does not know is not bookkeeping it can vouch for: it still shows.
    expect(chat.map((e) => `${e.kind}:${e.text}`)).toEqual(['user:q', 'system:brand.new_kind', 'assistant:a']);
    const withTools = renderTranscript([
      ev('user.message', { content: 'list files' }),
      ev('assistant.turn_start'),
      ev('assistant.message', { content: '', toolRequests: [{ name: 'bash', toolCallId: 'c1' }] }),
      ev('tool.execution_start', { toolName: 'bash', toolCallId: 'c1', arguments: { command: 'ls' } }),
      ev('permission.requested', { permissionRequest: { kind: 'shell' } }),
      ev('permission.completed', { result: { kind: 'approved' } }),
      ev('tool.execution_complete', { toolCallId: 'c1', success: true, result: { content: 'a.txt' } }),
      ev('assistant.message', { content: '', toolRequests: [{ name: 'edit', toolCallId: 'c2' }] }),
      ev('tool.execution_complete', { toolCallId: 'c2', success: false, error: { message: 'denied by policy' } }),
      ev('session.resume'),
      ev('abort'),
      ev('assistant.message', { content: 'one file' }),
    ]);
    expect(withTools.map((e) => `${e.kind}:${e.text}`)).toEqual([
      'user:list files',
      'tool:bash({"command":"ls"}) → done: a.txt',
      'tool:asked for edit → failed: denied by policy',
      'error:turn stopped before it finished',
      'assistant:one file',
    ]);
  });

  it('folds runs of system events into one line when showing everything', () => {
    const entries = renderTranscript(turn, { all: true });
    expect(entries.map((e) => `${e.kind}:${e.text}`)).toEqual([
      'system:session started (m)',
      'user:q',
      'system:system prompt (3 chars) · turn started · brand.new_kind',
      'assistant:a',
      'system:turn ended',
    ]);
    expect(formatEntry(entries[1]!)).toBe('**user**: q');
    expect(transcriptMarkdown('T', entries)).toContain('## assistant (2026-11-25 10:00 UTC)\n\na');
  });

  it('pages from the newest page by default and clamps out-of-range pages', () => {
    const entries = Array.from({ length: 25 }, (_, i) => ({ kind: 'user' as const, at, text: `m${i}` }));
    expect(paginate(entries, 0, 10)).toMatchObject({ page: 3, pages: 3, total: 25 });
    expect(paginate(entries, 0, 10).entries.map((e) => e.text)).toEqual(['m20', 'm21', 'm22', 'm23', 'm24']);
    expect(paginate(entries, 1, 10).entries[0]?.text).toBe('m0');
    expect(paginate(entries, 99, 10).page).toBe(3);
    expect(paginate([], 0, 10)).toMatchObject({ page: 1, pages: 1, total: 0 });
  });

  it('hides the addresses an error names from the chat, not from the operator', () => {
    const failed = ev('session.error', { message: 'Failed to get response from http://10.1.2.3:8080/v1/chat/completions; retried 5 times' });
    expect(renderEvent(failed)?.text).toBe('error: Failed to get response from [address hidden]; retried 5 times');
    expect(renderEvent(failed, new Map(), 'operator')?.text).toContain('http://10.1.2.3:8080/v1/chat/completions');
    const tool = ev('tool.execution_complete', { toolName: 'web_fetch', success: false, error: { message: 'connect ECONNREFUSED at https://intranet.corp.example/wiki' } });
    expect(renderEvent(tool)?.text).toBe('web_fetch failed: connect ECONNREFUSED at [address hidden]');
    // What a tool returned on success is the answer's material, and stays.
    expect(renderEvent(ev('tool.execution_complete', { toolName: 'web_fetch', success: true, result: { content: 'see https://example.org' } }))?.text).toContain('https://example.org');
  });

  it('marks a message whose turn failed, not one still waiting for its answer', () => {
    const user = (content: string): TranscriptEvent => ({ type: 'user.message', data: { content } });
    const answer = (content: string): TranscriptEvent => ({ type: 'assistant.message', data: { content } });
    const failedOf = (events: TranscriptEvent[]) => renderTranscript(events).filter((e) => e.kind === 'user').map((e) => [e.text, e.failed === true]);
    // An error after it, a stop after it, the next message before any answer (the process died mid-turn).
    expect(failedOf([user('a'), answer('A'), user('b'), { type: 'session.error', data: { message: 'boom' } }, user('c'), answer('C')])).toEqual([['a', false], ['b', true], ['c', false]]);
    expect(failedOf([user('a'), { type: 'abort', data: {} }])).toEqual([['a', true]]);
    expect(failedOf([user('a'), user('b'), answer('B')])).toEqual([['a', true], ['b', false]]);
    // The newest message with no answer and no error may still be running: not marked.
    expect(failedOf([user('a'), answer('A'), user('b')])).toEqual([['a', false], ['b', false]]);
    // A tool call is not an answer.
    expect(failedOf([user('a'), { type: 'assistant.message', data: { content: '', toolRequests: [{ name: 'bash', toolCallId: 't' }] } }, { type: 'session.error', data: { message: 'x' } }])).toEqual([['a', true]]);
    const [entry] = renderTranscript([user('a'), { type: 'abort', data: {} }]);
    expect(formatEntry(entry!)).toBe('**user** (not answered: the turn failed): a');
    expect(transcriptMarkdown('t', [entry!])).toContain('## user (not answered: the turn failed)');
  });
});
