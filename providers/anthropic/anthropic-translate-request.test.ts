import { describe, expect, it } from 'vitest';
import { toAnthropicRequest } from './anthropic-translate-request.ts';
import type { ChatCompletionRequest } from '../../src/contract/chat-types.ts';
import { ProviderError } from '../../src/contract/provider-error.ts';

const settings = { provider: 'claude', defaultMaxTokens: 4096, stream: false };
const tools: ChatCompletionRequest['tools'] = [
  { type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } },
];
const base: ChatCompletionRequest = { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] };

describe('toAnthropicRequest', () => {
  it.each([
    ['auto', undefined],
    ['none', { type: 'none' }],
    ['required', { type: 'any' }],
    [
      { type: 'function', function: { name: 'f' } },
      { type: 'tool', name: 'f' },
    ],
  ])('maps tool_choice %j', (toolChoice, expected) => {
    expect(toAnthropicRequest({ ...base, tools, tool_choice: toolChoice }, settings).tool_choice).toEqual(expected);
  });

  it('drops tool_choice without tools and clamps temperature to 0–1', () => {
    const body = toAnthropicRequest({ ...base, tool_choice: 'required', temperature: 1.6 }, settings);
    expect(body.tool_choice).toBeUndefined();
    expect(body.tools).toBeUndefined();
    expect(body.temperature).toBe(1);
  });

  it('keeps max_tokens from the request, and temperature 0', () => {
    const body = toAnthropicRequest({ ...base, max_tokens: 10, temperature: 0 }, settings);
    expect(body.max_tokens).toBe(10);
    expect(body.temperature).toBe(0);
    expect('stream' in body).toBe(false);
  });

  it('rejects unknown roles and non-base64 data URLs with a 400', () => {
    expect(() => toAnthropicRequest({ ...base, messages: [{ role: 'function', content: 'x' }] }, settings)).toThrow(
      ProviderError,
    );
    try {
      toAnthropicRequest(
        {
          ...base,
          messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png,raw' } }] }],
        },
        settings,
      );
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ status: 400, isRetryable: false });
    }
  });

  it('skips empty assistant messages so roles still alternate', () => {
    const body = toAnthropicRequest(
      {
        ...base,
        messages: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: '' },
          { role: 'user', content: 'b' },
        ],
      },
      settings,
    );
    expect(body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b' },
        ],
      },
    ]);
  });
});
