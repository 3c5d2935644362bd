/**
 * `npm run simulate -- --scenario FILE [--scenario FILE…] [--out DIR]`: runs each scenario
 * through the real Router for every strategy on a virtual clock, prints the table (p50, p99,
 * errors, extra attempts, cost, provider shares) and writes two SVG charts per scenario under
 * `simulations/out/` (or DIR).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { loadScenario } from './engine/scenario.ts';
import { simulateScenario } from './engine/simulate-scenario.ts';

const USAGE = `Usage: npm run simulate -- --scenario FILE [--scenario FILE…] [--out DIR]
  --scenario FILE  a scenario (YAML or JSON); see simulations/*.yaml
  --out DIR        where the SVG charts go (default simulations/out)`;

/** Parsed command line of the simulator. */
export interface SimulateCommandLine {
  scenarios: string[];
  outDirectory: string;
}

/** Parses `--scenario FILE` (repeatable) and `--out DIR`; throws on anything else. */
export function parseSimulateArguments(argv: readonly string[]): SimulateCommandLine {
  const result: SimulateCommandLine = { scenarios: [], outDirectory: join('simulations', 'out') };
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index] as string;
    const match = /^--(scenario|out)(?:=(.*))?$/.exec(argument);
    if (match === null) throw new Error(`unknown argument '${argument}'`);
    let value = match[2];
    if (value === undefined) {
      index += 1;
      value = argv[index];
    }
    if (value === undefined || value === '') throw new Error(`--${match[1]} needs a value`);
    if (match[1] === 'scenario') result.scenarios.push(value);
    else result.outDirectory = value;
  }
  if (result.scenarios.length === 0) throw new Error('at least one --scenario FILE is needed');
  return result;
}

async function main(argv: readonly string[]): Promise<void> {
  let commandLine: SimulateCommandLine;
  try {
    commandLine = parseSimulateArguments(argv);
  } catch (error) {
    process.stderr.write(`simulate: ${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  await mkdir(commandLine.outDirectory, { recursive: true });
  for (const path of commandLine.scenarios) {
    const started = performance.now();
    const scenario = await loadScenario(path);
    const result = await simulateScenario(scenario);
    const stem = basename(path, extname(path));
    const latencyPath = join(commandLine.outDirectory, `${stem}-latency.svg`);
    const sharePath = join(commandLine.outDirectory, `${stem}-share.svg`);
    await writeFile(latencyPath, result.latencyChart);
    await writeFile(sharePath, result.shareChart);
    const requests = result.summaries[0]?.requests ?? 0;
    process.stdout.write(
      `### ${scenario.name}\n\n${scenario.description.trim()}\n\n${result.table}\n\n` +
        `${requests.toLocaleString('en-US')} requests per strategy over ${scenario.durationMs / 1000} s of virtual time, seed ${scenario.seed}; ` +
        `latency = time to first token (whole answer when not streamed) of served requests. ` +
        `Charts: ${latencyPath}, ${sharePath} (${((performance.now() - started) / 1000).toFixed(1)} s of real time)\n\n`,
    );
  }
}

await main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`simulate: ${(error as Error).message}\n`);
  process.exit(1);
});
