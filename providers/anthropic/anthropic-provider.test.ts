import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAnthropicProvider } from './anthropic-provider.ts';
import type { ChatCompletionChunk, ChatCompletionRequest } from '../../src/contract/chat-types.ts';
import type { ProviderAdapter } from '../../src/contract/provider-adapter.ts';
import { fixtureJson, fixtureText, splitBytes } from '../test-support/fixtures.ts';
import { startTestServer, type ScriptedChunk, type TestServer } from '../../test/support/scripted-server.ts';
import { collect, failureOf } from '../test-support/outcomes.ts';

const API_KEY = 'sk-ant-test-0123456789abcdef';
const request: ChatCompletionRequest = { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hello' }] };

let server: TestServer;
let provider: ProviderAdapter;

beforeEach(async () => {
  server = await startTestServer();
  provider = createAnthropicProvider({
    name: 'claude',
    apiKey: API_KEY,
    baseURL: server.origin,
    models: ['claude-sonnet-4-5'],
  });
});

afterEach(async () => {
  await provider.close?.();
  await server.close();
});

describe('createAnthropicProvider: request translation (as the upstream received it)', () => {
  it('POSTs /v1/messages with x-api-key, anthropic-version, system, default max_tokens and temperature 0', async () => {
    server.enqueue({ body: fixtureJson('anthropic-message-text.json') });
    await provider.chat(
      {
        model: 'claude-sonnet-4-5',
        temperature: 0,
        seed: 1,
        stop: 'END',
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
          { role: 'user', content: 'Hello' },
          { role: 'user', content: 'Are you there?' },
        ],
      },
      { requestId: 'request-7' },
    );
    const call = server.calls[0];
    expect(call?.method).toBe('POST');
    expect(call?.url).toBe('/v1/messages');
    expect(call?.headers['x-api-key']).toBe(API_KEY);
    expect(call?.headers['anthropic-version']).toBe('2023-06-01');
    expect(call?.headers.authorization).toBeUndefined();
    expect(call?.headers['x-request-id']).toBe('request-7');
    expect(call?.json).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      system: 'You are terse.\n\nAnswer in French.',
      temperature: 0,
      stop_sequences: ['END'],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Hello' },
            { type: 'text', text: 'Are you there?' },
          ],
        },
      ],
    });
  });

  it('maps tools, tool_choice, tool calls, merged tool results, images and stop arrays', async () => {
    server.enqueue({ body: fixtureJson('anthropic-message-text.json') });
    await provider.chat({
      model: 'claude-sonnet-4-5',
      max_completion_tokens: 300,
      max_tokens: 999,
      top_p: 0.9,
      stop: ['\n\nHuman:', 'STOP'],
      user: 'user-42',
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Weather by city',
            parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          },
        },
        { type: 'function', function: { name: 'get_time' } },
      ],
      tool_choice: 'required',
      parallel_tool_calls: false,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in these images, and the weather?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          ],
        },
        {
          role: 'assistant',
          content: 'Let me look.',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '18°C, cloudy' },
        { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: '14:05' }] },
        { role: 'user', content: 'Thanks!' },
      ],
    });
    expect(server.calls[0]?.json).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 300,
      top_p: 0.9,
      stop_sequences: ['\n\nHuman:', 'STOP'],
      metadata: { user_id: 'user-42' },
      tools: [
        {
          name: 'get_weather',
          description: 'Weather by city',
          input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
        { name: 'get_time', input_schema: { type: 'object', properties: {} } },
      ],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in these images, and the weather?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Let me look.' },
            { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'call_2', name: 'get_time', input: {} },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_1', content: '18°C, cloudy' },
            { type: 'tool_result', tool_use_id: 'call_2', content: [{ type: 'text', text: '14:05' }] },
            { type: 'text', text: 'Thanks!' },
          ],
        },
      ],
    });
  });

  it('asks for a stream with stream: true', async () => {
    server.enqueue({ chunks: [fixtureText('anthropic-stream-text.sse')] });
    await collect(await provider.stream(request));
    expect(server.calls[0]?.json.stream).toBe(true);
    expect(server.calls[0]?.json.max_tokens).toBe(4096);
  });

  it('refuses tool-call arguments that are not JSON with a 400, without calling upstream', async () => {
    const error = await failureOf(
      provider.chat({
        model: 'claude-sonnet-4-5',
        messages: [
          { role: 'user', content: 'x' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{not json' } }],
          },
        ],
      }),
    );
    expect(error).toMatchObject({ kind: 'local', status: 400, isRetryable: false, isProviderFault: false });
    expect(server.calls).toHaveLength(0);
  });

  it('tolerates a base URL ending in /v1', async () => {
    const withVersion = createAnthropicProvider({
      name: 'claude-v1',
      apiKey: API_KEY,
      baseURL: `${server.origin}/v1`,
      models: ['*'],
    });
    try {
      server.enqueue({ body: fixtureJson('anthropic-message-text.json') });
      await withVersion.chat(request);
      expect(server.calls[0]?.url).toBe('/v1/messages');
    } finally {
      await withVersion.close?.();
    }
  });
});

describe('createAnthropicProvider: responses', () => {
  it('translates a text message: content, finish reason stop, usage', async () => {
    server.enqueue({ body: fixtureJson('anthropic-message-text.json') });
    const completion = await provider.chat(request);
    expect(completion).toMatchObject({
      id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
      object: 'chat.completion',
      model: 'claude-sonnet-4-5-20250929',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi! My name is Claude.' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 2095, completion_tokens: 503, total_tokens: 2598 },
    });
    expect(completion.choices[0]?.message.tool_calls).toBeUndefined();
    expect(typeof completion.created).toBe('number');
  });

  it('translates tool_use blocks into tool_calls with JSON-encoded arguments', async () => {
    server.enqueue({ body: fixtureJson('anthropic-message-tool-use.json') });
    const completion = await provider.chat(request);
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBe("I'll check the current weather in San Francisco for you.");
    expect(choice?.message.tool_calls).toEqual([
      {
        id: 'toolu_01A09q90qw90lq917835lq9',
        type: 'function',
        function: { name: 'get_weather', arguments: '{"location":"San Francisco, CA","unit":"celsius"}' },
      },
    ]);
  });

  it('maps max_tokens to length', async () => {
    server.enqueue({
      body: { ...fixtureJson<Record<string, unknown>>('anthropic-message-text.json'), stop_reason: 'max_tokens' },
    });
    expect((await provider.chat(request)).choices[0]?.finish_reason).toBe('length');
  });
});

describe('createAnthropicProvider: streams', () => {
  it('translates a text stream (split at odd byte offsets) into chunks with a stable id, and a usage chunk when asked', async () => {
    server.enqueue({ chunks: splitBytes(fixtureText('anthropic-stream-text.sse'), 37) });
    const chunks = await collect(await provider.stream({ ...request, stream_options: { include_usage: true } }));
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(
      'Hello! How can I help, 世界 🌍?',
    );
    const finish = chunks.find((chunk) => chunk.choices[0]?.finish_reason !== null && chunk.choices.length > 0);
    expect(finish?.choices[0]?.finish_reason).toBe('stop');
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toEqual({ prompt_tokens: 25, completion_tokens: 15, total_tokens: 40 });
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({
        id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
        object: 'chat.completion.chunk',
        model: 'claude-sonnet-4-5-20250929',
        created: chunks[0]?.created,
      });
    }
  });

  it('always ends with a usage chunk (the router hides it from a client that did not ask)', async () => {
    server.enqueue({ chunks: [fixtureText('anthropic-stream-text.sse')] });
    const chunks = await collect(await provider.stream(request));
    expect(chunks.filter((chunk) => chunk.usage !== undefined)).toHaveLength(1);
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('translates tool_use blocks and input_json_delta into tool-call chunks', async () => {
    server.enqueue({ chunks: splitBytes(fixtureText('anthropic-stream-tool-use.sse'), 64) });
    const chunks = await collect(await provider.stream(request));
    const toolDeltas = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(toolDeltas[0]).toEqual({
      index: 0,
      id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
      type: 'function',
      function: { name: 'get_weather', arguments: '' },
    });
    const argumentsText = toolDeltas.map((delta) => delta.function?.arguments ?? '').join('');
    expect(JSON.parse(argumentsText)).toEqual({ location: 'San Francisco, CA', unit: 'fahrenheit' });
    expect(toolDeltas.every((delta) => delta.index === 0)).toBe(true);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(
      "Okay, let's check the weather for San Francisco, CA:",
    );
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('throws a retryable ProviderError from the iterator on an overloaded_error event', async () => {
    server.enqueue({ chunks: [fixtureText('anthropic-stream-overloaded.sse')], hangAfterChunks: true });
    const stream = await provider.stream(request);
    const received: ChatCompletionChunk[] = [];
    const error = await failureOf(
      (async () => {
        for await (const chunk of stream) received.push(chunk);
      })(),
    );
    expect(received.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('Partial');
    expect(error).toMatchObject({
      kind: 'http',
      status: 529,
      code: 'overloaded_error',
      isRetryable: true,
      isProviderFault: true,
    });
    expect(error.message).toContain('Overloaded');
    await server.calls[0]?.closed;
  });

  it('throws a protocol error when the stream ends before message_stop', async () => {
    const text = fixtureText('anthropic-stream-text.sse');
    server.enqueue({ chunks: [text.slice(0, text.indexOf('event: message_delta'))] });
    const error = await failureOf(collect(await provider.stream(request)));
    expect(error.kind).toBe('protocol');
  });

  it('a stream that ends cleanly after the stop reason (message_delta) is complete without message_stop, usage included', async () => {
    const text = fixtureText('anthropic-stream-text.sse');
    server.enqueue({ chunks: [text.slice(0, text.indexOf('event: message_stop'))] });
    const chunks = await collect(await provider.stream({ ...request, stream_options: { include_usage: true } }));
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(
      'Hello! How can I help, 世界 🌍?',
    );
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.at(-1)?.usage).toEqual({ prompt_tokens: 25, completion_tokens: 15, total_tokens: 40 });
  });

  it('ping events are keep-alives: they do not hold a silent stream open', async () => {
    const text = fixtureText('anthropic-stream-text.sse');
    const pings: ScriptedChunk[] = [text.slice(0, text.indexOf('event: content_block_stop'))];
    for (let index = 0; index < 1000; index++) pings.push({ delayMs: 20 }, 'event: ping\ndata: {"type": "ping"}\n\n');
    server.enqueue({ chunks: pings, hangAfterChunks: true });
    const error = await failureOf(collect(await provider.stream(request, { streamIdleTimeoutMs: 200 })));
    expect(error.message).toBe('claude: upstream stream was silent for 200 ms');
  });

  it('skips a malformed event and reports it', async () => {
    const text = fixtureText('anthropic-stream-text.sse');
    const cut = text.indexOf('event: content_block_stop');
    server.enqueue({ chunks: [text.slice(0, cut), 'event: content_block_delta\ndata: {"type":\n\n', text.slice(cut)] });
    const reasons: string[] = [];
    const chunks = await collect(
      await provider.stream(request, { onMalformedEvent: (event) => reasons.push(event.reason) }),
    );
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(
      'Hello! How can I help, 世界 🌍?',
    );
    expect(reasons).toHaveLength(1);
  });

  it('times out a silent stream', async () => {
    const text = fixtureText('anthropic-stream-text.sse');
    server.enqueue({ chunks: [text.slice(0, text.indexOf('event: content_block_start'))], hangAfterChunks: true });
    const stream = await provider.stream(request, { timeoutMs: 100 });
    const error = await failureOf(collect(stream));
    expect(error.kind).toBe('timeout');
  });
});

describe('createAnthropicProvider: upstream errors', () => {
  it('529 overloaded is retryable and a provider fault', async () => {
    server.enqueue({
      status: 529,
      body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
    });
    const error = await failureOf(provider.chat(request));
    expect(error).toMatchObject({
      kind: 'http',
      status: 529,
      code: 'overloaded_error',
      isRetryable: true,
      isProviderFault: true,
    });
    expect(error.message).toBe('claude: upstream answered 529: Overloaded');
  });

  it('429 carries retry-after as retryAfterMs and is not a provider fault', async () => {
    server.enqueue({
      status: 429,
      headers: { 'retry-after': '12' },
      body: {
        type: 'error',
        error: {
          type: 'rate_limit_error',
          message: 'Number of request tokens has exceeded your per-minute rate limit',
        },
      },
    });
    const error = await failureOf(provider.stream(request));
    expect(error).toMatchObject({
      status: 429,
      retryAfterMs: 12_000,
      isRetryable: true,
      isProviderFault: false,
      code: 'rate_limit_error',
    });
  });

  it('400 is passed through in OpenAI error shape, not retryable', async () => {
    server.enqueue({
      status: 400,
      body: { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: must be positive' } },
    });
    const error = await failureOf(provider.chat(request));
    expect(error).toMatchObject({ status: 400, isRetryable: false, isProviderFault: false });
    expect(error.body).toMatchObject({
      error: { message: 'max_tokens: must be positive', type: 'invalid_request_error' },
    });
  });

  it('401 never echoes the API key', async () => {
    server.enqueue({
      status: 401,
      body: { type: 'error', error: { type: 'authentication_error', message: `invalid x-api-key ${API_KEY}` } },
    });
    const error = await failureOf(provider.chat(request));
    expect(error.message).not.toContain(API_KEY);
    expect(JSON.stringify(error.body)).not.toContain(API_KEY);
  });
});

describe('createAnthropicProvider: healthCheck', () => {
  it('GETs /v1/models with the API key', async () => {
    server.enqueue({ body: { data: [], has_more: false } });
    expect(await provider.healthCheck?.(AbortSignal.timeout(2000))).toBe(true);
    expect(server.calls[0]?.url).toBe('/v1/models');
    expect(server.calls[0]?.headers['x-api-key']).toBe(API_KEY);
  });

  it('is unhealthy on 401', async () => {
    server.enqueue({
      status: 401,
      body: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } },
    });
    expect(await provider.healthCheck?.(AbortSignal.timeout(2000))).toBe(false);
  });
});

describe('createAnthropicProvider: assistant prefill', () => {
  const prefillRequest: ChatCompletionRequest = {
    model: 'claude-sonnet-4-5',
    messages: [
      { role: 'user', content: 'Count to three' },
      { role: 'assistant', content: 'One, two, ' },
    ],
  };

  it('declares prefill support', () => {
    expect(provider.supportsPrefill).toBe(true);
  });

  it('sends a trailing assistant message as the prefill, without its trailing whitespace (Anthropic refuses that)', async () => {
    server.enqueue({
      body: {
        ...fixtureJson<Record<string, unknown>>('anthropic-message-text.json'),
        content: [{ type: 'text', text: ' three.' }],
      },
    });
    const completion = await provider.chat(prefillRequest);
    expect(server.calls[0]?.json.messages).toEqual([
      { role: 'user', content: 'Count to three' },
      { role: 'assistant', content: [{ type: 'text', text: 'One, two,' }] },
    ]);
    // The continuation's leading space was already sent as part of the prefill: dropped once.
    expect(completion.choices[0]?.message.content).toBe('three.');
  });

  it('streams the continuation so that prefill + continuation reads as one text', async () => {
    const text = fixtureText('anthropic-stream-text.sse').replace('"text":"Hello"', '"text":" Hello"');
    server.enqueue({ chunks: [text] });
    const chunks = await collect(await provider.stream(prefillRequest));
    const continuation = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect('One, two, ' + continuation).toBe('One, two, Hello! How can I help, 世界 🌍?');
    expect(server.calls[0]?.json.messages.at(-1)).toEqual({
      role: 'assistant',
      content: [{ type: 'text', text: 'One, two,' }],
    });
  });
});
