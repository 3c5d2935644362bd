import { describe, expect, it } from 'vitest';
import type { ChatCompletion } from '../../contract/chat-types.ts';
import { ProviderError } from '../../contract/provider-error.ts';
import type { ResponsesRequest, ResponsesStreamEvent } from '../../contract/responses-types.ts';
import {
  chatChunksOf,
  streamOf,
  translateFixtureJson,
  translateFixtureText,
} from '../test-support/translate-fixtures.ts';
import { ChatStreamToResponsesEvents } from './chat-stream-to-responses-events.ts';
import { chatToResponsesResponse } from './chat-to-responses-response.ts';
import type { ResponseFrame } from './response-frame.ts';
import { responsesToChatRequest } from './responses-to-chat-request.ts';

const strict = { provider: 'claude', drop: false };

/** A frame with counted ids, so translated objects can be compared whole. */
function testFrame(): ResponseFrame {
  let next = 0;
  return { id: 'resp_test', createdAt: 1_756_000_000, newItemId: (prefix) => `${prefix}_${++next}` };
}

/** The events of a recorded Responses SSE fixture (`event:` / `data:` pairs). */
function recordedEvents(name: string): ResponsesStreamEvent[] {
  return translateFixtureText(name)
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice(6)) as ResponsesStreamEvent);
}

/** Event types with runs of the same delta type collapsed to one. */
function typeOutline(events: readonly ResponsesStreamEvent[]): string[] {
  const outline: string[] = [];
  for (const event of events)
    if (outline.at(-1) !== event.type || !event.type.endsWith('.delta')) outline.push(event.type);
  return outline;
}

function caught(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('responsesToChatRequest', () => {
  it('translates a recorded agent request (instructions, developer, image, assistant text, function call and output, json_schema)', () => {
    const request = translateFixtureJson<ResponsesRequest>('openai-responses-request-agent.json');
    expect(responsesToChatRequest(request, strict)).toEqual({
      model: 'claude-sonnet-4-5',
      messages: [
        { role: 'system', content: 'You are a weather assistant. Answer briefly.' },
        { role: 'system', content: 'Temperatures in Celsius.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is the weather where this photo was taken?' },
            { type: 'image_url', image_url: { url: 'https://example.com/paris.jpg', detail: 'low' } },
          ],
        },
        {
          role: 'assistant',
          content: 'That is Paris. Let me check.',
          tool_calls: [
            {
              id: 'call_Qm4XbZ3kP9vR2tYw',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"location":"Paris"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_Qm4XbZ3kP9vR2tYw', content: '{"temperature":18,"sky":"cloudy"}' },
      ],
      max_tokens: 512,
      temperature: 0.2,
      top_p: 0.9,
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Current weather of a city',
            strict: true,
            parameters: {
              type: 'object',
              properties: { location: { type: 'string' } },
              required: ['location'],
              additionalProperties: false,
            },
          },
        },
      ],
      tool_choice: 'auto',
      parallel_tool_calls: false,
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'weather',
          strict: true,
          schema: {
            type: 'object',
            properties: { summary: { type: 'string' } },
            required: ['summary'],
            additionalProperties: false,
          },
        },
      },
      user: 'user-42',
    });
  });

  it('sends string input as one user message and maps tool_choice to a named function', () => {
    const chat = responsesToChatRequest(
      {
        model: 'm',
        input: 'Weather in Paris?',
        tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: {} } }],
        tool_choice: { type: 'function', name: 'get_weather' },
      },
      strict,
    );
    expect(chat.messages).toEqual([{ role: 'user', content: 'Weather in Paris?' }]);
    expect(chat.tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } });
  });

  it('joins consecutive function calls into one assistant message, outputs following as tool messages', () => {
    const chat = responsesToChatRequest(
      {
        model: 'm',
        input: [
          { role: 'user', content: 'Both cities?' },
          { type: 'function_call', call_id: 'a', name: 'w', arguments: '{"c":"Paris"}' },
          { type: 'function_call', call_id: 'b', name: 'w', arguments: '{"c":"Rome"}' },
          { type: 'function_call_output', call_id: 'a', output: [{ type: 'input_text', text: '18' }] },
          { type: 'function_call_output', call_id: 'b', output: '21' },
        ],
      },
      strict,
    );
    expect(chat.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'a', type: 'function', function: { name: 'w', arguments: '{"c":"Paris"}' } },
          { id: 'b', type: 'function', function: { name: 'w', arguments: '{"c":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'a', content: '18' },
      { role: 'tool', tool_call_id: 'b', content: '21' },
    ]);
  });

  it('refuses hosted tools with 400 unsupported_parameter, or drops and reports them', () => {
    const request: ResponsesRequest = { model: 'm', input: 'x', tools: [{ type: 'web_search' }] };
    const error = caught(() => responsesToChatRequest(request, strict));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ status: 400, code: 'unsupported_parameter', isRetryable: false });
    expect((error as ProviderError).body).toMatchObject({ error: { param: 'tools.web_search' } });
    const reported: string[][] = [];
    const chat = responsesToChatRequest(request, {
      provider: 'claude',
      drop: true,
      report: (_provider, names) => reported.push([...names]),
    });
    expect(chat.tools).toBeUndefined();
    expect(reported).toEqual([['tools.web_search']]);
  });

  it('answers an unresolved item_reference with a 400 naming the item', () => {
    const error = caught(() =>
      responsesToChatRequest({ model: 'm', input: [{ type: 'item_reference', id: 'msg_gone' }] }, strict),
    );
    expect(error).toMatchObject({ status: 400, isRetryable: false });
    expect((error as ProviderError).message).toContain('msg_gone');
  });
});

describe('chatToResponsesResponse', () => {
  const request: ResponsesRequest = { model: 'claude-sonnet-4-5', instructions: 'Be brief.', input: 'Hi' };

  it('has the keys and item shapes of a recorded OpenAI response', () => {
    const completion: ChatCompletion = {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: 'claude-sonnet-4-5',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello!' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 19, completion_tokens: 12, total_tokens: 31 },
    };
    const response = chatToResponsesResponse(completion, request, testFrame());
    const recorded = translateFixtureJson('openai-responses-text.json');
    for (const key of Object.keys(response)) expect(recorded).toHaveProperty(key);
    expect(Object.keys(response.output[0]!).sort()).toEqual(Object.keys(recorded.output[0]).sort());
    expect(response).toMatchObject({
      id: 'resp_test',
      object: 'response',
      status: 'completed',
      instructions: 'Be brief.',
      model: 'claude-sonnet-4-5',
      output: [
        {
          id: 'msg_1',
          type: 'message',
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', annotations: [], logprobs: [], text: 'Hello!' }],
        },
      ],
      usage: recorded.usage,
    });
  });

  it('turns recorded tool calls into function_call items shaped like a recorded one', () => {
    const completion = translateFixtureJson<ChatCompletion>('openai-chat-tool-calls.json');
    const response = chatToResponsesResponse(completion, request, testFrame());
    const recorded = translateFixtureJson('openai-responses-function-call.json');
    expect(Object.keys(response.output[0]!).sort()).toEqual(Object.keys(recorded.output[0]).sort());
    expect(response.output).toEqual([
      {
        id: 'fc_1',
        type: 'function_call',
        status: 'completed',
        arguments: '{"location":"Paris, France","unit":"celsius"}',
        call_id: 'call_Vq3wDhk1bAcJ0FJzQb4Eo5Fh',
        name: 'get_weather',
      },
    ]);
    expect(response.usage).toMatchObject({ input_tokens: 82, output_tokens: 21, total_tokens: 103 });
  });

  it('reports a length stop as incomplete (max_output_tokens)', () => {
    const completion: ChatCompletion = {
      id: 'c',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hel' }, finish_reason: 'length' }],
    };
    const response = chatToResponsesResponse(completion, request, testFrame());
    expect(response.status).toBe('incomplete');
    expect(response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
  });
});

describe('ChatStreamToResponsesEvents', () => {
  const request: ResponsesRequest = { model: 'gpt-4o-mini', input: 'Hi', stream: true };

  async function translate(fixture: string) {
    const events: ResponsesStreamEvent[] = [];
    const translator = new ChatStreamToResponsesEvents(streamOf(chatChunksOf(fixture)), request, testFrame());
    for await (const event of translator) {
      expect(event.event).toBe(event.value.type);
      expect(JSON.parse(event.data)).toEqual(event.value);
      events.push(event.value);
    }
    return { events, translator };
  }

  it('streams a recorded text completion as the event sequence of a recorded Responses stream', async () => {
    const { events, translator } = await translate('openai-chat-stream-text.sse');
    expect(typeOutline(events)).toEqual(typeOutline(recordedEvents('openai-responses-stream-text.sse')));
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_event, index) => index));
    const deltas = events.filter((event) => event.type === 'response.output_text.delta').map((event) => event.delta);
    expect(deltas.join('')).toBe('Hello there!');
    const recordedDelta = recordedEvents('openai-responses-stream-text.sse').find(
      (event) => event.type === 'response.output_text.delta',
    )!;
    const delta = events.find((event) => event.type === 'response.output_text.delta')!;
    expect(Object.keys(delta).sort()).toEqual(
      Object.keys(recordedDelta)
        .filter((key) => key !== 'obfuscation')
        .sort(),
    );
    const completed = events.at(-1)!;
    expect(completed.type).toBe('response.completed');
    expect(completed.response).toMatchObject({
      id: 'resp_test',
      status: 'completed',
      output: [{ type: 'message', content: [{ type: 'output_text', text: 'Hello there!' }] }],
      usage: { input_tokens: 9, output_tokens: 3, total_tokens: 12 },
    });
    expect(translator.output).toEqual((completed.response as { output: unknown }).output);
  });

  it('streams recorded parallel tool calls as function_call items with argument deltas', async () => {
    const { events } = await translate('openai-chat-stream-tool-calls.sse');
    expect(typeOutline(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const done = events.filter((event) => event.type === 'response.function_call_arguments.done');
    expect(done.map((event) => [event.name, event.output_index])).toEqual([
      ['get_weather', 0],
      ['get_time', 1],
    ]);
    const completed = events.at(-1)!.response as { output: Array<Record<string, unknown>>; usage: unknown };
    expect(completed.output.map((item) => [item.type, item.call_id, item.name])).toEqual([
      ['function_call', 'call_kY3', 'get_weather'],
      ['function_call', expect.any(String), 'get_time'],
    ]);
    for (const item of completed.output) expect(() => JSON.parse(item.arguments as string)).not.toThrow();
    expect(completed.usage).toMatchObject({ input_tokens: 80, output_tokens: 30 });
  });

  it('ends a length-stopped stream with response.incomplete', async () => {
    const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
      id: 'c',
      object: 'chat.completion.chunk' as const,
      created: 1,
      model: 'm',
      choices: [{ index: 0, delta, finish_reason: finish as 'length' | null }],
    });
    const translator = new ChatStreamToResponsesEvents(
      streamOf([chunk({ content: 'Hel' }, null), chunk({}, 'length')]),
      request,
      testFrame(),
    );
    const types: string[] = [];
    let last: ResponsesStreamEvent | undefined;
    for await (const event of translator) {
      types.push(event.value.type);
      last = event.value;
    }
    expect(types.at(-1)).toBe('response.incomplete');
    expect(last?.response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
  });
});
