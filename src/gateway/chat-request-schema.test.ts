import { describe, expect, it } from 'vitest';
import { parseChatRequest } from './chat-request-schema.ts';

describe('parseChatRequest', () => {
  it('returns the body with unknown fields kept', () => {
    const request = parseChatRequest(
      Buffer.from(
        JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], temperature: 0, custom: { a: 1 } }),
      ),
    );
    expect(request).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0,
      custom: { a: 1 },
    });
  });

  it('names the offending param', () => {
    const paramOf = (value: unknown) => {
      try {
        parseChatRequest(Buffer.from(JSON.stringify(value)));
      } catch (error) {
        return (error as { param: string | null }).param;
      }
      return 'no error';
    };
    expect(paramOf({ messages: [{ role: 'user' }] })).toBe('model');
    expect(paramOf({ model: 'm', messages: [{ role: 1 }] })).toBe('messages[0].role');
    expect(paramOf({ model: 'm', messages: [{ role: 'user', content: 5 }] })).toBe('messages[0].content');
    expect(paramOf({ model: 'm', messages: [{ role: 'user' }], max_tokens: -1 })).toBe('max_tokens');
  });
});
