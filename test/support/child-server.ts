/**
 * Runs the gateway as a child process, as an operator would, and reads the address it
 * prints ("listening on http://HOST:PORT").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX_CLI = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));
const LISTENING = /listening on (http:\/\/[^\s]+)/;

/** A started child gateway. */
export interface ChildServer {
  child: ChildProcess;
  /** `http://127.0.0.1:PORT`, once printed. */
  url: Promise<string>;
  /** Resolves with the exit code (or the signal name) and everything printed. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/**
 * Spawns a command in the repository root and watches its output for the listening line.
 * `command` defaults to `node <tsx cli> cli/switchboard.ts`; `env` is merged over this process's
 * environment (an undefined value removes a variable: `VITEST: undefined` turns the child's logs on).
 */
export function spawnGateway(
  args: string[],
  command: { file: string; args: string[] } = { file: process.execPath, args: [TSX_CLI, 'cli/switchboard.ts'] },
  env: Record<string, string | undefined> = {},
): ChildServer {
  const child = spawn(command.file, [...command.args, ...args], {
    cwd: REPOSITORY_ROOT,
    env: { ...process.env, OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '', NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let resolveUrl!: (url: string) => void;
  let rejectUrl!: (error: Error) => void;
  const url = new Promise<string>((resolve, reject) => {
    resolveUrl = resolve;
    rejectUrl = reject;
  });
  url.catch(() => {});
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
    const match = LISTENING.exec(stdout);
    if (match) resolveUrl(match[1]!);
  });
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => {
      child.once('exit', (code, signal) => {
        // Let the pipes flush before reporting.
        setImmediate(() => {
          rejectUrl(new Error(`the gateway exited (${code ?? signal}) before listening:\n${stdout}\n${stderr}`));
          resolve({ code, signal, stdout, stderr });
        });
      });
    },
  );
  return { child, url, exited };
}
