/**
 * Issue 11's fault table, HTTP status rows: 429 with and without `retry-after`, 500 once, 503
 * always, and a 503 primary whose fallback answers (body and usage are the fallback's). The
 * official `openai` client against the real gateway and scripted upstreams on 127.0.0.1; the
 * router's waits run on a virtual clock (see `virtualTime`).
 */
import { APIError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { Harness } from '../support/gateway-harness.ts';
import { userRequest } from '../support/gateway-harness.ts';
import { errorScript } from '../support/openai-upstream.ts';
import {
  answerPieces,
  modelsOf,
  startFailoverGateway,
  USAGE,
  virtualTime,
  type VirtualTime,
} from '../support/failover-gateway.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** Records the virtual time of every call the upstream receives. */
function callTimes(harness: Harness, upstream: string, time: VirtualTime): number[] {
  const times: number[] = [];
  const calls = harness.upstreams[upstream]!.calls;
  const push = calls.push.bind(calls);
  calls.push = (...items) => {
    for (let index = 0; index < items.length; index += 1) times.push(time.now());
    return push(...items);
  };
  return times;
}

async function metrics(harness: Harness): Promise<string> {
  return (await fetch(`${harness.url}/metrics`)).text();
}

describe('fault table: HTTP statuses', () => {
  it('429 with retry-after: 2 on the only provider, then OK: the answer, the retry ≥ 1.8 s after the first try, no tight loop', async () => {
    const time = virtualTime();
    harness = await startFailoverGateway({ time, router: { fallbacks: {} } });
    const times = callTimes(harness, 'primary', time);
    harness.upstreams.primary!.enqueue(errorScript(429, 'slow down', { 'retry-after': '2' }));

    const { data, response } = await harness.client.chat.completions.create(userRequest('smart')).withResponse();

    expect(data.choices[0]?.message.content).toBe(answerPieces('gpt-4o').join(''));
    expect(harness.upstreams.primary!.calls).toHaveLength(2);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(1_800);
    expect(time.waits).toEqual([2_000]);
    expect(response.headers.get('x-switchboard-attempts')).toBe('2');
    expect(response.headers.get('x-switchboard-fallback-reason')).toBeNull();
  });

  it('429 always without retry-after: ≤ 4 tries in 3 s on that model, every request answered by the fallback model', async () => {
    const time = virtualTime();
    harness = await startFailoverGateway({ time });
    const times = callTimes(harness, 'primary', time);
    harness.upstreams.primary!.setDefault(errorScript(429, 'rate limited'));

    // A request every 100 ms for 3 s.
    const start = time.now();
    while (time.now() - start < 3_000) {
      const { data, response } = await harness.client.chat.completions.create(userRequest('smart')).withResponse();
      expect(data.choices[0]?.message.content).toBe(answerPieces('gpt-4o-mini').join(''));
      expect(response.headers.get('x-switchboard-model')).toBe('gpt-4o-mini');
      expect(response.headers.get('x-switchboard-fallback-reason')).toMatch(/^(rate_limited|unavailable)$/);
      time.advance(100);
    }
    expect(times.filter((at) => at - start <= 3_000).length).toBeGreaterThanOrEqual(1);
    expect(times.filter((at) => at - start <= 3_000).length).toBeLessThanOrEqual(4);
    expect(harness.upstreams.backup!.calls.length).toBeGreaterThanOrEqual(30);
  });

  it('429 always without retry-after and no fallback: ≤ 4 tries in 3 s, every request a clean 429', async () => {
    const time = virtualTime();
    harness = await startFailoverGateway({ time, router: { fallbacks: {} } });
    const times = callTimes(harness, 'primary', time);
    harness.upstreams.primary!.setDefault(errorScript(429, 'rate limited'));

    const start = time.now();
    let requests = 0;
    while (time.now() - start < 3_000) {
      const error = await harness.client.chat.completions
        .create(userRequest('smart'))
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(APIError);
      expect((error as APIError).status).toBe(429);
      expect((error as APIError).error).toMatchObject({ type: expect.any(String) });
      requests += 1;
      time.advance(100);
    }
    // Requests that find the model cooling down wait out the short cool-down (virtual time), then try once.
    expect(requests).toBeGreaterThanOrEqual(3);
    expect(times.filter((at) => at - start <= 3_000).length).toBeLessThanOrEqual(4);
    expect(harness.upstreams.backup!.calls).toHaveLength(0);
  });

  it('500 once, then OK: the answer from the same provider after one retry, no fallback', async () => {
    harness = await startFailoverGateway();
    harness.upstreams.primary!.enqueue(errorScript(500));

    const { data, response } = await harness.client.chat.completions.create(userRequest('smart')).withResponse();

    expect(data.choices[0]?.message.content).toBe(answerPieces('gpt-4o').join(''));
    expect(data.model).toBe('gpt-4o');
    expect(modelsOf(harness.upstreams.primary!.calls)).toEqual(['gpt-4o', 'gpt-4o']);
    expect(harness.upstreams.backup!.calls).toHaveLength(0);
    expect(response.headers.get('x-switchboard-attempts')).toBe('2');
    expect(response.headers.get('x-switchboard-model')).toBe('smart');
    expect(response.headers.get('x-switchboard-fallback-reason')).toBeNull();
  });

  it("503 always: the fallback model's answer within the retry budget (maxAttempts)", async () => {
    harness = await startFailoverGateway();
    harness.upstreams.primary!.setDefault(errorScript(503, 'overloaded'));

    const { data, response } = await harness.client.chat.completions.create(userRequest('smart')).withResponse();

    expect(data.choices[0]?.message.content).toBe(answerPieces('gpt-4o-mini').join(''));
    const attempts = Number(response.headers.get('x-switchboard-attempts'));
    expect(attempts).toBeLessThanOrEqual(3);
    expect(harness.upstreams.primary!.calls.length + harness.upstreams.backup!.calls.length).toBe(attempts);
    expect(harness.upstreams.backup!.calls).toHaveLength(1);
    expect(response.headers.get('x-switchboard-model')).toBe('gpt-4o-mini');
    expect(response.headers.get('x-switchboard-fallback-reason')).toBe('server_error');
  });

  it("503 always, streamed: the fallback model's whole answer, nothing of the 503 in the stream", async () => {
    harness = await startFailoverGateway();
    harness.upstreams.primary!.setDefault(errorScript(503, 'overloaded'));
    const stream = await harness.client.chat.completions.create({ ...userRequest('smart'), stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(answerPieces('gpt-4o-mini').join(''));
  });

  it("primary 503, fallback OK: the body's model and usage are the fallback's; failed tries are not counted as completions", async () => {
    harness = await startFailoverGateway();
    harness.upstreams.primary!.setDefault(errorScript(503, 'overloaded'));

    const { data, response } = await harness.client.chat.completions.create(userRequest('smart')).withResponse();

    expect(data.model).toBe('gpt-4o-mini');
    expect(data.usage).toEqual(USAGE);
    expect(response.headers.get('x-switchboard-provider')).toBe('backup');
    const text = await metrics(harness);
    // One request, counted once, under its serving provider (and the model the client asked for).
    expect(text).toContain('switchboard_requests_total{provider="backup",model="smart",status="200",stream="false"} 1');
    expect(text).not.toMatch(/switchboard_requests_total\{provider="primary"/);
    expect(text).toContain('switchboard_tokens_total{provider="backup",model="gpt-4o-mini",kind="completion"} 60');
    expect(text).not.toMatch(/switchboard_tokens_total\{provider="primary"/);
    expect(text).toMatch(/switchboard_provider_results_total\{provider="primary",outcome="failure"\} [1-9]/);
    expect(text).not.toMatch(/switchboard_provider_results_total\{provider="primary",outcome="success"\}/);
  });
});
