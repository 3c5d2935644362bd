import { describe, expect, it } from 'vitest';
import { parseDurationMs, parseRetryAfterHeaderMs, retryAfterMsFromHeaders } from './retry-after.ts';

describe('parseDurationMs', () => {
  it.each([
    ['1s', 1000],
    ['6m0s', 360_000],
    ['20ms', 20],
    ['1h2m3.5s', 3_723_500],
    ['0.5s', 500],
    ['2', 2000],
  ])('%s → %d ms', (text, expected) => {
    expect(parseDurationMs(text)).toBe(expected);
  });

  it.each(['', 'soon', '5x', '1s garbage', '-1s'])('rejects %j', (text) => {
    expect(parseDurationMs(text)).toBeUndefined();
  });
});

describe('parseRetryAfterHeaderMs', () => {
  const now = Date.parse('2026-11-21T12:00:00Z');
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfterHeaderMs('120', now)).toBe(120_000);
    expect(parseRetryAfterHeaderMs('Sat, 21 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfterHeaderMs('Sat, 21 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfterHeaderMs('whenever', now)).toBeUndefined();
  });
});

describe('retryAfterMsFromHeaders', () => {
  it('prefers retry-after-ms, then retry-after, then the rate-limit resets', () => {
    expect(retryAfterMsFromHeaders({ 'retry-after-ms': '250', 'retry-after': '1' })).toBe(250);
    expect(retryAfterMsFromHeaders({ 'retry-after': '3', 'x-ratelimit-reset-requests': '1m0s' })).toBe(3000);
    expect(retryAfterMsFromHeaders({ 'x-ratelimit-reset-requests': '1m0s' })).toBe(60_000);
    expect(retryAfterMsFromHeaders({ 'x-ratelimit-reset-tokens': '20ms' })).toBe(20);
  });

  it('picks the reset of the exhausted limit, else the sooner', () => {
    const resets = { 'x-ratelimit-reset-requests': '6m0s', 'x-ratelimit-reset-tokens': '2s' };
    expect(
      retryAfterMsFromHeaders({
        ...resets,
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-remaining-tokens': '900',
      }),
    ).toBe(360_000);
    expect(
      retryAfterMsFromHeaders({
        ...resets,
        'x-ratelimit-remaining-requests': '5',
        'x-ratelimit-remaining-tokens': '0',
      }),
    ).toBe(2000);
    expect(retryAfterMsFromHeaders(resets)).toBe(2000);
  });

  it('is undefined when no header names a cool-down', () => {
    expect(retryAfterMsFromHeaders({ 'content-type': 'application/json' })).toBeUndefined();
  });
});
