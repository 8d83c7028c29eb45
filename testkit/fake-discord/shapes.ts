/** Discord objects as the API returns them: ids, the bot's messages, thread metadata. */

export interface Guild {
  id: string;
  /** `hidden`: @everyone may not view it (members of `roles[0]` may). */
  channels: Array<{ id: string; name: string; hidden?: boolean }>;
  /** `members`: a private thread (type 12) with these members. */
  threads: Array<{ id: string; parent_id: string; name: string; owner_id?: string; members?: string[] }>;
  /** Role ids besides @everyone. */
  roles?: string[];
}

export const IDS = { app: '900000000000000001', bot: '900000000000000001', human: '800000000000000002', other: '800000000000000003' };

let snowflake = 1_000_000_000_000_000n;
export const nextId = () => String(++snowflake);

/** Snowflakes in time order. */
export function compareIds(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function threadMeta() {
  return { archived: false, auto_archive_duration: 1440, archive_timestamp: new Date().toISOString(), locked: false };
}

export function botMessage(channel: string, id: string, content: string) {
  return {
    id,
    channel_id: channel,
    author: { id: IDS.bot, username: 'copilot', discriminator: '0', global_name: null, avatar: null, bot: true },
    content,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    pinned: false,
    type: 0,
    flags: 0,
  };
}
