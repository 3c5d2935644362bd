import { z } from 'zod';
import { STRATEGY_NAMES } from '../router/strategies/create-strategy.ts';
import type { StrategyName } from '../router/types.ts';

/** Strategy names the config file accepts (the router's own list); anything else is refused at start-up. */
const STRATEGY_ENUM = STRATEGY_NAMES as unknown as readonly [StrategyName, ...StrategyName[]];

/** Provider types the config file accepts. */
export const PROVIDER_TYPES = ['openai', 'anthropic', 'mock'] as const;

const NUMERIC_STRING = /^\s*-?\d+(\.\d+)?\s*$/;

/** Numbers may arrive as strings after `${ENV}` interpolation (`port: ${PORT}`); accept those. */
function numeric<Schema extends z.ZodNumber>(schema: Schema) {
  return z.preprocess(
    (value) => (typeof value === 'string' && NUMERIC_STRING.test(value) ? Number(value) : value),
    schema,
  );
}

const positiveInteger = numeric(z.number().int().positive());
const nonNegativeInteger = numeric(z.number().int().nonnegative());

/** `server.rateLimit`: a token bucket per gateway key (or per client address when no keys are set). */
export const rateLimitSchema = z.object({
  /** Sustained rate: tokens added per minute. Default 60. */
  requestsPerMinute: positiveInteger.default(60),
  /** Bucket size: how many requests may arrive at once. Default 1.5 × requestsPerMinute. */
  burst: positiveInteger.optional(),
});

/** The `server` block. */
export const serverSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: numeric(z.number().int().min(0).max(65535)).default(8787),
  apiKeys: z.array(z.string().min(1, 'must not be empty')).optional(),
  adminToken: z.string().min(1, 'must not be empty').optional(),
  maxBodyBytes: positiveInteger.default(10 * 1024 * 1024),
  rateLimit: rateLimitSchema.optional(),
});

/** The `router.circuitBreaker` block; keys as in the router's `CircuitBreakerConfig`. */
export const circuitBreakerSchema = z.object({
  failureRateThreshold: numeric(z.number().min(0).max(1)).default(0.5),
  consecutiveFailureLimit: positiveInteger.default(5),
  halfOpenSuccessThreshold: positiveInteger.default(3),
  openTimeoutMs: nonNegativeInteger.default(30_000),
  halfOpenMaxProbes: positiveInteger.default(1),
  maxOpenTimeoutMultiplier: numeric(z.number().min(1)).default(10),
});

/** The `router.healthCheck` block; `intervalMs: 0` turns the checker off. */
export const healthCheckSchema = z.object({
  intervalMs: nonNegativeInteger.default(10_000),
  timeoutMs: positiveInteger.default(5_000),
});

/** Longest model name accepted in the model table and fallback chains. */
export const MAX_MODEL_NAME_LENGTH = 256;

const modelName = z.string().trim().min(1, 'must not be empty').max(MAX_MODEL_NAME_LENGTH);

/** `router.fallbacks` and its kin: model (or `"*"`) → models tried in order. */
export const fallbackChainsSchema = z.record(modelName, z.array(modelName));

/** The `router.retry` block: same-provider retries and the retry-after wait. */
export const retrySchema = z.strictObject({
  /** Extra tries on the same provider for 5xx / reset before headers / 408; never after a timeout. */
  sameProvider: nonNegativeInteger.default(1),
  /** First back-off in ms, jittered, doubling. */
  backoffMs: nonNegativeInteger.default(200),
  /** A 429/503 retry-after up to this is waited out on the same provider when nothing else can serve. */
  maxRetryAfterMs: nonNegativeInteger.default(3_000),
});

/** The `router` block. */
export const routerSchema = z.object({
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
  fallbacks: fallbackChainsSchema.default({}),
  contextWindowFallbacks: fallbackChainsSchema.default({}),
  contentPolicyFallbacks: fallbackChainsSchema.default({}),
  retry: retrySchema.prefault({}),
});

/** One `providers[].models` entry: a public name, or `{ name, upstream }` (clients ask for `name`, the provider gets `upstream`). */
export const modelEntrySchema = z.union(
  [
    modelName,
    z.strictObject({
      name: modelName.refine((name) => name !== '*', 'an alias cannot be "*"'),
      upstream: modelName,
    }),
  ],
  { error: 'expected a model name or { name, upstream }' },
);
const nonNegativeNumber = numeric(z.number().nonnegative());

/** One price: US dollars per million input and output tokens. */
export const modelPriceSchema = z.strictObject({
  inputPerMTok: nonNegativeNumber,
  outputPerMTok: nonNegativeNumber,
});

/** `providers[].pricing`: one price for every model, or a map from public model name to its price. */
export const pricingSchema = z.union([modelPriceSchema, z.record(z.string().min(1), modelPriceSchema)]);

/**
 * One `providers[]` entry. Keys beyond the documented ones (e.g. a mock provider's latency
 * and failure options) are kept and handed to the provider factory.
 */
export const providerEntrySchema = z.looseObject({
  name: z
    .string()
    .min(1, 'must not be empty')
    .regex(/^[A-Za-z0-9_.:-]+$/, 'only letters, digits, _ . : - are allowed'),
  type: z.enum(PROVIDER_TYPES),
  baseURL: z.url().optional(),
  apiKey: z.string().optional(),
  models: z.array(modelEntrySchema).min(1, 'must list at least one model').default(['*']),
  weight: numeric(z.number().nonnegative()).default(1),
  pricing: pricingSchema.optional(),
});

/** The whole config file. */
export const configSchema = z
  .object({
    server: serverSchema.prefault({}),
    router: routerSchema.prefault({}),
    providers: z.array(providerEntrySchema).default([]),
  })
  .superRefine((config, context) => {
    const seen = new Map<string, number>();
    config.providers.forEach((provider, index) => {
      const first = seen.get(provider.name);
      if (first === undefined) seen.set(provider.name, index);
      else
        context.addIssue({
          code: 'custom',
          path: ['providers', index, 'name'],
          message: `duplicate provider name '${provider.name}' (also providers[${first}])`,
        });
    });
  });

/** A validated config, defaults applied. */
export type SwitchboardConfig = z.output<typeof configSchema>;
/** One validated `providers[]` entry. */
export type ProviderEntry = z.output<typeof providerEntrySchema>;
/** The validated `server` block. */
export type ServerConfig = z.output<typeof serverSchema>;
/** The validated `router` block. */
export type RouterConfig = z.output<typeof routerSchema>;
/** A config as written in a file, before defaults. */
export type SwitchboardConfigInput = z.input<typeof configSchema>;
