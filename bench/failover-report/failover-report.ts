/**
 * `npm run failover-report`: issue 11's provider-fault table against a real gateway process.
 *
 * Starts two scripted upstreams in this process, writes a config pointing at them, starts the
 * gateway (`cli/switchboard.ts`, bundled by esbuild as `npm start` does, into bench/.out/) as a
 * child process, runs every scenario back to back
 * on it with the `openai` client, then (unless `--no-alone`) each scenario alone on a fresh
 * gateway process, and prints one table: pass / partial / safe / fail, the attempts each upstream
 * model saw and the time taken, plus the back-to-back row. Exits 1 on any fail, or when a
 * scenario ends differently back to back than alone.
 *
 * Flags: `--scale S` (default 0.1: the 60 s outage row runs 6 s, with a request every 0.4 s and the
 * circuit's open time and health checks scaled alike; 1 = the table's own times), `--only s01,s02`,
 * `--no-alone`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { REPOSITORY_ROOT, spawnGateway, type ChildServer } from '../../test/support/child-server.ts';
import { isMainModule } from '../main-module.ts';
import { failoverTimings } from './failover-setup.ts';
import { FAILOVER_SCENARIOS, type FailoverScenario } from './failover-scenarios.ts';
import {
  configFor,
  formatResults,
  runScenarios,
  startFailoverUpstreams,
  summarise,
  type ScenarioResult,
} from './run-scenarios.ts';

/** The gateway's command line bundled into one file (starts in a fraction of the time tsx takes). */
async function bundleGateway(): Promise<string> {
  const outfile = join(REPOSITORY_ROOT, 'bench', '.out', 'failover-gateway.mjs');
  await build({
    entryPoints: [join(REPOSITORY_ROOT, 'cli', 'switchboard.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
    outfile,
  });
  return outfile;
}

/** A started gateway process. */
interface GatewayProcess {
  url: string;
  /** SIGTERM to its PID (SIGKILL after 5 s), resolved once it exited. */
  stop(): Promise<void>;
}

/** Starts the bundled gateway with `configPath` on a free port; resolves once it listens. */
async function startGatewayProcess(gatewayFile: string, configPath: string): Promise<GatewayProcess> {
  const gateway: ChildServer = spawnGateway(['--config', configPath, '--port', '0'], {
    file: process.execPath,
    args: [gatewayFile],
  });
  const stop = async () => {
    gateway.child.kill('SIGTERM');
    const stopped = await Promise.race([gateway.exited.then(() => true), sleep(5_000).then(() => false)]);
    if (!stopped) gateway.child.kill('SIGKILL');
  };
  try {
    const url = await Promise.race([
      gateway.url,
      sleep(60_000).then(() => Promise.reject(new Error('the gateway did not start in 60 s'))),
    ]);
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Gateway processes started ahead of their turn in the runs alone. */
const START_AHEAD = 3;

const sleep = (milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

/** Runs the report; resolves with the process exit code. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      scale: { type: 'string', default: '0.1' },
      only: { type: 'string' },
      'no-alone': { type: 'boolean', default: false },
    },
  });
  const scale = Number(values.scale);
  if (!(scale > 0 && scale <= 1)) throw new Error(`--scale must be in (0, 1], got ${values.scale}`);
  const timings = failoverTimings(scale);
  const only = values.only?.split(',');
  const scenarios = FAILOVER_SCENARIOS.filter((scenario) => only === undefined || only.includes(scenario.id));
  const gatewayFile = await bundleGateway();
  const upstreams = await startFailoverUpstreams();
  const directory = mkdtempSync(join(tmpdir(), 'switchboard-failover-'));
  const configPath = join(directory, 'switchboard.json');
  writeFileSync(configPath, JSON.stringify(configFor(FAILOVER_SCENARIOS, upstreams, timings), null, 2));
  const started = performance.now();
  const pending = new Set<Promise<GatewayProcess>>();
  const stopping: Array<Promise<void>> = [];
  /** Starts a gateway process; those not used yet are stopped at the end. */
  const startGateway = () => {
    const starting = startGatewayProcess(gatewayFile, configPath);
    pending.add(starting);
    starting.catch(() => undefined);
    return starting;
  };
  /** Runs `batch` on `gateway`, then stops it. */
  const runOn = async (starting: Promise<GatewayProcess>, batch: readonly FailoverScenario[], report = false) => {
    const gateway = await starting;
    pending.delete(starting);
    try {
      return await runScenarios(batch, gateway.url, upstreams, timings, (result) => {
        if (report)
          process.stdout.write(`  ${result.id} ${result.verdict.padEnd(7)} ${(result.ms / 1000).toFixed(2)} s\n`);
      });
    } finally {
      stopping.push(gateway.stop());
    }
  };
  try {
    process.stdout.write(`Failover report: ${scenarios.length} scenarios back to back on one gateway process\n`);
    const together = await runOn(startGateway(), scenarios, true);
    const differences: string[] = [];
    if (!values['no-alone']) {
      process.stdout.write('Each scenario alone on a fresh gateway process\n');
      // Processes start a few ahead of their turn, so start-up time is mostly hidden; the outage
      // row goes last, so no other one runs on a gateway that watched its failed probes.
      const order = [...scenarios].sort((left, right) => Number(left.id === 's15') - Number(right.id === 's15'));
      const gateways: Array<Promise<GatewayProcess>> = [];
      for (const [index, scenario] of order.entries()) {
        while (gateways.length < Math.min(order.length, index + START_AHEAD)) gateways.push(startGateway());
        const [alone] = await runOn(gateways[index]!, [scenario]);
        const backToBack = together.find((result) => result.id === scenario.id)!;
        if (alone!.verdict !== backToBack.verdict)
          differences.push(
            `${scenario.id}: ${alone!.verdict} alone (${alone!.note}), ${backToBack.verdict} back to back (${backToBack.note})`,
          );
      }
    }
    const unexpected = together.filter((result) => result.verdict !== result.expected);
    const backToBack: ScenarioResult = {
      id: 's18',
      fault: 'every scenario above run back to back on one gateway process',
      verdict: values['no-alone']
        ? unexpected.length === 0
          ? 'pass'
          : 'partial'
        : differences.length === 0
          ? 'pass'
          : 'fail',
      expected: 'pass',
      note: values['no-alone']
        ? `not compared with runs alone (--no-alone); ${together.length - unexpected.length} of ${together.length} as expected`
        : differences.length === 0
          ? `the same verdict as alone for all ${together.length}`
          : differences.join('; '),
      attempts: {},
      ms: together.reduce((total, result) => total + result.ms, 0),
    };
    const results = [...together, backToBack];
    process.stdout.write(`\n${formatResults(results)}\n\n`);
    process.stdout.write(
      `${summarise(results)} (scale ${scale}; rows marked "recovery on" send x-switchboard-stream-recovery: continue; ${((performance.now() - started) / 1000).toFixed(0)} s in all)\n`,
    );
    if (unexpected.length > 0)
      process.stdout.write(
        `Not as expected: ${unexpected.map((result) => `${result.id} ${result.verdict} (expected ${result.expected})`).join(', ')}\n`,
      );
    return results.some((result) => result.verdict === 'fail') ? 1 : 0;
  } finally {
    await Promise.allSettled([...stopping, ...[...pending].map(async (starting) => (await starting).stop())]);
    await upstreams.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

if (isMainModule(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`failover-report: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
