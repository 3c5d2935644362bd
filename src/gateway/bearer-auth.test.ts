import { describe, expect, it } from 'vitest';
import { bearerToken, createTokenMatcher } from './bearer-auth.ts';

describe('bearer tokens', () => {
  it('parses the header and matches tokens by index', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer   abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    const matcher = createTokenMatcher(['one', 'two']);
    expect(matcher.match('two')).toBe(1);
    expect(matcher.match('tw')).toBe(-1);
    expect(matcher.match('')).toBe(-1);
  });

  it('answers the same for a token seen before, valid or not', () => {
    const matcher = createTokenMatcher(['one', 'two']);
    for (let round = 0; round < 3; round += 1) {
      expect(matcher.match('one')).toBe(0);
      expect(matcher.match('two')).toBe(1);
      expect(matcher.match('one ')).toBe(-1);
      expect(matcher.match('three')).toBe(-1);
    }
  });
});
