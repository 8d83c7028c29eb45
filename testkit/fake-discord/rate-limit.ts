/**
 * Discord's per-channel message limit: at most `limit` creates/edits/deletes per `windowMs` in a
 * channel, announced in X-RateLimit-* headers; one more is answered 429.
 */
export class MessageRateLimit {
  private rule: { limit: number; windowMs: number } | undefined;
  private readonly windows = new Map<string, { start: number; used: number }>();

  set(limit: number, windowMs: number): void {
    this.rule = { limit, windowMs };
  }

  /** Counts a message call against its channel's window: headers to send, or a 429 to answer. */
  take(channel: string): { headers: Record<string, string>; limited?: number } {
    const rule = this.rule;
    if (!rule) return { headers: {} };
    const now = Date.now();
    let w = this.windows.get(channel);
    if (!w || now - w.start >= rule.windowMs) this.windows.set(channel, (w = { start: now, used: 0 }));
    const resetAfter = (rule.windowMs - (now - w.start)) / 1000;
    const headers = {
      'x-ratelimit-bucket': `messages-${channel}`,
      'x-ratelimit-limit': String(rule.limit),
      'x-ratelimit-reset-after': resetAfter.toFixed(3),
      'x-ratelimit-reset': ((w.start + rule.windowMs) / 1000).toFixed(3),
    };
    if (w.used >= rule.limit) return { headers: { ...headers, 'x-ratelimit-remaining': '0', 'x-ratelimit-scope': 'user' }, limited: resetAfter };
    w.used++;
    return { headers: { ...headers, 'x-ratelimit-remaining': String(rule.limit - w.used) } };
  }
}
