/**
 * A whole-body response handler for undici's `dispatch()`: the non-streamed hot path. It
 * collects the body's chunks in an array and decodes them once at the end, instead of
 * building a `Readable` per response and draining it through its events and consume
 * promise as `request()` + `body.text()` do. The abort signal is wired by hand (the
 * handler is the signal's listener), and a non-2xx body is read only up to a limit.
 */
import type { Dispatcher } from 'undici';
import type { AbortSignalLike } from '../../src/contract/abort-latch.ts';
import { DispatchAbort } from './dispatch-abort.ts';
import type { ResponseHeaders } from './retry-after.ts';

/** A complete upstream response: status, headers (lower-case names) and the body as text. */
export interface BufferedResponse {
  statusCode: number;
  headers: ResponseHeaders;
  /** The UTF-8 body, a leading byte order mark skipped (as undici's `body.text()` does). */
  text: string;
}

/** Options of `BufferedResponseHandler`. */
export interface BufferedResponseHandlerOptions {
  /** Aborting it aborts the request (its socket is closed); the handler stops listening once settled. */
  signal?: AbortSignalLike;
  /**
   * Bytes of a non-2xx body kept at most; past that the request is aborted and the response
   * resolves with the kept prefix. A non-2xx response that fails mid-body also resolves with
   * what arrived (its status already says what happened). Default: unlimited.
   */
  errorBodyLimit?: number;
  /**
   * Bytes of a 2xx body accepted at most; past that (or when `content-length` already says more) the request
   * is aborted and `response` rejects with a `ResponseTooLargeError`. Default: unlimited.
   */
  bodyLimit?: number;
}

/** A 2xx body was longer than `BufferedResponseHandlerOptions.bodyLimit`; nothing of it is kept. */
export class ResponseTooLargeError extends Error {
  override readonly name = 'ResponseTooLargeError';
  /** The limit that was passed, in bytes. */
  readonly limit: number;

  constructor(limit: number) {
    super(`the upstream response is larger than ${limit} bytes`);
    this.limit = limit;
  }
}

const NO_HEADERS: ResponseHeaders = Object.freeze({}) as ResponseHeaders;
const UTF8_BOM_LENGTH = 3;

/**
 * Collects one response for `Dispatcher#dispatch` (undici's controller-based handler API)
 * and settles `response`: resolved when the body completed, rejected with the transport
 * error or the signal's reason otherwise. Create one per request.
 *
 * @example
 * ```ts
 * const handler = new BufferedResponseHandler({ signal: call.controller, errorBodyLimit: 64 * 1024 });
 * pool.dispatch({ path, method: 'POST', headers, body }, handler);
 * const { statusCode, headers, text } = await handler.response;
 * ```
 */
export class BufferedResponseHandler implements Dispatcher.DispatchHandler {
  /** Settles once: the complete response, or the failure. */
  readonly response: Promise<BufferedResponse>;
  readonly #abort: DispatchAbort;
  readonly #errorBodyLimit: number;
  readonly #bodyLimit: number;
  #resolve!: (response: BufferedResponse) => void;
  #reject!: (error: unknown) => void;
  #settled = false;
  #statusCode = 0;
  #headers: ResponseHeaders = NO_HEADERS;
  #chunks: Buffer[] = [];
  #length = 0;
  /** Body bytes still accepted: the 2xx body limit, or the error body limit once the status says non-2xx. */
  #room: number;

  constructor(options: BufferedResponseHandlerOptions = {}) {
    this.response = new Promise<BufferedResponse>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#errorBodyLimit = options.errorBodyLimit ?? Number.POSITIVE_INFINITY;
    this.#bodyLimit = options.bodyLimit ?? Number.POSITIVE_INFINITY;
    this.#room = this.#bodyLimit;
    this.#abort = new DispatchAbort(options.signal, (reason) => this.#fail(reason));
    this.#abort.listen();
  }

  /**
   * Aborts the request with `reason`: `response` rejects with it at once (even while the
   * request still waits for a connection), and undici closes the socket once it holds one.
   */
  abort(reason: unknown): void {
    this.#abort.abort(reason);
  }

  /** undici: the request is about to be written; an abort that came first is applied now. */
  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#abort.attach(controller);
  }

  /** undici: status and headers arrived (1xx informational answers are skipped). */
  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: ResponseHeaders): void {
    if (statusCode < 200) return;
    this.#statusCode = statusCode;
    this.#headers = headers;
    if (statusCode >= 300) {
      this.#room = this.#errorBodyLimit;
      return;
    }
    const declared = headers['content-length'];
    if (declared !== undefined && Number(declared) > this.#bodyLimit) this.#refuse(controller);
  }

  /** undici: one body chunk. */
  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled) return;
    if (chunk.length <= this.#room) {
      this.#chunks.push(chunk);
      this.#length += chunk.length;
      this.#room -= chunk.length;
      return;
    }
    if (this.#statusCode < 300) {
      this.#refuse(controller);
      return;
    }
    // A non-2xx body past its limit: keep the prefix, answer now, and free the socket.
    if (this.#room > 0) {
      this.#chunks.push(chunk.subarray(0, this.#room));
      this.#length += this.#room;
      this.#room = 0;
    }
    this.#succeed();
    controller.abort(new Error('upstream error body longer than the limit; the rest is discarded'));
  }

  /** undici: the body is complete. */
  onResponseEnd(): void {
    this.#succeed();
  }

  /** undici: the request failed (transport error, or our own abort). */
  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#fail(this.#abort.aborted ? this.#abort.reason : error);
  }

  /** A 2xx body over the limit: drop what was kept, fail, and close the socket. */
  #refuse(controller: Dispatcher.DispatchController): void {
    this.#chunks = [];
    this.#length = 0;
    const error = new ResponseTooLargeError(this.#bodyLimit);
    this.#fail(error);
    controller.abort(error);
  }

  #succeed(): void {
    if (this.#settled) return;
    this.#settle();
    this.#resolve({ statusCode: this.#statusCode, headers: this.#headers, text: this.#text() });
  }

  #fail(error: unknown): void {
    if (this.#settled) return;
    // Bodies of non-2xx answers only add detail to the status: a broken one still answers.
    if (this.#statusCode >= 300) {
      this.#succeed();
      return;
    }
    this.#settle();
    this.#reject(error);
  }

  #settle(): void {
    this.#settled = true;
    this.#abort.stopListening();
  }

  #text(): string {
    const chunks = this.#chunks;
    this.#chunks = [];
    if (chunks.length === 0) return '';
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#length);
    const start =
      body.length >= UTF8_BOM_LENGTH && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? UTF8_BOM_LENGTH : 0;
    return body.toString('utf8', start);
  }
}
