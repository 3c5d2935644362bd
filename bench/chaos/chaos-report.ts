/**
 * The report of `npm run chaos`: counts per client kind, the probes (RSS, /metrics, /health
 * latency, event-loop lag), and the verdict — it fails on any lost or hung request, any 5xx the
 * gateway caused itself, any leaked upstream key, or a peak RSS over the limit.
 */
import { cpus, loadavg } from 'node:os';
import type { ClientKind, Outcome } from './chaos-clients.ts';

/** Peak RSS over which the run fails, MiB. */
export const RSS_LIMIT_MEBIBYTES = 300;

/** What the probes measured during the run. */
export interface ProbeMeasurements {
  seconds: number;
  /** Peak resident set size of the gateway process (VmHWM), MiB. */
  peakRssMebibytes: number;
  /** Largest /metrics scrape, bytes, and the scrape times, ms. */
  scrapeBytesMax: number;
  scrapeMilliseconds: number[];
  /** Latencies of GET /health sent every 200 ms, ms (the event loop's responsiveness as a client sees it). */
  healthMilliseconds: number[];
  /** Largest `nodejs_eventloop_lag_max_seconds` the scrapes reported, ms. */
  eventLoopLagMaxMilliseconds: number;
  /** Requests the fault upstream received, per fault. */
  upstreamFaults: Record<string, number>;
  /** Log lines (and client answers) carrying a configured upstream key. */
  leakedKeys: string[];
  /** Log lines at level `error` (unexpected errors inside the gateway). */
  errorLogLines: string[];
}

/** Counts of one client kind. */
export interface ClientCounts {
  requests: number;
  answered: number;
  disconnected: number;
  hung: number;
  lost: number;
  gatewayFaults: number;
  statuses: Record<string, number>;
}

/** The whole report. */
export interface ChaosReport {
  clients: Record<ClientKind, ClientCounts>;
  probes: ProbeMeasurements;
  /** Why the run failed; empty when it passed. */
  failures: string[];
  /** Examples of lost and hung requests and gateway faults (first few). */
  examples: string[];
}

/** The `q` quantile (0..1) of `values`, NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * Aggregates the outcomes and probes and decides the verdict.
 *
 * @example
 * ```ts
 * const report = buildReport(outcomes, probes);
 * process.exitCode = report.failures.length === 0 ? 0 : 1;
 * ```
 */
export function buildReport(outcomes: readonly Outcome[], probes: ProbeMeasurements): ChaosReport {
  const empty = (): ClientCounts => ({
    requests: 0,
    answered: 0,
    disconnected: 0,
    hung: 0,
    lost: 0,
    gatewayFaults: 0,
    statuses: {},
  });
  const clients: Record<ClientKind, ClientCounts> = {
    normal: empty(),
    hostile: empty(),
    'slow-reader': empty(),
    disconnect: empty(),
  };
  const examples: string[] = [];
  for (const outcome of outcomes) {
    const counts = clients[outcome.client];
    counts.requests += 1;
    counts[outcome.result] += 1;
    if (outcome.gatewayFault === true) counts.gatewayFaults += 1;
    if (outcome.status !== undefined) counts.statuses[outcome.status] = (counts.statuses[outcome.status] ?? 0) + 1;
    if (
      (outcome.result === 'lost' || outcome.result === 'hung' || outcome.gatewayFault === true) &&
      examples.length < 8
    )
      examples.push(
        `${outcome.client} ${outcome.result} ${outcome.status ?? '-'} ${outcome.detail ?? outcome.text?.slice(0, 160) ?? ''}`,
      );
  }
  const totals = Object.values(clients);
  const sum = (field: 'hung' | 'lost' | 'gatewayFaults') => totals.reduce((total, counts) => total + counts[field], 0);
  const failures: string[] = [];
  if (sum('lost') > 0) failures.push(`${sum('lost')} lost request(s)`);
  if (sum('hung') > 0) failures.push(`${sum('hung')} hung request(s)`);
  if (sum('gatewayFaults') > 0) failures.push(`${sum('gatewayFaults')} 5xx caused by the gateway itself`);
  if (probes.errorLogLines.length > 0) failures.push(`${probes.errorLogLines.length} unexpected error(s) logged`);
  if (probes.leakedKeys.length > 0) failures.push(`${probes.leakedKeys.length} leaked upstream key(s)`);
  if (!(probes.peakRssMebibytes <= RSS_LIMIT_MEBIBYTES))
    failures.push(`peak RSS ${probes.peakRssMebibytes.toFixed(0)} MiB over ${RSS_LIMIT_MEBIBYTES} MiB`);
  return { clients, probes, failures, examples };
}

function milliseconds(value: number): string {
  return Number.isNaN(value) ? '–' : value.toFixed(value < 10 ? 1 : 0);
}

/** The report as Markdown, ready for a terminal and for README. */
export function formatReport(report: ChaosReport): string {
  const { probes } = report;
  const lines = [
    `Chaos run: ${probes.seconds} s, verdict ${report.failures.length === 0 ? 'PASS' : `FAIL (${report.failures.join('; ')})`}`,
    '',
    '| clients | requests | answered | disconnected (on purpose) | hung | lost | gateway 5xx | statuses |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const [kind, counts] of Object.entries(report.clients)) {
    const statuses = Object.entries(counts.statuses)
      .sort(([left], [right]) => Number(left) - Number(right))
      .map(([status, count]) => `${status}×${count}`)
      .join(' ');
    lines.push(
      `| ${kind} | ${counts.requests} | ${counts.answered} | ${counts.disconnected} | ${counts.hung} | ${counts.lost} | ${counts.gatewayFaults} | ${statuses} |`,
    );
  }
  const faults = Object.entries(probes.upstreamFaults)
    .filter(([, count]) => count > 0)
    .map(([fault, count]) => `${fault} ${count}`)
    .join(', ');
  lines.push(
    '',
    `- machine: ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)} at the end (other work on the machine inflates every latency below)`,
    `- upstream faults served: ${faults}`,
    `- peak RSS of the gateway: ${probes.peakRssMebibytes.toFixed(1)} MiB (limit ${RSS_LIMIT_MEBIBYTES})`,
    `- /metrics: largest scrape ${(probes.scrapeBytesMax / 1024).toFixed(1)} KiB; scrape time p50 ${milliseconds(quantile(probes.scrapeMilliseconds, 0.5))} ms, max ${milliseconds(quantile(probes.scrapeMilliseconds, 1))} ms (${probes.scrapeMilliseconds.length} scrapes)`,
    `- event loop: GET /health p50 ${milliseconds(quantile(probes.healthMilliseconds, 0.5))} ms, p99 ${milliseconds(quantile(probes.healthMilliseconds, 0.99))} ms, max ${milliseconds(quantile(probes.healthMilliseconds, 1))} ms (${probes.healthMilliseconds.length} probes); largest nodejs_eventloop_lag_max ${milliseconds(probes.eventLoopLagMaxMilliseconds)} ms`,
    `- leaked upstream keys: ${probes.leakedKeys.length}; unexpected errors logged: ${probes.errorLogLines.length}`,
  );
  if (report.examples.length > 0) lines.push('', 'Examples:', ...report.examples.map((example) => `- ${example}`));
  return lines.join('\n');
}
