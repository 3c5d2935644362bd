/**
 * The servers the benchmark compares, each started as its own process on 127.0.0.1 and
 * forwarding POST /v1/chat/completions to the mock upstream.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  findFreePort,
  nodeTypeScriptArgs,
  runToCompletion,
  startProcess,
  waitForPort,
  type ManagedProcess,
} from './processes.ts';

/** Repository root (the harness runs every child from there). */
export const repositoryRoot = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
/** Scratch folder for logs, configs and profiles (gitignored). */
export const outputDirectory = join(repositoryRoot, 'bench', '.out');
/** Where `ensurePortkeyInstalled` installs Portkey's gateway. */
export const portkeyDirectory = join(repositoryRoot, 'bench', 'peers', 'portkey');
/** The gateway key the benchmark config sets, so the auth middleware runs. */
export const gatewayApiKey = 'bench-key';

/** Target names, in the order every round runs them. */
export type TargetName = 'direct' | 'hono' | 'node-http' | 'portkey' | 'switchboard';

/** A target that is up. */
export interface RunningTarget {
  name: TargetName;
  /** Human label for the report. */
  label: string;
  origin: string;
  /** Headers every request to it carries. */
  headers: Record<string, string>;
  /** The server process (for `direct`, the mock upstream itself). */
  process: ManagedProcess;
}

/** Settings of a mock upstream process. */
export interface MockSettings {
  streamChunks: number;
  chunkDelayMs: number;
}

/** Starts a mock upstream process and waits until it listens. */
export async function startMockUpstream(
  name: string,
  settings: MockSettings,
): Promise<{ port: number; process: ManagedProcess }> {
  const port = await findFreePort();
  const managed = startProcess({
    name,
    command: process.execPath,
    args: nodeTypeScriptArgs('bench/mock-upstream.ts'),
    cwd: repositoryRoot,
    env: {
      MOCK_PORT: String(port),
      MOCK_STREAM_CHUNKS: String(settings.streamChunks),
      MOCK_CHUNK_DELAY_MS: String(settings.chunkDelayMs),
    },
    logFile: logPath(name),
  });
  await waitForPort(port, managed);
  return { port, process: managed };
}

function logPath(name: string): string {
  mkdirSync(outputDirectory, { recursive: true });
  return join(outputDirectory, `${name}.log`);
}

/** The `direct` target: the mock upstream itself. */
export function directTarget(mockPort: number, mockProcess: ManagedProcess): RunningTarget {
  return {
    name: 'direct',
    label: 'direct (mock upstream)',
    origin: `http://127.0.0.1:${mockPort}`,
    headers: {},
    process: mockProcess,
  };
}

async function startTypeScriptPeer(
  name: TargetName,
  label: string,
  file: string,
  mockPort: number,
  headers: Record<string, string>,
  nodeFlags: readonly string[] = [],
): Promise<RunningTarget> {
  const port = await findFreePort();
  const managed = startProcess({
    name,
    command: process.execPath,
    args: nodeTypeScriptArgs(file, nodeFlags),
    cwd: repositoryRoot,
    env: { PORT: String(port), UPSTREAM_ORIGIN: `http://127.0.0.1:${mockPort}` },
    logFile: logPath(name),
  });
  await waitForPort(port, managed);
  return { name, label, origin: `http://127.0.0.1:${port}`, headers, process: managed };
}

/** Bare Hono + @hono/node-server + undici pass-through: the ceiling of our stack. */
export function startHonoPeer(mockPort: number): Promise<RunningTarget> {
  return startTypeScriptPeer('hono', 'Hono pass-through (ceiling)', 'bench/peers/hono-passthrough.ts', mockPort, {});
}

/** Raw node:http + undici pass-through. */
export function startNodeHttpPeer(mockPort: number): Promise<RunningTarget> {
  return startTypeScriptPeer(
    'node-http',
    'node:http pass-through',
    'bench/peers/node-http-passthrough.ts',
    mockPort,
    {},
  );
}

/** Path of Portkey's server script once installed. */
export function portkeyServerScript(): string {
  return join(portkeyDirectory, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');
}

/**
 * Installs Portkey's gateway into bench/peers/portkey (its own package.json pins the versions)
 * unless it is already there. Returns a line for the console saying what happened.
 */
export async function ensurePortkeyInstalled(): Promise<string> {
  if (existsSync(portkeyServerScript())) return 'Portkey gateway: already installed in bench/peers/portkey';
  await runToCompletion(
    'npm install (portkey)',
    'npm',
    ['install', '--prefix', portkeyDirectory, '--no-audit', '--no-fund', '--loglevel=error'],
    300_000,
  );
  if (!existsSync(portkeyServerScript())) throw new Error(`npm install did not produce ${portkeyServerScript()}`);
  return 'Portkey gateway: installed @portkey-ai/gateway@1.15.2 into bench/peers/portkey (npm install)';
}

/**
 * Portkey's open-source gateway, on 127.0.0.1 (forced by `peers/portkey/listen-on-loopback.mjs`:
 * its own start script listens on every interface), headless, production mode.
 */
export async function startPortkeyPeer(mockPort: number): Promise<RunningTarget> {
  const port = await findFreePort();
  const managed = startProcess({
    name: 'portkey',
    command: process.execPath,
    args: [
      '--import',
      join(portkeyDirectory, 'listen-on-loopback.mjs'),
      portkeyServerScript(),
      `--port=${port}`,
      '--headless',
    ],
    cwd: portkeyDirectory,
    env: { NODE_ENV: 'production' },
    logFile: logPath('portkey'),
  });
  await waitForPort(port, managed, 60_000);
  return {
    name: 'portkey',
    label: 'Portkey gateway 1.15.2',
    origin: `http://127.0.0.1:${port}`,
    headers: {
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': `http://127.0.0.1:${mockPort}/v1`,
      authorization: 'Bearer x',
    },
    process: managed,
  };
}

/** True when `bootstrap.ts` and the modules it needs to serve a config are in the tree. */
export function gatewayIsAvailable(): boolean {
  return ['bootstrap.ts', 'providers/index.ts', 'src/gateway/create-gateway.ts'].every((file) =>
    existsSync(join(repositoryRoot, file)),
  );
}

/** Writes the benchmark's gateway config: features on (auth key, metrics, health checks), one `openai` provider at the mock. */
export function writeGatewayConfig(mockPort: number, fileName = 'gateway-config.json'): string {
  const path = join(outputDirectory, fileName);
  mkdirSync(outputDirectory, { recursive: true });
  const config = {
    server: { host: '127.0.0.1', apiKeys: [gatewayApiKey] },
    router: {
      strategy: 'latency',
      healthCheck: { intervalMs: 10_000, timeoutMs: 5_000 },
      maxAttempts: 3,
      requestTimeoutMs: 30_000,
    },
    providers: [
      { name: 'mock-upstream', type: 'openai', baseURL: `http://127.0.0.1:${mockPort}/v1`, apiKey: 'x', models: ['*'] },
    ],
  };
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
  return path;
}

/** The chat path every benchmark posts to. */
export const chatPath = '/v1/chat/completions';
const benchMessages = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Say hello in five words.' },
];
/** Body of the benchmarks' non-streamed chat requests. */
export const completionBody = JSON.stringify({ model: 'gpt-4o-mini', messages: benchMessages, max_tokens: 32 });
/** Body of the benchmarks' streamed chat requests: the same request with `stream: true`. */
export const streamBody = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: benchMessages,
  max_tokens: 32,
  stream: true,
});

/** The bundled gateway's command line after `node`: `checkout`'s `dist/switchboard.mjs` with a config, a port and loopback. */
export function gatewayArguments(checkout: string, configPath: string, port: number): string[] {
  return [
    join(checkout, 'dist', 'switchboard.mjs'),
    '--config',
    configPath,
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
  ];
}

/**
 * Our gateway, as `npm start -- --config FILE --port N` runs it (`npm run bundle`, which bundles
 * `cli/switchboard.ts` into `dist/switchboard.mjs`, then node on that file), without npm in front of
 * the server so the PID is the server's. Request logs go to /dev/null.
 */
export async function startSwitchboardGateway(
  mockPort: number,
  nodeFlags: readonly string[] = [],
  configFileName?: string,
): Promise<RunningTarget> {
  const port = await findFreePort();
  const configPath = writeGatewayConfig(mockPort, configFileName);
  await runToCompletion('npm run bundle', 'npm', ['run', '-s', 'bundle'], 60_000);
  const managed = startProcess({
    name: 'switchboard',
    command: process.execPath,
    args: [...nodeFlags, ...gatewayArguments(repositoryRoot, configPath, port)],
    cwd: repositoryRoot,
    logFile: '/dev/null',
    errorLogFile: logPath('switchboard'),
  });
  await waitForPort(port, managed);
  return {
    name: 'switchboard',
    label: 'Switchboard gateway',
    origin: `http://127.0.0.1:${port}`,
    headers: { authorization: `Bearer ${gatewayApiKey}` },
    process: managed,
  };
}
