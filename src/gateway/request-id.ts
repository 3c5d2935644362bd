import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { setResponseHeader, type GatewayEnv } from './gateway-env.ts';

const DISALLOWED_REQUEST_ID_CHARACTERS = /[^A-Za-z0-9_-]/g;

/** Longest request id kept from a client. */
export const MAX_REQUEST_ID_LENGTH = 128;

/**
 * Keeps only `[A-Za-z0-9_-]` of a client's request id and cuts it to 128 characters;
 * returns undefined when nothing usable is left.
 *
 * @example
 * ```ts
 * sanitizeRequestId('req-123\nbad\tid!@#'); // 'req-123badid'
 * ```
 */
export function sanitizeRequestId(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const cleaned = value.replace(DISALLOWED_REQUEST_ID_CHARACTERS, '').slice(0, MAX_REQUEST_ID_LENGTH);
  return cleaned === '' ? undefined : cleaned;
}

/** Options of `requestId`. */
export interface RequestIdOptions {
  /** Request header to read and response header to write. Default `x-request-id`. */
  headerName?: string;
  /** Makes a new id when the client sent none. Default `crypto.randomUUID`. */
  generate?: () => string;
}

/**
 * Middleware: takes the client's `x-request-id` (sanitised) or generates one, stores it as
 * `c.var.requestId` and echoes it on every response, errors and 404s included.
 *
 * @example
 * ```ts
 * app.use('*', requestId());
 * ```
 */
export function requestId(options: RequestIdOptions = {}): MiddlewareHandler<GatewayEnv> {
  const { headerName = 'x-request-id', generate = randomUUID } = options;
  return async (context, next) => {
    const id = sanitizeRequestId(context.req.header(headerName)) ?? generate();
    context.set('requestId', id);
    setResponseHeader(context, headerName, id);
    await next();
  };
}
