/**
 * Turns the measurements of one `npm run bench` into bench/RESULTS.md: medians over rounds,
 * differences against the direct (no proxy) path paired by round, ratios against the Hono
 * ceiling and against Portkey.
 */
import type { ConcurrentStreamsResult } from './concurrent-streams.ts';
import { formatConcurrentStreamsMarkdown, slowStream } from './concurrent-streams.ts';
import type { SelfTimeEntry } from './cpu-profile.ts';
import type { LatencyClientResult } from './latency-client.ts';
import { formatNumber, formatRatio, formatSigned, median, medianOfDifferences, ratio } from './stats.ts';
import type { TargetName } from './targets.ts';
import type { WrkResult } from './wrk-output.ts';

/** What one round measured on one target (null: that measurement failed). */
export interface TargetRound {
  /** Closed loop, one connection: wrk -c1, the next request sent when the last one was answered. */
  sequential: WrkResult | null;
  /** Open-loop non-streamed requests at `settings.rate`. */
  latency: LatencyClientResult | null;
  /** wrk, `settings.connections` connections, non-streamed. */
  throughput: WrkResult | null;
  /** wrk, `settings.connections` connections, streamed. */
  streamThroughput: WrkResult | null;
  /** Open-loop streamed requests at `settings.streamRate`. */
  firstChunk: LatencyClientResult | null;
  /** Server CPU (every thread, user + system) per request during `throughput`, µs. */
  throughputCpuMicroseconds: number | null;
  /** Server CPU (every thread, user + system) per stream during `streamThroughput`, µs. */
  streamCpuMicroseconds: number | null;
}

/** One target's measurements over all rounds. */
export interface TargetMeasurements {
  name: TargetName;
  label: string;
  rounds: TargetRound[];
  /** VmHWM of the server process after all rounds, MiB. */
  peakRssMebibytes: number;
}

/** The knobs of a run. */
export interface BenchmarkSettings {
  rounds: number;
  durationSeconds: number;
  /** wrk seconds per target and body (non-streamed, streamed) before the first round, so the JIT has settled. */
  warmupSeconds: number;
  connections: number;
  rate: number;
  streamRate: number;
  streamChunks: number;
  concurrentStreams: number;
  command: string;
}

/** Where the run happened. */
export interface MachineInfo {
  cpuCount: number;
  cpuModel: string;
  nodeVersion: string;
  date: string;
  /** Package name → version, of every stack compared. */
  versions: Record<string, string>;
}

/** Everything one run produced. */
export interface BenchmarkResults {
  settings: BenchmarkSettings;
  machine: MachineInfo;
  targets: TargetMeasurements[];
  /** Lines saying what was skipped and why, or what was installed. */
  notes: string[];
  routerSelectMarkdown: string | null;
  concurrentStreams: ConcurrentStreamsResult[];
  profile: GatewayProfile | null;
}

/** Self time of our gateway under load, one window per kind of load. */
export interface GatewayProfile {
  /** Seconds of load in each window. */
  secondsPerWindow: number;
  windows: Array<{ load: string; requestsPerSecond: number; topFunctions: SelfTimeEntry[]; byFile: SelfTimeEntry[] }>;
}

/** The per-target numbers of the report, medians over rounds. */
export interface TargetSummary {
  name: TargetName;
  label: string;
  sequentialP50: number;
  sequentialP99: number;
  sequentialAddedP50: number;
  sequentialAddedP99: number;
  latencyP50: number;
  latencyP99: number;
  addedP50: number;
  addedP99: number;
  requestsPerSecond: number;
  streamsPerSecond: number;
  /** Server CPU µs per non-streamed request under the throughput load. */
  cpuPerRequest: number;
  /** Server CPU µs per stream under the streamed throughput load. */
  cpuPerStream: number;
  firstChunkP50: number;
  addedFirstChunkP50: number;
  addedFirstChunkP99: number;
  /** Failed requests over every measurement of every round. */
  errors: number;
  peakRssMebibytes: number;
}

function values(rounds: readonly TargetRound[], pick: (round: TargetRound) => number | null | undefined): number[] {
  return rounds.map((round) => pick(round) ?? Number.NaN);
}

function errorsOf(round: TargetRound): number {
  return (
    (round.sequential === null ? 1 : round.sequential.errors) +
    (round.latency === null ? 1 : round.latency.failed) +
    (round.throughput === null ? 1 : round.throughput.errors) +
    (round.streamThroughput === null ? 1 : round.streamThroughput.errors) +
    (round.firstChunk === null ? 1 : round.firstChunk.failed + round.firstChunk.missingDone)
  );
}

/** Medians over rounds for each target; the added latencies are paired with `direct` round by round. */
export function summarizeTargets(targets: readonly TargetMeasurements[]): TargetSummary[] {
  const direct = targets.find((target) => target.name === 'direct');
  const directRounds = direct?.rounds ?? [];
  const sequentialP50 = (rounds: readonly TargetRound[]) => values(rounds, (round) => round.sequential?.latencyMs.p50);
  const sequentialP99 = (rounds: readonly TargetRound[]) => values(rounds, (round) => round.sequential?.latencyMs.p99);
  const latencyP50 = (rounds: readonly TargetRound[]) => values(rounds, (round) => round.latency?.totalMs.p50);
  const latencyP99 = (rounds: readonly TargetRound[]) => values(rounds, (round) => round.latency?.totalMs.p99);
  const firstChunkP50 = (rounds: readonly TargetRound[]) =>
    values(rounds, (round) => round.firstChunk?.firstChunkMs?.p50);
  const firstChunkP99 = (rounds: readonly TargetRound[]) =>
    values(rounds, (round) => round.firstChunk?.firstChunkMs?.p99);
  return targets.map((target) => ({
    name: target.name,
    label: target.label,
    sequentialP50: median(sequentialP50(target.rounds)),
    sequentialP99: median(sequentialP99(target.rounds)),
    sequentialAddedP50: medianOfDifferences(sequentialP50(target.rounds), sequentialP50(directRounds)),
    sequentialAddedP99: medianOfDifferences(sequentialP99(target.rounds), sequentialP99(directRounds)),
    latencyP50: median(latencyP50(target.rounds)),
    latencyP99: median(latencyP99(target.rounds)),
    addedP50: medianOfDifferences(latencyP50(target.rounds), latencyP50(directRounds)),
    addedP99: medianOfDifferences(latencyP99(target.rounds), latencyP99(directRounds)),
    requestsPerSecond: median(values(target.rounds, (round) => round.throughput?.requestsPerSecond)),
    streamsPerSecond: median(values(target.rounds, (round) => round.streamThroughput?.requestsPerSecond)),
    cpuPerRequest: median(values(target.rounds, (round) => round.throughputCpuMicroseconds)),
    cpuPerStream: median(values(target.rounds, (round) => round.streamCpuMicroseconds)),
    firstChunkP50: median(firstChunkP50(target.rounds)),
    addedFirstChunkP50: medianOfDifferences(firstChunkP50(target.rounds), firstChunkP50(directRounds)),
    addedFirstChunkP99: medianOfDifferences(firstChunkP99(target.rounds), firstChunkP99(directRounds)),
    errors: target.rounds.reduce((sum, round) => sum + errorsOf(round), 0),
    peakRssMebibytes: target.peakRssMebibytes,
  }));
}

function profileTable(entries: readonly SelfTimeEntry[], heading: string): string[] {
  return [
    `| ${heading} | self ms | share |`,
    '| --- | ---: | ---: |',
    ...entries.map(
      (entry) =>
        `| \`${entry.location.replaceAll('|', '\\|')}\` | ${formatNumber(entry.selfMilliseconds)} | ${entry.percent.toFixed(1)}% |`,
    ),
  ];
}

function tableRow(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** The whole RESULTS.md text. */
export function formatReport(results: BenchmarkResults): string {
  const { settings, machine } = results;
  const summaries = summarizeTargets(results.targets);
  const hono = summaries.find((summary) => summary.name === 'hono');
  const portkey = summaries.find((summary) => summary.name === 'portkey');
  /** A value of `summary`, then its ratios to the Hono ceiling's and to Portkey's. */
  const withRatios = (summary: TargetSummary, pick: (target: TargetSummary) => number): string[] => {
    const value = pick(summary);
    return [
      formatNumber(value),
      formatRatio(ratio(value, hono === undefined ? Number.NaN : pick(hono))),
      formatRatio(ratio(value, portkey === undefined ? Number.NaN : pick(portkey))),
    ];
  };
  const lines: string[] = [
    '# Switchboard benchmark results',
    '',
    `Written by \`${settings.command}\` on ${machine.date}. Absolute numbers on a shared ${machine.cpuCount}-core machine are noise; read the ratios and differences.`,
    '',
    '| machine | |',
    '| --- | --- |',
    `| CPUs (nproc) | ${machine.cpuCount} |`,
    `| CPU model | ${machine.cpuModel} |`,
    `| Node.js | ${machine.nodeVersion} |`,
    ...Object.entries(machine.versions).map(([name, version]) => `| ${name} | ${version} |`),
    '',
    '| settings | |',
    '| --- | --- |',
    `| rounds (targets interleaved A B C D E, A B C D E …) | ${settings.rounds} |`,
    `| seconds per measurement | ${settings.durationSeconds} |`,
    `| warm-up per target before the first round | wrk ${settings.warmupSeconds} s non-streamed + ${settings.warmupSeconds} s streamed |`,
    '| concurrency 1, non-streamed (closed loop) | wrk, 1 thread, 1 keep-alive connection |',
    `| fixed rate, non-streamed (open loop, own undici client) | ${settings.rate} req/s |`,
    `| fixed rate, streamed (time to first chunk) | ${settings.streamRate} streams/s |`,
    `| throughput load | wrk, 1 thread, ${settings.connections} keep-alive connections |`,
    `| stream shape | ${settings.streamChunks} content chunks, no delay, ending \`data: [DONE]\` |`,
    `| concurrent slow streams | ${settings.concurrentStreams}, opened 50 every 10 ms, each ${slowStream.streamChunks} chunks ${slowStream.chunkDelayMs} ms apart |`,
    '',
    ...(results.notes.length > 0 ? ['Notes:', '', ...results.notes.map((note) => `- ${note}`), ''] : []),
    '## Added latency at concurrency 1 (ms; one connection, each request sent when the previous one was answered; medians over rounds, each round paired with direct)',
    '',
    '| target | p50 | p99 | added p50 | added p99 |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...summaries.map(
      (summary) =>
        `| ${summary.label} | ${formatNumber(summary.sequentialP50, 3)} | ${formatNumber(summary.sequentialP99, 3)} | ${summary.name === 'direct' ? '—' : formatSigned(summary.sequentialAddedP50, 3)} | ${summary.name === 'direct' ? '—' : formatSigned(summary.sequentialAddedP99, 3)} |`,
    ),
    '',
    'wrk reports latency in whole microseconds, from its own request send to the last response byte.',
    '',
    '## Added latency at a fixed rate (ms; medians over rounds, each round paired with direct)',
    '',
    '| target | p50 | p99 | added p50 | added p99 |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...summaries.map(
      (summary) =>
        `| ${summary.label} | ${formatNumber(summary.latencyP50, 2)} | ${formatNumber(summary.latencyP99, 2)} | ${summary.name === 'direct' ? '—' : formatSigned(summary.addedP50)} | ${summary.name === 'direct' ? '—' : formatSigned(summary.addedP99)} |`,
    ),
    '',
    "At a fixed rate every process sleeps between requests, so each hop also pays a wake-up; the measured latency includes the load client's own scheduling delay, which pairing with direct subtracts only in part.",
    '',
    '## Throughput and streaming (medians over rounds)',
    '',
    '| target | req/s non-stream | vs Hono ceiling | vs Portkey | streams/s | vs Hono ceiling | vs Portkey | TTFC p50 (ms) | added TTFC p50 | added TTFC p99 | failed requests | peak RSS (MiB) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...summaries.map((summary) =>
      tableRow([
        summary.label,
        ...withRatios(summary, (target) => target.requestsPerSecond),
        ...withRatios(summary, (target) => target.streamsPerSecond),
        formatNumber(summary.firstChunkP50, 2),
        summary.name === 'direct' ? '—' : formatSigned(summary.addedFirstChunkP50),
        summary.name === 'direct' ? '—' : formatSigned(summary.addedFirstChunkP99),
        String(summary.errors),
        formatNumber(summary.peakRssMebibytes, 1),
      ]),
    ),
    '',
    "Peak RSS is each server process's VmHWM after all rounds (for direct: the mock upstream). TTFC = time to the first body bytes of a streamed response, from the scheduled send time.",
    '',
    '## Server CPU per request under the throughput loads (µs; medians over rounds)',
    '',
    '| target | per non-streamed request | vs Hono ceiling | vs Portkey | per stream | vs Hono ceiling | vs Portkey |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...summaries.map((summary) =>
      tableRow([
        summary.label,
        ...withRatios(summary, (target) => target.cpuPerRequest),
        ...withRatios(summary, (target) => target.cpuPerStream),
      ]),
    ),
    '',
    'User + system CPU time of the server process (every thread: JavaScript, garbage collector, compiler) from `/proc/<pid>/stat` around each wrk run, divided by the requests it completed; lower is better. Unlike requests/s it does not depend on how the scheduler shared the cores between the server, the mock and wrk, though a busy host still moves it.',
    '',
  ];
  if (results.concurrentStreams.length > 0) {
    lines.push(
      `## ${settings.concurrentStreams} concurrent slow streams (a fresh process per target)`,
      '',
      formatConcurrentStreamsMarkdown(results.concurrentStreams),
      '',
    );
  }
  if (results.routerSelectMarkdown !== null) {
    lines.push(
      '## Router: `selectProvider` + `recordResult` (in-process, ns per pair)',
      '',
      results.routerSelectMarkdown,
      '',
    );
  }
  if (results.profile !== null) lines.push(formatProfileMarkdown(results.profile), '');
  return lines.join('\n');
}

/** The CPU-profile section: per load window, the top functions and files by self time. */
export function formatProfileMarkdown(profile: GatewayProfile): string {
  const lines = [
    '## Where our gateway spends its CPU (`node --cpu-prof` under wrk load)',
    '',
    `Self time of the samples taken during each ${profile.secondsPerWindow} s load window (start-up left out); shares are of the busy samples (idle left out). Our gateway runs as \`npm start\` runs it, bundled into \`dist/switchboard.mjs\`, so all of its own code is that one file in the second table.`,
    '',
  ];
  for (const window of profile.windows) {
    lines.push(
      `### ${window.load} (${formatNumber(window.requestsPerSecond)} req/s while profiled)`,
      '',
      ...profileTable(window.topFunctions, 'function (self time)'),
      '',
      ...profileTable(window.byFile, 'file or package (self time)'),
      '',
    );
  }
  return lines.join('\n');
}
