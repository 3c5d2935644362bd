import { describe, expect, it } from 'vitest';
import { createInProcessState, InProcessStateHub } from './in-process-state.ts';
import type { SharedStateEvent } from './shared-state.ts';

function fakeClock(start = 1_700_000_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (milliseconds: number) => {
      now += milliseconds;
    },
  };
}

describe('InProcessStateHub', () => {
  it('delivers an event to every other member on the next microtask, never to its publisher', async () => {
    const hub = new InProcessStateHub();
    const [first, second, third] = [hub.connect('a'), hub.connect('b'), hub.connect('c')];
    const seen: Record<string, SharedStateEvent[]> = { a: [], b: [], c: [] };
    first.subscribe((event) => seen.a!.push(event));
    second.subscribe((event) => seen.b!.push(event));
    third.subscribe((event) => seen.c!.push(event));

    const event: SharedStateEvent = { type: 'admin', action: 'disable', provider: 'openai' };
    first.publish(event);
    expect(seen.b).toEqual([]);
    await Promise.resolve();

    expect(seen).toEqual({ a: [], b: [event], c: [event] });
    await third.close();
    first.publish({ type: 'admin', action: 'enable', provider: 'openai' });
    await Promise.resolve();
    expect(seen.c).toEqual([event]);
  });

  it('keeps open circuits, cool-downs in force and admin changes for replicas that join later', () => {
    const clock = fakeClock();
    const hub = new InProcessStateHub({ clock: clock.now });
    const member = hub.connect('a');
    member.publish({ type: 'circuit', provider: 'p', model: '*', state: 'open', openUntil: clock.now() + 5_000 });
    member.publish({ type: 'circuit', provider: 'q', model: 'm', state: 'open', openUntil: clock.now() + 5_000 });
    member.publish({ type: 'circuit', provider: 'q', model: 'm', state: 'closed', openUntil: 0 });
    member.publish({ type: 'cool_down', provider: 'r', model: 'm', until: clock.now() + 2_000 });
    member.publish({ type: 'cool_down', provider: 'r', model: 'n', until: clock.now() + 500 });
    member.publish({ type: 'admin', action: 'disable', provider: 's' });
    member.publish({ type: 'admin', action: 'add', provider: 't', entry: { name: 't', type: 'mock' } });
    member.publish({ type: 'admin', action: 'remove', provider: 'u' });
    clock.advance(1_000);

    expect(hub.snapshot()).toEqual([
      { type: 'admin', action: 'remove', provider: 'u' },
      { type: 'admin', action: 'add', provider: 't', entry: { name: 't', type: 'mock' } },
      { type: 'admin', action: 'disable', provider: 's' },
      { type: 'circuit', provider: 'p', model: '*', state: 'open', openUntil: 1_700_000_005_000 },
      { type: 'cool_down', provider: 'r', model: 'm', until: 1_700_000_002_000 },
    ]);

    member.publish({ type: 'admin', action: 'reset', provider: 'p' });
    member.publish({ type: 'admin', action: 'add', provider: 'u', entry: { name: 'u', type: 'mock' } });
    member.publish({ type: 'admin', action: 'remove', provider: 't' });
    expect(hub.snapshot()).toEqual([
      { type: 'admin', action: 'remove', provider: 't' },
      { type: 'admin', action: 'add', provider: 'u', entry: { name: 'u', type: 'mock' } },
      { type: 'admin', action: 'disable', provider: 's' },
      { type: 'cool_down', provider: 'r', model: 'm', until: 1_700_000_002_000 },
    ]);
  });

  it('caps probe permits per key across members until released or their lease ends', async () => {
    const clock = fakeClock();
    const hub = new InProcessStateHub({ clock: clock.now });
    const [first, second] = [hub.connect('a'), hub.connect('b')];

    const permit = await first.acquireProbePermit('p|m', 1, 1_000);
    expect(permit).toBeDefined();
    expect(await second.acquireProbePermit('p|m', 1, 1_000)).toBeUndefined();
    expect(await second.acquireProbePermit('p|other', 1, 1_000)).toBeDefined();
    first.releaseProbePermit('p|m', permit!);
    expect(await second.acquireProbePermit('p|m', 1, 1_000)).toBeDefined();
    expect(await first.acquireProbePermit('p|m', 2, 1_000)).toBeDefined();
    expect(await first.acquireProbePermit('p|m', 2, 1_000)).toBeUndefined();
    clock.advance(1_000);
    expect(await first.acquireProbePermit('p|m', 2, 1_000)).toBeDefined();
  });

  it('shares token buckets between members, exactly, and refills them with the clock', () => {
    const clock = fakeClock();
    const hub = new InProcessStateHub({ clock: clock.now });
    const members = [hub.connect('a'), hub.connect('b')];
    const settings = { capacity: 10, requestsPerMinute: 60 };

    const decisions = Array.from({ length: 30 }, (_, index) => members[index % 2]!.takeToken('key', settings));
    expect(decisions.filter((decision) => 'allowed' in decision && decision.allowed)).toHaveLength(10);
    expect(decisions[10]).toEqual({ allowed: false, remaining: 0, resetSeconds: 10, retryAfterSeconds: 1 });

    clock.advance(1_000);
    expect(members[0]!.takeToken('key', settings)).toMatchObject({ allowed: true, remaining: 0 });
    expect(members[1]!.takeToken('key', settings)).toMatchObject({ allowed: false });
  });

  it('is always up and answers synchronously when used alone (the single-process default)', async () => {
    const state = createInProcessState();
    expect(state.isUp()).toBe(true);
    expect(await state.whenUp(0)).toBe(true);
    expect(state.takeToken('k', { capacity: 1, requestsPerMinute: 60 })).toMatchObject({ allowed: true });
    expect(state.takeToken('k', { capacity: 1, requestsPerMinute: 60 })).toMatchObject({ allowed: false });
  });
});
