import { readFileSync } from 'node:fs';
import { startServer, type RunningServer } from '../bootstrap.ts';
import { ConfigurationError, formatIssue } from '../src/contract/configuration-error.ts';
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
    running = await startServer({
      ...(commandLine.configPath !== undefined ? { configPath: commandLine.configPath } : {}),
      ...(commandLine.port !== undefined ? { port: commandLine.port } : {}),
      ...(commandLine.host !== undefined ? { host: commandLine.host } : {}),
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
function stopOnSignals(running: RunningServer): void {
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
