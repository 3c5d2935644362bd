import { z } from 'zod';
import { CIRCUIT_BREAKER_RANGES, DEFAULT_CIRCUIT_BREAKER_CONFIG } from '../../router/circuit-config.ts';
import type { CircuitBreakerConfig } from '../../router/types.ts';
import { numeric } from './numeric.ts';

type CircuitKey = keyof CircuitBreakerConfig;

/** The zod number for one circuit setting, from the router's range table (the one source of truth). */
function settingSchema(key: CircuitKey): z.ZodNumber {
  const range = CIRCUIT_BREAKER_RANGES[key];
  const number = range.integer ? z.number().int() : z.number();
  return number.min(range.minimum).max(range.maximum);
}

function mapKeys<Value>(build: (key: CircuitKey) => Value): { [Key in CircuitKey]: Value } {
  const keys = Object.keys(CIRCUIT_BREAKER_RANGES) as CircuitKey[];
  return Object.fromEntries(keys.map((key) => [key, build(key)])) as { [Key in CircuitKey]: Value };
}

/**
 * Circuit-breaker settings to change, every key optional and checked against the router's
 * ranges: the body of the admin API's `PUT /admin/circuit-breaker`.
 */
export const circuitBreakerSettingsSchema = z.strictObject(mapKeys((key) => settingSchema(key).optional()));

/** The `router.circuitBreaker` block: the same keys and ranges, with the router's defaults. */
export const circuitBreakerSchema = z.strictObject(
  mapKeys((key) => numeric(settingSchema(key)).default(DEFAULT_CIRCUIT_BREAKER_CONFIG[key])),
);
