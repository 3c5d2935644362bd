/**
 * Runs wrk (installing it with apt-get when missing) against one target with
 * `bench/wrk/post.lua`, bounded in time, and parses its result.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runToCompletion } from './processes.ts';
import { outputDirectory, repositoryRoot } from './targets.ts';
import { parseWrkOutput, type WrkResult } from './wrk-output.ts';

function hasWrk(): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

/** Makes sure `wrk` is on PATH, installing Debian's package when needed. Returns what it did, for the console. */
export async function ensureWrk(): Promise<string> {
  if (hasWrk()) return 'wrk: found on PATH';
  try {
    await runToCompletion('apt-get install wrk', 'apt-get', ['install', '-y', '-qq', 'wrk'], 300_000, {
      DEBIAN_FRONTEND: 'noninteractive',
    });
  } catch {
    await runToCompletion('apt-get update', 'apt-get', ['update', '-qq'], 300_000, {
      DEBIAN_FRONTEND: 'noninteractive',
    });
    await runToCompletion('apt-get install wrk', 'apt-get', ['install', '-y', '-qq', 'wrk'], 300_000, {
      DEBIAN_FRONTEND: 'noninteractive',
    });
  }
  if (!hasWrk()) throw new Error('wrk is still missing after apt-get install wrk');
  return 'wrk: was missing, installed Debian package wrk with apt-get';
}

/** One wrk load. */
export interface WrkLoad {
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  durationSeconds: number;
}

/** Runs wrk with one thread and `connections` keep-alive connections for `durationSeconds`. */
export async function runWrk(load: WrkLoad): Promise<WrkResult> {
  mkdirSync(outputDirectory, { recursive: true });
  const bodyFile = join(outputDirectory, `wrk-body-${process.pid}.json`);
  writeFileSync(bodyFile, load.body);
  const headerLines = Object.entries(load.headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n');
  const output = await runToCompletion(
    'wrk',
    'wrk',
    [
      '-t1',
      `-c${load.connections}`,
      `-d${load.durationSeconds}s`,
      '--timeout',
      '10s',
      '-s',
      join(repositoryRoot, 'bench', 'wrk', 'post.lua'),
      `${load.origin}${load.path}`,
    ],
    (load.durationSeconds + 30) * 1000,
    { WRK_BODY_FILE: bodyFile, WRK_HEADERS: headerLines },
  );
  return parseWrkOutput(output);
}
