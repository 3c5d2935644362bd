/**
 * `npm run chaos [-- --seconds N]`: the real gateway (the bundled CLI, as `npm start` runs it) in a
 * child process, behind a hostile upstream (500s, hangs, resets, drips, comment-only streams, giant
 * bodies, newline-free streams, errors echoing the key) and in front of mixed clients (normal,
 * hostile bodies, slow readers, disconnects) for a bounded time. Prints a report (also written to
 * bench/.out/chaos-report.md) and exits 1 on any lost or hung request, any 5xx the gateway caused
 * itself, any unexpected error logged, any leaked upstream key, or a peak RSS over 300 MiB.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMainModule } from '../main-module.ts';
import {
  findFreePort,
  installCleanupHandlers,
  nodeTypeScriptArgs,
  readPeakRssMebibytes,
  runToCompletion,
  startProcess,
  stopProcess,
  waitForPort,
} from '../processes.ts';
import { createSeededRandom } from '../../src/contract/seeded-random.ts';
import { gatewayArguments } from '../targets.ts';
import {
  disconnectRequest,
  hostileRequest,
  normalRequest,
  slowReaderRequest,
  type ClientKind,
  type ClientTarget,
  type Outcome,
} from './chaos-clients.ts';
import { buildReport, formatReport, type ProbeMeasurements } from './chaos-report.ts';
import { faultBaseURL, PROFILES } from './fault-upstream.ts';

const repositoryRoot = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const outputDirectory = join(repositoryRoot, 'bench', '.out');

/** Concurrent loops per client kind. */
const LOOPS: Record<ClientKind, number> = { normal: 12, hostile: 4, 'slow-reader': 4, disconnect: 4 };
const GATEWAY_KEY = 'sb-chaos-gateway-key';
const MODEL = 'chaos-model';
/** The gateway's own limits in this run: every request must end within the deadline; hung = not done 10 s after it. */
const ROUTER = {
  strategy: 'round_robin',
  maxAttempts: 3,
  deadlineMs: 15_000,
  requestTimeoutMs: 6_000,
  firstTokenTimeoutMs: 3_000,
  streamIdleTimeoutMs: 2_000,
  circuitBreaker: { consecutiveFailureLimit: 3, openTimeoutMs: 3_000 },
  healthCheck: { intervalMs: 2_000, timeoutMs: 1_000 },
  retry: { sameProvider: 1, backoffMs: 50 },
};
const HANG_BOUND_MS = ROUTER.deadlineMs + 10_000;

function parseSeconds(argv: readonly string[]): number {
  const index = argv.indexOf('--seconds');
  const value = index === -1 ? 60 : Number(argv[index + 1]);
  if (!Number.isFinite(value) || value <= 0 || value > 3_600)
    throw new Error('--seconds takes a number of seconds (1–3600)');
  return value;
}

/** Runs the chaos and returns the exit code. */
export async function runChaos(seconds: number): Promise<number> {
  installCleanupHandlers();
  mkdirSync(outputDirectory, { recursive: true });
  const upstreamPort = await findFreePort();
  const upstreamProcess = startProcess({
    name: 'fault-upstream',
    command: process.execPath,
    args: [
      ...nodeTypeScriptArgs(join(repositoryRoot, 'bench', 'chaos', 'fault-upstream.ts')),
      '--port',
      String(upstreamPort),
    ],
    cwd: repositoryRoot,
    env: { NODE_OPTIONS: '' },
    errorLogFile: join(outputDirectory, 'chaos-upstream.stderr.log'),
  });
  await waitForPort(upstreamPort, upstreamProcess);
  // One key per provider, each unique, so a leak names its provider.
  const keys = Object.keys(PROFILES).map((profile) => `sk-chaos-${profile}-${randomBytes(12).toString('hex')}`);
  const config = {
    server: { apiKeys: [GATEWAY_KEY], maxBodyBytes: 1_048_576, logLevel: 'info' },
    router: ROUTER,
    providers: Object.keys(PROFILES).map((profile, index) => ({
      name: profile,
      type: 'openai',
      baseURL: faultBaseURL(upstreamPort, profile),
      apiKey: keys[index],
      models: [MODEL],
      maxResponseBytes: 4 * 1_048_576,
    })),
  };
  const configPath = join(outputDirectory, 'chaos-config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const logPath = join(outputDirectory, 'chaos-gateway.log');
  const errorLogPath = join(outputDirectory, 'chaos-gateway.stderr.log');
  writeFileSync(logPath, '');
  writeFileSync(errorLogPath, '');

  await runToCompletion('npm run bundle', 'npm', ['run', '-s', 'bundle'], 120_000);
  const port = await findFreePort();
  const gateway = startProcess({
    name: 'switchboard',
    command: process.execPath,
    args: gatewayArguments(repositoryRoot, configPath, port),
    cwd: repositoryRoot,
    env: { NODE_OPTIONS: '' },
    logFile: logPath,
    errorLogFile: errorLogPath,
  });
  await waitForPort(port, gateway);
  const origin = `http://127.0.0.1:${port}`;
  const target: ClientTarget = { origin, apiKey: GATEWAY_KEY, model: MODEL, hangBoundMs: HANG_BOUND_MS };
  process.stdout.write(
    `chaos: gateway pid ${gateway.pid} on ${origin}, ${seconds} s of mixed clients and upstream faults\n`,
  );

  const outcomes: Outcome[] = [];
  const probes: ProbeMeasurements = {
    seconds,
    peakRssMebibytes: 0,
    scrapeBytesMax: 0,
    scrapeMilliseconds: [],
    healthMilliseconds: [],
    eventLoopLagMaxMilliseconds: 0,
    upstreamFaults: {},
    leakedKeys: [],
    errorLogLines: [],
  };
  const leakIn = (where: string, text: string) => {
    for (const key of keys) if (text.includes(key)) probes.leakedKeys.push(`${where}: ${key.slice(0, 16)}…`);
  };

  const endAt = Date.now() + seconds * 1_000;
  const running = () => Date.now() < endAt;
  const clients: Record<ClientKind, (target: ClientTarget, random: () => number) => Promise<Outcome>> = {
    normal: normalRequest,
    hostile: hostileRequest,
    'slow-reader': slowReaderRequest,
    disconnect: disconnectRequest,
  };
  const loops: Promise<void>[] = [];
  for (const [kind, count] of Object.entries(LOOPS) as [ClientKind, number][]) {
    for (let loop = 0; loop < count; loop += 1) {
      const loopRandom = createSeededRandom(loop * 31 + kind.length);
      loops.push(
        (async () => {
          while (running()) {
            const outcome = await clients[kind](target, loopRandom);
            if (outcome.text !== undefined) leakIn(`${kind} client`, outcome.text);
            delete outcome.text;
            outcomes.push(outcome);
          }
        })(),
      );
    }
  }

  const probeLoops: Promise<void>[] = [];
  probeLoops.push(
    (async () => {
      while (running()) {
        const started = performance.now();
        try {
          await (await fetch(`${origin}/health`, { signal: AbortSignal.timeout(HANG_BOUND_MS) })).text();
          probes.healthMilliseconds.push(performance.now() - started);
        } catch {
          probes.healthMilliseconds.push(Number.POSITIVE_INFINITY);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })(),
    (async () => {
      while (running()) {
        const started = performance.now();
        try {
          const text = await (await fetch(`${origin}/metrics`, { signal: AbortSignal.timeout(HANG_BOUND_MS) })).text();
          probes.scrapeMilliseconds.push(performance.now() - started);
          probes.scrapeBytesMax = Math.max(probes.scrapeBytesMax, Buffer.byteLength(text));
          const lag = /^switchboard_nodejs_eventloop_lag_max_seconds (\S+)/m.exec(text);
          if (lag !== null)
            probes.eventLoopLagMaxMilliseconds = Math.max(probes.eventLoopLagMaxMilliseconds, Number(lag[1]) * 1_000);
          leakIn('/metrics', text);
        } catch {
          probes.scrapeMilliseconds.push(Number.POSITIVE_INFINITY);
        }
        probes.peakRssMebibytes = Math.max(probes.peakRssMebibytes, readPeakRssMebibytes(gateway.pid));
        await new Promise((resolve) => setTimeout(resolve, 2_000));
      }
    })(),
  );

  await Promise.all([...loops, ...probeLoops]);
  probes.peakRssMebibytes = Math.max(probes.peakRssMebibytes, readPeakRssMebibytes(gateway.pid));
  await stopProcess(gateway, 15_000);
  try {
    probes.upstreamFaults = (await (await fetch(`http://127.0.0.1:${upstreamPort}/__stats`)).json()) as Record<
      string,
      number
    >;
  } catch {
    // the counts are informative only
  }
  await stopProcess(upstreamProcess);

  const log = `${readFileSync(logPath, 'utf8')}\n${readFileSync(errorLogPath, 'utf8')}`;
  for (const line of log.split('\n')) {
    if (line.length === 0) continue;
    leakIn('gateway log', line);
    if (line.includes('"level":"error"')) probes.errorLogLines.push(line.slice(0, 300));
  }
  const report = buildReport(outcomes, probes);
  const text = formatReport(report);
  writeFileSync(join(outputDirectory, 'chaos-report.md'), `${text}\n`);
  process.stdout.write(`${text}\n`);
  if (probes.errorLogLines.length > 0)
    process.stdout.write(`\nFirst unexpected errors:\n${probes.errorLogLines.slice(0, 3).join('\n')}\n`);
  return report.failures.length === 0 ? 0 : 1;
}

if (isMainModule(import.meta.url)) {
  runChaos(parseSeconds(process.argv.slice(2))).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
