import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_KEY, startEndpointGateway, type EndpointGateway } from './support/endpoint-gateway.ts';
import { errorScript } from './support/openai-upstream.ts';

let gateway: EndpointGateway;
let client: OpenAI;

beforeAll(async () => {
  gateway = await startEndpointGateway({
    openai: {
      models: ['gpt-4o-mini', 'text-embedding-3-small', { name: 'embedder', upstream: 'text-embedding-3-small' }],
    },
    providers: [{ name: 'backup', type: 'mock', models: ['text-embedding-3-small'] }],
  });
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0, timeout: 10_000 });
});
afterAll(async () => {
  await gateway.close();
});

const upstreamEmbeddings = {
  object: 'list',
  data: [{ object: 'embedding', index: 0, embedding: [0.25, -0.5, 0.75] }],
  model: 'text-embedding-3-small',
  usage: { prompt_tokens: 4, total_tokens: 4 },
};

describe('POST /v1/embeddings', () => {
  it('passes the request to the openai provider as sent and counts its usage', async () => {
    gateway.openaiUpstream.enqueue({ kind: 'json', body: upstreamEmbeddings });
    const before = gateway.openaiUpstream.calls.length;
    const { data, response } = await client.embeddings
      .create({ model: 'text-embedding-3-small', input: 'The food was delicious', encoding_format: 'float' })
      .withResponse();
    expect(data.data[0]!.embedding).toEqual([0.25, -0.5, 0.75]);
    expect(response.headers.get('x-switchboard-provider')).toBe('openai');
    const call = gateway.openaiUpstream.calls[before]!;
    expect(call.url).toBe('/v1/embeddings');
    expect(call.body).toEqual({
      model: 'text-embedding-3-small',
      input: 'The food was delicious',
      encoding_format: 'float',
    });
    const metrics = await (await request(`${gateway.url}/metrics`)).body.text();
    expect(metrics).toMatch(
      /switchboard_tokens_total\{provider="openai",model="text-embedding-3-small",kind="prompt"\} 4/,
    );
    expect(metrics).toMatch(
      /switchboard_endpoint_requests_total\{endpoint="\/v1\/embeddings",provider="openai",status="200",stream="false"\} 1/,
    );
  });

  it('falls back to the next provider when the first fails', async () => {
    // The first try and its same-provider retry both fail, then the next provider serves.
    gateway.openaiUpstream.enqueue(errorScript(503, 'down for maintenance'));
    gateway.openaiUpstream.enqueue(errorScript(503, 'down for maintenance'));
    const { data, response } = await client.embeddings
      .create({ model: 'text-embedding-3-small', input: ['one', 'two'] })
      .withResponse();
    expect(response.headers.get('x-switchboard-provider')).toBe('backup');
    expect(response.headers.get('x-switchboard-attempts')).toBe('3');
    expect(data.data.map((entry) => entry.index)).toEqual([0, 1]);
    expect(data.data[0]!.embedding).toHaveLength(8);
    expect(data.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('answers 404 model_not_found for a model none of whose providers can embed', async () => {
    const error = await client.embeddings
      .create({ model: 'claude-sonnet-4-5', input: 'x' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
  });

  it('sends the upstream name of an alias', async () => {
    gateway.openaiUpstream.enqueue({ kind: 'json', body: upstreamEmbeddings });
    const before = gateway.openaiUpstream.calls.length;
    await client.embeddings.create({ model: 'embedder', input: 'Hi' });
    expect(gateway.openaiUpstream.calls[before]!.body.model).toBe('text-embedding-3-small');
  });
});
