/**
 * Parses what `wrk` prints when run with `bench/wrk/post.lua`: the script's one-line
 * `SWITCHBOARD_WRK {json}` summary, else wrk's own `Requests/sec:` line.
 */

/** One wrk run, as the harness uses it. */
export interface WrkResult {
  /** Completed requests per second over the run. */
  requestsPerSecond: number;
  /** Completed requests. */
  requests: number;
  /** Socket errors plus non-2xx/3xx responses. */
  errors: number;
  /** Latency percentiles in ms (NaN when only the plain output was available). */
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

const summaryPrefix = 'SWITCHBOARD_WRK ';

interface WrkSummaryLine {
  requests: number;
  durationMicroseconds: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyMicroseconds: { p50: number; p90: number; p99: number; max: number };
}

/**
 * Reads a wrk run's stdout. Throws when neither the summary line nor `Requests/sec:` is there.
 *
 * @example
 * ```ts
 * parseWrkOutput('SWITCHBOARD_WRK {"requests":100,"durationMicroseconds":1000000,...}').requestsPerSecond; // 100
 * ```
 */
export function parseWrkOutput(output: string): WrkResult {
  const summaryLine = output.split('\n').find((line) => line.startsWith(summaryPrefix));
  if (summaryLine !== undefined) {
    const summary = JSON.parse(summaryLine.slice(summaryPrefix.length)) as WrkSummaryLine;
    const seconds = summary.durationMicroseconds / 1e6;
    const { connect, read, write, status, timeout } = summary.errors;
    const latency = summary.latencyMicroseconds;
    return {
      requestsPerSecond: seconds > 0 ? summary.requests / seconds : 0,
      requests: summary.requests,
      errors: connect + read + write + status + timeout,
      latencyMs: { p50: latency.p50 / 1000, p90: latency.p90 / 1000, p99: latency.p99 / 1000, max: latency.max / 1000 },
    };
  }
  const rateMatch = /Requests\/sec:\s+([\d.]+)/.exec(output);
  if (rateMatch === null) throw new Error(`unrecognised wrk output: ${output.slice(0, 300)}`);
  const requestsMatch = /(\d+) requests in/.exec(output);
  const non2xxMatch = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output);
  const socketMatch = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socketMatch === null ? 0 : socketMatch.slice(1).reduce((sum, count) => sum + Number(count), 0);
  return {
    requestsPerSecond: Number(rateMatch[1]),
    requests: requestsMatch === null ? 0 : Number(requestsMatch[1]),
    errors: socketErrors + (non2xxMatch === null ? 0 : Number(non2xxMatch[1])),
    latencyMs: { p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, max: Number.NaN },
  };
}
