/**
 * Switchboard's composition root: config → providers → router → metrics → Hono app. Importing it
 * has no side effects; `startServer` also listens. The command line lives in `cli/`.
 */
import type { Hono } from 'hono';
import { ANTHROPIC_DEFAULT_BASE_URL, createProvider, OPENAI_DEFAULT_BASE_URL } from './providers/index.ts';
import { ConfigReloader, routingOptionsOf, type ReloadReport } from './src/config/config-reloader.ts';
import { ConfigurationError, formatIssue } from './src/contract/configuration-error.ts';
import type { ProviderAdapter } from './src/contract/provider-adapter.ts';
import type { ProviderEntry, SwitchboardConfig, SwitchboardConfigInput } from './src/config/config-schema.ts';
import { demoConfig } from './src/config/demo-config.ts';
import { loadConfigFile, parseProviderEntry, validateConfig } from './src/config/load-config.ts';
import { providerSecrets } from './src/config/provider-secrets.ts';
import { SecretScrubber } from './src/contract/secret-scrubber.ts';
import { fleetAdminApplier, type ProviderFactory } from './src/gateway/admin-routes.ts';
import { createGateway } from './src/gateway/create-gateway.ts';
import { ServerLifecycle } from './src/gateway/server-lifecycle.ts';
import type { GatewayEnv } from './src/gateway/gateway-env.ts';
import {
  jsonLineLogger,
  levelFilter,
  scrubbingLogger,
  silentLogger,
  type RequestLogger,
} from './src/gateway/request-log.ts';
import { createMetrics, type GatewayMetrics } from './src/metrics/gateway-metrics.ts';
import { Router } from './src/router/router.ts';
import type { RouterTimers } from './src/router/types.ts';
import { linkRouterToFleet } from './src/router/fleet-link.ts';
import { createRedisState } from './src/state/redis-state.ts';
import type { SharedStateBackend } from './src/state/shared-state.ts';
import { serveGateway, type ServeOptions, type ServingGateway } from './src/server/serve-gateway.ts';

export { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_HOST, DEFAULT_PORT } from './src/server/serve-gateway.ts';
export type { ReloadReport } from './src/config/config-reloader.ts';

/** What asked for a reload: `SIGHUP` or `POST /admin/reload`; it is logged. */
export type ReloadTrigger = 'signal' | 'admin';

/** Builds an adapter from a validated `providers[]` entry. */
export type ProviderBuilder = (entry: ProviderEntry) => ProviderAdapter;

/** Options of `bootstrap`. */
export interface BootstrapOptions {
  /** A config object (validated here, defaults applied; no `${ENV}` interpolation). Wins over `configPath`. */
  config?: SwitchboardConfig | SwitchboardConfigInput;
  /** A YAML or JSON config file to load. Without `config` and `configPath`, the embedded demo config. */
  configPath?: string;
  /** Environment for `${NAME}` interpolation and the demo's real providers. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The clock of the router and the rate limiter, in ms (inject a fake one in tests). */
  clock?: () => number;
  /** The router's random source in [0, 1). */
  random?: () => number;
  /** The timers of the router's waits (retry back-off, a waited-out retry-after); inject virtual ones with a fake clock. */
  timers?: RouterTimers;
  /** Request log sink; default JSON lines on stdout (silent under vitest). */
  logger?: RequestLogger;
  /** Builds an adapter from a provider entry. Default: `createProvider` of `switchboard/providers`, keyed by `type`. */
  createProvider?: ProviderBuilder;
  /** Also export prom-client's default process metrics. Default false. */
  collectProcessMetrics?: boolean;
  /**
   * Router state shared with other replicas (a cluster worker's link to its primary, or your own
   * backend). Default: Redis when the config has `state.redis`, else none (this process alone).
   * A backend given here is not closed by `close()`.
   */
  sharedState?: SharedStateBackend;
  /** How long start-up waits for the shared state to be reachable before serving on local state. Default 1000 ms. */
  stateStartupWaitMs?: number;
}

/** What `bootstrap` builds. */
export interface SwitchboardApp {
  /** The Hono app; serve `app.fetch`. */
  app: Hono<GatewayEnv>;
  router: Router;
  metrics: GatewayMetrics;
  config: SwitchboardConfig;
  /** Shutdown phases: the server marks them, the app's event streams and chat streams follow them. */
  lifecycle: ServerLifecycle;
  /** The shared-state backend in use (Redis, a cluster primary), when the router is part of a fleet. */
  state: SharedStateBackend | undefined;
  /**
   * Reads the config file again and applies its providers and router settings (see README,
   * "Operations"); logs the outcome. Absent when the app was not built from `configPath`.
   *
   * @throws ConfigurationError listing every bad field; nothing changed then.
   */
  reload?: ((trigger?: ReloadTrigger) => Promise<ReloadReport>) | undefined;
  /** Stops the health checker, detaches metrics and closes every provider's connection pool. */
  close(): Promise<void>;
}

/**
 * Builds the gateway without listening: loads and validates the config, creates the
 * providers, the router (with its health checker when `router.healthCheck.intervalMs > 0`),
 * the metrics and the Hono app.
 *
 * @throws ConfigurationError naming each bad field (also for providers that cannot be created).
 *
 * @example
 * ```ts
 * import { bootstrap } from 'switchboard/bootstrap';
 * const { app, router, close } = await bootstrap({ configPath: 'switchboard.yaml' });
 * const response = await app.request('/health'); // 200 {"status":"ok"}
 * await close();
 * ```
 */
export async function bootstrap(options: BootstrapOptions = {}): Promise<SwitchboardApp> {
  const env = options.env ?? process.env;
  const config =
    options.config !== undefined
      ? validateConfig(options.config, 'bootstrap options')
      : options.configPath !== undefined
        ? await loadConfigFile(options.configPath, { env })
        : demoConfig(env);
  const buildProvider: ProviderBuilder = options.createProvider ?? createProvider;
  const redis = config.state?.redis;
  const ownState =
    options.sharedState === undefined && redis !== undefined
      ? createRedisState({ url: redis.url, keyPrefix: redis.keyPrefix })
      : undefined;
  const state = options.sharedState ?? ownState;

  let router: Router;
  try {
    const routing = config.router;
    router = new Router({
      strategy: routing.strategy,
      circuitBreaker: routing.circuitBreaker,
      healthCheckTimeoutMs: routing.healthCheck.timeoutMs,
      ...routingOptionsOf(routing),
      ...(routing.affinity !== undefined ? { affinity: routing.affinity } : {}),
      ...(routing.hedge !== undefined ? { hedge: routing.hedge } : {}),
      ...(routing.retryBudget !== undefined ? { retryBudget: routing.retryBudget } : {}),
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
      ...(options.random !== undefined ? { random: options.random } : {}),
      ...(options.timers !== undefined ? { timers: options.timers } : {}),
      ...(state !== undefined ? { probePermits: state } : {}),
    });
  } catch (error) {
    await ownState?.close();
    if (ConfigurationError.isInstance(error))
      throw new ConfigurationError(
        error.issues.map((issue) => ({
          path: issue.path === '' ? 'router' : `router.${issue.path}`,
          message: issue.message,
        })),
        options.configPath,
      );
    throw error;
  }

  const adapters: ProviderAdapter[] = [];
  try {
    config.providers.forEach((entry, index) => {
      let adapter: ProviderAdapter;
      try {
        adapter = buildProvider(entry);
      } catch (error) {
        throw new ConfigurationError(
          [{ path: `providers[${index}]`, message: (error as Error).message }],
          options.configPath,
        );
      }
      adapters.push(adapter);
      router.registerProvider(adapter, {
        weight: entry.weight,
        models: entry.models,
        ...(entry.pricing !== undefined ? { pricing: entry.pricing } : {}),
      });
    });
  } catch (error) {
    await Promise.allSettled(adapters.map((adapter) => adapter.close?.()));
    await ownState?.close();
    throw error;
  }

  if (config.router.healthCheck.intervalMs > 0) router.startHealthChecker(config.router.healthCheck.intervalMs);
  const metrics = createMetrics({
    router,
    collectProcessMetrics: options.collectProcessMetrics ?? false,
    stateBackend: state,
  });
  const providerFactory: ProviderFactory<ProviderEntry> = {
    parse: parseProviderEntry,
    create: buildProvider,
    secrets: providerSecrets,
    upstreamHost: (entry) =>
      entry.type === 'mock'
        ? null
        : new URL(entry.baseURL ?? (entry.type === 'anthropic' ? ANTHROPIC_DEFAULT_BASE_URL : OPENAI_DEFAULT_BASE_URL))
            .hostname,
  };
  const scrubber = new SecretScrubber([
    ...config.providers.flatMap(providerSecrets),
    ...(config.server.apiKeys ?? []),
    config.server.adminToken,
  ]);
  // Selection never waits on shared state: the fleet's changes arrive by subscription. Start-up
  // waits a bounded moment so a replica joining a fleet starts from the fleet's state.
  const fleet =
    state === undefined
      ? undefined
      : linkRouterToFleet(router, state, {
          applyAdmin: fleetAdminApplier({
            router,
            providerFactory: providerFactory as ProviderFactory,
            allowedUpstreams: config.server.admin.allowedUpstreams,
            scrubber,
          }),
        });
  if (state !== undefined && fleet !== undefined && (await state.whenUp(options.stateStartupWaitMs ?? 1_000)))
    await fleet.synced();
  const lifecycle = new ServerLifecycle();
  const logSink = options.logger ?? (process.env.VITEST ? silentLogger : jsonLineLogger());
  const reload =
    options.config === undefined && options.configPath !== undefined
      ? reloadFunction(
          new ConfigReloader({
            path: options.configPath,
            env,
            router,
            config,
            createProvider: buildProvider,
            scrubber,
          }),
          levelFilter(scrubbingLogger(logSink, scrubber), config.server.logLevel ?? 'info'),
        )
      : undefined;
  const app = createGateway({
    scrubber,
    router,
    metrics,
    logger: logSink,
    reload,
    clock: options.clock,
    apiKeys: config.server.apiKeys,
    adminToken: config.server.adminToken,
    maxBodyBytes: config.server.maxBodyBytes,
    rateLimit: config.server.rateLimit,
    providerFactory: providerFactory as ProviderFactory,
    logLevel: config.server.logLevel,
    lifecycle,
    failedAuthLimit: config.server.failedAuthLimit,
    allowedUpstreams: config.server.admin.allowedUpstreams,
    cors: config.server.cors,
    ...(state !== undefined
      ? {
          sharedRateLimit: (key: string, settings: { capacity: number; requestsPerMinute: number }) =>
            state.takeToken(key, settings),
          onAdminChange: fleet?.publishAdmin,
        }
      : {}),
  });

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      await router.stopHealthChecker();
      fleet?.close();
      await ownState?.close();
      metrics.close();
      await Promise.allSettled(router.providers().map((adapter) => adapter.close?.()));
    })());

  return { app, router, metrics, config, lifecycle, state, reload, close };
}

/** `SwitchboardApp.reload`: the reloader's, with a log line for each outcome. */
function reloadFunction(
  reloader: ConfigReloader,
  logger: RequestLogger,
): (trigger?: ReloadTrigger) => Promise<ReloadReport> {
  return async (trigger = 'admin') => {
    try {
      const report = await reloader.reload();
      logger({
        time: new Date().toISOString(),
        level: 'info',
        msg: 'config reloaded',
        id: undefined,
        trigger,
        ...report.providers,
        restartRequired: report.restartRequired,
      });
      return report;
    } catch (error) {
      logger({
        time: new Date().toISOString(),
        level: 'error',
        msg: 'config reload refused',
        id: undefined,
        trigger,
        error: ConfigurationError.isInstance(error)
          ? error.issues.map(formatIssue).join('; ')
          : `${(error as Error).name}: ${(error as Error).message}`,
      });
      throw error;
    }
  };
}

/** Options of `startServer`: those of `bootstrap`, plus where to listen (defaults: the config's `server.host` and `server.port`). */
export interface StartServerOptions extends BootstrapOptions, ServeOptions {}

/** A listening gateway: what `bootstrap` built, and the server. */
export interface RunningServer extends SwitchboardApp, ServingGateway {
  /**
   * Graceful stop: stops accepting, lets in-flight requests and streams finish (at most
   * `drainTimeoutMs`, then cuts them), then closes the app (health checker, provider pools).
   */
  close(): Promise<void>;
}

/**
 * Bootstraps the gateway and listens (default: the config's `server.host` and `server.port`,
 * 127.0.0.1:8787).
 *
 * @example
 * ```ts
 * const running = await startServer({ configPath: 'switchboard.yaml', port: 0 });
 * console.log(`listening on ${running.url}`);
 * await running.close();
 * ```
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const built = await bootstrap(options);
  const { server: serverConfig } = built.config;
  const serving = await serveGateway(built, {
    backlog: serverConfig.backlog,
    limits: {
      maxConnections: serverConfig.maxConnections,
      headersTimeoutMs: serverConfig.headersTimeoutMs,
      keepAliveTimeoutMs: serverConfig.keepAliveTimeoutMs,
      maxBodyBytes: serverConfig.maxBodyBytes,
    },
    host: options.host ?? built.config.server.host,
    port: options.port ?? built.config.server.port,
    ...(options.drainTimeoutMs !== undefined ? { drainTimeoutMs: options.drainTimeoutMs } : {}),
  });
  return { ...built, ...serving };
}
