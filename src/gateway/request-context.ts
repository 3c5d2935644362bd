import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { setResponseHeader, type GatewayEnv, type RequestLogFields } from './gateway-env.ts';
import { sanitizeRequestId } from './request-id.ts';
import type { RequestLogger, RequestLogRecord } from './request-log.ts';

/** Options of `requestContext`. */
export interface RequestContextOptions {
  /** Where the one line per request goes. */
  logger: RequestLogger;
  /** Request header to read and response header to write. Default `x-request-id`. */
  headerName?: string;
  /** Makes a new id when the client sent none. Default `crypto.randomUUID`. */
  generate?: () => string;
  /** Paths whose access lines are `debug` rather than `info` (probes and scrapes). Default `/health`, `/metrics`. */
  quietPaths?: readonly string[];
}

const QUIET_PATHS: readonly string[] = ['/health', '/metrics'];

/**
 * Middleware opening and closing every request: notes its arrival (`c.var.startedAt`), takes
 * the client's `x-request-id` (sanitised) or generates one, stores it as `c.var.requestId`
 * and echoes it on every response (errors and 404s included); hands the handlers
 * `c.var.logFields` to fill; when the request is answered, logs one record with method,
 * path, status, latency and those fields (`debug` for `quietPaths`, else `info`).
 *
 * @example
 * ```ts
 * app.use('*', requestContext({ logger: jsonLineLogger() }));
 * ```
 */
export function requestContext(options: RequestContextOptions): MiddlewareHandler<GatewayEnv> {
  const { logger, headerName = 'x-request-id', generate = randomUUID } = options;
  const quietPaths = new Set(options.quietPaths ?? QUIET_PATHS);
  return async (context, next) => {
    const started = performance.now();
    const id = sanitizeRequestId(context.req.header(headerName)) ?? generate();
    context.set('requestId', id);
    context.set('startedAt', started);
    setResponseHeader(context, headerName, id);
    const fields: RequestLogFields = {};
    context.set('logFields', fields);
    await next();
    const record: RequestLogRecord = {
      time: new Date().toISOString(),
      level: quietPaths.has(context.req.path) ? 'debug' : 'info',
      msg: 'request',
      id,
      method: context.req.method,
      path: context.req.path,
      status: fields.status ?? context.res.status,
      latencyMs: Math.round((performance.now() - started) * 100) / 100,
    };
    if (fields.model !== undefined) record.model = fields.model;
    if (fields.provider !== undefined) record.provider = fields.provider;
    if (fields.attempts !== undefined) record.attempts = fields.attempts;
    if (fields.stream !== undefined) record.stream = fields.stream;
    if (fields.errorCode !== undefined && fields.errorCode !== null) record.errorCode = fields.errorCode;
    logger(record);
  };
}
