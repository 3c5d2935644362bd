import OpenAI, { APIError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeClock, startHarness, userRequest, type Harness } from './support/gateway-harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('gateway keys', () => {
  it('requires a listed key on /v1 (401 invalid_api_key) and leaves /health, /ready, /metrics open', async () => {
    harness = await startHarness({
      upstreams: [{ name: 'primary' }],
      server: { apiKeys: ['key-one', 'key-two'] },
      apiKey: 'key-two',
    });
    const completion = await harness.client.chat.completions.create(userRequest());
    expect(completion.choices[0]?.message.content).toBe('hello from primary');
    expect((await harness.client.models.list()).data.length).toBe(1);

    const wrong = new OpenAI({ baseURL: `${harness.url}/v1`, apiKey: 'key-three', maxRetries: 0 });
    const error = (await wrong.chat.completions.create(userRequest()).catch((caught: unknown) => caught)) as APIError;
    expect(error.status).toBe(401);
    expect(error.error).toMatchObject({ code: 'invalid_api_key', type: 'invalid_request_error' });
    expect(JSON.stringify(error.error)).not.toContain('key-one');

    const missing = await fetch(`${harness.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify(userRequest()),
    });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('x-request-id')).toBeTruthy();
    const notBearer = await fetch(`${harness.url}/v1/models`, { headers: { authorization: 'Basic key-one' } });
    expect(notBearer.status).toBe(401);

    for (const path of ['/health', '/ready', '/metrics'])
      expect((await fetch(`${harness.url}${path}`)).status).toBe(200);
    expect(harness.upstreams.primary!.calls).toHaveLength(1);

    // Refused chat completions are answered requests too: operators see them in the request count.
    const metrics = await (await fetch(`${harness.url}/metrics`)).text();
    expect(metrics).toContain('switchboard_requests_total{provider="none",model="",status="401",stream="false"} 2');
    expect(metrics).toContain(
      'switchboard_requests_total{provider="primary",model="gpt-4o-mini",status="200",stream="false"} 1',
    );
    expect(metrics).toContain('switchboard_requests_in_flight 0');
  });
});

describe('rate limit', () => {
  it('limits each key with a token bucket after auth: 429 with retry-after and x-ratelimit headers, refilled over time', async () => {
    const clock = fakeClock();
    harness = await startHarness({
      upstreams: [{ name: 'primary' }],
      server: { apiKeys: ['key-one', 'key-two'], rateLimit: { requestsPerMinute: 60, burst: 2 } },
      bootstrap: { clock: clock.now },
      apiKey: 'key-one',
    });
    const send = (key: string) =>
      fetch(`${harness!.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify(userRequest()),
      });
    const first = await send('key-one');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit')).toBe('60');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
    expect((await send('key-one')).status).toBe(200);
    const limited = await send('key-one');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('x-request-id')).toBeTruthy();
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limit_exceeded');

    expect((await send('key-two')).status).toBe(200);
    const unauthenticated = await send('not-a-key');
    expect(unauthenticated.status).toBe(401);

    clock.advance(1_000);
    expect((await send('key-one')).status).toBe(200);
    expect(harness.upstreams.primary!.calls).toHaveLength(4);
    const metrics = await (await fetch(`${harness.url}/metrics`)).text();
    expect(metrics).toContain('switchboard_requests_total{provider="none",model="",status="429",stream="false"} 1');
  });
});
