import { ConfigurationError } from './errors.ts';
import type { CircuitBreakerConfig } from './types.ts';

/** The defaults of the Go original, plus the port's probe cap and back-off cap. */
export const DEFAULT_CIRCUIT_BREAKER_CONFIG: Readonly<CircuitBreakerConfig> = Object.freeze({
  failureRateThreshold: 0.5,
  consecutiveFailureLimit: 5,
  halfOpenSuccessThreshold: 3,
  openTimeoutMs: 30_000,
  halfOpenMaxProbes: 1,
  maxOpenTimeoutMultiplier: 10,
});

/**
 * Merges `overrides` over `base` and checks every value, so a bad setting fails where it is
 * made rather than as odd routing later.
 *
 * @throws ConfigurationError naming the bad key.
 */
export function resolveCircuitConfig(
  overrides: Partial<CircuitBreakerConfig> | undefined,
  base: Readonly<CircuitBreakerConfig> = DEFAULT_CIRCUIT_BREAKER_CONFIG,
): CircuitBreakerConfig {
  const config: CircuitBreakerConfig = { ...base };
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (value === undefined) continue;
    if (!(key in DEFAULT_CIRCUIT_BREAKER_CONFIG))
      throw new ConfigurationError(`circuitBreaker.${key}: unknown setting`);
    (config as unknown as Record<string, unknown>)[key] = value;
  }
  requireNumber(config.failureRateThreshold, 'failureRateThreshold', 0, 1, false);
  requireNumber(config.consecutiveFailureLimit, 'consecutiveFailureLimit', 1, Number.MAX_SAFE_INTEGER, true);
  requireNumber(config.halfOpenSuccessThreshold, 'halfOpenSuccessThreshold', 1, Number.MAX_SAFE_INTEGER, true);
  requireNumber(config.openTimeoutMs, 'openTimeoutMs', 0, Number.MAX_SAFE_INTEGER, false);
  requireNumber(config.halfOpenMaxProbes, 'halfOpenMaxProbes', 1, Number.MAX_SAFE_INTEGER, true);
  requireNumber(config.maxOpenTimeoutMultiplier, 'maxOpenTimeoutMultiplier', 1, 1_000, false);
  return config;
}

function requireNumber(value: unknown, key: string, minimum: number, maximum: number, integer: boolean): void {
  const valid =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= minimum &&
    value <= maximum &&
    (!integer || Number.isInteger(value));
  if (!valid) {
    const kind = integer ? 'an integer' : 'a number';
    throw new ConfigurationError(
      `circuitBreaker.${key}: expected ${kind} from ${minimum} to ${maximum}, got ${JSON.stringify(value)}`,
    );
  }
}
