import { describe, expect, it } from 'vitest';
import { ConfigurationError } from './errors.ts';
import { Router } from './router.ts';
import { manualClock, scriptedAdapter } from './test-support/scripted-adapter.ts';

const messages = [{ role: 'user' as const, content: 'hi' }];

function setup() {
  const time = manualClock();
  const router = new Router({
    strategy: 'round_robin',
    clock: time.clock,
    affinity: { ttlMs: 60_000 },
    circuitBreaker: { consecutiveFailureLimit: 1 },
  });
  for (const name of ['a', 'b', 'c']) router.registerProvider(scriptedAdapter(name));
  return { router, ...time };
}

/** The provider serving each of `sessions` sessions, as the `user` of a chat request. */
async function placements(router: Router, sessions: number): Promise<Map<string, string>> {
  const placed = new Map<string, string>();
  for (let session = 0; session < sessions; session += 1) {
    const { provider } = await router.chatCompletion({ model: 'm', messages, user: `user-${session}` });
    placed.set(`user-${session}`, provider);
  }
  return placed;
}

describe('session affinity (router.affinity)', () => {
  it('keeps every request of a session on one provider while it is healthy, and spreads sessions', async () => {
    const { router, advance } = setup();
    const first = await placements(router, 300);
    for (let round = 0; round < 5; round += 1) {
      advance(1_000);
      expect(await placements(router, 300)).toEqual(first);
    }
    const counts = { a: 0, b: 0, c: 0 } as Record<string, number>;
    for (const provider of first.values()) counts[provider] = (counts[provider] ?? 0) + 1;
    for (const name of ['a', 'b', 'c']) expect(counts[name]).toBeGreaterThan(60);
  });

  it('reads the session from options.sessionKey before the body, and routes by the strategy without one', async () => {
    const { router } = setup();
    const keyed = new Set<string>();
    for (let index = 0; index < 6; index += 1)
      keyed.add(
        (await router.chatCompletion({ model: 'm', messages, user: `u${index}` }, { sessionKey: 'k' })).provider,
      );
    expect(keyed.size).toBe(1);
    const plain: string[] = [];
    for (let index = 0; index < 3; index += 1)
      plain.push((await router.chatCompletion({ model: 'm', messages })).provider);
    expect(new Set(plain).size).toBe(3);
  });

  it('moves only the sessions of a provider whose circuit opens; they stay where they went after it recovers', async () => {
    const { router, advance } = setup();
    const before = await placements(router, 300);
    router.recordResult('b', { success: false });
    expect(router.healthStatus().b?.circuitState).toBe('open');
    const during = await placements(router, 300);
    for (const [session, provider] of before) {
      if (provider === 'b') expect(during.get(session)).not.toBe('b');
      else expect(during.get(session)).toBe(provider);
    }
    router.resetCircuit('b');
    advance(1_000);
    expect(await placements(router, 300)).toEqual(during);
  });

  it('a fallback after a failed attempt does not move the session for good', async () => {
    const time = manualClock();
    const router = new Router({ clock: time.clock, affinity: {}, retry: { sameProvider: 0 } });
    const adapters = ['a', 'b', 'c'].map((name) => scriptedAdapter(name));
    for (const adapter of adapters) router.registerProvider(adapter);
    const { provider: home } = await router.chatCompletion({ model: 'm', messages, user: 'u' });
    const homeAdapter = adapters.find((adapter) => adapter.name === home)!;
    homeAdapter.script({ status: 500 }, { reply: 'back' });
    const failedOver = await router.chatCompletion({ model: 'm', messages, user: 'u' });
    expect(failedOver.provider).not.toBe(home);
    expect((await router.chatCompletion({ model: 'm', messages, user: 'u' })).provider).toBe(home);
  });

  it('refuses a bad header or ttl', () => {
    expect(() => new Router({ affinity: { header: 'bad header' } })).toThrow(ConfigurationError);
    expect(() => new Router({ affinity: { ttlMs: 0 } })).toThrow(ConfigurationError);
    expect(new Router({ affinity: {} }).affinityHeader).toBe('x-session-id');
    expect(new Router().affinityHeader).toBeUndefined();
  });
});
