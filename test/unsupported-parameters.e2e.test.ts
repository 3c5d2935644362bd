import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_KEY, startEndpointGateway, type EndpointGateway } from './support/endpoint-gateway.ts';

const messages = [{ role: 'user' as const, content: 'Hello' }];

describe('parameters a provider cannot honour', () => {
  let gateway: EndpointGateway;
  let client: OpenAI;

  beforeAll(async () => {
    gateway = await startEndpointGateway({
      // `smart` is served by claude first (availability strategy), then by openai.
      claude: { models: ['claude-sonnet-4-5', { name: 'smart', upstream: 'claude-sonnet-4-5' }] },
      openai: { models: ['gpt-4o-mini', { name: 'smart', upstream: 'gpt-4o-mini' }] },
    });
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0, timeout: 10_000 });
  });
  afterAll(async () => {
    await gateway.close();
  });

  it('answers 400 unsupported_parameter naming it, sends nothing upstream and blames no provider', async () => {
    const before = gateway.anthropicUpstream.calls.length;
    for (const params of [{ logprobs: true }, { presence_penalty: 0.5 }, { logit_bias: { '50256': -100 } }]) {
      const error = await client.chat.completions
        .create({ model: 'claude-sonnet-4-5', messages, ...params })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      const badRequest = error as InstanceType<typeof OpenAI.BadRequestError>;
      expect(badRequest.code).toBe('unsupported_parameter');
      expect(badRequest.param).toBe(Object.keys(params)[0]);
      expect(badRequest.message).toContain(Object.keys(params)[0]);
    }
    // Streams too, before any byte is sent.
    const streamed = await client.chat.completions
      .create({ model: 'claude-sonnet-4-5', messages, stream: true, top_logprobs: 2, logprobs: true })
      .catch((caught: unknown) => caught);
    expect((streamed as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('unsupported_parameter');
    expect(gateway.anthropicUpstream.calls.length).toBe(before);
    const health = gateway.running.router.healthStatus().claude!;
    expect(health.consecutiveFailures).toBe(0);
    expect(health.circuitState).toBe('closed');
  });

  it('lets a no-op value pass (logprobs: false, a zero penalty)', async () => {
    const completion = await client.chat.completions.create({
      model: 'claude-sonnet-4-5',
      messages,
      logprobs: false,
      frequency_penalty: 0,
    });
    expect(completion.choices[0]!.message.content).toBeTruthy();
  });

  it('is served by another provider of the model that supports the parameter', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'smart', messages, logprobs: true })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe('hello from openai');
    expect(response.headers.get('x-switchboard-provider')).toBe('openai');
    expect(response.headers.get('x-switchboard-fallback-reason')).toBe('unsupported_parameter');
    expect(gateway.openaiUpstream.calls.at(-1)!.body.logprobs).toBe(true);
    // Without the parameter, claude serves it first.
    const plain = await client.chat.completions.create({ model: 'smart', messages }).withResponse();
    expect(plain.response.headers.get('x-switchboard-provider')).toBe('claude');
  });
});

describe('dropUnsupportedParams: true', () => {
  let gateway: EndpointGateway;
  let client: OpenAI;

  beforeAll(async () => {
    gateway = await startEndpointGateway({ claude: { dropUnsupportedParams: true } });
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0, timeout: 10_000 });
  });
  afterAll(async () => {
    await gateway.close();
  });

  it('drops them and lists them in x-switchboard-dropped-params', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'claude-sonnet-4-5', messages, logprobs: true, presence_penalty: 0.2, temperature: 0.5 })
      .withResponse();
    expect(data.choices[0]!.message.content).toBeTruthy();
    expect(response.headers.get('x-switchboard-dropped-params')).toBe('logprobs,presence_penalty');
    const sent = gateway.anthropicUpstream.calls.at(-1)!.json;
    expect(sent.temperature).toBe(0.5);
    expect(JSON.stringify(sent)).not.toMatch(/logprobs|presence_penalty/);
  });

  it('sends no such header when nothing was dropped', async () => {
    const { response } = await client.chat.completions.create({ model: 'claude-sonnet-4-5', messages }).withResponse();
    expect(response.headers.get('x-switchboard-dropped-params')).toBeNull();
  });
});
