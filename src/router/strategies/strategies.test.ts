import { describe, expect, it } from 'vitest';
import { createSeededRandom as seededRandom } from '../../contract/seeded-random.ts';
import { Router } from '../router.ts';
import { manualClock, scriptedAdapter } from '../test-support/scripted-adapter.ts';

function countSelections(router: Router, model: string, times: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let index = 0; index < times; index += 1) {
    const name = router.selectProvider(model).name;
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

describe('latency strategy', () => {
  it('tries each unmeasured provider once before the measured ones compete', () => {
    const { clock } = manualClock();
    const router = new Router({ strategy: 'latency', clock });
    for (const name of ['a', 'b', 'c']) router.registerProvider(scriptedAdapter(name));
    expect([router.selectProvider('m').name, router.selectProvider('m').name, router.selectProvider('m').name]).toEqual(
      ['a', 'b', 'c'],
    );
    router.recordResult('a', { success: true, latencyMs: 50 });
    router.recordResult('b', { success: true, latencyMs: 20 });
    expect(router.selectProvider('m').name).toBe('b');
    router.recordResult('c', { success: true, latencyMs: 5 });
    expect(router.selectProvider('m').name).toBe('c');
  });

  it('does not herd: a provider not measured for staleAfterMs gets one re-measuring request', () => {
    const { clock, advance } = manualClock();
    const router = new Router({ strategy: 'latency', clock });
    router.registerProvider(scriptedAdapter('fast'));
    router.registerProvider(scriptedAdapter('recovered'));
    router.recordResult('fast', { success: true, latencyMs: 10 });
    router.recordResult('recovered', { success: true, latencyMs: 900 });
    expect(countSelections(router, 'm', 20)).toEqual({ fast: 20 });
    advance(60_000);
    router.recordResult('fast', { success: true, latencyMs: 10 });
    expect(router.selectProvider('m').name).toBe('recovered');
    expect(router.selectProvider('m').name).toBe('fast');
    for (let index = 0; index < 50; index += 1) router.recordResult('recovered', { success: true, latencyMs: 2 });
    expect(router.selectProvider('m').name).toBe('recovered');
  });

  it('ranks fallbacks measured-fastest first, unmeasured last', () => {
    const router = new Router({ strategy: 'latency' });
    for (const name of ['new', 'slow', 'fast']) router.registerProvider(scriptedAdapter(name));
    router.recordResult('slow', { success: true, latencyMs: 80 });
    router.recordResult('fast', { success: true, latencyMs: 8 });
    expect(router.fallbackProviders('m').map((adapter) => adapter.name)).toEqual(['fast', 'slow', 'new']);
  });
});

describe('round_robin strategy', () => {
  it('keeps one counter per model', () => {
    const router = new Router({ strategy: 'round_robin' });
    for (const name of ['a', 'b']) router.registerProvider(scriptedAdapter(name));
    expect(router.selectProvider('x').name).toBe('a');
    expect(router.selectProvider('y').name).toBe('a');
    expect(router.selectProvider('x').name).toBe('b');
  });

  it('stays exactly even after any interleaving of register/unregister (property)', () => {
    const random = seededRandom(7);
    for (let trial = 0; trial < 200; trial += 1) {
      const router = new Router({ strategy: 'round_robin' });
      const names = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'];
      const registered = new Set<string>();
      for (let step = 0; step < 20; step += 1) {
        const name = names[Math.floor(random() * names.length)] as string;
        if (registered.has(name) && random() < 0.5) {
          router.unregisterProvider(name);
          registered.delete(name);
        } else {
          router.registerProvider(scriptedAdapter(name, ['m']));
          registered.add(name);
        }
        if (registered.size > 0 && random() < 0.5) router.selectProvider('m');
      }
      if (registered.size === 0) continue;
      const rounds = 1 + Math.floor(random() * 5);
      const counts = countSelections(router, 'm', rounds * registered.size);
      expect(Object.keys(counts).sort()).toEqual([...registered].sort());
      expect(new Set(Object.values(counts))).toEqual(new Set([rounds]));
    }
  });

  it('skips providers that cannot take traffic without losing evenness among the rest', () => {
    const router = new Router({ strategy: 'round_robin' });
    for (const name of ['a', 'b', 'c']) router.registerProvider(scriptedAdapter(name));
    router.updateHealth('b', false);
    expect(countSelections(router, 'm', 10)).toEqual({ a: 5, c: 5 });
  });
});

describe('weighted strategy', () => {
  it('gives 1:2:1 weights about 25/50/25 % over many draws', () => {
    const router = new Router({ strategy: 'weighted', random: seededRandom(42) });
    router.registerProvider(scriptedAdapter('a'), { weight: 1 });
    router.registerProvider(scriptedAdapter('b'), { weight: 2 });
    router.registerProvider(scriptedAdapter('c'), { weight: 1 });
    const draws = 40_000;
    const counts = countSelections(router, 'm', draws);
    expect((counts.a ?? 0) / draws).toBeCloseTo(0.25, 1);
    expect((counts.b ?? 0) / draws).toBeCloseTo(0.5, 1);
    expect((counts.c ?? 0) / draws).toBeCloseTo(0.25, 1);
    expect(Math.abs((counts.b ?? 0) / draws - 0.5)).toBeLessThan(0.01);
  });

  it('never picks a zero weight unless all weights are zero', () => {
    const router = new Router({ strategy: 'weighted', random: seededRandom(1) });
    router.registerProvider(scriptedAdapter('zero'), { weight: 0 });
    router.registerProvider(scriptedAdapter('one'), { weight: 1 });
    expect(countSelections(router, 'm', 5_000)).toEqual({ one: 5_000 });
    router.updateHealth('one', false);
    expect(countSelections(router, 'm', 10)).toEqual({ zero: 10 });
  });

  it('picks the extremes of the random range correctly', () => {
    for (const [value, expected] of [
      [0, 'a'],
      [0.999_999_999, 'c'],
    ] as const) {
      const router = new Router({ strategy: 'weighted', random: () => value });
      for (const name of ['a', 'b', 'c']) router.registerProvider(scriptedAdapter(name));
      expect(router.selectProvider('m').name).toBe(expected);
    }
  });
});

describe('least_in_flight strategy', () => {
  it('prefers the provider with fewer routed calls under way', async () => {
    const router = new Router({ strategy: 'least_in_flight' });
    const busy = scriptedAdapter('busy', ['m']);
    router.registerProvider(busy);
    router.registerProvider(scriptedAdapter('idle', ['m']));
    busy.script({ chunks: ['a', 'b'] });
    const { stream } = await router.chatCompletionStream({ model: 'm', messages: [] });
    expect(router.healthStatus().busy?.inFlight).toBe(1);
    expect(router.selectProvider('m').name).toBe('idle');
    for await (const chunk of stream) void chunk;
    expect(router.healthStatus().busy?.inFlight).toBe(0);
  });
});
