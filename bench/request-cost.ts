/**
 * `npm run bench:request-cost`: what one request costs the gateway, measured two ways that a busy,
 * shared machine does not disturb, so a regression shows up even when wall-clock numbers are noise.
 *
 * 1. Instructions (callgrind): the bundled gateway runs under `valgrind --tool=callgrind` with
 *    instrumentation off; after a warm-up (default 6,000 requests, 4 keep-alive connections) it is
 *    switched on for the measured requests (default 1,000) and off again, and the dump is summed
 *    and broken down by `callgrind_annotate` into the optimizing compiler, the garbage collector,
 *    JSON, JIT-compiled code, builtins and the rest. The compiler's share moves between runs with
 *    tier-up timing: compare "without compiler".
 * 2. Allocation (V8's GC trace): the gateway runs under `node --trace-gc --trace-gc-nvp`; after a
 *    warm-up (default 3,000 requests) the trace lines of the measured requests (default 10,000,
 *    8 connections) give bytes allocated and promoted to the old generation per request, and
 *    scavenges and mark-compacts per 10,000 requests. Promoted bytes growing means something keeps
 *    each request's objects alive.
 *
 * Both for streamed (`--kind stream`) and non-streamed (`--kind plain`) chat completions against
 * the mock upstream, with the config `npm run bench` uses. Every request must answer 200 (a stream
 * must end in `data: [DONE]`), or the run fails. Prints a Markdown report and writes it to
 * `bench/.out/request-cost.md`; the callgrind dumps and GC logs stay in `bench/.out/request-cost/`.
 *
 * `npm run bench:request-cost -- [--kind stream|plain] [--requests N] [--warmup N]
 * [--skip-callgrind] [--skip-gc] [--checkout DIR]`. `--requests` / `--warmup` set the counts of
 * both methods. `--checkout DIR` measures another checkout (e.g. `git worktree add --detach DIR
 * <commit>` with `node_modules` symlinked): its `dist/switchboard.mjs` is bundled and run, the mock
 * upstream stays this checkout's. Needs valgrind (Debian/Ubuntu package `valgrind`) for the
 * instructions. Runs one gateway at a time; every child is stopped by PID at the end.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { isMainModule } from './main-module.ts';
import {
  findFreePort,
  installCleanupHandlers,
  runToCompletion,
  startProcess,
  stopProcess,
  waitForPort,
} from './processes.ts';
import { formatNumber } from './stats.ts';
import {
  chatPath,
  completionBody,
  gatewayApiKey,
  gatewayArguments,
  outputDirectory,
  repositoryRoot,
  startMockUpstream,
  streamBody,
  writeGatewayConfig,
} from './targets.ts';

/** The two request shapes measured: a streamed and a non-streamed chat completion. */
export type RequestKind = 'stream' | 'plain';

/** Every kind, in the order a run measures them. */
export const REQUEST_KINDS: readonly RequestKind[] = ['stream', 'plain'];

/** Where the instructions of a callgrind run went, by the function that executed them. */
export type CostCategory = 'compiler' | 'gc' | 'json' | 'jit' | 'builtins' | 'rest';

/** Every category, in report order. */
export const COST_CATEGORIES: readonly CostCategory[] = ['compiler', 'gc', 'json', 'jit', 'builtins', 'rest'];

/** What the command line asked for. */
export interface RequestCostSettings {
  kinds: RequestKind[];
  /** Measured requests of the callgrind run and of the GC-trace run. */
  callgrindRequests: number;
  gcRequests: number;
  /** Warm-up requests before each measurement. */
  callgrindWarmup: number;
  gcWarmup: number;
  skipCallgrind: boolean;
  skipGc: boolean;
  /** Absolute path of the checkout whose gateway is measured. */
  checkout: string;
}

/** Instructions executed by the gateway while the measured requests ran. */
export interface InstructionCost {
  kind: RequestKind;
  requests: number;
  /** All instructions (every thread) while instrumentation was on. */
  instructions: number;
  byCategory: Record<CostCategory, number>;
}

/** What the GC trace of the measured requests adds up to. */
export interface GcTraceSummary {
  scavenges: number;
  markCompacts: number;
  /** Bytes allocated, summed over every collection's `allocated=`. */
  allocatedBytes: number;
  /** Bytes promoted to the old generation, summed over every collection's `promoted=`. */
  promotedBytes: number;
}

/** A GC-trace summary with the requests it covers. */
export interface GcCost extends GcTraceSummary {
  kind: RequestKind;
  requests: number;
}

/** Everything one run measured. */
export interface RequestCostReport {
  /** `git describe` of the measured checkout, and its path. */
  revision: string;
  checkout: string;
  nodeVersion: string;
  startedAt: string;
  seconds: number;
  settings: RequestCostSettings;
  instructions: InstructionCost[];
  gc: GcCost[];
}

const callgrindConcurrency = 4;
const gcConcurrency = 8;
/** Scratch folder of this benchmark: callgrind dumps, GC logs, gateway stderr (gitignored). */
const scratchDirectory = join(outputDirectory, 'request-cost');
const reportPath = join(outputDirectory, 'request-cost.md');

/** The body `npm run bench` sends for this kind. */
export function requestBody(kind: RequestKind): string {
  return kind === 'stream' ? streamBody : completionBody;
}

/** A count flag's value as a positive integer (undefined when the flag is absent). */
function positiveInteger(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${flag} must be a positive integer, got ${raw}`);
  return value;
}

/** Reads the command line (`process.argv.slice(2)`); throws on an unknown kind or a bad count. */
export function readSettings(args: readonly string[]): RequestCostSettings {
  const { values } = parseArgs({
    args: [...args],
    options: {
      kind: { type: 'string', default: 'both' },
      requests: { type: 'string' },
      warmup: { type: 'string' },
      'skip-callgrind': { type: 'boolean', default: false },
      'skip-gc': { type: 'boolean', default: false },
      checkout: { type: 'string' },
    },
  });
  const kind = values.kind;
  if (kind !== 'both' && kind !== 'stream' && kind !== 'plain')
    throw new Error(`--kind must be stream, plain or both, got ${kind}`);
  const requests = positiveInteger(values.requests, 'requests');
  const warmup = positiveInteger(values.warmup, 'warmup');
  return {
    kinds: kind === 'both' ? [...REQUEST_KINDS] : [kind],
    callgrindRequests: requests ?? 1000,
    gcRequests: requests ?? 10_000,
    callgrindWarmup: warmup ?? 6000,
    gcWarmup: warmup ?? 3000,
    skipCallgrind: values['skip-callgrind'],
    skipGc: values['skip-gc'],
    checkout: resolve(values.checkout ?? repositoryRoot),
  };
}

/**
 * Why a gateway answer does not count as a success, or undefined when it does: status 200 and,
 * for a stream, a body ending in `data: [DONE]`; for a plain request, a `chat.completion` object.
 */
export function responseProblem(kind: RequestKind, statusCode: number, body: string): string | undefined {
  if (statusCode !== 200) return `status ${statusCode}: ${body.slice(0, 200)}`;
  if (kind === 'stream') {
    return /data: \[DONE\]\s*$/.test(body) ? undefined : `stream did not end in data: [DONE]: …${body.slice(-200)}`;
  }
  try {
    const parsed = JSON.parse(body) as { object?: unknown };
    return parsed.object === 'chat.completion' ? undefined : `not a chat.completion: ${body.slice(0, 200)}`;
  } catch {
    return `body is not JSON: ${body.slice(0, 200)}`;
  }
}

/**
 * The instruction count of one callgrind dump: its `totals:` line (the sum of every cost line),
 * else its `summary:` header. Taking one of the two, not their sum, avoids counting a dump twice.
 */
export function callgrindTotal(dumpText: string): number {
  const totals = /^totals:\s+(\d+)/m.exec(dumpText);
  if (totals !== null) return Number(totals[1]);
  const summary = /^summary:\s+(\d+)/m.exec(dumpText);
  if (summary !== null) return Number(summary[1]);
  throw new Error('callgrind dump has neither a totals: nor a summary: line');
}

/** True for the files callgrind writes for `--callgrind-out-file=<baseName>`: the file and its `.N` dumps. */
export function isCallgrindDumpFileName(fileName: string, baseName: string): boolean {
  if (!fileName.startsWith(baseName)) return false;
  const suffix = fileName.slice(baseName.length);
  return suffix === '' || /^\.\d+$/.test(suffix);
}

const garbageCollectorPattern =
  /Scaveng|Marking|Sweep|Heap::|heap::|MemoryChunk|Evacuat|RememberedSet|SlotSet|BodyDescriptor|SizeFromMap|ConcurrentMark|MarkCompact/;

/**
 * The category of one `callgrind_annotate` function name (`file:function [object]`). First match
 * wins, so `Builtins_JsonParse` counts as JSON and a compiler function that touches the heap as compiler.
 */
export function categoriseFunction(name: string): CostCategory {
  if (name.includes('compiler::') || name.includes('Turbofan') || /maglev/i.test(name)) return 'compiler';
  if (garbageCollectorPattern.test(name)) return 'gc';
  if (name.includes('Json')) return 'json';
  if (name.startsWith('???:0x')) return 'jit';
  if (name.includes('Builtins_')) return 'builtins';
  return 'rest';
}

/** An all-zero count per category. */
export function emptyCategories(): Record<CostCategory, number> {
  return { compiler: 0, gc: 0, json: 0, jit: 0, builtins: 0, rest: 0 };
}

const annotateLinePattern = /^\s*([\d,]+)(?:\s+\(\s*[\d.]+%\))?\s+(\S.*)$/;

/**
 * Instructions per category out of `callgrind_annotate --threshold=100 --auto=no` output: the
 * function table (after its `file:function` header), each line `count (percent) file:function [object]`.
 */
export function instructionsByCategory(annotateOutput: string): Record<CostCategory, number> {
  const categories = emptyCategories();
  let inFunctionTable = false;
  for (const line of annotateOutput.split('\n')) {
    if (!inFunctionTable) {
      inFunctionTable = /\sfile:function\s*$/.test(line);
      continue;
    }
    const match = annotateLinePattern.exec(line);
    if (match === null) continue;
    const count = Number((match[1] as string).replaceAll(',', ''));
    categories[categoriseFunction(match[2] as string)] += count;
  }
  return categories;
}

/** The sum over every category. */
export function sumOfCategories(categories: Record<CostCategory, number>): number {
  return COST_CATEGORIES.reduce((sum, category) => sum + categories[category], 0);
}

function numericField(line: string, field: string): number {
  const match = new RegExp(`(?:^|\\s)${field}=(\\d+)`).exec(line);
  return match === null ? 0 : Number(match[1]);
}

/**
 * Adds up a `--trace-gc --trace-gc-nvp` log excerpt: scavenges (`gc=s`), mark-compacts (`gc=mc`),
 * and `allocated=` / `promoted=` bytes of every collection. Other lines (request logs) are skipped,
 * and so is `nodes_promoted=`, a count of handles, not bytes.
 */
export function summariseGcTrace(logText: string): GcTraceSummary {
  const summary: GcTraceSummary = { scavenges: 0, markCompacts: 0, allocatedBytes: 0, promotedBytes: 0 };
  for (const line of logText.split('\n')) {
    const kind = /\sgc=(\S+)/.exec(line)?.[1];
    if (kind === undefined) continue;
    if (kind === 's') summary.scavenges += 1;
    else if (kind === 'mc') summary.markCompacts += 1;
    summary.allocatedBytes += numericField(line, 'allocated');
    summary.promotedBytes += numericField(line, 'promoted');
  }
  return summary;
}

/** The report as Markdown: one table per method, one row per kind, costs per request. */
export function formatRequestCostMarkdown(report: RequestCostReport): string {
  const { settings } = report;
  const lines = [
    `## Request cost: ${report.revision} (${report.startedAt}, Node ${report.nodeVersion}, ${formatNumber(report.seconds)} s)`,
    '',
    `Checkout: \`${report.checkout}\`. Mock upstream: 10 chunks per stream, no delay; the \`npm run bench\` gateway config.`,
  ];
  if (report.instructions.length > 0) {
    lines.push(
      '',
      `Instructions per request (callgrind, every thread; ${formatNumber(settings.callgrindRequests)} requests after ${formatNumber(settings.callgrindWarmup)} warm-up, ${callgrindConcurrency} connections). Compare "without compiler": the optimizing compiler's share moves with tier-up timing.`,
      '',
      '| kind | total | without compiler | GC | compiler | JSON | JIT code | builtins | rest |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...report.instructions.map((cost) => {
        const perRequest = (value: number) => formatNumber(value / cost.requests);
        const categories = cost.byCategory;
        return `| ${cost.kind} | ${perRequest(cost.instructions)} | ${perRequest(cost.instructions - categories.compiler)} | ${perRequest(categories.gc)} | ${perRequest(categories.compiler)} | ${perRequest(categories.json)} | ${perRequest(categories.jit)} | ${perRequest(categories.builtins)} | ${perRequest(categories.rest)} |`;
      }),
    );
  }
  if (report.gc.length > 0) {
    lines.push(
      '',
      `Allocation per request (\`--trace-gc-nvp\`; ${formatNumber(settings.gcRequests)} requests after ${formatNumber(settings.gcWarmup)} warm-up, ${gcConcurrency} connections). Promoted bytes that grow mean something keeps each request's objects alive.`,
      '',
      '| kind | allocated bytes | promoted bytes | scavenges per 10k | mark-compacts per 10k |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...report.gc.map(
        (cost) =>
          `| ${cost.kind} | ${formatNumber(cost.allocatedBytes / cost.requests)} | ${formatNumber(cost.promotedBytes / cost.requests)} | ${formatNumber((cost.scavenges * 10_000) / cost.requests, 1)} | ${formatNumber((cost.markCompacts * 10_000) / cost.requests, 1)} |`,
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Progress goes to stderr, so that stdout carries only the report. */
function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Throws, naming the package, when a command the run needs is missing. */
function requireCommand(command: string, versionFlag: string, packageName: string): void {
  const result = spawnSync(command, [versionFlag], { stdio: 'ignore' });
  if (result.error !== undefined)
    throw new Error(
      `${command} not found: install the ${packageName} package (e.g. apt-get install -y ${packageName})`,
    );
}

/** Sends `count` requests over `concurrency` keep-alive connections; throws unless every one succeeded. */
async function driveRequests(origin: string, kind: RequestKind, count: number, concurrency: number): Promise<void> {
  const agent = new Agent({ connections: concurrency });
  const body = requestBody(kind);
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${gatewayApiKey}` };
  let remaining = count;
  let failures = 0;
  let firstProblem: string | undefined;
  const worker = async (): Promise<void> => {
    while (remaining > 0 && failures === 0) {
      remaining -= 1;
      let problem: string | undefined;
      try {
        const response = await request(`${origin}${chatPath}`, { method: 'POST', body, headers, dispatcher: agent });
        problem = responseProblem(kind, response.statusCode, await response.body.text());
      } catch (error) {
        problem = `request failed: ${(error as Error).message}`;
      }
      if (problem !== undefined) {
        failures += 1;
        firstProblem ??= problem;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await agent.close();
  }
  if (failures > 0)
    throw new Error(`${kind} request to ${origin} failed (stopped after the first failure): ${firstProblem}`);
}

/** Runs `callgrind_control <args> <pid>`; it exits 0 even when it fails, so its output is checked. */
async function callgrindControl(args: readonly string[], pid: number): Promise<void> {
  const output = await runToCompletion('callgrind_control', 'callgrind_control', [...args, String(pid)], 120_000);
  if (/^Error/m.test(output)) throw new Error(`callgrind_control ${args.join(' ')} ${pid}: ${output.trim()}`);
}

/** Paths of the dumps callgrind wrote for `--callgrind-out-file=<scratch>/<baseName>`. */
function callgrindDumpPaths(baseName: string): string[] {
  return readdirSync(scratchDirectory)
    .filter((fileName) => isCallgrindDumpFileName(fileName, baseName))
    .map((fileName) => join(scratchDirectory, fileName));
}

/** Sums every dump callgrind wrote for `baseName` and breaks it down by category with `callgrind_annotate`. */
async function readCallgrindDumps(
  baseName: string,
): Promise<{ instructions: number; byCategory: Record<CostCategory, number> }> {
  const byCategory = emptyCategories();
  let instructions = 0;
  for (const path of callgrindDumpPaths(baseName)) {
    const total = callgrindTotal(readFileSync(path, 'utf8'));
    if (total === 0) continue;
    const annotated = instructionsByCategory(
      await runToCompletion(
        'callgrind_annotate',
        'callgrind_annotate',
        ['--threshold=100', '--auto=no', path],
        300_000,
      ),
    );
    const annotatedTotal = sumOfCategories(annotated);
    if (Math.abs(annotatedTotal - total) > total * 0.01)
      throw new Error(
        `callgrind_annotate of ${path} adds up to ${annotatedTotal}, the dump says ${total}: output not understood`,
      );
    instructions += total;
    for (const category of COST_CATEGORIES) byCategory[category] += annotated[category];
  }
  if (instructions === 0) throw new Error(`no instructions recorded in ${join(scratchDirectory, baseName)}*`);
  return { instructions, byCategory };
}

/** Method 1: the gateway under callgrind, instrumentation on only around the measured requests. */
async function measureInstructions(
  settings: RequestCostSettings,
  kind: RequestKind,
  configPath: string,
): Promise<InstructionCost> {
  const baseName = `callgrind.${kind}.out`;
  const errorLogFile = join(scratchDirectory, `callgrind.${kind}.stderr.log`);
  for (const path of [...callgrindDumpPaths(baseName), errorLogFile]) rmSync(path, { force: true });
  const port = await findFreePort();
  const origin = `http://127.0.0.1:${port}`;
  const gateway = startProcess({
    name: `gateway under callgrind (${kind})`,
    command: 'valgrind',
    args: [
      '--tool=callgrind',
      `--callgrind-out-file=${join(scratchDirectory, baseName)}`,
      '--instr-atstart=no',
      '--dump-instr=no',
      process.execPath,
      ...gatewayArguments(settings.checkout, configPath, port),
    ],
    cwd: settings.checkout,
    logFile: '/dev/null',
    errorLogFile,
  });
  try {
    const starting = Date.now();
    await waitForPort(port, gateway, 180_000);
    say(`${kind}, callgrind: gateway up after ${((Date.now() - starting) / 1000).toFixed(1)} s`);
    await driveRequests(origin, kind, settings.callgrindWarmup, callgrindConcurrency);
    say(`${kind}, callgrind: warmed up (${formatNumber(settings.callgrindWarmup)} requests), measuring`);
    await callgrindControl(['-i', 'on'], gateway.pid);
    await driveRequests(origin, kind, settings.callgrindRequests, callgrindConcurrency);
    await callgrindControl(['-i', 'off'], gateway.pid);
    await callgrindControl(['-d'], gateway.pid);
  } finally {
    await stopProcess(gateway, 60_000);
  }
  const { instructions, byCategory } = await readCallgrindDumps(baseName);
  say(`${kind}, callgrind: ${formatNumber(instructions / settings.callgrindRequests)} instructions per request`);
  return { kind, requests: settings.callgrindRequests, instructions, byCategory };
}

/**
 * Method 2: the gateway with V8's GC trace. The window is the log's length after the warm-up to
 * its end after the measured requests (the trace reaches the file at each collection, unbuffered).
 */
async function measureAllocation(
  settings: RequestCostSettings,
  kind: RequestKind,
  configPath: string,
): Promise<GcCost> {
  const logFile = join(scratchDirectory, `gc-trace.${kind}.log`);
  rmSync(logFile, { force: true });
  const port = await findFreePort();
  const origin = `http://127.0.0.1:${port}`;
  const gateway = startProcess({
    name: `gateway with GC trace (${kind})`,
    command: process.execPath,
    args: ['--trace-gc', '--trace-gc-nvp', ...gatewayArguments(settings.checkout, configPath, port)],
    cwd: settings.checkout,
    logFile,
  });
  let measuredLog: string;
  try {
    await waitForPort(port, gateway, 60_000);
    await driveRequests(origin, kind, settings.gcWarmup, gcConcurrency);
    const windowStart = statSync(logFile).size;
    await driveRequests(origin, kind, settings.gcRequests, gcConcurrency);
    measuredLog = readFileSync(logFile).subarray(windowStart).toString('utf8');
  } finally {
    await stopProcess(gateway, 15_000);
  }
  const summary = summariseGcTrace(measuredLog);
  if (summary.scavenges + summary.markCompacts === 0)
    throw new Error(`no GC trace lines in ${logFile} while the measured requests ran`);
  say(`${kind}, GC trace: ${formatNumber(summary.allocatedBytes / settings.gcRequests)} bytes allocated per request`);
  return { kind, requests: settings.gcRequests, ...summary };
}

/** `git describe` of the checkout (commit, `-dirty` when it has changes). */
async function describeRevision(checkout: string): Promise<string> {
  try {
    return (
      await runToCompletion('git describe', 'git', ['-C', checkout, 'describe', '--always', '--dirty'], 10_000)
    ).trim();
  } catch {
    return 'unknown revision';
  }
}

/** Runs what the settings ask for, one gateway at a time, and returns the report. */
export async function runRequestCost(settings: RequestCostSettings): Promise<RequestCostReport> {
  const started = Date.now();
  if (!settings.skipCallgrind) {
    requireCommand('valgrind', '--version', 'valgrind');
    requireCommand('callgrind_control', '-h', 'valgrind');
    requireCommand('callgrind_annotate', '--version', 'valgrind');
  }
  if (!existsSync(join(settings.checkout, 'package.json')) || !existsSync(join(settings.checkout, 'node_modules')))
    throw new Error(`${settings.checkout} needs a package.json and node_modules (symlink this checkout's)`);
  mkdirSync(scratchDirectory, { recursive: true });
  say(`bundling ${settings.checkout}`);
  await runToCompletion('npm run bundle', 'npm', ['--prefix', settings.checkout, 'run', '-s', 'bundle'], 120_000);
  const report: RequestCostReport = {
    revision: await describeRevision(settings.checkout),
    checkout: settings.checkout,
    nodeVersion: process.version,
    startedAt: new Date(started).toISOString(),
    seconds: 0,
    settings,
    instructions: [],
    gc: [],
  };
  const mock = await startMockUpstream('request-cost-upstream', { streamChunks: 10, chunkDelayMs: 0 });
  try {
    const configPath = writeGatewayConfig(mock.port, 'request-cost-gateway.json');
    for (const kind of settings.kinds) {
      if (!settings.skipCallgrind) report.instructions.push(await measureInstructions(settings, kind, configPath));
      if (!settings.skipGc) report.gc.push(await measureAllocation(settings, kind, configPath));
    }
  } finally {
    await stopProcess(mock.process);
  }
  report.seconds = (Date.now() - started) / 1000;
  return report;
}

async function main(): Promise<void> {
  const settings = readSettings(process.argv.slice(2));
  installCleanupHandlers();
  const markdown = formatRequestCostMarkdown(await runRequestCost(settings));
  writeFileSync(reportPath, markdown);
  process.stdout.write(markdown);
  say(`written to ${reportPath}`);
}

if (isMainModule(import.meta.url)) await main();
