import { describe, expect, it } from 'vitest';
import { selfTimeByFile, shortenUrl, topSelfTime, type CpuProfile } from './cpu-profile.ts';

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 });

const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)') },
    { id: 2, callFrame: frame('(idle)') },
    { id: 3, callFrame: frame('handle', 'file:///work/main/src/gateway/route.ts') },
    { id: 4, callFrame: frame('parse', 'file:///work/main/node_modules/undici/lib/parser.js') },
    { id: 5, callFrame: frame('helper', 'file:///work/main/src/gateway/route.ts') },
  ],
  startTime: 1000,
  endTime: 1400,
  // sample i at startTime + sum(timeDeltas[0..i]); its self time is the next delta.
  samples: [2, 3, 3, 4, 5, 2],
  timeDeltas: [0, 100, 100, 100, 50, 50],
};

describe('shortenUrl', () => {
  it('keeps package and repository paths short', () => {
    expect(shortenUrl('file:///work/main/node_modules/hono/dist/hono.js')).toBe('hono/dist/hono.js');
    expect(shortenUrl('file:///work/main/src/router/router.ts')).toBe('src/router/router.ts');
    expect(shortenUrl('node:events')).toBe('node:events');
    expect(shortenUrl('')).toBe('');
  });
});

describe('topSelfTime', () => {
  it('ranks functions by self time, leaving idle out of the shares', () => {
    const entries = topSelfTime(profile, 10);
    expect(entries.map((entry) => entry.location)).toEqual([
      'handle (src/gateway/route.ts)',
      'parse (undici/lib/parser.js)',
      'helper (src/gateway/route.ts)',
    ]);
    expect(entries[0]?.selfMilliseconds).toBeCloseTo(0.2);
    expect(entries[0]?.percent).toBeCloseTo((200 / 300) * 100);
  });

  it('counts only samples from fromMicroseconds on', () => {
    const entries = topSelfTime(profile, 10, { fromMicroseconds: 1250 });
    expect(entries.map((entry) => entry.location)).toEqual([
      'parse (undici/lib/parser.js)',
      'helper (src/gateway/route.ts)',
    ]);
  });

  it('counts only samples before toMicroseconds', () => {
    const entries = topSelfTime(profile, 10, { fromMicroseconds: 1100, toMicroseconds: 1300 });
    expect(entries.map((entry) => entry.location)).toEqual(['handle (src/gateway/route.ts)']);
  });

  it('groups by file', () => {
    const files = selfTimeByFile(profile, 10);
    expect(files[0]).toMatchObject({ location: 'src/gateway/route.ts' });
    expect(files[0]?.selfMilliseconds).toBeCloseTo(0.25);
  });

  it('spreads the duration over hit counts when there are no samples', () => {
    const entries = topSelfTime(
      {
        nodes: [
          { id: 1, callFrame: frame('work', 'node:events'), hitCount: 3 },
          { id: 2, callFrame: frame('(idle)'), hitCount: 1 },
        ],
        startTime: 0,
        endTime: 4000,
      },
      5,
    );
    expect(entries).toEqual([{ location: 'work (node:events)', selfMilliseconds: 3, percent: 100 }]);
  });
});
