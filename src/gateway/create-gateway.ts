import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { SwitchboardConfig } from '../config/config-schema.ts';
import { SecretScrubber } from '../contract/secret-scrubber.ts';
import type { GatewayMetrics } from '../metrics/gateway-metrics.ts';
import { ConfigurationError } from '../router/errors.ts';
import type { Router } from '../router/router.ts';
import { adminRoutes, type ProviderFactory } from './admin-routes.ts';
import { requireBearerToken } from './bearer-auth.ts';
import { FailedAuthLimiter } from './failed-auth-limiter.ts';
import { bodyLimit, limitDeclaredBodySize } from './body-limit.ts';
import { chatCompletionsHandler } from './chat-completions-route.ts';
import type { GatewayEnv } from './gateway-env.ts';
import { GatewayError, internalError, openAIErrorBody } from './openai-error.ts';
import { limitRate } from './rate-limit.ts';
import { requestContext } from './request-context.ts';
import { requestGuard, type RequestCheck } from './request-guard.ts';
import { jsonLineLogger, scrubbingLogger, silentLogger, type RequestLogger } from './request-log.ts';
import { modelsRoutes } from './models-routes.ts';
import { DASHBOARD_HEADERS, DASHBOARD_HTML } from './dashboard-page.ts';
import { createRouterEventStream } from './router-event-stream.ts';
import { ServerLifecycle } from './server-lifecycle.ts';
import { RequestTracer } from '../tracing/request-tracer.ts';
import { statusRoutes } from './status-routes.ts';

const CHAT_COMPLETIONS_PATH = '/v1/chat/completions';

/** Options of `createGateway`. */
export interface GatewayOptions {
  /** The router every chat completion goes through. */
  router: Router;
  /** The validated config; only `server` and `router.maxAttempts`/`requestTimeoutMs` are read here. */
  config: Pick<SwitchboardConfig, 'server' | 'router'>;
  /** Metrics to feed and to serve on `/metrics`; without them `/metrics` is a 404. */
  metrics?: GatewayMetrics | undefined;
  /** Request log sink. Default: JSON lines on stdout (silent under vitest). */
  logger?: RequestLogger | undefined;
  /** Builds adapters for `POST /admin/providers` (providers' `createProvider`). */
  createProvider?: ProviderFactory | undefined;
  /** Clock of the rate limiter, in ms. Default `Date.now`. */
  clock?: (() => number) | undefined;
  /**
   * The secret scrubber of upstream text (error answers, stream error events, log lines, admin
   * views), holding the configured upstream keys; providers added through the admin API add theirs.
   * Default: one holding the gateway's own keys, scrubbing credential patterns.
   */
  scrubber?: SecretScrubber | undefined;
  /** Shutdown phases of the server serving the app: open event streams end when it begins. */
  lifecycle?: ServerLifecycle | undefined;
  /** Interval of the keep-alive comment on `GET /admin/events`. Default 15000 ms. */
  eventKeepAliveMs?: number | undefined;
}

/**
 * Builds the gateway's Hono app: OpenAI-compatible `/v1/chat/completions` and `/v1/models`,
 * `/health`, `/ready`, `/metrics`, and `/admin/*` (with `GET /admin/events`, router events as SSE) and
 * `GET /dashboard` when `server.adminToken` is set. Request
 * ids on every response, bearer auth on `/v1/*` when `server.apiKeys` is set, a per-key rate
 * limit after auth when `server.rateLimit` is set, a body limit, OpenAI-shaped errors.
 * The app does not listen: serve `app.fetch` (see `startServer` in bootstrap.ts).
 *
 * @example
 * ```ts
 * import { serve } from '@hono/node-server';
 * const app = createGateway({ router, config: parseConfig({}), metrics: createMetrics({ router }) });
 * serve({ fetch: app.fetch, port: 8787 });
 * ```
 */
export function createGateway(options: GatewayOptions): Hono<GatewayEnv> {
  const { router, config, metrics } = options;
  const server = config.server;
  const scrubber = options.scrubber ?? new SecretScrubber([...(server.apiKeys ?? []), server.adminToken]);
  const logger = scrubbingLogger(options.logger ?? (process.env.VITEST ? silentLogger : jsonLineLogger()), scrubber);
  const app = new Hono<GatewayEnv>();

  app.use('*', requestContext({ logger }));

  const failedAuth = new FailedAuthLimiter({ perMinute: server.failedAuthLimit.perMinute, clock: options.clock });
  const checks: RequestCheck[] = [];
  if (server.apiKeys !== undefined && server.apiKeys.length > 0)
    checks.push(requireBearerToken({ tokens: server.apiKeys, failedAuth }));
  if (server.rateLimit !== undefined) {
    checks.push(
      limitRate({
        requestsPerMinute: server.rateLimit.requestsPerMinute,
        burst: server.rateLimit.burst,
        clock: options.clock,
      }),
    );
  }
  checks.push(limitDeclaredBodySize({ maxBytes: server.maxBodyBytes }));
  app.use('/v1/*', requestGuard(...checks));

  const chatCompletions = chatCompletionsHandler({
    router,
    metrics,
    logger,
    maxBodyBytes: server.maxBodyBytes,
    maxAttempts: config.router.maxAttempts,
    requestTimeoutMs: config.router.requestTimeoutMs,
    scrubber,
  });
  // Spans only when the host registered an OpenTelemetry SDK; otherwise the handler runs as is.
  const tracer = new RequestTracer({ router });
  app.post(CHAT_COMPLETIONS_PATH, (context, next) => {
    if (!tracer.enabled) return chatCompletions(context, next);
    return tracer.run(
      {
        operation: 'chat',
        method: 'POST',
        route: CHAT_COMPLETIONS_PATH,
        requestId: context.get('requestId'),
        headers: traceHeaders(context.req.header('traceparent'), context.req.header('tracestate')),
      },
      async () => chatCompletions(context, next),
      () => {
        const fields = context.get('logFields');
        return {
          status: fields?.status ?? context.res.status,
          requestModel: fields?.model,
          responseModel: fields?.responseModel,
          provider: fields?.provider,
          attempts: fields?.attempts,
          errorCode: fields?.errorCode,
          stream: fields?.stream,
          usage: fields?.usage,
        };
      },
    );
  });
  app.route('/', modelsRoutes({ router }));
  app.route('/', statusRoutes({ router, metrics }));
  if (server.adminToken !== undefined) {
    const events = createRouterEventStream({
      router,
      scrubber,
      ...(options.eventKeepAliveMs !== undefined ? { keepAliveMs: options.eventKeepAliveMs } : {}),
    });
    (options.lifecycle ?? new ServerLifecycle()).on('shutdown', () => events.close());
    app.get('/dashboard', (context) => context.body(DASHBOARD_HTML, 200, DASHBOARD_HEADERS));
    app.use('/admin/*', bodyLimit({ maxBytes: server.maxBodyBytes }));
    app.route(
      '/admin',
      adminRoutes({
        router,
        adminToken: server.adminToken,
        createProvider: options.createProvider,
        maxBodyBytes: server.maxBodyBytes,
        scrubber,
        allowedUpstreams: server.admin.allowedUpstreams,
        failedAuth,
        events: events.handler,
      }),
    );
  }

  app.notFound((context) =>
    context.json(
      openAIErrorBody(
        `Unknown request URL: ${context.req.method} ${context.req.path}.`,
        'invalid_request_error',
        'unknown_url',
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
    // A chat completion refused by a check (key, rate, declared size) never reached its handler, which counts the rest.
    if (
      metrics !== undefined &&
      fields?.status === undefined &&
      context.req.method === 'POST' &&
      context.req.path === CHAT_COMPLETIONS_PATH
    ) {
      metrics.requestRefused({
        status: gatewayError.status,
        durationMs: performance.now() - (context.get('startedAt') ?? performance.now()),
      });
    }
    return context.json(gatewayError.toBody(), gatewayError.status as 400, gatewayError.headers);
  });

  return app;
}

/** The W3C trace-context headers of a request, when it sent them (for the host's propagator). */
function traceHeaders(parent: string | undefined, state: string | undefined): Record<string, string> | undefined {
  if (parent === undefined) return undefined;
  return state === undefined ? { traceparent: parent } : { traceparent: parent, tracestate: state };
}

function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof ConfigurationError)
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
