import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../contract/configuration-error.ts';
import { CIRCUIT_BREAKER_RANGES, resolveCircuitConfig } from '../../router/circuit-config.ts';
import { Router } from '../../router/router.ts';
import { parseConfig } from '../load-config.ts';
import { circuitBreakerSettingsSchema } from './circuit-breaker-schema.ts';

/** A value just outside each end of a range, and the ends themselves. */
function probes(range: { minimum: number; maximum: number; integer: boolean }) {
  const step = range.integer ? 1 : 0.001;
  const inside = [range.minimum, Math.min(range.maximum, range.minimum + 1)];
  const outside = [range.minimum - step];
  if (range.maximum < Number.MAX_SAFE_INTEGER) {
    inside.push(range.maximum);
    outside.push(range.maximum + step);
  }
  if (range.integer) outside.push(range.minimum + 0.5);
  return { inside, outside };
}

describe('circuit-breaker settings: one range table for config, admin API and router', () => {
  for (const [key, range] of Object.entries(CIRCUIT_BREAKER_RANGES)) {
    it(`${key}: the config file, the admin API and the router agree on every edge`, () => {
      const { inside, outside } = probes(range);
      for (const value of inside) {
        expect(circuitBreakerSettingsSchema.safeParse({ [key]: value }).success).toBe(true);
        expect(() => parseConfig({ router: { circuitBreaker: { [key]: value } } }, { env: {} })).not.toThrow();
        expect(() => new Router({ circuitBreaker: { [key]: value } })).not.toThrow();
      }
      for (const value of outside) {
        expect(circuitBreakerSettingsSchema.safeParse({ [key]: value }).success).toBe(false);
        expect(() => parseConfig({ router: { circuitBreaker: { [key]: value } } }, { env: {} })).toThrow(
          ConfigurationError,
        );
        expect(() => resolveCircuitConfig({ [key]: value })).toThrow(ConfigurationError);
      }
    });
  }

  it('the router names every bad key at once, by path', () => {
    try {
      resolveCircuitConfig({ failureRateThreshold: 2, halfOpenMaxProbes: 0 });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigurationError).issues.map((issue) => issue.path)).toEqual([
        'circuitBreaker.failureRateThreshold',
        'circuitBreaker.halfOpenMaxProbes',
      ]);
    }
  });
});
