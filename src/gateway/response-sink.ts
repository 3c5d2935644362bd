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
  writeHead(status: number, headers: Record<string, string>): void;
  /** Writes and flushes; returns a promise only when the caller must wait for the socket to drain. */
  write(text: string): Promise<void> | undefined;
  end(text?: string): void;
  /** Called once when the client disconnects before the response finished. */
  onClientGone(listener: () => void): void;
}

/**
 * A sink over a Node `ServerResponse`. Texts written in the same turn of the event loop (the
 * chunks decoded from one upstream read) are joined and leave as one write: one socket
 * write and one HTTP chunk instead of one each.
 */
export function createNodeSink(outgoing: ServerResponse): ResponseSink {
  let clientGone: (() => void) | undefined;
  let gone = false;
  let pending = '';
  const flush = () => {
    const text = pending;
    pending = '';
    if (text !== '' && !gone && !outgoing.destroyed && !outgoing.writableEnded) outgoing.write(text);
  };
  outgoing.once('close', () => {
    if (!outgoing.writableFinished) {
      gone = true;
      clientGone?.();
    }
  });
  return {
    get headersSent() {
      return outgoing.headersSent;
    },
    get closed() {
      return gone || outgoing.writableEnded || outgoing.destroyed;
    },
    writeHead(status, headers) {
      outgoing.writeHead(status, headers);
    },
    write(text) {
      if (gone || outgoing.destroyed) return undefined;
      if (pending === '') process.nextTick(flush);
      pending += text;
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
    },
    end(text) {
      if (outgoing.writableEnded) return;
      const rest = pending + (text ?? '');
      pending = '';
      if (rest === '') outgoing.end();
      else outgoing.end(rest);
    },
    onClientGone(listener) {
      clientGone = listener;
      if (gone) listener();
    },
  };
}

/** A sink building a Web `Response` (used when no Node response exists, e.g. `app.request()`). */
export interface WebSink extends ResponseSink {
  /** Resolves with the Response once `writeHead` was called. */
  readonly response: Promise<Response>;
}

/** Creates a `WebSink`; `build` turns status, headers and body into a Response (e.g. `c.body`). */
export function createWebSink(build: (body: ReadableStream<Uint8Array>, status: number, headers: Record<string, string>) => Response): WebSink {
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let clientGone: (() => void) | undefined;
  let gone = false;
  let ended = false;
  let headersSent = false;
  let resolveResponse!: (response: Response) => void;
  const response = new Promise<Response>((resolve) => (resolveResponse = resolve));
  const body = new ReadableStream<Uint8Array>({
    start(streamController) {
      controller = streamController;
    },
    cancel() {
      gone = true;
      clientGone?.();
    },
  });
  return {
    response,
    get headersSent() {
      return headersSent;
    },
    get closed() {
      return gone || ended;
    },
    writeHead(status, headers) {
      headersSent = true;
      resolveResponse(build(body, status, headers));
    },
    write(text) {
      if (!gone && !ended) controller.enqueue(encoder.encode(text));
      return undefined;
    },
    end(text) {
      if (ended) return;
      if (text !== undefined && !gone) controller.enqueue(encoder.encode(text));
      ended = true;
      if (!gone) controller.close();
    },
    onClientGone(listener) {
      clientGone = listener;
      if (gone) listener();
    },
  };
}
