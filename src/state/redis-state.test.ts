import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedisState, type RedisStateOptions } from './redis-state.ts';
import type { SharedStateBackend, SharedStateEvent, StateLogRecord } from './shared-state.ts';
import { startRedisServer, type TestRedisServer } from './test-support/redis-server.ts';
import { waitFor } from './test-support/wait-for.ts';

let redis: TestRedisServer;
const opened: SharedStateBackend[] = [];
let prefixCounter = 0;

beforeAll(async () => {
  redis = await startRedisServer();
});

afterAll(async () => {
  await redis?.stop();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((state) => state.close()));
  await redis.start();
});

/** A backend on the test's Redis with short bounds; each test gets its own key prefix. */
function open(options: Partial<RedisStateOptions> & { prefix?: string } = {}): SharedStateBackend {
  const state = createRedisState({
    url: redis.url,
    keyPrefix: options.prefix ?? `test${prefixCounter}:`,
    commandTimeoutMs: 200,
    connectTimeoutMs: 200,
    maxReconnectDelayMs: 100,
    heartbeatMs: 100,
    logger: () => {},
    ...options,
  });
  opened.push(state);
  return state;
}

function received(state: SharedStateBackend): SharedStateEvent[] {
  const events: SharedStateEvent[] = [];
  state.subscribe((event) => events.push(event));
  return events;
}

describe('createRedisState', () => {
  it('delivers an event to the other replicas, not back to its publisher, within a second', async () => {
    prefixCounter += 1;
    const first = open();
    const second = open();
    const third = open();
    const [firstSeen, secondSeen, thirdSeen] = [received(first), received(second), received(third)];
    await Promise.all([first.whenUp(2_000), second.whenUp(2_000), third.whenUp(2_000)]);

    const event: SharedStateEvent = {
      type: 'circuit',
      provider: 'openai',
      model: 'gpt-4o',
      state: 'open',
      openUntil: Date.now() + 30_000,
    };
    first.publish(event);
    const elapsed = await waitFor(() => secondSeen.length === 1 && thirdSeen.length === 1, 1_000, 'delivery');

    expect(elapsed).toBeLessThan(1_000);
    expect(secondSeen).toEqual([event]);
    expect(thirdSeen).toEqual([event]);
    expect(firstSeen).toEqual([]);
  });

  it('keeps the fleet state for a replica that joins later: open circuits, cool-downs in force, admin changes', async () => {
    prefixCounter += 1;
    const first = open();
    await first.whenUp(2_000);
    const now = Date.now();
    const events: SharedStateEvent[] = [
      { type: 'circuit', provider: 'a', model: '*', state: 'open', openUntil: now + 10_000 },
      { type: 'circuit', provider: 'b', model: 'gpt-4o', state: 'open', openUntil: now + 10_000 },
      { type: 'circuit', provider: 'b', model: 'gpt-4o', state: 'closed', openUntil: 0 },
      { type: 'cool_down', provider: 'c', model: 'gpt-4o', until: now + 60_000 },
      { type: 'cool_down', provider: 'c', model: 'gpt-4o', until: now + 1_000 },
      { type: 'cool_down', provider: 'c', model: 'old', until: now - 1 },
      { type: 'admin', action: 'disable', provider: 'd' },
      { type: 'admin', action: 'add', provider: 'e', entry: { name: 'e', type: 'mock' } },
      { type: 'admin', action: 'remove', provider: 'f' },
    ];
    const watcher = open();
    const seen = received(watcher);
    await watcher.whenUp(2_000);
    for (const event of events) first.publish(event);
    await waitFor(() => seen.length === events.length, 1_000, 'all events delivered');

    const later = open();
    await later.whenUp(2_000);
    const snapshot = await later.snapshot();

    expect(snapshot).toEqual([
      { type: 'admin', action: 'remove', provider: 'f' },
      { type: 'admin', action: 'add', provider: 'e', entry: { name: 'e', type: 'mock' } },
      { type: 'admin', action: 'disable', provider: 'd' },
      events[0],
      events[3],
    ]);

    first.publish({ type: 'admin', action: 'reset', provider: 'a' });
    first.publish({ type: 'admin', action: 'enable', provider: 'd' });
    await waitFor(() => seen.length === events.length + 2, 1_000, 'reset delivered');
    const afterReset = await later.snapshot();
    expect(afterReset).toContainEqual({ type: 'admin', action: 'enable', provider: 'd' });
    expect(afterReset.some((event) => event.type === 'circuit')).toBe(false);
  });

  it('rate-limits exactly across replicas: 30 alternating requests on a bucket of 10 let 10 through', async () => {
    prefixCounter += 1;
    const first = open();
    const second = open();
    await Promise.all([first.whenUp(2_000), second.whenUp(2_000)]);
    const settings = { capacity: 10, requestsPerMinute: 1 };

    const decisions = [];
    for (let index = 0; index < 30; index += 1)
      decisions.push(await (index % 2 === 0 ? first : second).takeToken('key#0', settings));
    const concurrent = await Promise.all(
      Array.from({ length: 30 }, (_, index) => (index % 2 === 0 ? first : second).takeToken('key#1', settings)),
    );

    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(10);
    expect(decisions.slice(0, 10).every((decision) => decision.allowed)).toBe(true);
    expect(decisions[9]!.remaining).toBe(0);
    expect(decisions[10]).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 60 });
    expect(concurrent.filter((decision) => decision.allowed)).toHaveLength(10);
  });

  it('caps half-open probe permits fleet-wide and frees them on release or lease end', async () => {
    prefixCounter += 1;
    const first = open();
    const second = open();
    await Promise.all([first.whenUp(2_000), second.whenUp(2_000)]);

    const permit = await first.acquireProbePermit('openai|gpt-4o', 1, 60_000);
    expect(permit).toBeDefined();
    expect(await second.acquireProbePermit('openai|gpt-4o', 1, 60_000)).toBeUndefined();
    expect(await second.acquireProbePermit('openai|gpt-4o-mini', 1, 60_000)).toBeDefined();

    first.releaseProbePermit('openai|gpt-4o', permit!);
    await waitFor(async () => (await second.acquireProbePermit('openai|gpt-4o', 1, 800)) !== undefined, 1_000, 'free');
    // That permit's 800 ms lease ends by itself (Redis's clock; real time is inherent here).
    expect(await first.acquireProbePermit('openai|gpt-4o', 1, 60_000)).toBeUndefined();
    await waitFor(
      async () => (await first.acquireProbePermit('openai|gpt-4o', 1, 60_000)) !== undefined,
      2_000,
      'lease',
    );
  });

  it('keeps answering locally while Redis is down, logs one line per change, and shares again when it is back', async () => {
    prefixCounter += 1;
    const lines: StateLogRecord[] = [];
    const first = open({ logger: (record) => lines.push(record) });
    const second = open();
    const secondSeen = received(second);
    await Promise.all([first.whenUp(2_000), second.whenUp(2_000)]);
    const statuses: boolean[] = [];
    first.onStatusChange((up) => statuses.push(up));

    await redis.stop();
    await waitFor(() => !first.isUp() && !second.isUp(), 2_000, 'both see Redis down');
    const settings = { capacity: 2, requestsPerMinute: 1 };
    const local = [first.takeToken('k', settings), first.takeToken('k', settings), first.takeToken('k', settings)];
    // Answered at once from a local bucket: not a promise that waits on a reconnecting client.
    expect(local.map((decision) => (decision as { allowed: boolean }).allowed)).toEqual([true, true, false]);
    first.publish({ type: 'admin', action: 'disable', provider: 'lost' });
    expect(await first.snapshot()).toEqual([]);
    expect(await first.acquireProbePermit('x', 1, 1_000)).toBeDefined();
    // Stays down for a while: still one line.
    await new Promise((resolve) => setTimeout(resolve, 300));

    await redis.start();
    await waitFor(() => first.isUp() && second.isUp(), 3_000, 'both reconnected');
    first.publish({ type: 'admin', action: 'disable', provider: 'back' });
    await waitFor(() => secondSeen.length === 1, 1_000, 'sharing resumed');

    expect(secondSeen).toEqual([{ type: 'admin', action: 'disable', provider: 'back' }]);
    expect(statuses).toEqual([false, true]);
    expect(lines.map((line) => line.msg)).toEqual([
      'shared state: connecting to redis',
      'shared state: redis connected; sharing with the fleet',
      'shared state: redis unreachable; serving on local state',
      'shared state: redis connected; sharing with the fleet',
    ]);
    // The script cache was empty after the restart: EVAL took over from EVALSHA.
    expect((await first.takeToken('after-restart', { capacity: 1, requestsPerMinute: 1 })).allowed).toBe(true);
  });

  it('starts with Redis unreachable, serves locally, and connects when Redis comes up', async () => {
    prefixCounter += 1;
    await redis.stop();
    const state = open();
    expect(await state.whenUp(300)).toBe(false);
    expect(state.isUp()).toBe(false);
    const decision = state.takeToken('k', { capacity: 1, requestsPerMinute: 60 });
    expect(decision).toMatchObject({ allowed: true });

    await redis.start();
    expect(await state.whenUp(3_000)).toBe(true);
  });

  it('ignores malformed and foreign messages on its channel', async () => {
    prefixCounter += 1;
    const prefix = `test${prefixCounter}:`;
    const state = open({ prefix });
    const seen = received(state);
    await state.whenUp(2_000);
    const raw = new Redis(redis.url, { lazyConnect: true });
    await raw.connect();
    try {
      await raw.publish(`${prefix}events`, 'not json');
      await raw.publish(`${prefix}events`, JSON.stringify({ origin: 'x', event: { type: 'circuit', provider: 'p' } }));
      await raw.publish(`${prefix}events`, JSON.stringify({ origin: 'x', event: { type: 'nope', provider: 'p' } }));
      await raw.publish(`${prefix}events`, 'x'.repeat(300 * 1024));
      await raw.publish(
        `${prefix}events`,
        JSON.stringify({ origin: 'x', event: { type: 'admin', action: 'disable', provider: 'p', extra: 1 } }),
      );
    } finally {
      raw.disconnect();
    }
    await waitFor(() => seen.length === 1, 1_000, 'the one valid event');
    expect(seen).toEqual([{ type: 'admin', action: 'disable', provider: 'p' }]);
  });
});
