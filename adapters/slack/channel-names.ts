/**
 * CHANNEL_CONFIG's `slack:#name` places, looked up: the ids of the channels of each name the bot
 * can see (`conversations.list`: public channels, and private ones it was invited to). Done when
 * the bot starts and at each reload, never per message: a renamed channel keeps its profile until
 * the next reload, which is the same room under a new name.
 */
import type { WebClient } from '@slack/web-api';

/** Enough for a very large workspace (1,000 per page); past it, the names found so far are what there is. */
const MAX_PAGES = 50;

/** `names` without their `#`, lower case → the ids of the channels so named (none: the name is not there). */
export async function channelIdsByName(client: WebClient, names: readonly string[]): Promise<Map<string, string[]>> {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const found = new Map<string, string[]>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await client.conversations.list({ types: 'public_channel,private_channel', exclude_archived: true, limit: 1000, ...(cursor ? { cursor } : {}) });
    for (const channel of res.channels ?? []) {
      const name = channel.name?.toLowerCase();
      if (channel.id && name && wanted.has(name)) found.set(name, [...(found.get(name) ?? []), channel.id]);
    }
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!cursor || found.size === wanted.size) break;
  }
  return found;
}
