import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ConfigurationError } from '../contract/configuration-error.ts';
import { SecretScrubber } from '../contract/secret-scrubber.ts';
import type { GatewayMetrics } from '../metrics/gateway-metrics.ts';
import type { Router } from '../router/router.ts';
import { adminRoutes, type ProviderFactory } from './admin-routes.ts';
import { requireBearerToken } from './bearer-auth.ts';
import { FailedAuthLimiter } from './failed-auth-limiter.ts';
import { bodyLimit, limitDeclaredBodySize } from './body-limit.ts';
import { chatCompletionsHandler } from './chat-completions-route.ts';
import { countTokensHandler } from './count-tokens-route.ts';
import { cors, type CorsOptions } from './cors.ts';
import { embeddingsHandler } from './embeddings-route.ts';
import type { EndpointSettings } from './endpoint-handler.ts';
import { errorBodyIn, errorShapeOf } from './error-shape.ts';
import { createInstanceId, guardAgainstLoops } from './loop-guard.ts';
import { messagesHandler } from './messages-route.ts';
import { responsesHandler } from './responses-route.ts';
import type { GatewayEnv } from './gateway-env.ts';
import { GatewayError, internalError } from './openai-error.ts';
import { limitRate, type SharedTokenTaker } from './rate-limit.ts';
import type { AdminEvent } from '../state/shared-state.ts';
import { requestContext } from './request-context.ts';
import { requestGuard, type RequestCheck } from './request-guard.ts';
import {
  jsonLineLogger,
  levelFilter,
  scrubbingLogger,
  silentLogger,
  type LogLevel,
  type RequestLogger,
} from './request-log.ts';
import { logRouterEvents } from './router-event-log.ts';
import { modelsRoutes } from './models-routes.ts';
import { DASHBOARD_HEADERS, DASHBOARD_HTML } from './dashboard-page.ts';
import { createRouterEventStream } from './router-event-stream.ts';
import { ServerLifecycle } from './server-lifecycle.ts';
import { RequestTracer } from '../tracing/request-tracer.ts';
import { traced } from './traced-handler.ts';
import { statusRoutes } from './status-routes.ts';

const CHAT_COMPLETIONS_PATH = '/v1/chat/completions';
/** The POST endpoints routed to providers, counted in the request metrics even when refused before routing. */
const ROUTED_PATHS = new Set([
  CHAT_COMPLETIONS_PATH,
  '/v1/messages',
  '/v1/messages/count_tokens',
  '/v1/responses',
  '/v1/embeddings',
]);

/** Default of `GatewayOptions.failedAuthLimit.perMinute`. */
export const DEFAULT_FAILED_AUTH_PER_MINUTE = 30;

/** Default of `GatewayOptions.maxBodyBytes`: 10 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * Options of `createGateway`: plain values, so the gateway knows nothing of the config file
 * (bootstrap maps `server.*` and `router.*` onto these).
 */
export interface GatewayOptions {
  /** The router every chat completion goes through. */
  router: Router;
  /** Metrics to feed and to serve on `/metrics`; without them `/metrics` is a 404. */
  metrics?: GatewayMetrics | undefined;
  /** Request log sink. Default: JSON lines on stdout (silent under vitest). */
  logger?: RequestLogger | undefined;
  /** Clock of the rate limiter, in ms. Default `Date.now`. */
  clock?: (() => number) | undefined;
  /** Gateway keys: when non-empty, `/v1/*` requires `Authorization: Bearer <one of them>`. */
  apiKeys?: readonly string[] | undefined;
  /** Token of the admin API; `/admin/*` exists only when it is set. */
  adminToken?: string | undefined;
  /** Largest accepted request body in bytes; larger ones get 413. Default 10 MiB. */
  maxBodyBytes?: number | undefined;
  /** A token bucket per gateway key (or client address); none when unset. */
  rateLimit?: { requestsPerMinute: number; burst?: number | undefined } | undefined;
  /**
   * Overrides the router's `maxAttempts` for every chat completion. Better set on the router
   * (bootstrap does): an override costs a merge of routing options per request.
   */
  maxAttempts?: number | undefined;
  /** Overrides the router's `requestTimeoutMs` for every chat completion (same caveat). */
  requestTimeoutMs?: number | undefined;
  /** Checks and builds adapters for `POST /admin/providers`; without it that route answers 501. */
  providerFactory?: ProviderFactory | undefined;
  /**
   * This gateway's id in `x-switchboard-via` (the loop guard). Default: a random id per gateway;
   * set the same one on replicas behind one address only if they must refuse each other's hops.
   */
  instanceId?: string | undefined;
  /**
   * The secret scrubber of upstream text (error answers, stream error events, log lines, admin
   * views), holding the configured upstream keys; providers added through the admin API add theirs.
   * Default: one holding the gateway's own keys, scrubbing credential patterns.
   */
  scrubber?: SecretScrubber | undefined;
  /**
   * Wrong gateway keys or admin tokens allowed per client address per minute; past it, 429 with
   * `retry-after` whatever key is sent. Default 30.
   */
  failedAuthLimit?: { perMinute: number } | undefined;
  /** Host patterns a provider added through the admin API may point at (`*.openai.com`); absent = any. */
  allowedUpstreams?: readonly string[] | undefined;
  /** Shutdown phases of the server serving the app: open event streams end when it begins. */
  lifecycle?: ServerLifecycle | undefined;
  /** Interval of the keep-alive comment on `GET /admin/events`. Default 15000 ms. */
  eventKeepAliveMs?: number | undefined;
  /** Records below this level are dropped (`server.logLevel`). Default `info`. */
  logLevel?: LogLevel | undefined;
  /** Browser origins allowed to call the gateway (`server.cors`); absent: no CORS. */
  cors?: CorsOptions | undefined;
  /** Rate-limit buckets shared by a fleet (`state.redis`, or a cluster's primary); default buckets in this process. */
  sharedRateLimit?: SharedTokenTaker | undefined;
  /** Told of every operator change made through this gateway's admin API, to share it with the fleet. */
  onAdminChange?: ((event: AdminEvent) => void) | undefined;
  /** `POST /admin/reload`: re-reads the config (see `AdminRoutesOptions.reload`); absent = 409. */
  reload?: (() => Promise<object>) | undefined;
}

/**
 * Builds the gateway's Hono app: OpenAI-compatible `/v1/chat/completions` and `/v1/models`,
 * `/health`, `/ready`, `/metrics`, and `/admin/*` (with `GET /admin/events`, router events as SSE) and
 * `GET /dashboard` when `adminToken` is set. Request ids on every response, bearer auth on `/v1/*`
 * when `apiKeys` is set, a per-key rate limit after auth when `rateLimit` is set, a body limit,
 * OpenAI-shaped errors. The app does not listen: serve `app.fetch` (see `startServer` in
 * `switchboard/bootstrap`).
 *
 * @example
 * ```ts
 * import { serve } from '@hono/node-server';
 * const app = createGateway({ router, metrics: createMetrics({ router }), apiKeys: ['sk-gateway'] });
 * serve({ fetch: app.fetch, port: 8787 });
 * ```
 */
export function createGateway(options: GatewayOptions): Hono<GatewayEnv> {
  const { router, metrics, apiKeys, adminToken, rateLimit } = options;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const scrubber = options.scrubber ?? new SecretScrubber([...(apiKeys ?? []), adminToken]);
  const logger = levelFilter(
    scrubbingLogger(options.logger ?? (process.env.VITEST ? silentLogger : jsonLineLogger()), scrubber),
    options.logLevel ?? 'info',
  );
  logRouterEvents({ router, logger, scrubber });
  const app = new Hono<GatewayEnv>();

  app.use('*', requestContext({ logger }));
  // Before auth: a browser's preflight carries no key.
  if (options.cors !== undefined) app.use('*', cors(options.cors));

  const failedAuth = new FailedAuthLimiter({
    perMinute: options.failedAuthLimit?.perMinute ?? DEFAULT_FAILED_AUTH_PER_MINUTE,
    clock: options.clock,
  });
  // First: a request coming back through one of our own providers is refused before anything else.
  const checks: RequestCheck[] = [guardAgainstLoops(options.instanceId ?? createInstanceId())];
  if (apiKeys !== undefined && apiKeys.length > 0) checks.push(requireBearerToken({ tokens: apiKeys, failedAuth }));
  if (rateLimit !== undefined) {
    checks.push(
      limitRate({
        requestsPerMinute: rateLimit.requestsPerMinute,
        burst: rateLimit.burst,
        clock: options.clock,
        shared: options.sharedRateLimit,
      }),
    );
  }
  checks.push(limitDeclaredBodySize({ maxBytes: maxBodyBytes }));
  app.use('/v1/*', requestGuard(...checks));

  const chatCompletions = chatCompletionsHandler({
    router,
    metrics,
    logger,
    maxBodyBytes,
    maxAttempts: options.maxAttempts,
    requestTimeoutMs: options.requestTimeoutMs,
    scrubber,
    lifecycle: options.lifecycle,
  });
  // Spans only when the host registered an OpenTelemetry SDK; otherwise the handler runs as is.
  const tracer = new RequestTracer({ router });
  app.post(CHAT_COMPLETIONS_PATH, traced(tracer, CHAT_COMPLETIONS_PATH, 'chat', chatCompletions));
  const endpointSettings: EndpointSettings = {
    router,
    metrics,
    logger,
    maxBodyBytes,
    maxAttempts: options.maxAttempts,
    requestTimeoutMs: options.requestTimeoutMs,
    scrubber,
  };
  app.post('/v1/messages', traced(tracer, '/v1/messages', 'chat', messagesHandler(endpointSettings)));
  app.post('/v1/messages/count_tokens', countTokensHandler(endpointSettings));
  app.post('/v1/responses', traced(tracer, '/v1/responses', 'chat', responsesHandler(endpointSettings)));
  app.post('/v1/embeddings', traced(tracer, '/v1/embeddings', 'embeddings', embeddingsHandler(endpointSettings)));
  app.route('/', modelsRoutes({ router }));
  app.route('/', statusRoutes({ router, metrics }));
  if (adminToken !== undefined) {
    const events = createRouterEventStream({
      router,
      scrubber,
      ...(options.eventKeepAliveMs !== undefined ? { keepAliveMs: options.eventKeepAliveMs } : {}),
    });
    (options.lifecycle ?? new ServerLifecycle()).on('shutdown', () => events.close());
    app.get('/dashboard', (context) => context.body(DASHBOARD_HTML, 200, DASHBOARD_HEADERS));
    app.use('/admin/*', bodyLimit({ maxBytes: maxBodyBytes }));
    app.route(
      '/admin',
      adminRoutes({
        router,
        adminToken,
        providerFactory: options.providerFactory,
        maxBodyBytes,
        scrubber,
        allowedUpstreams: options.allowedUpstreams,
        failedAuth,
        events: events.handler,
        onChange: options.onAdminChange,
        reload: options.reload,
      }),
    );
  }

  app.notFound((context) =>
    context.json(
      errorBodyIn(
        errorShapeOf(context.req.path),
        new GatewayError(404, `Unknown request URL: ${context.req.method} ${context.req.path}.`, {
          type: 'invalid_request_error',
          code: 'unknown_url',
        }),
      ),
      404,
    ),
  );

  app.onError((error, context) => {
    const gatewayError = toGatewayError(error);
    if (gatewayError.status >= 500 && !(error instanceof GatewayError)) {
      logger({
        time: new Date().toISOString(),
        level: 'error',
        msg: 'unexpected error',
        id: context.get('requestId'),
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    }
    const fields = context.get('logFields');
    if (fields !== undefined) fields.errorCode = gatewayError.code;
    // A request refused by a check (key, rate, declared size, loop) never reached its handler, which counts the rest.
    if (
      metrics !== undefined &&
      fields?.status === undefined &&
      context.req.method === 'POST' &&
      ROUTED_PATHS.has(context.req.path)
    ) {
      metrics.requestRefused({
        status: gatewayError.status,
        durationMs: performance.now() - (context.get('startedAt') ?? performance.now()),
        endpoint: context.req.path,
      });
    }
    return context.json(
      errorBodyIn(errorShapeOf(context.req.path), gatewayError),
      gatewayError.status as 400,
      gatewayError.headers,
    );
  });

  return app;
}

function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  if (ConfigurationError.isInstance(error))
    return new GatewayError(400, error.message, { type: 'invalid_request_error', code: 'invalid_configuration' });
  if (error instanceof HTTPException) {
    const type = error.status >= 500 ? 'server_error' : 'invalid_request_error';
    return new GatewayError(
      error.status,
      error.status >= 500 ? 'The gateway failed to process the request.' : error.message,
      { type },
    );
  }
  return internalError();
}
