import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_KEY, startEndpointGateway, type EndpointGateway } from './support/endpoint-gateway.ts';

let gateway: EndpointGateway;
let client: OpenAI;

beforeAll(async () => {
  gateway = await startEndpointGateway();
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0, timeout: 10_000 });
});
afterAll(async () => {
  await gateway.close();
});

const model = 'claude-sonnet-4-5';
const messages = [{ role: 'user' as const, content: 'What is the weather in Paris?' }];
const weatherFormat = {
  type: 'json_schema' as const,
  json_schema: {
    name: 'weather',
    strict: true,
    schema: {
      type: 'object',
      properties: { city: { type: 'string' }, celsius: { type: 'number' } },
      required: ['city', 'celsius'],
      additionalProperties: false,
    },
  },
};

/** An Anthropic message whose answer is the structured-output tool's input, as Claude sends it. */
function toolAnswer(input: unknown) {
  return {
    id: 'msg_01Structured',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content: [
      { type: 'text', text: 'Here is the answer.' },
      { type: 'tool_use', id: 'toolu_01A', name: 'structured_output', input },
    ],
    stop_reason: 'tool_use',
    stop_sequence: null,
    usage: { input_tokens: 40, output_tokens: 12 },
  };
}

/** The same answer as Anthropic stream events. */
function toolAnswerEvents(jsonPieces: string[]): string {
  const events: unknown[] = [
    {
      type: 'message_start',
      message: {
        id: 'msg_01S',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5-20250929',
        content: [],
        stop_reason: null,
        usage: { input_tokens: 40, output_tokens: 1 },
      },
    },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Sure.' } },
    { type: 'content_block_stop', index: 0 },
    {
      type: 'content_block_start',
      index: 1,
      content_block: { type: 'tool_use', id: 'toolu_01B', name: 'structured_output', input: {} },
    },
    ...jsonPieces.map((piece) => ({
      type: 'content_block_delta',
      index: 1,
      delta: { type: 'input_json_delta', partial_json: piece },
    })),
    { type: 'content_block_stop', index: 1 },
    { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 15 } },
    { type: 'message_stop' },
  ];
  return events
    .map((event) => `event: ${(event as { type: string }).type}\ndata: ${JSON.stringify(event)}\n\n`)
    .join('');
}

describe('OpenAI features on an anthropic provider, through the openai client', () => {
  it('honours response_format json_schema with a schema-forced tool, so .parse() works', async () => {
    gateway.anthropicUpstream.enqueue({ body: toolAnswer({ city: 'Paris', celsius: 21 }) });
    const completion = await client.chat.completions.parse({ model, messages, response_format: weatherFormat });
    const message = completion.choices[0]!.message;
    expect(message.parsed).toEqual({ city: 'Paris', celsius: 21 });
    expect(message.tool_calls ?? []).toEqual([]);
    expect(completion.choices[0]!.finish_reason).toBe('stop');

    const sent = gateway.anthropicUpstream.calls.at(-1)!.json;
    expect(sent.tools).toEqual([
      {
        name: 'structured_output',
        description: expect.any(String),
        input_schema: weatherFormat.json_schema.schema,
      },
    ]);
    expect(sent.tool_choice).toEqual({ type: 'tool', name: 'structured_output' });
    expect(sent.response_format).toBeUndefined();
  });

  it('streams a structured answer as content', async () => {
    gateway.anthropicUpstream.enqueue({
      headers: { 'content-type': 'text/event-stream' },
      body: toolAnswerEvents(['{"city": "Par', 'is", "cel', 'sius": 19}']),
    });
    const stream = client.chat.completions.stream({ model, messages, response_format: weatherFormat });
    const final = await stream.finalChatCompletion();
    // The stream helper auto-parses only formats made by its own helpers (zodResponseFormat…): the content is the JSON.
    expect(JSON.parse(final.choices[0]!.message.content!)).toEqual({ city: 'Paris', celsius: 19 });
    expect(final.choices[0]!.finish_reason).toBe('stop');
  });

  it('honours n > 1 with parallel calls merged into choices, usage summed', async () => {
    const before = gateway.anthropicUpstream.calls.length;
    const completion = await client.chat.completions.create({ model, messages, n: 3 });
    expect(completion.choices.map((choice) => choice.index)).toEqual([0, 1, 2]);
    for (const choice of completion.choices) expect(choice.message.content).toBe('Hi! My name is Claude.');
    expect(gateway.anthropicUpstream.calls.length - before).toBe(3);
    expect(completion.usage).toEqual({ prompt_tokens: 3 * 2095, completion_tokens: 3 * 503, total_tokens: 3 * 2598 });
  });

  it('ends the other calls of n > 1 when one fails', async () => {
    const before = gateway.anthropicUpstream.calls.length;
    gateway.anthropicUpstream.enqueue(
      { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'bad image' } } },
      { hang: true },
    );
    const error = (await client.chat.completions
      .create({ model, messages, n: 2 })
      .catch((caught: unknown) => caught)) as InstanceType<typeof OpenAI.BadRequestError>;
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(gateway.anthropicUpstream.calls.length - before).toBe(2);
    // The hanging sibling's request was cancelled, not left to its timeout.
    await Promise.all(gateway.anthropicUpstream.calls.slice(before).map((call) => call.closed));
    expect(gateway.anthropicUpstream.calls.slice(before).some((call) => call.abortedByClient)).toBe(true);
  });

  it('bounds n, and refuses n > 1 on a stream, naming the parameter', async () => {
    const before = gateway.anthropicUpstream.calls.length;
    for (const request of [
      client.chat.completions.create({ model, messages, n: 9 }),
      client.chat.completions.create({ model, messages, n: 2, stream: true }),
    ]) {
      const error = (await request.catch((caught: unknown) => caught)) as InstanceType<typeof OpenAI.BadRequestError>;
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect(error.code).toBe('unsupported_parameter');
      expect(error.param).toBe('n');
    }
    expect(gateway.anthropicUpstream.calls.length).toBe(before);
  });

  it('maps reasoning_effort to extended thinking with its budget on top of max_tokens', async () => {
    gateway.anthropicUpstream.enqueue({
      body: {
        id: 'msg_01Think',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5-20250929',
        content: [
          { type: 'thinking', thinking: 'Paris is in France…', signature: 'sig' },
          { type: 'text', text: 'Mild, about 20 °C.' },
        ],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 30, output_tokens: 400 },
      },
    });
    const completion = await client.chat.completions.create({
      model,
      messages,
      reasoning_effort: 'medium',
      max_completion_tokens: 1000,
      temperature: 0.2,
    });
    expect(completion.choices[0]!.message.content).toBe('Mild, about 20 °C.');
    const sent = gateway.anthropicUpstream.calls.at(-1)!.json;
    expect(sent.thinking).toEqual({ type: 'enabled', budget_tokens: 8192 });
    expect(sent.max_tokens).toBe(9192);
    expect(sent.temperature).toBeUndefined();
  });

  it('refuses reasoning_effort with a forced tool (extended thinking cannot take one)', async () => {
    const error = (await client.chat.completions
      .create({ model, messages, reasoning_effort: 'high', response_format: { type: 'json_object' } })
      .catch((caught: unknown) => caught)) as InstanceType<typeof OpenAI.BadRequestError>;
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.param).toBe('reasoning_effort');
  });
});
