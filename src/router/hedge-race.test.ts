import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runHedgedRace, SYSTEM_TIMERS, type RaceEntrant } from './hedge-race.ts';

interface Controlled extends RaceEntrant<string> {
  name: string;
  cancelled: boolean;
  succeed(value: string): void;
  fail(error: Error): void;
}

function controlled(name: string, log: string[]): Controlled {
  let resolve!: (value: string) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<string>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  log.push(`start ${name}`);
  const entrant: Controlled = {
    name,
    promise,
    cancelled: false,
    cancel() {
      entrant.cancelled = true;
      log.push(`cancel ${name}`);
      reject(new Error(`${name} cancelled`));
    },
    succeed: (value) => resolve(value),
    fail: (error) => reject(error),
  };
  return entrant;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('runHedgedRace', () => {
  it('starts exactly one extra attempt after the delay, takes the first result and cancels the other', async () => {
    const log: string[] = [];
    const entrants: Controlled[] = [];
    const race = runHedgedRace({
      first: () => entrants[entrants.push(controlled('first', log)) - 1]!,
      hedge: () => entrants[entrants.push(controlled(`hedge${entrants.length}`, log)) - 1]!,
      delayMs: 2_000,
      max: 1,
      timers: SYSTEM_TIMERS,
      discard: () => log.push('discard'),
    });
    await vi.advanceTimersByTimeAsync(1_999);
    expect(log).toEqual(['start first']);
    await vi.advanceTimersByTimeAsync(1);
    expect(log).toEqual(['start first', 'start hedge1']);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(entrants).toHaveLength(2);
    entrants[1]!.succeed('from hedge');
    await expect(race).resolves.toBe('from hedge');
    expect(entrants[0]!.cancelled).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never hedges when the first result comes before the delay', async () => {
    const log: string[] = [];
    let first: Controlled | undefined;
    const race = runHedgedRace({
      first: () => (first = controlled('first', log)),
      hedge: () => controlled('hedge', log),
      delayMs: 2_000,
      max: 1,
      timers: SYSTEM_TIMERS,
      discard: () => undefined,
    });
    await vi.advanceTimersByTimeAsync(1_500);
    first!.succeed('in time');
    await expect(race).resolves.toBe('in time');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(log).toEqual(['start first']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('waits for the other attempt when one fails, and fails with the last failure when all did', async () => {
    const log: string[] = [];
    const entrants: Controlled[] = [];
    const race = runHedgedRace({
      first: () => entrants[entrants.push(controlled('first', log)) - 1]!,
      hedge: () => entrants[entrants.push(controlled('hedge', log)) - 1]!,
      delayMs: 100,
      max: 1,
      timers: SYSTEM_TIMERS,
      discard: () => undefined,
    });
    await vi.advanceTimersByTimeAsync(100);
    entrants[1]!.fail(new Error('hedge 503'));
    await vi.advanceTimersByTimeAsync(50);
    entrants[0]!.fail(new Error('first 500'));
    await expect(race).rejects.toThrow('first 500');
  });

  it('starts nothing more when no other provider may take the hedge', async () => {
    const log: string[] = [];
    let first: Controlled | undefined;
    const race = runHedgedRace({
      first: () => (first = controlled('first', log)),
      hedge: () => undefined,
      delayMs: 100,
      max: 1,
      timers: SYSTEM_TIMERS,
      discard: () => undefined,
    });
    await vi.advanceTimersByTimeAsync(500);
    first!.succeed('alone');
    await expect(race).resolves.toBe('alone');
    expect(log).toEqual(['start first']);
  });
});
