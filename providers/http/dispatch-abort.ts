/**
 * The abort side of one request sent with undici's `dispatch()`, shared by the response
 * handlers: it listens to the caller's signal (as its own listener object, so no closure per
 * request), aborts the dispatch once undici hands over its controller, or at once when it
 * already has, and tells its owner so the owner can fail right away, even while the request
 * still waits for a connection.
 */
import type { Dispatcher } from 'undici';
import type { AbortSignalLike } from '../../src/contract/abort-latch.ts';

/**
 * One request's abort wiring. Create it in the handler's constructor, call `listen()` once the
 * handler is ready to fail, `attach()` from `onRequestStart`, and `stopListening()` when the
 * response is over.
 *
 * @example
 * ```ts
 * readonly #abort = new DispatchAbort(options.signal, (reason) => this.#fail(reason));
 * constructor(options) { …; this.#abort.listen(); }
 * onRequestStart(controller) { this.#abort.attach(controller); }
 * onResponseError(_controller, error) { this.#fail(this.#abort.aborted ? this.#abort.reason : error); }
 * ```
 */
export class DispatchAbort {
  /** True once aborted (by the signal or by `abort`). */
  aborted = false;
  /** Why it was aborted. */
  reason: unknown = undefined;
  readonly #signal: AbortSignalLike | undefined;
  readonly #onAbort: (reason: unknown) => void;
  #controller: Dispatcher.DispatchController | undefined;

  /** `onAbort` runs once, synchronously, when the request is aborted. */
  constructor(signal: AbortSignalLike | undefined, onAbort: (reason: unknown) => void) {
    this.#signal = signal;
    this.#onAbort = onAbort;
  }

  /** Starts listening to the signal; aborts at once when it already fired. */
  listen(): void {
    const signal = this.#signal;
    if (signal === undefined) return;
    if (signal.aborted) this.abort(signal.reason);
    else signal.addEventListener('abort', this);
  }

  /** Stops listening to the signal (the response is over). */
  stopListening(): void {
    this.#signal?.removeEventListener('abort', this);
  }

  /** undici's controller for this request (from `onRequestStart`); an abort that came first is applied now. */
  attach(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.aborted) controller.abort(this.reason as Error);
  }

  /** Aborts once with `reason`: undici closes the socket when the request holds one, and the owner hears it. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    // Synchronously reports back through the handler's onResponseError when the request is on a socket.
    this.#controller?.abort(reason as Error);
    this.#onAbort(reason);
  }

  /** The signal fired (EventListenerObject protocol). */
  handleEvent(): void {
    this.abort(this.#signal?.reason);
  }
}
