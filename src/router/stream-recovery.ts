import type { ChatCompletionChunk, ChatCompletionRequest } from '../contract/chat-types.ts';
import type { CallOptions } from '../contract/provider-adapter.ts';
import { ProviderError } from '../contract/provider-error.ts';
import { isCommitChunk } from './commit-chunk.ts';
import type { DeploymentLease } from './deployment-lease.ts';
import { judgeFailure, type FailureVerdict } from './failure-policy.ts';
import { RoutedCall } from './routed-call.ts';
import type { RoutingSettings } from './routing-settings.ts';
import type { RoutedStream, StreamRecoveryOutcome } from './types.ts';

/** Longest answer text (UTF-16 units) kept for a recovery; a longer answer is not resumable. */
const MAX_RECOVERABLE_TEXT = 1_048_576;

/** The `code` of the error a fresh continuation that does not repeat the text already sent fails with. */
export const RECOVERY_MISMATCH_CODE = 'stream_recovery_mismatch';

/** A stream that took over a failed one: its lease, its chunks (continuation only) and the first of them. */
export interface Continuation {
  lease: DeploymentLease;
  iterator: AsyncIterator<ChatCompletionChunk>;
  /** Chunks read up to the continuation's commit point, to hand out first. */
  first: ChatCompletionChunk[];
  /** Time from the continuation's start to its commit point, in ms. */
  latencyMs: number;
}

/**
 * Stream recovery (`streamRecovery: continue`) for one streamed request: notes the text handed
 * to the client, and after a failure past the commit point continues the answer from the next
 * candidate (an assistant prefill when the adapter declares `supportsPrefill`, else a fresh
 * request whose text is passed on only past an exact match of what was sent). Made only when
 * recovery is on, so a stream without it allocates nothing for it.
 */
export class StreamRecovery {
  /** Content deltas handed out, in order. */
  #parts: string[] = [];
  #length = 0;
  /** False once something a continuation cannot reproduce was handed out (a tool call, another choice, a finish). */
  #resumable = true;
  #id: string | undefined;
  #created: number | undefined;

  /** Notes a chunk handed to the client. */
  note(chunk: ChatCompletionChunk): void {
    if (!this.#resumable) return;
    if (this.#id === undefined) {
      this.#id = chunk.id;
      this.#created = chunk.created;
    }
    const choices = chunk.choices;
    if (!Array.isArray(choices)) return;
    for (let index = 0; index < choices.length; index += 1) {
      const choice = choices[index];
      if (choice === undefined) continue;
      if (choice.index !== 0 || choice.finish_reason) {
        this.#stop();
        return;
      }
      const delta = choice.delta as Record<string, unknown> | undefined;
      if (delta === undefined || delta === null) continue;
      for (const key in delta) {
        const value = delta[key];
        if (key === 'role' || value === null || value === undefined || value === '') continue;
        if (key !== 'content' || typeof value !== 'string') {
          this.#stop();
          return;
        }
        this.#length += value.length;
        if (this.#length > MAX_RECOVERABLE_TEXT) {
          this.#stop();
          return;
        }
        this.#parts.push(value);
      }
    }
  }

  /** The answer's text handed out so far. */
  get text(): string {
    const parts = this.#parts;
    if (parts.length > 1) this.#parts = [parts.join('')];
    return this.#parts[0] ?? '';
  }

  /**
   * After `failure` ended the stream served by `failed`: a continuation from the next candidate
   * (other providers of the model, then its fallback models, `failed`'s deployment excluded), or
   * undefined when there is none (the caller ends the stream with `failure`). Never throws.
   */
  async resume(
    call: RoutedCall<RoutedStream>,
    failed: DeploymentLease,
    failure: ProviderError,
  ): Promise<Continuation | undefined> {
    const verdict = judgeFailure(failure, call.settings, true);
    if (verdict.next !== 'provider') return undefined;
    if (!this.#resumable) {
      this.#emit(call, failed, 'not_resumable');
      return undefined;
    }
    const continued = new RoutedCall<Continuation>(
      call.host,
      call.settings,
      call.request,
      call.options,
      true,
      (continuation, lease, callOptions) => this.#open(continuation, lease, callOptions),
      {
        attempts: call.attempts,
        deadlineAt: call.deadlineAt,
        skip: { model: failed.model, provider: failed.provider },
        reason: verdict.reason,
        judge: judgeContinuation,
      },
    );
    try {
      const continuation = await continued.run();
      call.attempts = continued.attempts;
      const prefilled = (continuation.iterator as ContinuationChunks).prefilled;
      this.#emit(call, failed, prefilled ? 'continued_prefill' : 'continued_fresh', continuation.lease.provider);
      return continuation;
    } catch (error) {
      call.attempts = continued.attempts;
      const last = (error as { lastError?: unknown }).lastError;
      const mismatch = ProviderError.isInstance(last) && last.code === RECOVERY_MISMATCH_CODE;
      this.#emit(call, failed, mismatch ? 'mismatch' : 'failed');
      return undefined;
    }
  }

  /** One continuation attempt on `lease`, read up to its commit point. */
  async #open(call: RoutedCall<Continuation>, lease: DeploymentLease, callOptions: CallOptions): Promise<Continuation> {
    const started = call.host.now();
    const sent = this.text;
    const request = call.requestFor(lease);
    let prefilled = lease.adapter.supportsPrefill === true && sent !== '';
    let upstream: AsyncIterable<ChatCompletionChunk>;
    try {
      upstream = await lease.adapter.stream(prefilled ? withPrefill(request, sent) : request, callOptions);
    } catch (error) {
      // The adapter continues prefills but its upstream refused this one: ask it afresh, as any other.
      if (!prefilled || !isPrefillRejection(error) || call.outOfAttempts()) throw error;
      call.attempts += 1;
      prefilled = false;
      upstream = await lease.adapter.stream(request, callOptions);
    }
    call.streamAccepted = true;
    const iterator = new ContinuationChunks(upstream[Symbol.asyncIterator](), lease.provider, prefilled, sent, {
      id: this.#id,
      created: this.#created,
    });
    const first: ChatCompletionChunk[] = [];
    for (;;) {
      let next: IteratorResult<ChatCompletionChunk>;
      try {
        next = await iterator.next();
      } catch (error) {
        void iterator.return().catch(() => undefined);
        throw error;
      }
      if (next.done === true)
        throw new ProviderError(`${lease.provider}: the continuation ended before any content`, {
          kind: 'protocol',
          provider: lease.provider,
        });
      first.push(next.value);
      if (isCommitChunk(next.value)) return { lease, iterator, first, latencyMs: call.host.now() - started };
    }
  }

  #stop(): void {
    this.#resumable = false;
    this.#parts = [];
  }

  #emit(call: RoutedCall<RoutedStream>, failed: DeploymentLease, outcome: StreamRecoveryOutcome, by?: string): void {
    const events = call.host.events;
    if (!events.has('streamRecovery')) return;
    events.emit('streamRecovery', {
      provider: failed.provider,
      model: call.request.model,
      outcome,
      ...(by === undefined ? {} : { continuedBy: by }),
    });
  }
}

/** A continuation that did not repeat the text already sent ends the recovery, not counted against anyone. */
function judgeContinuation(error: ProviderError, settings: RoutingSettings, afterHeaders?: boolean): FailureVerdict {
  if (error.code === RECOVERY_MISMATCH_CODE)
    return {
      next: 'stop',
      retrySameProvider: false,
      waitableRetryAfterMs: undefined,
      reason: 'protocol_error',
      result: { success: false, countsAsFailure: false },
    };
  return judgeFailure(error, settings, afterHeaders);
}

/** An upstream's refusal of an assistant prefill: a 400 or 422 that is not a context-length or policy error. */
function isPrefillRejection(error: unknown): boolean {
  return (
    ProviderError.isInstance(error) &&
    error.kind === 'http' &&
    (error.status === 400 || error.status === 422) &&
    error.errorClass === undefined
  );
}

/** `request` with the text already sent as a trailing assistant message (a prefill). */
function withPrefill(request: ChatCompletionRequest, text: string): ChatCompletionRequest {
  return { ...request, messages: [...request.messages, { role: 'assistant', content: text }] };
}

/**
 * A continuation's chunks as the client must see them: under the failed stream's id; chunks
 * without content dropped (a second role chunk); for a fresh request, only the text past an exact
 * repeat of what was already sent (anything else fails with `RECOVERY_MISMATCH_CODE`).
 */
class ContinuationChunks implements AsyncIterator<ChatCompletionChunk, undefined> {
  readonly #upstream: AsyncIterator<ChatCompletionChunk>;
  readonly #provider: string;
  /** True when the continuation was asked with the sent text as an assistant prefill. */
  readonly prefilled: boolean;
  readonly #sent: string;
  /** How much of `#sent` the fresh answer has repeated so far. */
  #matched: number;
  readonly #id: string | undefined;
  readonly #created: number | undefined;

  constructor(
    upstream: AsyncIterator<ChatCompletionChunk>,
    provider: string,
    prefilled: boolean,
    sent: string,
    label: { id: string | undefined; created: number | undefined },
  ) {
    this.#upstream = upstream;
    this.#provider = provider;
    this.prefilled = prefilled;
    this.#sent = sent;
    this.#matched = prefilled ? sent.length : 0;
    this.#id = label.id;
    this.#created = label.created;
  }

  async next(): Promise<IteratorResult<ChatCompletionChunk, undefined>> {
    for (;;) {
      const result = await this.#upstream.next();
      if (result.done === true) {
        if (this.#matched < this.#sent.length) throw this.#mismatch('ended before repeating the text already sent');
        return { done: true, value: undefined };
      }
      const chunk = this.#pass(result.value);
      if (chunk !== undefined) return { done: false, value: chunk };
    }
  }

  async return(): Promise<IteratorReturnResult<undefined>> {
    await this.#upstream.return?.();
    return { done: true, value: undefined };
  }

  /** The chunk to hand out for `chunk`, or undefined to skip it. */
  #pass(chunk: ChatCompletionChunk): ChatCompletionChunk | undefined {
    const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
    const choice = choices[0];
    const sent = this.#sent;
    if (choice === undefined) return chunk.usage ? this.#relabel(chunk, choices) : undefined;
    if (this.#matched < sent.length) {
      if (choices.length > 1 || choice.index !== 0) throw this.#mismatch('answered with another choice');
      const delta = (choice.delta ?? {}) as Record<string, unknown>;
      let content = typeof delta.content === 'string' ? delta.content : '';
      for (const key in delta) {
        const value = delta[key];
        if (key !== 'role' && key !== 'content' && value !== null && value !== undefined && value !== '')
          throw this.#mismatch(`sent '${key}' where the text already sent goes on`);
      }
      const overlap = Math.min(content.length, sent.length - this.#matched);
      if (content.slice(0, overlap) !== sent.slice(this.#matched, this.#matched + overlap))
        throw this.#mismatch('does not repeat the text already sent');
      this.#matched += overlap;
      content = content.slice(overlap);
      if (choice.finish_reason && this.#matched < sent.length)
        throw this.#mismatch('finished before repeating the text already sent');
      if (content === '' && !choice.finish_reason && !chunk.usage) return undefined;
      return this.#relabel(chunk, [{ ...choice, delta: { ...delta, content } }]);
    }
    if (!isCommitChunk(chunk) && !chunk.usage) return undefined;
    return this.#relabel(chunk, choices);
  }

  #relabel(chunk: ChatCompletionChunk, choices: ChatCompletionChunk['choices']): ChatCompletionChunk {
    return {
      ...chunk,
      id: this.#id ?? chunk.id,
      created: this.#created ?? chunk.created,
      choices,
    };
  }

  #mismatch(what: string): ProviderError {
    return new ProviderError(`Stream recovery: the fresh answer ${what}`, {
      kind: 'protocol',
      provider: this.#provider,
      code: RECOVERY_MISMATCH_CODE,
      retryable: false,
    });
  }
}
