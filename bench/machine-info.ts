/**
 * Facts about the machine and the compared stacks, for the report header.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { MachineInfo } from './report.ts';
import { parsePeakRssKibibytes, runToCompletion } from './processes.ts';
import { outputDirectory, portkeyDirectory, repositoryRoot } from './targets.ts';

function packageVersion(directory: string, name: string): string {
  const file = join(directory, 'node_modules', name, 'package.json');
  if (!existsSync(file)) return 'not installed';
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

function cpuModel(): string {
  try {
    return /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The commit the gateway's code was measured at, marked when src/, providers/ or bootstrap.ts had uncommitted changes. */
export function gatewayRevision(): string {
  const commit =
    spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repositoryRoot, encoding: 'utf8' }).stdout?.trim() ||
    'unknown';
  const dirty =
    spawnSync('git', ['status', '--porcelain', '--', 'src', 'providers', 'bootstrap.ts'], {
      cwd: repositoryRoot,
      encoding: 'utf8',
    }).stdout?.trim() ?? '';
  return dirty === '' ? commit : `${commit} + uncommitted changes in src/, providers/ or bootstrap.ts`;
}

/** Reads nproc, the CPU model, Node's version and the versions of hono, undici and Portkey in use. */
export function readMachineInfo(): MachineInfo {
  return {
    cpuCount: availableParallelism(),
    cpuModel: cpuModel(),
    nodeVersion: process.version,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    versions: {
      'Switchboard (git)': gatewayRevision(),
      'hono (Switchboard, Hono peer)': packageVersion(repositoryRoot, 'hono'),
      '@hono/node-server (Switchboard, Hono peer)': packageVersion(repositoryRoot, '@hono/node-server'),
      'undici (Switchboard, peers, clients)': packageVersion(repositoryRoot, 'undici'),
      '@portkey-ai/gateway': packageVersion(portkeyDirectory, '@portkey-ai/gateway'),
      'hono (Portkey)': packageVersion(portkeyDirectory, 'hono'),
      '@hono/node-server (Portkey)': packageVersion(portkeyDirectory, '@hono/node-server'),
      wrk: '4.1.0 (Debian)',
    },
  };
}

/** Peak RSS of an empty Node process, plain and under tsx's loader, in MiB. */
export interface RuntimeBaseline {
  plainNodeMebibytes: number;
  tsxMebibytes: number;
}

/**
 * Measures what tsx's loader alone costs in resident memory: the same empty script run by plain
 * `node` and by `node --import tsx` (as our gateway and the TypeScript peers run).
 */
export async function measureRuntimeBaseline(): Promise<RuntimeBaseline> {
  mkdirSync(outputDirectory, { recursive: true });
  const source =
    "import { readFileSync } from 'node:fs';\nsetTimeout(() => process.stdout.write(readFileSync('/proc/self/status', 'utf8')), 300);\n";
  const plainFile = `${outputDirectory}/empty-probe.mjs`;
  const typeScriptFile = `${outputDirectory}/empty-probe.ts`;
  writeFileSync(plainFile, source);
  writeFileSync(typeScriptFile, source);
  const plain = await runToCompletion('empty node', process.execPath, [plainFile], 30_000);
  const withTsx = await runToCompletion(
    'empty node under tsx',
    process.execPath,
    ['--import', 'tsx', typeScriptFile],
    30_000,
  );
  return {
    plainNodeMebibytes: parsePeakRssKibibytes(plain) / 1024,
    tsxMebibytes: parsePeakRssKibibytes(withTsx) / 1024,
  };
}
