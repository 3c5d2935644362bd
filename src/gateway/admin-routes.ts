import { Hono, type Handler } from 'hono';
import type { z } from 'zod';
import { ConfigurationError, formatIssue, formatPath, type ConfigIssue } from '../contract/configuration-error.ts';
import type { ProviderAdapter } from '../contract/provider-adapter.ts';
import { circuitBreakerSettingsSchema } from '../config/schema/circuit-breaker-schema.ts';
import type { ProviderPricing } from '../router/pricing.ts';
import type { Router } from '../router/router.ts';
import { SecretScrubber } from '../contract/secret-scrubber.ts';
import type { FailedAuthLimiter } from './failed-auth-limiter.ts';
import { isAllowedUpstream } from './upstream-allowlist.ts';
import { bearerAuth } from './bearer-auth.ts';
import { readBody } from './body-limit.ts';
import type { GatewayContext, GatewayEnv } from './gateway-env.ts';
import { GatewayError } from './openai-error.ts';
import type { ModelEntry } from '../contract/model-entry.ts';
import type { AdminEvent } from '../state/shared-state.ts';

/** What `ProviderFactory.parse` returns: a checked provider entry, opaque to the gateway but for these fields. */
export interface ProviderDefinition {
  readonly name: string;
  /** Relative weight for the `weighted` strategy. Default 1. */
  readonly weight?: number;
  /** Prices for the `cost` strategy and the cost metric. */
  readonly pricing?: ProviderPricing | undefined;
  /** Its model entries (names, `{ name, upstream }` aliases, `'*'`); default the adapter's own. */
  readonly models?: readonly ModelEntry[] | undefined;
}

/**
 * How `POST /admin/providers` turns a request body into an adapter; bootstrap supplies one
 * built from the config schema and `createProvider`, so the gateway knows neither.
 */
export interface ProviderFactory<Definition extends ProviderDefinition = ProviderDefinition> {
  /** Checks a body; throws a `ConfigurationError` listing every bad field. */
  parse(body: unknown): Definition;
  /** Builds the adapter of a parsed definition; may throw an `Error` saying why it cannot. */
  create(definition: Definition): ProviderAdapter;
  /** The definition's secrets (API key, credential headers), scrubbed from everything the gateway sends or logs. */
  secrets?(definition: Definition): readonly string[];
  /**
   * The host the definition's adapter would call, or null when it calls none (a mock): checked
   * against `allowedUpstreams`. Without it, no provider can be added while `allowedUpstreams` is set.
   */
  upstreamHost?(definition: Definition): string | null;
}

/** Options of `adminRoutes`. */
export interface AdminRoutesOptions {
  router: Router;
  /** The bearer token the admin API requires. */
  adminToken: string;
  /** Checks and builds adapters for `POST /admin/providers`; without it that route answers 501. */
  providerFactory?: ProviderFactory | undefined;
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
  /** Told of each change made here (enable, disable, reset, add with its entry, remove): the fleet shares them. */
  onChange?: ((event: AdminEvent) => void) | undefined;
  /**
   * `POST /reload`: re-reads and applies the config file, resolving with what changed (the answer's
   * body), or throwing a `ConfigurationError` (a 400 listing every bad field). Absent = 409.
   */
  reload?: (() => Promise<object>) | undefined;
}

/**
 * The admin API, mounted under `/admin` only when `server.adminToken` is set, guarded by
 * `Authorization: Bearer <adminToken>` (constant-time):
 * `GET /providers`, `GET /providers/:name`, `POST /providers/:name/enable`, `POST /providers/:name/disable`
 * (an operator's switch: a disabled provider takes no traffic), `POST /providers/:name/reset` (close its circuit),
 * `POST /providers` (a config-shaped entry; a 400 lists every bad field), `DELETE /providers/:name`,
 * `GET /circuit-breaker`, `PUT` (or `PATCH`) `/circuit-breaker` with the keys to change,
 * `GET /events` (router events as SSE, when `events` is given), `POST /reload` (re-read the config file).
 *
 * @example
 * ```ts
 * app.route('/admin', adminRoutes({ router, adminToken: 'secret', providerFactory }));
 * ```
 */
export function adminRoutes(options: AdminRoutesOptions): Hono<GatewayEnv> {
  const { router, providerFactory } = options;
  const changed = options.onChange ?? (() => {});
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
    changed({ type: 'admin', action: 'enable', provider: adapter.name });
    return context.json(describe(adapter));
  });

  app.post('/providers/:name/disable', (context) => {
    const adapter = requireProvider(context.req.param('name'));
    router.setEnabled(adapter.name, false);
    changed({ type: 'admin', action: 'disable', provider: adapter.name });
    return context.json(describe(adapter));
  });

  app.post('/providers/:name/reset', (context) => {
    const adapter = requireProvider(context.req.param('name'));
    router.resetCircuit(adapter.name);
    changed({ type: 'admin', action: 'reset', provider: adapter.name });
    return context.json(describe(adapter));
  });

  app.post('/providers', async (context) => {
    if (providerFactory === undefined)
      throw new GatewayError(501, 'Adding providers is not supported by this gateway.', {
        type: 'server_error',
        code: 'not_implemented',
      });
    const body = await readJson(context, maxBodyBytes);
    const adapter = addProvider(options, scrubber, body, (entry) => {
      if (router.provider(entry.name) !== undefined) {
        throw new GatewayError(409, `A provider named '${entry.name}' already exists.`, {
          type: 'invalid_request_error',
          code: 'provider_exists',
          param: 'name',
        });
      }
    });
    changed({ type: 'admin', action: 'add', provider: adapter.name, entry: body as Record<string, unknown> });
    return context.json(describe(adapter), 201);
  });

  app.delete('/providers/:name', (context) => {
    const adapter = requireProvider(context.req.param('name'));
    router.unregisterProvider(adapter.name);
    changed({ type: 'admin', action: 'remove', provider: adapter.name });
    // Requests already using it finish on it; its pool closes once they have.
    void router
      .drained(adapter)
      .then(() => adapter.close?.())
      .catch(() => {});
    return context.json({ name: adapter.name, deleted: true });
  });

  app.post('/reload', async (context) => {
    if (options.reload === undefined)
      throw new GatewayError(409, 'This gateway was not started from a config file: there is nothing to reload.', {
        type: 'invalid_request_error',
        code: 'reload_unavailable',
      });
    let report: object;
    try {
      report = await options.reload();
    } catch (error) {
      if (ConfigurationError.isInstance(error))
        throw invalidFields(error.issues, 'The config file was refused; nothing changed. ', 'invalid_configuration');
      throw error;
    }
    return context.json({ reloaded: true, ...report });
  });

  app.get('/circuit-breaker', (context) => context.json(router.circuitConfig()));

  if (options.events !== undefined) app.get('/events', options.events);

  app.on(['PUT', 'PATCH'], '/circuit-breaker', async (context) => {
    const patch = parseWith(circuitBreakerSettingsSchema, await readJson(context, maxBodyBytes));
    router.setCircuitConfig(patch);
    return context.json(router.circuitConfig());
  });

  return app;
}

/**
 * Applies an `add` or `remove` another replica's admin API made (shared state): the entry is
 * checked again as `POST /providers` checks a body (fields, allowed upstreams) and replaces a
 * provider of that name; a removed provider's pool closes once its requests have finished.
 * A bad entry is dropped.
 */
export function fleetAdminApplier(
  options: Pick<AdminRoutesOptions, 'router' | 'providerFactory' | 'allowedUpstreams' | 'scrubber'>,
): (event: AdminEvent) => void {
  const scrubber = options.scrubber ?? new SecretScrubber();
  return (event) => {
    const previous = options.router.provider(event.provider);
    if (event.action === 'remove') {
      if (previous === undefined) return;
      options.router.unregisterProvider(event.provider);
      void previous.close?.().catch(() => {});
      return;
    }
    if (event.action !== 'add' || options.providerFactory === undefined) return;
    try {
      addProvider(options, scrubber, event.entry, (entry) => {
        if (entry.name !== event.provider) throw new Error('entry name differs from the event');
      });
    } catch {
      return;
    }
    if (previous !== undefined && options.router.provider(event.provider) !== previous)
      void previous.close?.().catch(() => {});
  };
}

/** Parses, checks and registers a provider entry (the body of `POST /providers`); throws a `GatewayError`. */
function addProvider(
  options: Pick<AdminRoutesOptions, 'router' | 'providerFactory' | 'allowedUpstreams'>,
  scrubber: SecretScrubber,
  body: unknown,
  check: (entry: ProviderDefinition) => void,
): ProviderAdapter {
  const { router } = options;
  const providerFactory = options.providerFactory!;
  let entry: ProviderDefinition;
  try {
    entry = providerFactory.parse(body);
  } catch (error) {
    if (ConfigurationError.isInstance(error)) throw invalidFields(error.issues);
    throw error;
  }
  check(entry);
  const allowed = options.allowedUpstreams;
  if (allowed !== undefined) {
    const host = providerFactory.upstreamHost === undefined ? undefined : providerFactory.upstreamHost(entry);
    if (host !== null && (host === undefined || !isAllowedUpstream(host, allowed))) {
      throw new GatewayError(403, `The upstream host '${host ?? ''}' is not in server.admin.allowedUpstreams.`, {
        type: 'invalid_request_error',
        code: 'upstream_not_allowed',
        param: 'baseURL',
      });
    }
  }
  for (const secret of providerFactory.secrets?.(entry) ?? []) scrubber.add(secret);
  let adapter: ProviderAdapter;
  try {
    adapter = providerFactory.create(entry);
  } catch (error) {
    throw new GatewayError(400, `Cannot create the provider: ${(error as Error).message}`, {
      type: 'invalid_request_error',
      code: 'invalid_provider',
    });
  }
  router.registerProvider(adapter, {
    weight: entry.weight,
    ...(entry.models !== undefined ? { models: entry.models } : {}),
    ...(entry.pricing !== undefined ? { pricing: entry.pricing } : {}),
  });
  return adapter;
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
  throw invalidFields(
    result.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown key' }))
        : [{ path: formatPath(issue.path), message: issue.message }],
    ),
  );
}

/**
 * A 400 naming every bad field: the message lists them all (`a: …; b: …`), `param` is the first
 * one's path, and `error.issues` carries each as `{ path, message }`.
 */
function invalidFields(issues: readonly ConfigIssue[], prefix = '', code = 'invalid_value'): GatewayError {
  const first = issues[0];
  const message = prefix + (issues.length === 0 ? 'Invalid request body.' : issues.map(formatIssue).join('; '));
  const param = first === undefined || first.path === '' ? null : first.path;
  return new GatewayError(400, message, {
    type: 'invalid_request_error',
    code,
    param,
    body: {
      error: {
        message,
        type: 'invalid_request_error',
        param,
        code,
        issues: issues.map(({ path, message: text }) => ({ path, message: text })),
      },
    },
  });
}
