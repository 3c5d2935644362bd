import type { MiddlewareHandler } from 'hono';
import { setResponseHeader, type GatewayEnv } from './gateway-env.ts';
import { GatewayError } from './openai-error.ts';
import { requestGuard, type RequestCheck } from './request-guard.ts';
import type { GatewayContext } from './gateway-env.ts';
import { createTokenBucketLimiter, type RateLimitDecision, type TokenBucketOptions } from './token-bucket-limiter.ts';
import type { TokenDecision } from '../state/shared-state.ts';

/** One token from a bucket shared by a fleet (a `SharedStateBackend`'s `takeToken`). */
export type SharedTokenTaker = (
  key: string,
  settings: { capacity: number; requestsPerMinute: number },
) => TokenDecision | Promise<TokenDecision>;

/** Options of `rateLimit`: the bucket settings, and where the buckets live. */
export interface RateLimitOptions extends TokenBucketOptions {
  /**
   * Buckets shared by every replica (Redis, or a cluster's primary): one round trip per request,
   * answered by a local bucket when the store is down. Default: buckets in this process.
   */
  shared?: SharedTokenTaker | undefined;
}

/**
 * Check: a token bucket per client, placed AFTER authentication so it is keyed on the
 * verified gateway key (`c.var.clientKey`), or on the client address when no keys are
 * configured. Sets `x-ratelimit-limit`, `x-ratelimit-remaining`, `x-ratelimit-reset`; a
 * refused request gets 429 `rate_limit_exceeded` with `retry-after`.
 *
 * @example
 * ```ts
 * app.use('/v1/*', requestGuard(requireBearerToken({ tokens }), limitRate({ requestsPerMinute: 60 })));
 * ```
 */
export function limitRate(options: RateLimitOptions): RequestCheck {
  const keyOf = (context: GatewayContext) =>
    context.get('clientKey') ?? `address#${context.env?.incoming?.socket.remoteAddress ?? 'unknown'}`;
  const shared = options.shared;
  if (shared !== undefined) {
    const limit = options.requestsPerMinute;
    const settings = { capacity: options.burst ?? Math.max(1, Math.ceil(limit * 1.5)), requestsPerMinute: limit };
    return (context) => {
      const decision = shared(`ratelimit:${keyOf(context)}`, settings);
      if (!(decision instanceof Promise)) return answer(context, { ...decision, limit });
      return decision.then((taken) => answer(context, { ...taken, limit }));
    };
  }
  const limiter = createTokenBucketLimiter(options);
  return (context) => answer(context, limiter.take(keyOf(context)));
}

/** Sets the rate-limit headers, or throws the 429 of a refused request. */
function answer(context: GatewayContext, decision: RateLimitDecision): void {
  const limit = String(decision.limit);
  const remaining = String(decision.remaining);
  const reset = String(decision.resetSeconds);
  if (!decision.allowed) {
    throw new GatewayError(429, 'Rate limit reached for this API key; retry later.', {
      type: 'rate_limit_error',
      code: 'rate_limit_exceeded',
      headers: {
        'x-ratelimit-limit': limit,
        'x-ratelimit-remaining': remaining,
        'x-ratelimit-reset': reset,
        'retry-after': String(decision.retryAfterSeconds),
      },
    });
  }
  setResponseHeader(context, 'x-ratelimit-limit', limit);
  setResponseHeader(context, 'x-ratelimit-remaining', remaining);
  setResponseHeader(context, 'x-ratelimit-reset', reset);
}

/**
 * Middleware form of `limitRate`.
 *
 * @example
 * ```ts
 * app.use('/v1/*', bearerAuth({ tokens }), rateLimit({ requestsPerMinute: 60 }));
 * ```
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler<GatewayEnv> {
  return requestGuard(limitRate(options));
}
