import { z } from 'zod';
import { nonEmptyString, numeric, positiveInteger } from './numeric.ts';

/** `server.rateLimit`: a token bucket per gateway key (or per client address when no keys are set). */
export const rateLimitSchema = z.strictObject({
  /** Sustained rate: tokens added per minute. Default 60. */
  requestsPerMinute: positiveInteger.default(60),
  /** Bucket size: how many requests may arrive at once. Default 1.5 × requestsPerMinute. */
  burst: positiveInteger.optional(),
});

/** `server.failedAuthLimit`: wrong keys per client address, then 429 with `retry-after`. */
export const failedAuthLimitSchema = z.strictObject({
  /** Failed authentications an address may make per minute. Default 30. */
  perMinute: positiveInteger.default(30),
});

/** A host pattern: a host name (`api.openai.com`), `*.` and a domain (`*.openai.com`), or an IP literal. */
const HOST_PATTERN = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[[0-9A-Fa-f:.]+\]$/;

/** `server.admin`: limits of the admin API. */
export const adminSchema = z.strictObject({
  /**
   * Hosts a provider added through `POST /admin/providers` may point at: exact names, `*.domain`
   * (any subdomain) or IP literals. Absent: any host.
   */
  allowedUpstreams: z
    .array(z.string().regex(HOST_PATTERN, 'must be a host name, *.domain or an IP literal'))
    .optional(),
});

/** An origin as browsers send it: scheme, host and optional port, no path (`https://app.example`). */
const ORIGIN_PATTERN = /^[a-z][a-z0-9+.-]*:\/\/[^/\s?#]+$/i;

/** `server.cors`: browser origins allowed to call the gateway (preflights answered before auth). */
export const corsSchema = z.strictObject({
  /** Exact origins (`https://app.example`), or `"*"` for any. */
  origins: z.union([
    z.literal('*'),
    z
      .array(z.union([z.literal('*'), z.string().regex(ORIGIN_PATTERN, 'must be an origin like https://app.example')]))
      .min(1, 'must list at least one origin'),
  ]),
  /** How long browsers may cache a preflight answer. Default 600 s. */
  maxAgeSeconds: numeric(z.number().int().min(0).max(86_400)).optional(),
});

/** The `server` block: where the gateway listens, who may call it, how much it accepts. Add a server key here. */
export const serverSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: numeric(z.number().int().min(0).max(65535)).default(8787),
  apiKeys: z.array(nonEmptyString).optional(),
  adminToken: nonEmptyString.optional(),
  maxBodyBytes: positiveInteger.default(10 * 1024 * 1024),
  rateLimit: rateLimitSchema.optional(),
  /** Records below this level are not logged: `debug` adds the access lines of `/health` and `/metrics`. */
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).optional(),
  /** Listen queue length (connections accepted by the kernel, not yet by Node). */
  backlog: positiveInteger.default(4096),
  /** Most open client connections; more are closed at once. */
  maxConnections: positiveInteger.default(10_000),
  /** A client must send its whole header block within this (slowloris); else 408 and the connection is closed. */
  headersTimeoutMs: positiveInteger.default(10_000),
  /** An idle keep-alive client connection is closed after this. */
  keepAliveTimeoutMs: positiveInteger.default(65_000),
  failedAuthLimit: failedAuthLimitSchema.prefault({}),
  /** Processes serving the port (node:cluster workers): a number, or `auto` for one per core. Default 1. */
  workers: z.union([z.literal('auto'), numeric(z.number().int().min(1).max(1024))]).default(1),
  admin: adminSchema.prefault({}),
  /** CORS for browser apps; absent: no CORS headers, and preflights need a key like any request. */
  cors: corsSchema.optional(),
});
