import { describe, expect, it } from 'vitest';
import type { ChatStream } from '../../contract/provider-adapter.ts';
import { createSeededRandom } from '../../contract/seeded-random.ts';
import { Router } from '../router.ts';
import { manualClock, scriptedAdapter, type ScriptedAdapter } from '../test-support/scripted-adapter.ts';

/** Holds `count` routed streams open on `adapter` through a model only it serves, so its in-flight count is `count`. */
async function load(router: Router, adapter: ScriptedAdapter, model: string, count: number) {
  const streams: ChatStream[] = [];
  for (let index = 0; index < count; index += 1) {
    adapter.script({ chunks: ['a', 'b'] });
    streams.push((await router.chatCompletionStream({ model, messages: [] })).stream);
  }
  return async () => {
    for (const stream of streams) for await (const chunk of stream) void chunk;
  };
}

function picks(router: Router, model: string, times: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let index = 0; index < times; index += 1) {
    const name = router.selectProvider(model).name;
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

describe('p2c strategy', () => {
  it('prefers the less loaded of two equally fast providers', async () => {
    const { clock } = manualClock();
    const router = new Router({ strategy: 'p2c', clock, random: createSeededRandom(3) });
    const busy = scriptedAdapter('busy', ['m', 'busy-only']);
    router.registerProvider(busy);
    router.registerProvider(scriptedAdapter('idle', ['m', 'idle-only']));
    router.recordResult('busy', { success: true, latencyMs: 100 });
    router.recordResult('idle', { success: true, latencyMs: 100 });
    const finish = await load(router, busy, 'busy-only', 2);
    expect(router.healthStatus().busy?.inFlight).toBe(2);
    expect(picks(router, 'm', 50)).toEqual({ idle: 50 });
    await finish();
    expect(router.healthStatus().busy?.inFlight).toBe(0);
  });

  it('prefers the faster of two equally loaded providers', async () => {
    const { clock } = manualClock();
    const router = new Router({ strategy: 'p2c', clock, random: createSeededRandom(4) });
    const slow = scriptedAdapter('slow', ['m', 'slow-only']);
    const fast = scriptedAdapter('fast', ['m', 'fast-only']);
    router.registerProvider(slow);
    router.registerProvider(fast);
    router.recordResult('slow', { success: true, latencyMs: 300 });
    router.recordResult('fast', { success: true, latencyMs: 100 });
    expect(picks(router, 'm', 20)).toEqual({ fast: 20 });
    const finishSlow = await load(router, slow, 'slow-only', 1);
    const finishFast = await load(router, fast, 'fast-only', 1);
    expect(picks(router, 'm', 20)).toEqual({ fast: 20 });
    await finishSlow();
    await finishFast();
  });

  it('weighs load against latency: a fast provider that queues sheds traffic to a slower idle one', async () => {
    const { clock } = manualClock();
    const router = new Router({ strategy: 'p2c', clock, random: createSeededRandom(5) });
    const fast = scriptedAdapter('fast', ['m', 'fast-only']);
    router.registerProvider(fast);
    router.registerProvider(scriptedAdapter('steady', ['m']));
    router.recordResult('fast', { success: true, latencyMs: 100 });
    router.recordResult('steady', { success: true, latencyMs: 250 });
    expect(router.selectProvider('m').name).toBe('fast');
    const finish = await load(router, fast, 'fast-only', 2);
    // 100 ms × 3 in flight = 300 > 250 ms × 1.
    expect(router.selectProvider('m').name).toBe('steady');
    await finish();
  });

  it('draws two distinct candidates among many and never the worse of them', () => {
    const { clock } = manualClock();
    const router = new Router({ strategy: 'p2c', clock, random: createSeededRandom(9) });
    const latencies = [50, 100, 200, 400, 800];
    latencies.forEach((latency, index) => {
      router.registerProvider(scriptedAdapter(`p${index}`, ['m']));
      router.recordResult(`p${index}`, { success: true, latencyMs: latency });
    });
    const counts = picks(router, 'm', 10_000);
    // The slowest can never win a pair; the fastest wins every pair it is drawn in (2 of 5 draws).
    expect(counts.p4).toBeUndefined();
    expect((counts.p0 ?? 0) / 10_000).toBeCloseTo(0.4, 1);
    expect((counts.p1 ?? 0) / 10_000).toBeCloseTo(0.3, 1);
  });

  it('sends an unmeasured provider one request at a time until it has answered', async () => {
    const { clock } = manualClock();
    const router = new Router({ strategy: 'p2c', clock, random: createSeededRandom(1) });
    const fresh = scriptedAdapter('fresh', ['m', 'fresh-only']);
    router.registerProvider(scriptedAdapter('known', ['m']));
    router.registerProvider(fresh);
    router.recordResult('known', { success: true, latencyMs: 400 });
    expect(router.selectProvider('m').name).toBe('fresh');
    const finish = await load(router, fresh, 'fresh-only', 1);
    expect(picks(router, 'm', 10)).toEqual({ known: 10 });
    await finish();
  });

  it('treats a failure as slow, so a provider failing fast does not attract traffic', () => {
    const { clock, advance } = manualClock();
    const router = new Router({ strategy: 'p2c', clock, random: createSeededRandom(2) });
    router.registerProvider(scriptedAdapter('failing', ['m']));
    router.registerProvider(scriptedAdapter('working', ['m']));
    router.recordResult('failing', { success: true, latencyMs: 50 });
    router.recordResult('working', { success: true, latencyMs: 300 });
    expect(router.selectProvider('m').name).toBe('failing');
    advance(10);
    router.recordResult('failing', { success: false, latencyMs: 2 });
    expect(picks(router, 'm', 10)).toEqual({ working: 10 });
  });

  it('re-tries a provider left idle once its estimate has decayed', () => {
    const { clock, advance } = manualClock();
    const router = new Router({ strategy: 'p2c', clock, random: createSeededRandom(8) });
    router.registerProvider(scriptedAdapter('spiked', ['m']));
    router.registerProvider(scriptedAdapter('steady', ['m']));
    router.recordResult('spiked', { success: true, latencyMs: 5_000 });
    router.recordResult('steady', { success: true, latencyMs: 200 });
    expect(router.selectProvider('m').name).toBe('steady');
    for (let second = 0; second < 60; second += 1) {
      advance(1_000);
      router.recordResult('steady', { success: true, latencyMs: 200 });
    }
    expect(router.selectProvider('m').name).toBe('spiked');
  });

  it('ranks fallbacks by the same score', () => {
    const { clock } = manualClock();
    const router = new Router({ strategy: 'p2c', clock });
    for (const [name, latency] of [
      ['b', 200],
      ['a', 100],
      ['c', 300],
    ] as const) {
      router.registerProvider(scriptedAdapter(name, ['m']));
      router.recordResult(name, { success: true, latencyMs: latency });
    }
    expect(router.fallbackProviders('m').map((adapter) => adapter.name)).toEqual(['a', 'b', 'c']);
  });
});
