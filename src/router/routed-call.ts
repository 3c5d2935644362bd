import type { ChatCompletionRequest } from '../contract/chat-types.ts';
import type { AbortSignalLike } from '../contract/abort-latch.ts';
import type { CallOptions, ProviderAdapter } from '../contract/provider-adapter.ts';
import { localProviderError, ProviderError } from '../contract/provider-error.ts';
import { DeadlineLatch } from './deadline-latch.ts';
import type { DeploymentLease } from './deployment-lease.ts';
import { ModelNotFoundError, NoProviderAvailableError, RoutingFailedError } from './errors.ts';
import type { EventHub } from './event-hub.ts';
import { failedAttemptResult, judgeFailure, type FailureVerdict } from './failure-policy.ts';
import type { HedgePolicy } from './hedge-policy.ts';
import { runHedgedAttempt } from './hedged-attempt.ts';
import type { RetryBudget } from './retry-budget.ts';
import { sessionKeyOfBody } from './session-affinity.ts';
import { chainFor, type RoutingSettings } from './routing-settings.ts';
import { commitStream } from './committed-stream.ts';
import type { UsageTokens } from './pricing.ts';
import type {
  FallbackReason,
  RoutedCallOptions,
  RoutedCompletion,
  RoutedItemStream,
  RoutedOperation,
  RoutedResult,
  RoutedStream,
  RouterEvents,
  RouterTimers,
} from './types.ts';

/** What a routed call needs from the router: selection, bookkeeping and events. */
export interface RoutingHost {
  readonly events: EventHub<RouterEvents>;
  /** Router clock in ms (high resolution by default). */
  now(): number;
  /** Uniform random in [0, 1) (back-off jitter). */
  random(): number;
  /** Timers of the waits (back-off, retry-after). */
  readonly timers: RouterTimers;
  /** True when session affinity is on (calls then look for a session key). */
  readonly affinity: boolean;
  /** Hedging of first attempts; undefined when off. */
  readonly hedge: HedgePolicy | undefined;
  /** The budget of retries, fallbacks and hedges; undefined when off. */
  readonly retryBudget: RetryBudget | undefined;
  /**
   * A lease on the strategy's pick (the session's provider, with a session key and affinity on)
   * among `model`'s deployments outside `exclude`; undefined when none can take traffic.
   */
  tryLease(model: string, exclude: ReadonlySet<string> | undefined, sessionKey?: string): DeploymentLease | undefined;
  /** A lease on `provider`'s deployment of `model` when it can take traffic now. */
  leaseOn(model: string, provider: string): DeploymentLease | undefined;
  /** Why nothing could be selected for `model` (ModelNotFoundError when nothing serves it). */
  noProviderError(
    model: string,
    exclude: ReadonlySet<string> | undefined,
  ): NoProviderAvailableError | ModelNotFoundError;
  /** Adjusts the in-flight count of the lease's provider by `delta` (the record it was leased from, even if since replaced). */
  trackInFlight(lease: DeploymentLease, delta: 1 | -1): void;
  /** Every provider registered for `model`, whatever its health (for `RoutedCallOptions.supports`). */
  providersOf(model: string): readonly ProviderAdapter[];
}

/** One attempt on one lease: resolves with what the caller gets, or throws the upstream's error (recorded by the caller). */
type Attempt<Result> = (call: RoutedCall<Result>, lease: DeploymentLease, callOptions: CallOptions) => Promise<Result>;

/**
 * One non-streamed completion routed with retries and fallbacks (see `RoutedCall`).
 *
 * @throws NoProviderAvailableError / ModelNotFoundError when nothing could be tried;
 *   RoutingFailedError when the attempts failed.
 */
export function routeChatCompletion(
  host: RoutingHost,
  settings: RoutingSettings,
  request: ChatCompletionRequest,
  options: RoutedCallOptions,
): Promise<RoutedCompletion> {
  return new RoutedCall<RoutedCompletion>(host, settings, request, options, false, async (call, lease, callOptions) => {
    const started = host.now();
    const completion = await lease.adapter.chat(call.requestFor(lease), callOptions);
    lease.record({ success: true, latencyMs: host.now() - started, usage: completion.usage });
    return call.outcome(lease, { completion }) as RoutedCompletion;
  }).run();
}

/**
 * One streamed completion routed with retries and fallbacks up to its commit point (the first
 * chunk with content, a tool-call delta or a finish_reason; see `commitStream`).
 */
export function routeChatCompletionStream(
  host: RoutingHost,
  settings: RoutingSettings,
  request: ChatCompletionRequest,
  options: RoutedCallOptions,
): Promise<RoutedStream> {
  return new RoutedCall<RoutedStream>(host, settings, request, options, true, (call, lease, callOptions) =>
    commitStream(call, lease, callOptions),
  ).run();
}

/**
 * Any non-streamed operation (Anthropic Messages, Responses, embeddings…) with the retries and
 * fallbacks of a chat completion; `operation` builds its own request for the adapter.
 */
export function routeCall<Result>(
  host: RoutingHost,
  settings: RoutingSettings,
  model: string,
  operation: RoutedOperation<Result>,
  options: RoutedCallOptions,
  usageOf?: (result: Result) => UsageTokens | null | undefined,
): Promise<RoutedResult<Result>> {
  const request: ChatCompletionRequest = { model, messages: [] };
  return new RoutedCall<RoutedResult<Result>>(
    host,
    settings,
    request,
    options,
    false,
    async (call, lease, callOptions) => {
      const started = host.now();
      const result = await operation(lease.adapter, callOptions, lease.upstreamModel);
      lease.record({ success: true, latencyMs: host.now() - started, usage: usageOf?.(result) });
      return call.outcome(lease, { result }) as RoutedResult<Result>;
    },
  ).run();
}

/**
 * Any streamed operation with the retries and fallbacks of a streamed chat completion up to its
 * first item; the result is recorded when the stream ends, fails or is abandoned.
 */
export function routeItemStream<Item>(
  host: RoutingHost,
  settings: RoutingSettings,
  model: string,
  open: RoutedOperation<AsyncIterable<Item>>,
  options: RoutedCallOptions,
  usageOf?: (item: Item) => UsageTokens | null | undefined,
): Promise<RoutedItemStream<Item>> {
  const request: ChatCompletionRequest = { model, messages: [] };
  return new RoutedCall<RoutedItemStream<Item>>(
    host,
    settings,
    request,
    options,
    true,
    async (call, lease, callOptions) => {
      const started = host.now();
      const upstream = await open(lease.adapter, callOptions, lease.upstreamModel);
      call.streamAccepted = true;
      const iterator = upstream[Symbol.asyncIterator]();
      let first: IteratorResult<Item>;
      try {
        first = await iterator.next();
      } catch (error) {
        void iterator.return?.().catch(() => undefined);
        throw error;
      }
      const stream = new LeasedItemStream<Item>(call, lease, iterator, first, host.now() - started, usageOf);
      return call.outcome(lease, { stream }) as RoutedItemStream<Item>;
    },
  ).run();
}

/**
 * Where a routed call that continues an earlier one (a stream recovery) starts: the attempts
 * already made and the deadline count on, the deployment that failed is not asked again, and
 * failures may be judged otherwise.
 */
export interface ContinuedCall {
  /** Upstream attempts the request already made. */
  attempts: number;
  /** Router-clock time by which the request must end. */
  deadlineAt: number;
  /** The deployment (public model × provider) not to try. */
  skip: { model: string; provider: string };
  /** Why the request left its last provider (the `reason` of the attempt events). */
  reason: FallbackReason;
  /** Replaces `judgeFailure` for this call's failed attempts. */
  judge?: typeof judgeFailure;
}

/** What ended the attempts on one model. */
type ModelOutcome = 'next_model' | 'context_window' | 'content_policy';

/**
 * The attempt loop of one routed call: select a deployment of the model, call it (the request's
 * `model` rewritten to the upstream name), record the result; retry the same provider after a
 * back-off for a 5xx / 408 / reset (never after a timeout); move to the model's other providers,
 * then to the fallback models; wait out a short `retry-after` when nothing else could serve.
 * Every upstream attempt counts against `maxAttempts`; `deadlineMs` bounds the whole call.
 * Internal: `chatCompletion` and `chatCompletionStream` create one per request.
 */
export class RoutedCall<Result> {
  readonly host: RoutingHost;
  readonly settings: RoutingSettings;
  readonly request: ChatCompletionRequest;
  readonly options: RoutedCallOptions;
  readonly streaming: boolean;
  /** Router-clock time by which the call must end. */
  readonly deadlineAt: number;
  /** Upstream attempts so far. */
  attempts = 0;
  readonly #attempt: Attempt<Result>;
  #lastError: ProviderError | undefined;
  #selectionError: NoProviderAvailableError | ModelNotFoundError | undefined;
  /** The first deployment chosen (none when nothing was selectable): a result served elsewhere is a fallback. */
  #firstChosen = false;
  #firstProvider: string | undefined;
  /** Providers `options.supports` turned down: never selected. */
  readonly #unsupported: ReadonlySet<string> | undefined;
  #firstModel: string | undefined;
  /** Why the call first left its first choice. */
  #reason: FallbackReason | undefined;
  /** Re-emits the adapter's malformed-event reports as router events (made once per call, when someone listens). */
  #onMalformedEvent: CallOptions['onMalformedEvent'];
  /** The earliest short `retry-after` seen, to wait out when nothing else can serve. */
  #pendingWait: { model: string; provider: string | undefined; at: number } | undefined;
  /** Requests with `model` rewritten, by upstream name (aliases and fallback models). */
  #rewritten: Map<string, ChatCompletionRequest> | undefined;
  /** Set by a streamed attempt once the upstream accepted the stream (its failures are then after the headers). */
  streamAccepted = false;
  /** The request's session for affinity; undefined when affinity is off or the request names none. */
  readonly sessionKey: string | undefined;
  readonly #skip: ContinuedCall['skip'] | undefined;
  readonly #judge: typeof judgeFailure;
  /** The deadline's timer and signal, armed from the first retry, fallback or wait on (see `armDeadline`). */
  #deadline: DeadlineLatch | undefined;

  constructor(
    host: RoutingHost,
    settings: RoutingSettings,
    request: ChatCompletionRequest,
    options: RoutedCallOptions,
    streaming: boolean,
    attempt: Attempt<Result>,
    continued?: ContinuedCall,
  ) {
    this.host = host;
    this.settings = settings;
    this.request = request;
    this.options = options;
    this.streaming = streaming;
    this.#attempt = attempt;
    this.#judge = judgeFailure;
    this.sessionKey = host.affinity ? (options.sessionKey ?? sessionKeyOfBody(request)) : undefined;
    if (continued === undefined) this.deadlineAt = host.now() + settings.deadlineMs;
    else {
      this.deadlineAt = continued.deadlineAt;
      this.attempts = continued.attempts;
      this.#skip = continued.skip;
      this.#reason = continued.reason;
      this.#firstChosen = true;
      if (continued.judge !== undefined) this.#judge = continued.judge;
    }
    const supports = options.supports;
    if (supports !== undefined) {
      const unsupported = new Set<string>();
      for (const adapter of host.providersOf(request.model)) if (!supports(adapter)) unsupported.add(adapter.name);
      this.#unsupported = unsupported.size > 0 ? unsupported : undefined;
    }
  }

  /** Runs the attempts; resolves with the first success or throws the call's error. */
  async run(): Promise<Result> {
    // A continuation (stream recovery) is part of a request already counted.
    if (this.#skip === undefined) this.host.retryBudget?.recordRequest(this.host.now());
    let handedOut = false;
    try {
      const result = await this.runAttempts();
      handedOut = this.streaming;
      return result;
    } finally {
      // A stream handed out keeps the signal (its reads still honour the caller's abort) until it settles.
      if (handedOut) this.#deadline?.disarm();
      else this.#deadline?.release();
    }
  }

  /** Stops listening to the caller's signal: the stream handed out has settled. */
  releaseSignal(): void {
    this.#deadline?.release();
  }

  /** The signal of attempts and waits: the deadline's latch (which the caller's signal aborts too), else the caller's. */
  get signal(): AbortSignalLike | undefined {
    return this.#deadline ?? this.options.signal;
  }

  /**
   * Arms the router's own deadline timer, from the first retry, fallback or wait on: it then aborts
   * whatever is in flight when `deadlineMs` is over, even an adapter that ignores its timeout. A first
   * attempt needs none (its timeout is at most what is left of the deadline), so a request served at
   * once allocates nothing for it. A continuation has none: its attempts' timeouts bound it.
   */
  private armDeadline(): AbortSignalLike | undefined {
    if (this.#deadline === undefined && this.#skip === undefined)
      this.#deadline = new DeadlineLatch(
        this.host.timers,
        Math.max(0, this.deadlineAt - this.host.now()),
        this.options.signal,
      );
    return this.signal;
  }

  private async runAttempts(): Promise<Result> {
    const models = [this.request.model];
    const visited = new Set<string>();
    for (let index = 0; index < models.length; index += 1) {
      const model = models[index] as string;
      if (visited.has(model)) continue;
      visited.add(model);
      const outcome = await this.tryModel(model);
      if (typeof outcome !== 'string') return outcome.result;
      const settings = this.settings;
      const chains =
        outcome === 'next_model'
          ? settings.fallbacks
          : outcome === 'context_window'
            ? settings.contextWindowFallbacks
            : settings.contentPolicyFallbacks;
      const next = chainFor(chains, model);
      if (outcome !== 'next_model') {
        // Context length and content policy go to their own lists only; without one the error goes back as is.
        if (next === undefined || next.length === 0) throw this.failure();
        models.length = index + 1;
      }
      if (next !== undefined) for (const fallback of next) if (!visited.has(fallback)) models.push(fallback);
    }
    const waited = await this.waitOutRetryAfter();
    if (waited !== undefined) return waited;
    throw this.failure();
  }

  /** The request as `lease`'s provider must receive it: `model` set to the upstream name (a copy only when it differs). */
  requestFor(lease: DeploymentLease): ChatCompletionRequest {
    const upstream = lease.upstreamModel;
    if (upstream === this.request.model) return this.request;
    this.#rewritten ??= new Map();
    let rewritten = this.#rewritten.get(upstream);
    if (rewritten === undefined) {
      rewritten = { ...this.request, model: upstream };
      this.#rewritten.set(upstream, rewritten);
    }
    return rewritten;
  }

  /** The outcome fields of a result served by `lease`, merged into `fields`. */
  outcome<Fields extends object>(
    lease: DeploymentLease,
    fields: Fields,
  ): Fields & { provider: string; model: string; attempts: number; fallbackReason: FallbackReason | undefined } {
    const fallback = lease.provider !== this.#firstProvider || lease.model !== this.#firstModel;
    return Object.assign(fields, {
      provider: lease.provider,
      model: lease.model,
      attempts: this.attempts,
      fallbackReason: fallback ? (this.#reason ?? 'unavailable') : undefined,
    });
  }

  /** Options of the next upstream call: the per-attempt timeout bounded by what is left of the deadline. */
  callOptions(signal?: AbortSignalLike): CallOptions {
    const settings = this.settings;
    const left = Math.max(1, Math.ceil(this.deadlineAt - this.host.now()));
    const requestTimeoutMs = settings.requestTimeoutMs;
    const firstTokenTimeoutMs = settings.firstTokenTimeoutMs;
    const callOptions: CallOptions = {
      signal: signal ?? (this.attempts > 1 ? this.armDeadline() : this.signal),
      timeoutMs: requestTimeoutMs > 0 && requestTimeoutMs < left ? requestTimeoutMs : left,
      requestId: this.options.requestId,
      // A stream's commit point is bounded by the deadline too.
      firstTokenTimeoutMs: firstTokenTimeoutMs > 0 && firstTokenTimeoutMs < left ? firstTokenTimeoutMs : left,
      streamIdleTimeoutMs: settings.streamIdleTimeoutMs,
    };
    if (this.streaming && this.host.events.has('streamMalformedEvent'))
      callOptions.onMalformedEvent = this.#onMalformedEvent ??= malformedEventReporter(
        this.host.events,
        this.request.model,
      );
    if (this.options.headers !== undefined) callOptions.headers = this.options.headers;
    if (this.options.reportDroppedParams !== undefined)
      callOptions.reportDroppedParams = this.options.reportDroppedParams;
    return callOptions;
  }

  /** Any error from an adapter as a `ProviderError`: a caller's abort stays an abort, anything unknown is a protocol fault. */
  asProviderError(error: unknown, provider: string): ProviderError {
    return asProviderError(error, provider, this.options.signal);
  }

  /** Tries `model`'s providers; returns the result, or why the model is done. */
  private async tryModel(model: string): Promise<{ result: Result } | ModelOutcome> {
    let tried: Set<string> | undefined = this.#unsupported === undefined ? undefined : new Set(this.#unsupported);
    if (this.#skip !== undefined && this.#skip.model === model) (tried ??= new Set()).add(this.#skip.provider);
    for (;;) {
      if (this.outOfAttempts()) throw this.failure();
      const lease = this.host.tryLease(model, tried, this.sessionKey);
      if (!this.#firstChosen) {
        this.#firstChosen = true;
        this.#firstProvider = lease?.provider;
        this.#firstModel = lease?.model;
      }
      if (lease === undefined) {
        this.noteNothingSelectable(model, tried);
        return 'next_model';
      }
      (tried ??= new Set()).add(lease.provider);
      const outcome = await this.tryLease(lease, tried);
      if (outcome !== 'next_provider') return outcome;
    }
  }

  /** Attempts on one lease, with its same-provider retries (a first attempt hedged when hedging is on). */
  private async tryLease(
    lease: DeploymentLease,
    tried?: Set<string>,
  ): Promise<{ result: Result } | ModelOutcome | 'next_provider'> {
    let retries = 0;
    let current: DeploymentLease | undefined = lease;
    while (current !== undefined) {
      if (this.outOfAttempts()) {
        current.release();
        throw this.failure();
      }
      const kind = retries > 0 ? 'retry' : this.attempts === 0 ? 'first' : 'fallback';
      if (kind !== 'first' && !this.withinRetryBudget()) {
        current.release();
        throw this.failure();
      }
      const verdict =
        kind === 'first' && this.host.hedge !== undefined && tried !== undefined
          ? await runHedgedAttempt(this, current, tried, this.host.hedge)
          : await this.attemptOnce(current, kind);
      if (verdict === undefined) return { result: this.#result as Result };
      if (verdict.next === 'stop') throw this.failure();
      if (verdict.next === 'context_window' || verdict.next === 'content_policy') return verdict.next;
      if (verdict.waitableRetryAfterMs !== undefined)
        this.noteWait(current.model, current.provider, verdict.waitableRetryAfterMs);
      current = undefined;
      if (verdict.retrySameProvider && retries < this.settings.retry.sameProvider && !this.outOfAttempts()) {
        const delay = this.backoffMs(retries);
        if (this.host.now() + delay < this.deadlineAt) {
          retries += 1;
          await sleep(this.host.timers, delay, this.armDeadline());
          if (this.options.signal?.aborted) throw this.aborted(lease.provider);
          if (this.#deadline?.expired === true) throw this.failure();
          current = this.host.leaseOn(lease.model, lease.provider);
        }
      }
    }
    return 'next_provider';
  }

  #result: Result | undefined;

  /** One upstream attempt; undefined on success (the result kept), else the verdict on its failure. */
  private async attemptOnce(
    lease: DeploymentLease,
    kind: 'first' | 'retry' | 'fallback',
  ): Promise<FailureVerdict | undefined> {
    return this.attemptCore(lease, kind);
  }

  /** Keeps `result` as the call's (a hedged race's winner). */
  keepResult(result: Result): void {
    this.#result = result;
  }

  /**
   * One upstream attempt: undefined on success (the result kept as the call's, or in `slot` for a
   * hedged attempt), else the verdict on its failure (recorded on the lease). With
   * `signal` (a hedged attempt's own), an abort of it that the caller did not ask for is a
   * cancelled loser: recorded as nothing's fault, with no latency sample and no error kept.
   */
  async attemptCore(
    lease: DeploymentLease,
    kind: 'first' | 'retry' | 'fallback' | 'hedge',
    signal?: AbortSignalLike,
    slot?: { served?: Result },
  ): Promise<FailureVerdict | undefined> {
    this.attempts += 1;
    this.emitAttempt(lease, kind);
    const started = this.host.now();
    const host = this.host;
    host.trackInFlight(lease, 1);
    this.streamAccepted = false;
    try {
      const served = await this.#attempt(this, lease, this.callOptions(signal));
      if (!this.streaming) host.trackInFlight(lease, -1);
      host.hedge?.observe(this.streaming, host.now() - started);
      if (slot === undefined) this.#result = served;
      else slot.served = served;
      return undefined;
    } catch (error) {
      host.trackInFlight(lease, -1);
      if (signal?.aborted === true && this.options.signal?.aborted !== true) {
        lease.record({ success: false, countsAsFailure: false });
        return CANCELLED;
      }
      const providerError =
        this.#deadline?.expired === true && this.options.signal?.aborted !== true
          ? this.deadlineError(lease.provider, error)
          : this.asProviderError(error, lease.provider);
      const verdict = this.#judge(providerError, this.settings, this.streamAccepted);
      lease.record(failedAttemptResult(verdict, host.now() - started, providerError, this.options.requestId));
      this.#lastError = providerError;
      if (verdict.next !== 'stop' && this.#reason === undefined) this.#reason = verdict.reason;
      return verdict;
    }
  }

  /** Nothing could be selected for `model`: remembered for the error, and as the reason of a fallback. */
  private noteNothingSelectable(model: string, tried: ReadonlySet<string> | undefined): void {
    if (tried !== undefined) return;
    const error = this.host.noProviderError(model, undefined);
    if (model === this.request.model) this.#selectionError = error;
    if (this.#reason === undefined && this.attempts === 0) this.#reason = 'unavailable';
    const coolDown = error instanceof NoProviderAvailableError ? error.retryAfterMs : undefined;
    if (coolDown !== undefined && coolDown > 0 && coolDown <= this.settings.retry.maxRetryAfterMs)
      this.noteWait(model, undefined, coolDown);
  }

  private noteWait(model: string, provider: string | undefined, waitMs: number): void {
    const at = this.host.now() + waitMs;
    if (this.#pendingWait === undefined || at < this.#pendingWait.at) this.#pendingWait = { model, provider, at };
  }

  /** Nothing else could serve: wait out the shortest short `retry-after` and try that deployment once more. */
  private async waitOutRetryAfter(): Promise<Result | undefined> {
    const wait = this.#pendingWait;
    if (wait === undefined || this.outOfAttempts() || wait.at >= this.deadlineAt) return undefined;
    this.#pendingWait = undefined;
    await sleepUntil(this.host, wait.at, this.armDeadline());
    if (this.options.signal?.aborted) throw this.aborted(wait.provider ?? '');
    if (this.#deadline?.expired === true) throw this.failure();
    const lease =
      wait.provider === undefined
        ? this.host.tryLease(wait.model, undefined)
        : this.host.leaseOn(wait.model, wait.provider);
    if (lease === undefined) return undefined;
    if (this.attempts === 0 && lease.model === this.request.model) {
      // Nothing served before the wait: the requested model after its cool-down is no fallback.
      this.#firstProvider = lease.provider;
      this.#firstModel = lease.model;
    }
    const outcome = await this.tryLease(lease);
    return typeof outcome === 'object' ? outcome.result : undefined;
  }

  /** True, and one extra attempt counted, when the retry budget (if any) allows one more now. */
  withinRetryBudget(): boolean {
    const budget = this.host.retryBudget;
    return budget === undefined || budget.tryAcquire(this.host.now());
  }

  /** Notes why the call left its first choice, unless a reason is known already (a hedge's: `hedged`). */
  noteReason(reason: FallbackReason): void {
    this.#reason ??= reason;
  }

  /** True when no further attempt may start: `maxAttempts` made, or the deadline passed. */
  outOfAttempts(): boolean {
    return (
      this.attempts >= this.settings.maxAttempts ||
      this.#deadline?.expired === true ||
      (this.attempts > 0 && this.host.now() >= this.deadlineAt)
    );
  }

  /** The call's error: nothing tried → why nothing could be selected; else the last attempt's, or the deadline's. */
  failure(): Error {
    const lastError = this.#lastError;
    if (lastError === undefined) {
      return this.#selectionError ?? this.host.noProviderError(this.request.model, undefined);
    }
    const expired = this.host.now() >= this.deadlineAt || this.#deadline?.expired === true;
    if (expired && lastError.kind !== 'timeout' && lastError.kind !== 'aborted')
      return new RoutingFailedError(
        this.request.model,
        this.attempts,
        this.deadlineError(lastError.provider, lastError),
      );
    return new RoutingFailedError(this.request.model, this.attempts, lastError);
  }

  /** The timeout a request ends with when its deadline passed (`cause`: what it was waiting on or failed with). */
  private deadlineError(provider: string, cause: unknown): ProviderError {
    const detail = ProviderError.isInstance(cause) && cause.kind !== 'aborted' ? `: ${cause.message}` : '';
    return new ProviderError(
      `The request's deadline (${this.settings.deadlineMs} ms) passed after ${this.attempts} attempt(s)${detail}`,
      { kind: 'timeout', provider, cause },
    );
  }

  private aborted(provider: string): RoutingFailedError {
    this.#lastError = asProviderError(new Error('aborted'), provider, this.options.signal);
    return new RoutingFailedError(this.request.model, this.attempts, this.#lastError);
  }

  /** Jittered doubling back-off: half of `backoffMs × 2^retry` fixed, half random. */
  private backoffMs(retry: number): number {
    const base = this.settings.retry.backoffMs * 2 ** retry;
    return Math.round(base / 2 + (this.host.random() * base) / 2);
  }

  private emitAttempt(lease: DeploymentLease, kind: 'first' | 'retry' | 'fallback' | 'hedge'): void {
    const events = this.host.events;
    if (!events.has('attempt')) return;
    events.emit('attempt', {
      model: lease.model,
      requestedModel: this.request.model,
      provider: lease.provider,
      attempt: this.attempts,
      kind,
      ...(kind === 'fallback' && this.#reason !== undefined ? { reason: this.#reason } : {}),
      ...(this.#lastError !== undefined && kind !== 'first' ? { previousError: this.#lastError.message } : {}),
      streaming: this.streaming,
    });
  }
}

/** The verdict on a hedged attempt cancelled because another won: nothing further to do with it. */
const CANCELLED: FailureVerdict = Object.freeze({
  next: 'stop',
  retrySameProvider: false,
  waitableRetryAfterMs: undefined,
  reason: 'hedged',
  result: Object.freeze({ success: false, countsAsFailure: false }),
});

/**
 * Any error from an adapter as a `ProviderError`: an abort by the caller stays an abort. Adapters
 * reject with `ProviderError`s (the contract), so anything else is a failure inside this process
 * (a bug, an encoding error): kind `local`, which never counts against the provider nor moves on
 * to another one.
 */
export function asProviderError(error: unknown, provider: string, signal: AbortSignalLike | undefined): ProviderError {
  if (signal?.aborted) {
    if (error instanceof ProviderError && error.kind === 'aborted') return error;
    return new ProviderError('The request was aborted by the caller', { kind: 'aborted', provider, cause: error });
  }
  if (error instanceof ProviderError) return error;
  return localProviderError(provider, error);
}

/**
 * Resolves once the router clock reached `at`, or at once when `signal` aborts. Timers count whole
 * milliseconds, so one may fire a fraction of a millisecond before the clock reaches `at` (then a
 * cool-down ending at `at` still holds); the remainder is slept again, a few rounds at most, so a
 * clock that does not move cannot hold the call.
 */
async function sleepUntil(host: RoutingHost, at: number, signal: AbortSignalLike | undefined): Promise<void> {
  for (let round = 0; round < 3 && signal?.aborted !== true; round += 1) {
    const left = at - host.now();
    if (left <= 0) return;
    await sleep(host.timers, Math.ceil(left), signal);
  }
}

/**
 * Re-emits an adapter's malformed-event reports as router events. Built outside the call on
 * purpose: a closure over the call kept its whole graph (request, lease, settings) reachable from
 * the call options, and every streamed request's objects survived into the old generation
 * (promoted bytes per stream 1.6 → 7.7 KB; docs/performance.md).
 */
function malformedEventReporter(
  events: EventHub<RouterEvents>,
  model: string,
): NonNullable<CallOptions['onMalformedEvent']> {
  return (event) => events.emit('streamMalformedEvent', { provider: event.provider, model, reason: event.reason });
}

/** Resolves after `milliseconds` on `timers`, or at once when `signal` aborts. */
function sleep(timers: RouterTimers, milliseconds: number, signal: AbortSignalLike | undefined): Promise<void> {
  if (milliseconds <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      timers.clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = timers.setTimeout(done, milliseconds);
    signal?.addEventListener('abort', done);
  });
}

const ITEM_DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * The stream of a routed generic operation: its first item replayed, then the provider's items,
 * and the result recorded exactly once on the lease (success at the end, a failure when it
 * throws, neither when the consumer stops early).
 */
class LeasedItemStream<Item> implements AsyncIterable<Item>, AsyncIterator<Item, undefined> {
  readonly #call: RoutedCall<RoutedItemStream<Item>>;
  readonly #lease: DeploymentLease;
  readonly #iterator: AsyncIterator<Item>;
  readonly #latencyMs: number;
  readonly #usageOf: ((item: Item) => UsageTokens | null | undefined) | undefined;
  #first: IteratorResult<Item> | undefined;
  #usage: UsageTokens | null | undefined;
  #settled = false;

  constructor(
    call: RoutedCall<RoutedItemStream<Item>>,
    lease: DeploymentLease,
    iterator: AsyncIterator<Item>,
    first: IteratorResult<Item>,
    latencyMs: number,
    usageOf: ((item: Item) => UsageTokens | null | undefined) | undefined,
  ) {
    this.#call = call;
    this.#lease = lease;
    this.#iterator = iterator;
    this.#first = first;
    this.#latencyMs = latencyMs;
    this.#usageOf = usageOf;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<Item, undefined>> {
    if (this.#settled) return ITEM_DONE;
    let result = this.#first;
    this.#first = undefined;
    if (result === undefined) {
      try {
        result = await this.#iterator.next();
      } catch (error) {
        const providerError = this.#call.asProviderError(error, this.#lease.provider);
        this.#settle();
        const verdict = judgeFailure(providerError, this.#call.settings, true);
        this.#lease.record(failedAttemptResult(verdict, this.#latencyMs, providerError, this.#call.options.requestId));
        throw providerError;
      }
    }
    if (result.done === true) {
      this.#settle();
      this.#lease.record({ success: true, latencyMs: this.#latencyMs, usage: this.#usage });
      return ITEM_DONE;
    }
    const usage = this.#usageOf?.(result.value);
    if (usage) this.#usage = usage;
    return result;
  }

  /** The provider stream's upstream text of `item` (the item handed out last), when it keeps one. */
  chunkText(item: Item): string | undefined {
    const iterator = this.#iterator as { chunkText?: (value: Item) => string | undefined };
    return typeof iterator.chunkText === 'function' ? iterator.chunkText(item) : undefined;
  }

  async return(): Promise<IteratorReturnResult<undefined>> {
    if (!this.#settled) {
      this.#settle();
      await this.#iterator.return?.().catch(() => undefined);
      this.#lease.record({ success: false, countsAsFailure: false });
    }
    return ITEM_DONE;
  }

  #settle(): void {
    this.#settled = true;
    this.#call.releaseSignal();
    this.#call.host.trackInFlight(this.#lease, -1);
  }
}
