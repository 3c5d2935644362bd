import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { FailedAuthLimiter } from './failed-auth-limiter.ts';
import type { GatewayContext, GatewayEnv } from './gateway-env.ts';
import { GatewayError } from './openai-error.ts';
import { requestGuard, type RequestCheck } from './request-guard.ts';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * Constant-time matcher of bearer tokens: each accepted token is kept only as a SHA-256
 * digest, and a presented token is compared against every digest with
 * `crypto.timingSafeEqual` (fixed length, no early exit).
 */
export interface TokenMatcher {
  /** Index of the matching token, or -1. */
  match(presented: string): number;
}

/**
 * Builds a `TokenMatcher` over the accepted tokens.
 *
 * @example
 * ```ts
 * createTokenMatcher(['secret']).match('secret'); // 0
 * ```
 */
export function createTokenMatcher(tokens: readonly string[]): TokenMatcher {
  const digests = tokens.map(digest);
  // Tokens that matched skip the digest next time; unknown ones always take the full path, and the
  // map holds at most the configured tokens (docs/performance.md).
  const accepted = new Map<string, number>();
  return {
    match(presented) {
      const known = accepted.get(presented);
      if (known !== undefined) return known;
      const candidate = digest(presented);
      let found = -1;
      for (let index = 0; index < digests.length; index += 1) {
        if (timingSafeEqual(candidate, digests[index]!) && found === -1) found = index;
      }
      if (found !== -1) accepted.set(presented, found);
      return found;
    },
  };
}

/** The token of an `Authorization: Bearer <token>` header, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return BEARER.exec(header)?.[1];
}

/** Options of `requireBearerToken` and `bearerAuth`. */
export interface BearerAuthOptions {
  /** Accepted tokens. */
  tokens: readonly string[];
  /** Label stored as `c.var.clientKey` (`<prefix>#<index>`) for rate limiting. Default `key`. */
  keyPrefix?: string;
  /** Message of the 401. */
  message?: string;
  /** Limits wrong keys per client address: over it, 429 before the key is even looked at. */
  failedAuth?: FailedAuthLimiter | undefined;
}

/**
 * Check: requires `Authorization: Bearer <token>` (or Anthropic's `x-api-key: <token>`) with one of `tokens`, compared in
 * constant time; otherwise 401 `invalid_api_key` in OpenAI's error shape. Stores which key
 * matched as `c.var.clientKey`.
 *
 * @example
 * ```ts
 * app.use('/v1/*', requestGuard(requireBearerToken({ tokens: config.server.apiKeys })));
 * ```
 */
export function requireBearerToken(options: BearerAuthOptions): RequestCheck {
  const matcher = createTokenMatcher(options.tokens);
  const prefix = options.keyPrefix ?? 'key';
  const message = options.message ?? 'Incorrect or missing API key. Send it as "Authorization: Bearer <key>".';
  const clientKeys = options.tokens.map((_token, index) => `${prefix}#${index}`);
  const failedAuth = options.failedAuth;
  return (context) => {
    const address = failedAuth === undefined ? '' : clientAddress(context);
    if (failedAuth !== undefined) {
      const retryAfter = failedAuth.retryAfterSeconds(address);
      if (retryAfter > 0) {
        throw new GatewayError(429, 'Too many failed authentication attempts from this address; retry later.', {
          type: 'rate_limit_error',
          code: 'too_many_failed_auth_attempts',
          headers: { 'retry-after': String(retryAfter) },
        });
      }
    }
    // Anthropic clients send their key as `x-api-key`; OpenAI clients as a bearer token.
    const token = bearerToken(context.req.header('authorization')) ?? nonEmpty(context.req.header('x-api-key'));
    const index = token === undefined ? -1 : matcher.match(token);
    if (index === -1) {
      failedAuth?.recordFailure(address);
      throw new GatewayError(401, message, {
        type: 'invalid_request_error',
        code: 'invalid_api_key',
        headers: { 'www-authenticate': 'Bearer' },
      });
    }
    context.set('clientKey', clientKeys[index]!);
  };
}

/**
 * Middleware form of `requireBearerToken`.
 *
 * @example
 * ```ts
 * app.use('/admin/*', bearerAuth({ tokens: [adminToken], keyPrefix: 'admin' }));
 * ```
 */
export function bearerAuth(options: BearerAuthOptions): MiddlewareHandler<GatewayEnv> {
  return requestGuard(requireBearerToken(options));
}

/** The client's address as the socket sees it (`unknown` without a Node request). */
export function clientAddress(context: GatewayContext): string {
  return context.env?.incoming?.socket.remoteAddress ?? 'unknown';
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.length === 0 ? undefined : value;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
