import type { ChatCompletionChunk } from '../contract/chat-types.ts';
import { chunkTextOf, type CallOptions, type ChatStream, type ChunkTextSource } from '../contract/provider-adapter.ts';
import { ProviderError } from '../contract/provider-error.ts';
import type { DeploymentLease } from './deployment-lease.ts';
import { isCommitChunk } from './commit-chunk.ts';
import { failedAttemptResult, judgeFailure } from './failure-policy.ts';
import type { RoutedCall } from './routed-call.ts';
import { StreamRecovery } from './stream-recovery.ts';
import type { RoutedStream } from './types.ts';

export { isCommitChunk };

/** Chunks without content held back before the commit point, at most; past it the stream commits anyway. */
const MAX_HELD_CHUNKS = 64;

/** A chunk held back before the commit point, with its upstream text. */
interface HeldChunk {
  chunk: ChatCompletionChunk;
  text: string | undefined;
}

/**
 * Starts the stream on `lease` and reads it up to its commit point: chunks without content are
 * held back until the first chunk with content, a tool-call delta or a finish_reason. A failure
 * before that point (an error, a timeout, a malformed or empty stream) is thrown, so the routed
 * call falls back invisibly; at that point the routed stream is returned, replaying what was held.
 */
export async function commitStream(
  call: RoutedCall<RoutedStream>,
  lease: DeploymentLease,
  callOptions: CallOptions,
): Promise<RoutedStream> {
  const started = call.host.now();
  const upstream = await lease.adapter.stream(call.requestFor(lease), callOptions);
  call.streamAccepted = true;
  const iterator = upstream[Symbol.asyncIterator]();
  let held: HeldChunk[] | undefined;
  for (;;) {
    let next: IteratorResult<ChatCompletionChunk>;
    try {
      next = await iterator.next();
    } catch (error) {
      void iterator.return?.().catch(() => undefined);
      throw error;
    }
    if (next.done === true) {
      throw new ProviderError(`${lease.provider}: the stream ended before any content`, {
        kind: 'protocol',
        provider: lease.provider,
      });
    }
    const chunk = next.value;
    if (isCommitChunk(chunk) || (held !== undefined && held.length >= MAX_HELD_CHUNKS)) {
      const stream = new CommittedStream(call, lease, iterator, held, chunk, call.host.now() - started);
      return call.outcome(lease, { stream }) as RoutedStream;
    }
    (held ??= []).push({ chunk, text: chunkTextOf(iterator, chunk) });
  }
}

/**
 * The token usage a routed chat stream reported, including a usage chunk it did not hand out
 * (the caller did not ask for `stream_options.include_usage`, but the upstream was asked anyway);
 * undefined for other streams or before the upstream reported any.
 *
 * @example
 * ```ts
 * for await (const chunk of routed.stream) send(chunk);
 * metrics.observeTokenUsage(routed.provider, routed.model, streamUsageOf(routed.stream));
 * ```
 */
export function streamUsageOf(stream: object): ChatCompletionChunk['usage'] | undefined {
  return stream instanceof CommittedStream ? stream.usage : undefined;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * The stream a routed call hands out after its commit point: the held-back chunks and the first
 * content chunk replayed, then the provider's chunks, and the result recorded exactly once on the
 * lease: success when the upstream ends, a failure when it throws (rethrown as a `ProviderError`:
 * the caller ends the stream with an error, never as a silent truncated success), and neither when
 * the consumer stops early (`return()`, e.g. a `break` or a client gone). A plain iterator rather
 * than an async generator: one promise per chunk instead of several.
 */
class CommittedStream implements ChatStream, ChunkTextSource, AsyncIterator<ChatCompletionChunk, undefined> {
  readonly #call: RoutedCall<RoutedStream>;
  #lease: DeploymentLease;
  #iterator: AsyncIterator<ChatCompletionChunk>;
  #timeToFirstContentMs: number;
  /** Set only with `streamRecovery: continue`: the text handed out, to continue from after a failure. */
  readonly #recovery: StreamRecovery | undefined;
  /** Chunks to hand out before reading the upstream again (held-back ones, then the commit chunk). */
  #replay: HeldChunk[] | undefined;
  #first: ChatCompletionChunk | undefined;
  /** Upstream text of the replayed chunk handed out last. */
  #replayedText: { chunk: ChatCompletionChunk; text: string | undefined } | undefined;
  #usage: ChatCompletionChunk['usage'];
  /** The caller did not ask for usage (`stream_options.include_usage`): usage-only chunks are counted, not handed out. */
  readonly #hideUsageChunks: boolean;
  #settled = false;

  constructor(
    call: RoutedCall<RoutedStream>,
    lease: DeploymentLease,
    iterator: AsyncIterator<ChatCompletionChunk>,
    held: HeldChunk[] | undefined,
    first: ChatCompletionChunk,
    timeToFirstContentMs: number,
  ) {
    this.#call = call;
    this.#lease = lease;
    this.#iterator = iterator;
    this.#replay = held;
    this.#first = first;
    this.#timeToFirstContentMs = timeToFirstContentMs;
    this.#recovery = call.settings.streamRecovery === 'continue' ? new StreamRecovery() : undefined;
    this.#hideUsageChunks = call.request.stream_options?.include_usage !== true;
    if (held !== undefined) held.push({ chunk: first, text: chunkTextOf(iterator, first) });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<ChatCompletionChunk, undefined>> {
    if (this.#settled) return DONE;
    const replay = this.#replay;
    if (replay !== undefined) {
      const entry = replay.shift() as HeldChunk;
      if (replay.length === 0) this.#replay = undefined;
      this.#first = undefined;
      this.#replayedText = entry;
      this.#recovery?.note(entry.chunk);
      return { done: false, value: entry.chunk };
    }
    const first = this.#first;
    if (first !== undefined) {
      this.#first = undefined;
      this.#recovery?.note(first);
      return { done: false, value: first };
    }
    this.#replayedText = undefined;
    for (;;) {
      let result: IteratorResult<ChatCompletionChunk>;
      try {
        result = await this.#iterator.next();
      } catch (error) {
        const failure = this.#fail(error);
        if (this.#recovery === undefined || !(await this.#resume(failure))) throw failure;
        return this.next();
      }
      if (result.done === true) {
        this.#settle();
        this.#lease.record({ success: true, latencyMs: this.#timeToFirstContentMs, usage: this.#usage });
        return DONE;
      }
      const usage = result.value.usage;
      if (usage) {
        this.#usage = usage;
        const choices = result.value.choices;
        // A usage-only chunk the caller did not ask for: counted, not handed out.
        if (this.#hideUsageChunks && (!Array.isArray(choices) || choices.length === 0)) continue;
      }
      this.#recovery?.note(result.value);
      return result;
    }
  }

  /** The token usage the stream reported so far, handed out or not (see `streamUsageOf`). */
  get usage(): ChatCompletionChunk['usage'] {
    return this.#usage;
  }

  /** After `failure`, goes on with a continuation from the next candidate; false when there is none. */
  async #resume(failure: ProviderError): Promise<boolean> {
    const continuation = await (this.#recovery as StreamRecovery).resume(this.#call, this.#lease, failure);
    if (continuation === undefined) return false;
    this.#lease = continuation.lease;
    this.#iterator = continuation.iterator;
    this.#timeToFirstContentMs = continuation.latencyMs;
    this.#usage = undefined;
    this.#replay = continuation.first.map((chunk) => ({ chunk, text: undefined }));
    this.#settled = false;
    return true;
  }

  /** The upstream text of `chunk` (the chunk handed out last), when the provider stream keeps one. */
  chunkText(chunk: ChatCompletionChunk): string | undefined {
    const replayed = this.#replayedText;
    if (replayed !== undefined && replayed.chunk === chunk) return replayed.text;
    return chunkTextOf(this.#iterator, chunk);
  }

  async return(): Promise<IteratorReturnResult<undefined>> {
    if (!this.#settled) {
      this.#settle();
      await this.#iterator.return?.().catch(() => undefined);
      this.#lease.record({ success: false, countsAsFailure: false });
    }
    return DONE;
  }

  #fail(error: unknown): ProviderError {
    const providerError = this.#call.asProviderError(error, this.#lease.provider);
    this.#settle();
    const verdict = judgeFailure(providerError, this.#call.settings, true);
    this.#lease.record(
      failedAttemptResult(verdict, this.#timeToFirstContentMs, providerError, this.#call.options.requestId),
    );
    return providerError;
  }

  #settle(): void {
    this.#settled = true;
    this.#call.releaseSignal();
    this.#call.host.trackInFlight(this.#lease, -1);
  }
}
