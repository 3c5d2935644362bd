import type { MiddlewareHandler } from 'hono';
import { setResponseHeader, type GatewayEnv } from './gateway-env.ts';

/** Which browser origins may call the gateway: a list of exact origins, or `'*'` for any. */
export interface CorsOptions {
  origins: readonly string[] | '*';
  /** How long a browser may cache a preflight answer, in seconds. Default 600. */
  maxAgeSeconds?: number;
}

/** Response headers a browser script may read (the routing outcome, the request id, rate-limit state). */
export const CORS_EXPOSED_HEADERS = [
  'x-request-id',
  'x-switchboard-provider',
  'x-switchboard-model',
  'x-switchboard-attempts',
  'x-switchboard-fallback-reason',
  'x-switchboard-dropped-params',
  'retry-after',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
].join(', ');

const ALLOWED_METHODS = 'GET, POST, OPTIONS';
/** Request headers allowed when the preflight's own list is unusable (the SDKs' usual ones). */
const DEFAULT_ALLOWED_HEADERS =
  'authorization, content-type, x-api-key, x-request-id, anthropic-version, anthropic-beta, anthropic-dangerous-direct-browser-access';
/** `Access-Control-Request-Headers` echoed back when it is a plain comma-separated token list this long at most. */
const MAX_REQUESTED_HEADERS_LENGTH = 2048;
const HEADER_LIST = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*,\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*$/;

/**
 * CORS for browser apps, ahead of auth: an `OPTIONS` preflight is answered 204 at once (allowed
 * methods and headers, `max-age`), never reaching the key check; every other response to an
 * allowed origin carries `access-control-allow-origin` and exposes `CORS_EXPOSED_HEADERS`. Other
 * origins get no allow-origin (their browser blocks the answer). Headers go through
 * `setResponseHeader`, so they reach responses the routes write straight to the Node response.
 * (Hono's own `cors` middleware sets them on Hono's response only, which those routes bypass.)
 *
 * @example
 * ```ts
 * app.use('*', cors({ origins: ['https://app.example'] }));
 * ```
 */
export function cors(options: CorsOptions): MiddlewareHandler<GatewayEnv> {
  const anyOrigin = options.origins === '*' || options.origins.includes('*');
  const allowed = new Set(anyOrigin ? [] : options.origins);
  const maxAge = String(options.maxAgeSeconds ?? 600);
  return async (context, next) => {
    const origin = context.req.header('origin');
    const permitted = origin !== undefined && (anyOrigin || allowed.has(origin));
    if (context.req.method === 'OPTIONS' && context.req.header('access-control-request-method') !== undefined) {
      const headers: Record<string, string> = {};
      if (!anyOrigin) headers.vary = 'Origin, Access-Control-Request-Headers';
      if (permitted) {
        headers['access-control-allow-origin'] = anyOrigin ? '*' : origin;
        headers['access-control-allow-methods'] = ALLOWED_METHODS;
        headers['access-control-allow-headers'] = allowedHeaders(context.req.header('access-control-request-headers'));
        headers['access-control-max-age'] = maxAge;
      }
      return context.body(null, 204, headers);
    }
    if (permitted) {
      setResponseHeader(context, 'access-control-allow-origin', anyOrigin ? '*' : origin);
      setResponseHeader(context, 'access-control-expose-headers', CORS_EXPOSED_HEADERS);
    }
    if (!anyOrigin && origin !== undefined) setResponseHeader(context, 'vary', 'Origin');
    await next();
  };
}

/** The preflight's requested headers when they are a sane token list, else the usual SDK headers. */
function allowedHeaders(requested: string | undefined): string {
  if (requested === undefined) return DEFAULT_ALLOWED_HEADERS;
  const trimmed = requested.trim();
  if (trimmed === '' || trimmed.length > MAX_REQUESTED_HEADERS_LENGTH || !HEADER_LIST.test(trimmed))
    return DEFAULT_ALLOWED_HEADERS;
  return trimmed;
}
