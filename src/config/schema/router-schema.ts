import { z } from 'zod';
import { STRATEGY_NAMES } from '../../router/strategies/create-strategy.ts';
import type { StrategyName } from '../../router/types.ts';
import { circuitBreakerSchema } from './circuit-breaker-schema.ts';
import { fallbackChainsSchema, retrySchema } from './model-schema.ts';
import { MAX_HEDGES } from '../../router/hedge-policy.ts';
import { nonNegativeInteger, numeric, positiveInteger } from './numeric.ts';

/** Strategy names the config file accepts (the router's own list); anything else is refused at start-up. */
const STRATEGY_ENUM = STRATEGY_NAMES as unknown as readonly [StrategyName, ...StrategyName[]];

/** The `router.healthCheck` block; `intervalMs: 0` turns the checker off. */
export const healthCheckSchema = z.strictObject({
  intervalMs: nonNegativeInteger.default(10_000),
  timeoutMs: positiveInteger.default(5_000),
});

/** `router.affinity`: sessions stick to one provider (rendezvous hashing); the header carries the session key. */
export const affinitySchema = z.strictObject({
  header: z
    .string()
    .max(128)
    .regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'must be an HTTP header name')
    .default('x-session-id'),
  ttlMs: positiveInteger.default(3_600_000),
});

/** `router.hedge`: a second attempt on another provider when the first has no first token after `afterMs`. */
export const hedgeSchema = z.strictObject({
  afterMs: z.union([positiveInteger, z.literal('p95')], { error: 'expected a positive number of ms or "p95"' }),
  max: numeric(z.number().int().min(1).max(MAX_HEDGES)).default(1),
});

/** `router.retryBudget`: retries, fallbacks and hedges together at most `ratio` × requests (or `minPerSecond`) over 10 s. */
export const retryBudgetSchema = z.strictObject({
  ratio: numeric(z.number().nonnegative().max(100)).default(0.2),
  minPerSecond: numeric(z.number().nonnegative().max(1_000_000)).default(3),
});

/**
 * The `router` block: strategy, circuit breaker, health checks, attempts, deadline, timeouts,
 * retries and fallback chains. Add a router key here.
 */
export const routerSchema = z.strictObject({
  strategy: z.enum(STRATEGY_ENUM).default('latency'),
  circuitBreaker: circuitBreakerSchema.prefault({}),
  healthCheck: healthCheckSchema.prefault({}),
  /** Upstream attempts per request: providers, fallback models and retries together. */
  maxAttempts: positiveInteger.default(3),
  /** The whole request, every attempt and wait included. */
  deadlineMs: positiveInteger.default(120_000),
  requestTimeoutMs: nonNegativeInteger.default(120_000),
  firstTokenTimeoutMs: nonNegativeInteger.default(15_000),
  streamIdleTimeoutMs: nonNegativeInteger.default(30_000),
  /** Streams: `continue` goes on from the next candidate after a failure past the commit point. */
  streamRecovery: z.enum(['off', 'continue']).default('off'),
  fallbacks: fallbackChainsSchema.default({}),
  contextWindowFallbacks: fallbackChainsSchema.default({}),
  contentPolicyFallbacks: fallbackChainsSchema.default({}),
  retry: retrySchema.prefault({}),
  /** Opt-in: absent means off. */
  affinity: affinitySchema.optional(),
  hedge: hedgeSchema.optional(),
  retryBudget: retryBudgetSchema.optional(),
});
