import type { ChatCompletionRequest } from '../contract/chat-types.ts';
import type { AbortSignalLike } from '../contract/abort-latch.ts';
import type { CallOptions } from '../contract/provider-adapter.ts';
import { localProviderError, ProviderError } from '../contract/provider-error.ts';
import type { DeploymentLease } from './deployment-lease.ts';
import { ModelNotFoundError, NoProviderAvailableError, RoutingFailedError } from './errors.ts';
import type { EventHub } from './event-hub.ts';
import { judgeFailure } from './failure-policy.ts';
import { chainFor, type RoutingSettings } from './routing-settings.ts';
import { commitStream } from './committed-stream.ts';
import type {
  FallbackReason,
  RoutedCallOptions,
  RoutedCompletion,
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
  /** A lease on the strategy's pick among `model`'s deployments outside `exclude`; undefined when none can take traffic. */
  tryLease(model: string, exclude: ReadonlySet<string> | undefined): DeploymentLease | undefined;
  /** A lease on `provider`'s deployment of `model` when it can take traffic now. */
  leaseOn(model: string, provider: string): DeploymentLease | undefined;
  /** Why nothing could be selected for `model` (ModelNotFoundError when nothing serves it). */
  noProviderError(
    model: string,
    exclude: ReadonlySet<string> | undefined,
  ): NoProviderAvailableError | ModelNotFoundError;
  /** Adjusts a provider's in-flight count by `delta`. */
  trackInFlight(name: string, delta: 1 | -1): void;
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
  #firstModel: string | undefined;
  /** Why the call first left its first choice. */
  #reason: FallbackReason | undefined;
  /** The earliest short `retry-after` seen, to wait out when nothing else can serve. */
  #pendingWait: { model: string; provider: string | undefined; at: number } | undefined;
  /** Requests with `model` rewritten, by upstream name (aliases and fallback models). */
  #rewritten: Map<string, ChatCompletionRequest> | undefined;
  /** Set by a streamed attempt once the upstream accepted the stream (its failures are then after the headers). */
  streamAccepted = false;

  constructor(
    host: RoutingHost,
    settings: RoutingSettings,
    request: ChatCompletionRequest,
    options: RoutedCallOptions,
    streaming: boolean,
    attempt: Attempt<Result>,
  ) {
    this.host = host;
    this.settings = settings;
    this.request = request;
    this.options = options;
    this.streaming = streaming;
    this.#attempt = attempt;
    this.deadlineAt = host.now() + settings.deadlineMs;
  }

  /** Runs the attempts; resolves with the first success or throws the call's error. */
  async run(): Promise<Result> {
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
  callOptions(): CallOptions {
    const settings = this.settings;
    const left = Math.max(1, Math.ceil(this.deadlineAt - this.host.now()));
    const requestTimeoutMs = settings.requestTimeoutMs;
    return {
      signal: this.options.signal,
      timeoutMs: requestTimeoutMs > 0 && requestTimeoutMs < left ? requestTimeoutMs : left,
      requestId: this.options.requestId,
      firstTokenTimeoutMs: settings.firstTokenTimeoutMs,
      streamIdleTimeoutMs: settings.streamIdleTimeoutMs,
    };
  }

  /** Any error from an adapter as a `ProviderError`: a caller's abort stays an abort, anything unknown is a protocol fault. */
  asProviderError(error: unknown, provider: string): ProviderError {
    return asProviderError(error, provider, this.options.signal);
  }

  /** Tries `model`'s providers; returns the result, or why the model is done. */
  private async tryModel(model: string): Promise<{ result: Result } | ModelOutcome> {
    let tried: Set<string> | undefined;
    for (;;) {
      if (this.outOfAttempts()) throw this.failure();
      const lease = this.host.tryLease(model, tried);
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
      const outcome = await this.tryLease(lease);
      if (outcome !== 'next_provider') return outcome;
    }
  }

  /** Attempts on one lease, with its same-provider retries. */
  private async tryLease(lease: DeploymentLease): Promise<{ result: Result } | ModelOutcome | 'next_provider'> {
    let retries = 0;
    let current: DeploymentLease | undefined = lease;
    while (current !== undefined) {
      if (this.outOfAttempts()) {
        current.release();
        throw this.failure();
      }
      const kind = retries > 0 ? 'retry' : this.attempts === 0 ? 'first' : 'fallback';
      const verdict = await this.attemptOnce(current, kind);
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
          await sleep(this.host.timers, delay, this.options.signal);
          if (this.options.signal?.aborted) throw this.aborted(lease.provider);
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
  ): Promise<ReturnType<typeof judgeFailure> | undefined> {
    this.attempts += 1;
    this.emitAttempt(lease, kind);
    const started = this.host.now();
    const host = this.host;
    host.trackInFlight(lease.provider, 1);
    this.streamAccepted = false;
    try {
      this.#result = await this.#attempt(this, lease, this.callOptions());
      if (!this.streaming) host.trackInFlight(lease.provider, -1);
      return undefined;
    } catch (error) {
      host.trackInFlight(lease.provider, -1);
      const providerError = this.asProviderError(error, lease.provider);
      const verdict = judgeFailure(providerError, this.settings, this.streamAccepted);
      // A local failure measured nothing about the upstream: no latency sample.
      lease.record({
        ...verdict.result,
        latencyMs: providerError.isLocal ? undefined : host.now() - started,
        error: providerError,
      });
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
    await sleep(this.host.timers, Math.max(0, wait.at - this.host.now()), this.options.signal);
    if (this.options.signal?.aborted) throw this.aborted(wait.provider ?? '');
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

  private outOfAttempts(): boolean {
    return this.attempts >= this.settings.maxAttempts || (this.attempts > 0 && this.host.now() >= this.deadlineAt);
  }

  /** The call's error: nothing tried → why nothing could be selected; else the last attempt's, or the deadline's. */
  failure(): Error {
    const lastError = this.#lastError;
    if (lastError === undefined) {
      return this.#selectionError ?? this.host.noProviderError(this.request.model, undefined);
    }
    if (this.host.now() >= this.deadlineAt && lastError.kind !== 'timeout' && lastError.kind !== 'aborted') {
      const deadline = new ProviderError(
        `The request's deadline (${this.settings.deadlineMs} ms) passed after ${this.attempts} attempt(s): ${lastError.message}`,
        { kind: 'timeout', provider: lastError.provider, cause: lastError },
      );
      return new RoutingFailedError(this.request.model, this.attempts, deadline);
    }
    return new RoutingFailedError(this.request.model, this.attempts, lastError);
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

  private emitAttempt(lease: DeploymentLease, kind: 'first' | 'retry' | 'fallback'): void {
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
