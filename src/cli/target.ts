/**
 * Which session an operator means: a session id, or the thread as people know it (a Slack
 * permalink, a Discord thread link, a console thread's name). Links name no Slack workspace,
 * so the registry (and the sessions on disk) are searched for the channel and thread they name.
 */
import { consoleThread, localUser } from '../../adapters/console/console.js';
import { parsePermalink } from '../../adapters/slack/thread.js';
import { describeSessionId, legacySessionIdFor, parseSessionId, sessionIdFor, ThreadIdError, type SessionId } from '../core/thread.js';
import type { ThreadRecord } from '../store/registry.js';

export interface Lookup {
  records(): Promise<ThreadRecord[]>;
  sessionIds(): Promise<string[]>;
  known(id: SessionId): Promise<boolean>;
}

const DISCORD_LINK = /^https?:\/\/(?:(?:ptb|canary)\.)?discord(?:app)?\.com\/channels\/(@me|\d{5,25})\/(\d{5,25})(?:\/\d{5,25})?\/?$/;

export async function resolveTarget(text: string, lookup: Lookup): Promise<SessionId> {
  const arg = text.trim().replace(/^<|>$/g, '');
  const discord = DISCORD_LINK.exec(arg);
  if (discord) {
    const [, guild, channel] = discord as unknown as [string, string, string];
    return guild === '@me'
      ? sessionIdFor({ platform: 'discord', workspace: 'dm', channel, thread: channel })
      : sessionIdFor({ platform: 'discord', workspace: guild, channel, thread: channel });
  }
  if (/^https?:\/\//i.test(arg)) {
    const slack = parsePermalink(arg);
    if (!slack) throw new ThreadIdError(`not a Slack or Discord thread link: ${JSON.stringify(arg.slice(0, 80))}`);
    const record = (await lookup.records()).find((r) => r.platform === 'slack' && r.channel === slack.channel && r.thread === slack.thread);
    if (record) return record.sessionId;
    const onDisk = (await lookup.sessionIds()).find((id) => {
      const origin = describeSessionId(id);
      return origin?.platform === 'slack' && origin.channel === slack.channel && origin.thread === slack.thread;
    });
    if (onDisk) return onDisk as SessionId;
    throw new ThreadIdError(`no session for the Slack thread ${slack.channel}/${slack.thread}`);
  }
  // `local:NAME` says outright that NAME is a console thread's.
  if (/^local:./.test(arg)) {
    const name = arg.slice('local:'.length);
    const id = await consoleTarget(name, lookup);
    if (!id) throw new ThreadIdError(`no console thread named ${JSON.stringify(name.slice(0, 60))}`);
    return id;
  }
  let asId: SessionId | undefined;
  try {
    asId = parseSessionId(arg);
  } catch {
    asId = undefined;
  }
  if (asId && (await lookup.known(asId))) return asId;
  const local = await consoleTarget(arg, lookup);
  if (local) return local;
  if (asId) return asId;
  throw new ThreadIdError(`not a session id, thread link or console thread: ${JSON.stringify(arg.slice(0, 60))}`);
}

/**
 * A console thread's name: yours first (under its id, or the one it had before ids were readable),
 * then anyone's if only one has it; undefined when none has.
 */
async function consoleTarget(name: string, lookup: Lookup): Promise<SessionId | undefined> {
  const mine = consoleThread(name, localUser());
  for (const id of [sessionIdFor(mine), legacySessionIdFor(mine)]) if (id && (await lookup.known(id))) return id;
  const named = (await lookup.records()).filter((r) => r.platform === 'local' && r.thread === name);
  if (named.length === 1) return named[0]!.sessionId;
  if (named.length > 1) throw new ThreadIdError(`several console threads are named ${JSON.stringify(name)}: use a session id (${named.map((r) => r.sessionId).join(', ')})`);
  return undefined;
}
