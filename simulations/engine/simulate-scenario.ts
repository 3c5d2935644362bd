import { STRATEGY_NAMES } from '../../src/router/strategies/create-strategy.ts';
import { bucketize, formatTable, summarize, type RunSummary } from './report.ts';
import { runScenario, type RouterVariant, type StrategyRun } from './run-scenario.ts';
import type { Scenario } from './scenario.ts';
import { PALETTE, renderChart, type ChartPanel } from './svg-chart.ts';

/** Everything one scenario produced: the table, its rows and the two charts. */
export interface ScenarioResult {
  scenario: Scenario;
  summaries: RunSummary[];
  table: string;
  /** SVG: latency (p95 of time to first token per time slice) over time, one line per strategy. */
  latencyChart: string;
  /** SVG: each provider's share of the requests over time, one panel per strategy. */
  shareChart: string;
  runs: StrategyRun[];
}

/** The router variants a scenario compares: its `strategies` (or every built-in one), then its `variants`. */
export function variantsOf(scenario: Scenario): RouterVariant[] {
  const strategies: RouterVariant[] = (scenario.strategies ?? [...STRATEGY_NAMES]).map((strategy) => ({
    label: strategy,
    strategy,
  }));
  const extras: RouterVariant[] = scenario.variants.map(({ label, strategy, ...options }) => ({
    label,
    strategy,
    options,
  }));
  return [...strategies, ...extras];
}

/** Runs every variant of `scenario` one after the other (each on its own virtual clock) and reports. */
export async function simulateScenario(
  scenario: Scenario,
  variants: readonly RouterVariant[] = variantsOf(scenario),
): Promise<ScenarioResult> {
  const providerNames = scenario.providers.map((provider) => provider.name);
  const runs: StrategyRun[] = [];
  for (const variant of variants) runs.push(await runScenario(scenario, variant));
  const summaries = runs.map((run) => summarize(run, providerNames));
  const seconds = (milliseconds: number) => milliseconds / 1000;
  const bucketsByRun = runs.map((run) => bucketize(run, scenario.durationMs, providerNames));
  const latencyChart = renderChart({
    title: `${scenario.name}: p95 time to first token`,
    xLabel: 'scenario time, s',
    panels: [
      {
        title: 'p95 per time slice (served requests), log scale',
        yLabel: 'ms',
        logY: true,
        series: runs.map((run, index) => ({
          name: run.label,
          color: PALETTE[index % PALETTE.length] as string,
          points: (bucketsByRun[index] ?? []).map((bucket) => [seconds(bucket.at), bucket.p95Ms] as const),
        })),
      },
    ],
  });
  const sharePanels: ChartPanel[] = runs.map((run, index) => ({
    title: run.label,
    yLabel: 'share of requests, %',
    yMin: 0,
    yMax: 100,
    series: [
      ...providerNames.map((name, providerIndex) => ({
        name,
        color: PALETTE[providerIndex % PALETTE.length] as string,
        points: (bucketsByRun[index] ?? []).map(
          (bucket) => [seconds(bucket.at), (bucket.share[name] ?? 0) * 100] as const,
        ),
      })),
      {
        name: 'errors',
        color: '#000000',
        dashed: true,
        points: (bucketsByRun[index] ?? []).map((bucket) => [seconds(bucket.at), bucket.errorRate * 100] as const),
      },
    ],
  }));
  const shareChart = renderChart({
    title: `${scenario.name}: traffic share per provider`,
    xLabel: 'scenario time, s',
    panels: sharePanels,
    columns: 2,
  });
  return { scenario, summaries, table: formatTable(summaries, providerNames), latencyChart, shareChart, runs };
}
