/**
 * Issue 11's fault table, last row: every scenario run back to back on one gateway ends as it
 * does alone. The scenarios are those of `npm run failover-report` (bench/failover-report),
 * driven by the `openai` client against the in-process gateway and scripted upstreams on
 * 127.0.0.1. They wait on real sockets and the gateway's own timers, so this runs in real time:
 * the outage row is scaled to 1/20 (a 3 s outage, a request every 0.2 s); `retry-after: 2` and
 * the 3 s window of the 429 row keep their meaning and their time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../bootstrap.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { silentLogger } from '../../src/gateway/request-log.ts';
import { failoverTimings } from '../../bench/failover-report/failover-setup.ts';
import { FAILOVER_SCENARIOS, type FailoverScenario } from '../../bench/failover-report/failover-scenarios.ts';
import {
  configFor,
  runScenarios,
  startFailoverUpstreams,
  type FailoverUpstreams,
  type ScenarioResult,
} from '../../bench/failover-report/run-scenarios.ts';

const timings = failoverTimings(0.05);
let upstreams: FailoverUpstreams;

beforeAll(async () => {
  upstreams = await startFailoverUpstreams();
});
afterAll(async () => {
  await upstreams.close();
});

/** Runs `scenarios` in order on one fresh in-process gateway. */
async function runOnOneGateway(scenarios: readonly FailoverScenario[]): Promise<ScenarioResult[]> {
  const config = parseConfig(configFor(FAILOVER_SCENARIOS, upstreams, timings), { env: {} });
  const running: RunningServer = await startServer({
    config,
    port: 0,
    host: '127.0.0.1',
    logger: silentLogger,
    drainTimeoutMs: 1_000,
  });
  try {
    return await runScenarios(scenarios, running.url, upstreams, timings);
  } finally {
    await running.close();
  }
}

const verdicts = (results: readonly ScenarioResult[]) =>
  Object.fromEntries(results.map((result) => [result.id, `${result.verdict}: ${result.note}`]));

describe('fault table: back to back on one gateway process', () => {
  it('every scenario ends as it does alone, and as the table expects', { timeout: 120_000 }, async () => {
    const alone: ScenarioResult[] = [];
    for (const scenario of FAILOVER_SCENARIOS) alone.push(...(await runOnOneGateway([scenario])));
    const together = await runOnOneGateway(FAILOVER_SCENARIOS);

    const expected = Object.fromEntries(FAILOVER_SCENARIOS.map((scenario) => [scenario.id, scenario.expected]));
    expect(
      Object.fromEntries(alone.map((result) => [result.id, result.verdict])),
      JSON.stringify(verdicts(alone)),
    ).toEqual(expected);
    expect(
      Object.fromEntries(together.map((result) => [result.id, result.verdict])),
      JSON.stringify(verdicts(together)),
    ).toEqual(expected);
  });
});
