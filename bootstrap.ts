/**
 * Switchboard's composition root: config → providers → router → metrics → Hono app, and the
 * server process behind `npm start`.
 *
 * `npm start` serves the embedded demo config on 127.0.0.1:8787;
 * `npm start -- --config FILE [--port N] [--host H]` serves a YAML or JSON config file.
 * SIGTERM / SIGINT stop accepting, drain in-flight requests and streams (bounded), then exit 0.
 */
import { realpathSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import type { Hono } from 'hono';
import type { ProviderAdapter } from './src/contract/provider-adapter.ts';
import { createProvider } from './providers/index.ts';
import { ConfigError, formatIssue } from './src/config/config-error.ts';
import type { SwitchboardConfig, SwitchboardConfigInput } from './src/config/config-schema.ts';
import { demoConfig } from './src/config/demo-config.ts';
import { loadConfigFile, validateConfig } from './src/config/load-config.ts';
import { providerSecrets } from './src/config/provider-secrets.ts';
import { SecretScrubber } from './src/contract/secret-scrubber.ts';
import type { ProviderFactory } from './src/gateway/admin-routes.ts';
import { createGateway } from './src/gateway/create-gateway.ts';
import { createHttpServer } from './src/gateway/http-server.ts';
import { trackConnections } from './src/gateway/connection-drainer.ts';
import type { GatewayEnv } from './src/gateway/gateway-env.ts';
import type { RequestLogger } from './src/gateway/request-log.ts';
import { createMetrics, type GatewayMetrics } from './src/metrics/gateway-metrics.ts';
import { ConfigurationError } from './src/router/errors.ts';
import { Router } from './src/router/router.ts';

/** Default listen address of `startServer` and `npm start`. */
export const DEFAULT_HOST = '127.0.0.1';
/** Default port of `startServer` and `npm start`. */
export const DEFAULT_PORT = 8787;
/** How long a shutdown waits for in-flight requests and streams before cutting them. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;

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
  /** Request log sink; default JSON lines on stdout (silent under vitest). */
  logger?: RequestLogger;
  /** Builds an adapter from a provider entry. Default: `createProvider` of `providers/`, keyed by `type`. */
  createProvider?: ProviderFactory;
  /** Also export prom-client's default process metrics. Default false. */
  collectProcessMetrics?: boolean;
}

/** What `bootstrap` builds. */
export interface SwitchboardApp {
  /** The Hono app; serve `app.fetch`. */
  app: Hono<GatewayEnv>;
  router: Router;
  metrics: GatewayMetrics;
  config: SwitchboardConfig;
  /** Stops the health checker, detaches metrics and closes every provider's connection pool. */
  close(): Promise<void>;
}

/**
 * Builds the gateway without listening: loads and validates the config, creates the
 * providers, the router (with its health checker when `router.healthCheck.intervalMs > 0`),
 * the metrics and the Hono app.
 *
 * @throws ConfigError naming each bad field (also for providers that cannot be created).
 *
 * @example
 * ```ts
 * import { bootstrap } from './bootstrap.ts';
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
  const buildProvider: ProviderFactory = options.createProvider ?? createProvider;

  let router: Router;
  try {
    router = new Router({
      strategy: config.router.strategy,
      circuitBreaker: config.router.circuitBreaker,
      healthCheckTimeoutMs: config.router.healthCheck.timeoutMs,
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
      ...(options.random !== undefined ? { random: options.random } : {}),
    });
  } catch (error) {
    if (error instanceof ConfigurationError)
      throw new ConfigError([{ path: 'router', message: error.message }], options.configPath);
    throw error;
  }

  const adapters: ProviderAdapter[] = [];
  try {
    config.providers.forEach((entry, index) => {
      let adapter: ProviderAdapter;
      try {
        adapter = buildProvider(entry);
      } catch (error) {
        throw new ConfigError([{ path: `providers[${index}]`, message: (error as Error).message }], options.configPath);
      }
      adapters.push(adapter);
      router.registerProvider(adapter, {
        weight: entry.weight,
        ...(entry.pricing !== undefined ? { pricing: entry.pricing } : {}),
      });
    });
  } catch (error) {
    await Promise.allSettled(adapters.map((adapter) => adapter.close?.()));
    throw error;
  }

  if (config.router.healthCheck.intervalMs > 0) router.startHealthChecker(config.router.healthCheck.intervalMs);
  const metrics = createMetrics({ router, collectProcessMetrics: options.collectProcessMetrics ?? false });
  const scrubber = new SecretScrubber([
    ...config.providers.flatMap(providerSecrets),
    ...(config.server.apiKeys ?? []),
    config.server.adminToken,
  ]);
  const app = createGateway({
    scrubber,
    router,
    config,
    metrics,
    logger: options.logger,
    createProvider: buildProvider,
    clock: options.clock,
  });

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      await router.stopHealthChecker();
      metrics.close();
      await Promise.allSettled(router.providers().map((adapter) => adapter.close?.()));
    })());

  return { app, router, metrics, config, close };
}

/** Options of `startServer`: those of `bootstrap`, plus where to listen. */
export interface StartServerOptions extends BootstrapOptions {
  /** Port; 0 picks a free one. Default: the config's `server.port` (8787). */
  port?: number;
  /** Host. Default: the config's `server.host` (127.0.0.1). */
  host?: string;
  /** Bound of the graceful drain on `close()`. Default 10000 ms. */
  drainTimeoutMs?: number;
}

/** A listening gateway. */
export interface RunningServer extends SwitchboardApp {
  server: Server;
  host: string;
  port: number;
  /** `http://host:port`. */
  url: string;
  /**
   * Graceful stop: stops accepting, lets in-flight requests and streams finish (at most
   * `drainTimeoutMs`, then cuts them), then closes the app (health checker, provider pools).
   */
  close(): Promise<void>;
}

/**
 * Bootstraps the gateway and listens (default 127.0.0.1:8787).
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
  const host = options.host ?? built.config.server.host ?? DEFAULT_HOST;
  const requestedPort = options.port ?? built.config.server.port ?? DEFAULT_PORT;
  const { server: serverConfig } = built.config;
  const server = createHttpServer({
    fetch: built.app.fetch,
    maxConnections: serverConfig.maxConnections,
    headersTimeoutMs: serverConfig.headersTimeoutMs,
    keepAliveTimeoutMs: serverConfig.keepAliveTimeoutMs,
    maxBodyBytes: serverConfig.maxBodyBytes,
  });
  const drainer = trackConnections(server);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: requestedPort, host, backlog: serverConfig.backlog }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await built.close();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= drainer.drain(drainTimeoutMs).then(() => built.close()));
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return { ...built, server, host, port, url: `http://${urlHost}:${port}`, close };
}

/** Parsed command line of `npm start`. */
export interface CommandLine {
  configPath?: string;
  port?: number;
  host?: string;
  help: boolean;
}

/**
 * Parses `--config FILE`, `--port N`, `--host H` (also `--name=value`) and `--help`.
 *
 * @throws Error for an unknown flag, a missing value or a bad port.
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const result: CommandLine = { help: false };
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index]!;
    if (argument === '--help' || argument === '-h') {
      result.help = true;
      continue;
    }
    const match = /^--(config|port|host)(?:=(.*))?$/.exec(argument);
    if (match === null) throw new Error(`unknown argument '${argument}'`);
    const name = match[1]!;
    let value = match[2];
    if (value === undefined) {
      value = argv[index + 1];
      index += 1;
      if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
    }
    if (name === 'config') result.configPath = value;
    else if (name === 'host') result.host = value;
    else {
      const port = Number(value);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new Error(`--port must be an integer from 0 to 65535, got '${value}'`);
      result.port = port;
    }
  }
  return result;
}

const USAGE = `Usage: npm start -- [--config FILE] [--port N] [--host H]
  --config FILE  YAML or JSON config file (default: the embedded demo config, mock providers)
  --port N       port to listen on (default: server.port, 8787; 0 = any free port)
  --host H       address to listen on (default: server.host, 127.0.0.1)`;

/** Runs the server process: parse the command line, listen, print how to call it, drain on SIGTERM/SIGINT. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  let commandLine: CommandLine;
  try {
    commandLine = parseCommandLine(argv);
  } catch (error) {
    process.stderr.write(`switchboard: ${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (commandLine.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let running: RunningServer;
  try {
    running = await startServer({
      ...(commandLine.configPath !== undefined ? { configPath: commandLine.configPath } : {}),
      ...(commandLine.port !== undefined ? { port: commandLine.port } : {}),
      ...(commandLine.host !== undefined ? { host: commandLine.host } : {}),
      collectProcessMetrics: true,
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(
        `switchboard: ${error.source === undefined ? 'invalid configuration' : `invalid configuration in ${error.source}`}\n`,
      );
      for (const issue of error.issues) process.stderr.write(`  ${formatIssue(issue)}\n`);
    } else {
      process.stderr.write(`switchboard: cannot start: ${(error as Error).message}\n`);
    }
    process.exit(1);
  }

  const source = commandLine.configPath ?? 'the embedded demo config (mock providers)';
  const models = running.router.registeredModels().map((registered) => registered.id);
  const model = models.includes('gpt-4o-mini') ? 'gpt-4o-mini' : (models[0] ?? 'gpt-4o-mini');
  const auth = running.config.server.apiKeys?.length ? ` -H 'authorization: Bearer <one of server.apiKeys>'` : '';
  process.stdout.write(
    `Switchboard gateway listening on ${running.url} (${source}; providers: ${
      running.router
        .providers()
        .map((adapter) => adapter.name)
        .join(', ') || 'none'
    })\n` +
      `Try: curl -s ${running.url}/v1/chat/completions -H 'content-type: application/json'${auth} -d '{"model":"${model}","messages":[{"role":"user","content":"Hello"}]}'\n`,
  );

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`Received ${signal} again: exiting without waiting for the drain\n`);
      process.exit(1);
    }
    stopping = true;
    process.stdout.write(`Received ${signal}: draining in-flight requests, then exiting\n`);
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`switchboard: error while shutting down: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

function isMainModule(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isMainModule()) await main();
