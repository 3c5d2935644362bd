import { describe, expect, it } from 'vitest';
import { Router } from '../router/router.ts';
import { manualClock, scriptedAdapter } from '../router/test-support/scripted-adapter.ts';
import { EventHub } from '../router/event-hub.ts';
import type { RouterEvents } from '../router/types.ts';
import { createMetrics, MAX_MODEL_LABEL_LENGTH, MAX_MODEL_LABELS, OTHER_MODEL_LABEL } from './gateway-metrics.ts';

function setup() {
  const time = manualClock();
  const router = new Router({
    strategy: 'round_robin',
    clock: time.clock,
    circuitBreaker: { consecutiveFailureLimit: 2, openTimeoutMs: 1_000 },
    retry: { backoffMs: 1 },
  });
  router.registerProvider(scriptedAdapter('alpha', ['m']));
  router.registerProvider(scriptedAdapter('beta', ['m']));
  const metrics = createMetrics({ router });
  return { router, metrics, time };
}

describe('createMetrics', () => {
  it('exposes circuit_state_changes_total from the start, then counts each transition by provider, from and to', async () => {
    const { router, metrics, time } = setup();
    expect(await metrics.render()).toContain('# TYPE circuit_state_changes_total counter');
    router.recordResult('alpha', { success: false });
    router.recordResult('alpha', { success: false });
    time.advance(1_001);
    expect(router.circuitState('alpha')).toBe('half_open');
    const text = await metrics.render();
    expect(text).toContain('circuit_state_changes_total{provider="alpha",from="closed",to="open",model="*"} 1');
    expect(text).toContain('circuit_state_changes_total{provider="alpha",from="open",to="half_open",model="*"} 1');
    expect(text).toContain('switchboard_provider_results_total{provider="alpha",outcome="failure"} 2');
    expect(text).toContain('switchboard_provider_circuit_state{provider="alpha",state="half_open"} 1');
    expect(text).toContain('switchboard_provider_circuit_state{provider="beta",state="closed"} 1');
    metrics.close();
  });

  it('reads per-provider gauges from the router at scrape time and forgets unregistered providers', async () => {
    const { router, metrics } = setup();
    router.recordResult('beta', { success: true, latencyMs: 250 });
    router.recordResult('beta', { success: false });
    let text = await metrics.render();
    expect(text).toContain('switchboard_provider_latency_ema_seconds{provider="beta"} 0.25');
    expect(text).toContain('switchboard_provider_failure_rate{provider="beta"} 0.1');
    expect(text).toContain('switchboard_provider_latency_seconds_count{provider="beta"} 1');
    router.unregisterProvider('beta');
    text = await metrics.render();
    expect(text).not.toContain('switchboard_provider_failure_rate{provider="beta"}');
    metrics.close();
  });

  it('counts attempts, fallbacks, requests, time to first token, tokens and in-flight requests', async () => {
    const { router, metrics } = setup();
    (router.provider('alpha') as ReturnType<typeof scriptedAdapter>).script({ status: 500 });
    await router.chatCompletion({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
    metrics.requestStarted();
    let text = await metrics.render();
    expect(text).toContain('switchboard_provider_attempts_total{provider="alpha",model="m",kind="first"} 1');
    expect(text).toContain('switchboard_provider_attempts_total{provider="beta",model="m",kind="fallback"} 1');
    expect(text).toContain('switchboard_provider_attempts_total{provider="alpha",model="m",kind="retry"} 1');
    expect(text).toContain('switchboard_retries_total{provider="alpha",model="m"} 1');
    expect(text).toContain('switchboard_fallbacks_total{provider="beta",model="m",reason="server_error"} 1');
    expect(text).toContain('switchboard_requests_in_flight 1');

    metrics.observeTimeToFirstToken('beta', 'm', 120);
    metrics.observeTokenUsage('beta', 'm', { prompt_tokens: 5, completion_tokens: 8 });
    metrics.requestFinished({ provider: 'beta', model: 'm', status: 200, stream: true, durationMs: 300, attempts: 2 });
    text = await metrics.render();
    expect(text).toContain('switchboard_requests_in_flight 0');
    expect(text).toContain('switchboard_requests_total{provider="beta",model="m",status="200",stream="true"} 1');
    expect(text).toContain('switchboard_time_to_first_token_seconds_count{provider="beta",model="m"} 1');
    expect(text).toContain('switchboard_tokens_total{provider="beta",model="m",kind="prompt"} 5');
    expect(text).toContain('switchboard_tokens_total{provider="beta",model="m",kind="completion"} 8');
    expect(text).toContain('switchboard_request_attempts_sum{model="m"} 2');
    metrics.close();
  });

  it('renders request histograms as Prometheus expects: HELP, TYPE, cumulative le buckets first, +Inf, sum and count', async () => {
    const { metrics } = setup();
    metrics.requestFinished({ provider: 'beta', model: 'm', status: 200, stream: true, durationMs: 250, attempts: 1 });
    metrics.requestFinished({
      provider: 'beta',
      model: 'm',
      status: 200,
      stream: true,
      durationMs: 31_000,
      attempts: 2,
    });
    const text = await metrics.render();
    const labels = 'provider="beta",model="m",status="200",stream="true"';
    const bucketCounts = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 2, 2];
    const bounds = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '30', '60', '120'];
    const expected = [
      '# HELP switchboard_request_duration_seconds Time from receiving a chat completion request to its last byte.',
      '# TYPE switchboard_request_duration_seconds histogram',
      ...bounds.map(
        (bound, index) => `switchboard_request_duration_seconds_bucket{le="${bound}",${labels}} ${bucketCounts[index]}`,
      ),
      `switchboard_request_duration_seconds_bucket{le="+Inf",${labels}} 2`,
      `switchboard_request_duration_seconds_sum{${labels}} 31.25`,
      `switchboard_request_duration_seconds_count{${labels}} 2`,
    ].join('\n');
    expect(text).toContain(`${expected}\n\n`);
    expect(text).toContain(
      'switchboard_request_attempts_bucket{le="1",model="m"} 1\nswitchboard_request_attempts_bucket{le="2",model="m"} 2\n',
    );
    expect(text).toContain(
      '# HELP switchboard_requests_total Chat completion requests answered by the gateway, by serving provider, model, HTTP status and streaming.\n# TYPE switchboard_requests_total counter\n',
    );
    metrics.close();
  });

  it('bounds the model label: past MAX_MODEL_LABELS distinct models, new ones count as other', async () => {
    const { metrics } = setup();
    for (let index = 0; index < MAX_MODEL_LABELS + 50; index += 1) {
      metrics.requestFinished({
        provider: 'alpha',
        model: `client-invented-${index}`,
        status: 200,
        stream: false,
        durationMs: 1,
      });
    }
    metrics.requestFinished({
      provider: 'alpha',
      model: 'client-invented-0',
      status: 200,
      stream: false,
      durationMs: 1,
    });
    const text = await metrics.render();
    const series = text.split('\n').filter((line) => line.startsWith('switchboard_requests_total{'));
    expect(series).toHaveLength(MAX_MODEL_LABELS + 1);
    expect(text).toContain(
      `switchboard_requests_total{provider="alpha",model="${OTHER_MODEL_LABEL}",status="200",stream="false"} 50`,
    );
    expect(text).toContain(
      'switchboard_requests_total{provider="alpha",model="client-invented-0",status="200",stream="false"} 2',
    );
    metrics.close();
  });

  it('keeps registries apart and stops listening on close', async () => {
    const { router, metrics } = setup();
    const other = createMetrics({ router });
    metrics.close();
    router.recordResult('alpha', { success: false });
    router.recordResult('alpha', { success: false });
    expect(await metrics.render()).not.toContain('circuit_state_changes_total{provider="alpha"');
    expect(await other.render()).toContain(
      'circuit_state_changes_total{provider="alpha",from="closed",to="open",model="*"} 1',
    );
    other.close();
  });
});

describe('createMetrics: bounded exposition', () => {
  it('keeps a scrape under 1 MB whatever model names and statuses arrive', async () => {
    const router = new Router({ strategy: 'round_robin' });
    const providers = ['a', 'b', 'c'].map((letter) => letter.repeat(64));
    for (const provider of providers) router.registerProvider(scriptedAdapter(provider, ['*']));
    // The router's events as a hub of our own, to emit attempts for any model directly.
    const events = new EventHub<RouterEvents>();
    const metrics = createMetrics({
      router: {
        on: (name, listener) => events.on(name, listener),
        off: (name, listener) => events.off(name, listener),
        healthStatus: () => router.healthStatus(),
      },
    });
    const longest = (index: number) => `${index}-`.padEnd(MAX_MODEL_LABEL_LENGTH, 'x');
    for (let index = 0; index < 20_000; index += 1) {
      const provider = providers[index % providers.length]!;
      const model = index % 7 === 0 ? `${index}`.repeat(10_000) : longest(index);
      const status = 100 + (index % 500);
      metrics.requestStarted();
      metrics.requestFinished({ provider, model, status, stream: index % 2 === 0, durationMs: index, attempts: 2 });
      metrics.observeTimeToFirstToken(provider, model, index);
      metrics.observeTokenUsage(provider, model, { prompt_tokens: 3, completion_tokens: 4 });
      events.emit('attempt', {
        model,
        requestedModel: model,
        provider,
        attempt: 2,
        kind: 'fallback',
        streaming: false,
      });
    }
    const text = await metrics.render();
    expect(Buffer.byteLength(text)).toBeLessThan(1024 * 1024);
    expect(text).toContain('model="other"');
    expect(text).not.toContain('x'.repeat(MAX_MODEL_LABEL_LENGTH));
    metrics.close();
  });
});
