import type { MiddlewareHandler } from 'hono';
import type { GatewayContext, GatewayEnv } from './gateway-env.ts';

/**
 * One admission check of a request (a key, a rate, a declared size): returns to let the
 * request through, throws a `GatewayError` to answer it instead. Synchronous, except a check
 * that must ask shared state (a fleet-wide rate limit), which returns a promise.
 */
export type RequestCheck = (context: GatewayContext) => void | Promise<void>;

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
  const runFrom = (index: number, context: GatewayContext, next: () => Promise<void>): Promise<void> => {
    for (let position = index; position < checks.length; position += 1) {
      const pending = checks[position]!(context);
      if (pending !== undefined) return pending.then(() => runFrom(position + 1, context, next));
    }
    return next();
  };
  return (context, next) => runFrom(0, context, next);
}
