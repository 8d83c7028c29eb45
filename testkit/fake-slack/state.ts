/** What the fake Slack remembers, shared by the API families (one object per fake). */

/** Who the bot is, in every fake workspace. */
export const BOT = { userId: 'UBOT', botId: 'BBOT', team: 'T111' };

export interface ApiCall {
  method: string;
  args: Record<string, unknown>;
  /** The token it came with (Authorization: Bearer …), if any. */
  token?: string;
  /** What the fake answered (absent when it was told to fail). */
  result?: Record<string, unknown>;
}

export interface SlackState {
  /** http://127.0.0.1:PORT, once listening. */
  base: string;
  calls: ApiCall[];
  /** Streaming messages: open, and how many appends they took. */
  streams: Map<string, { open: boolean; appends: number }>;
  /** Slack closes each stream after this many appends (undefined: never). */
  closeAfter: number | undefined;
  /** What people wrote (the harness tells of each event it sends), as `conversations.replies` lists it. */
  peopleSaid: Array<Record<string, unknown>>;
  /** Display names `users.info` gives. */
  names: Map<string, string>;
  /** People's time zones as `users.info` gives them (others: America/Los_Angeles), and the deactivated. */
  zones: Map<string, string>;
  deactivated: Set<string>;
  privates: Map<string, { members: string[]; kind: 'private' | 'mpim' }>;
  /** Channel id → its name, as `conversations.list` names channels (the rest are `channel-<id>`). */
  channelNames: Map<string, string>;
  /** The file host: path → content. */
  files: Map<string, { content: Buffer; mimetype: string }>;
  /** Ids given out (files, uploads). */
  seq: number;
  /** Workspaces installed by OAuth: bot token → who the bot is there (`auth.test` answers by token). */
  bots: Map<string, InstalledBot>;
  /** Codes Slack's consent screen hands out, and the install each is for (`oauth.v2.access`). */
  installs: Map<string, InstalledBot>;
  /** The token of the call being answered. */
  token: string | undefined;
  /** Tokens of installs the app was removed from: `auth.test` says `token_revoked`. */
  revoked: Set<string>;
}

/** A workspace (or an Enterprise Grid org, installed org-wide) the app was installed into. */
export interface InstalledBot {
  team: string;
  enterprise?: string;
  orgWide?: boolean;
  token: string;
  botUserId: string;
}

/** One API family: method name → how Slack answers it. */
export type Methods = Record<string, (args: Record<string, unknown>) => Record<string, unknown>>;
