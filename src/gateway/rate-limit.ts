import type { MiddlewareHandler } from 'hono';
import { setResponseHeader, type GatewayEnv } from './gateway-env.ts';
import { GatewayError } from './openai-error.ts';
import { createTokenBucketLimiter, type TokenBucketOptions } from './token-bucket-limiter.ts';

/** Options of `rateLimit`: the bucket settings. */
export type RateLimitOptions = TokenBucketOptions;

/**
 * Middleware: a token bucket per client, placed AFTER authentication so it is keyed on the
 * verified gateway key (`c.var.clientKey`), or on the client address when no keys are
 * configured. Sets `x-ratelimit-limit`, `x-ratelimit-remaining`, `x-ratelimit-reset`; a
 * refused request gets 429 `rate_limit_exceeded` with `retry-after`.
 *
 * @example
 * ```ts
 * app.use('/v1/*', bearerAuth({ tokens }), rateLimit({ requestsPerMinute: 60 }));
 * ```
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler<GatewayEnv> {
  const limiter = createTokenBucketLimiter(options);
  return async (context, next) => {
    const key = context.get('clientKey') ?? `address#${context.env?.incoming?.socket.remoteAddress ?? 'unknown'}`;
    const decision = limiter.take(key);
    const headers: Record<string, string> = {
      'x-ratelimit-limit': String(decision.limit),
      'x-ratelimit-remaining': String(decision.remaining),
      'x-ratelimit-reset': String(decision.resetSeconds),
    };
    if (!decision.allowed) {
      throw new GatewayError(429, 'Rate limit reached for this API key; retry later.', {
        type: 'rate_limit_error',
        code: 'rate_limit_exceeded',
        headers: { ...headers, 'retry-after': String(decision.retryAfterSeconds) },
      });
    }
    for (const name in headers) setResponseHeader(context, name, headers[name]!);
    await next();
  };
}
