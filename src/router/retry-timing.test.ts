import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatCompletionRequest } from '../contract/chat-types.ts';
import type { CallOptions, ProviderAdapter } from '../contract/provider-adapter.ts';
import { ProviderError } from '../contract/provider-error.ts';
import { RoutingFailedError } from './errors.ts';
import { Router } from './router.ts';
import { scriptedAdapter, type ScriptedOutcome } from './test-support/scripted-adapter.ts';
import type { RouterOptions } from './types.ts';

const request: ChatCompletionRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A router on the fake clock (`Date.now()`, faked with the timers) whose back-off jitter draws `draw`. */
function routerOn(options: RouterOptions, draw = 0): Router {
  return new Router({ strategy: 'availability', clock: () => Date.now(), random: () => draw, ...options });
}

/** A scripted adapter that notes the fake-clock time of each call. */
function timedAdapter(name: string, ...outcomes: ScriptedOutcome[]): ProviderAdapter & { times: number[] } {
  const base = scriptedAdapter(name, ['m']);
  base.script(...outcomes);
  const times: number[] = [];
  return {
    ...base,
    times,
    chat(body: ChatCompletionRequest, options?: CallOptions) {
      times.push(Date.now());
      return base.chat(body, options);
    },
  };
}

/**
 * An adapter that answers 500 after `answerAfterMs` on the fake clock and ignores `timeoutMs`
 * (only its signal stops it), like a third-party adapter without timeouts of its own.
 */
function slowFailingAdapter(answerAfterMs: number): ProviderAdapter & { times: number[] } {
  const times: number[] = [];
  const fail = (status: number, kind: 'http' | 'aborted') =>
    new ProviderError(`slow: ${kind}`, { kind, provider: 'slow', status: kind === 'http' ? status : undefined });
  return {
    name: 'slow',
    type: 'test',
    models: ['m'],
    times,
    chat(_body, options) {
      times.push(Date.now());
      return new Promise((_resolve, reject) => {
        const timer = setTimeout(() => reject(fail(500, 'http')), answerAfterMs);
        options?.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(fail(0, 'aborted'));
        });
      });
    },
    stream() {
      return Promise.reject(new Error('not used'));
    },
  };
}

/** Settles `promise` into a value or its error, noting when (on the fake clock). */
function settleOf<Value>(promise: Promise<Value>) {
  const settled: { at?: number; value?: Value; error?: unknown } = {};
  promise.then(
    (value) => Object.assign(settled, { at: Date.now(), value }),
    (error: unknown) => Object.assign(settled, { at: Date.now(), error }),
  );
  return settled;
}

describe('same-provider retries on a fake clock', () => {
  it('back off with jitter between retries: half of backoffMs × 2^retry fixed, half drawn', async () => {
    const low = routerOn({ retry: { sameProvider: 2, backoffMs: 200 } }, 0);
    const flaky = timedAdapter('flaky', { status: 500 }, { status: 503 }, { reply: 'ok' });
    low.registerProvider(flaky);
    const served = settleOf(low.chatCompletion(request));
    await vi.runAllTimersAsync();
    expect(served.value?.completion.choices[0]?.message.content).toBe('ok');
    expect(flaky.times).toEqual([0, 100, 300]);

    const high = routerOn({ retry: { sameProvider: 2, backoffMs: 200 } }, 0.75);
    const other = timedAdapter('other', { status: 500 }, { status: 502 }, { reply: 'ok' });
    high.registerProvider(other);
    const start = Date.now();
    const again = settleOf(high.chatCompletion(request));
    await vi.runAllTimersAsync();
    expect(again.value?.attempts).toBe(3);
    expect(other.times.map((time) => time - start)).toEqual([0, 175, 175 + 350]);
  });

  it('wait out a short retry-after when nothing else can serve, and ask the same provider again', async () => {
    const router = routerOn({ retry: { sameProvider: 0, maxRetryAfterMs: 3_000 } });
    const limited = timedAdapter('limited', { status: 429, retryAfterMs: 2_000 }, { reply: 'after the wait' });
    router.registerProvider(limited);
    const served = settleOf(router.chatCompletion(request));
    await vi.advanceTimersByTimeAsync(1_999);
    expect(served.at).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(served.value?.completion.choices[0]?.message.content).toBe('after the wait');
    expect(limited.times).toEqual([0, 2_000]);
  });

  it('do not wait out a long retry-after: the 429 goes back at once', async () => {
    const router = routerOn({ retry: { sameProvider: 0, maxRetryAfterMs: 3_000 } });
    const limited = timedAdapter('limited', { status: 429, retryAfterMs: 30_000 }, { reply: 'too late' });
    router.registerProvider(limited);
    const served = settleOf(router.chatCompletion(request));
    await vi.advanceTimersByTimeAsync(0);
    expect(served.at).toBe(0);
    expect((served.error as RoutingFailedError).lastError.status).toBe(429);
    expect(limited.times).toEqual([0]);
  });

  it('do not wait when another provider can serve: it answers at once', async () => {
    const router = routerOn({ retry: { sameProvider: 0, maxRetryAfterMs: 3_000 } });
    const limited = timedAdapter('limited', { status: 429, retryAfterMs: 2_000 });
    const spare = timedAdapter('spare', { reply: 'spare' });
    router.registerProvider(limited);
    router.registerProvider(spare);
    const served = settleOf(router.chatCompletion(request));
    await vi.advanceTimersByTimeAsync(0);
    expect(served).toMatchObject({ at: 0, value: { provider: 'spare' } });
  });
});

describe('deadlineMs on a fake clock', () => {
  it('ends a request that would outlast it, back-off and a slow attempt included, even when the adapter ignores its timeout', async () => {
    const router = routerOn({ deadlineMs: 1_000, requestTimeoutMs: 0, retry: { sameProvider: 1, backoffMs: 600 } });
    const slow = slowFailingAdapter(400);
    router.registerProvider(slow);
    const served = settleOf(router.chatCompletion(request));
    // 0–400: the first attempt fails; 400–700: back-off (300: half of 600, no jitter drawn); 700: a retry that would end at 1100.
    await vi.advanceTimersByTimeAsync(999);
    expect(slow.times).toEqual([0, 700]);
    expect(served.at).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(served.at).toBe(1_000);
    const failure = served.error as RoutingFailedError;
    expect(failure).toBeInstanceOf(RoutingFailedError);
    expect(failure.lastError.kind).toBe('timeout');
    expect(failure.lastError.message).toContain('deadline (1000 ms)');
    expect(router.healthStatus().slow?.deployments.m?.consecutiveFailures).toBe(2);
  });

  it('does not start a back-off that would end past it', async () => {
    const router = routerOn({ deadlineMs: 1_000, retry: { sameProvider: 3, backoffMs: 400 } }, 0);
    const failing = timedAdapter('failing', { status: 500 });
    router.registerProvider(failing);
    const served = settleOf(router.chatCompletion(request));
    await vi.runAllTimersAsync();
    // Back-offs of 200 and 400 fit (0 → 200 → 600); the next (800) would end at 1400.
    expect(failing.times).toEqual([0, 200, 600]);
    expect(served.at).toBe(600);
    expect((served.error as RoutingFailedError).lastError.status).toBe(500);
  });

  it("a caller's abort still ends the request as an abort, not as the deadline", async () => {
    const router = routerOn({ deadlineMs: 1_000, requestTimeoutMs: 0 });
    router.registerProvider(slowFailingAdapter(5_000));
    const controller = new AbortController();
    const served = settleOf(router.chatCompletion(request, { signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(100);
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(served.at).toBe(100);
    expect((served.error as RoutingFailedError).lastError.kind).toBe('aborted');
  });
});
