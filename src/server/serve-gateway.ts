import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trackConnections } from '../gateway/connection-drainer.ts';
import { createHttpServer, HTTP_SERVER_DEFAULTS, type HttpServerOptions } from './http-server.ts';

/** Default listen address of `startServer` and the `switchboard` command. */
export const DEFAULT_HOST = '127.0.0.1';
/** Default port of `startServer` and the `switchboard` command. */
export const DEFAULT_PORT = 8787;
/** How long a shutdown waits for in-flight requests and streams before cutting them. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;

/** What `serveGateway` serves: an app's `fetch`, and what to close once the server has drained. */
export interface ServableGateway {
  app: { fetch: (request: Request, env?: never) => Response | Promise<Response> };
  /** Told when the shutdown begins and when its drain limit is over (see `ServerLifecycle`). */
  lifecycle?: { beginShutdown(): void; expireDrain(): void };
  close(): Promise<void>;
}

/** Where and how `serveGateway` listens. */
export interface ServeOptions {
  /** Port; 0 picks a free one. Default 8787. */
  port?: number;
  /** Host. Default 127.0.0.1. */
  host?: string;
  /** Bound of the graceful drain on `close()`. Default 10000 ms. */
  drainTimeoutMs?: number;
  /** Listen queue length (`server.backlog`). Default 4096. */
  backlog?: number;
  /** Connection, header and keep-alive limits of the HTTP server (`server.*`); see `createHttpServer`. */
  limits?: Omit<HttpServerOptions, 'fetch'>;
}

/** A listening gateway server. */
export interface ServingGateway {
  server: Server;
  host: string;
  port: number;
  /** `http://host:port`. */
  url: string;
  /**
   * Graceful stop: stops accepting, lets in-flight requests and streams finish (at most
   * `drainTimeoutMs`, then cuts them), then closes the gateway (health checker, provider pools).
   */
  close(): Promise<void>;
}

/**
 * Listens with a built gateway on a hardened Node HTTP server (see `createHttpServer`) whose
 * connections are tracked for a bounded drain. When listening fails (port taken), closes the gateway and throws.
 *
 * @example
 * ```ts
 * const serving = await serveGateway(await bootstrap(), { port: 0 });
 * await serving.close();
 * ```
 */
export async function serveGateway(gateway: ServableGateway, options: ServeOptions = {}): Promise<ServingGateway> {
  const host = options.host ?? DEFAULT_HOST;
  const requestedPort = options.port ?? DEFAULT_PORT;
  const server = createHttpServer({
    maxBodyBytes: 10 * 1024 * 1024,
    ...options.limits,
    fetch: gateway.app.fetch as (request: Request) => Response,
  });
  const drainer = trackConnections(server);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: requestedPort, host, backlog: options.backlog ?? HTTP_SERVER_DEFAULTS.backlog }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await gateway.close();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
  let closing: Promise<void> | undefined;
  const lifecycle = gateway.lifecycle;
  const close = () => {
    if (closing !== undefined) return closing;
    // Event streams end at once (they never finish on their own); chat streams get the drain limit.
    lifecycle?.beginShutdown();
    closing = drainer
      .drain(drainTimeoutMs, lifecycle === undefined ? {} : { onDeadline: () => lifecycle.expireDrain() })
      .then(() => gateway.close());
    return closing;
  };
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return { server, host, port, url: `http://${urlHost}:${port}`, close };
}
