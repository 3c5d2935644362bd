import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LabelledCounter } from './labelled-counter.ts';

const labelNames = ['provider', 'status'] as const;

/** The same increments, in the same order, on prom-client's `Counter` and on ours, each in its own registry. */
function renderBoth(increments: ReadonlyArray<readonly [provider: string, status: string, amount?: number]>) {
  const reference = new Registry();
  const ours = new Registry();
  const promCounter = new Counter({
    name: 'requests_total',
    help: 'Requests by provider and status.',
    labelNames,
    registers: [reference],
  });
  const counter = new LabelledCounter({
    name: 'requests_total',
    help: 'Requests by provider and status.',
    labelNames,
    registers: [ours],
  });
  for (const [provider, status, amount] of increments) {
    if (amount === undefined) {
      promCounter.inc({ provider, status });
      counter.labels(provider, status).inc();
    } else {
      promCounter.inc({ provider, status }, amount);
      counter.labels(provider, status).inc(amount);
    }
  }
  return { reference, ours, counter };
}

describe('LabelledCounter', () => {
  it('renders exactly the text prom-client renders for the same increments', async () => {
    const { reference, ours } = renderBoth([
      ['primary', '200'],
      ['secondary', '502', 3],
      ['primary', '200', 0.5],
      ['quote"back\\slash\nnewline', '200'],
      ['primary', '429', 0],
      ['secondary', '502', 1e21],
    ]);
    const expected = await reference.metrics();
    expect(expected).toContain('requests_total{provider="secondary",status="502"} 1e+21');
    expect(await ours.metrics()).toBe(expected);
    expect(await ours.getMetricsAsJSON()).toEqual(await reference.getMetricsAsJSON());
  });

  it('shows a series only once incremented, in the order of first increments', async () => {
    const { ours, counter } = renderBoth([]);
    const kept = counter.labels('late', '200');
    counter.labels('early', '200').inc();
    kept.inc(2);
    const lines = (await ours.metrics()).split('\n').filter((line) => line.startsWith('requests_total{'));
    expect(lines).toEqual([
      'requests_total{provider="early",status="200"} 1',
      'requests_total{provider="late",status="200"} 2',
    ]);
  });

  it('returns the same series for the same label values, so a kept series counts on the shared total', async () => {
    const { ours, counter } = renderBoth([]);
    const kept = counter.labels('primary', '200');
    kept.inc();
    counter.labels('primary', '200').inc();
    expect(counter.labels('primary', '200')).toBe(kept);
    expect(await ours.metrics()).toContain('requests_total{provider="primary",status="200"} 2');
  });

  it('renders a counter without labels as 0 from the start, like prom-client', async () => {
    const reference = new Registry();
    const ours = new Registry();
    new Counter({ name: 'restarts_total', help: 'Restarts.', registers: [reference] });
    const counter = new LabelledCounter({
      name: 'restarts_total',
      help: 'Restarts.',
      labelNames: [] as const,
      registers: [ours],
    });
    expect(await ours.metrics()).toBe(await reference.metrics());
    counter.labels().inc(4);
    expect(await ours.metrics()).toContain('restarts_total 4');
  });

  it('after a registry reset, drops every series and counts kept series from zero again', async () => {
    const { ours, counter } = renderBoth([['primary', '200', 5]]);
    const kept = counter.labels('primary', '200');
    ours.resetMetrics();
    expect(await ours.metrics()).not.toContain('requests_total{');
    kept.inc();
    expect(await ours.metrics()).toContain('requests_total{provider="primary",status="200"} 1');
  });

  it('refuses decreases, non-finite amounts, a wrong number of label values and a name clash in the registry', () => {
    const { ours, counter } = renderBoth([]);
    const series = counter.labels('primary', '200');
    expect(() => series.inc(-1)).toThrow('It is not possible to decrease a counter');
    expect(() => series.inc(Number.NaN)).toThrow(TypeError);
    expect(() => series.inc(Number.POSITIVE_INFINITY)).toThrow(TypeError);
    expect(() => (counter.labels as (...values: string[]) => unknown)('primary')).toThrow(RangeError);
    expect(() => (counter.labels as (...values: string[]) => unknown)('primary', '200', 'extra')).toThrow(RangeError);
    expect(
      () => new LabelledCounter({ name: 'requests_total', help: 'Again.', labelNames, registers: [ours] }),
    ).toThrow('already been registered');
    expect(() => new LabelledCounter({ name: 'bad name', help: 'Bad.', labelNames, registers: [] })).toThrow(
      'Invalid metric name',
    );
  });
});
