/**
 * Micro-benchmark of the SDK's hot path: one `selectProvider` + one `recordResult`, per
 * strategy, as the provider count grows (10, 100, 1,000 providers each serving a few of many
 * models, and 1,000 providers all serving one model), plus the router's memory per provider.
 *
 * Alone: `node --expose-gc --import tsx bench/router-select.ts [--json] [--sample-ms 60]` (prints
 * Markdown; `--json` the raw report; `--sample-ms` the length of each timed batch). `npm run bench` runs it as a child process.
 */
import type { ProviderAdapter, StrategyName } from '../src/index.ts';
import { Router, STRATEGY_NAMES } from '../src/index.ts';
import { isMainModule } from './main-module.ts';
import { formatNumber, median } from './stats.ts';
import { forceGc } from './force-gc.ts';

/** One measured case. */
export interface SelectCase {
  strategy: StrategyName;
  /** e.g. `100 providers, 3 of 100 models each`. */
  scenario: string;
  providers: number;
  /** Median over samples of the cost of one select + record, in ns. */
  nanosecondsPerOperation: number;
}

/** Router memory per registered provider (adapters excluded), in bytes. */
export interface MemoryCase {
  scenario: string;
  providers: number;
  bytesPerProvider: number;
}

/** Everything this benchmark measured. */
export interface RouterSelectReport {
  cases: SelectCase[];
  memory: MemoryCase[];
  /** False when no garbage collector could be forced (memory numbers are then rough). */
  gcExposed: boolean;
}

interface Scenario {
  name: string;
  providers: number;
  /** Models of provider `index`. */
  modelsOf(index: number): string[];
  /** Models requests ask for (cycled). */
  requestedModels: string[];
}

const modelsPerProvider = 3;

function spreadScenario(providers: number): Scenario {
  const modelCount = providers;
  const modelName = (index: number): string => `model-${index % modelCount}`;
  return {
    name: `${providers} providers, ${modelsPerProvider} of ${modelCount} models each`,
    providers,
    modelsOf: (index) => Array.from({ length: modelsPerProvider }, (_, offset) => modelName(index + offset)),
    requestedModels: Array.from({ length: Math.min(modelCount, 64) }, (_, index) => modelName(index * 7)),
  };
}

function sharedScenario(providers: number): Scenario {
  return {
    name: `${providers} providers, all serving one model`,
    providers,
    modelsOf: () => ['shared-model'],
    requestedModels: ['shared-model'],
  };
}

/** The scenarios, smallest first. */
export const scenarios: readonly Scenario[] = [
  spreadScenario(10),
  spreadScenario(100),
  spreadScenario(1000),
  sharedScenario(1000),
];

function unusedCall(): never {
  throw new Error('not called by this benchmark');
}

function makeAdapters(scenario: Scenario): ProviderAdapter[] {
  return Array.from({ length: scenario.providers }, (_, index) => ({
    name: `provider-${index}`,
    type: 'mock',
    models: scenario.modelsOf(index),
    chat: unusedCall,
    stream: unusedCall,
  }));
}

function buildRouter(strategy: StrategyName, adapters: readonly ProviderAdapter[]): Router {
  const router = new Router({ strategy });
  adapters.forEach((adapter, index) =>
    router.registerProvider(adapter, {
      weight: 1 + (index % 3),
      pricing: { inputPerMTok: 0.5 + (index % 7), outputPerMTok: 2 + (index % 5) },
    }),
  );
  return router;
}

function runOperations(router: Router, models: readonly string[], count: number, offset: number): void {
  for (let index = 0; index < count; index += 1) {
    const adapter = router.selectProvider(models[(offset + index) % models.length] as string);
    router.recordResult(adapter.name, { success: true, latencyMs: 40 + ((offset + index) % 23) });
  }
}

/**
 * Times select + record: warm-up, then `samples` batches of ~`sampleMilliseconds` each; median ns/op.
 * Counts this process's CPU time (`process.cpuUsage`), not wall-clock time: on a shared machine
 * the wall clock also counts the time other tenants held the core.
 */
function measure(router: Router, models: readonly string[], samples: number, sampleMilliseconds: number): number {
  let batch = 1000;
  const warmupEnd = process.hrtime.bigint() + 150_000_000n;
  while (process.hrtime.bigint() < warmupEnd) runOperations(router, models, batch, 0);
  const results: number[] = [];
  for (let sample = 0; sample < samples; sample += 1) {
    const started = process.cpuUsage();
    runOperations(router, models, batch, sample * 13);
    const used = process.cpuUsage(started);
    const elapsed = Math.max(1, (used.user + used.system) * 1000);
    results.push(elapsed / batch);
    batch = Math.max(1000, Math.round((sampleMilliseconds * 1e6) / (elapsed / batch)));
  }
  return median(results.slice(1));
}

function measureMemory(scenario: Scenario, gc: (() => void) | null): MemoryCase {
  const adapters = makeAdapters(scenario);
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const router = buildRouter('latency', adapters);
  gc?.();
  const after = process.memoryUsage().heapUsed;
  if (router.providers().length !== scenario.providers) throw new Error('registration failed');
  return {
    scenario: scenario.name,
    providers: scenario.providers,
    bytesPerProvider: (after - before) / scenario.providers,
  };
}

/** Runs every case. `sampleMilliseconds` trades precision for time (default 60 ms × 6 samples per case). */
export function runRouterSelectBenchmark(sampleMilliseconds = 60): RouterSelectReport {
  const cases: SelectCase[] = [];
  for (const scenario of scenarios) {
    const adapters = makeAdapters(scenario);
    for (const strategy of STRATEGY_NAMES) {
      const router = buildRouter(strategy, adapters);
      cases.push({
        strategy,
        scenario: scenario.name,
        providers: scenario.providers,
        nanosecondsPerOperation: measure(router, scenario.requestedModels, 6, sampleMilliseconds),
      });
    }
  }
  const gc = forceGc();
  const memory = scenarios
    .filter((scenario) => scenario.providers === 1000)
    .map((scenario) => measureMemory(scenario, gc));
  return { cases, memory, gcExposed: gc !== null };
}

/** The report as Markdown: one row per scenario, one column per strategy (ns per select + record). */
export function formatRouterSelectMarkdown(report: RouterSelectReport): string {
  const strategies = [...new Set(report.cases.map((entry) => entry.strategy))];
  const scenarioNames = [...new Set(report.cases.map((entry) => entry.scenario))];
  const lines = [
    `| providers / models | ${strategies.join(' | ')} |`,
    `| --- | ${strategies.map(() => '---:').join(' | ')} |`,
    ...scenarioNames.map((scenario) => {
      const cells = strategies.map((strategy) => {
        const found = report.cases.find((entry) => entry.scenario === scenario && entry.strategy === strategy);
        return found === undefined ? 'n/a' : formatNumber(found.nanosecondsPerOperation);
      });
      return `| ${scenario} | ${cells.join(' | ')} |`;
    }),
    '',
    'Cost of one `selectProvider(model)` + one `recordResult(name, { success: true, latencyMs })`, ns of CPU time per pair (median of 5 timed batches after a 150 ms warm-up).',
    '',
    '| router memory | bytes per provider |',
    '| --- | ---: |',
    ...report.memory.map((entry) => `| ${entry.scenario} | ${formatNumber(entry.bytesPerProvider)} |`),
    '',
    report.gcExposed
      ? 'Memory: heap delta after a forced GC, over the providers registered (adapter objects excluded).'
      : 'Memory: no GC could be forced; the numbers are rough.',
  ];
  return lines.join('\n');
}

if (isMainModule(import.meta.url)) {
  const sampleFlag = process.argv.indexOf('--sample-ms');
  const report = runRouterSelectBenchmark(sampleFlag >= 0 ? Number(process.argv[sampleFlag + 1]) : undefined);
  process.stdout.write(
    process.argv.includes('--json') ? `${JSON.stringify(report)}\n` : `${formatRouterSelectMarkdown(report)}\n`,
  );
}
