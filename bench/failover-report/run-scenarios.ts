/**
 * Runs failover scenarios one after another against one gateway and collects, per scenario, its
 * verdict, the attempts each upstream model saw and the time taken; formats them as a table.
 */
import { askGateway, gatewayClient } from './ask-gateway.ts';
import {
  FALLBACK_MODEL,
  failoverConfig,
  startScriptedUpstream,
  type FailoverTimings,
  type ScriptedUpstream,
} from './failover-setup.ts';
import { primaryModelsOf, upstreamModelsOf, type FailoverScenario, type Verdict } from './failover-scenarios.ts';
import type { SwitchboardConfigInput } from '../../src/config/config-schema.ts';

/** The result of one scenario. */
export interface ScenarioResult {
  id: string;
  fault: string;
  verdict: Verdict;
  expected: Verdict;
  note: string;
  /** Upstream calls during the scenario per `model@server` (the public model; `claude` is on the backup's server). */
  attempts: Record<string, number>;
  ms: number;
}

/** The two scripted upstreams of a run. */
export interface FailoverUpstreams {
  primary: ScriptedUpstream;
  backup: ScriptedUpstream;
  close(): Promise<void>;
}

/** Starts the primary and backup upstreams. */
export async function startFailoverUpstreams(): Promise<FailoverUpstreams> {
  const primary = await startScriptedUpstream('primary');
  const backup = await startScriptedUpstream('backup');
  return {
    primary,
    backup,
    close: async () => {
      await Promise.all([primary.server.close(), backup.server.close()]);
    },
  };
}

/** The gateway config serving `scenarios` against `upstreams`. */
export function configFor(
  scenarios: readonly FailoverScenario[],
  upstreams: FailoverUpstreams,
  timings: FailoverTimings,
): SwitchboardConfigInput {
  return failoverConfig({
    primaryURL: upstreams.primary.server.baseURL,
    backupURL: upstreams.backup.server.baseURL,
    primaryModels: primaryModelsOf(scenarios),
    backupTwins: scenarios.filter((scenario) => scenario.twin === 'backup').map((scenario) => scenario.id),
    claudeTwins: scenarios.filter((scenario) => scenario.twin === 'claude').map((scenario) => scenario.id),
    fallbacks: Object.assign({}, ...scenarios.map((scenario) => scenario.fallbacks ?? {})),
    contextWindowFallbacks: Object.assign({}, ...scenarios.map((scenario) => scenario.contextWindowFallbacks ?? {})),
    timings,
  });
}

/** Runs `scenarios` in order against the gateway at `url`; `onResult` sees each as it ends. */
export async function runScenarios(
  scenarios: readonly FailoverScenario[],
  url: string,
  upstreams: FailoverUpstreams,
  timings: FailoverTimings,
  onResult: (result: ScenarioResult) => void = () => {},
): Promise<ScenarioResult[]> {
  const client = gatewayClient(url);
  // A fresh process's first requests pay for compilation; the scenarios should measure the gateway's conduct.
  await askGateway(client, FALLBACK_MODEL);
  await askGateway(client, FALLBACK_MODEL, { stream: true });
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    const models = upstreamModelsOf(scenario);
    const servers = [
      ['primary', upstreams.primary],
      ['backup', upstreams.backup],
    ] as const;
    const callsNow = () =>
      servers.flatMap(([server, upstream]) =>
        models.map((model) => ({
          key: `${model.replace(/-upstream$/, '')}@${server}`,
          calls: upstream.callsFor(model),
        })),
      );
    const before = callsNow();
    const started = performance.now();
    let outcome;
    try {
      outcome = await scenario.run({ client, url, primary: upstreams.primary, backup: upstreams.backup, timings });
    } catch (error) {
      outcome = { verdict: 'fail' as const, note: `the scenario threw: ${(error as Error).message}` };
    }
    const ms = performance.now() - started;
    const after = callsNow();
    const attempts: Record<string, number> = {};
    after.forEach(({ key, calls }, index) => {
      const count = calls - before[index]!.calls;
      if (count > 0) attempts[key] = count;
    });
    const result: ScenarioResult = {
      id: scenario.id,
      fault: scenario.fault,
      verdict: outcome.verdict,
      expected: scenario.expected,
      note: outcome.note,
      attempts,
      ms,
    };
    results.push(result);
    onResult(result);
  }
  return results;
}

/** A Markdown table of `results`: verdict, attempts per upstream model, time, note. */
export function formatResults(results: readonly ScenarioResult[]): string {
  const lines = [
    '| # | fault | verdict | attempts per model | time | what the client got |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const result of results) {
    const attempts =
      Object.entries(result.attempts)
        .map(([model, count]) => `${model} ${count}`)
        .join(', ') || '—';
    lines.push(
      `| ${result.id} | ${result.fault} | ${result.verdict} | ${attempts} | ${(result.ms / 1000).toFixed(2)} s | ${result.note.replace(/\|/g, '\\|')} |`,
    );
  }
  return lines.join('\n');
}

/** Counts of each verdict, e.g. `14 pass, 3 safe`. */
export function summarise(results: readonly ScenarioResult[]): string {
  const counts = new Map<Verdict, number>();
  for (const result of results) counts.set(result.verdict, (counts.get(result.verdict) ?? 0) + 1);
  return (['pass', 'partial', 'safe', 'fail'] as const)
    .filter((verdict) => counts.has(verdict))
    .map((verdict) => `${counts.get(verdict)} ${verdict}`)
    .join(', ');
}
