import { describe, expect, it } from 'vitest';
import { SessionAffinity, sessionKeyOfBody } from './session-affinity.ts';

const named = (...names: string[]) => names.map((name) => ({ name }));

describe('SessionAffinity', () => {
  it('spreads sessions over the providers and keeps each on its own', () => {
    const affinity = new SessionAffinity();
    const candidates = named('a', 'b', 'c', 'd');
    const counts: Record<string, number> = {};
    for (let session = 0; session < 4_000; session += 1) {
      const first = affinity.choose(`s${session}`, candidates, 0);
      for (let repeat = 1; repeat < 3; repeat += 1)
        expect(affinity.choose(`s${session}`, candidates, repeat)).toBe(first);
      const name = candidates[first]!.name;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    for (const name of ['a', 'b', 'c', 'd']) expect(counts[name]).toBeGreaterThan(850);
  });

  it('moves only the sessions of a provider that drops out, and keeps them where they went', () => {
    const affinity = new SessionAffinity();
    const all = named('a', 'b', 'c');
    const before = new Map<string, string>();
    for (let session = 0; session < 600; session += 1)
      before.set(`s${session}`, all[affinity.choose(`s${session}`, all, 0)]!.name);
    const withoutB = named('a', 'c');
    const during = new Map<string, string>();
    for (const [session, provider] of before) {
      const now = withoutB[affinity.choose(session, withoutB, 1)]!.name;
      during.set(session, now);
      if (provider !== 'b') expect(now).toBe(provider);
    }
    // b is back: sessions that never left b's neighbours stay, and b's old sessions stay where their cache now is.
    for (const [session] of before) expect(all[affinity.choose(session, all, 2)]!.name).toBe(during.get(session));
    // New sessions still get b.
    const fresh = Array.from({ length: 300 }, (_, index) => all[affinity.choose(`new${index}`, all, 3)]!.name);
    expect(fresh.filter((name) => name === 'b').length).toBeGreaterThan(60);
  });

  it('forgets sessions unseen for ttlMs and never keeps more than maxSessions', () => {
    const affinity = new SessionAffinity({ ttlMs: 1_000, maxSessions: 100 });
    const all = named('a', 'b');
    const home = all[affinity.rendezvous('user-1', all)]!.name;
    const other = named(home === 'a' ? 'b' : 'a');
    expect(other[affinity.choose('user-1', other, 0)]!.name).not.toBe(home);
    // Within the ttl it sticks to where it went; after it, rendezvous sends it home again.
    expect(all[affinity.choose('user-1', all, 900)]!.name).not.toBe(home);
    expect(all[affinity.choose('user-1', all, 2_000)]!.name).toBe(home);
    for (let session = 0; session < 1_000; session += 1) affinity.choose(`s${session}`, all, 3_000 + session);
    expect(affinity.size).toBeLessThanOrEqual(100);
  });
});

describe('sessionKeyOfBody', () => {
  it('reads prompt_cache_key, then user, then Anthropic metadata.user_id', () => {
    expect(sessionKeyOfBody({ prompt_cache_key: 'cache-1', user: 'u' })).toBe('cache-1');
    expect(sessionKeyOfBody({ user: 'u' })).toBe('u');
    expect(sessionKeyOfBody({ metadata: { user_id: 'anthropic-user' } })).toBe('anthropic-user');
    expect(sessionKeyOfBody({ user: 42, metadata: null })).toBeUndefined();
    expect(sessionKeyOfBody(undefined)).toBeUndefined();
  });
});
