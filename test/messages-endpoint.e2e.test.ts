import Anthropic from '@anthropic-ai/sdk';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixtureJson, fixtureText } from '../providers/test-support/fixtures.ts';
import { GATEWAY_KEY, startEndpointGateway, type EndpointGateway } from './support/endpoint-gateway.ts';
import { chunkBody, completionBody } from './support/openai-upstream.ts';
import { startTestServer, type TestServer } from './support/scripted-server.ts';

let gateway: EndpointGateway;
let client: Anthropic;

beforeAll(async () => {
  gateway = await startEndpointGateway();
  client = new Anthropic({ baseURL: gateway.url, apiKey: GATEWAY_KEY, maxRetries: 0, timeout: 10_000 });
});
afterAll(async () => {
  await gateway.close();
});

const weatherTool = {
  name: 'get_weather',
  description: 'Current weather of a city',
  input_schema: { type: 'object' as const, properties: { location: { type: 'string' } }, required: ['location'] },
};

describe('POST /v1/messages in front of an anthropic provider (passed through)', () => {
  it('sends the body as the client sent it, with its anthropic-version, and returns the message unchanged', async () => {
    const before = gateway.anthropicUpstream.calls.length;
    const { data, response } = await client.messages
      .create(
        {
          model: 'claude-sonnet-4-5',
          max_tokens: 100,
          system: 'Be brief.',
          metadata: { user_id: 'user-7' },
          messages: [{ role: 'user', content: 'Who are you?' }],
        },
        { headers: { 'anthropic-version': '2023-06-01' } },
      )
      .withResponse();
    expect(data).toEqual(fixtureJson('anthropic-message-text.json'));
    expect(response.headers.get('x-switchboard-provider')).toBe('claude');
    expect(response.headers.get('x-switchboard-model')).toBe('claude-sonnet-4-5');
    const call = gateway.anthropicUpstream.calls[before]!;
    expect(call.url).toBe('/v1/messages');
    expect(call.json).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      system: 'Be brief.',
      metadata: { user_id: 'user-7' },
      messages: [{ role: 'user', content: 'Who are you?' }],
    });
    expect(call.headers['x-api-key']).toBe('sk-ant-upstream');
    expect(call.headers['anthropic-version']).toBe('2023-06-01');
    expect(call.headers['x-switchboard-via']).toMatch(/^sb-/);
  });

  it('passes anthropic-beta on and streams the upstream events as they came (messages.stream)', async () => {
    const before = gateway.anthropicUpstream.calls.length;
    const stream = client.messages.stream(
      { model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] },
      { headers: { 'anthropic-beta': 'tools-2024-05-16' } },
    );
    const seen: string[] = [];
    stream.on('streamEvent', (event) => seen.push(event.type));
    const message = await stream.finalMessage();
    expect(message.content).toEqual([{ type: 'text', text: 'Hello! How can I help, 世界 🌍?' }]);
    expect(message.usage.output_tokens).toBe(15);
    expect(seen[0]).toBe('message_start');
    expect(seen.at(-1)).toBe('message_stop');
    expect(gateway.anthropicUpstream.calls[before]!.headers['anthropic-beta']).toBe('tools-2024-05-16');
    expect(gateway.anthropicUpstream.calls[before]!.json.stream).toBe(true);
  });

  it('forwards the upstream stream byte for byte (event names, data text, pings)', async () => {
    const response = await request(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': GATEWAY_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 10,
        stream: true,
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(await response.body.text()).toBe(fixtureText('anthropic-stream-text.sse'));
  });

  it('skips a malformed event mid-stream, forwards nothing of it and counts it', async () => {
    const recorded = fixtureText('anthropic-stream-text.sse');
    const malformed = 'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"bro\n\n';
    const cut = recorded.indexOf('event: content_block_stop');
    const body = recorded.slice(0, cut) + malformed + recorded.slice(cut);
    gateway.anthropicUpstream.enqueue({ headers: { 'content-type': 'text/event-stream' }, body });

    const response = await request(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': GATEWAY_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 32,
        stream: true,
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-switchboard-provider']).toBe('claude');
    expect(await response.body.text()).toBe(recorded);

    gateway.anthropicUpstream.enqueue({ headers: { 'content-type': 'text/event-stream' }, body });
    const answer = await client.messages
      .stream({ model: 'claude-sonnet-4-5', max_tokens: 32, messages: [{ role: 'user', content: 'Hi' }] })
      .finalMessage();
    expect(answer.content).toEqual([{ type: 'text', text: 'Hello! How can I help, 世界 🌍?' }]);

    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toContain('switchboard_stream_malformed_events_total{provider="claude"} 2');
  });

  it('does a tool-use round trip: tool_use from the upstream, tool_result sent back as the client wrote it', async () => {
    gateway.anthropicUpstream.enqueue({
      body: fixtureText('anthropic-message-tool-use.json'),
      headers: { 'content-type': 'application/json' },
    });
    const first = await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 200,
      tools: [weatherTool],
      messages: [{ role: 'user', content: 'Weather in San Francisco?' }],
    });
    expect(first.stop_reason).toBe('tool_use');
    const toolUse = first.content.find((block) => block.type === 'tool_use')!;
    expect(toolUse).toMatchObject({ name: 'get_weather', input: { location: 'San Francisco, CA', unit: 'celsius' } });
    const before = gateway.anthropicUpstream.calls.length;
    const second = await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 200,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Weather in San Francisco?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: '15 °C, fog' }] },
      ],
    });
    expect(second.content[0]).toMatchObject({ type: 'text' });
    const sent = gateway.anthropicUpstream.calls[before]!.json;
    expect(sent.messages[2].content).toEqual([{ type: 'tool_result', tool_use_id: toolUse.id, content: '15 °C, fog' }]);
  });

  it('passes count_tokens to the anthropic provider', async () => {
    const counted = await client.messages.countTokens({
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'How many tokens is this?' }],
    });
    expect(counted.input_tokens).toBe(42);
    expect(gateway.anthropicUpstream.calls.at(-1)!.url).toBe('/v1/messages/count_tokens');
  });

  it('answers count_tokens for a model without an anthropic provider with 404 not_found_error', async () => {
    const error = await client.messages
      .countTokens({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    expect((error as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error' },
    });
  });
});

describe('POST /v1/messages in front of an openai provider (translated)', () => {
  it('translates system, tools and the answer: tool_calls come back as tool_use blocks', async () => {
    gateway.openaiUpstream.enqueue({
      kind: 'json',
      body: {
        ...completionBody(''),
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: null,
              tool_calls: [
                {
                  id: 'call_1',
                  type: 'function',
                  function: { name: 'get_weather', arguments: '{"location":"Paris"}' },
                },
              ],
            },
            finish_reason: 'tool_calls',
          },
        ],
      },
    });
    const before = gateway.openaiUpstream.calls.length;
    const { data, response } = await client.messages
      .create({
        model: 'gpt-4o-mini',
        max_tokens: 64,
        system: [{ type: 'text', text: 'Use tools.' }],
        stop_sequences: ['END'],
        tools: [weatherTool],
        tool_choice: { type: 'any' },
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
      })
      .withResponse();
    expect(response.headers.get('x-switchboard-provider')).toBe('openai');
    expect(data.type).toBe('message');
    expect(data.stop_reason).toBe('tool_use');
    expect(data.content).toEqual([
      { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { location: 'Paris' } },
    ]);
    expect(data.usage).toEqual({ input_tokens: 7, output_tokens: 3 });
    const sent = gateway.openaiUpstream.calls[before]!;
    expect(sent.url).toBe('/v1/chat/completions');
    expect(sent.body).toEqual({
      model: 'gpt-4o-mini',
      max_tokens: 64,
      stop: ['END'],
      messages: [
        { role: 'system', content: 'Use tools.' },
        { role: 'user', content: 'Weather in Paris?' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Current weather of a city',
            parameters: weatherTool.input_schema,
          },
        },
      ],
      tool_choice: 'required',
    });
  });

  it('sends tool_result blocks as tool messages, and images as image_url parts', async () => {
    const before = gateway.openaiUpstream.calls.length;
    const message = await client.messages.create({
      model: 'gpt-4o-mini',
      max_tokens: 64,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'call_1', name: 'get_weather', input: { location: 'Paris' } }],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_1', content: '21 °C' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'text', text: 'And this picture?' },
          ],
        },
      ],
    });
    expect(message.content).toEqual([{ type: 'text', text: 'hello from openai' }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(gateway.openaiUpstream.calls[before]!.body.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '21 °C' },
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          { type: 'text', text: 'And this picture?' },
        ],
      },
    ]);
  });

  it('streams chunks as Anthropic events (messages.stream) with the usage the gateway asked for', async () => {
    gateway.openaiUpstream.enqueue({
      kind: 'stream',
      steps: [
        {
          chunk: {
            ...chunkBody(''),
            choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
          },
        },
        { chunk: chunkBody('Bonjour') },
        { chunk: chunkBody(' !') },
        { chunk: chunkBody(null) },
        {
          chunk: {
            ...chunkBody(null),
            choices: [],
            usage: { prompt_tokens: 11, completion_tokens: 2, total_tokens: 13 },
          },
        },
      ],
    });
    const before = gateway.openaiUpstream.calls.length;
    const stream = client.messages.stream({
      model: 'gpt-4o-mini',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    const text: string[] = [];
    stream.on('text', (piece) => text.push(piece));
    const message = await stream.finalMessage();
    expect(text.join('')).toBe('Bonjour !');
    expect(message.content).toEqual(
      [{ type: 'text', text: 'Bonjour !', citations: null }].map(({ citations: _c, ...block }) => block),
    );
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage).toMatchObject({ input_tokens: 11, output_tokens: 2 });
    expect(gateway.openaiUpstream.calls[before]!.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('streams tool calls as tool_use blocks with input_json_delta', async () => {
    const toolChunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
      ...chunkBody(''),
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    gateway.openaiUpstream.enqueue({
      kind: 'stream',
      steps: [
        {
          chunk: toolChunk({
            role: 'assistant',
            tool_calls: [
              { index: 0, id: 'call_9', type: 'function', function: { name: 'get_weather', arguments: '' } },
            ],
          }),
        },
        { chunk: toolChunk({ tool_calls: [{ index: 0, function: { arguments: '{"location":' } }] }) },
        { chunk: toolChunk({ tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] }) },
        { chunk: toolChunk({}, 'tool_calls') },
      ],
    });
    const message = await client.messages
      .stream({
        model: 'gpt-4o-mini',
        max_tokens: 64,
        tools: [weatherTool],
        messages: [{ role: 'user', content: 'Oslo?' }],
      })
      .finalMessage();
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toEqual([
      { type: 'tool_use', id: 'call_9', name: 'get_weather', input: { location: 'Oslo' } },
    ]);
  });
});

describe('POST /v1/messages with model aliases', () => {
  it('sends each provider the upstream name of the alias, passed through and translated', async () => {
    const aliased = await startEndpointGateway({
      claude: { models: ['claude-sonnet-4-5', { name: 'claude-fast', upstream: 'claude-sonnet-4-5' }] },
      openai: { models: ['gpt-4o-mini', { name: 'gpt-fast', upstream: 'gpt-4o-mini' }] },
    });
    try {
      const aliasClient = new Anthropic({ baseURL: aliased.url, apiKey: GATEWAY_KEY, maxRetries: 0 });
      const message = { max_tokens: 16, messages: [{ role: 'user' as const, content: 'Hi' }] };
      await aliasClient.messages.create({ model: 'claude-fast', ...message });
      expect(aliased.anthropicUpstream.calls.at(-1)!.json).toEqual({ model: 'claude-sonnet-4-5', ...message });
      await aliasClient.messages.stream({ model: 'claude-fast', ...message }).finalMessage();
      expect(aliased.anthropicUpstream.calls.at(-1)!.json.model).toBe('claude-sonnet-4-5');
      await aliasClient.messages.create({ model: 'gpt-fast', ...message });
      expect(aliased.openaiUpstream.calls.at(-1)!.body.model).toBe('gpt-4o-mini');
    } finally {
      await aliased.close();
    }
  });
});

describe('POST /v1/messages streamed from anthropic providers: the commit point and the first-token window', () => {
  /** Every timeout but the first-token window long, so only that window can end a wait within the test's 5 s. */
  const router = {
    firstTokenTimeoutMs: 400,
    requestTimeoutMs: 30_000,
    streamIdleTimeoutMs: 30_000,
    deadlineMs: 60_000,
  };
  const message = { model: 'claude-sonnet-4-5', max_tokens: 32, messages: [{ role: 'user' as const, content: 'Hi' }] };
  const messageStart = (id: string) =>
    `event: message_start\ndata: ${JSON.stringify({
      type: 'message_start',
      message: { id, type: 'message', role: 'assistant', content: [], model: 'claude-sonnet-4-5', usage: {} },
    })}\n\n`;
  let pair: EndpointGateway | undefined;
  let backup: TestServer | undefined;
  afterEach(async () => {
    await pair?.close();
    await backup?.close();
    pair = backup = undefined;
  });

  /** A gateway where `claude` (listed first) serves the model first and `claude-backup` answers the recorded stream. */
  async function startPair(): Promise<{ pair: EndpointGateway; backup: TestServer; client: Anthropic }> {
    backup = await startTestServer();
    backup.fallback = {
      headers: { 'content-type': 'text/event-stream' },
      body: fixtureText('anthropic-stream-text.sse'),
    };
    pair = await startEndpointGateway({
      router,
      providers: [
        {
          name: 'claude-backup',
          type: 'anthropic',
          baseURL: backup.origin,
          apiKey: 'sk-ant-backup',
          models: ['claude-sonnet-4-5'],
        },
      ],
    });
    const client = new Anthropic({ baseURL: pair.url, apiKey: GATEWAY_KEY, maxRetries: 0, timeout: 10_000 });
    return { pair, backup, client };
  }

  it(
    "a provider that sends message_start then stalls: the other provider's answer after firstTokenTimeoutMs",
    { timeout: 5_000 },
    async () => {
      const { pair, backup, client } = await startPair();
      pair.anthropicUpstream.enqueue({
        headers: { 'content-type': 'text/event-stream' },
        chunks: [messageStart('msg_stalled'), 'event: ping\ndata: {"type":"ping"}\n\n'],
        hangAfterChunks: true,
      });
      const stream = client.messages.stream(message);
      const starts: string[] = [];
      stream.on('streamEvent', (event) => {
        if (event.type === 'message_start') starts.push(event.message.id);
      });
      const answer = await stream.finalMessage();
      const { response } = await stream.withResponse();

      expect(answer.content).toEqual([{ type: 'text', text: 'Hello! How can I help, 世界 🌍?' }]);
      // The stalled provider's message_start was held back, never forwarded: one message, the backup's.
      expect(starts).toEqual(['msg_01XFDUDYJgAACzvnptvVoYEL']);
      expect(response.headers.get('x-switchboard-provider')).toBe('claude-backup');
      expect(response.headers.get('x-switchboard-attempts')).toBe('2');
      expect(backup.calls).toHaveLength(1);
      const stalled = pair.anthropicUpstream.calls[0]!;
      await stalled.closed;
      expect(stalled.abortedByClient).toBe(true);
    },
  );

  it('a provider whose stream ends after message_start without content: the other provider answers', async () => {
    const { pair, backup, client } = await startPair();
    pair.anthropicUpstream.enqueue({
      headers: { 'content-type': 'text/event-stream' },
      chunks: [messageStart('msg_empty'), 'event: message_stop\ndata: {"type":"message_stop"}\n\n'],
    });
    const { data, response } = await client.messages.stream(message).withResponse();
    expect(response.headers.get('x-switchboard-provider')).toBe('claude-backup');
    expect(response.headers.get('x-switchboard-attempts')).toBe('2');
    expect((await data.finalMessage()).id).toBe('msg_01XFDUDYJgAACzvnptvVoYEL');
    expect(pair.anthropicUpstream.calls).toHaveLength(1);
    expect(backup.calls).toHaveLength(1);
  });
});
