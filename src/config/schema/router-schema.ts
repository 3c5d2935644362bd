import { z } from 'zod';
import { STRATEGY_NAMES } from '../../router/strategies/create-strategy.ts';
import type { StrategyName } from '../../router/types.ts';
import { circuitBreakerSchema } from './circuit-breaker-schema.ts';
import { nonNegativeInteger, positiveInteger } from './numeric.ts';

/** Strategy names the config file accepts (the router's own list); anything else is refused at start-up. */
const STRATEGY_ENUM = STRATEGY_NAMES as unknown as readonly [StrategyName, ...StrategyName[]];

/** The `router.healthCheck` block; `intervalMs: 0` turns the checker off. */
export const healthCheckSchema = z.strictObject({
  intervalMs: nonNegativeInteger.default(10_000),
  timeoutMs: positiveInteger.default(5_000),
});

/** The `router` block: strategy, circuit breaker, health checks, attempts and timeouts. Add a router key here. */
export const routerSchema = z.strictObject({
  strategy: z.enum(STRATEGY_ENUM).default('latency'),
  circuitBreaker: circuitBreakerSchema.prefault({}),
  healthCheck: healthCheckSchema.prefault({}),
  maxAttempts: positiveInteger.default(3),
  requestTimeoutMs: nonNegativeInteger.default(120_000),
});
