import { describe, expect, it } from 'vitest';
import { PeakEwma } from './peak-ewma.ts';

describe('PeakEwma', () => {
  it('jumps to a higher sample at once', () => {
    const estimate = new PeakEwma(10_000);
    estimate.observe(100, 0);
    estimate.observe(900, 1);
    expect(estimate.estimate(1)).toBe(900);
  });

  it('moves toward a lower sample by 1 − e^(−Δt/τ)', () => {
    const estimate = new PeakEwma(10_000);
    estimate.observe(1_000, 0);
    estimate.observe(100, 10_000);
    expect(estimate.estimate(10_000)).toBeCloseTo(1_000 * Math.exp(-1) + 100 * (1 - Math.exp(-1)), 6);
    const quick = new PeakEwma(10_000);
    quick.observe(1_000, 0);
    quick.observe(100, 10);
    expect(quick.estimate(10)).toBeGreaterThan(990);
  });

  it('decays toward zero while idle, so an idle provider is tried again', () => {
    const estimate = new PeakEwma(10_000);
    estimate.observe(500, 0);
    expect(estimate.estimate(0)).toBe(500);
    expect(estimate.estimate(20_000)).toBeCloseTo(500 * Math.exp(-2), 6);
    expect(estimate.measured).toBe(true);
    expect(new PeakEwma().measured).toBe(false);
  });

  it('ignores samples that are not positive and finite', () => {
    const estimate = new PeakEwma();
    for (const sample of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) estimate.observe(sample, 1);
    expect(estimate.measured).toBe(false);
  });
});
