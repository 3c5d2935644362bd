import { describe, expect, it } from 'vitest';
import { Router } from './router.ts';
import { manualClock, scriptedAdapter } from './test-support/scripted-adapter.ts';
import type { RouterTimers } from './types.ts';

const messages = [{ role: 'user' as const, content: 'hi' }];

/** Timers that fire `earlyMs` before their due time on `time` (as whole-millisecond timers can against a fine clock). */
function earlyTimers(time: ReturnType<typeof manualClock>, earlyMs: number): { timers: RouterTimers; waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    timers: {
      setTimeout(callback, delayMs) {
        // The request's deadline latch (120 s) never fires here: the call ends long before.
        if (delayMs >= 10_000) return undefined;
        waits.push(delayMs);
        return setImmediate(() => {
          time.advance(Math.max(0, delayMs - earlyMs));
          callback();
        });
      },
      clearTimeout: (handle) => {
        if (handle !== undefined) clearImmediate(handle as NodeJS.Immediate);
      },
    },
  };
}

describe('a short retry-after waited out on the only provider', () => {
  it('is served after the wait even when the timer fires a fraction of a millisecond early', async () => {
    const time = manualClock();
    const { timers, waits } = earlyTimers(time, 0.5);
    const router = new Router({ clock: time.clock, timers, retry: { sameProvider: 0, maxRetryAfterMs: 3_000 } });
    const openai = scriptedAdapter('openai', ['gpt-4o-mini']);
    openai.script({ status: 429, retryAfterMs: 2_000 }, { reply: 'after the wait' });
    router.registerProvider(openai);

    const served = await router.chatCompletion({ model: 'gpt-4o-mini', messages });

    expect(served.completion.choices[0]?.message.content).toBe('after the wait');
    expect(openai.calls).toHaveLength(2);
    expect(waits[0]).toBe(2_000);
    expect(waits.length).toBeLessThanOrEqual(3);
  });

  it('gives up after a few rounds when the clock does not move', async () => {
    const time = manualClock();
    const timers: RouterTimers = {
      setTimeout: (callback, delayMs) => (delayMs >= 10_000 ? undefined : setImmediate(callback)),
      clearTimeout: (handle) => {
        if (handle !== undefined) clearImmediate(handle as NodeJS.Immediate);
      },
    };
    const router = new Router({ clock: time.clock, timers, retry: { sameProvider: 0, maxRetryAfterMs: 3_000 } });
    const openai = scriptedAdapter('openai', ['gpt-4o-mini']);
    openai.script({ status: 429, retryAfterMs: 2_000 }, { reply: 'never' });
    router.registerProvider(openai);

    await expect(router.chatCompletion({ model: 'gpt-4o-mini', messages })).rejects.toThrow(/answered 429/);
    expect(openai.calls).toHaveLength(1);
  });
});
