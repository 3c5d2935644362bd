import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Options of `ConnectionDrainer.drain`. */
export interface DrainOptions {
  /**
   * Called when `timeoutMs` is over, before anything is cut: responses still running may end
   * themselves properly (a stream's last error event); their connections close once they flushed.
   */
  onDeadline?: () => void;
  /** How long the responses ended by `onDeadline` get to flush before their sockets are destroyed. Default 250 ms. */
  flushMs?: number;
}

/** Tracks a server's connections so a shutdown can drain them. */
export interface ConnectionDrainer {
  /**
   * Stops accepting, closes every connection with no request in progress (idle keep-alive
   * sockets, and sockets a client opened but never used), lets the requests in progress —
   * streams included — finish, closing each connection as its last response ends, and after
   * `timeoutMs` destroys whatever is left. Resolves when the server is closed.
   */
  drain(timeoutMs: number, options?: DrainOptions): Promise<void>;
  /** Requests in progress now. */
  readonly activeRequests: number;
}

/**
 * Attaches connection tracking to a server (call before it accepts connections).
 *
 * @example
 * ```ts
 * const drainer = trackConnections(server);
 * process.once('SIGTERM', () => drainer.drain(10_000).then(() => process.exit(0)));
 * ```
 */
export function trackConnections(server: Server): ConnectionDrainer {
  const active = new Map<Socket, number>();
  let draining = false;
  let activeRequests = 0;

  server.on('connection', (socket: Socket) => {
    active.set(socket, 0);
    socket.once('close', () => active.delete(socket));
    if (draining) socket.destroy();
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    active.set(socket, (active.get(socket) ?? 0) + 1);
    activeRequests += 1;
    if (draining) response.setHeader('connection', 'close');
    let done = false;
    const finished = () => {
      if (done) return;
      done = true;
      activeRequests -= 1;
      const remaining = (active.get(socket) ?? 1) - 1;
      if (active.has(socket)) active.set(socket, remaining);
      if (draining && remaining === 0) socket.destroySoon();
    };
    response.once('finish', finished);
    response.once('close', finished);
  });

  return {
    get activeRequests() {
      return activeRequests;
    },
    drain(timeoutMs, options = {}) {
      return new Promise<void>((resolve) => {
        draining = true;
        if (!server.listening) {
          for (const socket of active.keys()) socket.destroy();
          resolve();
          return;
        }
        const cut = () => {
          for (const socket of active.keys()) socket.destroy();
        };
        let flush: ReturnType<typeof setTimeout> | undefined;
        const deadline = setTimeout(() => {
          if (options.onDeadline === undefined) {
            cut();
            return;
          }
          options.onDeadline();
          flush = setTimeout(cut, options.flushMs ?? 250);
        }, timeoutMs);
        server.close(() => {
          clearTimeout(deadline);
          clearTimeout(flush);
          resolve();
        });
        for (const [socket, requests] of active) if (requests === 0) socket.destroySoon();
      });
    },
  };
}
