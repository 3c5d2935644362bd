import { describe, expect, it } from 'vitest';
import { sumCounter } from './gateway-check.ts';

const exposition = `# HELP switchboard_requests_total Requests.
# TYPE switchboard_requests_total counter
switchboard_requests_total{provider="a",model="m",status="200",stream="false"} 10
switchboard_requests_total{provider="a",model="m",status="200",stream="true"} 5
switchboard_requests_total{provider="a",model="m",status="502",stream="false"} 2
switchboard_requests_total_extra{status="200"} 100
plain_total 7
`;

describe('sumCounter', () => {
  it('sums the samples whose labels match', () => {
    expect(sumCounter(exposition, 'switchboard_requests_total')).toBe(17);
    expect(sumCounter(exposition, 'switchboard_requests_total', { status: '200' })).toBe(15);
    expect(sumCounter(exposition, 'switchboard_requests_total', { status: '200', stream: 'true' })).toBe(5);
  });

  it('reads counters without labels and ignores other names', () => {
    expect(sumCounter(exposition, 'plain_total')).toBe(7);
    expect(sumCounter(exposition, 'missing_total')).toBe(0);
  });
});
