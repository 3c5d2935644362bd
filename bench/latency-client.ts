/**
 * Open-loop load client, run as its own process by the harness so its timers do not share
 * an event loop with anything under test: sends requests at a fixed rate (like wrk2), each
 * timed from its *scheduled* send time (no coordinated omission), with undici.
 *
 * `node --import tsx bench/latency-client.ts '<LatencyClientOptions as JSON>'` prints one
 * `LatencyClientResult` as JSON on stdout.
 */
import { Pool } from 'undici';
import { isMainModule } from './main-module.ts';
import { percentileOfSorted } from './stats.ts';

/** What to send and how fast. */
export interface LatencyClientOptions {
  /** Origin, e.g. `http://127.0.0.1:9000`. */
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** Requests started per second. */
  rate: number;
  durationSeconds: number;
  /** `complete`: time to the whole body; `first-chunk`: also time to the first body bytes (streams). */
  mode: 'complete' | 'first-chunk';
  /** Sequential requests before the clock starts (connections, JIT). */
  warmupRequests: number;
}

/** Latency percentiles in ms. */
export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** What the client measured. */
export interface LatencyClientResult {
  sent: number;
  succeeded: number;
  failed: number;
  /** Time to the complete response. */
  totalMs: LatencySummary;
  /** Time to the first body bytes; only in `first-chunk` mode. */
  firstChunkMs: LatencySummary | null;
  /** Streams whose body did not end with `data: [DONE]` (only checked in `first-chunk` mode). */
  missingDone: number;
}

/** Percentiles of an unsorted list of samples. */
export function summarize(samples: number[]): LatencySummary {
  const sorted = [...samples].sort((left, right) => left - right);
  return {
    p50: percentileOfSorted(sorted, 0.5),
    p90: percentileOfSorted(sorted, 0.9),
    p99: percentileOfSorted(sorted, 0.99),
    max: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] as number),
  };
}

interface Sample {
  totalMs: number;
  firstChunkMs: number;
  sawDone: boolean;
}

async function sendOne(pool: Pool, options: LatencyClientOptions, scheduledAt: bigint): Promise<Sample> {
  const response = await pool.request({
    path: options.path,
    method: 'POST',
    headers: options.headers,
    body: options.body,
  });
  let firstChunkAt = 0n;
  let tail = '';
  for await (const chunk of response.body) {
    if (firstChunkAt === 0n) firstChunkAt = process.hrtime.bigint();
    if (options.mode === 'first-chunk') tail = (tail + (chunk as Buffer).toString('utf8')).slice(-64);
  }
  const finishedAt = process.hrtime.bigint();
  if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
  if (firstChunkAt === 0n) firstChunkAt = finishedAt;
  return {
    totalMs: Number(finishedAt - scheduledAt) / 1e6,
    firstChunkMs: Number(firstChunkAt - scheduledAt) / 1e6,
    sawDone: tail.includes('data: [DONE]'),
  };
}

/** Runs the open-loop load and returns what it measured. */
export async function runLatencyClient(options: LatencyClientOptions): Promise<LatencyClientResult> {
  const pool = new Pool(options.origin, { connections: 128, headersTimeout: 30_000, bodyTimeout: 30_000 });
  try {
    for (let index = 0; index < options.warmupRequests; index += 1) {
      await sendOne(pool, options, process.hrtime.bigint()).catch(() => undefined);
    }
    const total = Math.max(1, Math.round(options.rate * options.durationSeconds));
    const intervalNs = BigInt(Math.round(1e9 / options.rate));
    const samples: Sample[] = [];
    let failed = 0;
    const pending: Promise<void>[] = [];
    const startedAt = process.hrtime.bigint();
    let next = 0;
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const now = process.hrtime.bigint();
        while (next < total && startedAt + BigInt(next) * intervalNs <= now) {
          const scheduledAt = startedAt + BigInt(next) * intervalNs;
          pending.push(
            sendOne(pool, options, scheduledAt).then(
              (sample) => void samples.push(sample),
              () => void (failed += 1),
            ),
          );
          next += 1;
        }
        if (next >= total) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    await Promise.all(pending);
    return {
      sent: total,
      succeeded: samples.length,
      failed,
      totalMs: summarize(samples.map((sample) => sample.totalMs)),
      firstChunkMs: options.mode === 'first-chunk' ? summarize(samples.map((sample) => sample.firstChunkMs)) : null,
      missingDone: options.mode === 'first-chunk' ? samples.filter((sample) => !sample.sawDone).length : 0,
    };
  } finally {
    await pool.destroy();
  }
}

if (isMainModule(import.meta.url)) {
  const options = JSON.parse(process.argv[2] ?? '{}') as LatencyClientOptions;
  const result = await runLatencyClient(options);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
