import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatUsage,
} from '../../src/contract/chat-types.ts';
import type { CallOptions, ChatStream, ProviderAdapter } from '../../src/contract/provider-adapter.ts';
import { ProviderError } from '../../src/contract/provider-error.ts';
import { latencySampler, tokenSampler, type TokenCount } from './distributions.ts';
import type { SyntheticProviderSpec } from './scenario.ts';
import type { VirtualLoop, VirtualTimer } from './virtual-loop.ts';

/** Time from a call to the response headers of a stream, ms (capped by the first token's time). */
const HEADERS_MS = 30;
/** Time to answer an error status, ms. */
const ERROR_MS = 50;
/** Time to answer a 429, ms. */
const RATE_LIMIT_MS = 20;
/** Time to refuse a connection, ms. */
const REFUSE_MS = 1;

/** What a synthetic provider counts, for the report. */
export interface SyntheticProviderStats {
  /** Calls received. */
  calls: number;
  /** Calls cancelled by the caller before they finished (hedging losers, client aborts). */
  cancelled: number;
}

/** A provider adapter whose upstream is a model on the virtual loop, and its counters. */
export interface SyntheticProvider extends ProviderAdapter {
  readonly stats: SyntheticProviderStats;
}

/** Token counts each request asks for, drawn by the simulation and passed on the request. */
export interface SyntheticTokens {
  promptTokens: TokenCount;
  completionTokens: TokenCount;
}

/** One call's plan: when its chunks are due, or how it fails. */
type Plan =
  | { kind: 'serve'; firstTokenMs: number; totalMs: number; fails: boolean }
  | { kind: 'fail'; error: ProviderError; afterMs: number }
  | { kind: 'hang' };

/**
 * A synthetic LLM provider on virtual time: a log-normal first-token latency that can degrade
 * over time, an output speed, a concurrency limit with a FIFO queue (a full queue answers 429),
 * background errors, slow first tokens, outages (503, refused connections or hangs) and 429
 * storms with `retry-after`. Honours `timeoutMs` (whole answer; a stream's first chunk and each
 * gap) and the caller's abort signal, which frees its slot.
 */
export function createSyntheticProvider(
  spec: SyntheticProviderSpec,
  loop: VirtualLoop,
  random: () => number,
  tokens: SyntheticTokens,
): SyntheticProvider {
  const sampleFirstToken = latencySampler(spec.firstToken, random);
  const samplePrompt = tokenSampler(tokens.promptTokens, random);
  const sampleCompletion = tokenSampler(tokens.completionTokens, random);
  const stats: SyntheticProviderStats = { calls: 0, cancelled: 0 };
  let active = 0;
  const waiting: Array<() => void> = [];
  const name = spec.name;

  const within = (window: { fromMs: number; toMs: number }, at: number) => at >= window.fromMs && at < window.toMs;
  const degradeFactor = (at: number): number => {
    let factor = 1;
    for (const ramp of spec.degrade) {
      if (at < ramp.fromMs) continue;
      const progress = ramp.toMs <= ramp.fromMs ? 1 : Math.min(1, (at - ramp.fromMs) / (ramp.toMs - ramp.fromMs));
      factor *= 1 + (ramp.factor - 1) * progress;
    }
    return factor;
  };
  const httpError = (status: number, retryAfterMs?: number) =>
    new ProviderError(`${name} answered ${status}`, { kind: 'http', provider: name, status, retryAfterMs });

  /** Decides the fate of a call arriving at `at` (relative ms), before capacity. */
  const arrive = (at: number): Plan | undefined => {
    for (const outage of spec.outages) {
      if (!within(outage, at)) continue;
      if (outage.mode === 'hang') return { kind: 'hang' };
      if (outage.mode === 'refuse')
        return {
          kind: 'fail',
          afterMs: REFUSE_MS,
          error: new ProviderError(`${name}: connection refused`, { kind: 'connection', provider: name }),
        };
      return { kind: 'fail', afterMs: ERROR_MS, error: httpError(503) };
    }
    for (const storm of spec.rateLimits) {
      if (within(storm, at) && random() < storm.probability)
        return { kind: 'fail', afterMs: RATE_LIMIT_MS, error: httpError(429, storm.retryAfterMs) };
    }
    return undefined;
  };
  /** Plans a call that got a slot at `at`. */
  const serve = (at: number, completionTokens: number): Plan => {
    let firstTokenMs = sampleFirstToken() * degradeFactor(at);
    if (spec.slowFirstToken !== undefined && random() < spec.slowFirstToken.probability)
      firstTokenMs += spec.slowFirstToken.extraMs;
    const totalMs = firstTokenMs + (completionTokens / spec.tokensPerSecond) * 1000;
    return { kind: 'serve', firstTokenMs, totalMs, fails: random() < spec.errorRate };
  };

  /** Runs one call: waits for a slot, then walks its plan; `deliver` gets each milestone. */
  const call = (
    options: CallOptions | undefined,
    completionTokens: number,
    handlers: {
      onHeaders?: () => void;
      onFirstToken?: () => void;
      onDone: () => void;
      onError: (error: ProviderError) => void;
    },
    isStream: boolean,
  ): (() => void) => {
    stats.calls += 1;
    const start = loop.now();
    const timers: VirtualTimer[] = [];
    let timeout: VirtualTimer | undefined;
    let holdsSlot = false;
    let finished = false;
    const finish = () => {
      if (finished) return false;
      finished = true;
      for (const timer of timers) timer.cancel();
      timeout?.cancel();
      options?.signal?.removeEventListener('abort', onAbort);
      if (holdsSlot) {
        holdsSlot = false;
        active -= 1;
        waiting.shift()?.();
      }
      return true;
    };
    const fail = (error: ProviderError) => {
      if (finish()) handlers.onError(error);
    };
    const cancel = () => {
      if (finish()) stats.cancelled += 1;
    };
    const onAbort = () => {
      if (finished) return;
      cancel();
      handlers.onError(new ProviderError('aborted', { kind: 'aborted', provider: name }));
    };
    if (options?.signal?.aborted) {
      handlers.onError(new ProviderError('aborted', { kind: 'aborted', provider: name }));
      return () => undefined;
    }
    options?.signal?.addEventListener('abort', onAbort);
    const timeoutMs = options?.timeoutMs ?? 0;
    /** Times the call out `timeoutMs` after its start when its next milestone is `dueMs` after the start. */
    const armTimeout = (dueMs: number) => {
      timeout?.cancel();
      if (timeoutMs > 0 && dueMs > timeoutMs)
        timeout = loop.schedule(timeoutMs - (loop.now() - start), () =>
          fail(new ProviderError(`${name} timed out`, { kind: 'timeout', provider: name })),
        );
    };
    const after = (delayMs: number, callback: () => void) => timers.push(loop.schedule(delayMs, callback));

    const relative = (at: number) => at - TIME_ORIGIN;
    const early = arrive(relative(start));
    if (early?.kind === 'fail') {
      after(early.afterMs, () => fail(early.error));
      return cancel;
    }
    if (early?.kind === 'hang') {
      armTimeout(Number.POSITIVE_INFINITY);
      return cancel;
    }
    const begin = () => {
      if (finished) return;
      holdsSlot = true;
      active += 1;
      const plan = serve(relative(loop.now()), completionTokens);
      if (plan.kind !== 'serve') return;
      const waitedMs = loop.now() - start;
      if (!isStream) {
        armTimeout(waitedMs + plan.totalMs);
        after(plan.totalMs, () => {
          if (plan.fails) fail(httpError(500));
          else if (finish()) handlers.onDone();
        });
        return;
      }
      // A stream's timeout bounds the first chunk and then each gap; its first chunk is the first token.
      armTimeout(waitedMs + plan.firstTokenMs);
      after(Math.min(HEADERS_MS, plan.firstTokenMs), () => handlers.onHeaders?.());
      after(plan.firstTokenMs, () => {
        if (plan.fails) return fail(httpError(500));
        timeout?.cancel();
        handlers.onFirstToken?.();
        after(plan.totalMs - plan.firstTokenMs, () => {
          if (finish()) handlers.onDone();
        });
      });
    };
    if (active < spec.concurrency) begin();
    else if (waiting.length < spec.queue) {
      waiting.push(begin);
      armTimeout(Number.POSITIVE_INFINITY);
    } else after(RATE_LIMIT_MS, () => fail(httpError(429)));
    return cancel;
  };

  const usageOf = (prompt: number, completion: number): ChatUsage => ({
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
  });

  const adapter: SyntheticProvider = {
    name,
    type: 'synthetic',
    models: spec.models,
    stats,
    chat(request: ChatCompletionRequest, options?: CallOptions): Promise<ChatCompletion> {
      const prompt = samplePrompt();
      const completion = sampleCompletion();
      return new Promise((resolve, reject) => {
        call(
          options,
          completion,
          {
            onDone: () =>
              resolve({
                id: `sim-${name}`,
                object: 'chat.completion',
                created: 0,
                model: request.model,
                choices: [{ index: 0, message: { role: 'assistant', content: 'answer' }, finish_reason: 'stop' }],
                usage: usageOf(prompt, completion),
              }),
            onError: reject,
          },
          false,
        );
      });
    },
    stream(request: ChatCompletionRequest, options?: CallOptions): Promise<ChatStream> {
      const prompt = samplePrompt();
      const completion = sampleCompletion();
      const stream = new SyntheticStream(name, request.model, usageOf(prompt, completion));
      return new Promise((resolve, reject) => {
        let headersSent = false;
        stream.cancel = call(
          options,
          completion,
          {
            onHeaders: () => {
              headersSent = true;
              resolve(stream);
            },
            onFirstToken: () => stream.push('first'),
            onDone: () => stream.push('last'),
            onError: (error) => (headersSent ? stream.fail(error) : reject(error)),
          },
          true,
        );
      });
    },
  };
  return adapter;
}

/** The virtual clock's start: scenario windows are relative to it. */
export const TIME_ORIGIN = 1_000_000;

/** The chunks of one synthetic stream: a content chunk at the first token, a finish chunk with usage at the end. */
class SyntheticStream implements ChatStream, AsyncIterator<ChatCompletionChunk> {
  cancel: () => void = () => undefined;
  readonly #provider: string;
  readonly #model: string;
  readonly #usage: ChatUsage;
  readonly #ready: Array<IteratorResult<ChatCompletionChunk>> = [];
  #pending:
    { resolve: (result: IteratorResult<ChatCompletionChunk>) => void; reject: (error: unknown) => void } | undefined;
  #error: unknown;

  constructor(provider: string, model: string, usage: ChatUsage) {
    this.#provider = provider;
    this.#model = model;
    this.#usage = usage;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  push(which: 'first' | 'last'): void {
    const chunk = (content: string | undefined, last: boolean): ChatCompletionChunk => ({
      id: `sim-${this.#provider}`,
      object: 'chat.completion.chunk',
      created: 0,
      model: this.#model,
      choices: [{ index: 0, delta: content === undefined ? {} : { content }, finish_reason: last ? 'stop' : null }],
      ...(last ? { usage: this.#usage } : {}),
    });
    if (which === 'first') this.#deliver({ done: false, value: chunk('answer', false) });
    else {
      this.#deliver({ done: false, value: chunk(undefined, true) });
      this.#deliver({ done: true, value: undefined });
    }
  }

  fail(error: unknown): void {
    this.#error = error;
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.reject(error);
  }

  next(): Promise<IteratorResult<ChatCompletionChunk>> {
    const ready = this.#ready.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.#error !== undefined) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
    });
  }

  async return(): Promise<IteratorResult<ChatCompletionChunk>> {
    this.cancel();
    return { done: true, value: undefined };
  }

  #deliver(result: IteratorResult<ChatCompletionChunk>): void {
    const pending = this.#pending;
    if (pending !== undefined) {
      this.#pending = undefined;
      pending.resolve(result);
    } else this.#ready.push(result);
  }
}
