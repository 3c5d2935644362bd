import { z } from 'zod';

/** A `redis://` or `rediss://` URL (user, password, host, port, database). */
const redisUrl = z
  .string()
  .max(2048)
  .refine((value) => /^rediss?:\/\/[^\s]+$/.test(value), 'must be a redis:// or rediss:// URL');

/** `state.redis`: share router state with every replica on this Redis. */
export const redisStateSchema = z.strictObject({
  url: redisUrl,
  /** Prefix of every key and of the pub/sub channel: replicas with the same prefix share. Default `switchboard:`. */
  keyPrefix: z.string().min(1).max(200).default('switchboard:'),
});

/** The `state` block (scale-out): where replicas share circuits, cool-downs, rate limits and admin changes. */
export const stateSchema = z.strictObject({
  redis: redisStateSchema.optional(),
});
