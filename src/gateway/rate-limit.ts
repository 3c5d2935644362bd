import type { MiddlewareHandler } from 'hono';
import { setResponseHeader, type GatewayEnv } from './gateway-env.ts';
import { GatewayError } from './openai-error.ts';
import { requestGuard, type RequestCheck } from './request-guard.ts';
import { createTokenBucketLimiter, type TokenBucketOptions } from './token-bucket-limiter.ts';

/** Options of `rateLimit`: the bucket settings. */
export type RateLimitOptions = TokenBucketOptions;

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
  const limiter = createTokenBucketLimiter(options);
  return (context) => {
    const key = context.get('clientKey') ?? `address#${context.env?.incoming?.socket.remoteAddress ?? 'unknown'}`;
    const decision = limiter.take(key);
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
  };
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
