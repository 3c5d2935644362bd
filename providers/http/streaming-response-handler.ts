/**
 * A streamed response handler for undici's `dispatch()`: the body of a 2xx answer goes
 * straight from undici's parser into one `UpstreamBodySink` (the SSE chunk stream), with
 * undici's own pause and resume for back-pressure, instead of through a `Readable` per
 * response as `request()` builds. A non-2xx body is collected up to a limit by a
 * `BufferedResponseHandler`. The abort signal is wired by hand (the handler is its listener).
 */
import type { Dispatcher } from 'undici';
import type { AbortSignalLike } from '../../src/contract/abort-latch.ts';
import { DispatchAbort } from './dispatch-abort.ts';
import { BufferedResponseHandler, type BufferedResponse } from './buffered-response-handler.ts';
import type { ResponseHeaders } from './retry-after.ts';
import type { UpstreamBodySink, UpstreamBodySource } from './upstream-body.ts';

/** Options of `StreamingResponseHandler`. */
export interface StreamingResponseHandlerOptions {
  /** Aborting it aborts the request (its socket is closed); the handler listens until the body completed or failed. */
  signal?: AbortSignalLike;
  /** Bytes of a non-2xx body kept at most (see `BufferedResponseHandlerOptions.errorBodyLimit`). Default: unlimited. */
  errorBodyLimit?: number;
}

/** What the body did before a sink was attached, told to the sink when it comes. */
type EarlyOutcome = 'none' | 'end' | 'error';

/**
 * Streams one response for `Dispatcher#dispatch` (undici's controller-based handler API).
 * `response` resolves as soon as the headers of a 2xx answer are in (with an empty `text`;
 * the body is for the sink given to `attach`), or once the (bounded) body of a non-2xx answer
 * is read; it rejects with the transport error or the signal's reason when the request fails
 * before its headers. Create one per request.
 *
 * Until a sink is attached the body is held back: the first chunk is kept and reading stops.
 *
 * @example
 * ```ts
 * const handler = new StreamingResponseHandler({ signal: call.controller, errorBodyLimit: 64 * 1024 });
 * pool.dispatch({ path, method: 'POST', headers, body }, handler);
 * const { statusCode } = await handler.response;
 * if (statusCode >= 200 && statusCode < 300) handler.attach(sink);
 * ```
 */
export class StreamingResponseHandler implements Dispatcher.DispatchHandler, UpstreamBodySource {
  /** Settles once: when the headers of a 2xx answer or the whole of a non-2xx answer arrived, or on failure before. */
  readonly response: Promise<BufferedResponse>;
  readonly #abort: DispatchAbort;
  readonly #errorBodyLimit: number;
  #resolve!: (response: BufferedResponse | Promise<BufferedResponse>) => void;
  #reject!: (error: unknown) => void;
  #controller: Dispatcher.DispatchController | undefined;
  /** `response` is settled. */
  #started = false;
  /** The body completed or failed (or the request failed): nothing more will come. */
  #finished = false;
  /** Collects the body of a non-2xx answer. */
  #errorBody: BufferedResponseHandler | undefined;
  #sink: UpstreamBodySink | undefined;
  /** Chunks received before a sink was attached (reading is paused meanwhile). */
  #early: Buffer[] | undefined;
  #earlyOutcome: EarlyOutcome = 'none';
  #earlyError: unknown = undefined;
  /** The sink asked for a pause. */
  #sinkPaused = false;

  constructor(options: StreamingResponseHandlerOptions = {}) {
    this.response = new Promise<BufferedResponse>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#errorBodyLimit = options.errorBodyLimit ?? Number.POSITIVE_INFINITY;
    this.#abort = new DispatchAbort(options.signal, (reason) => this.#fail(reason));
    this.#abort.listen();
  }

  /** @inheritdoc */
  attach(sink: UpstreamBodySink): void {
    const early = this.#early;
    const outcome = this.#earlyOutcome;
    this.#early = undefined;
    this.#earlyOutcome = 'none';
    this.#sink = sink;
    if (early !== undefined) {
      for (const chunk of early) {
        // The sink may abort on a chunk; it has then been told through onError.
        if (this.#finished && outcome === 'none') return;
        sink.onBytes(chunk);
      }
    }
    if (outcome === 'end') sink.onEnd();
    else if (outcome === 'error') sink.onError(this.#earlyError);
    else if (early !== undefined && !this.#sinkPaused && !this.#finished) this.#controller?.resume();
  }

  /** @inheritdoc */
  pause(): void {
    this.#sinkPaused = true;
    this.#controller?.pause();
  }

  /** @inheritdoc */
  resume(): void {
    this.#sinkPaused = false;
    if (!this.#finished) this.#controller?.resume();
  }

  /**
   * Aborts the request with `reason`: before the headers `response` rejects with it at once
   * (even while the request still waits for a connection); after them the sink hears it
   * through `onError`. undici closes the socket once the request holds one. A no-op once
   * the body completed or failed.
   */
  abort(reason: unknown): void {
    if (!this.#finished) this.#abort.abort(reason);
  }

  /** undici: the request is about to be written; an abort that came first is applied now. */
  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    this.#abort.attach(controller);
  }

  /** undici: status and headers arrived (1xx informational answers are skipped). */
  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: ResponseHeaders): void {
    if (statusCode < 200 || this.#started) return;
    this.#started = true;
    if (statusCode < 300) {
      this.#resolve({ statusCode, headers, text: '' });
      return;
    }
    const errorBody = new BufferedResponseHandler({ errorBodyLimit: this.#errorBodyLimit });
    this.#errorBody = errorBody;
    errorBody.onRequestStart(controller);
    errorBody.onResponseStart(controller, statusCode, headers);
    this.#resolve(errorBody.response);
  }

  /** undici: one body chunk. */
  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#finished) return;
    const sink = this.#sink;
    if (sink !== undefined) {
      sink.onBytes(chunk);
      return;
    }
    const errorBody = this.#errorBody;
    if (errorBody !== undefined) {
      errorBody.onResponseData(controller, chunk);
      return;
    }
    // No sink yet: keep the chunk and stop reading until one is attached.
    (this.#early ??= []).push(chunk);
    controller.pause();
  }

  /** undici: the body is complete. */
  onResponseEnd(): void {
    if (this.#finished) return;
    this.#finish();
    const sink = this.#sink;
    if (sink !== undefined) sink.onEnd();
    else if (this.#errorBody !== undefined) this.#errorBody.onResponseEnd();
    else this.#earlyOutcome = 'end';
  }

  /** undici: the request failed (transport error, or an abort). */
  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.#errorBody?.onResponseError(controller, error);
    this.#fail(this.#abort.aborted ? this.#abort.reason : error);
  }

  #fail(error: unknown): void {
    if (this.#finished) return;
    this.#finish();
    if (!this.#started) {
      this.#started = true;
      this.#reject(error);
      return;
    }
    const sink = this.#sink;
    if (sink !== undefined) {
      sink.onError(error);
    } else if (this.#errorBody === undefined) {
      this.#earlyOutcome = 'error';
      this.#earlyError = error;
    }
  }

  #finish(): void {
    this.#finished = true;
    this.#abort.stopListening();
  }
}
