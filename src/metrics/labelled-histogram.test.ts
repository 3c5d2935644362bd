import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LabelledHistogram } from './labelled-histogram.ts';

const buckets = [0.005, 0.01, 0.025, 0.1, 1, 2.5, 60];
const labelNames = ['provider', 'model'] as const;

/** The same observations, in the same order, on prom-client's `Histogram` and on ours, each in its own registry. */
function renderBoth(observations: ReadonlyArray<readonly [provider: string, model: string, value: number]>) {
  const reference = new Registry();
  const ours = new Registry();
  const promHistogram = new Histogram({
    name: 'latency_seconds',
    help: 'Latency.',
    labelNames,
    buckets,
    registers: [reference],
  });
  const histogram = new LabelledHistogram({
    name: 'latency_seconds',
    help: 'Latency.',
    labelNames,
    buckets,
    registers: [ours],
  });
  for (const [provider, model, value] of observations) {
    promHistogram.observe({ provider, model }, value);
    histogram.labels(provider, model).observe(value);
  }
  return { reference, ours, histogram };
}

describe('LabelledHistogram', () => {
  it('renders exactly the text prom-client renders: le first, cumulative buckets, +Inf, sum, count', async () => {
    const { reference, ours } = renderBoth([
      ['primary', 'gpt', 0.005],
      ['primary', 'gpt', 0.0051],
      ['secondary', 'claude', 0],
      ['primary', 'gpt', 0.1],
      ['secondary', 'claude', 60],
      ['secondary', 'claude', 60.000001],
      ['primary', 'gpt', 2.5],
      ['quote"back\\slash\nnewline', 'gpt', 1e-9],
      ['primary', 'other', 0.3],
      ['primary', 'gpt', 0.1 + 0.2],
    ]);
    const expected = await reference.metrics();
    expect(expected).toContain('latency_seconds_bucket{le="0.005",provider="primary",model="gpt"} 1');
    expect(expected).toContain('latency_seconds_bucket{le="+Inf",provider="secondary",model="claude"} 3');
    expect(await ours.metrics()).toBe(expected);
    expect(await ours.getMetricsAsJSON()).toEqual(await reference.getMetricsAsJSON());
  });

  it('counts a value equal to an upper bound in that bucket and a value above every bound only in +Inf', async () => {
    const { ours } = renderBoth([
      ['primary', 'gpt', 1],
      ['primary', 'gpt', 61],
    ]);
    const text = await ours.metrics();
    expect(text).toContain('latency_seconds_bucket{le="0.1",provider="primary",model="gpt"} 0');
    expect(text).toContain('latency_seconds_bucket{le="1",provider="primary",model="gpt"} 1');
    expect(text).toContain('latency_seconds_bucket{le="60",provider="primary",model="gpt"} 1');
    expect(text).toContain('latency_seconds_bucket{le="+Inf",provider="primary",model="gpt"} 2');
    expect(text).toContain('latency_seconds_sum{provider="primary",model="gpt"} 62');
    expect(text).toContain('latency_seconds_count{provider="primary",model="gpt"} 2');
  });

  it('renders a histogram without labels with zero buckets from the start, like prom-client', async () => {
    const reference = new Registry();
    const ours = new Registry();
    new Histogram({ name: 'attempts', help: 'Attempts.', buckets: [1, 2, 3], registers: [reference] });
    const histogram = new LabelledHistogram({
      name: 'attempts',
      help: 'Attempts.',
      labelNames: [] as const,
      buckets: [1, 2, 3],
      registers: [ours],
    });
    expect(await ours.metrics()).toBe(await reference.metrics());
    histogram.labels().observe(2);
    expect(await ours.metrics()).toContain('attempts_bucket{le="2"} 1');
  });

  it('after a registry reset, drops every series and restarts kept series from zero', async () => {
    const { ours, histogram } = renderBoth([['primary', 'gpt', 0.5]]);
    const kept = histogram.labels('primary', 'gpt');
    ours.resetMetrics();
    expect(await ours.metrics()).not.toContain('latency_seconds_count{');
    kept.observe(0.02);
    const text = await ours.metrics();
    expect(text).toContain('latency_seconds_bucket{le="0.01",provider="primary",model="gpt"} 0');
    expect(text).toContain('latency_seconds_bucket{le="0.025",provider="primary",model="gpt"} 1');
    expect(text).toContain('latency_seconds_count{provider="primary",model="gpt"} 1');
  });

  it('refuses non-finite values, unsorted or infinite bounds and the reserved le label', () => {
    const { histogram } = renderBoth([]);
    expect(() => histogram.labels('primary', 'gpt').observe(Number.NaN)).toThrow(TypeError);
    expect(
      () => new LabelledHistogram({ name: 'a', help: 'A.', labelNames: [] as const, buckets: [1, 1], registers: [] }),
    ).toThrow('strictly ascending');
    expect(
      () =>
        new LabelledHistogram({
          name: 'a',
          help: 'A.',
          labelNames: [] as const,
          buckets: [1, Number.POSITIVE_INFINITY],
          registers: [],
        }),
    ).toThrow('finite');
    expect(
      () => new LabelledHistogram({ name: 'a', help: 'A.', labelNames: ['le'] as const, buckets: [1], registers: [] }),
    ).toThrow('reserved');
  });
});
