import { describe, expect, it } from 'vitest';
import { parseWrkOutput } from './wrk-output.ts';

const plainOutput = `Running 5s test @ http://127.0.0.1:9000/v1/chat/completions
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.12ms    1.01ms  20.33ms   90.12%
    Req/Sec     7.80k   300.00     8.10k    70.00%
  38921 requests in 5.00s, 21.12MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   7784.20
Transfer/sec:      4.22MB
`;

describe('parseWrkOutput', () => {
  it('reads the summary line of bench/wrk/post.lua', () => {
    const output = `${plainOutput}SWITCHBOARD_WRK {"requests":40000,"durationMicroseconds":5000000,"bytes":1,"errors":{"connect":0,"read":1,"write":0,"status":2,"timeout":0},"latencyMicroseconds":{"p50":4000,"p90":5000,"p99":9000,"mean":4100.5,"max":20000}}\n`;
    const result = parseWrkOutput(output);
    expect(result.requestsPerSecond).toBe(8000);
    expect(result.requests).toBe(40000);
    expect(result.errors).toBe(3);
    expect(result.latencyMs).toEqual({ p50: 4, p90: 5, p99: 9, max: 20 });
  });

  it('falls back to wrk’s own lines', () => {
    const result = parseWrkOutput(plainOutput);
    expect(result.requestsPerSecond).toBeCloseTo(7784.2);
    expect(result.requests).toBe(38921);
    expect(result.errors).toBe(7);
    expect(result.latencyMs.p50).toBeNaN();
  });

  it('throws on output it does not know', () => {
    expect(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused')).toThrow(
      /unrecognised wrk output/,
    );
  });
});
