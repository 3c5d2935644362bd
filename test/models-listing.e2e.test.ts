import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_KEY, startEndpointGateway, type EndpointGateway } from './support/endpoint-gateway.ts';

let gateway: EndpointGateway;
let client: OpenAI;

beforeAll(async () => {
  gateway = await startEndpointGateway({
    // The openai provider serves any model: /v1/models shows what its upstream lists.
    openai: { models: ['*', { name: 'fast', upstream: 'gpt-4o-mini' }] },
    providers: [{ name: 'local', type: 'mock', models: ['demo', { name: 'smart', upstream: 'demo' }] }],
  });
  gateway.openaiUpstream.setModels(['gpt-4o-mini', 'gpt-4o', 'o3-mini', 'x'.repeat(300)]);
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0, timeout: 10_000 });
});
afterAll(async () => {
  await gateway.close();
});

async function listedIds(): Promise<Map<string, string>> {
  const listed = new Map<string, string>();
  for await (const model of client.models.list()) listed.set(model.id, model.owned_by);
  return listed;
}

describe('GET /v1/models', () => {
  it("lists every public name, aliases included, and a wildcard provider's upstream models", async () => {
    const listed = await listedIds();
    expect([...listed.keys()]).toEqual([
      'claude-sonnet-4-5',
      'demo',
      'fast',
      'gpt-4o',
      'gpt-4o-mini',
      'o3-mini',
      'smart',
    ]);
    expect(listed.get('gpt-4o')).toBe('openai');
    expect(listed.get('smart')).toBe('local');
    // A listed model is one the gateway routes.
    const completion = await client.chat.completions.create({
      model: 'o3-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(completion.choices[0]!.message.content).toBe('hello from openai');
  });

  it('keeps the list a health check read, and refreshes it on the next check', async () => {
    const requestsBefore = gateway.openaiUpstream.modelListRequests;
    await listedIds();
    expect(gateway.openaiUpstream.modelListRequests).toBe(requestsBefore);

    gateway.openaiUpstream.setModels(['gpt-5']);
    await gateway.running.router.checkHealth();
    const listed = await listedIds();
    expect(listed.has('gpt-5')).toBe(true);
    expect(listed.has('o3-mini')).toBe(false);
    expect(listed.has('fast')).toBe(true);
  });

  it('retrieves one model, an upstream-listed one included', async () => {
    expect((await client.models.retrieve('gpt-5')).owned_by).toBe('openai');
    expect((await client.models.retrieve('smart')).owned_by).toBe('local');
    await expect(client.models.retrieve('nope')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});
