import { quantile } from './distributions.ts';
import type { StrategyRun } from './run-scenario.ts';

/** The summary of one run: one row of the table. */
export interface RunSummary {
  label: string;
  requests: number;
  /** Time to first token (whole answer when not streamed) of served requests, ms. */
  p50Ms: number;
  p99Ms: number;
  /** Share of requests that ended in an error. */
  errorRate: number;
  costUsd: number;
  /** Upstream attempts beyond the first, per request. */
  extraAttemptsPerRequest: number;
  /** Share of served requests per provider. */
  share: Record<string, number>;
  /** Served requests that went to the provider that served their session's previous request (warm prompt caches). */
  sameProviderAsSession: number;
}

/** Summarises a run. */
export function summarize(run: StrategyRun, providerNames: readonly string[]): RunSummary {
  const served = run.outcomes.filter((outcome) => outcome.ok);
  const latencies = served.map((outcome) => outcome.latencyMs).sort((left, right) => left - right);
  const share: Record<string, number> = {};
  for (const name of providerNames) share[name] = 0;
  for (const outcome of served)
    if (outcome.provider !== undefined) share[outcome.provider] = (share[outcome.provider] ?? 0) + 1;
  for (const name of Object.keys(share)) share[name] = served.length === 0 ? 0 : (share[name] ?? 0) / served.length;
  const lastProvider = new Map<string, string>();
  let sticky = 0;
  let followUps = 0;
  for (const outcome of served) {
    if (outcome.provider === undefined) continue;
    const previous = lastProvider.get(outcome.session);
    if (previous !== undefined) {
      followUps += 1;
      if (previous === outcome.provider) sticky += 1;
    }
    lastProvider.set(outcome.session, outcome.provider);
  }
  const attempts = run.outcomes.reduce((sum, outcome) => sum + Math.max(1, outcome.attempts), 0);
  return {
    label: run.label,
    requests: run.outcomes.length,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    errorRate: run.outcomes.length === 0 ? 0 : 1 - served.length / run.outcomes.length,
    costUsd: run.costUsd,
    extraAttemptsPerRequest: run.outcomes.length === 0 ? 0 : attempts / run.outcomes.length - 1,
    share,
    sameProviderAsSession: followUps === 0 ? 0 : sticky / followUps,
  };
}

/** One time bucket of a run: served latency quantiles, error rate and provider shares. */
export interface Bucket {
  /** Bucket start, ms since the scenario's start. */
  at: number;
  p50Ms: number;
  p95Ms: number;
  errorRate: number;
  share: Record<string, number>;
  requests: number;
}

/** Splits a run into `count` equal time buckets by arrival. */
export function bucketize(
  run: StrategyRun,
  durationMs: number,
  providerNames: readonly string[],
  count = 60,
): Bucket[] {
  const width = durationMs / count;
  const groups = Array.from({ length: count }, () => [] as StrategyRun['outcomes']);
  for (const outcome of run.outcomes) groups[Math.min(count - 1, Math.floor(outcome.at / width))]?.push(outcome);
  return groups.map((group, index) => {
    const served = group.filter((outcome) => outcome.ok);
    const latencies = served.map((outcome) => outcome.latencyMs).sort((left, right) => left - right);
    const share: Record<string, number> = {};
    for (const name of providerNames)
      share[name] =
        group.length === 0 ? 0 : served.filter((outcome) => outcome.provider === name).length / group.length;
    return {
      at: index * width,
      p50Ms: quantile(latencies, 0.5),
      p95Ms: quantile(latencies, 0.95),
      errorRate: group.length === 0 ? 0 : 1 - served.length / group.length,
      share,
      requests: group.length,
    };
  });
}

const milliseconds = (value: number): string =>
  Number.isNaN(value) ? 'n/a' : Math.round(value).toLocaleString('en-US');
const percent = (value: number, digits = 1): string => `${(value * 100).toFixed(digits)} %`;

/** The table of a scenario's runs, Markdown. */
export function formatTable(summaries: readonly RunSummary[], providerNames: readonly string[]): string {
  const lines = [
    `| strategy | p50 ms | p99 ms | errors | extra attempts | cost $ | session kept | share ${providerNames.join(' / ')} |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const summary of summaries) {
    const share = providerNames.map((name) => `${Math.round((summary.share[name] ?? 0) * 100)}`).join(' / ');
    lines.push(
      `| ${summary.label} | ${milliseconds(summary.p50Ms)} | ${milliseconds(summary.p99Ms)} | ${percent(summary.errorRate, 2)} | ${percent(summary.extraAttemptsPerRequest)} | ${summary.costUsd.toFixed(2)} | ${percent(summary.sameProviderAsSession, 0)} | ${share} |`,
    );
  }
  return lines.join('\n');
}
