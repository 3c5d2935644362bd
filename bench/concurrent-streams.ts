/**
 * Many concurrent slow streams through one server: does every stream end with `data: [DONE]`,
 * and how high does the server's resident memory go?
 *
 * Alone: `node --import tsx bench/concurrent-streams.ts [--streams 1000] [--all]` starts a slow mock
 * upstream (20 chunks, 150 ms apart), our gateway (and with `--all` the other peers too), runs the
 * streams and prints a Markdown table. `npm run bench` calls `runConcurrentStreams` per target.
 */
import { spawnSync } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { isMainModule } from './main-module.ts';
import { installCleanupHandlers, readPeakRssMebibytes, stopAllProcesses, stopProcess } from './processes.ts';
import { formatNumber } from './stats.ts';
import {
  ensurePortkeyInstalled,
  gatewayIsAvailable,
  startHonoPeer,
  startMockUpstream,
  startNodeHttpPeer,
  startPortkeyPeer,
  startSwitchboardGateway,
  type RunningTarget,
} from './targets.ts';

/**
 * The slow stream every request gets from the mock: ~3 s, so that 1,000 streams opened in
 * 200 ms are all open at once even through a proxy that needs a few seconds to connect them all.
 */
export const slowStream = { streamChunks: 20, chunkDelayMs: 150 } as const;

/** What one burst of concurrent streams did. */
export interface ConcurrentStreamsResult {
  target: string;
  streams: number;
  /** Streams that answered 200 and ended with `data: [DONE]`. */
  completed: number;
  failed: number;
  /** Most streams open at once (response headers in, body not finished), seen by the client. */
  peakOpenStreams: number;
  /** First failure message, if any. */
  firstError: string | null;
  /** The server's RSS before the burst, MiB. */
  rssBeforeMebibytes: number;
  /** The server's peak RSS (VmHWM) after the burst, MiB. */
  peakRssMebibytes: number;
  seconds: number;
}

/** The request body of one stream. */
export const streamRequestBody = JSON.stringify({
  model: 'gpt-4o-mini',
  stream: true,
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Count to twenty.' },
  ],
});

function currentRssMebibytes(pid: number): number {
  const status = spawnSync('cat', [`/proc/${pid}/status`], { encoding: 'utf8' }).stdout ?? '';
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match === null ? Number.NaN : Number(match[1]) / 1024;
}

/** Streams opened per step of the ramp; a step every `rampStepMs`. */
const rampBatch = 50;
const rampStepMs = 10;

/**
 * Opens `streams` streams against `target`, each on its own connection, bounded by `timeoutMs`.
 * They start in batches of 50 every 10 ms (1,000 in 200 ms, well inside one stream's ~1 s), so
 * that every stream is open at the same time without overflowing the servers' accept queues
 * (Node's default listen backlog is 511; a dropped SYN is retried only after a second).
 */
export async function runConcurrentStreams(
  target: RunningTarget,
  streams: number,
  timeoutMs = 60_000,
): Promise<ConcurrentStreamsResult> {
  const pool = new Pool(target.origin, { connections: streams, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const signal = AbortSignal.timeout(timeoutMs);
  setMaxListeners(streams + 16, signal);
  const rssBeforeMebibytes = currentRssMebibytes(target.process.pid);
  let completed = 0;
  let failed = 0;
  let firstError: string | null = null;
  let openStreams = 0;
  let peakOpenStreams = 0;
  const started = process.hrtime.bigint();
  const one = async (): Promise<void> => {
    const response = await pool.request({
      path: '/v1/chat/completions',
      method: 'POST',
      headers: { 'content-type': 'application/json', ...target.headers },
      body: streamRequestBody,
      signal,
    });
    openStreams += 1;
    peakOpenStreams = Math.max(peakOpenStreams, openStreams);
    let tail = '';
    try {
      for await (const chunk of response.body) tail = (tail + (chunk as Buffer).toString('utf8')).slice(-64);
    } finally {
      openStreams -= 1;
    }
    if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
    if (!tail.includes('data: [DONE]')) throw new Error('stream ended without data: [DONE]');
  };
  const running: Promise<void>[] = [];
  for (let index = 0; index < streams; index += 1) {
    if (index > 0 && index % rampBatch === 0) await new Promise((resolve) => setTimeout(resolve, rampStepMs));
    running.push(
      one().then(
        () => void (completed += 1),
        (error: unknown) => {
          failed += 1;
          firstError ??= error instanceof Error ? error.message : String(error);
        },
      ),
    );
  }
  await Promise.all(running);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await pool.destroy();
  return {
    target: target.label,
    streams,
    completed,
    failed,
    peakOpenStreams,
    firstError,
    rssBeforeMebibytes,
    peakRssMebibytes: readPeakRssMebibytes(target.process.pid),
    seconds,
  };
}

/** Soft limit on open files of this process (children inherit it); NaN when unknown. */
export function openFileLimit(): number {
  const output = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  return output === 'unlimited' ? Number.POSITIVE_INFINITY : Number(output);
}

/** Markdown table of concurrent-stream results. */
export function formatConcurrentStreamsMarkdown(results: readonly ConcurrentStreamsResult[]): string {
  return [
    '| target | streams | completed with [DONE] | failed | most open at once | RSS before (MiB) | peak RSS (MiB) | wall time (s) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.map(
      (result) =>
        `| ${result.target} | ${result.streams} | ${result.completed} | ${result.failed}${result.firstError === null ? '' : ` (${result.firstError})`} | ${result.peakOpenStreams} | ${formatNumber(result.rssBeforeMebibytes, 1)} | ${formatNumber(result.peakRssMebibytes, 1)} | ${formatNumber(result.seconds, 1)} |`,
    ),
  ].join('\n');
}

/** Starts a peer against the slow mock, runs one burst, stops the peer. */
export async function measurePeer(
  start: (mockPort: number) => Promise<RunningTarget>,
  mockPort: number,
  streams: number,
): Promise<ConcurrentStreamsResult> {
  const target = await start(mockPort);
  try {
    return await runConcurrentStreams(target, streams);
  } finally {
    await stopProcess(target.process);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { streams: { type: 'string', default: '1000' }, all: { type: 'boolean', default: false } },
  });
  const streams = Number(values.streams);
  const limit = openFileLimit();
  if (limit < streams * 3)
    process.stderr.write(
      `warning: ulimit -n is ${limit}; ${streams} streams need about ${streams * 3} descriptors (raise it with ulimit -n)\n`,
    );
  installCleanupHandlers();
  try {
    const mock = await startMockUpstream('mock-upstream-slow', slowStream);
    const starters: Array<(mockPort: number) => Promise<RunningTarget>> = [];
    if (values.all) {
      process.stdout.write(`${await ensurePortkeyInstalled()}\n`);
      starters.push(startHonoPeer, startNodeHttpPeer, startPortkeyPeer);
    }
    if (gatewayIsAvailable()) starters.push((port) => startSwitchboardGateway(port, [], 'gateway-config-streams.json'));
    else
      process.stdout.write(
        'Switchboard gateway: not in the tree yet (bootstrap.ts / providers/index.ts missing), skipped\n',
      );
    const results: ConcurrentStreamsResult[] = [];
    for (const start of starters) results.push(await measurePeer(start, mock.port, streams));
    process.stdout.write(`${formatConcurrentStreamsMarkdown(results)}\n`);
  } finally {
    await stopAllProcesses();
  }
}

if (isMainModule(import.meta.url)) await main();
