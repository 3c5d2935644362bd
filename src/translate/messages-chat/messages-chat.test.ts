import { describe, expect, it } from 'vitest';
import type { ChatCompletion } from '../../contract/chat-types.ts';
import type { MessagesRequest } from '../../contract/messages-types.ts';
import { ProviderError } from '../../contract/provider-error.ts';
import { chatChunksOf, streamOf, translateFixtureJson } from '../test-support/translate-fixtures.ts';
import { ChatStreamToMessagesEvents } from './chat-stream-to-messages-events.ts';
import { chatToMessagesResponse } from './chat-to-messages-response.ts';
import { messagesToChatRequest } from './messages-to-chat-request.ts';

const strict = { provider: 'openai', drop: false };

describe('messagesToChatRequest', () => {
  it('translates a recorded Claude Code request (system blocks, tool_use, tool_result, tool_choice)', () => {
    const request = translateFixtureJson<MessagesRequest>('anthropic-request-claude-code.json');
    expect(messagesToChatRequest(request, strict)).toEqual({
      model: 'gpt-4o-mini',
      max_tokens: 32000,
      temperature: 1,
      user: 'user_abc',
      messages: [
        { role: 'system', content: 'You are a coding agent.\n\nAnswer briefly.' },
        { role: 'user', content: 'List the files.' },
        {
          role: 'assistant',
          content: 'Let me look.',
          tool_calls: [
            {
              id: 'toolu_01D7FLrfh4GYq7yT1ULFeyMV',
              type: 'function',
              function: { name: 'Bash', arguments: '{"command":"ls"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_01D7FLrfh4GYq7yT1ULFeyMV', content: 'README.md\npackage.json' },
        { role: 'user', content: 'Which one is the manifest?' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'Bash',
            description: 'Runs a shell command',
            parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
          },
        },
      ],
      tool_choice: 'auto',
      parallel_tool_calls: false,
    });
  });

  it('refuses top_k and thinking with 400 unsupported_parameter naming the parameter', () => {
    const request: MessagesRequest = {
      model: 'm',
      max_tokens: 5,
      top_k: 3,
      messages: [{ role: 'user', content: 'x' }],
    };
    let caught: unknown;
    try {
      messagesToChatRequest(request, strict);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProviderError);
    expect(caught).toMatchObject({ status: 400, code: 'unsupported_parameter', isRetryable: false });
    expect((caught as ProviderError).body).toMatchObject({ error: { param: 'top_k', code: 'unsupported_parameter' } });
  });

  it('drops them and reports their names when the provider drops unsupported parameters', () => {
    const reported: string[][] = [];
    const chat = messagesToChatRequest(
      {
        model: 'm',
        max_tokens: 5,
        top_k: 3,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        tools: [{ type: 'web_search_20250305', name: 'web_search' }],
        messages: [{ role: 'user', content: 'x' }],
      },
      { provider: 'openai', drop: true, report: (_provider, names) => reported.push([...names]) },
    );
    expect(chat).toEqual({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
    expect(reported).toEqual([['top_k', 'thinking'], ['tools.web_search_20250305']]);
  });
});

describe('chatToMessagesResponse', () => {
  it('translates a recorded tool-call completion into tool_use blocks, stop reason and usage', () => {
    const completion = translateFixtureJson<ChatCompletion>('openai-chat-tool-calls.json');
    expect(chatToMessagesResponse(completion)).toEqual({
      id: 'msg_CZqNdm0bXpkPuV7yJ8sZkqL3Ji2DE',
      type: 'message',
      role: 'assistant',
      model: 'gpt-4o-mini-2024-07-18',
      content: [
        {
          type: 'tool_use',
          id: 'call_Vq3wDhk1bAcJ0FJzQb4Eo5Fh',
          name: 'get_weather',
          input: { location: 'Paris, France', unit: 'celsius' },
        },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 82, output_tokens: 21 },
    });
  });
});

async function eventsOf(fixture: string) {
  const events = [];
  for await (const event of new ChatStreamToMessagesEvents(streamOf(chatChunksOf(fixture)), 'gpt-4o-mini')) {
    expect(event.event).toBe(event.value.type);
    expect(JSON.parse(event.data)).toEqual(event.value);
    events.push(event.value);
  }
  return events;
}

describe('ChatStreamToMessagesEvents', () => {
  it('turns a recorded text stream into the Messages event sequence, usage in message_delta', async () => {
    expect(await eventsOf('openai-chat-stream-text.sse')).toEqual([
      {
        type: 'message_start',
        message: {
          id: 'msg_CZqPz9q1',
          type: 'message',
          role: 'assistant',
          model: 'gpt-4o-mini-2024-07-18',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 0, output_tokens: 0 },
        },
      },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ' there!' } },
      { type: 'content_block_stop', index: 0 },
      {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { input_tokens: 9, output_tokens: 3 },
      },
      { type: 'message_stop' },
    ]);
  });

  it('turns recorded parallel tool-call deltas into one tool_use block each', async () => {
    const events = await eventsOf('openai-chat-stream-tool-calls.sse');
    expect(events.slice(1)).toEqual([
      {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'tool_use', id: 'call_kY3', name: 'get_weather', input: {} },
      },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"location"' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: ':"Paris"}' } },
      { type: 'content_block_stop', index: 0 },
      {
        type: 'content_block_start',
        index: 1,
        content_block: { type: 'tool_use', id: 'call_pQ8', name: 'get_time', input: {} },
      },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{}' } },
      { type: 'content_block_stop', index: 1 },
      {
        type: 'message_delta',
        delta: { stop_reason: 'tool_use', stop_sequence: null },
        usage: { input_tokens: 80, output_tokens: 30 },
      },
      { type: 'message_stop' },
    ]);
  });
});
