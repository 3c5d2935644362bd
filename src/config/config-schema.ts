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

/** `server.failedAuthLimit`: wrong keys per client address, then 429 with `retry-after`. */
export const failedAuthLimitSchema = z.object({
  /** Failed authentications an address may make per minute. Default 30. */
  perMinute: positiveInteger.default(30),
});

/** A host pattern: a host name (`api.openai.com`), `*.` and a domain (`*.openai.com`), or an IP literal. */
const HOST_PATTERN = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[[0-9A-Fa-f:.]+\]$/;

/** `server.admin`: limits of the admin API. */
export const adminSchema = z.object({
  /**
   * Hosts a provider added through `POST /admin/providers` may point at: exact names, `*.domain`
   * (any subdomain) or IP literals. Absent: any host.
   */
  allowedUpstreams: z
    .array(z.string().regex(HOST_PATTERN, 'must be a host name, *.domain or an IP literal'))
    .optional(),
});

/** The `server` block. */
export const serverSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: numeric(z.number().int().min(0).max(65535)).default(8787),
  apiKeys: z.array(z.string().min(1, 'must not be empty')).optional(),
  adminToken: z.string().min(1, 'must not be empty').optional(),
  maxBodyBytes: positiveInteger.default(10 * 1024 * 1024),
  rateLimit: rateLimitSchema.optional(),
  /** Listen queue length (connections accepted by the kernel, not yet by Node). */
  backlog: positiveInteger.default(4096),
  /** Most open client connections; more are closed at once. */
  maxConnections: positiveInteger.default(10_000),
  /** A client must send its whole header block within this (slowloris); else 408 and the connection is closed. */
  headersTimeoutMs: positiveInteger.default(10_000),
  /** An idle keep-alive client connection is closed after this. */
  keepAliveTimeoutMs: positiveInteger.default(65_000),
  failedAuthLimit: failedAuthLimitSchema.prefault({}),
  admin: adminSchema.prefault({}),
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

/** The `router` block. */
export const routerSchema = z.object({
  strategy: z.enum(STRATEGY_ENUM).default('latency'),
  circuitBreaker: circuitBreakerSchema.prefault({}),
  healthCheck: healthCheckSchema.prefault({}),
  maxAttempts: positiveInteger.default(3),
  requestTimeoutMs: nonNegativeInteger.default(120_000),
});

/** Longest provider name: it is a metric label, a header value and a log field. */
export const MAX_PROVIDER_NAME_LENGTH = 64;

/**
 * Names that clash with JavaScript objects' own properties (`__proto__`, `constructor`, …): a
 * provider so named would vanish from, or corrupt, any plain object keyed by provider name.
 */
export function isReservedName(name: string): boolean {
  return name === '__proto__' || name === 'prototype' || name in Object.prototype;
}

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
    .max(MAX_PROVIDER_NAME_LENGTH, `at most ${MAX_PROVIDER_NAME_LENGTH} characters`)
    .regex(/^[A-Za-z0-9_.:-]+$/, 'only letters, digits, _ . : - are allowed')
    .refine((name) => !isReservedName(name), 'is a reserved word (e.g. __proto__, constructor, prototype)'),
  /** Extra headers sent with every request: names are HTTP tokens, values have no CR, LF or NUL. */
  headers: z
    .record(
      z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'header names are HTTP tokens'),
      z.string().regex(/^[^\r\n\0]*$/, 'header values must not contain CR, LF or NUL'),
    )
    .optional(),
  type: z.enum(PROVIDER_TYPES),
  baseURL: z.url().optional(),
  apiKey: z.string().optional(),
  models: z.array(z.string().min(1, 'must not be empty')).min(1, 'must list at least one model').default(['*']),
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
