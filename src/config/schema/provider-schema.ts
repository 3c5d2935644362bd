import { z } from 'zod';
import { PROVIDER_TYPES, type ProviderType } from '../../contract/provider-types.ts';
import { nonEmptyString, numeric, positiveInteger } from './numeric.ts';
import { modelEntrySchema } from './model-schema.ts';
import { pricingSchema } from './pricing-schema.ts';

/** Longest provider name: it is a metric label, a header value and a log field. */
export const MAX_PROVIDER_NAME_LENGTH = 64;

/**
 * Names that clash with JavaScript objects' own properties (`__proto__`, `constructor`, …): a
 * provider so named would vanish from, or corrupt, any plain object keyed by provider name.
 */
export function isReservedName(name: string): boolean {
  return name === '__proto__' || name === 'prototype' || name in Object.prototype;
}

/** Keys every `providers[]` entry has, whatever its type. Add a key all providers share here. */
export const providerBaseShape = {
  name: z
    .string()
    .min(1, 'must not be empty')
    .max(MAX_PROVIDER_NAME_LENGTH, `at most ${MAX_PROVIDER_NAME_LENGTH} characters`)
    .regex(/^[A-Za-z0-9_.:-]+$/, 'only letters, digits, _ . : - are allowed')
    .refine((name) => !isReservedName(name), 'is a reserved word (e.g. __proto__, constructor, prototype)'),
  /** Public names, `{ name, upstream }` aliases, or `"*"` (any name, sent as asked). */
  models: z.array(modelEntrySchema).min(1, 'must list at least one model').default(['*']),
  weight: numeric(z.number().nonnegative()).default(1),
  /** The upstream's URL (a `mock` ignores it). */
  baseURL: z.url().optional(),
  /** The upstream's key (a `mock` ignores it, so a provider can be switched to `mock` without editing it). */
  apiKey: z.string().optional(),
  /** US dollars per million tokens, for the `cost` strategy and `switchboard_cost_usd_total`. */
  pricing: pricingSchema.optional(),
  /**
   * Parameters this provider cannot honour (e.g. `logprobs` on Anthropic) are dropped and listed in
   * `x-switchboard-dropped-params`, instead of a 400 `unsupported_parameter`.
   */
  dropUnsupportedParams: z.boolean().optional(),
};

/** Keys of providers that call an upstream over HTTP (`openai`, `anthropic`). */
const upstreamShape = {
  /** Extra headers sent with every request: names are HTTP tokens, values have no CR, LF or NUL. */
  headers: z
    .record(
      z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'header names are HTTP tokens'),
      z.string().regex(/^[^\r\n\0]*$/, 'header values must not contain CR, LF or NUL'),
    )
    .optional(),
  /** Maximum open sockets to the upstream. */
  connections: positiveInteger.optional(),
  keepAliveTimeoutMs: positiveInteger.optional(),
  connectTimeoutMs: positiveInteger.optional(),
  /** Largest non-streamed response body read, enforced while reading (over it: a protocol failure, 502). Default 64 MiB. */
  maxResponseBytes: positiveInteger.optional(),
  /** Largest SSE event of a stream, in characters (over it: a protocol failure). Default 1 MiB. */
  maxEventLength: positiveInteger.optional(),
};

const nonNegativeNumber = numeric(z.number().nonnegative());

/**
 * Each provider type's entry: the shared keys plus that type's own options. Add a type's option
 * in its entry here; a key of one type on another type's entry is an error.
 */
export const providerEntrySchemas = {
  openai: z.strictObject({ ...providerBaseShape, type: z.literal('openai'), ...upstreamShape }),
  anthropic: z.strictObject({
    ...providerBaseShape,
    type: z.literal('anthropic'),
    ...upstreamShape,
    defaultMaxTokens: positiveInteger.optional(),
    anthropicVersion: nonEmptyString.optional(),
  }),
  mock: z.strictObject({
    ...providerBaseShape,
    type: z.literal('mock'),
    latencyMs: nonNegativeNumber.optional(),
    firstChunkDelayMs: nonNegativeNumber.optional(),
    chunkDelayMs: nonNegativeNumber.optional(),
    failureRate: numeric(z.number().min(0).max(1)).optional(),
    failWith: numeric(z.number().int().min(100).max(599)).optional(),
    retryAfterMs: nonNegativeNumber.optional(),
    failAfterChunks: numeric(z.number().int().nonnegative()).optional(),
    reply: z.string().optional(),
    words: positiveInteger.optional(),
    seed: numeric(z.number()).optional(),
    healthy: z.boolean().optional(),
    supportsPrefill: z.boolean().optional(),
  }),
} satisfies { [Type in ProviderType]: z.ZodObject };

const PROVIDER_TYPE_LIST = PROVIDER_TYPES.join(', ');

/** One `providers[]` entry, checked by its `type`: the options of another type are errors. */
export const providerEntrySchema = z.discriminatedUnion(
  'type',
  PROVIDER_TYPES.map((type) => providerEntrySchemas[type]) as unknown as [
    (typeof providerEntrySchemas)['openai'],
    (typeof providerEntrySchemas)['anthropic'],
    (typeof providerEntrySchemas)['mock'],
  ],
  { error: (issue) => (issue.code === 'invalid_union' ? `must be one of ${PROVIDER_TYPE_LIST}` : undefined) },
);
