import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { startServer, type RunningServer } from '../bootstrap.ts';
import { ConfigurationError, formatIssue } from '../src/contract/configuration-error.ts';
import type { SwitchboardConfig } from '../src/config/config-schema.ts';
import { demoConfig } from '../src/config/demo-config.ts';
import { loadConfigFile } from '../src/config/load-config.ts';
import { aggregateWorkerMetrics, workerMetricsOf } from '../src/metrics/cluster-metrics.ts';
import { createClusterWorkerState, type IpcChannel } from '../src/state/cluster-state.ts';
import { METRICS_TAG, runClusterPrimary } from './cluster-primary.ts';
import { parseCommandLine, USAGE, type CommandLine } from './command-line.ts';

/**
 * Runs the gateway process: parse the command line, listen, print how to call it, on SIGHUP
 * reload the config file, and on SIGTERM/SIGINT drain in-flight requests and streams (bounded), then exit 0.
 *
 * @example
 * ```ts
 * await main(['--config', 'switchboard.yaml']);
 * ```
 */
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
  if (commandLine.version) {
    process.stdout.write(`switchboard ${packageVersion()}\n`);
    return;
  }
  let running: RunningServer;
  try {
    const config =
      commandLine.configPath !== undefined ? await loadConfigFile(commandLine.configPath) : demoConfig(process.env);
    const workers = workerCount(config);
    if (cluster.isPrimary && workers > 1) {
      runClusterPrimary(workers, argv);
      return;
    }
    // A worker without Redis shares circuits, cool-downs, buckets and admin changes through its primary.
    const sharedState =
      cluster.isWorker && config.state?.redis === undefined
        ? createClusterWorkerState(process as unknown as IpcChannel, `worker-${cluster.worker?.id ?? process.pid}`)
        : undefined;
    // The file is read again by startServer, which keeps its path for SIGHUP / POST /admin/reload.
    running = await startServer({
      ...(commandLine.configPath !== undefined ? { configPath: commandLine.configPath } : {}),
      ...(commandLine.port !== undefined ? { port: commandLine.port } : {}),
      ...(commandLine.host !== undefined ? { host: commandLine.host } : {}),
      ...(sharedState !== undefined ? { sharedState } : {}),
      collectProcessMetrics: true,
    });
  } catch (error) {
    if (ConfigurationError.isInstance(error)) {
      process.stderr.write(
        `switchboard: ${error.source === undefined ? 'invalid configuration' : `invalid configuration in ${error.source}`}\n`,
      );
      for (const issue of error.issues) process.stderr.write(`  ${formatIssue(issue)}\n`);
    } else {
      process.stderr.write(`switchboard: cannot start: ${(error as Error).message}\n`);
    }
    process.exit(1);
  }
  if (cluster.isWorker) {
    serveWorkerMetrics(running);
    process.stdout.write(
      `${JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: 'worker listening', worker: cluster.worker?.id, pid: process.pid, url: running.url })}\n`,
    );
    if (process.env.SWITCHBOARD_GREET === '1') printGreeting(running, commandLine.configPath);
    reloadOnHangUp(running);
    stopOnSignals(running, ['SIGTERM']);
    // The primary forwards SIGINT as SIGTERM; a primary gone (killed) takes its workers with it.
    process.on('SIGINT', () => {});
    process.on('disconnect', () => process.exit(1));
    return;
  }
  printGreeting(running, commandLine.configPath);
  reloadOnHangUp(running);
  stopOnSignals(running);
}

/** SIGHUP: re-read the config file; the reload logs its outcome (a refused file at `error`, the old config kept). */
function reloadOnHangUp(running: RunningServer): void {
  process.on('SIGHUP', () => {
    if (running.reload === undefined) {
      process.stderr.write('Received SIGHUP: started without --config, there is no config file to reload\n');
      return;
    }
    running.reload('signal').catch(() => {
      // Logged by the reload; the old config stays.
    });
  });
}

/** `server.workers`, with `auto` = one per core. */
function workerCount(config: SwitchboardConfig): number {
  const workers = config.server.workers;
  return workers === 'auto' ? availableParallelism() : workers;
}

/**
 * In a worker: `/metrics` shows the whole process (the primary gathers every worker's metrics
 * and aggregates them), and this worker answers the primary's requests for its own.
 */
function serveWorkerMetrics(running: RunningServer): void {
  const pending = new Map<number, (text: string | undefined) => void>();
  let counter = 0;
  process.on('message', (message: unknown) => {
    if (typeof message !== 'object' || message === null) return;
    const body = message as { tag?: unknown; kind?: unknown; id?: unknown; text?: unknown };
    if (body.tag !== METRICS_TAG || typeof body.id !== 'number') return;
    if (body.kind === 'collect') {
      const id = body.id;
      void workerMetricsOf(running.metrics).then((metrics) =>
        process.send?.({ tag: METRICS_TAG, kind: 'collected', id, metrics }),
      );
    } else if (body.kind === 'rendered') {
      pending.get(body.id)?.(typeof body.text === 'string' && body.text !== '' ? body.text : undefined);
      pending.delete(body.id);
    }
  });
  // GatewayMetrics is a plain object read at each scrape: its render becomes the process-wide one.
  running.metrics.render = () => {
    counter += 1;
    const id = counter;
    return new Promise<string>((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        resolve(workerMetricsOf(running.metrics).then((own) => aggregateWorkerMetrics([own])));
      }, 5_000);
      timer.unref();
      pending.set(id, (text) => {
        clearTimeout(timer);
        resolve(text ?? workerMetricsOf(running.metrics).then((own) => aggregateWorkerMetrics([own])));
      });
      process.send?.({ tag: METRICS_TAG, kind: 'render', id });
    });
  };
}

function printGreeting(running: RunningServer, configPath: string | undefined): void {
  const source = configPath ?? 'the embedded demo config (mock providers)';
  const models = running.router.registeredModels().map((registered) => registered.id);
  const model = models.includes('gpt-4o-mini') ? 'gpt-4o-mini' : (models[0] ?? 'gpt-4o-mini');
  const auth = running.config.server.apiKeys?.length ? ` -H 'authorization: Bearer <one of server.apiKeys>'` : '';
  const providers =
    running.router
      .providers()
      .map((adapter) => adapter.name)
      .join(', ') || 'none';
  process.stdout.write(
    `Switchboard gateway listening on ${running.url} (${source}; providers: ${providers})\n` +
      `Try: curl -s ${running.url}/v1/chat/completions -H 'content-type: application/json'${auth} -d '{"model":"${model}","messages":[{"role":"user","content":"Hello"}]}'\n`,
  );
}

/** SIGTERM / SIGINT: drain, then exit 0; a second signal exits at once with 1. */
function stopOnSignals(running: RunningServer, signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): void {
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
  for (const signal of signals) process.on(signal, shutdown);
}

/** The `version` of the package.json found walking up from this module (source tree or `dist/`). */
function packageVersion(): string {
  for (let directory = new URL('./', import.meta.url); ; directory = new URL('../', directory)) {
    try {
      const manifest = JSON.parse(readFileSync(new URL('package.json', directory), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === 'switchboard' && manifest.version !== undefined) return manifest.version;
    } catch {
      // not here; look one level up
    }
    if (directory.pathname === '/') return 'unknown';
  }
}
