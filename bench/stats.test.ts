import { describe, expect, it } from 'vitest';
import {
  formatNumber,
  formatRatio,
  formatSigned,
  median,
  medianOfDifferences,
  percentile,
  percentileOfSorted,
  ratio,
} from './stats.ts';

describe('percentile', () => {
  it('uses the nearest rank', () => {
    const values = [5, 1, 3, 2, 4];
    expect(percentile(values, 0.5)).toBe(3);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile(values, 1)).toBe(5);
    expect(percentile(values, 0.99)).toBe(5);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, index) => index + 1),
        0.99,
      ),
    ).toBe(99);
  });

  it('does not reorder its input and is NaN when empty', () => {
    const values = [3, 1, 2];
    percentile(values, 0.5);
    expect(values).toEqual([3, 1, 2]);
    expect(percentile([], 0.5)).toBeNaN();
    expect(percentileOfSorted([], 0.5)).toBeNaN();
  });
});

describe('median', () => {
  it('takes the middle, or the mean of the two middles', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('ignores values that are not finite', () => {
    expect(median([Number.NaN, 1, 3])).toBe(2);
    expect(median([])).toBeNaN();
  });
});

describe('medianOfDifferences', () => {
  it('pairs rounds by index', () => {
    expect(medianOfDifferences([10, 20, 30], [1, 2, 3])).toBe(18);
    expect(medianOfDifferences([5, 7], [1])).toBe(4);
  });
});

describe('ratio and formatting', () => {
  it('divides, guarding zero and NaN', () => {
    expect(ratio(6, 3)).toBe(2);
    expect(ratio(1, 0)).toBeNaN();
    expect(ratio(Number.NaN, 1)).toBeNaN();
  });

  it('formats numbers, ratios and signed differences', () => {
    expect(formatNumber(12345.678)).toBe('12,346');
    expect(formatNumber(1.5, 2)).toBe('1.50');
    expect(formatNumber(Number.NaN)).toBe('n/a');
    expect(formatRatio(0.456)).toBe('0.46×');
    expect(formatRatio(Number.NaN)).toBe('n/a');
    expect(formatSigned(0.5)).toBe('+0.50');
    expect(formatSigned(-0.25)).toBe('-0.25');
  });
});
