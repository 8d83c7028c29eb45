/** Discord's typing indicator: only for answers that take a moment, renewed while they do. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { keepTyping } from '../../../../adapters/discord/send.js';
import { TYPING_DELAY_MS, TYPING_RENEW_MS } from '../../../../adapters/discord/context.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('keepTyping', () => {
  const channel = () => ({ sendTyping: vi.fn(() => Promise.resolve()) });

  it('shows nothing for an answer quicker than the delay: no REST call at all', () => {
    vi.useFakeTimers();
    const c = channel();
    const stop = keepTyping(c as never, () => undefined);
    vi.advanceTimersByTime(TYPING_DELAY_MS - 1);
    stop();
    vi.advanceTimersByTime(TYPING_RENEW_MS * 3);
    expect(c.sendTyping).not.toHaveBeenCalled();
  });

  it('types once the answer takes longer, renews it until stopped, then stops', () => {
    vi.useFakeTimers();
    const c = channel();
    const stop = keepTyping(c as never, () => undefined);
    vi.advanceTimersByTime(TYPING_DELAY_MS);
    expect(c.sendTyping).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(TYPING_RENEW_MS * 2);
    expect(c.sendTyping).toHaveBeenCalledTimes(3);
    stop();
    vi.advanceTimersByTime(TYPING_RENEW_MS * 3);
    expect(c.sendTyping).toHaveBeenCalledTimes(3);
  });

  it('reports a failed indicator without throwing', async () => {
    vi.useFakeTimers();
    const failed: unknown[] = [];
    const stop = keepTyping({ sendTyping: () => Promise.reject(new Error('429')) } as never, (err) => failed.push(err));
    await vi.advanceTimersByTimeAsync(TYPING_DELAY_MS);
    stop();
    expect(failed).toHaveLength(1);
  });
});
