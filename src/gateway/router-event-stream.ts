import { PATTERN_SCRUBBER, type SecretScrubber } from '../contract/secret-scrubber.ts';
import type { Handler } from 'hono';
import type { RouterEvents } from '../router/types.ts';
import { ALREADY_SENT_RESPONSE } from './already-sent-response.ts';
import type { GatewayEnv } from './gateway-env.ts';
import { GatewayError } from './openai-error.ts';
import { NodeResponseSink, WebResponseSink, type ResponseSink } from './response-sink.ts';
import { SSE_HEADERS } from './sse-headers.ts';

/** The router's event subscription, as this module needs it. */
export interface RouterEventSubscription {
  on<Name extends keyof RouterEvents>(name: Name, listener: (event: RouterEvents[Name]) => void): unknown;
  off<Name extends keyof RouterEvents>(name: Name, listener: (event: RouterEvents[Name]) => void): unknown;
}

/** Options of `createRouterEventStream`. */
export interface RouterEventStreamOptions {
  router: RouterEventSubscription;
  /** Interval of the `: keep-alive` comment that keeps proxies from closing an idle stream. Default 15000 ms. */
  keepAliveMs?: number;
  /** Bytes one connection may hold while its client reads slower than events arrive; beyond, it is closed. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Concurrent event streams; more get 503. Default 32. */
  maxConnections?: number;
  /** Scrubs secrets from every event's text (e.g. an attempt's `previousError`). Default: credential patterns. */
  scrubber?: SecretScrubber;
}

/** The `GET /admin/events` stream of router events and its connections. */
export interface RouterEventStream {
  /** The route handler (mount it behind the admin token). */
  readonly handler: Handler<GatewayEnv>;
  /** Open event streams now. */
  readonly connections: number;
  /** Ends every open stream and refuses new ones (shutdown). */
  close(): void;
}

/** Router events forwarded to the stream. */
const FORWARDED_EVENTS = [
  'circuitStateChange',
  'result',
  'attempt',
  'providerRegistered',
  'providerUnregistered',
  'reconfigured',
] as const satisfies ReadonlyArray<keyof RouterEvents>;

const KEEP_ALIVE = ': keep-alive\n\n';

/**
 * Serialises an event payload once for every connection. Only plain data leaves: a field that
 * holds an object with its own prototype (an error, say) is dropped, so nothing an upstream
 * said reaches the stream unscrubbed.
 */
function serialise(payload: unknown): string {
  return JSON.stringify(payload, (key, value: unknown) => {
    if (key === '' || value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const prototype: unknown = Object.getPrototypeOf(value);
    return prototype === Object.prototype || prototype === null ? value : undefined;
  });
}

/** One open stream: writes through its sink; ends itself when its client falls too far behind. */
class EventConnection {
  readonly #sink: ResponseSink;
  readonly #maxBufferedBytes: number;
  readonly #onEnd: () => void;
  #ended = false;
  readonly ended: Promise<void>;
  #resolveEnded!: () => void;

  constructor(sink: ResponseSink, maxBufferedBytes: number, onEnd: () => void) {
    this.#sink = sink;
    this.#maxBufferedBytes = maxBufferedBytes;
    this.#onEnd = onEnd;
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve));
    sink.onClientGone(() => this.end());
  }

  send(text: string): void {
    if (this.#ended) return;
    const sink = this.#sink;
    if (sink.closed) {
      this.end();
      return;
    }
    // A client this far behind is dropped rather than buffered without bound; it reconnects and reloads.
    if (sink.bufferedBytes + text.length > this.#maxBufferedBytes) {
      this.end(true);
      return;
    }
    void sink.write(text);
  }

  /** Ends the stream; `drop` cuts the connection instead of flushing what is buffered. */
  end(drop = false): void {
    if (this.#ended) return;
    this.#ended = true;
    if (drop) this.#sink.abort();
    else this.#sink.end();
    this.#onEnd();
    this.#resolveEnded();
  }
}

/**
 * `GET /admin/events`: router events as Server-Sent Events (`event: circuitStateChange`,
 * `result`, `attempt`, `providerRegistered`, `providerUnregistered`, `reconfigured`; `data:` their JSON), with a
 * `: keep-alive` comment every `keepAliveMs`. Subscribes to the router only while a stream is
 * open; each event is serialised once for all streams. A client that falls more than
 * `maxBufferedBytes` behind is disconnected rather than buffered without bound.
 *
 * @example
 * ```ts
 * const events = createRouterEventStream({ router });
 * adminApp.get('/events', events.handler);
 * // on shutdown: events.close();
 * ```
 */
export function createRouterEventStream(options: RouterEventStreamOptions): RouterEventStream {
  const { router } = options;
  const scrubber = options.scrubber ?? PATTERN_SCRUBBER;
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
  const maxConnections = options.maxConnections ?? 32;
  const connections = new Set<EventConnection>();
  let closed = false;
  let sequence = 0;
  let keepAliveTimer: ReturnType<typeof setInterval> | undefined;

  const broadcast = (text: string) => {
    for (const connection of connections) connection.send(text);
  };
  const listeners = FORWARDED_EVENTS.map((name) => {
    const listener = (payload: unknown) => {
      sequence += 1;
      broadcast(`id: ${sequence}\nevent: ${name}\ndata: ${scrubber.scrub(serialise(payload))}\n\n`);
    };
    return [name, listener] as const;
  });

  const subscribe = () => {
    for (const [name, listener] of listeners) router.on(name, listener);
    keepAliveTimer = setInterval(() => broadcast(KEEP_ALIVE), keepAliveMs);
    keepAliveTimer.unref?.();
  };
  const unsubscribe = () => {
    for (const [name, listener] of listeners) router.off(name, listener);
    clearInterval(keepAliveTimer);
    keepAliveTimer = undefined;
  };

  const handler: Handler<GatewayEnv> = async (context) => {
    if (closed)
      throw new GatewayError(503, 'The server is shutting down.', {
        type: 'server_error',
        code: 'server_shutting_down',
      });
    if (connections.size >= maxConnections)
      throw new GatewayError(503, `Too many event streams open (at most ${maxConnections}).`, {
        type: 'server_error',
        code: 'too_many_event_streams',
      });
    const outgoing = context.env?.outgoing;
    const webSink =
      outgoing === undefined
        ? new WebResponseSink((body, status, headers) => context.body(body, status as 200, headers))
        : undefined;
    const sink: ResponseSink = webSink ?? new NodeResponseSink(outgoing!);
    const connection = new EventConnection(sink, maxBufferedBytes, () => {
      connections.delete(connection);
      if (connections.size === 0) unsubscribe();
    });
    if (connections.size === 0) subscribe();
    connections.add(connection);
    sink.writeHead(200, SSE_HEADERS);
    connection.send(`retry: 2000\n: connected\n\n`);
    if (webSink !== undefined) return webSink.response;
    await connection.ended;
    return ALREADY_SENT_RESPONSE;
  };

  return {
    handler,
    get connections() {
      return connections.size;
    },
    close() {
      closed = true;
      for (const connection of [...connections]) connection.end();
    },
  };
}
