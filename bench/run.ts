/**
 * `npm run bench`: the whole benchmark suite, writing bench/RESULTS.md.
 *
 * Starts a mock OpenAI upstream and each compared server as its own process on 127.0.0.1
 * (direct, Hono pass-through, node:http pass-through, Portkey's gateway, our gateway),
 * measures them interleaved over several rounds (open-loop latency, wrk throughput, streams,
 * time to first chunk), then concurrent slow streams, the router micro-benchmark and a CPU
 * profile of our gateway under load. Every child is stopped by PID at the end, even on error.
 *
 * Flags (or env): `--quick` (BENCH_QUICK=1: 2 rounds × 2 s, 1 s warm-up), `--rounds N` (BENCH_ROUNDS, default 5),
 * `--seconds S` (BENCH_SECONDS, default 4), `--rate R` (BENCH_RATE, default 200),
 * `--stream-rate R` (default 100), `--connections C` (default 32), `--streams N` (default 1000),
 * `--skip-portkey`, `--skip-concurrent`, `--skip-router`, `--skip-profile`; `--profile-only` just
 * profiles our gateway and prints that section (RESULTS.md is left alone).
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measurePeer, openFileLimit, slowStream, type ConcurrentStreamsResult } from './concurrent-streams.ts';
import { selfTimeByFile, topSelfTime, type CpuProfile } from './cpu-profile.ts';
import type { LatencyClientOptions, LatencyClientResult } from './latency-client.ts';
import { describeGatewayFeatures } from './gateway-check.ts';
import { measureRuntimeBaseline, readMachineInfo } from './machine-info.ts';
import {
  installCleanupHandlers,
  readCpuMicroseconds,
  readPeakRssMebibytes,
  runToCompletion,
  stopAllProcesses,
  stopProcess,
} from './processes.ts';
import {
  formatProfileMarkdown,
  formatReport,
  type BenchmarkResults,
  type BenchmarkSettings,
  type GatewayProfile,
  type TargetMeasurements,
  type TargetRound,
} from './report.ts';
import { formatRouterSelectMarkdown, type RouterSelectReport } from './router-select.ts';
import { formatNumber } from './stats.ts';
import {
  chatPath,
  completionBody,
  directTarget,
  ensurePortkeyInstalled,
  gatewayIsAvailable,
  outputDirectory,
  repositoryRoot,
  startHonoPeer,
  startMockUpstream,
  startNodeHttpPeer,
  startPortkeyPeer,
  startSwitchboardGateway,
  streamBody,
  type RunningTarget,
} from './targets.ts';
import { ensureWrk, runWrk } from './wrk-runner.ts';
import type { WrkResult } from './wrk-output.ts';

function readSettings(): BenchmarkSettings & {
  skipPortkey: boolean;
  skipConcurrent: boolean;
  skipRouter: boolean;
  skipProfile: boolean;
  profileOnly: boolean;
} {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      seconds: { type: 'string' },
      rate: { type: 'string' },
      'stream-rate': { type: 'string' },
      connections: { type: 'string' },
      streams: { type: 'string' },
      'skip-portkey': { type: 'boolean', default: false },
      'skip-concurrent': { type: 'boolean', default: false },
      'skip-router': { type: 'boolean', default: false },
      'skip-profile': { type: 'boolean', default: false },
      'profile-only': { type: 'boolean', default: false },
    },
  });
  const quick = values.quick || process.env.BENCH_QUICK === '1';
  const number = (flag: string | undefined, environmentName: string, fallback: number): number => {
    const raw = flag ?? process.env[environmentName];
    const parsed = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(parsed) || parsed <= 0)
      throw new Error(`${environmentName} / flag must be a positive number, got ${raw}`);
    return parsed;
  };
  const argv = process.argv.slice(2).join(' ');
  return {
    rounds: Math.round(number(values.rounds, 'BENCH_ROUNDS', quick ? 2 : 5)),
    durationSeconds: Math.round(number(values.seconds, 'BENCH_SECONDS', quick ? 2 : 4)),
    warmupSeconds: quick ? 1 : 3,
    rate: number(values.rate, 'BENCH_RATE', 200),
    streamRate: number(values['stream-rate'], 'BENCH_STREAM_RATE', 100),
    connections: Math.round(number(values.connections, 'BENCH_CONNECTIONS', 32)),
    streamChunks: 10,
    concurrentStreams: Math.round(number(values.streams, 'BENCH_STREAMS', 1000)),
    command: `npm run bench${argv === '' ? '' : ` -- ${argv}`}`,
    skipPortkey: values['skip-portkey'],
    skipConcurrent: values['skip-concurrent'],
    skipRouter: values['skip-router'],
    skipProfile: values['skip-profile'],
    profileOnly: values['profile-only'],
  };
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function runLatencyClient(options: LatencyClientOptions): Promise<LatencyClientResult> {
  const output = await runToCompletion(
    'latency client',
    process.execPath,
    ['--import', 'tsx', 'bench/latency-client.ts', JSON.stringify(options)],
    (options.durationSeconds + 60) * 1000,
  );
  return JSON.parse(output) as LatencyClientResult;
}

async function attempt<Result>(label: string, action: () => Promise<Result>): Promise<Result | null> {
  try {
    return await action();
  } catch (error) {
    say(`  ${label}: FAILED: ${(error as Error).message.split('\n')[0]}`);
    return null;
  }
}

/** Starts the compared servers; a peer that cannot start is left out with a note. */
async function startTargets(
  mockPort: number,
  direct: RunningTarget,
  notes: string[],
  skipPortkey: boolean,
): Promise<RunningTarget[]> {
  const targets: RunningTarget[] = [direct];
  const optional = async (label: string, start: () => Promise<RunningTarget>): Promise<void> => {
    const target = await attempt(`start ${label}`, start);
    if (target === null) notes.push(`${label}: could not start, left out (see bench/.out/*.log)`);
    else targets.push(target);
  };
  await optional('Hono pass-through', () => startHonoPeer(mockPort));
  await optional('node:http pass-through', () => startNodeHttpPeer(mockPort));
  if (skipPortkey) notes.push('Portkey: skipped (--skip-portkey)');
  else {
    const installed = await attempt('install Portkey', ensurePortkeyInstalled);
    if (installed === null) notes.push('Portkey: could not be installed into bench/peers/portkey, left out');
    else {
      say(installed);
      await optional('Portkey gateway', () => startPortkeyPeer(mockPort));
    }
  }
  if (gatewayIsAvailable()) await optional('Switchboard gateway', () => startSwitchboardGateway(mockPort));
  else
    notes.push(
      'Switchboard gateway: not in the tree yet (bootstrap.ts, providers/index.ts or src/gateway missing), skipped',
    );
  return targets;
}

type Measurement = 'sequential' | 'latency' | 'throughput' | 'streamThroughput' | 'firstChunk';

async function measure(
  kind: Measurement,
  target: RunningTarget,
  settings: BenchmarkSettings,
): Promise<LatencyClientResult | WrkResult | null> {
  const headers = { 'content-type': 'application/json', ...target.headers };
  const wrkLoad = {
    origin: target.origin,
    path: chatPath,
    headers: target.headers,
    connections: settings.connections,
    durationSeconds: settings.durationSeconds,
  };
  const clientLoad = {
    origin: target.origin,
    path: chatPath,
    headers,
    durationSeconds: settings.durationSeconds,
    warmupRequests: 50,
  };
  switch (kind) {
    case 'sequential':
      return attempt(`${target.name} sequential`, () => runWrk({ ...wrkLoad, connections: 1, body: completionBody }));
    case 'latency':
      return attempt(`${target.name} latency`, () =>
        runLatencyClient({ ...clientLoad, body: completionBody, rate: settings.rate, mode: 'complete' }),
      );
    case 'throughput':
      return attempt(`${target.name} throughput`, () => runWrk({ ...wrkLoad, body: completionBody }));
    case 'streamThroughput':
      return attempt(`${target.name} stream throughput`, () => runWrk({ ...wrkLoad, body: streamBody }));
    case 'firstChunk':
      return attempt(`${target.name} first chunk`, () =>
        runLatencyClient({ ...clientLoad, body: streamBody, rate: settings.streamRate, mode: 'first-chunk' }),
      );
  }
}

function describe(kind: Measurement, result: LatencyClientResult | WrkResult | null): string {
  if (result === null) return 'failed';
  if ('requestsPerSecond' in result) {
    const latency =
      kind === 'sequential'
        ? `, p50 ${formatNumber(result.latencyMs.p50, 3)} ms, p99 ${formatNumber(result.latencyMs.p99, 3)} ms`
        : '';
    return `${formatNumber(result.requestsPerSecond)} req/s${latency}, ${result.errors} errors`;
  }
  const summary = kind === 'firstChunk' ? result.firstChunkMs : result.totalMs;
  return `p50 ${formatNumber(summary?.p50 ?? Number.NaN, 2)} ms, p99 ${formatNumber(summary?.p99 ?? Number.NaN, 2)} ms, ${result.failed} failed${result.missingDone > 0 ? `, ${result.missingDone} without [DONE]` : ''}`;
}

/** The interleaved rounds: per round, per measurement kind, every target in order. */
async function runRounds(
  targets: readonly RunningTarget[],
  settings: BenchmarkSettings,
): Promise<TargetMeasurements[]> {
  const measurements: TargetMeasurements[] = targets.map((target) => ({
    name: target.name,
    label: target.label,
    rounds: [],
    peakRssMebibytes: Number.NaN,
  }));
  say(`warm-up: ${targets.length} targets × ${settings.warmupSeconds} s wrk, non-streamed and streamed`);
  for (const target of targets) {
    await attempt(`${target.name} warm-up`, () =>
      runWrk({
        origin: target.origin,
        path: chatPath,
        headers: target.headers,
        connections: settings.connections,
        durationSeconds: settings.warmupSeconds,
        body: completionBody,
      }),
    );
    await attempt(`${target.name} warm-up`, () =>
      runWrk({
        origin: target.origin,
        path: chatPath,
        headers: target.headers,
        connections: settings.connections,
        durationSeconds: settings.warmupSeconds,
        body: streamBody,
      }),
    );
  }
  const kinds: Measurement[] = ['sequential', 'latency', 'throughput', 'streamThroughput', 'firstChunk'];
  for (let round = 1; round <= settings.rounds; round += 1) {
    const rounds: TargetRound[] = targets.map(() => ({
      sequential: null,
      latency: null,
      throughput: null,
      streamThroughput: null,
      firstChunk: null,
      throughputCpuMicroseconds: null,
      streamCpuMicroseconds: null,
    }));
    for (const kind of kinds) {
      for (const [index, target] of targets.entries()) {
        const cpuBefore = readCpuMicroseconds(target.process.pid);
        const result = await measure(kind, target, settings);
        const cpuPerRequest =
          result !== null && 'requests' in result && result.requests > 0
            ? (readCpuMicroseconds(target.process.pid) - cpuBefore) / result.requests
            : null;
        const slot = rounds[index] as TargetRound;
        if (kind === 'latency' || kind === 'firstChunk') slot[kind] = result as LatencyClientResult | null;
        else slot[kind] = result as WrkResult | null;
        if (kind === 'throughput') slot.throughputCpuMicroseconds = cpuPerRequest;
        if (kind === 'streamThroughput') slot.streamCpuMicroseconds = cpuPerRequest;
        say(`round ${round}/${settings.rounds} ${kind.padEnd(16)} ${target.name.padEnd(11)} ${describe(kind, result)}`);
      }
    }
    rounds.forEach((slot, index) => (measurements[index] as TargetMeasurements).rounds.push(slot));
  }
  targets.forEach(
    (target, index) =>
      ((measurements[index] as TargetMeasurements).peakRssMebibytes = readPeakRssMebibytes(target.process.pid)),
  );
  return measurements;
}

async function runConcurrentStreamsSection(
  settings: BenchmarkSettings,
  notes: string[],
  withPortkey: boolean,
): Promise<ConcurrentStreamsResult[]> {
  const limit = openFileLimit();
  if (limit < settings.concurrentStreams * 3)
    notes.push(`ulimit -n is ${limit}: ${settings.concurrentStreams} concurrent streams may run out of descriptors`);
  const mock = await startMockUpstream('mock-upstream-slow', slowStream);
  const starters: Array<[string, (mockPort: number) => Promise<RunningTarget>]> = [
    ['Hono pass-through', startHonoPeer],
    ['node:http pass-through', startNodeHttpPeer],
  ];
  if (withPortkey) starters.push(['Portkey gateway', startPortkeyPeer]);
  if (gatewayIsAvailable())
    starters.push(['Switchboard gateway', (port) => startSwitchboardGateway(port, [], 'gateway-config-streams.json')]);
  const results: ConcurrentStreamsResult[] = [];
  try {
    for (const [label, start] of starters) {
      const result = await attempt(`${label} concurrent streams`, () =>
        measurePeer(start, mock.port, settings.concurrentStreams),
      );
      if (result === null) continue;
      say(
        `concurrent streams ${label}: ${result.completed}/${result.streams} completed, ${result.failed} failed, peak RSS ${formatNumber(result.peakRssMebibytes, 1)} MiB`,
      );
      results.push(result);
    }
  } finally {
    await stopProcess(mock.process);
  }
  return results;
}

async function runRouterSection(quick: boolean): Promise<string> {
  const output = await runToCompletion(
    'router-select',
    process.execPath,
    ['--expose-gc', '--import', 'tsx', 'bench/router-select.ts', '--json', '--sample-ms', quick ? '30' : '60'],
    180_000,
  );
  return formatRouterSelectMarkdown(JSON.parse(output) as RouterSelectReport);
}

async function runProfileSection(mockPort: number, settings: BenchmarkSettings): Promise<GatewayProfile> {
  const profileDirectory = join(outputDirectory, 'cpu-profile');
  rmSync(profileDirectory, { recursive: true, force: true });
  const gateway = await startSwitchboardGateway(
    mockPort,
    ['--cpu-prof', `--cpu-prof-dir=${profileDirectory}`],
    'gateway-config-profile.json',
  );
  const seconds = Math.max(3, settings.durationSeconds);
  const loads = [
    { load: 'non-streamed', body: completionBody },
    { load: `streamed (${settings.streamChunks} chunks)`, body: streamBody },
  ];
  const windows: Array<{ load: string; requestsPerSecond: number; fromMicroseconds: number; toMicroseconds: number }> =
    [];
  try {
    for (const { load, body } of loads) {
      const fromMicroseconds = Number(process.hrtime.bigint() / 1000n);
      const result = await runWrk({
        origin: gateway.origin,
        path: chatPath,
        headers: gateway.headers,
        connections: settings.connections,
        durationSeconds: seconds,
        body,
      });
      windows.push({
        load,
        requestsPerSecond: result.requestsPerSecond,
        fromMicroseconds,
        toMicroseconds: Number(process.hrtime.bigint() / 1000n),
      });
      say(`profile: ${load} ${formatNumber(result.requestsPerSecond)} req/s under --cpu-prof`);
    }
  } finally {
    await stopProcess(gateway.process, 15_000);
  }
  const file = readdirSync(profileDirectory).find((name) => name.endsWith('.cpuprofile'));
  if (file === undefined)
    throw new Error('the gateway wrote no .cpuprofile (did it exit through process.exit on SIGTERM?)');
  const profile = JSON.parse(readFileSync(join(profileDirectory, file), 'utf8')) as CpuProfile;
  return {
    secondsPerWindow: seconds,
    windows: windows.map(({ load, requestsPerSecond, ...window }) => ({
      load,
      requestsPerSecond,
      topFunctions: topSelfTime(profile, 15, window),
      byFile: selfTimeByFile(profile, 10, window),
    })),
  };
}

async function profileOnly(settings: BenchmarkSettings): Promise<void> {
  if (!gatewayIsAvailable()) throw new Error('the gateway is not in the tree yet: nothing to profile');
  say(await ensureWrk());
  try {
    const mock = await startMockUpstream('mock-upstream', { streamChunks: settings.streamChunks, chunkDelayMs: 0 });
    say(`\n${formatProfileMarkdown(await runProfileSection(mock.port, settings))}`);
  } finally {
    await stopAllProcesses();
  }
}

async function main(): Promise<void> {
  process.chdir(repositoryRoot);
  installCleanupHandlers();
  const settings = readSettings();
  if (settings.profileOnly) return profileOnly(settings);
  const quick = settings.rounds <= 2 && settings.durationSeconds <= 2;
  const notes: string[] = [];
  const started = Date.now();
  let results: BenchmarkResults | undefined;
  try {
    const wrkNote = await ensureWrk();
    say(wrkNote);
    if (!wrkNote.endsWith('found on PATH')) notes.push(wrkNote);
    const mock = await startMockUpstream('mock-upstream', { streamChunks: settings.streamChunks, chunkDelayMs: 0 });
    const targets = await startTargets(mock.port, directTarget(mock.port, mock.process), notes, settings.skipPortkey);
    const machine = readMachineInfo();
    say(
      `targets: ${targets.map((target) => `${target.name} (${target.origin}, pid ${target.process.pid})`).join(', ')}`,
    );
    const measurements = await runRounds(targets, settings);
    const gateway = targets.find((target) => target.name === 'switchboard');
    if (gateway !== undefined) {
      const features = await attempt('gateway feature check', () => describeGatewayFeatures(gateway));
      if (features !== null) notes.push(features);
    }
    for (const target of targets) if (target.name !== 'direct') await stopProcess(target.process);

    let profile: BenchmarkResults['profile'] = null;
    if (settings.skipProfile) notes.push('CPU profile: skipped (--skip-profile)');
    else if (!gatewayIsAvailable() || !targets.some((target) => target.name === 'switchboard'))
      notes.push('CPU profile: skipped, the gateway is not running');
    else profile = await attempt('CPU profile', () => runProfileSection(mock.port, settings));
    await stopProcess(mock.process);

    const concurrentStreams = settings.skipConcurrent
      ? (notes.push('concurrent streams: skipped (--skip-concurrent)'), [])
      : await runConcurrentStreamsSection(
          settings,
          notes,
          targets.some((target) => target.name === 'portkey'),
        );
    const routerSelectMarkdown = settings.skipRouter
      ? (notes.push('router micro-benchmark: skipped (--skip-router)'), null)
      : await attempt('router micro-benchmark', () => runRouterSection(quick));

    const baseline = await attempt('runtime baseline', measureRuntimeBaseline);
    if (baseline !== null) {
      notes.push(
        `Runtime baseline: an empty Node process peaks at ${formatNumber(baseline.plainNodeMebibytes, 1)} MiB RSS, ${formatNumber(baseline.tsxMebibytes, 1)} MiB under \`node --import tsx\`. ` +
          'Our gateway runs as `npm start` runs it: bundled by esbuild into `dist/switchboard.mjs`, on plain node. The two TypeScript pass-through peers and the mock run under tsx, Portkey as plain JavaScript: mind the difference when comparing RSS.',
      );
    }
    notes.push(`total wall time ${formatNumber((Date.now() - started) / 1000)} s`);
    results = { settings, machine, targets: measurements, notes, routerSelectMarkdown, concurrentStreams, profile };
  } finally {
    await stopAllProcesses();
  }
  writeFileSync(join(outputDirectory, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const report = formatReport(results);
  writeFileSync(join(repositoryRoot, 'bench', 'RESULTS.md'), report);
  say(`\n${report}`);
  say('Wrote bench/RESULTS.md');
}

await main();
process.exit(0);
