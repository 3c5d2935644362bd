/**
 * Child processes of the harness: start, wait for a port, read peak RSS, stop by PID.
 * Every child started here is tracked, and `installCleanupHandlers()` makes sure none
 * outlives the harness (normal exit, error, Ctrl-C, SIGTERM).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';

/** A started child process. */
export interface ManagedProcess {
  /** Label for messages. */
  name: string;
  /** OS process id. */
  pid: number;
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
}

/** How to start one child process. */
export interface StartOptions {
  name: string;
  command: string;
  args: readonly string[];
  /** Extra environment, merged over this process's. */
  env?: Record<string, string>;
  cwd?: string;
  /** Where stdout goes (and stderr, unless `errorLogFile` is set): a file path. Default: discarded. */
  logFile?: string;
  /** Where stderr goes, when it should not follow stdout. */
  errorLogFile?: string;
}

const running = new Set<ManagedProcess>();

/** Starts a tracked child process. */
export function startProcess(options: StartOptions): ManagedProcess {
  const output = options.logFile === undefined ? 'ignore' : openSync(options.logFile, 'a');
  const errorOutput = options.errorLogFile === undefined ? output : openSync(options.errorLogFile, 'a');
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', output, errorOutput],
  });
  if (child.pid === undefined) throw new Error(`could not start ${options.name}: ${options.command}`);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', () => resolve('spawn error'));
  });
  const managed: ManagedProcess = { name: options.name, pid: child.pid, child, exited };
  running.add(managed);
  void exited.then(() => running.delete(managed));
  return managed;
}

/** The `node` command line that runs a TypeScript file through tsx's loader (one process, its own PID). */
export function nodeTypeScriptArgs(file: string, nodeFlags: readonly string[] = []): string[] {
  return [...nodeFlags, '--import', 'tsx', file];
}

/** Stops a child: SIGTERM, then SIGKILL after `graceMs`. Resolves once it has exited. */
export async function stopProcess(managed: ManagedProcess, graceMs = 3000): Promise<void> {
  if (!running.has(managed)) return;
  try {
    process.kill(managed.pid, 'SIGTERM');
  } catch {
    running.delete(managed);
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(managed.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, graceMs);
  await managed.exited;
  clearTimeout(timer);
}

/** Stops every tracked child. */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...running].map((managed) => stopProcess(managed)));
}

/** Kills every tracked child at once with SIGKILL (for `exit` handlers, where nothing async runs). */
export function killAllProcessesNow(): void {
  for (const managed of running) {
    try {
      process.kill(managed.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

let handlersInstalled = false;

/** Kills all children when this process exits, fails, or is interrupted. Idempotent. */
export function installCleanupHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllProcessesNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping child processes\n`);
      killAllProcessesNow();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (error) => {
    process.stderr.write(`${error.stack ?? String(error)}\n`);
    killAllProcessesNow();
    process.exit(1);
  });
}

/** A TCP port that is free on 127.0.0.1 right now. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Waits until something accepts connections on 127.0.0.1:`port`; throws on timeout or when `managed` exits first. */
export async function waitForPort(port: number, managed: ManagedProcess | null, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitedWith: number | string | undefined;
  void managed?.exited.then((code) => {
    exitedWith = code;
  });
  while (Date.now() < deadline) {
    if (exitedWith !== undefined)
      throw new Error(`${managed?.name} exited (${exitedWith}) before listening on ${port}`);
    if (await canConnect(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${managed?.name ?? 'server'} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/** Reads `VmHWM` (peak resident set size) out of a `/proc/<pid>/status` text, in KiB; NaN when absent. */
export function parsePeakRssKibibytes(statusText: string): number {
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(statusText);
  return match === null ? Number.NaN : Number(match[1]);
}

/**
 * User + system CPU time in clock ticks out of a `/proc/<pid>/stat` text (fields 14 and 15,
 * counted after the parenthesised command name, which may contain spaces); NaN when malformed.
 */
export function parseCpuTicks(statText: string): number {
  const fields = statText.slice(statText.lastIndexOf(')') + 2).split(' ');
  // After the name, field 3 (state) is index 0, so utime (14) is index 11 and stime (15) index 12.
  const total = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(total) ? total : Number.NaN;
}

const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU time a live process has used so far, every thread, user and system, in µs (from
 * `/proc/<pid>/stat`, 10 ms resolution); NaN when it cannot be read.
 */
export function readCpuMicroseconds(pid: number): number {
  try {
    return (parseCpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) * 1_000_000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** Peak RSS of a live process in MiB (from `/proc/<pid>/status`), NaN when it cannot be read. */
export function readPeakRssMebibytes(pid: number): number {
  try {
    return parsePeakRssKibibytes(readFileSync(`/proc/${pid}/status`, 'utf8')) / 1024;
  } catch {
    return Number.NaN;
  }
}

/** Runs a command to completion, bounded by `timeoutMs`, returning its stdout (stderr on failure in the error). */
export async function runToCompletion(
  name: string,
  command: string,
  args: readonly string[],
  timeoutMs: number,
  env?: Record<string, string>,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid === undefined) {
      reject(new Error(`could not start ${name}`));
      return;
    }
    const managed: ManagedProcess = {
      name,
      pid: child.pid,
      child,
      exited: new Promise((resolveExit) =>
        child.once('exit', (code, signal) => resolveExit(code ?? signal ?? 'unknown')),
      ),
    };
    running.add(managed);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(managed);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${name} failed (${code ?? signal}): ${stderr.slice(0, 500) || stdout.slice(0, 500)}`));
    });
  });
}
