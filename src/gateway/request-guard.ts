import type { MiddlewareHandler } from 'hono';
import type { GatewayContext, GatewayEnv } from './gateway-env.ts';

/**
 * One synchronous admission check of a request (a key, a rate, a declared size): returns to
 * let the request through, throws a `GatewayError` to answer it instead.
 */
export type RequestCheck = (context: GatewayContext) => void;

/**
 * Middleware running `checks` in order, then the rest of the chain: one layer for all of them,
 * since each Hono layer costs an async frame and a promise (docs/performance.md).
 *
 * @example
 * ```ts
 * app.use('/v1/*', requestGuard(requireBearerToken({ tokens }), limitRate({ requestsPerMinute: 60 })));
 * ```
 */
export function requestGuard(...checks: RequestCheck[]): MiddlewareHandler<GatewayEnv> {
  return (context, next) => {
    for (const check of checks) check(context);
    return next();
  };
}
