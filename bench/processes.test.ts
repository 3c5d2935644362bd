import { describe, expect, it } from 'vitest';
import { parsePeakRssKibibytes } from './processes.ts';

describe('parsePeakRssKibibytes', () => {
  it('reads VmHWM out of /proc/<pid>/status', () => {
    const status = 'Name:\tnode\nVmPeak:\t 1000000 kB\nVmHWM:\t  153600 kB\nVmRSS:\t  100000 kB\n';
    expect(parsePeakRssKibibytes(status)).toBe(153600);
  });

  it('is NaN when the line is missing', () => {
    expect(parsePeakRssKibibytes('Name:\tnode\n')).toBeNaN();
  });
});
