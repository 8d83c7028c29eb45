/** The bot wired for Discord (real store, runtime, discord.js) against the fake Discord. */
import { createDiscordAdapter, type DiscordAdapter } from '../adapters/discord/index.js';
import { IDS, nextId, startFakeDiscord, type FakeDiscord, type Guild } from './fake-discord.js';
import { startHarness, testLogger, type Harness } from './harness.js';
import type { ModelScript } from './model-server.js';

export const G1 = '100000000000000001';
export const G2 = '100000000000000002';
export const TEXT = '200000000000000001';
export const TEXT2 = '200000000000000002';
export const T1 = '300000000000000001';
export const T2 = '300000000000000002';
export const T3 = '300000000000000003';
export const DM = '400000000000000001';
/** A channel of G1 that @everyone may not view (members of ROLE may), with a thread; and a private thread of G1. */
export const HIDDEN = '200000000000000009';
export const T_STAFF = '300000000000000009';
export const T_PRIVATE = '300000000000000008';
/** A role of guild G1 (for DISCORD_ALLOWED_ROLES). */
export const ROLE = '600000000000000001';

export const GUILDS: Guild[] = [
  {
    id: G1,
    roles: [ROLE],
    channels: [{ id: TEXT, name: 'general' }, { id: HIDDEN, name: 'staff', hidden: true }],
    threads: [
      { id: T1, parent_id: TEXT, name: 'thread one' },
      { id: T2, parent_id: TEXT, name: 'thread two' },
      { id: T_STAFF, parent_id: HIDDEN, name: 'staff thread' },
      { id: T_PRIVATE, parent_id: TEXT, name: 'private thread', members: [IDS.human] },
    ],
  },
  { id: G2, channels: [{ id: TEXT2, name: 'general' }], threads: [{ id: T3, parent_id: TEXT2, name: 'other guild thread' }] },
];

const human = (id = IDS.human) => ({ id, username: `user${id.slice(-2)}`, discriminator: '0', global_name: null, avatar: null });
const bot = { id: IDS.bot, username: 'copilot', discriminator: '0', global_name: null, avatar: null, bot: true };
const member = (id = IDS.human, roles: string[] = []) => ({ user: human(id), roles, permissions: '2248473465835073', joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 });

export interface SayOptions {
  channel?: string;
  guild?: string | null;
  author?: string;
  mention?: boolean;
  id?: string;
  bot?: boolean;
  type?: number;
  /** The author's guild roles. */
  roles?: string[];
}

export interface DiscordHarness {
  h: Harness;
  discord: FakeDiscord;
  adapter: DiscordAdapter;
  /** Dispatches MESSAGE_CREATE; returns the message id. */
  say(content: string, o?: SayOptions): string;
  slash(sub: string, o?: { channel?: string; guild?: string | null; user?: string; page?: number; name?: string; roles?: string[]; strings?: Record<string, string> }): { token: string };
  press(customId: string, o?: { channel?: string; user?: string; ephemeral?: boolean; guild?: string; roles?: string[] }): { token: string };
  /** Contents of the messages the bot got into a channel (Discord accepted them), in order. */
  sent(channel: string): string[];
  restart(): Promise<void>;
  close(): Promise<void>;
}

function channelPayload(channel: string, guild: string | null) {
  if (!guild) return { id: channel, type: 1 };
  const g = GUILDS.find((x) => x.id === guild)!;
  const thread = g.threads.find((t) => t.id === channel);
  return thread ? { id: channel, type: 11, guild_id: guild, parent_id: thread.parent_id, name: thread.name } : { id: channel, type: 0, guild_id: guild, name: 'general' };
}

/** A MESSAGE_CREATE payload as Discord sends it (a mention of the bot unless `mention: false`). */
export function discordMessage(content: string, o: SayOptions = {}) {
  const id = o.id ?? nextId();
  const guild = o.guild === undefined ? G1 : o.guild;
  const author = o.bot ? bot : human(o.author);
  return {
    id,
    channel_id: o.channel ?? T1,
    // Discord marks DM messages with channel_type 1; discord.js needs it to build the uncached DM channel.
    ...(guild ? { guild_id: guild, member: { ...member(o.author, o.roles), user: undefined } } : { channel_type: 1 }),
    author,
    content: o.mention === false ? content : `<@${IDS.bot}> ${content}`,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: o.mention === false ? [] : [bot],
    mention_roles: [],
    attachments: [],
    embeds: [],
    pinned: false,
    type: o.type ?? 0,
    flags: 0,
  };
}

/** An INTERACTION_CREATE payload for `/copilot <sub>`, in a guild thread (default) or a DM (`guild: null`). */
export function slashInteraction(sub: string, token: string, o: { channel?: string; guild?: string | null; user?: string; page?: number; name?: string; roles?: string[]; strings?: Record<string, string> } = {}) {
  const guild = o.guild === undefined ? G1 : o.guild;
  const channel = o.channel ?? T1;
  return {
    id: nextId(),
    application_id: IDS.app,
    type: 2,
    token,
    version: 1,
    data: { id: nextId(), name: 'copilot', type: 1, options: [{ type: 1, name: sub, options: o.page ? [{ type: 4, name: 'page', value: o.page }] : o.name ? [{ type: 3, name: 'name', value: o.name }] : Object.entries(o.strings ?? {}).map(([name, value]) => ({ type: 3, name, value })) }] },
    ...(guild ? { guild_id: guild, member: member(o.user, o.roles) } : { user: human(o.user) }),
    channel_id: channel,
    channel: channelPayload(channel, guild),
    app_permissions: '2248473465835073',
    locale: 'en-US',
    ...(guild ? { guild_locale: 'en-US' } : {}),
    entitlements: [],
    authorizing_integration_owners: guild ? { '0': guild } : { '1': o.user ?? IDS.human },
    context: guild ? 0 : 1,
  };
}

export async function startDiscordHarness(options: { env?: Record<string, string>; script?: ModelScript } = {}): Promise<DiscordHarness> {
  const discord = await startFakeDiscord(GUILDS);
  const h = await startHarness({ env: { DISCORD_TOKEN: 'fake-discord-token', DISCORD_API_URL: discord.apiUrl, ...options.env }, script: options.script });
  const adapterFor = async () => {
    const adapter = createDiscordAdapter({ config: h.config.discord!, conversation: h.app.conversation, registry: h.app.store.registry, dedupe: h.app.store.dedupe, journal: h.app.store.journal, logger: testLogger(), metrics: h.app.metrics });
    await adapter.start();
    return adapter;
  };
  let interactions = 0;
  const d: DiscordHarness = {
    h,
    discord,
    adapter: await adapterFor(),
    say(content, o = {}) {
      const payload = discordMessage(content, o);
      discord.dispatch('MESSAGE_CREATE', payload);
      return payload.id;
    },
    slash(sub, o = {}) {
      const token = `itoken-${++interactions}`;
      discord.dispatch('INTERACTION_CREATE', slashInteraction(sub, token, o));
      return { token };
    },
    press(customId, o = {}) {
      const token = `itoken-${++interactions}`;
      const guild = o.guild ?? G1;
      const channel = o.channel ?? T1;
      discord.dispatch('INTERACTION_CREATE', {
        id: nextId(),
        application_id: IDS.app,
        type: 3,
        token,
        version: 1,
        data: { custom_id: customId, component_type: 2 },
        guild_id: guild,
        member: member(o.user, o.roles),
        channel_id: channel,
        channel: channelPayload(channel, guild),
        message: {
          id: nextId(), channel_id: channel, author: bot, content: 'buttons', timestamp: new Date().toISOString(), edited_timestamp: null,
          tts: false, mention_everyone: false, mentions: [], mention_roles: [], attachments: [], embeds: [], pinned: false, type: 0,
          flags: o.ephemeral === false ? 0 : 64, components: [],
        },
        app_permissions: '2248473465835073',
        locale: 'en-US',
        guild_locale: 'en-US',
        entitlements: [],
        authorizing_integration_owners: { '0': guild },
        context: 0,
      });
      return { token };
    },
    sent(channel) {
      // What the channel shows: each message the bot sent, as last edited, unless deleted.
      const shown = new Map<string, string>();
      for (const c of discord.calls) {
        if (c.status !== 200 && c.status !== 204) continue;
        const edit = new RegExp(`^/channels/${channel}/messages/(\\d+)$`).exec(c.path);
        if (c.method === 'POST' && c.path === `/channels/${channel}/messages`) shown.set((c.response as { id: string }).id, String((c.body as { content?: string }).content ?? ''));
        else if (c.method === 'PATCH' && edit && shown.has(edit[1]!)) shown.set(edit[1]!, String((c.body as { content?: string }).content ?? ''));
        else if (c.method === 'DELETE' && edit) shown.delete(edit[1]!);
      }
      return [...shown.values()];
    },
    async restart() {
      await d.adapter.stop();
      await h.restart();
      d.adapter = await adapterFor();
    },
    async close() {
      // discord.js must leave before the fake closes, or it reconnects forever.
      await d.adapter.stop().catch(() => undefined);
      await h.close();
      await discord.close();
    },
  };
  return d;
}

/** What an interaction showed: its edits of @original and follow-ups, in order. */
export function interactionMessages(discord: FakeDiscord, token: string): Array<{ content: string; flags?: number; components?: unknown[]; files: string }> {
  return discord.calls
    .filter((c) => c.path.startsWith(`/webhooks/${IDS.app}/${token}`))
    .map((c) => {
      const b = c.body as { content?: string; flags?: number; components?: unknown[]; _files?: string };
      return { content: String(b.content ?? ''), flags: b.flags, components: b.components, files: b._files ?? '' };
    });
}
