import { z } from 'zod';
import { nonEmptyString, numeric, positiveInteger } from './numeric.ts';

/** `server.rateLimit`: a token bucket per gateway key (or per client address when no keys are set). */
export const rateLimitSchema = z.strictObject({
  /** Sustained rate: tokens added per minute. Default 60. */
  requestsPerMinute: positiveInteger.default(60),
  /** Bucket size: how many requests may arrive at once. Default 1.5 × requestsPerMinute. */
  burst: positiveInteger.optional(),
});

/** The `server` block: where the gateway listens, who may call it, how much it accepts. Add a server key here. */
export const serverSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: numeric(z.number().int().min(0).max(65535)).default(8787),
  apiKeys: z.array(nonEmptyString).optional(),
  adminToken: nonEmptyString.optional(),
  maxBodyBytes: positiveInteger.default(10 * 1024 * 1024),
  rateLimit: rateLimitSchema.optional(),
});
