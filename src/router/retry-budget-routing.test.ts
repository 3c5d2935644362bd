import { describe, expect, it } from 'vitest';
import { RoutingFailedError } from './errors.ts';
import { Router } from './router.ts';
import { manualClock, scriptedAdapter } from './test-support/scripted-adapter.ts';
import type { RouterOptions } from './types.ts';

const messages = [{ role: 'user' as const, content: 'hi' }];

/** Three providers all answering 500 (an outage), circuits that never open, one same-provider retry. */
async function outage(options: RouterOptions, requests: number, spacingMs: number) {
  const time = manualClock();
  const router = new Router({
    clock: time.clock,
    retry: { sameProvider: 1, backoffMs: 0 },
    circuitBreaker: { consecutiveFailureLimit: 1_000_000, failureRateThreshold: 1 },
    ...options,
  });
  const adapters = ['a', 'b', 'c'].map((name) => scriptedAdapter(name));
  for (const adapter of adapters) {
    adapter.script({ status: 500 });
    router.registerProvider(adapter);
  }
  for (let index = 0; index < requests; index += 1) {
    await expect(router.chatCompletion({ model: 'm', messages })).rejects.toBeInstanceOf(RoutingFailedError);
    time.advance(spacingMs);
  }
  return adapters.reduce((sum, adapter) => sum + adapter.calls.length, 0);
}

describe('retry budget (router.retryBudget)', () => {
  it('without a budget every failing request makes maxAttempts upstream calls', async () => {
    expect(await outage({}, 50, 100)).toBe(150);
  });

  it('caps retries and fallbacks together at minPerSecond × 10 over 10 s when requests are few', async () => {
    // 50 requests in 5 s: 50 first attempts, and at most 3 × 10 extra ones.
    expect(await outage({ retryBudget: { ratio: 0.2, minPerSecond: 3 } }, 50, 100)).toBe(50 + 30);
  });

  it('allows ratio × requests of extra attempts over the window when that is more', async () => {
    // 400 requests in 10 s (one per 25 ms): 400 first attempts; extras at most 20 % of the requests seen.
    const calls = await outage({ retryBudget: { ratio: 0.2, minPerSecond: 0 } }, 400, 25);
    expect(calls - 400).toBeLessThanOrEqual(80);
    expect(calls - 400).toBeGreaterThanOrEqual(70);
  });

  it('serves normally while the budget lasts: a single failure still falls back', async () => {
    const time = manualClock();
    const router = new Router({ clock: time.clock, retryBudget: {}, retry: { sameProvider: 0 } });
    const primary = scriptedAdapter('primary');
    primary.script({ status: 500 }, { reply: 'ok' });
    router.registerProvider(primary);
    router.registerProvider(scriptedAdapter('secondary'));
    expect(await router.chatCompletion({ model: 'm', messages })).toMatchObject({ provider: 'secondary', attempts: 2 });
  });
});
