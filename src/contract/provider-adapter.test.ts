import { describe, expect, it } from 'vitest';
import { keepRawJson, rawJson } from './provider-adapter.ts';

describe('keepRawJson / rawJson', () => {
  it('keeps the text invisibly: not serialised, not copied by a spread', () => {
    const text = '{ "id": "c1",  "n": 1.0 }';
    const value = keepRawJson(JSON.parse(text) as { id: string; n: number }, text);
    expect(rawJson(value)).toBe(text);
    expect(JSON.stringify(value)).toBe('{"id":"c1","n":1}');
    expect(Object.keys(value)).toEqual(['id', 'n']);
    const changed = { ...value, id: 'c2' };
    expect(rawJson(changed)).toBeUndefined();
  });
});
