/** Every message of every channel, as Discord would list it (the bot's edits replace their message). */
import { compareIds } from './shapes.js';

export type StoredMessage = { id: string; channel_id: string } & Record<string, unknown>;

export class ChannelHistory {
  private readonly byChannel = new Map<string, StoredMessage[]>();

  remember(msg: StoredMessage): void {
    const list = this.byChannel.get(msg.channel_id) ?? [];
    const i = list.findIndex((x) => x.id === msg.id);
    if (i >= 0) list[i] = msg;
    else list.push(msg);
    this.byChannel.set(msg.channel_id, list);
  }

  find(channel: string, id: string): StoredMessage | undefined {
    return (this.byChannel.get(channel) ?? []).find((x) => x.id === id);
  }

  /** `GET /channels/:id/messages`: newest first, `limit` of them, before or after a message. */
  page(channel: string, q: { limit: number; before: string | null; after: string | null }): StoredMessage[] {
    const all = [...(this.byChannel.get(channel) ?? [])].sort((x, y) => compareIds(y.id, x.id));
    return q.after
      ? all.filter((x) => compareIds(x.id, q.after!) > 0).reverse().slice(0, q.limit).reverse()
      : all.filter((x) => !q.before || compareIds(x.id, q.before) < 0).slice(0, q.limit);
  }
}
