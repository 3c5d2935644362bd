import { describe, expect, it } from 'vitest';
import { parseScenario } from './scenario.ts';
import { simulateScenario } from './simulate-scenario.ts';
import { VirtualLoop } from './virtual-loop.ts';

const tiny = {
  name: 'tiny',
  seed: 5,
  durationMs: 20_000,
  traffic: { ratePerSecond: 10, streamFraction: 0.5, promptTokens: 1_000, completionTokens: 100 },
  strategies: ['latency', 'p2c', 'cost'],
  providers: [
    {
      name: 'quick',
      firstToken: { p50: 200, p99: 800 },
      pricing: { inputPerMTok: 2, outputPerMTok: 8 },
      outages: [{ fromMs: 5_000, toMs: 10_000, mode: 'error' }],
    },
    { name: 'cheap', firstToken: { p50: 600, p99: 2_000 }, pricing: { inputPerMTok: 0.5, outputPerMTok: 1 } },
  ],
};

describe('simulateScenario', () => {
  it('runs the real router on virtual time deterministically: same seed, same table', async () => {
    const first = await simulateScenario(parseScenario(tiny));
    const second = await simulateScenario(parseScenario(tiny));
    expect(second.table).toBe(first.table);
    expect(second.latencyChart).toBe(first.latencyChart);
    expect(first.summaries.map((summary) => summary.label)).toEqual(['latency', 'p2c', 'cost']);
    const requests = first.summaries[0]!.requests;
    expect(requests).toBeGreaterThan(150);
    expect(requests).toBeLessThan(250);
    for (const summary of first.summaries) expect(summary.requests).toBe(requests);

    const cost = first.summaries.find((summary) => summary.label === 'cost')!;
    // Every request is 1,000 prompt + 100 completion tokens; cost routes to `cheap` whenever it can.
    expect(cost.share.cheap).toBe(1);
    expect(cost.costUsd).toBeCloseTo((requests * (1_000 * 0.5 + 100 * 1)) / 1_000_000, 9);
    // During quick's outage, fallbacks keep every request served.
    for (const summary of first.summaries) expect(summary.errorRate).toBe(0);
    const latency = first.runs.find((run) => run.label === 'latency')!;
    const duringOutage = latency.outcomes.filter((outcome) => outcome.at >= 6_000 && outcome.at < 10_000);
    expect(duringOutage.every((outcome) => outcome.provider === 'cheap')).toBe(true);

    const reseeded = await simulateScenario(parseScenario({ ...tiny, seed: 6 }));
    expect(reseeded.table).not.toBe(first.table);
    expect(first.shareChart.startsWith('<svg')).toBe(true);
  });

  it('runs variants with affinity and hedging after the strategies', async () => {
    const result = await simulateScenario(
      parseScenario({
        ...tiny,
        traffic: { ...tiny.traffic, sessions: 20 },
        providers: [
          { name: 'one', firstToken: { p50: 300, p99: 2_000 } },
          { name: 'two', firstToken: { p50: 300, p99: 2_000 } },
        ],
        strategies: ['p2c'],
        variants: [
          { label: 'p2c + affinity', strategy: 'p2c', affinity: {} },
          { label: 'p2c + hedge', strategy: 'p2c', hedge: { afterMs: 300 } },
        ],
      }),
    );
    expect(result.summaries.map((summary) => summary.label)).toEqual(['p2c', 'p2c + affinity', 'p2c + hedge']);
    const [plain, affinity, hedge] = result.summaries;
    expect(affinity!.sameProviderAsSession).toBe(1);
    expect(plain!.sameProviderAsSession).toBeLessThan(0.7);
    expect(hedge!.extraAttemptsPerRequest).toBeGreaterThan(plain!.extraAttemptsPerRequest);
    expect(result.runs[2]!.cancelledCalls).toBeGreaterThan(0);
    expect(result.table).toContain('| p2c + hedge |');
  });

  it('refuses a scenario with a bad field, naming it', () => {
    expect(() => parseScenario({ ...tiny, providers: [{ name: 'x', firstToken: { p50: -1, p99: 2 } }] })).toThrow(
      /providers\.0\.firstToken/,
    );
  });
});

describe('VirtualLoop', () => {
  it('runs callbacks in time order, lets their promise reactions run first, and skips cancelled ones', async () => {
    const loop = new VirtualLoop(100);
    const seen: string[] = [];
    loop.schedule(30, () => seen.push(`b@${loop.now()}`));
    const cancelled = loop.schedule(20, () => seen.push('cancelled'));
    loop.schedule(10, () => {
      seen.push(`a@${loop.now()}`);
      void Promise.resolve()
        .then(() => undefined)
        .then(() => seen.push(`a-reaction@${loop.now()}`));
    });
    loop.schedule(30, () => seen.push(`c@${loop.now()}`));
    cancelled.cancel();
    await loop.run();
    expect(seen).toEqual(['a@110', 'a-reaction@110', 'b@130', 'c@130']);
  });
});
