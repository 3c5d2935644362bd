import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './circuit-breaker.ts';
import { DEFAULT_CIRCUIT_BREAKER_CONFIG, resolveCircuitConfig } from './circuit-config.ts';
import { ProviderHealth } from './provider-health.ts';
import type { CircuitBreakerConfig } from './types.ts';

function breaker(overrides: Partial<CircuitBreakerConfig> = {}) {
  const config = resolveCircuitConfig(overrides);
  const circuit = new CircuitBreaker(() => config, 0);
  const health = new ProviderHealth();
  const fail = (now: number) => {
    health.recordFailure();
    return circuit.onFailure(now, health.failureRate);
  };
  const succeed = (now: number) => {
    health.recordSuccess();
    return circuit.onSuccess(now);
  };
  return { circuit, health, fail, succeed, config };
}

describe('CircuitBreaker', () => {
  it('opens on the fifth straight failure, not the fourth', () => {
    const { circuit, fail } = breaker();
    for (let index = 0; index < 4; index += 1) expect(fail(index)).toBeUndefined();
    expect(circuit.state).toBe('closed');
    expect(fail(4)).toEqual({ from: 'closed', to: 'open', reason: 'failure_rate_or_consecutive_failures' });
  });

  it('opens on failure rate alone: F,F,F,F,S repeated opens at the 19th result with 4 consecutive failures', () => {
    const { circuit, health, fail, succeed } = breaker();
    const pattern = ['F', 'F', 'F', 'F', 'S'];
    let openedAt = 0;
    for (let result = 1; result <= 25 && openedAt === 0; result += 1) {
      const transition = pattern[(result - 1) % 5] === 'F' ? fail(result) : succeed(result);
      if (transition?.to === 'open') openedAt = result;
    }
    expect(openedAt).toBe(19);
    expect(circuit.consecutiveFailures).toBe(4);
    expect(health.failureRate).toBeCloseTo(0.5059, 3);
  });

  it('resets consecutive failures on a success in closed state', () => {
    const { circuit, fail, succeed } = breaker();
    fail(1);
    fail(2);
    fail(3);
    succeed(4);
    expect(circuit.consecutiveFailures).toBe(0);
    expect(circuit.consecutiveSuccesses).toBe(1);
  });

  it('moves open → half-open only once the open timeout has passed', () => {
    const { circuit, fail } = breaker({ openTimeoutMs: 1_000 });
    for (let index = 0; index < 5; index += 1) fail(100);
    expect(circuit.advance(1_099)).toBeUndefined();
    expect(circuit.state).toBe('open');
    expect(circuit.advance(1_100)).toEqual({ from: 'open', to: 'half_open', reason: 'open_timeout_elapsed' });
  });

  it('closes after the half-open success threshold and reopens on a half-open failure', () => {
    const { circuit, fail, succeed } = breaker({ openTimeoutMs: 10 });
    for (let index = 0; index < 5; index += 1) fail(0);
    circuit.advance(10);
    expect(succeed(11)).toBeUndefined();
    expect(succeed(12)).toBeUndefined();
    expect(circuit.state).toBe('half_open');
    expect(succeed(13)).toEqual({ from: 'half_open', to: 'closed', reason: 'half_open_successes_reached' });

    for (let index = 0; index < 5; index += 1) fail(20);
    circuit.advance(30);
    succeed(31);
    succeed(32);
    expect(fail(33)).toEqual({ from: 'half_open', to: 'open', reason: 'half_open_probe_failed' });
    expect(circuit.openReason).toBe('half_open_probe_failed');
  });

  it('backs off re-opening: timeout × consecutive openings, capped, reset on closing', () => {
    const { circuit, fail, succeed } = breaker({ openTimeoutMs: 100, maxOpenTimeoutMultiplier: 3 });
    let now = 0;
    for (let index = 0; index < 5; index += 1) fail(now);
    expect(circuit.currentOpenTimeoutMs()).toBe(100);
    for (const expected of [200, 300, 300]) {
      now += circuit.currentOpenTimeoutMs();
      circuit.advance(now);
      fail(now);
      expect(circuit.state).toBe('open');
      expect(circuit.currentOpenTimeoutMs()).toBe(expected);
    }
    now += 300;
    circuit.advance(now);
    succeed(now);
    succeed(now);
    succeed(now);
    expect(circuit.state).toBe('closed');
    for (let index = 0; index < 5; index += 1) fail(now);
    expect(circuit.currentOpenTimeoutMs()).toBe(100);
  });

  it('admits at most halfOpenMaxProbes probes, and an unreleased slot expires after the open timeout', () => {
    const { circuit, fail } = breaker({ openTimeoutMs: 1_000, halfOpenMaxProbes: 2 });
    for (let index = 0; index < 5; index += 1) fail(0);
    circuit.advance(1_000);
    expect(circuit.hasFreeProbeSlot(1_000)).toBe(true);
    circuit.takeProbeSlot(1_000);
    circuit.takeProbeSlot(1_001);
    expect(circuit.hasFreeProbeSlot(1_002)).toBe(false);
    circuit.releaseProbeSlot();
    expect(circuit.hasFreeProbeSlot(1_002)).toBe(true);
    circuit.takeProbeSlot(1_002);
    expect(circuit.hasFreeProbeSlot(2_000)).toBe(false);
    expect(circuit.hasFreeProbeSlot(2_001)).toBe(true);
  });

  it('keeps the open timeout on a failed health probe, half-opens at once on a healthy one; a half-open probe failure reopens', () => {
    const { circuit, health, fail } = breaker({ openTimeoutMs: 1_000 });
    for (let index = 0; index < 5; index += 1) fail(0);
    expect(circuit.onHealthProbeFailure(900, health.failureRate)).toBeUndefined();
    expect(circuit.advance(999)).toBeUndefined();
    expect(circuit.advance(1_000)?.to).toBe('half_open');
    expect(circuit.onHealthProbeFailure(1_001, health.failureRate)).toEqual({
      from: 'half_open',
      to: 'open',
      reason: 'health_probe_failed',
    });
    expect(circuit.onHealthProbeSuccess(1_002)).toEqual({
      from: 'open',
      to: 'half_open',
      reason: 'health_probe_succeeded',
    });
    expect(circuit.onHealthProbeSuccess(1_003)).toBeUndefined();
  });
});

describe('resolveCircuitConfig', () => {
  it('fills defaults and refuses bad values by name', () => {
    expect(resolveCircuitConfig({})).toEqual(DEFAULT_CIRCUIT_BREAKER_CONFIG);
    expect(() => resolveCircuitConfig({ failureRateThreshold: 2 })).toThrow(/failureRateThreshold/);
    expect(() => resolveCircuitConfig({ consecutiveFailureLimit: 0 })).toThrow(/consecutiveFailureLimit/);
    expect(() => resolveCircuitConfig({ halfOpenMaxProbes: 1.5 })).toThrow(/halfOpenMaxProbes/);
    expect(() => resolveCircuitConfig({ bogus: 1 } as never)).toThrow(/bogus/);
  });
});
