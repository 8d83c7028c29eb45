import { describe, expect, it } from 'vitest';
import { parseInput } from '../../../../src/core/commands/parse.js';

describe('parseInput', () => {
  it('reads commands in every form a platform sends them', () => {
    expect(parseInput('history')).toEqual({ kind: 'command', command: { kind: 'history', page: 0 } });
    expect(parseInput('/history 2')).toEqual({ kind: 'command', command: { kind: 'history', page: 2 } });
    expect(parseInput('  HISTORY  3 ')).toEqual({ kind: 'command', command: { kind: 'history', page: 3 } });
    expect(parseInput('/copilot forget')).toEqual({ kind: 'command', command: { kind: 'forget' } });
    expect(parseInput('copilot sessions')).toEqual({ kind: 'command', command: { kind: 'sessions' } });
    expect(parseInput('help', { explicit: true })).toEqual({ kind: 'command', command: { kind: 'help' } });
    expect(parseInput('!help')).toEqual({ kind: 'command', command: { kind: 'help' } });
  });

  it('reads model and agent, with or without a name', () => {
    expect(parseInput('model')).toEqual({ kind: 'command', command: { kind: 'model' } });
    expect(parseInput('/copilot model gpt-5.1')).toEqual({ kind: 'command', command: { kind: 'model', name: 'gpt-5.1' } });
    expect(parseInput('agent reviewer')).toEqual({ kind: 'command', command: { kind: 'agent', name: 'reviewer' } });
    expect(parseInput('model the data as a graph, please').kind).toBe('prompt');
    expect(parseInput('/model a b')).toEqual({ kind: 'invalid', message: expect.stringMatching(/Usage: `model \[name\]`/) });
  });

  it('repo: show, bind (owner/name or a URL, Slack\'s <link|label> unwrapped, a ref), pull, remove', () => {
    const repo = (text: string, explicit = false) => parseInput(text, { explicit });
    expect(repo('repo')).toEqual({ kind: 'command', command: { kind: 'repo', action: { kind: 'show' } } });
    expect(repo('repo acme/widgets')).toEqual({ kind: 'command', command: { kind: 'repo', action: { kind: 'bind', target: 'acme/widgets' } } });
    expect(repo('/repo <https://github.com/acme/widgets|acme/widgets> release/1.2')).toEqual({ kind: 'command', command: { kind: 'repo', action: { kind: 'bind', target: 'https://github.com/acme/widgets', ref: 'release/1.2' } } });
    expect(repo('repo pull')).toEqual({ kind: 'command', command: { kind: 'repo', action: { kind: 'pull', discard: false } } });
    expect(repo('repo pull --discard')).toEqual({ kind: 'command', command: { kind: 'repo', action: { kind: 'pull', discard: true } } });
    expect(repo('repo remove')).toEqual({ kind: 'command', command: { kind: 'repo', action: { kind: 'remove' } } });
    // A ref git could take for an option or a path trick is refused.
    for (const bad of ['/repo acme/w --upload-pack=x', '/repo acme/w a..b', '/repo acme/w a b', '/repo pull now', '/repo remove all', '/repo widgets']) expect(repo(bad).kind, bad).toBe('invalid');
    // Plain words that are not a repository are a prompt.
    expect(repo('repo is broken').kind).toBe('prompt');
  });

  it('leaves prompts that merely start with a command word to the model', () => {
    expect(parseInput('history of Rome, briefly')).toEqual({ kind: 'prompt', text: 'history of Rome, briefly' });
    expect(parseInput('forget about it and tell me a joke').kind).toBe('prompt');
    expect(parseInput('help me write a regex').kind).toBe('prompt');
    expect(parseInput('history 0').kind).toBe('prompt');
    expect(parseInput('/etc/hosts: what is this file for?').kind).toBe('prompt');
  });

  it('answers a mistyped explicit command with usage instead of sending it to the model', () => {
    expect(parseInput('/history abc')).toEqual({ kind: 'invalid', message: expect.stringMatching(/Usage: `history \[page\]`/) });
    expect(parseInput('/forget now')).toEqual({ kind: 'invalid', message: '`forget` takes no arguments.' });
    expect(parseInput('/frobnicate')).toEqual({ kind: 'invalid', message: expect.stringMatching(/Unknown command `frobnicate`/) });
    expect(parseInput('', { explicit: true })).toEqual({ kind: 'invalid', message: expect.stringMatching(/Which command/) });
  });
});
