import { describe, expect, it } from 'vitest';
import type { LatencyClientResult } from './latency-client.ts';
import { formatReport, summarizeTargets, type BenchmarkResults, type TargetRound } from './report.ts';

function latency(p50: number, p99: number): LatencyClientResult {
  const summary = { p50, p90: p50, p99, max: p99 };
  return { sent: 10, succeeded: 10, failed: 0, totalMs: summary, firstChunkMs: summary, missingDone: 0 };
}

function round(p50: number, requestsPerSecond: number): TargetRound {
  const wrk = {
    requestsPerSecond,
    requests: requestsPerSecond,
    errors: 0,
    latencyMs: { p50: 1, p90: 1, p99: 1, max: 1 },
  };
  const sequential = { ...wrk, latencyMs: { p50: p50 / 10, p90: p50 / 10, p99: p50 / 5, max: p50 / 5 } };
  // CPU per request falls as throughput rises, as it does on a machine the server has to itself.
  const cpu = 1_000_000 / requestsPerSecond;
  return {
    sequential,
    latency: latency(p50, p50 * 2),
    throughput: wrk,
    streamThroughput: wrk,
    firstChunk: latency(p50, p50 * 2),
    throughputCpuMicroseconds: cpu,
    streamCpuMicroseconds: cpu * 2,
  };
}

const targets: BenchmarkResults['targets'] = [
  { name: 'direct', label: 'direct', rounds: [round(1, 9000), round(2, 9000), round(1, 9000)], peakRssMebibytes: 50 },
  { name: 'hono', label: 'hono', rounds: [round(1.5, 6000), round(2.5, 6000), round(1.5, 6000)], peakRssMebibytes: 80 },
  {
    name: 'portkey',
    label: 'portkey',
    rounds: [round(11, 500), round(12, 500), round(11, 500)],
    peakRssMebibytes: 150,
  },
  {
    name: 'switchboard',
    label: 'switchboard',
    rounds: [round(2, 4500), { ...round(3, 4500), throughput: null }, round(2, 4500)],
    peakRssMebibytes: 100,
  },
];

describe('summarizeTargets', () => {
  it('takes medians over rounds and pairs added latency with direct round by round', () => {
    const [direct, hono, portkey, switchboard] = summarizeTargets(targets);
    expect(direct?.addedP50).toBe(0);
    expect(hono?.addedP50).toBe(0.5);
    expect(portkey?.addedP50).toBe(10);
    expect(switchboard?.addedP50).toBe(1);
    expect(switchboard?.addedP99).toBe(2);
    expect(switchboard?.requestsPerSecond).toBe(4500);
    expect(switchboard?.sequentialP50).toBeCloseTo(0.2);
    expect(switchboard?.sequentialAddedP50).toBeCloseTo(0.1);
    expect(hono?.sequentialAddedP99).toBeCloseTo(0.1);
  });

  it('counts a failed measurement as an error', () => {
    expect(summarizeTargets(targets)[3]?.errors).toBe(1);
  });
});

describe('formatReport', () => {
  it('puts ratios against the Hono ceiling and Portkey in the table', () => {
    const report = formatReport({
      settings: {
        rounds: 3,
        durationSeconds: 4,
        warmupSeconds: 3,
        connections: 32,
        rate: 200,
        streamRate: 100,
        streamChunks: 10,
        concurrentStreams: 1000,
        command: 'npm run bench',
      },
      machine: {
        cpuCount: 2,
        cpuModel: 'test CPU',
        nodeVersion: 'v20.0.0',
        date: '2026-01-01T00:00:00Z',
        versions: { hono: '4' },
      },
      targets,
      notes: ['a note'],
      routerSelectMarkdown: null,
      concurrentStreams: [],
      profile: null,
    });
    expect(report).toContain('| switchboard | 4,500 | 0.75× | 9.00× |');
    expect(report).toContain('| switchboard | 0.200 | 0.400 | +0.100 | +0.200 |');
    expect(report).toContain('| switchboard | 222 | 1.33× | 0.11× | 444 | 1.33× | 0.11× |');
    expect(report).toContain('- a note');
    expect(report).toContain('| CPU model | test CPU |');
  });
});
