/**
 * Facts about the machine and the compared stacks, for the report header.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { MachineInfo } from './report.ts';
import { portkeyDirectory, repositoryRoot } from './targets.ts';

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

/** Reads nproc, the CPU model, Node's version and the versions of hono, undici and Portkey in use. */
export function readMachineInfo(): MachineInfo {
  return {
    cpuCount: availableParallelism(),
    cpuModel: cpuModel(),
    nodeVersion: process.version,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    versions: {
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
