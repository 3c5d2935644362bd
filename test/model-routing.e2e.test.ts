import { APIError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, userRequest, type Harness } from './support/gateway-harness.ts';
import {
  completionBody,
  errorScript,
  streamScript,
  type UpstreamCall,
  type UpstreamScript,
} from './support/openai-upstream.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** An upstream answer per upstream model name: `answers[model]`, else a completion naming that model. */
function byModel(answers: Record<string, UpstreamScript>) {
  return (call: UpstreamCall): UpstreamScript => {
    const model = String(call.body?.model);
    return answers[model] ?? { kind: 'json', body: completionBody(`hello from ${model}`, model) };
  };
}

describe('model aliases through the gateway (openai client, scripted upstreams)', () => {
  it('sends the upstream name, never the alias, and lists aliases in /v1/models', async () => {
    harness = await startHarness({
      upstreams: [{ name: 'primary', models: ['gpt-4o-mini', { name: 'smart', upstream: 'gpt-4o' }] }],
    });
    const upstream = harness.upstreams.primary!;
    upstream.setDefault(byModel({}));
    const { data, response } = await harness.client.chat.completions.create(userRequest('smart')).withResponse();
    expect(data.model).toBe('gpt-4o');
    expect(response.headers.get('x-switchboard-model')).toBe('smart');
    expect(response.headers.get('x-switchboard-provider')).toBe('primary');
    expect(response.headers.get('x-switchboard-fallback-reason')).toBeNull();
    expect(upstream.calls[0]!.body.model).toBe('gpt-4o');
    expect(upstream.calls[0]!.rawBody).not.toContain('smart');

    const ids = (await harness.client.models.list()).data.map((model) => model.id);
    expect(ids).toEqual(['gpt-4o-mini', 'smart']);
    expect((await harness.client.models.retrieve('smart')).owned_by).toBe('primary');
  });

  it('streams an alias with the upstream name sent and the alias in the headers', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary', models: [{ name: 'smart', upstream: 'gpt-4o' }] }] });
    const upstream = harness.upstreams.primary!;
    upstream.enqueue(streamScript(['hello ', 'from ', 'primary'], { model: 'gpt-4o' }));
    const { data: stream, response } = await harness.client.chat.completions
      .create({ ...userRequest('smart'), stream: true })
      .withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('hello from primary');
    expect(response.headers.get('x-switchboard-model')).toBe('smart');
    expect(upstream.calls[0]!.body).toMatchObject({ model: 'gpt-4o', stream: true });
  });
});

describe('health per deployment through the gateway', () => {
  it('model A answering 429 retry-after 30 leaves model B at the same provider served at once', async () => {
    harness = await startHarness({
      upstreams: [{ name: 'primary', models: ['model-a', 'model-b'] }],
      router: { retry: { maxRetryAfterMs: 3_000 } },
    });
    const upstream = harness.upstreams.primary!;
    upstream.setDefault(byModel({ 'model-a': errorScript(429, 'model-a is rate limited', { 'retry-after': '30' }) }));
    const limited = (await harness.client.chat.completions
      .create(userRequest('model-a'))
      .catch((caught: unknown) => caught)) as APIError;
    expect(limited).toBeInstanceOf(APIError);
    expect(limited.status).toBe(429);
    expect(limited.headers?.get('retry-after')).toBe('30');

    const { data: served, response } = await harness.client.chat.completions
      .create(userRequest('model-b'))
      .withResponse();
    expect(served.choices[0]?.message.content).toBe('hello from model-b');
    expect(response.headers.get('x-switchboard-attempts')).toBe('1');

    const stillLimited = (await harness.client.chat.completions
      .create(userRequest('model-a'))
      .catch((caught: unknown) => caught)) as APIError;
    expect(stillLimited.status).toBe(429);
    expect(upstream.calls.filter((call) => call.body.model === 'model-a')).toHaveLength(1);
    expect(harness.running.router.circuitState('primary')).toBe('closed');
  });

  it('model A failing until its circuit opens leaves model B at the same provider serving', async () => {
    harness = await startHarness({
      upstreams: [{ name: 'primary', models: ['model-a', 'model-b'] }],
      router: { retry: { sameProvider: 0 }, circuitBreaker: { consecutiveFailureLimit: 2 } },
    });
    harness.upstreams.primary!.setDefault(byModel({ 'model-a': errorScript(503) }));
    for (let index = 0; index < 2; index += 1)
      await harness.client.chat.completions.create(userRequest('model-a')).catch(() => undefined);
    expect(harness.running.router.circuitState('primary', 'model-a')).toBe('open');
    const refused = (await harness.client.chat.completions
      .create(userRequest('model-a'))
      .catch((caught: unknown) => caught)) as APIError;
    expect(refused.status).toBe(503);
    const served = await harness.client.chat.completions.create(userRequest('model-b'));
    expect(served.choices[0]?.message.content).toBe('hello from model-b');
    expect((await fetch(`${harness.url}/ready`)).status).toBe(200);
  });
});

describe('fallback models through the gateway', () => {
  it("answers with the fallback model's body (its model and usage) and says so in the headers", async () => {
    harness = await startHarness({
      upstreams: [{ name: 'primary', models: ['gpt-4o-mini', { name: 'smart', upstream: 'gpt-4o' }] }],
      router: { fallbacks: { smart: ['gpt-4o-mini'] }, retry: { backoffMs: 10 } },
    });
    const upstream = harness.upstreams.primary!;
    const fallbackBody = {
      ...completionBody('from the fallback', 'gpt-4o-mini-2024-07-18'),
      usage: { prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 },
    };
    upstream.setDefault(byModel({ 'gpt-4o': errorScript(503), 'gpt-4o-mini': { kind: 'json', body: fallbackBody } }));
    const { data, response } = await harness.client.chat.completions.create(userRequest('smart')).withResponse();
    expect(data.model).toBe('gpt-4o-mini-2024-07-18');
    expect(data.usage).toEqual({ prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 });
    expect(data.choices[0]?.message.content).toBe('from the fallback');
    expect(response.headers.get('x-switchboard-model')).toBe('gpt-4o-mini');
    expect(response.headers.get('x-switchboard-provider')).toBe('primary');
    expect(response.headers.get('x-switchboard-attempts')).toBe('3');
    expect(response.headers.get('x-switchboard-fallback-reason')).toBe('server_error');
    expect(upstream.calls.map((call) => call.body.model)).toEqual(['gpt-4o', 'gpt-4o', 'gpt-4o-mini']);

    const metrics = await (await fetch(`${harness.url}/metrics`)).text();
    expect(metrics).toContain('switchboard_tokens_total{provider="primary",model="gpt-4o-mini",kind="completion"} 5');
    expect(metrics).not.toContain('switchboard_tokens_total{provider="primary",model="smart"');
    expect(metrics).toContain(
      'switchboard_fallbacks_total{provider="primary",model="gpt-4o-mini",reason="server_error"} 1',
    );
    expect(metrics).toContain('switchboard_retries_total{provider="primary",model="smart"} 1');
  });

  it('a same-provider retry that succeeds is no fallback', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }], router: { retry: { backoffMs: 10 } } });
    harness.upstreams.primary!.enqueue(errorScript(500));
    const { data, response } = await harness.client.chat.completions.create(userRequest()).withResponse();
    expect(data.choices[0]?.message.content).toBe('hello from primary');
    expect(response.headers.get('x-switchboard-attempts')).toBe('2');
    expect(response.headers.get('x-switchboard-fallback-reason')).toBeNull();
  });
});
