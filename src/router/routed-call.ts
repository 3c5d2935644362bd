import type { ChatCompletionChunk, ChatCompletionRequest } from '../contract/chat-types.ts';
import type { AbortSignalLike } from '../contract/abort-latch.ts';
import { chunkTextOf, type CallOptions, type ProviderAdapter } from '../contract/provider-adapter.ts';
import { localProviderError, ProviderError } from '../contract/provider-error.ts';
import { RoutingFailedError } from './errors.ts';
import type { EventHub } from './event-hub.ts';
import type {
  ResultInput,
  RoutedCallOptions,
  RoutedCompletion,
  RoutedItemStream,
  RoutedOperation,
  RoutedResult,
  RoutedStream,
  RouterEvents,
} from './types.ts';
import type { UsageTokens } from './pricing.ts';

/** What a routed call needs from the router: selection, bookkeeping and events. */
export interface RoutingHost {
  readonly events: EventHub<RouterEvents>;
  /** Router clock in ms (high resolution by default). */
  now(): number;
  /** Picks a provider for `model` outside `exclude`; throws `NoProviderAvailableError`. */
  selectProvider(model: string, context: { exclude?: ReadonlySet<string> }): ProviderAdapter;
  recordResult(name: string, result: ResultInput): void;
  /** Adjusts a provider's in-flight count by `delta`. */
  trackInFlight(name: string, delta: 1 | -1): void;
  /** Every provider registered for `model`, whatever its health (for `RoutedCallOptions.supports`). */
  providersOf(model: string): readonly ProviderAdapter[];
}

const DEFAULT_MAX_ATTEMPTS = 3;
const DEFAULT_TIMEOUT_MS = 120_000;

/** One attempt on one provider: resolves with what the caller gets, or throws the upstream's error. */
type Attempt<Result> = (adapter: ProviderAdapter, callOptions: CallOptions, started: number) => Promise<Result>;

/**
 * Select → call → record → fall back, for one non-streamed completion. A retryable failure
 * moves to the next provider (up to `maxAttempts`); a non-retryable one (an upstream 400, an
 * abort) ends the call at once.
 *
 * @throws NoProviderAvailableError / ModelNotFoundError when the first selection fails;
 *   RoutingFailedError when the attempts failed.
 */
export function routeChatCompletion(
  host: RoutingHost,
  request: ChatCompletionRequest,
  options: RoutedCallOptions = {},
): Promise<RoutedCompletion> {
  return withFallback(host, request.model, options, false, async (adapter, callOptions, started) => {
    const completion = await adapter.chat(request, callOptions);
    host.trackInFlight(adapter.name, -1);
    host.recordResult(adapter.name, {
      success: true,
      latencyMs: host.now() - started,
      model: request.model,
      usage: completion.usage,
    });
    return { completion, provider: adapter.name, attempts: 0 };
  });
}

/**
 * Select → call → record → fall back, for a streamed completion. Resolves once the first
 * chunk is in hand, so a provider that fails before its first chunk is replaced by the next
 * one and the caller has sent nothing yet. The returned stream records the result once, when
 * it ends (success, latency = time to first chunk), fails (a failure) or is abandoned
 * (neither: the client went away).
 */
export function routeChatCompletionStream(
  host: RoutingHost,
  request: ChatCompletionRequest,
  options: RoutedCallOptions = {},
): Promise<RoutedStream> {
  return withFallback(host, request.model, options, true, async (adapter, callOptions, started) => {
    const upstream = await adapter.stream(request, callOptions);
    const iterator = upstream[Symbol.asyncIterator]();
    let first: IteratorResult<ChatCompletionChunk>;
    try {
      first = await iterator.next();
    } catch (error) {
      void iterator.return?.().catch(() => undefined);
      throw error;
    }
    const timeToFirstChunkMs = host.now() - started;
    const stream = new RecordedStream(
      host,
      adapter.name,
      request.model,
      iterator,
      first,
      timeToFirstChunkMs,
      options.signal,
      chunkUsage,
    );
    return { stream, provider: adapter.name, attempts: 0 };
  });
}

/**
 * Select → call → record → fall back for any non-streamed operation (Anthropic Messages,
 * Responses, embeddings…): the same attempts, health bookkeeping and events as a chat completion.
 */
export function routeCall<Result>(
  host: RoutingHost,
  model: string,
  operation: RoutedOperation<Result>,
  options: RoutedCallOptions = {},
  usageOf?: (result: Result) => UsageTokens | null | undefined,
): Promise<RoutedResult<Result>> {
  return withFallback(host, model, options, false, async (adapter, callOptions, started) => {
    const result = await operation(adapter, callOptions);
    host.trackInFlight(adapter.name, -1);
    host.recordResult(adapter.name, {
      success: true,
      latencyMs: host.now() - started,
      model,
      usage: usageOf?.(result),
    });
    return { result, provider: adapter.name, attempts: 0 };
  });
}

/**
 * Select → call → record → fall back for any streamed operation: resolves once the first item
 * is in hand (a provider failing before it is replaced by the next one), and records the result
 * when the stream ends, fails or is abandoned, as `routeChatCompletionStream` does.
 */
export function routeItemStream<Item>(
  host: RoutingHost,
  model: string,
  open: RoutedOperation<AsyncIterable<Item>>,
  options: RoutedCallOptions = {},
  usageOf?: (item: Item) => UsageTokens | null | undefined,
): Promise<RoutedItemStream<Item>> {
  return withFallback(host, model, options, true, async (adapter, callOptions, started) => {
    const upstream = await open(adapter, callOptions);
    const iterator = upstream[Symbol.asyncIterator]();
    let first: IteratorResult<Item>;
    try {
      first = await iterator.next();
    } catch (error) {
      void iterator.return?.().catch(() => undefined);
      throw error;
    }
    const stream = new RecordedStream<Item>(
      host,
      adapter.name,
      model,
      iterator,
      first,
      host.now() - started,
      options.signal,
      usageOf ?? noUsage,
    );
    return { stream, provider: adapter.name, attempts: 0 };
  });
}

/** The attempt loop shared by both calls; sets `attempts` on the result. */
async function withFallback<Result extends { attempts: number }>(
  host: RoutingHost,
  model: string,
  options: RoutedCallOptions,
  streaming: boolean,
  attempt: Attempt<Result>,
): Promise<Result> {
  const callOptions: CallOptions = {
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    requestId: options.requestId,
  };
  if (options.headers !== undefined) callOptions.headers = options.headers;
  if (options.reportDroppedParams !== undefined) callOptions.reportDroppedParams = options.reportDroppedParams;
  let attempts = 0;
  let previousError: ProviderError | undefined;
  const tried = new Set<string>();
  const supports = options.supports;
  if (supports !== undefined) {
    for (const adapter of host.providersOf(model)) if (!supports(adapter)) tried.add(adapter.name);
  }
  for (;;) {
    const adapter = nextProvider(host, model, tried, previousError, options, attempts, streaming);
    attempts += 1;
    const started = host.now();
    host.trackInFlight(adapter.name, 1);
    try {
      const result = await attempt(adapter, callOptions, started);
      result.attempts = attempts;
      return result;
    } catch (error) {
      host.trackInFlight(adapter.name, -1);
      previousError = recordFailure(host, adapter.name, model, error, host.now() - started, options.signal);
      if (!previousError.isRetryable) throw new RoutingFailedError(model, attempts, previousError);
    }
  }
}

const FIRST_SELECTION: { exclude?: ReadonlySet<string> } = Object.freeze({});

/**
 * The provider for the next attempt. The first selection's error (no provider, unknown model)
 * is the caller's; once an attempt failed, running out of attempts or of providers ends the
 * call with that attempt's error.
 */
function nextProvider(
  host: RoutingHost,
  model: string,
  tried: Set<string>,
  previousError: ProviderError | undefined,
  options: RoutedCallOptions,
  attemptsSoFar: number,
  streaming: boolean,
): ProviderAdapter {
  if (previousError !== undefined && attemptsSoFar >= Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS)) {
    throw new RoutingFailedError(model, attemptsSoFar, previousError);
  }
  let adapter: ProviderAdapter;
  try {
    adapter = host.selectProvider(
      model,
      previousError === undefined && tried.size === 0 ? FIRST_SELECTION : { exclude: tried },
    );
  } catch (error) {
    if (previousError === undefined) throw error;
    throw new RoutingFailedError(model, attemptsSoFar, previousError);
  }
  tried.add(adapter.name);
  emitAttempt(host, model, adapter.name, attemptsSoFar + 1, previousError, streaming);
  return adapter;
}

function emitAttempt(
  host: RoutingHost,
  model: string,
  provider: string,
  attempt: number,
  previousError: ProviderError | undefined,
  streaming: boolean,
): void {
  if (!host.events.has('attempt')) return;
  host.events.emit('attempt', {
    model,
    provider,
    attempt,
    kind: attempt === 1 ? 'first' : 'fallback',
    previousError: previousError?.message,
    streaming,
  });
}

/** Records a failed attempt and returns it as a `ProviderError`. */
function recordFailure(
  host: RoutingHost,
  provider: string,
  model: string,
  error: unknown,
  latencyMs: number,
  signal: AbortSignalLike | undefined,
): ProviderError {
  const providerError = asProviderError(error, provider, signal);
  host.recordResult(provider, {
    success: false,
    // A local failure measured nothing about the upstream: no latency sample, no failure.
    latencyMs: providerError.isLocal ? undefined : latencyMs,
    countsAsFailure: providerError.isProviderFault,
    retryAfterMs: providerError.status === 429 || providerError.status === 529 ? providerError.retryAfterMs : undefined,
    model,
    error: providerError,
  });
  return providerError;
}

/**
 * Any error from an adapter as a `ProviderError`: an abort by the caller stays an abort. Adapters
 * reject with `ProviderError`s (the contract), so anything else is a failure inside this process
 * (a bug, an encoding error): kind `local`, which never counts against the provider nor moves on
 * to another one.
 */
function asProviderError(error: unknown, provider: string, signal: AbortSignalLike | undefined): ProviderError {
  if (signal?.aborted) {
    if (error instanceof ProviderError && error.kind === 'aborted') return error;
    return new ProviderError('The request was aborted by the caller', { kind: 'aborted', provider, cause: error });
  }
  if (error instanceof ProviderError) return error;
  return localProviderError(provider, error);
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

const chunkUsage = (chunk: ChatCompletionChunk): UsageTokens | null | undefined => chunk.usage;
const noUsage = (): undefined => undefined;

/**
 * The stream a routed call hands out: the provider's chunks, the first one replayed, and the
 * result recorded exactly once: success when the upstream ends, a failure when it throws, and
 * neither when the consumer stops early (`return()`, e.g. a `break` or a client gone). A plain
 * iterator rather than an async generator: one promise per chunk instead of several.
 */
class RecordedStream<Item = ChatCompletionChunk> implements AsyncIterable<Item>, AsyncIterator<Item, undefined> {
  readonly #host: RoutingHost;
  readonly #provider: string;
  readonly #model: string;
  readonly #iterator: AsyncIterator<Item>;
  readonly #timeToFirstChunkMs: number;
  readonly #signal: AbortSignalLike | undefined;
  #first: IteratorResult<Item> | undefined;
  readonly #usageOf: (item: Item) => UsageTokens | null | undefined;
  #usage: UsageTokens | null | undefined;
  #settled = false;

  constructor(
    host: RoutingHost,
    provider: string,
    model: string,
    iterator: AsyncIterator<Item>,
    first: IteratorResult<Item>,
    timeToFirstChunkMs: number,
    signal: AbortSignalLike | undefined,
    usageOf: (item: Item) => UsageTokens | null | undefined,
  ) {
    this.#usageOf = usageOf;
    this.#host = host;
    this.#provider = provider;
    this.#model = model;
    this.#iterator = iterator;
    this.#first = first;
    this.#timeToFirstChunkMs = timeToFirstChunkMs;
    this.#signal = signal;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<Item, undefined>> {
    if (this.#settled) return DONE;
    let result = this.#first;
    this.#first = undefined;
    if (result === undefined) {
      try {
        result = await this.#iterator.next();
      } catch (error) {
        throw this.#fail(error);
      }
    }
    if (result.done === true) {
      this.#settle({ success: true, latencyMs: this.#timeToFirstChunkMs, model: this.#model, usage: this.#usage });
      return DONE;
    }
    const usage = this.#usageOf(result.value);
    if (usage) this.#usage = usage;
    return result;
  }

  /** The provider stream's upstream text of `chunk` (the chunk handed out last), when it keeps one. */
  chunkText(chunk: Item): string | undefined {
    return chunkTextOf(this.#iterator, chunk as ChatCompletionChunk);
  }

  async return(): Promise<IteratorReturnResult<undefined>> {
    if (!this.#settled) {
      this.#settled = true;
      await this.#iterator.return?.().catch(() => undefined);
      this.#record({ success: false, countsAsFailure: false, model: this.#model });
    }
    return DONE;
  }

  #fail(error: unknown): ProviderError {
    const providerError = asProviderError(error, this.#provider, this.#signal);
    this.#settle({
      success: false,
      latencyMs: providerError.isLocal ? undefined : this.#timeToFirstChunkMs,
      countsAsFailure: providerError.isProviderFault,
      model: this.#model,
      error: providerError,
    });
    return providerError;
  }

  #settle(result: ResultInput): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#record(result);
  }

  #record(result: ResultInput): void {
    this.#host.trackInFlight(this.#provider, -1);
    this.#host.recordResult(this.#provider, result);
  }
}
