import { z } from 'zod';
import { nonNegativeInteger } from './numeric.ts';

/** Longest model name accepted in the model table and fallback chains. */
export const MAX_MODEL_NAME_LENGTH = 256;

const modelName = z.string().trim().min(1, 'must not be empty').max(MAX_MODEL_NAME_LENGTH);

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
