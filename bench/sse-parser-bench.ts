/**
 * Micro-benchmark of the upstream SSE parser (a few seconds): normal OpenAI-shaped streams, one event per
 * socket read and several per read, and a line without a newline arriving in 64 KB reads, at growing sizes
 * (linear time means the time per MB stays flat). Pass another parser module to compare, e.g. the previous
 * version: `git show <commit>:providers/http/sse-parser.ts > /tmp/old-sse-parser.ts` then
 * `npm run bench:sse-parser -- /tmp/old-sse-parser.ts`.
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { isMainModule } from './main-module.ts';

/** What the benchmark needs of a parser module. */
interface ParserModule {
  SseParser: new (options?: { maxEventLength?: number }) => {
    push(chunk: Uint8Array | string): Array<{ event: string; data: string }>;
    finish(): boolean;
  };
}

/** One measured case. */
export interface ParserBenchRow {
  case: string;
  /** Input bytes per run. */
  bytes: number;
  /** Median time of a run, in ms. */
  medianMs: number;
  /** Throughput at the median, MB/s. */
  megabytesPerSecond: number;
}

const CHUNK_TEXT = JSON.stringify({
  id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
  object: 'chat.completion.chunk',
  created: 1_763_000_000,
  model: 'gpt-4o-mini-2024-07-18',
  system_fingerprint: 'fp_44709d6fcb',
  choices: [{ index: 0, delta: { content: ' token' }, logprobs: null, finish_reason: null }],
});

function median(values: number[]): number {
  const sorted = [...values].sort((first, second) => first - second);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function measure(name: string, bytes: number, runs: number, run: () => void): ParserBenchRow {
  run(); // warm-up
  const times: number[] = [];
  for (let index = 0; index < runs; index++) {
    const started = performance.now();
    run();
    times.push(performance.now() - started);
  }
  const medianMs = median(times);
  return { case: name, bytes, medianMs, megabytesPerSecond: bytes / 1e6 / (medianMs / 1000) };
}

/**
 * Runs every case against the parser of `module` and returns one row per case.
 *
 * @example
 * ```ts
 * const rows = runParserBench(await import('../providers/http/sse-parser.ts'));
 * ```
 */
export function runParserBench(module: ParserModule, options: { lineSizesMb?: number[] } = {}): ParserBenchRow[] {
  const rows: ParserBenchRow[] = [];
  const event = Buffer.from(`data: ${CHUNK_TEXT}\n\n`);
  const streams = 500;
  const eventsPerStream = 60;
  // One event per socket read: what a token-by-token upstream looks like.
  rows.push(
    measure('stream, 1 event per read (500 × 60 events)', event.length * streams * eventsPerStream, 7, () => {
      for (let stream = 0; stream < streams; stream++) {
        const parser = new module.SseParser();
        for (let index = 0; index < eventsPerStream; index++) parser.push(event);
        parser.push('data: [DONE]\n\n');
      }
    }),
  );
  // Reads of 4 KB cut anywhere: events split across reads, several per read.
  const whole = Buffer.concat(Array.from({ length: eventsPerStream }, () => event));
  const pieces: Buffer[] = [];
  for (let start = 0; start < whole.length; start += 4096) pieces.push(whole.subarray(start, start + 4096));
  rows.push(
    measure('stream, 4 KB reads (500 × 60 events)', whole.length * streams, 7, () => {
      for (let stream = 0; stream < streams; stream++) {
        const parser = new module.SseParser();
        for (const piece of pieces) parser.push(piece);
      }
    }),
  );
  // A line without a newline, in 64 KB reads, with the cap out of the way: linear time keeps MB/s flat.
  const read = Buffer.alloc(64 * 1024, 0x78);
  for (const megabytes of options.lineSizesMb ?? [1, 4, 16]) {
    const reads = (megabytes * 1024 * 1024) / read.length;
    rows.push(
      measure(`newline-free line of ${megabytes} MB, 64 KB reads`, megabytes * 1024 * 1024, 3, () => {
        const parser = new module.SseParser({ maxEventLength: 1024 * 1024 * 1024 });
        parser.push('data: ');
        for (let index = 0; index < reads; index++) parser.push(read);
        parser.push('\n\n');
      }),
    );
  }
  return rows;
}

/** The rows as a Markdown table. */
export function formatParserBench(rows: ParserBenchRow[]): string {
  const lines = ['| case | MB | median ms | MB/s |', '| --- | ---: | ---: | ---: |'];
  for (const row of rows)
    lines.push(
      `| ${row.case} | ${(row.bytes / 1e6).toFixed(1)} | ${row.medianMs.toFixed(1)} | ${row.megabytesPerSecond.toFixed(0)} |`,
    );
  return lines.join('\n');
}

if (isMainModule(import.meta.url)) {
  const target = process.argv[2];
  const url =
    target === undefined ? new URL('../providers/http/sse-parser.ts', import.meta.url) : pathToFileURL(resolve(target));
  const module = (await import(url.href)) as ParserModule;
  const sizes = process.argv[3]?.split(',').map(Number);
  console.log(`SSE parser: ${url.pathname}`);
  console.log(formatParserBench(runParserBench(module, { lineSizesMb: sizes })));
}
