/**
 * Model aliases on the endpoints routed through `router.call` / `router.callStream`
 * (`/v1/embeddings`, `/v1/messages`, `/v1/messages/count_tokens`): the upstream receives the
 * deployment's upstream name, never the alias nor, after a model fallback, the model first asked for.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_KEY, startEndpointGateway, type EndpointGateway } from './support/endpoint-gateway.ts';
import { completionBody, errorScript, streamScript } from './support/openai-upstream.ts';

let gateway: EndpointGateway;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  gateway = await startEndpointGateway({
    router: { retry: { sameProvider: 0 }, fallbacks: { 'embed-primary': ['embed-backup'] } },
    openai: {
      models: [
        { name: 'embed', upstream: 'text-embedding-3-small' },
        { name: 'embed-primary', upstream: 'text-embedding-3-large' },
        { name: 'embed-backup', upstream: 'text-embedding-3-small' },
        { name: 'smart', upstream: 'gpt-4o' },
      ],
    },
    claude: { models: [{ name: 'sonnet', upstream: 'claude-sonnet-4-5' }] },
  });
  openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0, timeout: 10_000 });
  anthropic = new Anthropic({ baseURL: gateway.url, apiKey: GATEWAY_KEY, maxRetries: 0, timeout: 10_000 });
});
afterAll(async () => {
  await gateway.close();
});

const embeddingsBody = (model: string) => ({
  object: 'list',
  data: [{ object: 'embedding', index: 0, embedding: [0.5, -0.5] }],
  model,
  usage: { prompt_tokens: 2, total_tokens: 2 },
});

describe('aliases on the generic routed endpoints', () => {
  it('/v1/embeddings sends the upstream name of the alias', async () => {
    gateway.openaiUpstream.enqueue({ kind: 'json', body: embeddingsBody('text-embedding-3-small') });
    const before = gateway.openaiUpstream.calls.length;
    const { response } = await openai.embeddings.create({ model: 'embed', input: 'hello' }).withResponse();
    expect(response.headers.get('x-switchboard-model')).toBe('embed');
    const call = gateway.openaiUpstream.calls[before]!;
    expect(call.body).toMatchObject({ model: 'text-embedding-3-small', input: 'hello' });
    expect(call.rawBody).not.toContain('"embed"');
  });

  it("/v1/embeddings after a model fallback sends the fallback model's upstream name", async () => {
    gateway.openaiUpstream.enqueue(errorScript(503), { kind: 'json', body: embeddingsBody('text-embedding-3-small') });
    const before = gateway.openaiUpstream.calls.length;
    await openai.embeddings.create({ model: 'embed-primary', input: 'hello' });
    expect(gateway.openaiUpstream.calls.slice(before).map((call) => call.body.model)).toEqual([
      'text-embedding-3-large',
      'text-embedding-3-small',
    ]);
  });

  it('/v1/messages translated for an openai provider sends the upstream name, streamed or not', async () => {
    gateway.openaiUpstream.enqueue({ kind: 'json', body: completionBody('hi there', 'gpt-4o') });
    const before = gateway.openaiUpstream.calls.length;
    const message = await anthropic.messages.create({
      model: 'smart',
      max_tokens: 32,
      messages: [{ role: 'user', content: 'Hello' }],
    });
    expect(message.content[0]).toMatchObject({ type: 'text', text: 'hi there' });
    gateway.openaiUpstream.enqueue(streamScript(['hi ', 'again'], { model: 'gpt-4o' }));
    const stream = anthropic.messages.stream({
      model: 'smart',
      max_tokens: 32,
      messages: [{ role: 'user', content: 'Hello' }],
    });
    expect(await stream.finalText()).toBe('hi again');
    const calls = gateway.openaiUpstream.calls.slice(before);
    expect(calls.map((call) => call.body.model)).toEqual(['gpt-4o', 'gpt-4o']);
    for (const call of calls) expect(call.rawBody).not.toContain('"smart"');
  });

  it('/v1/messages and count_tokens passed through to an anthropic provider send the upstream name', async () => {
    const before = gateway.anthropicUpstream.calls.length;
    await anthropic.messages.create({ model: 'sonnet', max_tokens: 32, messages: [{ role: 'user', content: 'Hi' }] });
    await anthropic.messages.countTokens({ model: 'sonnet', messages: [{ role: 'user', content: 'Hi' }] });
    const calls = gateway.anthropicUpstream.calls.slice(before);
    expect(calls.map((call) => [call.url, call.json.model])).toEqual([
      ['/v1/messages', 'claude-sonnet-4-5'],
      ['/v1/messages/count_tokens', 'claude-sonnet-4-5'],
    ]);
  });
});
