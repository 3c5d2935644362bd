/**
 * The pull side of an upstream SSE response: the socket's bytes are pushed in by the body's
 * source as they arrive, parsed, translated into chunks by a per-protocol translator, queued
 * (bounded: the source is paused when the consumer lags, so the upstream sees back-pressure),
 * and handed out by `next()`. Nothing buffers the whole stream.
 *
 * It also judges the upstream's conduct: only complete, well-formed, non-keep-alive events are
 * progress (they restart the call's idle timer; the first content chunk ends its first-token
 * window); a malformed event is skipped and reported, and more than a few fail the stream; a body
 * that ends cleanly after the answer finished is complete even without the end event; a stream
 * without any content chunk is a failure.
 */
import type { MalformedStreamEvent } from '../../src/contract/provider-adapter.ts';
import { ProviderError } from '../../src/contract/provider-error.ts';
import { SseEventTooLargeError, SseParser, type SseEvent } from './sse-parser.ts';
import type { UpstreamBodySink, UpstreamBodySource } from './upstream-body.ts';
import type { UpstreamCall } from './upstream-call.ts';

/** Chunks queued beyond this pause the upstream body until the consumer catches up. */
export const SSE_CHUNK_HIGH_WATER_MARK = 64;

/** Malformed events skipped in one stream before the next one fails it (a broken upstream, not a glitch). */
export const DEFAULT_MAX_MALFORMED_EVENTS = 3;

/** Where a translator puts the chunks of one event. */
export interface SseChunkOutput<T> {
  /** Queues `chunk`; `text` is the JSON text it was parsed from, when it is forwarded as the upstream sent it. */
  push(chunk: T, text?: string): void;
}

/** Turns one protocol's SSE events into chunks. One instance per stream (it may keep state). */
export interface SseChunkTranslator<T> {
  /**
   * Translates one event, pushing zero or more chunks onto `output`. Returns true when the
   * event ends the stream (`[DONE]`, `message_stop`). Throws a `ProviderError` for an error
   * event (the stream fails with it), anything else for a malformed event (skipped and counted;
   * chunks it pushed before throwing are dropped).
   */
  translate(event: SseEvent, output: SseChunkOutput<T>): boolean;
  /** True for an event that only keeps the connection open (e.g. Anthropic's `ping`): not progress. */
  isKeepAlive?(event: SseEvent): boolean;
  /**
   * The body ended cleanly without the end event: returns true when what came is a whole answer
   * (e.g. every choice got its finish_reason), after pushing any chunk the end event would have
   * brought (e.g. the usage). Absent: such a stream is a failure.
   */
  completeAtEnd?(output: SseChunkOutput<T>): boolean;
}

/** Options of `SseChunkStream`. */
export interface SseChunkStreamOptions<T> {
  /**
   * True for a chunk that carries content (text, a tool call, a finish_reason): the first one ends
   * the call's first-token window, and a stream that ends without one is a failure (an empty stream).
   * Default: every chunk counts.
   */
  isContent?: (chunk: T) => boolean;
  /** Largest event, in characters (see `SseParserOptions.maxEventLength`). Default 1 MiB. */
  maxEventLength?: number;
  /** Malformed events skipped before the next one fails the stream. Default `DEFAULT_MAX_MALFORMED_EVENTS`. */
  maxMalformedEvents?: number;
  /** Told of each malformed event skipped (see `CallOptions.onMalformedEvent`). */
  onMalformedEvent?: ((event: MalformedStreamEvent) => void) | undefined;
}

type Resolve<T> = (result: IteratorResult<T>) => void;
type Reject = (error: unknown) => void;

/**
 * An async iterator of chunks over an upstream SSE body. Ends when the translator reports
 * the end event; a body that ends before it, a malformed event or a broken socket throws a
 * `ProviderError` from `next()` (after the chunks already received). `return()` (a `break` in
 * `for await`) aborts the upstream body, which closes the upstream request.
 *
 * It is the sink of its body: `onBytes`, `onEnd` and `onError` are for the source only.
 *
 * @example
 * ```ts
 * const stream = new SseChunkStream(call, response.body, new OpenAIChunkTranslator(provider));
 * for await (const chunk of stream) process(chunk);
 * ```
 */
export class SseChunkStream<T> implements AsyncIterableIterator<T>, UpstreamBodySink {
  readonly #call: UpstreamCall;
  readonly #body: UpstreamBodySource;
  readonly #translator: SseChunkTranslator<T>;
  readonly #parser: SseParser;
  readonly #isContent: ((chunk: T) => boolean) | undefined;
  readonly #maxMalformedEvents: number;
  readonly #onMalformedEvent: ((event: MalformedStreamEvent) => void) | undefined;
  #malformedEvents = 0;
  /** A chunk with content was queued: the first-token window is over, and the stream is not empty. */
  #sawContent = false;
  #queue: T[] = [];
  /** The upstream text of each queued chunk (same index as `#queue`), or undefined. */
  #texts: Array<string | undefined> = [];
  #head = 0;
  /** The chunk `next()` handed out last, and its upstream text. */
  #lastChunk: T | undefined;
  #lastText: string | undefined;
  readonly #output: SseChunkOutput<T> = {
    push: (chunk, text) => {
      this.#queue.push(chunk);
      this.#texts.push(text);
    },
  };
  /** No more chunks will be added: the end event arrived, or the stream failed or was returned. */
  #ended = false;
  #error: ProviderError | undefined;
  #paused = false;
  #resolve: Resolve<T> | undefined;
  #reject: Reject | undefined;
  /** The promise handed to the consumer waiting in `next()`, if any. */
  #waiting: Promise<IteratorResult<T>> | undefined;

  /** Attaches to `body` at once: bytes that already arrived are parsed before the constructor returns. */
  constructor(
    call: UpstreamCall,
    body: UpstreamBodySource,
    translator: SseChunkTranslator<T>,
    options: SseChunkStreamOptions<T> = {},
  ) {
    this.#call = call;
    this.#body = body;
    this.#translator = translator;
    this.#parser = new SseParser({ maxEventLength: options.maxEventLength });
    this.#isContent = options.isContent;
    this.#maxMalformedEvents = options.maxMalformedEvents ?? DEFAULT_MAX_MALFORMED_EVENTS;
    this.#onMalformedEvent = options.onMalformedEvent;
    body.attach(this);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The next chunk; rejects with a `ProviderError` when the stream failed. */
  next(): Promise<IteratorResult<T>> {
    if (this.#head < this.#queue.length) return Promise.resolve(this.#shift());
    if (this.#error !== undefined) {
      const error = this.#error;
      this.#error = undefined;
      return Promise.reject(error);
    }
    if (this.#ended) return Promise.resolve(DONE_RESULT as IteratorResult<T>);
    if (this.#paused) {
      this.#paused = false;
      this.#call.resume();
      // The source may hand over what it holds right away (chunks, the end, an error): look again.
      this.#body.resume();
      return this.next();
    }
    // A second `next()` while one is waiting (allowed by the protocol, never done by `for await`) queues behind it.
    if (this.#waiting !== undefined) return this.#waiting.then(this.#nextAfterWaiting, this.#nextAfterWaiting);
    this.#waiting = new Promise<IteratorResult<T>>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    return this.#waiting;
  }

  readonly #nextAfterWaiting = (): Promise<IteratorResult<T>> => this.next();

  /** The upstream JSON text of `chunk` while it is the chunk handed out last (see `ChunkTextSource`). */
  chunkText(chunk: T): string | undefined {
    return chunk === this.#lastChunk ? this.#lastText : undefined;
  }

  /** Stops early: aborts the upstream body (closing the upstream request unless it completed) and drops queued chunks. */
  return(): Promise<IteratorResult<T>> {
    this.#release();
    return Promise.resolve(DONE_RESULT as IteratorResult<T>);
  }

  /** Same as `return()`, then rethrows `error`. */
  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.#release();
    return Promise.reject(error);
  }

  #release(): void {
    this.#queue.length = 0;
    this.#texts.length = 0;
    this.#head = 0;
    this.#error = undefined;
    this.#ended = true;
    this.#body.abort(new Error('the consumer stopped reading the stream'));
    this.#call.finish();
    this.#settleWaiting();
  }

  #shift(): IteratorResult<T> {
    const head = this.#head++;
    const value = this.#queue[head] as T;
    this.#lastChunk = value;
    this.#lastText = this.#texts[head];
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#texts.length = 0;
      this.#head = 0;
    }
    return { value, done: false };
  }

  /** Source only: one body chunk. */
  onBytes(bytes: Buffer): void {
    if (this.#ended) return; // After the end event: drain the rest so the connection can be reused.
    let events: SseEvent[];
    try {
      events = this.#parser.push(bytes);
    } catch (error) {
      this.#fail(this.#protocolError(error instanceof SseEventTooLargeError ? error.message : describe(error), error));
      return;
    }
    let progressed = false;
    const translator = this.#translator;
    for (let index = 0; index < events.length; index++) {
      const event = events[index] as SseEvent;
      if (translator.isKeepAlive !== undefined && translator.isKeepAlive(event)) continue;
      const queued = this.#queue.length;
      let finished: boolean;
      try {
        finished = translator.translate(event, this.#output);
      } catch (error) {
        if (error instanceof ProviderError) {
          this.#fail(error);
          return;
        }
        this.#queue.length = queued;
        this.#texts.length = queued;
        if (this.#skipMalformed(error)) continue;
        return;
      }
      progressed = true;
      if (!this.#sawContent && this.#queue.length > queued && this.#hasContentFrom(queued)) {
        this.#sawContent = true;
        this.#call.contentArrived();
      }
      if (finished) {
        if (!this.#sawContent) {
          this.#fail(this.#protocolError('upstream stream ended without any content'));
          return;
        }
        this.#ended = true;
        break;
      }
    }
    // Only progress after the first content restarts the silence window; before it, the first-token window runs on.
    if (progressed && this.#sawContent) this.#call.refresh();
    this.#settleWaiting();
    if (!this.#ended && !this.#paused && this.#queue.length - this.#head >= SSE_CHUNK_HIGH_WATER_MARK) {
      // The consumer lags: stop reading, and stop counting the upstream's silence against it.
      this.#paused = true;
      this.#call.suspend();
      this.#body.pause();
    }
  }

  /** Source only: the body is complete. */
  onEnd(): void {
    this.#call.finish();
    if (this.#ended) return;
    const cleanEnd = this.#parser.finish();
    if (this.#sawContent && this.#translator.completeAtEnd?.(this.#output) === true) {
      // A whole answer without its end event (no `[DONE]`): complete, as every published gateway treats it.
      this.#ended = true;
      this.#settleWaiting();
      return;
    }
    this.#fail(
      this.#protocolError(
        this.#sawContent
          ? `upstream stream ended before its end event${cleanEnd ? '' : ' (in the middle of an event)'}`
          : 'upstream stream ended without any content',
      ),
    );
  }

  /** Source only: the body failed (transport error, or the request was aborted). */
  onError(error: unknown): void {
    if (this.#ended) {
      this.#call.finish();
      return;
    }
    this.#fail(this.#call.failure(error));
  }

  /** True when one of the chunks queued from `start` on carries content. */
  #hasContentFrom(start: number): boolean {
    const isContent = this.#isContent;
    if (isContent === undefined) return true;
    const queue = this.#queue;
    for (let index = start; index < queue.length; index++) if (isContent(queue[index] as T)) return true;
    return false;
  }

  /** Counts and reports a malformed event; returns false when it was one too many (the stream failed). */
  #skipMalformed(error: unknown): boolean {
    this.#malformedEvents++;
    // The reason may quote the event, which is upstream text: scrubbed before it reaches a listener or a log.
    const reason = this.#call.scrubber.scrub(describe(error));
    const report = this.#onMalformedEvent;
    if (report !== undefined) {
      try {
        report({ provider: this.#call.provider, reason });
      } catch {
        // A listener's failure is not the stream's.
      }
    }
    if (this.#malformedEvents <= this.#maxMalformedEvents) return true;
    this.#fail(this.#protocolError(`${this.#malformedEvents} malformed stream events, the last: ${reason}`, error));
    return false;
  }

  #protocolError(message: string, cause?: unknown): ProviderError {
    return new ProviderError(`${this.#call.provider}: ${message}`, {
      kind: 'protocol',
      provider: this.#call.provider,
      cause,
    });
  }

  #fail(error: ProviderError): void {
    if (this.#ended) return;
    this.#ended = true;
    // Error events and malformed events carry upstream text: scrubbed before it reaches a client or a log.
    this.#error = this.#call.scrubbed(error);
    // Closes the upstream request (a malformed or error event); a no-op when the body already ended or failed.
    this.#body.abort(error);
    this.#call.finish();
    this.#settleWaiting();
  }

  /** Hands the next result (a chunk, the error, or the end) to a consumer waiting in `next()`. */
  #settleWaiting(): void {
    const resolve = this.#resolve;
    if (resolve === undefined) return;
    if (this.#head < this.#queue.length) {
      this.#resolve = this.#reject = this.#waiting = undefined;
      resolve(this.#shift());
    } else if (this.#error !== undefined) {
      const reject = this.#reject as Reject;
      const error = this.#error;
      this.#error = undefined;
      this.#resolve = this.#reject = this.#waiting = undefined;
      reject(error);
    } else if (this.#ended) {
      this.#resolve = this.#reject = this.#waiting = undefined;
      resolve(DONE_RESULT as IteratorResult<T>);
    }
  }
}

const DONE_RESULT: IteratorResult<never> = Object.freeze({ value: undefined, done: true }) as IteratorResult<never>;

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 200 ? message.slice(0, 199) + '…' : message;
}
