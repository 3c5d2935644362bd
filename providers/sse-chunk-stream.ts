/**
 * The pull side of an upstream SSE response: the socket's bytes are parsed as they arrive,
 * translated into chunks by a per-protocol translator, queued (bounded: the upstream body is
 * paused when the consumer lags), and handed out by `next()`. Nothing buffers the whole stream.
 */
import type { Readable } from 'node:stream';
import { ProviderError } from './provider-error.ts';
import { SseParser, type SseEvent } from './sse-parser.ts';
import type { UpstreamCall } from './upstream-call.ts';

/** Chunks queued beyond this pause the upstream body until the consumer catches up. */
const HIGH_WATER_MARK = 64;

/** Turns one protocol's SSE events into chunks. One instance per stream (it may keep state). */
export interface SseChunkTranslator<T> {
  /**
   * Translates one event, pushing zero or more chunks onto `output`. Returns true when the
   * event ends the stream (`[DONE]`, `message_stop`). Throws a `ProviderError` for an error
   * event, anything else for a malformed event (reported as kind `protocol`).
   */
  translate(event: SseEvent, output: T[]): boolean;
}

type Resolve<T> = (result: IteratorResult<T>) => void;
type Reject = (error: unknown) => void;

/**
 * An async iterator of chunks over an upstream SSE body. Ends when the translator reports
 * the end event; a body that ends before it, a malformed event or a broken socket throws a
 * `ProviderError` from `next()` (after the chunks already received). `return()` (a `break` in
 * `for await`) destroys the upstream body, which closes the upstream request.
 *
 * @example
 * ```ts
 * const stream = new SseChunkStream(call, response.body, new OpenAIChunkTranslator(provider));
 * for await (const chunk of stream) process(chunk);
 * ```
 */
export class SseChunkStream<T> implements AsyncIterableIterator<T> {
  readonly #call: UpstreamCall;
  readonly #body: Readable;
  readonly #translator: SseChunkTranslator<T>;
  readonly #parser = new SseParser();
  #queue: T[] = [];
  #head = 0;
  /** No more chunks will be added: the end event arrived, or the stream failed or was returned. */
  #ended = false;
  #error: ProviderError | undefined;
  #paused = false;
  #resolve: Resolve<T> | undefined;
  #reject: Reject | undefined;
  /** The promise handed to the consumer waiting in `next()`, if any. */
  #waiting: Promise<IteratorResult<T>> | undefined;

  constructor(call: UpstreamCall, body: Readable, translator: SseChunkTranslator<T>) {
    this.#call = call;
    this.#body = body;
    this.#translator = translator;
    body.on('data', this.#onData);
    body.on('end', this.#onEnd);
    body.on('error', this.#onError);
    body.on('close', this.#onClose);
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
      this.#body.resume();
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

  /** Stops early: destroys the upstream body (closing the upstream request) and drops queued chunks. */
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
    this.#head = 0;
    this.#error = undefined;
    if (!this.#body.destroyed && !this.#body.readableEnded) {
      this.#ended = true;
      this.#body.destroy();
    }
    this.#ended = true;
    this.#call.finish();
    this.#settleWaiting();
  }

  #shift(): IteratorResult<T> {
    const value = this.#queue[this.#head++] as T;
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    }
    return { value, done: false };
  }

  readonly #onData = (bytes: Buffer): void => {
    if (this.#ended) return; // After the end event: drain the rest so the connection can be reused.
    this.#call.refresh();
    const events = this.#parser.push(bytes);
    for (let index = 0; index < events.length; index++) {
      let finished: boolean;
      try {
        finished = this.#translator.translate(events[index] as SseEvent, this.#queue);
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
    if (!this.#ended && !this.#paused && this.#queue.length - this.#head >= HIGH_WATER_MARK) {
      // The consumer lags: stop reading, and stop counting the upstream's silence against it.
      this.#paused = true;
      this.#call.suspend();
      this.#body.pause();
    }
  };

  readonly #onEnd = (): void => {
    this.#call.finish();
    if (this.#ended) return;
    const cleanEnd = this.#parser.finish();
    this.#fail(
      new ProviderError(
        `${this.#call.provider}: upstream stream ended before its end event${cleanEnd ? '' : ' (in the middle of an event)'}`,
        { kind: 'protocol', provider: this.#call.provider },
      ),
    );
  };

  readonly #onError = (error: Error): void => {
    if (this.#ended) {
      this.#call.finish();
      return;
    }
    this.#fail(this.#call.failure(error));
  };

  readonly #onClose = (): void => {
    if (!this.#ended) {
      // Closed without 'end' or 'error' (destroyed from outside): the stream is broken.
      this.#fail(this.#call.failure(new Error('upstream body closed before the end of the stream')));
    }
    this.#call.finish();
  };

  #fail(error: ProviderError): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    if (!this.#body.destroyed) this.#body.destroy();
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
