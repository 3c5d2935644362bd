/**
 * The one scripted upstream of the tests (adapter, router and gateway tests alike): `node:http` on
 * 127.0.0.1 with an ephemeral port, scripted per request (status, headers, body, chunks with delays,
 * hang, reset before or mid-stream, or a writer of its own) and recording every call it received,
 * including when the client closed the request's socket. `openai-upstream.ts` speaks OpenAI over it.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One step of a scripted streamed body. */
export type ScriptedChunk = string | Uint8Array | { delayMs: number };

/** How the server answers one request. */
export interface ScriptedResponse {
  /** Default 200. */
  status?: number;
  headers?: Record<string, string>;
  /** A string or bytes is sent as is; anything else as JSON. */
  body?: unknown;
  /** Streamed body parts, written in order; `{ delayMs }` pauses between them. */
  chunks?: ScriptedChunk[];
  /** Never answer (not even headers). */
  hang?: boolean;
  /** Destroy the socket instead of answering (a reset before the headers). */
  reset?: boolean;
  /** After the chunks, keep the response open instead of ending it. */
  hangAfterChunks?: boolean;
  /** After the chunks, destroy the socket (a reset mid-stream). */
  destroyAfterChunks?: boolean;
  /** Wait this long before answering at all (nothing is sent if the client went away meanwhile). */
  delayMs?: number;
  /** Writes the whole response itself (huge bodies, drips, other protocols); the other fields are ignored. */
  respond?: (response: ServerResponse) => void | Promise<void>;
}

/** A request the server received. */
export interface RecordedCall {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The client's port: equal ports mean a reused keep-alive connection. */
  remotePort: number;
  /** The body parsed as JSON (undefined when it was not JSON). */
  json: any;
  /** Resolves when the response's connection closed (the client aborted, or the response ended). */
  closed: Promise<void>;
  /** True once the connection closed before the response was complete (the client went away). */
  readonly abortedByClient: boolean;
}

/** A handler computing the response from the request. */
export type ScriptHandler = (call: RecordedCall) => ScriptedResponse;

/**
 * A scripted upstream. Queue responses with `enqueue` (consumed in order) or set a
 * `fallback` used when the queue is empty; read `calls` afterwards.
 *
 * @example
 * ```ts
 * const server = await startTestServer();
 * server.enqueue({ status: 200, body: { ok: true } });
 * // … point an adapter at server.baseURL …
 * expect(server.calls[0]?.json.model).toBe('gpt-4o-mini');
 * await server.close();
 * ```
 */
export class TestServer {
  readonly calls: RecordedCall[] = [];
  readonly #queue: Array<ScriptedResponse | ScriptHandler> = [];
  fallback: ScriptedResponse | ScriptHandler = { status: 404, body: { error: { message: 'no scripted response' } } };
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  /** `http://127.0.0.1:<port>` */
  origin = '';

  constructor() {
    this.#server = createServer((request, response) => this.#handle(request, response));
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  /** Number of open sockets to this server (keep-alive connections included). */
  get openSockets(): number {
    return this.#sockets.size;
  }

  /** Listens on 127.0.0.1 with an ephemeral port. */
  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  /** Queues the answer to the next request. */
  enqueue(...responses: Array<ScriptedResponse | ScriptHandler>): this {
    this.#queue.push(...responses);
    return this;
  }

  /** Stops listening, destroys every socket and pending timer. */
  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      const body = Buffer.concat(parts).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      let abortedByClient = false;
      const closed = new Promise<void>((resolve) =>
        response.on('close', () => {
          abortedByClient = !response.writableFinished;
          resolve();
        }),
      );
      const call: RecordedCall = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body,
        remotePort: request.socket.remotePort ?? 0,
        json,
        closed,
        get abortedByClient() {
          return abortedByClient;
        },
      };
      this.calls.push(call);
      const next = this.#queue.shift() ?? this.fallback;
      const script = typeof next === 'function' ? next(call) : next;
      this.#respond(script, response).catch(() => response.destroy());
    });
  }

  async #respond(script: ScriptedResponse, response: ServerResponse): Promise<void> {
    if (script.delayMs !== undefined) await this.#sleep(script.delayMs);
    if (response.destroyed) return;
    if (script.respond !== undefined) return script.respond(response);
    if (script.hang === true) return;
    if (script.reset === true) {
      response.socket?.destroy();
      return;
    }
    const headers: Record<string, string> = { ...script.headers };
    let payload: string | Uint8Array | undefined;
    if (script.body !== undefined) {
      if (typeof script.body === 'string' || script.body instanceof Uint8Array) {
        payload = script.body;
      } else {
        payload = JSON.stringify(script.body);
        headers['content-type'] ??= 'application/json';
      }
    }
    if (script.chunks !== undefined) headers['content-type'] ??= 'text/event-stream';
    response.writeHead(script.status ?? 200, headers);
    if (script.chunks === undefined) {
      response.end(payload);
      return;
    }
    response.flushHeaders();
    let lastWrite: Promise<void> = Promise.resolve();
    for (const chunk of script.chunks) {
      if (response.destroyed) return;
      if (typeof chunk === 'object' && !(chunk instanceof Uint8Array)) {
        await this.#sleep(chunk.delayMs);
      } else {
        lastWrite = new Promise((resolve) => response.write(chunk, () => resolve()));
      }
    }
    if (script.destroyAfterChunks === true) {
      // The written chunks reach the client first, then the reset (no timer: fake clocks stay usable).
      await lastWrite;
      response.socket?.destroy();
      return;
    }
    if (script.hangAfterChunks === true) return;
    response.end();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      this.#timers.add(timer);
    });
  }
}

/**
 * Starts a `TestServer` listening on an ephemeral port.
 *
 * @example
 * ```ts
 * const server = await startTestServer();
 * ```
 */
export async function startTestServer(): Promise<TestServer> {
  return new TestServer().listen();
}

/**
 * Formats SSE `data:` events (objects are JSON-encoded), e.g. for `ScriptedResponse.chunks`.
 *
 * @example
 * ```ts
 * sseData({ id: 'chatcmpl-1' }, '[DONE]'); // 'data: {"id":"chatcmpl-1"}\n\ndata: [DONE]\n\n'
 * ```
 */
export function sseData(...events: unknown[]): string {
  let text = '';
  for (const event of events) text += `data: ${typeof event === 'string' ? event : JSON.stringify(event)}\n\n`;
  return text;
}
