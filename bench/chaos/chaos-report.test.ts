import { describe, expect, it } from 'vitest';
import { isGatewayFault, streamEnded, type Outcome } from './chaos-clients.ts';
import { buildReport, formatReport, quantile, type ProbeMeasurements } from './chaos-report.ts';
import { drawFault } from './fault-upstream.ts';

function probes(overrides: Partial<ProbeMeasurements> = {}): ProbeMeasurements {
  return {
    seconds: 10,
    peakRssMebibytes: 120,
    scrapeBytesMax: 50_000,
    scrapeMilliseconds: [4, 6],
    healthMilliseconds: [1, 2, 3],
    eventLoopLagMaxMilliseconds: 12,
    upstreamFaults: { healthy: 3, hang: 1 },
    leakedKeys: [],
    errorLogLines: [],
    ...overrides,
  };
}

const answered: Outcome = { client: 'normal', result: 'answered', status: 200 };

describe('chaos verdict', () => {
  it('passes when every request was answered or disconnected on purpose, nothing leaked and RSS stayed low', () => {
    const report = buildReport([answered, { client: 'disconnect', result: 'disconnected' }], probes());
    expect(report.failures).toEqual([]);
    expect(formatReport(report)).toContain('verdict PASS');
  });

  it('fails on a lost or hung request, a gateway 5xx, an unexpected error, a leaked key or RSS over 300 MiB', () => {
    const report = buildReport(
      [
        answered,
        { client: 'normal', result: 'lost', detail: 'socket hang up' },
        { client: 'slow-reader', result: 'hung' },
        { client: 'hostile', result: 'answered', status: 500, gatewayFault: true },
      ],
      probes({
        leakedKeys: ['gateway log: sk-chaos-flaky…'],
        errorLogLines: ['{"level":"error"}'],
        peakRssMebibytes: 301,
      }),
    );
    expect(report.failures).toEqual([
      '1 lost request(s)',
      '1 hung request(s)',
      '1 5xx caused by the gateway itself',
      '1 unexpected error(s) logged',
      '1 leaked upstream key(s)',
      'peak RSS 301 MiB over 300 MiB',
    ]);
    expect(report.clients.normal).toMatchObject({ requests: 2, answered: 1, lost: 1 });
    expect(formatReport(report)).toContain('verdict FAIL');
  });

  it('tells the gateway’s own 5xx from an upstream’s, and a whole stream from a cut one', () => {
    expect(isGatewayFault(500, '{"error":{"code":"internal_error"}}')).toBe(true);
    expect(isGatewayFault(502, '')).toBe(true);
    expect(isGatewayFault(502, '{"error":{"code":"upstream_protocol_error"}}')).toBe(false);
    expect(isGatewayFault(400, '{"error":{}}')).toBe(false);
    expect(streamEnded('data: {}\n\ndata: [DONE]\n\n')).toBe(true);
    expect(streamEnded('event: message_stop\ndata: {}\n\n')).toBe(true);
    expect(streamEnded('data: {}\n\ndata: {"error":{"message":"x"}}\n\n')).toBe(true);
    expect(streamEnded('data: {}\n\n')).toBe(false);
  });

  it('draws faults by weight and reads quantiles', () => {
    expect(drawFault({ healthy: 1, hang: 3 }, () => 0.1)).toBe('healthy');
    expect(drawFault({ healthy: 1, hang: 3 }, () => 0.9)).toBe('hang');
    expect(quantile([5, 1, 3], 0.5)).toBe(3);
    expect(quantile([5, 1, 3], 1)).toBe(5);
    expect(quantile([], 0.5)).toBeNaN();
  });
});
