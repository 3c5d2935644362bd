import { describe, expect, it } from 'vitest';
import { parseCpuTicks, parsePeakRssKibibytes } from './processes.ts';

describe('parsePeakRssKibibytes', () => {
  it('reads VmHWM out of /proc/<pid>/status', () => {
    const status = 'Name:\tnode\nVmPeak:\t 1000000 kB\nVmHWM:\t  153600 kB\nVmRSS:\t  100000 kB\n';
    expect(parsePeakRssKibibytes(status)).toBe(153600);
  });

  it('is NaN when the line is missing', () => {
    expect(parsePeakRssKibibytes('Name:\tnode\n')).toBeNaN();
  });
});

describe('parseCpuTicks', () => {
  it('adds utime and stime out of /proc/<pid>/stat, even when the command name has spaces and parentheses', () => {
    const stat =
      '4242 (node (main) x) S 1 4242 4242 0 -1 4194304 8000 0 0 0 1234 567 0 0 20 0 11 0 100 1000000 5000 18446744073709551615';
    expect(parseCpuTicks(stat)).toBe(1801);
  });

  it('is NaN for a text that is not a stat line', () => {
    expect(parseCpuTicks('nonsense')).toBeNaN();
  });
});
