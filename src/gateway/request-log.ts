import type { MiddlewareHandler } from 'hono';
import type { GatewayEnv, RequestLogFields } from './gateway-env.ts';

/** One structured log line per request. Never holds message content or keys. */
export interface RequestLogRecord {
  time: string;
  level: 'info' | 'error';
  msg: string;
  id: string | undefined;
  method?: string;
  path?: string;
  status?: number;
  latencyMs?: number;
  model?: string;
  provider?: string;
  attempts?: number;
  stream?: boolean;
  errorCode?: string | null;
  /** For `level: 'error'`: what failed unexpectedly (name and message, no stack). */
  error?: string;
}

/** Receives log records; inject one to route logs elsewhere or to silence them. */
export type RequestLogger = (record: RequestLogRecord) => void;

/** Loggers with lines not yet written, flushed if the process exits first. */
const unflushed = new Set<() => void>();
let exitHookInstalled = false;

/**
 * A logger writing one JSON line per record to a stream (default stdout). Lines logged in the
 * same turn of the event loop leave in one write (one syscall instead of one per request);
 * they are written before the process exits.
 */
export function jsonLineLogger(stream: NodeJS.WritableStream = process.stdout): RequestLogger {
  let pending = '';
  const flush = () => {
    unflushed.delete(flush);
    if (pending === '') return;
    const text = pending;
    pending = '';
    stream.write(text);
  };
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const flushLogger of unflushed) flushLogger();
    });
  }
  return (record) => {
    if (pending === '') {
      unflushed.add(flush);
      setImmediate(flush);
    }
    pending += `${JSON.stringify(record)}\n`;
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: RequestLogger = () => {};

/** Options of `requestLog`. */
export interface RequestLogOptions {
  logger: RequestLogger;
}

/**
 * Middleware: after the response (for streams, after the last chunk), logs one record with
 * the request id, method, path, status, latency and what the handler put in
 * `c.var.logFields` (model, provider, attempts, stream).
 *
 * @example
 * ```ts
 * app.use('*', requestLog({ logger: jsonLineLogger() }));
 * ```
 */
export function requestLog(options: RequestLogOptions): MiddlewareHandler<GatewayEnv> {
  const { logger } = options;
  return async (context, next) => {
    const started = performance.now();
    const fields: RequestLogFields = {};
    context.set('logFields', fields);
    await next();
    const record: RequestLogRecord = {
      time: new Date().toISOString(),
      level: 'info',
      msg: 'request',
      id: context.get('requestId'),
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
