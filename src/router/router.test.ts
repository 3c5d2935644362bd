import { describe, expect, it, vi } from 'vitest';
import { ConfigurationError, ModelNotFoundError, NoProviderAvailableError } from './errors.ts';
import { Router } from './router.ts';
import { manualClock, scriptedAdapter } from './test-support/scripted-adapter.ts';
import type { CircuitStateChangeEvent } from './types.ts';

function failTimes(router: Router, name: string, times: number): void {
  for (let index = 0; index < times; index += 1) router.recordResult(name, { success: false, latencyMs: 10 });
}

function openCircuit(router: Router, name: string): void {
  failTimes(router, name, 5);
  expect(router.circuitState(name)).toBe('open');
}

describe('Router: registration and selection (Go cases 1–3)', () => {
  it('starts empty, refuses to select, then serves a registered provider', () => {
    const router = new Router();
    expect(Object.keys(router.healthStatus())).toEqual([]);
    expect(() => router.selectProvider('gpt-4')).toThrow(ModelNotFoundError);
    router.registerProvider(scriptedAdapter('test', ['gpt-4']));
    expect(Object.keys(router.healthStatus())).toEqual(['test']);
    expect(router.healthStatus().test).toMatchObject({
      available: true,
      latencyMs: 0,
      failureRate: 0,
      weight: 1,
      circuitState: 'closed',
    });
  });

  it('matches models exactly and case-sensitively; "*" serves any model', () => {
    const router = new Router();
    router.registerProvider(scriptedAdapter('test', ['gpt-4']));
    expect(router.selectProvider('gpt-4').name).toBe('test');
    expect(() => router.selectProvider('gpt-4o')).toThrow(ModelNotFoundError);
    expect(() => router.selectProvider('GPT-4')).toThrow(/No provider is registered for model 'GPT-4'/);
    router.registerProvider(scriptedAdapter('any', ['*']));
    expect(router.selectProvider('gpt-4o').name).toBe('any');
  });

  it('updateHealth(false) takes a provider out; unknown names are harmless', () => {
    const router = new Router();
    router.registerProvider(scriptedAdapter('test', ['gpt-4']));
    router.updateHealth('test', false);
    const error = (() => {
      try {
        router.selectProvider('gpt-4');
      } catch (caught) {
        return caught as NoProviderAvailableError;
      }
    })();
    expect(error).toBeInstanceOf(NoProviderAvailableError);
    expect(error).not.toBeInstanceOf(ModelNotFoundError);
    expect(error?.skipped).toEqual({ test: 'unavailable' });
    expect(error?.message).toContain("'gpt-4'");
    expect(() => router.updateHealth('nobody', true)).not.toThrow();
    expect(() => router.recordResult('nobody', { success: false })).not.toThrow();
  });

  it('re-registering a name replaces the provider and resets its health', () => {
    const router = new Router();
    router.registerProvider(scriptedAdapter('test'));
    failTimes(router, 'test', 5);
    router.registerProvider(scriptedAdapter('test'), { weight: 3 });
    expect(router.healthStatus().test).toMatchObject({
      circuitState: 'closed',
      failureRate: 0,
      consecutiveFailures: 0,
      weight: 3,
    });
  });

  it('refuses an unknown strategy and bad weights at construction', () => {
    expect(() => new Router({ strategy: 'fastest' as never })).toThrow(ConfigurationError);
    expect(() => new Router({ strategy: 'fastest' as never })).toThrow(/latency, round_robin, weighted, availability/);
    const router = new Router();
    expect(() => router.registerProvider(scriptedAdapter('x'), { weight: -1 })).toThrow(ConfigurationError);
    expect(() => router.registerProvider(scriptedAdapter(''))).toThrow(ConfigurationError);
  });

  it('unregisters providers', () => {
    const router = new Router();
    router.registerProvider(scriptedAdapter('a', ['m']));
    expect(router.unregisterProvider('a')).toBe(true);
    expect(router.unregisterProvider('a')).toBe(false);
    expect(() => router.selectProvider('m')).toThrow(ModelNotFoundError);
  });
});

describe('Router: strategies (Go case 4, 12)', () => {
  it('latency picks the lower EMA: 10 ms over 100 ms', () => {
    const { clock } = manualClock();
    const router = new Router({ strategy: 'latency', clock });
    router.registerProvider(scriptedAdapter('slow'));
    router.registerProvider(scriptedAdapter('fast'));
    router.recordResult('slow', { success: true, latencyMs: 100 });
    router.recordResult('fast', { success: true, latencyMs: 10 });
    expect(router.selectProvider('m').name).toBe('fast');
  });

  it('availability picks the lower failure rate: 0.1 over 0.3', () => {
    const router = new Router({ strategy: 'availability' });
    router.registerProvider(scriptedAdapter('flaky'));
    router.registerProvider(scriptedAdapter('steady'));
    failTimes(router, 'flaky', 3);
    router.recordResult('steady', { success: false });
    expect(router.healthStatus().flaky?.failureRate).toBeCloseTo(0.271, 10);
    expect(router.healthStatus().steady?.failureRate).toBeCloseTo(0.1, 10);
    expect(router.selectProvider('m').name).toBe('steady');
  });

  it('round robin gives exactly 33 of 99 selections to each of three providers', () => {
    const router = new Router({ strategy: 'round_robin' });
    for (const name of ['a', 'b', 'c']) router.registerProvider(scriptedAdapter(name, ['gpt-4']));
    const counts: Record<string, number> = {};
    for (let index = 0; index < 99; index += 1) {
      const name = router.selectProvider('gpt-4').name;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    expect(counts).toEqual({ a: 33, b: 33, c: 33 });
  });
});

describe('Router: circuit breaker (Go cases 7–11)', () => {
  it('stays closed after four failures and opens at the fifth, then is not selectable', () => {
    const router = new Router();
    router.registerProvider(scriptedAdapter('test', ['m']));
    failTimes(router, 'test', 4);
    expect(router.circuitState('test')).toBe('closed');
    router.recordResult('test', { success: false });
    expect(router.circuitState('test')).toBe('open');
    expect(() => router.selectProvider('m')).toThrow(/test: circuit_open/);
  });

  it('a success after three failures resets failures and counts one success', () => {
    const router = new Router();
    router.registerProvider(scriptedAdapter('test'));
    failTimes(router, 'test', 3);
    router.recordResult('test', { success: true, latencyMs: 5 });
    expect(router.healthStatus().test).toMatchObject({ consecutiveFailures: 0, consecutiveSuccesses: 1 });
  });

  it('half-open closes at the third success with failure rate 0; a failure at two reopens it', () => {
    const { clock, advance } = manualClock();
    const router = new Router({ clock, circuitBreaker: { halfOpenMaxProbes: 5 } });
    router.registerProvider(scriptedAdapter('test'));
    openCircuit(router, 'test');
    advance(30_000);
    expect(router.circuitState('test')).toBe('half_open');
    router.recordResult('test', { success: true, latencyMs: 5 });
    router.recordResult('test', { success: true, latencyMs: 5 });
    expect(router.circuitState('test')).toBe('half_open');
    router.recordResult('test', { success: true, latencyMs: 5 });
    expect(router.healthStatus().test).toMatchObject({
      circuitState: 'closed',
      failureRate: 0,
      consecutiveFailures: 0,
    });

    openCircuit(router, 'test');
    advance(30_000);
    router.recordResult('test', { success: true, latencyMs: 5 });
    router.recordResult('test', { success: true, latencyMs: 5 });
    router.recordResult('test', { success: false });
    expect(router.healthStatus().test).toMatchObject({ circuitState: 'open', openReason: 'half_open_probe_failed' });
  });

  it('open is never selectable; half-open is, even when marked unavailable; closed + unavailable is not', () => {
    const { clock, advance } = manualClock();
    const router = new Router({ clock });
    router.registerProvider(scriptedAdapter('test', ['m']));
    router.updateHealth('test', false);
    expect(() => router.selectProvider('m')).toThrow(NoProviderAvailableError);
    router.updateHealth('test', true);
    openCircuit(router, 'test');
    expect(() => router.selectProvider('m')).toThrow(/circuit_open/);
    router.updateHealth('test', false);
    advance(30_000);
    expect(router.selectProvider('m').name).toBe('test');
  });

  it('honours the open timeout (port fix): no traffic before it, probes after it, without any timer', () => {
    const { clock, advance } = manualClock();
    const router = new Router({ clock, circuitBreaker: { openTimeoutMs: 5_000 } });
    router.registerProvider(scriptedAdapter('test', ['m']));
    openCircuit(router, 'test');
    advance(4_999);
    expect(() => router.selectProvider('m')).toThrow(NoProviderAvailableError);
    advance(1);
    expect(router.selectProvider('m').name).toBe('test');
  });

  it('caps concurrent half-open probes at one by default (port fix); a result frees the slot', () => {
    const { clock, advance } = manualClock();
    const router = new Router({ clock });
    router.registerProvider(scriptedAdapter('test', ['m']));
    openCircuit(router, 'test');
    advance(30_000);
    expect(router.selectProvider('m').name).toBe('test');
    expect(() => router.selectProvider('m')).toThrow(/half_open_probes_busy/);
    router.recordResult('test', { success: true, latencyMs: 3 });
    expect(router.selectProvider('m').name).toBe('test');
  });

  it('expires a probe slot whose result never came, so a lost result cannot wedge the provider', () => {
    const { clock, advance } = manualClock();
    const router = new Router({ clock });
    router.registerProvider(scriptedAdapter('test', ['m']));
    openCircuit(router, 'test');
    advance(30_000);
    router.selectProvider('m');
    advance(29_999);
    expect(() => router.selectProvider('m')).toThrow(/half_open_probes_busy/);
    advance(1);
    expect(router.selectProvider('m').name).toBe('test');
  });

  it('backs off a circuit that keeps failing its probes (port fix)', () => {
    const { clock, advance } = manualClock();
    const router = new Router({ clock, circuitBreaker: { openTimeoutMs: 1_000 } });
    router.registerProvider(scriptedAdapter('test', ['m']));
    openCircuit(router, 'test');
    advance(1_000);
    router.selectProvider('m');
    router.recordResult('test', { success: false });
    advance(1_999);
    expect(router.circuitState('test')).toBe('open');
    advance(1);
    expect(router.circuitState('test')).toBe('half_open');
  });

  it('emits all four transitions with provider, from, to and reason (port fix)', () => {
    const { clock, advance } = manualClock();
    const router = new Router({ clock, circuitBreaker: { halfOpenMaxProbes: 3 } });
    const events: CircuitStateChangeEvent[] = [];
    router.on('circuitStateChange', (event) => events.push(event));
    router.registerProvider(scriptedAdapter('p'));
    openCircuit(router, 'p');
    advance(30_000);
    router.circuitState('p');
    router.recordResult('p', { success: false });
    advance(60_000);
    router.healthStatus();
    for (let index = 0; index < 3; index += 1) router.recordResult('p', { success: true, latencyMs: 1 });
    expect(events.map(({ from, to, reason }) => `${from}>${to}:${reason}`)).toEqual([
      'closed>open:failure_rate_or_consecutive_failures',
      'open>half_open:open_timeout_elapsed',
      'half_open>open:half_open_probe_failed',
      'open>half_open:open_timeout_elapsed',
      'half_open>closed:half_open_successes_reached',
    ]);
    expect(events.every((event) => event.provider === 'p')).toBe(true);
  });

  it('reads and writes the circuit config (Go case 15) and applies it to live circuits', () => {
    const router = new Router();
    router.registerProvider(scriptedAdapter('p'));
    router.setCircuitConfig({ consecutiveFailureLimit: 2, openTimeoutMs: 10 });
    expect(router.circuitConfig()).toMatchObject({
      consecutiveFailureLimit: 2,
      openTimeoutMs: 10,
      failureRateThreshold: 0.5,
    });
    failTimes(router, 'p', 2);
    expect(router.circuitState('p')).toBe('open');
    expect(() => router.setCircuitConfig({ failureRateThreshold: -1 })).toThrow(ConfigurationError);
    expect(router.circuitConfig().failureRateThreshold).toBe(0.5);
  });

  it('a failure that is not the provider’s fault frees the probe slot without touching the circuit', () => {
    const router = new Router();
    router.registerProvider(scriptedAdapter('p'));
    failTimes(router, 'p', 4);
    router.recordResult('p', { success: false, countsAsFailure: false });
    expect(router.healthStatus().p).toMatchObject({ circuitState: 'closed', consecutiveFailures: 4 });
  });

  it('resetCircuit closes an open circuit and says so', () => {
    const router = new Router();
    const listener = vi.fn();
    router.on('circuitStateChange', listener);
    router.registerProvider(scriptedAdapter('p'));
    openCircuit(router, 'p');
    expect(router.resetCircuit('p')).toBe(true);
    expect(router.circuitState('p')).toBe('closed');
    expect(listener).toHaveBeenLastCalledWith(
      expect.objectContaining({ from: 'open', to: 'closed', reason: 'manual_reset' }),
    );
  });
});

describe('Router: cool-downs, operator switch and readiness', () => {
  it('skips a provider for its retry-after without opening its circuit, then 429-style error names the shortest wait', () => {
    const { clock, advance } = manualClock();
    const router = new Router({ clock });
    router.registerProvider(scriptedAdapter('a', ['m']));
    router.registerProvider(scriptedAdapter('b', ['m']));
    router.recordResult('a', { success: false, countsAsFailure: false, retryAfterMs: 2_000 });
    expect(router.selectProvider('m').name).toBe('b');
    router.recordResult('b', { success: false, countsAsFailure: false, retryAfterMs: 5_000 });
    let error: NoProviderAvailableError | undefined;
    try {
      router.selectProvider('m');
    } catch (caught) {
      error = caught as NoProviderAvailableError;
    }
    expect(error?.retryAfterMs).toBe(2_000);
    expect(error?.skipped).toEqual({ a: 'cooling_down', b: 'cooling_down' });
    expect(router.circuitState('a')).toBe('closed');
    advance(2_000);
    expect(router.selectProvider('m').name).toBe('a');
  });

  it('a disabled provider takes no traffic even half-open; isReady follows', () => {
    const { clock, advance } = manualClock();
    const router = new Router({ clock });
    router.registerProvider(scriptedAdapter('p', ['m']));
    expect(router.isReady()).toBe(true);
    openCircuit(router, 'p');
    advance(30_000);
    router.setEnabled('p', false);
    expect(router.isReady()).toBe(false);
    expect(() => router.selectProvider('m')).toThrow(/p: disabled/);
    router.setEnabled('p', true);
    expect(router.isReady()).toBe(true);
  });
});

describe('Router: fallbacks (port fix)', () => {
  it('returns the available providers minus those tried, best first by the strategy', () => {
    const router = new Router({ strategy: 'availability' });
    for (const name of ['primary', 'second', 'third', 'other'])
      router.registerProvider(scriptedAdapter(name, name === 'other' ? ['x'] : ['m']));
    router.recordResult('second', { success: false });
    failTimes(router, 'third', 5);
    expect(router.fallbackProviders('m', { exclude: ['primary'] }).map((adapter) => adapter.name)).toEqual(['second']);
    router.resetCircuit('third');
    router.recordResult('third', { success: false });
    router.recordResult('third', { success: false });
    expect(router.fallbackProviders('m').map((adapter) => adapter.name)).toEqual(['primary', 'second', 'third']);
    expect(router.fallbackProviders('nothing')).toEqual([]);
  });
});

describe('Router: registered models and health status (Go case 13)', () => {
  it('lists models sorted, owned by the first provider by name', () => {
    const router = new Router();
    router.registerProvider(scriptedAdapter('openai', ['gpt-4o', 'claude-3-opus', 'gpt-4o-mini']));
    router.registerProvider(scriptedAdapter('anthropic', ['claude-3-sonnet', 'claude-3-opus']));
    expect(router.registeredModels()).toEqual([
      { id: 'claude-3-opus', ownedBy: 'anthropic' },
      { id: 'claude-3-sonnet', ownedBy: 'anthropic' },
      { id: 'gpt-4o', ownedBy: 'openai' },
      { id: 'gpt-4o-mini', ownedBy: 'openai' },
    ]);
  });

  it('skips "*" and empty ids and trims', () => {
    const router = new Router();
    router.registerProvider(scriptedAdapter('p', ['*', '', ' gpt-4o ']));
    expect(router.registeredModels()).toEqual([{ id: 'gpt-4o', ownedBy: 'p' }]);
  });

  it('returns every named field, circuit counters included', () => {
    const router = new Router({ clock: () => 42 });
    router.registerProvider(scriptedAdapter('p'), { weight: 2 });
    expect(router.healthStatus().p).toEqual({
      available: true,
      enabled: true,
      type: 'scripted',
      models: ['*'],
      latencyMs: 0,
      failureRate: 0,
      weight: 2,
      circuitState: 'closed',
      consecutiveFailures: 0,
      consecutiveSuccesses: 0,
      lastStateChange: 42,
      openReason: null,
      lastCheckTime: 0,
      coolingDownUntil: 0,
      inFlight: 0,
    });
  });

  it('ignores a negative latency: the provider stays unmeasured (Go case 5)', () => {
    const router = new Router();
    router.registerProvider(scriptedAdapter('p'));
    router.recordResult('p', { success: true, latencyMs: 50 });
    expect(router.healthStatus().p).toMatchObject({ failureRate: 0, latencyMs: 50 });
    const fresh = new Router();
    fresh.registerProvider(scriptedAdapter('q'));
    fresh.recordResult('q', { success: true, latencyMs: -5 });
    expect(fresh.healthStatus().q?.latencyMs).toBe(0);
    for (let index = 0; index < 20; index += 1) fresh.recordResult('q', { success: false });
    expect(fresh.healthStatus().q?.failureRate).toBeLessThanOrEqual(1);
  });
});
