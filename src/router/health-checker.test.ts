import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Router } from './router.ts';
import { scriptedAdapter } from './test-support/scripted-adapter.ts';

/** Drives the router's clock from vitest's fake Date, so timers and the open timeout move together. */
function routerOnFakeTime(options: ConstructorParameters<typeof Router>[0] = {}): Router {
  return new Router({ clock: () => Date.now(), ...options });
}

function openCircuit(router: Router, name: string): void {
  for (let index = 0; index < 5; index += 1) router.recordResult(name, { success: false });
}

describe('health checker (Go case 14, port fixes)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('probes nothing at start, then every interval', async () => {
    const router = routerOnFakeTime();
    const adapter = scriptedAdapter('p', ['m'], { withHealthCheck: true });
    const probe = vi.spyOn(adapter, 'healthCheck');
    router.registerProvider(adapter);
    router.startHealthChecker(10_000);
    expect(probe).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(probe).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(probe).toHaveBeenCalledTimes(3);
    expect(router.healthStatus().p?.lastCheckTime).toBe(Date.now());
    await router.stopHealthChecker();
  });

  it('moves an open provider with a healthy probe to half-open at once, long before the open timeout', async () => {
    const router = routerOnFakeTime({ circuitBreaker: { openTimeoutMs: 300_000 } });
    router.registerProvider(scriptedAdapter('p', ['m'], { withHealthCheck: true }));
    openCircuit(router, 'p');
    router.startHealthChecker(10_000);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(router.healthStatus().p?.circuitState).toBe('open');
    await vi.advanceTimersByTimeAsync(1);
    expect(router.healthStatus().p?.circuitState).toBe('half_open');
    expect(router.healthStatus().p?.openReason).toBe('health_probe_succeeded');
    expect(router.healthStatus().p?.consecutiveSuccesses).toBe(0);
    await router.stopHealthChecker();
  });

  it('half-opens the open model circuits of a provider whose probe succeeds', async () => {
    const router = routerOnFakeTime({ circuitBreaker: { openTimeoutMs: 300_000 } });
    router.registerProvider(scriptedAdapter('p', ['a', 'b'], { withHealthCheck: true }));
    for (let index = 0; index < 5; index += 1) router.recordResult('p', { success: false, model: 'a' });
    expect(router.circuitState('p', 'a')).toBe('open');
    expect(router.circuitState('p')).toBe('closed');
    router.startHealthChecker(10_000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(router.circuitState('p', 'a')).toBe('half_open');
    expect(router.selectProvider('a').name).toBe('p');
    await router.stopHealthChecker();
  });

  it('keeps an open provider open while probes fail, without pushing its return out', async () => {
    const router = routerOnFakeTime({ circuitBreaker: { openTimeoutMs: 15_000 } });
    const adapter = scriptedAdapter('p', ['m'], { withHealthCheck: true });
    adapter.healthAnswers = [false];
    router.registerProvider(adapter);
    openCircuit(router, 'p');
    router.startHealthChecker(10_000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(router.circuitState('p')).toBe('open');
    await router.stopHealthChecker();
    await vi.advanceTimersByTimeAsync(4_999);
    expect(router.circuitState('p')).toBe('open');
    await vi.advanceTimersByTimeAsync(1);
    expect(router.circuitState('p')).toBe('half_open');
  });

  it('leaves a closed, healthy provider alone; counts failed probes of a closed provider as failures', async () => {
    const router = routerOnFakeTime();
    const healthy = scriptedAdapter('healthy', ['m'], { withHealthCheck: true });
    const sick = scriptedAdapter('sick', ['m'], { withHealthCheck: true });
    sick.healthAnswers = [false];
    router.registerProvider(healthy);
    router.registerProvider(sick);
    await router.checkHealth();
    expect(router.healthStatus().healthy).toMatchObject({
      circuitState: 'closed',
      failureRate: 0,
      consecutiveFailures: 0,
    });
    expect(router.healthStatus().sick).toMatchObject({ circuitState: 'closed', consecutiveFailures: 1 });
    for (let index = 0; index < 4; index += 1) await router.checkHealth();
    expect(router.healthStatus().sick?.circuitState).toBe('open');
  });

  it('times out a hung probe as a failure, runs probes concurrently, and never stacks probes', async () => {
    const router = routerOnFakeTime({ healthCheckTimeoutMs: 5_000 });
    const hung = scriptedAdapter('hung', ['m'], { withHealthCheck: true });
    let hungCalls = 0;
    hung.healthAnswers = [
      () => {
        hungCalls += 1;
        return new Promise<boolean>(() => undefined);
      },
    ];
    const fine = scriptedAdapter('fine', ['m'], { withHealthCheck: true });
    router.registerProvider(hung);
    router.registerProvider(fine);
    router.startHealthChecker(1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(router.healthStatus().fine?.lastCheckTime).toBe(Date.now());
    await vi.advanceTimersByTimeAsync(3_000);
    expect(hungCalls).toBe(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(router.healthStatus().hung?.consecutiveFailures).toBe(1);
    await router.stopHealthChecker();
  });

  it('stops promptly even with a probe hung, and a late answer changes nothing', async () => {
    const router = routerOnFakeTime({ healthCheckTimeoutMs: 60_000 });
    const adapter = scriptedAdapter('p', ['m'], { withHealthCheck: true });
    let seenSignal: AbortSignal | undefined;
    adapter.healthCheck = (signal) => {
      seenSignal = signal;
      return new Promise<boolean>(() => undefined);
    };
    router.registerProvider(adapter);
    router.startHealthChecker(1_000);
    router.startHealthChecker(1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    await router.stopHealthChecker();
    expect(seenSignal?.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(router.healthStatus().p).toMatchObject({ consecutiveFailures: 0, lastCheckTime: 0 });
  });

  it('refuses a non-positive interval', () => {
    const router = routerOnFakeTime();
    expect(() => router.startHealthChecker(0)).toThrow(RangeError);
  });
});
