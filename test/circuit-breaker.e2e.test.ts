import { afterEach, describe, expect, it } from 'vitest';
import { fakeClock, startHarness, userRequest, type Harness } from './support/gateway-harness.ts';
import { errorScript } from './support/openai-upstream.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function metricValue(url: string, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('circuit breaker through the gateway', () => {
  it('opens the model circuit after consecutive failures, heals after the open timeout, and /metrics shows every transition', async () => {
    const clock = fakeClock();
    harness = await startHarness({
      upstreams: [{ name: 'primary' }],
      router: {
        maxAttempts: 1,
        circuitBreaker: { consecutiveFailureLimit: 3, halfOpenSuccessThreshold: 2, openTimeoutMs: 30_000 },
      },
      bootstrap: { clock: clock.now },
    });
    const upstream = harness.upstreams.primary!;
    const before = await (await fetch(`${harness.url}/metrics`)).text();
    expect(before).toContain('# TYPE circuit_state_changes_total counter');

    upstream.enqueue(errorScript(500), errorScript(500), errorScript(500));
    for (let index = 0; index < 3; index += 1) expect((await post(harness.url, userRequest())).status).toBe(500);
    expect(harness.running.router.circuitState('primary', 'gpt-4o-mini')).toBe('open');
    expect(harness.running.router.circuitState('primary')).toBe('closed');
    expect(
      await metricValue(
        harness.url,
        'circuit_state_changes_total{provider="primary",from="closed",to="open",model="gpt-4o-mini"}',
      ),
    ).toBe(1);
    expect(
      await metricValue(
        harness.url,
        'switchboard_deployment_circuit_state{provider="primary",model="gpt-4o-mini",state="open"}',
      ),
    ).toBe(1);

    const refused = await post(harness.url, userRequest());
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('no_provider_available');
    expect(upstream.calls).toHaveLength(3);
    expect((await fetch(`${harness.url}/ready`)).status).toBe(503);

    clock.advance(30_001);
    expect((await post(harness.url, userRequest())).status).toBe(200);
    expect(
      await metricValue(
        harness.url,
        'circuit_state_changes_total{provider="primary",from="open",to="half_open",model="gpt-4o-mini"}',
      ),
    ).toBe(1);
    expect(harness.running.router.circuitState('primary', 'gpt-4o-mini')).toBe('half_open');
    expect((await post(harness.url, userRequest())).status).toBe(200);
    expect(harness.running.router.circuitState('primary', 'gpt-4o-mini')).toBe('closed');
    expect(
      await metricValue(
        harness.url,
        'circuit_state_changes_total{provider="primary",from="half_open",to="closed",model="gpt-4o-mini"}',
      ),
    ).toBe(1);
    expect(
      await metricValue(
        harness.url,
        'switchboard_deployment_circuit_state{provider="primary",model="gpt-4o-mini",state="closed"}',
      ),
    ).toBe(1);
    expect(
      await metricValue(harness.url, 'switchboard_provider_circuit_state{provider="primary",state="closed"}'),
    ).toBe(1);
    expect(
      await metricValue(
        harness.url,
        'switchboard_requests_total{provider="primary",model="gpt-4o-mini",status="500",stream="false"}',
      ),
    ).toBe(3);
    expect(
      await metricValue(
        harness.url,
        'switchboard_requests_total{provider="none",model="gpt-4o-mini",status="503",stream="false"}',
      ),
    ).toBe(1);
    expect(
      await metricValue(
        harness.url,
        'switchboard_requests_total{provider="primary",model="gpt-4o-mini",status="200",stream="false"}',
      ),
    ).toBe(2);
  });

  it('re-opens a half-open circuit whose probe fails', async () => {
    const clock = fakeClock();
    harness = await startHarness({
      upstreams: [{ name: 'primary' }],
      router: { maxAttempts: 1, circuitBreaker: { consecutiveFailureLimit: 1, openTimeoutMs: 1_000 } },
      bootstrap: { clock: clock.now },
    });
    harness.upstreams.primary!.enqueue(errorScript(502), errorScript(502));
    expect((await post(harness.url, userRequest())).status).toBe(502);
    clock.advance(1_001);
    expect((await post(harness.url, userRequest())).status).toBe(502);
    expect(harness.running.router.circuitState('primary', 'gpt-4o-mini')).toBe('open');
    expect(
      await metricValue(
        harness.url,
        'circuit_state_changes_total{provider="primary",from="half_open",to="open",model="gpt-4o-mini"}',
      ),
    ).toBe(1);
  });
});

describe('429 cool-downs through the gateway', () => {
  it('skips a provider that answered 429 until its retry-after, and answers 429 when all cool down', async () => {
    const clock = fakeClock();
    harness = await startHarness({
      upstreams: [{ name: 'primary' }, { name: 'secondary' }],
      router: { strategy: 'availability' },
      bootstrap: { clock: clock.now },
    });
    const { primary, secondary } = harness.upstreams as Record<
      'primary' | 'secondary',
      NonNullable<Harness['upstreams'][string]>
    >;
    primary.enqueue(errorScript(429, 'slow down', { 'retry-after': '30' }));

    const first = await post(harness.url, userRequest());
    expect(first.status).toBe(200);
    expect(first.headers.get('x-switchboard-provider')).toBe('secondary');
    expect(first.headers.get('x-switchboard-attempts')).toBe('2');

    const second = await post(harness.url, userRequest());
    expect(second.headers.get('x-switchboard-provider')).toBe('secondary');
    expect(primary.calls).toHaveLength(1);
    expect(harness.running.router.healthStatus().primary!.circuitState).toBe('closed');

    secondary.enqueue(errorScript(429, 'slow down too', { 'retry-after': '10' }));
    const third = await post(harness.url, userRequest());
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('10');

    const fourth = await post(harness.url, userRequest());
    expect(fourth.status).toBe(429);
    expect(fourth.headers.get('retry-after')).toBe('10');
    expect(((await fourth.json()) as { error: { type: string } }).error.type).toBe('rate_limit_error');
    expect(primary.calls).toHaveLength(1);
    expect(secondary.calls).toHaveLength(3);

    clock.advance(10_001);
    const fifth = await post(harness.url, userRequest());
    expect(fifth.status).toBe(200);
    expect(fifth.headers.get('x-switchboard-provider')).toBe('secondary');
    clock.advance(20_000);
    const sixth = await post(harness.url, userRequest());
    expect(sixth.headers.get('x-switchboard-provider')).toBe('primary');
  });
});
