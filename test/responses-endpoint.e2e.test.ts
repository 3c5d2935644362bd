import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureText } from '../providers/test-support/fixtures.ts';
import { translateFixtureJson, translateFixtureText } from '../src/translate/test-support/translate-fixtures.ts';
import { GATEWAY_KEY, startEndpointGateway, type EndpointGateway } from './support/endpoint-gateway.ts';
import { startHarness } from './support/gateway-harness.ts';
import { responsesScript } from './support/openai-upstream.ts';

let gateway: EndpointGateway;
let client: OpenAI;

beforeAll(async () => {
  gateway = await startEndpointGateway({
    openai: { models: ['gpt-4o-mini', { name: 'fast', upstream: 'gpt-4o-mini' }] },
    providers: [{ name: 'mock', type: 'mock', models: ['mock-model'] }],
  });
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0, timeout: 10_000 });
});
afterAll(async () => {
  await gateway.close();
});

const weatherTool = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Current weather of a city',
  parameters: {
    type: 'object',
    properties: { location: { type: 'string' } },
    required: ['location'],
    additionalProperties: false,
  },
  strict: true,
};

/** The text of the recorded OpenAI Responses answers and of the recorded Anthropic stream. */
const RECORDED_TEXT = 'Hello! How can I help, 世界 🌍?';
/** The text of the recorded Anthropic message. */
const CLAUDE_TEXT = 'Hi! My name is Claude.';

describe('POST /v1/responses in front of an openai provider (passed through)', () => {
  it('sends the body as the client sent it and returns the response unchanged (responses.create)', async () => {
    const before = gateway.openaiUpstream.calls.length;
    const params = { model: 'gpt-4o-mini', instructions: 'Be brief.', input: 'Who are you?', metadata: { a: 'b' } };
    const { data, response } = await client.responses.create(params).withResponse();
    expect(data.output_text).toBe(RECORDED_TEXT);
    expect({ ...data, output_text: undefined }).toEqual({
      ...translateFixtureJson('openai-responses-text.json'),
      output_text: undefined,
    });
    expect(response.headers.get('x-switchboard-provider')).toBe('openai');
    const call = gateway.openaiUpstream.calls[before]!;
    expect(call.url).toBe('/v1/responses');
    expect(call.body).toEqual(params);
    expect(call.headers.authorization).toBe('Bearer sk-openai-upstream');
    expect(call.headers['x-switchboard-via']).toMatch(/^sb-/);
  });

  it('rewrites the model of an alias and nothing else', async () => {
    const before = gateway.openaiUpstream.calls.length;
    await client.responses.create({ model: 'fast', input: 'Hi', temperature: 0.5 });
    expect(gateway.openaiUpstream.calls[before]!.body).toEqual({ model: 'gpt-4o-mini', input: 'Hi', temperature: 0.5 });
  });

  it('forwards the upstream stream byte for byte', async () => {
    const response = await request(`${gateway.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${GATEWAY_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', input: 'Hi', stream: true }),
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(await response.body.text()).toBe(translateFixtureText('openai-responses-stream-text.sse'));
  });

  it('streams through the openai client (responses.create stream and responses.stream)', async () => {
    const stream = await client.responses.create({ model: 'gpt-4o-mini', input: 'Hi', stream: true });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(text).toBe(RECORDED_TEXT);
    const final = await client.responses.stream({ model: 'gpt-4o-mini', input: 'Hi' }).finalResponse();
    expect(final.output_text).toBe(RECORDED_TEXT);
    expect(final.usage?.total_tokens).toBe(31);
  });

  it('does a function-call round trip, the second turn by previous_response_id on the same provider', async () => {
    gateway.openaiUpstream.enqueue(responsesScript(false, 'openai-responses-function-call.json'));
    const first = await client.responses.create({
      model: 'gpt-4o-mini',
      input: 'Weather in Paris?',
      tools: [weatherTool],
    });
    const call = first.output.find((item) => item.type === 'function_call')!;
    expect(call).toMatchObject({ name: 'get_weather', arguments: '{"location":"Paris"}' });
    const before = gateway.openaiUpstream.calls.length;
    const second = await client.responses.create({
      model: 'gpt-4o-mini',
      previous_response_id: first.id,
      tools: [weatherTool],
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '18 °C, cloudy' }],
    });
    expect(second.output_text).toBe(RECORDED_TEXT);
    const sent = gateway.openaiUpstream.calls[before]!.body;
    expect(sent.previous_response_id).toBe(first.id);
    expect(sent.input).toEqual([{ type: 'function_call_output', call_id: call.call_id, output: '18 °C, cloudy' }]);
  });
});

describe('POST /v1/responses in front of an anthropic provider (translated)', () => {
  it('answers responses.create with a response object built from the Messages answer', async () => {
    const before = gateway.anthropicUpstream.calls.length;
    const response = await client.responses.create({
      model: 'claude-sonnet-4-5',
      instructions: 'Be brief.',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'Who are you?' }] }],
      max_output_tokens: 100,
      temperature: 0.3,
    });
    expect(response.object).toBe('response');
    expect(response.id).toMatch(/^resp_/);
    expect(response.status).toBe('completed');
    expect(response.output_text).toBe(CLAUDE_TEXT);
    expect(response.instructions).toBe('Be brief.');
    expect(response.usage).toMatchObject({ input_tokens: 2095, output_tokens: 503, total_tokens: 2598 });
    const sent = gateway.anthropicUpstream.calls[before]!;
    expect(sent.url).toBe('/v1/messages');
    expect(sent.json).toMatchObject({
      model: 'claude-sonnet-4-5',
      system: 'Be brief.',
      max_tokens: 100,
      temperature: 0.3,
      messages: [{ role: 'user', content: 'Who are you?' }],
    });
  });

  it('streams Responses events from the Anthropic stream (responses.stream)', async () => {
    const stream = client.responses.stream({ model: 'claude-sonnet-4-5', input: 'Hi' });
    const types: string[] = [];
    stream.on('event', (event) => types.push(event.type));
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(RECORDED_TEXT);
    expect(final.status).toBe('completed');
    expect(final.usage).toMatchObject({ output_tokens: 15 });
    expect(types.slice(0, 5)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
    ]);
    expect(types.slice(-4)).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
  });

  it('does a function-call round trip, the second turn by previous_response_id (conversation kept by the gateway)', async () => {
    gateway.anthropicUpstream.enqueue({
      body: fixtureText('anthropic-message-tool-use.json'),
      headers: { 'content-type': 'application/json' },
    });
    const first = await client.responses.create({
      model: 'claude-sonnet-4-5',
      input: 'Weather in San Francisco?',
      tools: [weatherTool],
    });
    const call = first.output.find((item) => item.type === 'function_call')!;
    expect(call).toMatchObject({
      type: 'function_call',
      call_id: 'toolu_01A09q90qw90lq917835lq9',
      name: 'get_weather',
      arguments: '{"location":"San Francisco, CA","unit":"celsius"}',
    });
    const before = gateway.anthropicUpstream.calls.length;
    const second = await client.responses.create({
      model: 'claude-sonnet-4-5',
      previous_response_id: first.id,
      tools: [weatherTool],
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '15 °C, fog' }],
    });
    expect(second.output_text).toBe(CLAUDE_TEXT);
    expect(second.previous_response_id).toBe(first.id);
    const sent = gateway.anthropicUpstream.calls[before]!.json;
    expect(sent.messages).toEqual([
      { role: 'user', content: 'Weather in San Francisco?' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: "I'll check the current weather in San Francisco for you." },
          {
            type: 'tool_use',
            id: 'toolu_01A09q90qw90lq917835lq9',
            name: 'get_weather',
            input: { location: 'San Francisco, CA', unit: 'celsius' },
          },
        ],
      },
      {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: 'toolu_01A09q90qw90lq917835lq9', content: '15 °C, fog' }],
      },
    ]);
    expect(sent.tools[0]).toMatchObject({ name: 'get_weather' });
  });

  it('streams a tool call from the Anthropic stream as function_call events (responses.stream)', async () => {
    gateway.anthropicUpstream.enqueue({
      headers: { 'content-type': 'text/event-stream' },
      body: fixtureText('anthropic-stream-tool-use.sse'),
    });
    const stream = client.responses.stream({ model: 'claude-sonnet-4-5', input: 'Weather?', tools: [weatherTool] });
    let argumentsText = '';
    stream.on('response.function_call_arguments.delta', (event) => (argumentsText += event.delta));
    const final = await stream.finalResponse();
    const call = final.output.find((item) => item.type === 'function_call')!;
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', status: 'completed' });
    expect(call.call_id).toMatch(/^toolu_/);
    expect(JSON.parse(call.arguments)).toEqual(JSON.parse(argumentsText));
  });

  it('serves a mock provider through the same translation', async () => {
    const response = await client.responses.create({ model: 'mock-model', input: 'ping' });
    expect(response.output_text).toBe('Echo: ping');
    const streamed = await client.responses.stream({ model: 'mock-model', input: 'ping' }).finalResponse();
    expect(streamed.output_text).toBe('Echo: ping');
  });
});

describe('streams that fail after their first event', () => {
  /** The SSE events of a raw answer, parsed. */
  function sseEvents(text: string): Array<{ event: string; data: any }> {
    return text
      .split('\n\n')
      .filter((block) => block.trim().length > 0)
      .map((block) => {
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? '';
        const data = /^data: (.*)$/m.exec(block)?.[1] ?? 'null';
        return { event, data: JSON.parse(data) };
      });
  }

  it('end a passed-through stream with an error event the openai client throws on', async () => {
    const recorded = translateFixtureText('openai-responses-stream-text.sse').split('\n\n');
    gateway.openaiUpstream.enqueue({
      kind: 'stream',
      // The pause lets the events reach the gateway before the reset (a reset discards unread bytes).
      steps: [{ raw: `${recorded.slice(0, 5).join('\n\n')}\n\n` }, { delayMs: 50 }],
      done: false,
      then: 'reset',
    });
    const response = await request(`${gateway.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${GATEWAY_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', input: 'Hi', stream: true }),
    });
    const events = sseEvents(await response.body.text());
    expect(events.slice(0, 5).map((event) => event.event)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
    ]);
    const last = events.at(-1)!;
    expect(last.event).toBe('error');
    expect(last.data).toMatchObject({
      type: 'error',
      sequence_number: 5,
      message: expect.any(String),
      error: { message: expect.any(String), type: expect.any(String) },
    });

    gateway.openaiUpstream.enqueue({
      kind: 'stream',
      // The pause lets the events reach the gateway before the reset (a reset discards unread bytes).
      steps: [{ raw: `${recorded.slice(0, 5).join('\n\n')}\n\n` }, { delayMs: 50 }],
      done: false,
      then: 'reset',
    });
    const stream = await client.responses.create({ model: 'gpt-4o-mini', input: 'Hi', stream: true });
    const failure = await (async () => {
      for await (const _event of stream);
    })().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
  });

  it('end a translated stream the same way', async () => {
    const recorded = fixtureText('anthropic-stream-text.sse').split('\n\n');
    gateway.anthropicUpstream.enqueue({
      headers: { 'content-type': 'text/event-stream' },
      // Up to the first text delta, then the body ends without message_stop.
      body: `${recorded.slice(0, 4).join('\n\n')}\n\n`,
    });
    const response = await request(`${gateway.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${GATEWAY_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', input: 'Hi', stream: true }),
    });
    const events = sseEvents(await response.body.text());
    expect(events[0]!.event).toBe('response.created');
    expect(events.at(-1)).toMatchObject({
      event: 'error',
      data: { type: 'error', error: { type: expect.any(String) } },
    });
    expect(events.some((event) => event.event === 'response.completed')).toBe(false);
  });
});

describe('streams that announce a response and then stall', () => {
  it('are left at the first-token window and answered by the fallback (response.created is not the commit point)', async () => {
    const harness = await startHarness({
      upstreams: [{ name: 'primary' }, { name: 'secondary' }],
      router: { requestTimeoutMs: 400 },
    });
    try {
      const announced = translateFixtureText('openai-responses-stream-text.sse').split('\n\n').slice(0, 2);
      harness.upstreams.primary!.enqueue({
        kind: 'stream',
        steps: [{ raw: `${announced.join('\n\n')}\n\n` }],
        done: false,
        then: 'hang',
      });
      const { data: stream, response } = await harness.client.responses
        .create({ model: 'gpt-4o-mini', input: 'Hi', stream: true })
        .withResponse();
      let text = '';
      let created = 0;
      for await (const event of stream) {
        if (event.type === 'response.created') created += 1;
        if (event.type === 'response.output_text.delta') text += event.delta;
      }
      expect(text).toBe(RECORDED_TEXT);
      expect(created).toBe(1);
      expect(response.headers.get('x-switchboard-provider')).toBe('secondary');
      const call = harness.upstreams.primary!.calls[0]!;
      await call.socketClosed;
      expect(call.closedEarly).toBe(true);
    } finally {
      await harness.close();
    }
  });
});

describe('previous_response_id', () => {
  it('is not kept for a response created with store: false', async () => {
    const first = await client.responses.create({ model: 'claude-sonnet-4-5', input: 'Hi', store: false });
    const error = await client.responses
      .create({ model: 'claude-sonnet-4-5', input: 'Again', previous_response_id: first.id })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 400, code: 'previous_response_not_found' });
  });

  it('goes to the provider that created the response even when another serves the model first', async () => {
    const pinned = await startEndpointGateway({
      openai: { models: ['gpt-4o-mini', 'shared'] },
      claude: { models: ['claude-sonnet-4-5', 'shared'] },
    });
    try {
      const pinnedClient = new OpenAI({ baseURL: `${pinned.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0 });
      // claude is listed first (availability strategy): take it out so openai creates the first response.
      pinned.running.router.setEnabled('claude', false);
      const { data: first, response } = await pinnedClient.responses
        .create({ model: 'shared', input: 'Hi' })
        .withResponse();
      expect(response.headers.get('x-switchboard-provider')).toBe('openai');
      pinned.running.router.setEnabled('claude', true);
      const fresh = await pinnedClient.responses.create({ model: 'shared', input: 'Hi' }).withResponse();
      expect(fresh.response.headers.get('x-switchboard-provider')).toBe('claude');
      const before = pinned.openaiUpstream.calls.length;
      const again = await pinnedClient.responses
        .create({ model: 'shared', input: 'More', previous_response_id: first.id })
        .withResponse();
      expect(again.response.headers.get('x-switchboard-provider')).toBe('openai');
      expect(pinned.openaiUpstream.calls[before]!.body.previous_response_id).toBe(first.id);
    } finally {
      await pinned.close();
    }
  });

  it('is refused with 400 previous_response_not_found when the gateway does not know it', async () => {
    const error = await client.responses
      .create({ model: 'gpt-4o-mini', input: 'Hi', previous_response_id: 'resp_unknown' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).error).toEqual({
      message: "Previous response with id 'resp_unknown' not found.",
      type: 'invalid_request_error',
      param: 'previous_response_id',
      code: 'previous_response_not_found',
    });
  });
});

describe('metrics of /v1/responses', () => {
  it('count requests under the endpoint label and the tokens of translated and streamed answers', async () => {
    const counted = await startEndpointGateway();
    try {
      const countedClient = new OpenAI({ baseURL: `${counted.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0 });
      await countedClient.responses.create({ model: 'claude-sonnet-4-5', input: 'Hi' });
      await countedClient.responses.stream({ model: 'gpt-4o-mini', input: 'Hi' }).finalResponse();
      const metrics = await (await request(`${counted.url}/metrics`)).body.text();
      expect(metrics).toMatch(
        /switchboard_endpoint_requests_total\{endpoint="\/v1\/responses",provider="claude",status="200",stream="false"\} 1/,
      );
      expect(metrics).toMatch(
        /switchboard_endpoint_requests_total\{endpoint="\/v1\/responses",provider="openai",status="200",stream="true"\} 1/,
      );
      expect(metrics).toMatch(
        /switchboard_tokens_total\{provider="claude",model="claude-sonnet-4-5",kind="prompt"\} 2095/,
      );
      expect(metrics).toMatch(/switchboard_tokens_total\{provider="openai",model="gpt-4o-mini",kind="completion"\} 12/);
    } finally {
      await counted.close();
    }
  });
});

describe('the Vercel AI SDK default openai provider (Responses API) through the gateway', () => {
  const openai = () => createOpenAI({ baseURL: `${gateway.url}/v1`, apiKey: GATEWAY_KEY });

  it('generateText and streamText against an openai provider', async () => {
    const result = await generateText({ model: openai()('gpt-4o-mini'), prompt: 'Hi' });
    expect(result.text).toBe(RECORDED_TEXT);
    expect(result.usage.inputTokens).toBe(19);
    const last = gateway.openaiUpstream.calls.at(-1)!;
    expect(last.url).toBe('/v1/responses');
    const streamed = streamText({ model: openai()('gpt-4o-mini'), prompt: 'Hi' });
    expect(await streamed.text).toBe(RECORDED_TEXT);
  });

  it('generateText with a tool loop and streamText against an anthropic provider', async () => {
    gateway.anthropicUpstream.enqueue({
      body: fixtureText('anthropic-message-tool-use.json'),
      headers: { 'content-type': 'application/json' },
    });
    const executed: unknown[] = [];
    const result = await generateText({
      model: openai()('claude-sonnet-4-5'),
      prompt: 'Weather in San Francisco?',
      tools: {
        get_weather: tool({
          description: 'Current weather of a city',
          inputSchema: jsonSchema<{ location: string; unit?: string }>({
            type: 'object',
            properties: { location: { type: 'string' }, unit: { type: 'string' } },
            required: ['location'],
          }),
          execute: async (input) => {
            executed.push(input);
            return '15 °C, fog';
          },
        }),
      },
      stopWhen: ({ steps }) => steps.length >= 2,
    });
    expect(executed).toEqual([{ location: 'San Francisco, CA', unit: 'celsius' }]);
    expect(result.text).toBe(CLAUDE_TEXT);
    const sent = gateway.anthropicUpstream.calls.at(-1)!.json;
    // The SDK sends the first answer's message as an item_reference (store defaults to true): the gateway resolved it.
    expect(sent.messages).toEqual([
      { role: 'user', content: 'Weather in San Francisco?' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: "I'll check the current weather in San Francisco for you." },
          expect.objectContaining({ type: 'tool_use', id: 'toolu_01A09q90qw90lq917835lq9' }),
        ],
      },
      {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: 'toolu_01A09q90qw90lq917835lq9', content: '15 °C, fog' }],
      },
    ]);
    const streamed = streamText({ model: openai()('claude-sonnet-4-5'), prompt: 'Hi' });
    expect(await streamed.text).toBe(RECORDED_TEXT);
  });
});
