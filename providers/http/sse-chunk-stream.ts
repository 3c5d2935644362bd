/**
 * The pull side of an upstream SSE response: the socket's bytes are pushed in by the body's
 * source as they arrive, parsed, translated into chunks by a per-protocol translator, queued
 * (bounded: the source is paused when the consumer lags, so the upstream sees back-pressure),
 * and handed out by `next()`. Nothing buffers the whole stream.
 */
import { ProviderError } from '../../src/contract/provider-error.ts';
import { SseParser, type SseEvent } from './sse-parser.ts';
import type { UpstreamBodySink, UpstreamBodySource } from './upstream-body.ts';
import type { UpstreamCall } from './upstream-call.ts';

/** Chunks queued beyond this pause the upstream body until the consumer catches up. */
export const SSE_CHUNK_HIGH_WATER_MARK = 64;

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
   * event, anything else for a malformed event (reported as kind `protocol`).
   */
  translate(event: SseEvent, output: SseChunkOutput<T>): boolean;
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
  readonly #parser = new SseParser();
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
  constructor(call: UpstreamCall, body: UpstreamBodySource, translator: SseChunkTranslator<T>) {
    this.#call = call;
    this.#body = body;
    this.#translator = translator;
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
    this.#call.refresh();
    const events = this.#parser.push(bytes);
    for (let index = 0; index < events.length; index++) {
      let finished: boolean;
      try {
        finished = this.#translator.translate(events[index] as SseEvent, this.#output);
      } catch (error) {
        this.#fail(
          error instanceof ProviderError
            ? error
            : new ProviderError(`${this.#call.provider}: malformed stream event: ${describe(error)}`, {
                kind: 'protocol',
                provider: this.#call.provider,
                cause: error,
              }),
        );
        return;
      }
      if (finished) {
        this.#ended = true;
        break;
      }
    }
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
    this.#fail(
      new ProviderError(
        `${this.#call.provider}: upstream stream ended before its end event${cleanEnd ? '' : ' (in the middle of an event)'}`,
        { kind: 'protocol', provider: this.#call.provider },
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
