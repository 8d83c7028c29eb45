/**
 * The gateway (ws, on the REST server's port): HELLO, heartbeats, IDENTIFY (its intents are
 * recorded, so tests can check MessageContent was asked for) answered with READY and a
 * GUILD_CREATE per guild, RESUME after a dropped connection, and dispatches on demand.
 */
import type http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { IDS, threadMeta, type Guild } from './shapes.js';

export interface FakeGateway {
  identify: Array<{ intents: number }>;
  readonly resumes: number;
  /** Sends a dispatch (op 0); `seen` is told of each first. */
  dispatch(t: string, d: unknown): void;
  sendRaw(frame: string): void;
  drop(code: number): void;
  connected(): Promise<void>;
  close(): void;
}

export function fakeGateway(server: http.Server, guilds: readonly Guild[], base: () => string, seen: (t: string, d: unknown) => void): FakeGateway {
  const wss = new WebSocketServer({ server });
  const identify: Array<{ intents: number }> = [];
  let socket: WebSocket | undefined;
  let seq = 0;
  let resumes = 0;
  let onReady: () => void = () => undefined;
  let ready = new Promise<void>((r) => (onReady = r));
  const dispatch = (t: string, d: unknown) => {
    seen(t, d);
    socket?.send(JSON.stringify({ op: 0, t, s: ++seq, d }));
  };
  wss.on('connection', (ws) => {
    socket = ws;
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 45_000 } }));
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { op: number; d: { intents?: number } };
      if (frame.op === 1) return ws.send(JSON.stringify({ op: 11 }));
      if (frame.op === 2) {
        identify.push({ intents: frame.d.intents ?? 0 });
        dispatch('READY', {
          v: 10,
          user: { id: IDS.bot, username: 'copilot', discriminator: '0', global_name: null, avatar: null, bot: true },
          guilds: guilds.map((g) => ({ id: g.id, unavailable: true })),
          session_id: 'sess-1',
          resume_gateway_url: base().replace('http', 'ws'),
          shard: [0, 1],
          application: { id: IDS.app, flags: 0 },
          private_channels: [],
          presences: [],
        });
        for (const g of guilds) dispatch('GUILD_CREATE', guildCreate(g));
        onReady();
      }
      if (frame.op === 6) {
        resumes++;
        dispatch('RESUMED', {});
        onReady();
      }
    });
  });
  return {
    identify,
    get resumes() {
      return resumes;
    },
    dispatch,
    sendRaw: (frame) => socket?.send(frame),
    drop: (code) => socket?.close(code, 'fake: dropped'),
    connected: () => ready,
    close() {
      ready = new Promise<void>((r) => (onReady = r));
      for (const c of wss.clients) c.terminate();
      wss.close();
    },
  };
}

function guildCreate(g: Guild) {
  return {
    id: g.id,
    name: `Guild ${g.id}`,
    unavailable: false,
    owner_id: IDS.human,
    member_count: 2,
    roles: [g.id, ...(g.roles ?? [])].map((id, position) => ({ id, name: position ? `role ${id}` : '@everyone', permissions: '1071698660929', position, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 })),
    channels: g.channels.map((c) => ({
      id: c.id,
      type: 0,
      name: c.name,
      position: 0,
      // VIEW_CHANNEL (1024) denied to @everyone, allowed to the guild's first role.
      permission_overwrites: c.hidden ? [{ id: g.id, type: 0, allow: '0', deny: '1024' }, ...(g.roles?.[0] ? [{ id: g.roles[0], type: 0, allow: '1024', deny: '0' }] : [])] : [],
    })),
    threads: g.threads.map((t) => ({ id: t.id, type: t.members ? 12 : 11, guild_id: g.id, parent_id: t.parent_id, owner_id: t.owner_id ?? IDS.human, name: t.name, thread_metadata: threadMeta(), message_count: 0, member_count: 1 })),
    members: [],
    emojis: [],
    stickers: [],
  };
}
