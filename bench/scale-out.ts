/**
 * `npm run bench:scale-out`: what scale-out costs and gains on this machine.
 *
 * 1. Throughput of one gateway process with `server.workers: 2` against `workers: 1` (closed
 *    loop: `--connections` keep-alive connections for `--seconds`, non-streamed chat completions
 *    against a mock upstream). The load generator, the mock upstream and the gateway share the
 *    machine's cores: on a 2-core box the second worker competes with them.
 * 2. Added latency of Redis state: sequential requests (one at a time) to a `workers: 1` gateway
 *    without and with `state.redis`, with rate limiting off (nothing on the request path should
 *    touch Redis) and on (one script call per request).
 *
 * Every child (mock upstream, redis-server, gateways) is stopped by PID at the end. Prints a
 * Markdown report; `--seconds S` (default 8), `--connections C` (default 32), `--requests N`
 * sequential requests per latency case (default 2000), `--rounds R` (default 2, interleaved).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { startRedisServer } from '../src/state/test-support/redis-server.ts';
import { readMachineInfo } from './machine-info.ts';
import {
  findFreePort,
  installCleanupHandlers,
  nodeTypeScriptArgs,
  startProcess,
  stopAllProcesses,
  stopProcess,
  waitForPort,
  type ManagedProcess,
} from './processes.ts';
import { median, percentile } from './stats.ts';
import { repositoryRoot, startMockUpstream } from './targets.ts';

const BODY = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] });

interface GatewayCase {
  name: string;
  workers: number;
  redisUrl?: string;
  rateLimit?: boolean;
}

/** Starts a gateway on a free port and waits until each of its workers listens. */
async function startGateway(
  gatewayCase: GatewayCase,
  upstreamPort: number,
  directory: string,
): Promise<{ origin: string; process: ManagedProcess }> {
  const port = await findFreePort();
  const config = {
    server: {
      port,
      workers: gatewayCase.workers,
      logLevel: 'error',
      ...(gatewayCase.rateLimit ? { rateLimit: { requestsPerMinute: 10_000_000, burst: 10_000_000 } } : {}),
    },
    ...(gatewayCase.redisUrl !== undefined
      ? { state: { redis: { url: gatewayCase.redisUrl, keyPrefix: `bench-${port}:` } } }
      : {}),
    router: { healthCheck: { intervalMs: 0 } },
    providers: [
      {
        name: 'upstream',
        type: 'openai',
        apiKey: 'sk-bench',
        baseURL: `http://127.0.0.1:${upstreamPort}/v1`,
        models: ['gpt-4o-mini'],
      },
    ],
  };
  const configPath = join(directory, `${gatewayCase.name.replace(/\W+/g, '-')}.json`);
  writeFileSync(configPath, JSON.stringify(config));
  const logFile = join(directory, `${port}.log`);
  const managed = startProcess({
    name: gatewayCase.name,
    command: process.execPath,
    args: [...nodeTypeScriptArgs('cli/switchboard.ts'), '--config', configPath],
    cwd: repositoryRoot,
    env: { NODE_ENV: 'production' },
    logFile,
  });
  await waitForPort(port, managed, 120_000);
  if (gatewayCase.workers > 1) {
    const deadline = Date.now() + 120_000;
    while ((readFileSync(logFile, 'utf8').match(/"worker listening"/g) ?? []).length < gatewayCase.workers) {
      if (Date.now() > deadline) throw new Error(`${gatewayCase.name}: not every worker listened within 120 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { origin: `http://127.0.0.1:${port}`, process: managed };
}

/** Closed loop: `connections` requests in flight for `seconds`; requests per second answered 200. */
async function throughput(origin: string, connections: number, seconds: number): Promise<number> {
  const pool = new Pool(origin, { connections, pipelining: 1 });
  const send = async () => {
    const response = await pool.request({
      path: '/v1/chat/completions',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: BODY,
    });
    await response.body.dump();
    return response.statusCode;
  };
  try {
    await Promise.all(Array.from({ length: connections * 4 }, send));
    let ok = 0;
    const started = performance.now();
    const deadline = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (performance.now() < deadline) if ((await send()) === 200) ok += 1;
      }),
    );
    return ok / ((performance.now() - started) / 1000);
  } finally {
    await pool.destroy();
  }
}

/** Sequential requests on one keep-alive connection: latency samples in ms. */
async function sequentialLatency(origin: string, requests: number): Promise<number[]> {
  const pool = new Pool(origin, { connections: 1 });
  const samples: number[] = [];
  try {
    for (let index = 0; index < requests + 200; index += 1) {
      const started = performance.now();
      const response = await pool.request({
        path: '/v1/chat/completions',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: BODY,
      });
      await response.body.dump();
      if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
      if (index >= 200) samples.push(performance.now() - started);
    }
    return samples;
  } finally {
    await pool.destroy();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '8' },
      connections: { type: 'string', default: '32' },
      requests: { type: 'string', default: '2000' },
      rounds: { type: 'string', default: '2' },
    },
  });
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  const requests = Number(values.requests);
  const rounds = Number(values.rounds);
  installCleanupHandlers();
  const directory = mkdtempSync(join(tmpdir(), 'switchboard-scale-out-bench-'));
  const redis = await startRedisServer();
  try {
    const upstream = await startMockUpstream('scale-out-upstream', { streamChunks: 10, chunkDelayMs: 0 });
    const rates: Record<string, number[]> = { 'workers: 1': [], 'workers: 2': [] };
    const latencies: Record<string, number[]> = {
      'state off, rate limit off': [],
      'state.redis, rate limit off': [],
      'state off, rate limit on': [],
      'state.redis, rate limit on': [],
    };
    for (let round = 0; round < rounds; round += 1) {
      for (const workers of [1, 2]) {
        const gateway = await startGateway({ name: `workers-${workers}`, workers }, upstream.port, directory);
        rates[`workers: ${workers}`]!.push(await throughput(gateway.origin, connections, seconds));
        await stopProcess(gateway.process, 15_000);
      }
      for (const [name, gatewayCase] of [
        ['state off, rate limit off', { name: 'plain', workers: 1 }],
        ['state.redis, rate limit off', { name: 'redis', workers: 1, redisUrl: redis.url }],
        ['state off, rate limit on', { name: 'plain-limited', workers: 1, rateLimit: true }],
        ['state.redis, rate limit on', { name: 'redis-limited', workers: 1, redisUrl: redis.url, rateLimit: true }],
      ] as const) {
        const gateway = await startGateway(gatewayCase, upstream.port, directory);
        latencies[name]!.push(...(await sequentialLatency(gateway.origin, requests)));
        await stopProcess(gateway.process, 15_000);
      }
    }
    const machine = readMachineInfo();
    const lines = [
      `## Scale-out (${new Date().toISOString()})`,
      '',
      `Machine: ${JSON.stringify(machine)}. The load generator (this process), the mock upstream, redis-server and the gateway's workers all share these cores.`,
      '',
      `Throughput, ${connections} keep-alive connections × ${seconds} s, ${rounds} rounds (median of rounds):`,
      '',
      '| gateway | requests/s (each round) | median |',
      '|---|---|---|',
      ...Object.entries(rates).map(
        ([name, values]) =>
          `| ${name} | ${values.map((value) => value.toFixed(0)).join(', ')} | ${median(values).toFixed(0)} |`,
      ),
      '',
      `Latency of sequential requests (${requests} per round after 200 warm-up, ${rounds} rounds), workers: 1:`,
      '',
      '| case | p50 ms | p90 ms | p99 ms |',
      '|---|---|---|---|',
      ...Object.entries(latencies).map(
        ([name, samples]) =>
          `| ${name} | ${percentile(samples, 0.5).toFixed(3)} | ${percentile(samples, 0.9).toFixed(3)} | ${percentile(samples, 0.99).toFixed(3)} |`,
      ),
      '',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await stopAllProcesses();
    await redis.stop();
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
