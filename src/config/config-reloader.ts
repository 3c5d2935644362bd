import { ConfigurationError } from '../contract/configuration-error.ts';
import type { ProviderAdapter } from '../contract/provider-adapter.ts';
import type { SecretScrubber } from '../contract/secret-scrubber.ts';
import type { Router } from '../router/router.ts';
import type { ProviderChanges, ProviderRegistration, RoutingOptions } from '../router/types.ts';
import type { ProviderEntry, RouterConfig, ServerConfig, SwitchboardConfig } from './config-schema.ts';
import { loadConfigFile } from './load-config.ts';
import { providerSecrets } from './provider-secrets.ts';

/** `router` keys the router takes only when it is built (their state lives in the routed calls' host). */
const RESTART_ONLY_ROUTER_KEYS = ['affinity', 'hedge', 'retryBudget'] as const;

/** What a reload changed. */
export interface ReloadReport {
  /** Providers by name: added, removed, replaced (rebuilt, health afresh) and kept (health kept). */
  providers: ProviderChanges;
  /** Changed settings that take effect only after a restart, by path (`server.port`); the old values stay. */
  restartRequired: string[];
}

/** Options of `ConfigReloader`. */
export interface ConfigReloaderOptions {
  /** The config file the process was started with; read again at every reload. */
  path: string;
  /** Environment for `${NAME}` interpolation. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** The router to apply the new providers and router settings to. */
  router: Router;
  /** The config in force, whose providers are registered on `router` under their names. */
  config: SwitchboardConfig;
  /** Builds an adapter from a provider entry. */
  createProvider(entry: ProviderEntry): ProviderAdapter;
  /** Learns the secrets of new provider entries before they serve. */
  scrubber?: SecretScrubber | undefined;
  /** `server` keys applied live by `applyServer`; any other changed `server` key is reported as needing a restart. */
  liveServerKeys?: readonly (keyof ServerConfig)[] | undefined;
  /** Applies the live `server` keys of a valid new config (after the router took its part). */
  applyServer?: ((server: ServerConfig) => void) | undefined;
}

/**
 * Hot reload of the config file: reads and validates it again and, when valid, applies its
 * providers and router settings to the one router at once (`router.reconfigure`), so listeners
 * (metrics, logs, event streams) keep working. A provider whose entry is unchanged, but for its
 * weight or pricing, keeps its adapter and health; a changed one (a new key, URL or models) gets
 * a new adapter; the adapters no longer used are closed once their requests finished. An invalid
 * file changes nothing. Reloads run one at a time.
 *
 * @example
 * ```ts
 * const reloader = new ConfigReloader({ path: 'switchboard.yaml', router, config, createProvider });
 * const { providers, restartRequired } = await reloader.reload(); // throws ConfigurationError when invalid
 * ```
 */
export class ConfigReloader {
  readonly #options: ConfigReloaderOptions;
  readonly #liveServerKeys: ReadonlySet<string>;
  #config: SwitchboardConfig;
  /** Provider name → the key of the entry its adapter was built from. */
  #builtFrom = new Map<string, { key: string; adapter: ProviderAdapter }>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: ConfigReloaderOptions) {
    this.#options = options;
    this.#config = options.config;
    this.#liveServerKeys = new Set(options.liveServerKeys ?? []);
    for (const entry of options.config.providers) {
      const adapter = options.router.provider(entry.name);
      if (adapter !== undefined) this.#builtFrom.set(entry.name, { key: adapterKey(entry), adapter });
    }
  }

  /** The config in force: the last valid file's providers, router and live server settings; the start's for the rest. */
  get config(): SwitchboardConfig {
    return this.#config;
  }

  /**
   * Reads the file again and applies it; resolves with what changed.
   *
   * @throws ConfigurationError listing every bad field; nothing changed then.
   */
  reload(): Promise<ReloadReport> {
    const run = this.#queue.then(
      () => this.#reload(),
      () => this.#reload(),
    );
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #reload(): Promise<ReloadReport> {
    const { path, router, scrubber } = this.#options;
    const next = await loadConfigFile(path, { env: this.#options.env ?? process.env });
    const fresh: ProviderAdapter[] = [];
    const builtFrom = new Map<string, { key: string; adapter: ProviderAdapter }>();
    const previous = router.providers();
    let changes: ProviderChanges;
    try {
      const registrations: ProviderRegistration[] = next.providers.map((entry, index) => {
        const key = adapterKey(entry);
        const built = this.#builtFrom.get(entry.name);
        // Reused only while it is still the registered one (the admin API may have replaced it).
        let adapter =
          built !== undefined && built.key === key && router.provider(entry.name) === built.adapter
            ? built.adapter
            : undefined;
        if (adapter === undefined) {
          try {
            adapter = this.#options.createProvider(entry);
          } catch (error) {
            throw new ConfigurationError([{ path: `providers[${index}]`, message: (error as Error).message }], path);
          }
          fresh.push(adapter);
        }
        builtFrom.set(entry.name, { key, adapter });
        return {
          adapter,
          options: {
            weight: entry.weight,
            models: entry.models,
            ...(entry.pricing !== undefined ? { pricing: entry.pricing } : {}),
          },
        };
      });
      for (const entry of next.providers) for (const secret of providerSecrets(entry)) scrubber?.add(secret);
      const routing = next.router;
      changes = router.reconfigure({
        providers: registrations,
        strategy: routing.strategy,
        circuitBreaker: routing.circuitBreaker,
        routing: routingOptionsOf(routing),
        healthCheck: routing.healthCheck,
      });
    } catch (error) {
      await Promise.allSettled(fresh.map((adapter) => adapter.close?.()));
      if (ConfigurationError.isInstance(error) && error.source === undefined)
        throw new ConfigurationError(
          error.issues.map((issue) => ({ path: issue.path === '' ? 'router' : issue.path, message: issue.message })),
          path,
        );
      throw error;
    }
    this.#builtFrom = builtFrom;
    // Requests already using a dropped adapter finish on it; its pool closes once they have.
    const registered = new Set(router.providers());
    for (const adapter of previous) if (!registered.has(adapter)) closeWhenDrained(router, adapter);

    const restartRequired: string[] = [];
    const server: Record<string, unknown> = { ...this.#config.server };
    const nextServer = next.server as Record<string, unknown>;
    for (const key of new Set([...Object.keys(server), ...Object.keys(nextServer)])) {
      if (stableJson(server[key]) === stableJson(nextServer[key])) continue;
      if (this.#liveServerKeys.has(key)) server[key] = nextServer[key];
      else restartRequired.push(`server.${key}`);
    }
    const routerBlock: Record<string, unknown> = { ...next.router };
    const previousRouter = this.#config.router as Record<string, unknown>;
    for (const key of RESTART_ONLY_ROUTER_KEYS) {
      if (stableJson(previousRouter[key]) === stableJson(routerBlock[key])) continue;
      restartRequired.push(`router.${key}`);
      routerBlock[key] = previousRouter[key];
    }
    // Any other section (`state`, the fleet's backend) is set up once, at start.
    const applied: Record<string, unknown> = { ...this.#config };
    const nextSections = next as Record<string, unknown>;
    for (const key of new Set([...Object.keys(applied), ...Object.keys(nextSections)])) {
      if (key === 'providers' || key === 'router' || key === 'server') continue;
      if (stableJson(applied[key]) !== stableJson(nextSections[key])) restartRequired.push(key);
    }
    this.#config = {
      ...(applied as SwitchboardConfig),
      providers: next.providers,
      router: routerBlock as RouterConfig,
      server: server as ServerConfig,
    };
    this.#options.applyServer?.(this.#config.server);
    return { providers: changes, restartRequired };
  }
}

/** A dropped adapter still serving calls is closed when they ended, or after this long at most. */
export const DROPPED_ADAPTER_MAX_WAIT_MS = 10 * 60_000;

/** Closes `adapter` once no routed call uses it (at most `DROPPED_ADAPTER_MAX_WAIT_MS` later). */
export function closeWhenDrained(router: Router, adapter: ProviderAdapter): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cap = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, DROPPED_ADAPTER_MAX_WAIT_MS);
    timer.unref?.();
  });
  void Promise.race([router.drained(adapter), cap]).then(() => {
    clearTimeout(timer);
    return adapter.close?.()?.catch(() => {});
  });
}

/**
 * The routing options of a validated `router` block (fallback chains, retries, attempts, deadline,
 * timeouts), as `new Router(...)` and `router.reconfigure` take them.
 */
export function routingOptionsOf(routing: RouterConfig): RoutingOptions {
  return {
    fallbacks: routing.fallbacks,
    contextWindowFallbacks: routing.contextWindowFallbacks,
    contentPolicyFallbacks: routing.contentPolicyFallbacks,
    retry: routing.retry,
    maxAttempts: routing.maxAttempts,
    deadlineMs: routing.deadlineMs,
    requestTimeoutMs: routing.requestTimeoutMs,
    firstTokenTimeoutMs: routing.firstTokenTimeoutMs,
    streamIdleTimeoutMs: routing.streamIdleTimeoutMs,
    streamRecovery: routing.streamRecovery,
  };
}

/** What an adapter is built from: the entry without `weight` and `pricing`, which apply without a rebuild. */
function adapterKey(entry: ProviderEntry): string {
  const { weight: _weight, pricing: _pricing, ...rest } = entry;
  return stableJson(rest);
}

/** JSON with object keys sorted, so equal values give equal text. */
function stableJson(value: unknown): string {
  return (
    JSON.stringify(value, (_key, item: unknown) =>
      item !== null && typeof item === 'object' && !Array.isArray(item)
        ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
        : item,
    ) ?? 'undefined'
  );
}
