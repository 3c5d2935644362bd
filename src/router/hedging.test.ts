import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from './errors.ts';
import { Router } from './router.ts';
import { delayedAdapter } from './test-support/delayed-adapter.ts';
import type { AttemptEvent, ResultEvent, RouterOptions } from './types.ts';

const messages = [{ role: 'user' as const, content: 'hi' }];

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Two providers on fake timers; `first` is chosen first (round robin from the start). */
function setup(options: RouterOptions = {}) {
  const router = new Router({
    strategy: 'round_robin',
    clock: () => Date.now(),
    hedge: { afterMs: 2_000, max: 1 },
    retry: { sameProvider: 0 },
    ...options,
  });
  const first = delayedAdapter('first', [{ delayMs: 10_000 }]);
  const second = delayedAdapter('second', [{ delayMs: 500 }]);
  router.registerProvider(first);
  router.registerProvider(second);
  const attempts: AttemptEvent[] = [];
  const results: ResultEvent[] = [];
  router.on('attempt', (event) => attempts.push(event));
  router.on('result', (event) => results.push(event));
  return { router, first, second, attempts, results };
}

describe('hedging (router.hedge)', () => {
  it('starts exactly one extra attempt on another provider after the delay and cancels the loser', async () => {
    const { router, first, second, attempts, results } = setup();
    const call = router.chatCompletion({ model: 'm', messages });
    await vi.advanceTimersByTimeAsync(1_999);
    expect([first.calls.length, second.calls.length]).toEqual([1, 0]);
    await vi.advanceTimersByTimeAsync(1);
    expect([first.calls.length, second.calls.length]).toEqual([1, 1]);
    await vi.advanceTimersByTimeAsync(500);
    const routed = await call;
    expect(routed).toMatchObject({ provider: 'second', attempts: 2, fallbackReason: 'hedged' });
    expect(routed.completion.choices[0]?.message.content).toBe('from second');
    expect(first.calls[0]).toMatchObject({ cancelled: true, answered: false });
    expect(attempts.map((event) => [event.provider, event.kind])).toEqual([
      ['first', 'first'],
      ['second', 'hedge'],
    ]);
    // Both metered: the winner as a success with its usage, the loser as nobody's fault, with no latency sample.
    expect(results.map((event) => [event.provider, event.success, event.countsAsFailure])).toEqual([
      ['second', true, undefined],
      ['first', false, false],
    ]);
    expect(results[1]?.latencyMs).toBeUndefined();
    expect(router.healthStatus().first?.circuitState).toBe('closed');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(first.calls.length + second.calls.length).toBe(2);
  });

  it('never hedges a request whose answer came in time', async () => {
    const { router, first, second } = setup();
    first.answers = [{ delayMs: 1_500 }];
    const call = router.chatCompletion({ model: 'm', messages });
    await vi.advanceTimersByTimeAsync(1_500);
    expect(await call).toMatchObject({ provider: 'first', attempts: 1, fallbackReason: undefined });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(second.calls).toHaveLength(0);
  });

  it('hedges a stream only before its first token, and the winner streams to the end', async () => {
    const { router, first, second } = setup();
    const slow = router.chatCompletionStream({ model: 'm', messages, stream: true });
    await vi.advanceTimersByTimeAsync(2_500);
    const routed = await slow;
    expect(routed).toMatchObject({ provider: 'second', attempts: 2, fallbackReason: 'hedged' });
    const texts: string[] = [];
    for await (const chunk of routed.stream) texts.push(chunk.choices[0]?.delta.content ?? '');
    expect(texts.join('')).toBe('from second');
    expect(first.calls[0]?.cancelled).toBe(true);

    // In time: the first token at 1.9 s; no hedge, even though the rest of the stream is slow.
    first.answers = [{ delayMs: 1_900 }];
    const inTime = router.chatCompletionStream({ model: 'm', messages, stream: true });
    await vi.advanceTimersByTimeAsync(1_900);
    expect(await inTime).toMatchObject({ attempts: 1 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(second.calls).toHaveLength(1);
  });

  it('starts at most `max` extra attempts, and the first may still win', async () => {
    const { router, first, second } = setup();
    const third = delayedAdapter('third', [{ delayMs: 60_000 }]);
    router.registerProvider(third);
    first.answers = [{ delayMs: 5_000 }];
    second.answers = [{ delayMs: 60_000 }];
    const call = router.chatCompletion({ model: 'm', messages });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await call).toMatchObject({ provider: 'first', attempts: 2, fallbackReason: undefined });
    const hedges = [...second.calls, ...third.calls];
    expect(hedges).toHaveLength(1);
    expect(hedges[0]?.cancelled).toBe(true);
  });

  it("when every attempt fails, the first attempt's failure decides what follows (here a same-provider retry)", async () => {
    const { router, first, second, attempts } = setup({ retry: { sameProvider: 1, backoffMs: 0 } });
    first.answers = [{ delayMs: 3_000, status: 500 }, { delayMs: 100 }];
    second.answers = [{ delayMs: 2_500, status: 500 }];
    const call = router.chatCompletion({ model: 'm', messages });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await call).toMatchObject({ provider: 'first', attempts: 3 });
    expect(attempts.map((event) => [event.provider, event.kind])).toEqual([
      ['first', 'first'],
      ['second', 'hedge'],
      ['first', 'retry'],
    ]);
  });

  it('"p95" waits for 20 answers, then hedges after their 95th percentile', async () => {
    const { router, first, second } = setup({ hedge: { afterMs: 'p95' }, strategy: 'latency' });
    router.unregisterProvider('second');
    first.answers = [{ delayMs: 100 }];
    for (let index = 0; index < 20; index += 1) {
      const call = router.chatCompletion({ model: 'm', messages });
      await vi.advanceTimersByTimeAsync(100);
      await call;
    }
    router.registerProvider(second);
    second.answers = [{ delayMs: 50 }];
    first.answers = [{ delayMs: 10_000 }];
    router.recordResult('second', { success: true, latencyMs: 1_000 });
    const call = router.chatCompletion({ model: 'm', messages });
    await vi.advanceTimersByTimeAsync(99);
    expect(second.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(51);
    expect(await call).toMatchObject({ provider: 'second', fallbackReason: 'hedged' });
  });

  it('a hedge counts against the retry budget, and none starts beyond it', async () => {
    const { router, second } = setup({ retryBudget: { ratio: 0, minPerSecond: 0 } });
    const call = router.chatCompletion({ model: 'm', messages });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await call).toMatchObject({ provider: 'first', attempts: 1 });
    expect(second.calls).toHaveLength(0);
  });

  it('refuses a bad delay or max', () => {
    expect(() => new Router({ hedge: { afterMs: 0 } })).toThrow(ConfigurationError);
    expect(() => new Router({ hedge: { afterMs: 'p50' as 'p95' } })).toThrow(ConfigurationError);
    expect(() => new Router({ hedge: { afterMs: 100, max: 0 } })).toThrow(ConfigurationError);
  });
});
