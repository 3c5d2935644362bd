import type { ServerResponse } from 'node:http';

/**
 * Where a route writes its answer: straight to the Node response on the server (the fast
 * path, no Web `Response` conversion), or a Web `Response` under `app.request()`.
 */
export interface ResponseSink {
  /** True once `writeHead` was called. */
  readonly headersSent: boolean;
  /** True once the client went away (or the response was ended). */
  readonly closed: boolean;
  /** Characters written but not yet taken by the client's socket (0 when unknown). */
  readonly bufferedBytes: number;
  writeHead(status: number, headers: Record<string, string>): void;
  /** Writes and flushes; returns a promise only when the caller must wait for the socket to drain. */
  write(text: string): Promise<void> | undefined;
  end(text?: string): void;
  /** Drops the connection without ending the response properly (a client that stopped reading). */
  abort(): void;
  /** Called once when the client disconnects before the response finished. */
  onClientGone(listener: () => void): void;
}

/**
 * A sink over a Node `ServerResponse`. Texts written in the same turn of the event loop (the
 * chunks decoded from one upstream read) are joined and leave as one write: one socket
 * write and one HTTP chunk instead of one each. A class, not an
 * object literal, for the garbage collector's sake (docs/performance.md).
 */
export class NodeResponseSink implements ResponseSink {
  readonly #outgoing: ServerResponse;
  #clientGone: (() => void) | undefined;
  #gone = false;
  #pending = '';
  readonly #flush = (): void => {
    const text = this.#pending;
    this.#pending = '';
    const outgoing = this.#outgoing;
    if (text !== '' && !this.#gone && !outgoing.destroyed && !outgoing.writableEnded) outgoing.write(text);
  };

  constructor(outgoing: ServerResponse) {
    this.#outgoing = outgoing;
    outgoing.once('close', this.#onClose);
  }

  readonly #onClose = (): void => {
    if (this.#outgoing.writableFinished) return;
    this.#gone = true;
    this.#clientGone?.();
  };

  get headersSent(): boolean {
    return this.#outgoing.headersSent;
  }

  get closed(): boolean {
    return this.#gone || this.#outgoing.writableEnded || this.#outgoing.destroyed;
  }

  get bufferedBytes(): number {
    return this.#pending.length + this.#outgoing.writableLength;
  }

  writeHead(status: number, headers: Record<string, string>): void {
    this.#outgoing.writeHead(status, headers);
  }

  write(text: string): Promise<void> | undefined {
    const outgoing = this.#outgoing;
    if (this.#gone || outgoing.destroyed) return undefined;
    if (this.#pending === '') process.nextTick(this.#flush);
    this.#pending += text;
    if (!outgoing.writableNeedDrain) return undefined;
    return new Promise<void>((resolve) => {
      const done = () => {
        outgoing.off('drain', done);
        outgoing.off('close', done);
        resolve();
      };
      outgoing.on('drain', done);
      outgoing.on('close', done);
    });
  }

  end(text?: string): void {
    const outgoing = this.#outgoing;
    if (outgoing.writableEnded) return;
    const rest = this.#pending + (text ?? '');
    this.#pending = '';
    if (rest === '') outgoing.end();
    else outgoing.end(rest);
  }

  abort(): void {
    this.#pending = '';
    this.#outgoing.destroy();
  }

  onClientGone(listener: () => void): void {
    this.#clientGone = listener;
    if (this.#gone) listener();
  }
}

/**
 * A sink building a Web `Response` (used when no Node response exists, e.g. `app.request()`):
 * `response` resolves once `writeHead` was called, with the body streaming what follows.
 */
export class WebResponseSink implements ResponseSink {
  /** Resolves with the Response once `writeHead` was called. */
  readonly response: Promise<Response>;
  readonly #build: (body: ReadableStream<Uint8Array>, status: number, headers: Record<string, string>) => Response;
  readonly #encoder = new TextEncoder();
  readonly #body: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #resolveResponse!: (response: Response) => void;
  #clientGone: (() => void) | undefined;
  #gone = false;
  #ended = false;
  #headersSent = false;

  /** `build` turns status, headers and body into a Response (e.g. Hono's `c.body`). */
  constructor(build: (body: ReadableStream<Uint8Array>, status: number, headers: Record<string, string>) => Response) {
    this.#build = build;
    this.response = new Promise<Response>((resolve) => (this.#resolveResponse = resolve));
    this.#body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      cancel: () => {
        this.#gone = true;
        this.#clientGone?.();
      },
    });
  }

  get headersSent(): boolean {
    return this.#headersSent;
  }

  get closed(): boolean {
    return this.#gone || this.#ended;
  }

  get bufferedBytes(): number {
    return 0;
  }

  writeHead(status: number, headers: Record<string, string>): void {
    this.#headersSent = true;
    this.#resolveResponse(this.#build(this.#body, status, headers));
  }

  write(text: string): undefined {
    if (!this.#gone && !this.#ended) this.#controller.enqueue(this.#encoder.encode(text));
    return undefined;
  }

  end(text?: string): void {
    if (this.#ended) return;
    if (text !== undefined && !this.#gone) this.#controller.enqueue(this.#encoder.encode(text));
    this.#ended = true;
    if (!this.#gone) this.#controller.close();
  }

  abort(): void {
    if (this.#ended || this.#gone) return;
    this.#ended = true;
    this.#controller.error(new Error('The response was aborted.'));
  }

  onClientGone(listener: () => void): void {
    this.#clientGone = listener;
    if (this.#gone) listener();
  }
}
