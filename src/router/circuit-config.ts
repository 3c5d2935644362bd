import { ConfigurationError } from './errors.ts';
import type { CircuitBreakerConfig } from './types.ts';

/** The circuit defaults (docs/go-port.md lists where they come from), with the probe cap and back-off cap. */
export const DEFAULT_CIRCUIT_BREAKER_CONFIG: Readonly<CircuitBreakerConfig> = Object.freeze({
  failureRateThreshold: 0.5,
  consecutiveFailureLimit: 5,
  halfOpenSuccessThreshold: 3,
  openTimeoutMs: 30_000,
  halfOpenMaxProbes: 1,
  maxOpenTimeoutMultiplier: 10,
});

/** The allowed range of one circuit-breaker setting (both ends included). */
export interface SettingRange {
  minimum: number;
  maximum: number;
  integer: boolean;
}

/**
 * The allowed range of every circuit-breaker setting: the one source of truth that the router
 * checks here and from which the config file's and the admin API's schemas are built.
 */
export const CIRCUIT_BREAKER_RANGES: Readonly<Record<keyof CircuitBreakerConfig, Readonly<SettingRange>>> =
  Object.freeze({
    failureRateThreshold: { minimum: 0, maximum: 1, integer: false },
    consecutiveFailureLimit: { minimum: 1, maximum: Number.MAX_SAFE_INTEGER, integer: true },
    halfOpenSuccessThreshold: { minimum: 1, maximum: Number.MAX_SAFE_INTEGER, integer: true },
    openTimeoutMs: { minimum: 0, maximum: Number.MAX_SAFE_INTEGER, integer: true },
    halfOpenMaxProbes: { minimum: 1, maximum: Number.MAX_SAFE_INTEGER, integer: true },
    maxOpenTimeoutMultiplier: { minimum: 1, maximum: 1_000, integer: false },
  });

/**
 * Merges `overrides` over `base` and checks every value against `CIRCUIT_BREAKER_RANGES`, so a
 * bad setting fails where it is made rather than as odd routing later.
 *
 * @throws ConfigurationError with one issue per bad key (path `circuitBreaker.<key>`).
 */
export function resolveCircuitConfig(
  overrides: Partial<CircuitBreakerConfig> | undefined,
  base: Readonly<CircuitBreakerConfig> = DEFAULT_CIRCUIT_BREAKER_CONFIG,
): CircuitBreakerConfig {
  const config: CircuitBreakerConfig = { ...base };
  const issues: { path: string; message: string }[] = [];
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (value === undefined) continue;
    if (!Object.hasOwn(CIRCUIT_BREAKER_RANGES, key))
      issues.push({ path: `circuitBreaker.${key}`, message: 'unknown setting' });
    else (config as unknown as Record<string, unknown>)[key] = value;
  }
  for (const [key, range] of Object.entries(CIRCUIT_BREAKER_RANGES)) {
    const value = config[key as keyof CircuitBreakerConfig];
    if (!inRange(value, range)) issues.push({ path: `circuitBreaker.${key}`, message: describeRange(range, value) });
  }
  if (issues.length === 1) throw new ConfigurationError(`${issues[0]!.path}: ${issues[0]!.message}`);
  if (issues.length > 1) throw new ConfigurationError(issues);
  return config;
}

/** True when `value` is a finite number within `range`. */
export function inRange(value: unknown, range: SettingRange): value is number {
  return (
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= range.minimum &&
    value <= range.maximum &&
    (!range.integer || Number.isInteger(value))
  );
}

/** `expected an integer from 1 to …, got …`. */
function describeRange(range: SettingRange, value: unknown): string {
  const kind = range.integer ? 'an integer' : 'a number';
  return `expected ${kind} from ${range.minimum} to ${range.maximum}, got ${JSON.stringify(value)}`;
}
