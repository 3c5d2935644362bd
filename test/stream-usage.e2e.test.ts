import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_KEY, startEndpointGateway, type EndpointGateway } from './support/endpoint-gateway.ts';
import { chunkBody, type StreamStep, type UpstreamCall, type UpstreamScript } from './support/openai-upstream.ts';

let gateway: EndpointGateway;
let client: OpenAI;

/** Answers like OpenAI: a usage-only chunk at the end only when the request asked for it. */
function openAIStream(call: UpstreamCall): UpstreamScript {
  const steps: StreamStep[] = [
    { chunk: chunkBody('Hello') },
    { chunk: chunkBody(' there') },
    { chunk: chunkBody(null) },
  ];
  if (call.body?.stream_options?.include_usage === true)
    steps.push({
      chunk: { ...chunkBody(null), choices: [], usage: { prompt_tokens: 11, completion_tokens: 2, total_tokens: 13 } },
    });
  return { kind: 'stream', steps };
}

beforeAll(async () => {
  gateway = await startEndpointGateway();
  gateway.openaiUpstream.setDefault(openAIStream);
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0, timeout: 10_000 });
});
afterAll(async () => {
  await gateway.close();
});

/** The value of one `switchboard_tokens_total` series (0 when absent). */
async function tokens(provider: string, model: string, kind: 'prompt' | 'completion'): Promise<number> {
  const text = await (await request(`${gateway.url}/metrics`)).body.text();
  const line = text
    .split('\n')
    .find((candidate) =>
      candidate.startsWith(`switchboard_tokens_total{provider="${provider}",model="${model}",kind="${kind}"} `),
    );
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('usage of streams that did not ask for it', () => {
  it('is requested from an openai upstream and counted, and the client sees no usage chunk', async () => {
    const before = await tokens('openai', 'gpt-4o-mini', 'prompt');
    const calls = gateway.openaiUpstream.calls.length;
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('Hello there');
    expect(chunks.every((chunk) => chunk.usage === undefined || chunk.usage === null)).toBe(true);
    expect(chunks.every((chunk) => chunk.choices.length > 0)).toBe(true);

    const call = gateway.openaiUpstream.calls[calls]!;
    expect(call.body.stream_options).toEqual({ include_usage: true });
    expect(await tokens('openai', 'gpt-4o-mini', 'prompt')).toBe(before + 11);
    expect(await tokens('openai', 'gpt-4o-mini', 'completion')).toBeGreaterThanOrEqual(2);
  });

  it('keeps the client bytes and its other stream options, adding only include_usage', async () => {
    const calls = gateway.openaiUpstream.calls.length;
    const body =
      '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"caf\\u00e9"}],"temperature":1.0,"stream":true,"stream_options":{"include_obfuscation":false}}';
    const response = await request(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${GATEWAY_KEY}`, 'content-type': 'application/json' },
      body,
    });
    const text = await response.body.text();
    expect(text).not.toContain('"usage"');
    expect(gateway.openaiUpstream.calls[calls]!.rawBody).toBe(
      body.replace('{"include_obfuscation":false}', '{"include_obfuscation":false,"include_usage":true}'),
    );
  });

  it('shows the usage chunk to a client that asked for it', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 11, completion_tokens: 2, total_tokens: 13 });
    expect(chunks.at(-1)!.choices).toEqual([]);
  });

  it('counts the usage of an anthropic stream too, with no usage chunk shown', async () => {
    const before = await tokens('claude', 'claude-sonnet-4-5', 'completion');
    const stream = await client.chat.completions.create({
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.every((chunk) => chunk.usage === undefined || chunk.usage === null)).toBe(true);
    expect(await tokens('claude', 'claude-sonnet-4-5', 'completion')).toBeGreaterThan(before);
  });
});
