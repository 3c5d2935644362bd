import { Hono } from 'hono';
import type { GatewayMetrics } from '../metrics/gateway-metrics.ts';
import type { Router } from '../router/router.ts';
import type { GatewayEnv } from './gateway-env.ts';

/** Options of `statusRoutes`. */
export interface StatusRoutesOptions {
  router: Router;
  metrics?: GatewayMetrics | undefined;
}

/**
 * The open operational endpoints: `GET /health` (liveness, always 200 while serving),
 * `GET /ready` (200 when at least one provider can take traffic, else 503) and
 * `GET /metrics` (Prometheus text).
 */
export function statusRoutes(options: StatusRoutesOptions): Hono<GatewayEnv> {
  const { router, metrics } = options;
  const app = new Hono<GatewayEnv>();
  app.get('/health', (context) => context.json({ status: 'ok' }));
  app.get('/ready', (context) =>
    router.isReady()
      ? context.json({ status: 'ready' })
      : context.json({ status: 'unavailable', message: 'No provider can take traffic.' }, 503),
  );
  if (metrics !== undefined) {
    app.get('/metrics', async (context) =>
      context.body(await metrics.render(), 200, { 'content-type': metrics.contentType }),
    );
  }
  return app;
}
