import { Hono, type Handler } from 'hono';
import { z } from 'zod';
import type { ProviderAdapter } from '../contract/provider-adapter.ts';
import { formatPath } from '../config/config-error.ts';
import { providerEntrySchema, type ProviderEntry } from '../config/config-schema.ts';
import { providerSecrets } from '../config/provider-secrets.ts';
import type { Router } from '../router/router.ts';
import { SecretScrubber } from '../contract/secret-scrubber.ts';
import type { FailedAuthLimiter } from './failed-auth-limiter.ts';
import { isAllowedUpstream, upstreamHostOf } from './upstream-allowlist.ts';
import { bearerAuth } from './bearer-auth.ts';
import { readBody } from './body-limit.ts';
import type { GatewayContext, GatewayEnv } from './gateway-env.ts';
import { GatewayError } from './openai-error.ts';

/** Makes an adapter from a config-shaped provider entry (providers' `createProvider`). */
export type ProviderFactory = (entry: ProviderEntry) => ProviderAdapter;

/** Options of `adminRoutes`. */
export interface AdminRoutesOptions {
  router: Router;
  /** The bearer token the admin API requires. */
  adminToken: string;
  /** Builds adapters for `POST /admin/providers`; without it that route answers 501. */
  createProvider?: ProviderFactory | undefined;
  /** Largest accepted request body in bytes (counted while read). Default 1 MiB. */
  maxBodyBytes?: number;
  /** Scrubs secrets from every view; an added provider's key and credential headers are added to it. */
  scrubber?: SecretScrubber | undefined;
  /** Host patterns an added provider's upstream must match (`server.admin.allowedUpstreams`); absent = any. */
  allowedUpstreams?: readonly string[] | undefined;
  /** Limits wrong admin tokens per client address (shared with the API keys' limiter). */
  failedAuth?: FailedAuthLimiter | undefined;
  /** `GET /events`: the router's events as SSE (see `createRouterEventStream`); absent = 404. */
  events?: Handler<GatewayEnv> | undefined;
}

const circuitBreakerPatchSchema = z.strictObject({
  failureRateThreshold: z.number().min(0).max(1).optional(),
  consecutiveFailureLimit: z.number().int().positive().optional(),
  halfOpenSuccessThreshold: z.number().int().positive().optional(),
  openTimeoutMs: z.number().int().nonnegative().optional(),
  halfOpenMaxProbes: z.number().int().positive().optional(),
  maxOpenTimeoutMultiplier: z.number().min(1).optional(),
});

/**
 * The admin API, mounted under `/admin` only when `server.adminToken` is set, guarded by
 * `Authorization: Bearer <adminToken>` (constant-time):
 * `GET /providers`, `GET /providers/:name`, `POST /providers/:name/enable`, `POST /providers/:name/disable`
 * (an operator's switch: a disabled provider takes no traffic), `POST /providers/:name/reset` (close its circuit),
 * `POST /providers` (a config-shaped entry), `DELETE /providers/:name`,
 * `GET /circuit-breaker`, `PUT` (or `PATCH`) `/circuit-breaker` with the keys to change,
 * `GET /events` (router events as SSE, when `events` is given).
 *
 * @example
 * ```ts
 * app.route('/admin', adminRoutes({ router, adminToken: 'secret', createProvider }));
 * ```
 */
export function adminRoutes(options: AdminRoutesOptions): Hono<GatewayEnv> {
  const { router, createProvider } = options;
  const scrubber = options.scrubber ?? new SecretScrubber();
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const app = new Hono<GatewayEnv>();
  app.use(
    '*',
    bearerAuth({
      tokens: [options.adminToken],
      keyPrefix: 'admin',
      message: 'Incorrect or missing admin token.',
      failedAuth: options.failedAuth,
    }),
  );

  const describe = (adapter: ProviderAdapter) => scrubber.scrubValue(view(adapter));
  const view = (adapter: ProviderAdapter) => {
    const health = router.healthStatus()[adapter.name];
    return {
      name: adapter.name,
      type: adapter.type,
      models: [...adapter.models],
      enabled: health?.enabled ?? false,
      available: health?.available ?? false,
      circuitState: health?.circuitState ?? null,
      weight: health?.weight ?? null,
      health: health ?? null,
    };
  };
  const requireProvider = (name: string): ProviderAdapter => {
    const adapter = router.provider(name);
    if (adapter === undefined)
      throw new GatewayError(404, `No provider named '${name}'.`, {
        type: 'invalid_request_error',
        code: 'provider_not_found',
        param: 'name',
      });
    return adapter;
  };

  app.get('/providers', (context) => context.json({ object: 'list', data: router.providers().map(describe) }));

  app.get('/providers/:name', (context) => context.json(describe(requireProvider(context.req.param('name')))));

  app.post('/providers/:name/enable', (context) => {
    const adapter = requireProvider(context.req.param('name'));
    router.setEnabled(adapter.name, true);
    router.updateHealth(adapter.name, true);
    return context.json(describe(adapter));
  });

  app.post('/providers/:name/disable', (context) => {
    const adapter = requireProvider(context.req.param('name'));
    router.setEnabled(adapter.name, false);
    return context.json(describe(adapter));
  });

  app.post('/providers/:name/reset', (context) => {
    const adapter = requireProvider(context.req.param('name'));
    router.resetCircuit(adapter.name);
    return context.json(describe(adapter));
  });

  app.post('/providers', async (context) => {
    if (createProvider === undefined)
      throw new GatewayError(501, 'Adding providers is not supported by this gateway.', {
        type: 'server_error',
        code: 'not_implemented',
      });
    const entry = parseWith(providerEntrySchema, await readJson(context, maxBodyBytes));
    if (router.provider(entry.name) !== undefined) {
      throw new GatewayError(409, `A provider named '${entry.name}' already exists.`, {
        type: 'invalid_request_error',
        code: 'provider_exists',
        param: 'name',
      });
    }
    const allowed = options.allowedUpstreams;
    if (allowed !== undefined) {
      const host = upstreamHostOf(entry);
      if (entry.type !== 'mock' && (host === undefined || !isAllowedUpstream(host, allowed))) {
        throw new GatewayError(403, `The upstream host '${host ?? ''}' is not in server.admin.allowedUpstreams.`, {
          type: 'invalid_request_error',
          code: 'upstream_not_allowed',
          param: 'baseURL',
        });
      }
    }
    for (const secret of providerSecrets(entry)) scrubber.add(secret);
    let adapter: ProviderAdapter;
    try {
      adapter = createProvider(entry);
    } catch (error) {
      throw new GatewayError(400, `Cannot create the provider: ${(error as Error).message}`, {
        type: 'invalid_request_error',
        code: 'invalid_provider',
      });
    }
    router.registerProvider(adapter, {
      weight: entry.weight,
      ...(entry.pricing !== undefined ? { pricing: entry.pricing } : {}),
    });
    return context.json(describe(adapter), 201);
  });

  app.delete('/providers/:name', (context) => {
    const adapter = requireProvider(context.req.param('name'));
    router.unregisterProvider(adapter.name);
    // Requests already using it finish on their own; its pool closes once they have.
    void adapter.close?.().catch(() => {});
    return context.json({ name: adapter.name, deleted: true });
  });

  app.get('/circuit-breaker', (context) => context.json(router.circuitConfig()));

  if (options.events !== undefined) app.get('/events', options.events);

  app.on(['PUT', 'PATCH'], '/circuit-breaker', async (context) => {
    const patch = parseWith(circuitBreakerPatchSchema, await readJson(context, maxBodyBytes));
    router.setCircuitConfig(patch);
    return context.json(router.circuitConfig());
  });

  return app;
}

async function readJson(context: GatewayContext, maxBodyBytes: number): Promise<unknown> {
  const body = await readBody(context, maxBodyBytes);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new GatewayError(400, 'We could not parse the JSON body of your request.', {
      type: 'invalid_request_error',
      code: 'invalid_json',
    });
  }
}

function parseWith<Schema extends z.ZodType>(schema: Schema, value: unknown): z.output<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const param = formatPath(issue.path);
  throw new GatewayError(400, param === '' ? issue.message : `${param}: ${issue.message}`, {
    type: 'invalid_request_error',
    code: 'invalid_value',
    param: param === '' ? null : param,
  });
}
