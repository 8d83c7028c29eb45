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

  it('schedule: the when in quotes (straight or typographic), the prompt with its own lines; schedules; unschedule ID', () => {
    expect(parseInput('schedule "every weekday at 09:00" summarise\n  the PRs')).toEqual({ kind: 'command', command: { kind: 'schedule', when: 'every weekday at 09:00', prompt: 'summarise\n  the PRs' } });
    expect(parseInput('/copilot schedule “in 2h” ping me')).toEqual({ kind: 'command', command: { kind: 'schedule', when: 'in 2h', prompt: 'ping me' } });
    // Quoted, it is meant as a command: a mistake is shown, not sent to the model.
    expect(parseInput('schedule "in 2h"')).toMatchObject({ kind: 'invalid', message: expect.stringContaining('Usage: `schedule "<when>" <prompt>`') });
    expect(parseInput('schedule "in 2h" history')).toEqual({ kind: 'invalid', message: 'A schedule runs a question or a task for me, not a command.' });
    expect(parseInput('schedule "in 2h" /forget')).toEqual({ kind: 'invalid', message: 'A schedule runs a question or a task for me, not a command.' });
    // Without quotes it is a prompt ("schedule a meeting tomorrow"), unless said as a command.
    expect(parseInput('schedule a meeting for tomorrow')).toEqual({ kind: 'prompt', text: 'schedule a meeting for tomorrow' });
    expect(parseInput('/schedule tomorrow ping')).toMatchObject({ kind: 'invalid' });
    expect(parseInput('schedules')).toEqual({ kind: 'command', command: { kind: 'schedules' } });
    expect(parseInput('unschedule 0A1b2C3d')).toEqual({ kind: 'command', command: { kind: 'unschedule', id: '0a1b2c3d' } });
    expect(parseInput('unschedule `0a1b2c3d`')).toEqual({ kind: 'command', command: { kind: 'unschedule', id: '0a1b2c3d' } });
    expect(parseInput('/unschedule ../../x')).toMatchObject({ kind: 'invalid', message: expect.stringContaining('Usage: `unschedule ID`') });
    expect(parseInput('unschedule the meeting')).toEqual({ kind: 'prompt', text: 'unschedule the meeting' });
    // An id mistyped, or none: said as a mistake, not sent to the model.
    expect(parseInput('unschedule 3f9a2c1')).toMatchObject({ kind: 'invalid', message: expect.stringContaining('Usage: `unschedule ID`') });
    expect(parseInput('unschedule')).toMatchObject({ kind: 'invalid' });
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
