import { z } from 'zod';
import { PROVIDER_TYPES, type ProviderType } from '../../contract/provider-types.ts';
import { nonEmptyString, numeric, positiveInteger } from './numeric.ts';
import { modelEntrySchema } from './model-schema.ts';
import { pricingSchema } from './pricing-schema.ts';

/** Keys every `providers[]` entry has, whatever its type. Add a key all providers share here. */
export const providerBaseShape = {
  name: z
    .string()
    .min(1, 'must not be empty')
    .regex(/^[A-Za-z0-9_.:-]+$/, 'only letters, digits, _ . : - are allowed'),
  /** Public names, `{ name, upstream }` aliases, or `"*"` (any name, sent as asked). */
  models: z.array(modelEntrySchema).min(1, 'must list at least one model').default(['*']),
  weight: numeric(z.number().nonnegative()).default(1),
  /** The upstream's URL (a `mock` ignores it). */
  baseURL: z.url().optional(),
  /** The upstream's key (a `mock` ignores it, so a provider can be switched to `mock` without editing it). */
  apiKey: z.string().optional(),
  /** US dollars per million tokens, for the `cost` strategy and `switchboard_cost_usd_total`. */
  pricing: pricingSchema.optional(),
};

/** Keys of providers that call an upstream over HTTP (`openai`, `anthropic`). */
const upstreamShape = {
  /** Extra headers sent with every request. */
  headers: z.record(z.string(), z.string()).optional(),
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
