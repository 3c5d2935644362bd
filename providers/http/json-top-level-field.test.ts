import { describe, expect, it } from 'vitest';
import { setTopLevelField, setTopLevelFields } from './json-top-level-field.ts';

describe('setTopLevelField', () => {
  it('replaces the value of a top-level key and keeps every other byte', () => {
    const text = '{ "model" : "m",\n "stream":null, "x": {"stream": false, "s": "a\\"}"} }';
    const result = setTopLevelField(text, 'stream', 'true')!;
    expect(result).toBe('{ "model" : "m",\n "stream":true, "x": {"stream": false, "s": "a\\"}"} }');
    expect(JSON.parse(result)).toEqual({ model: 'm', stream: true, x: { stream: false, s: 'a"}' } });
  });

  it('adds the key when it is absent, also to an empty object', () => {
    expect(JSON.parse(setTopLevelField('{"model":"m","a":[1,{"b":"]"}]}', 'stream', 'true')!)).toEqual({
      stream: true,
      model: 'm',
      a: [1, { b: ']' }],
    });
    expect(setTopLevelField(' { } ', 'stream', 'true')).toBe(' {"stream":true} ');
  });

  it('replaces every duplicate and escaped spelling of the key, so the parsed result is the one set', () => {
    const result = setTopLevelField('{"stream":false,"m":1,"str\\u0065am":null}', 'stream', 'true')!;
    expect(result).toBe('{"stream":true,"m":1,"str\\u0065am":true}');
  });

  it('never re-encodes a nested value, however deep', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const text = `{"stream":null,"extra":${deep},"n":-1.50e+3,"t":true}`;
    const result = setTopLevelField(text, 'stream', 'true')!;
    expect(result).toBe(`{"stream":true,"extra":${deep},"n":-1.50e+3,"t":true}`);
  });

  it('gives up on text that is not a JSON object', () => {
    expect(setTopLevelField('[1]', 'stream', 'true')).toBeUndefined();
    expect(setTopLevelField('{"a":', 'stream', 'true')).toBeUndefined();
    expect(setTopLevelField('{"a":"unterminated}', 'stream', 'true')).toBeUndefined();
  });

  it('sets several keys in one pass: present ones replaced in place, absent ones added first', () => {
    expect(
      setTopLevelFields(
        '{"model":"m","stream":false}',
        ['stream', 'stream_options'],
        ['true', '{"include_usage":true}'],
      ),
    ).toBe('{"stream_options":{"include_usage":true},"model":"m","stream":true}');
    expect(setTopLevelFields('{}', ['a', 'b'], ['1', '2'])).toBe('{"a":1,"b":2}');
    expect(setTopLevelFields('{"b":0,"a":0}', ['a', 'b'], ['1', '2'])).toBe('{"b":2,"a":1}');
  });
});
