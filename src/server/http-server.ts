/**
 * The Node HTTP server the gateway listens with, hardened against hostile clients: connection,
 * header and keep-alive limits set deliberately (not Node's defaults), requests Node's parser
 * rejects answered with an OpenAI-shaped JSON body instead of a bare status line, and requests
 * without a `Host` header refused the same way.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createAdaptorServer } from '@hono/node-server';
import { openAIErrorBody } from '../gateway/openai-error.ts';

/** Defaults of the listening limits (`server.*` in the config). */
export const HTTP_SERVER_DEFAULTS = Object.freeze({
  backlog: 4096,
  maxConnections: 10_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 65_000,
  requestTimeoutMs: 60_000,
});

/** How often Node checks the header and request timeouts; a dribbling client is cut at most this late. */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

/** Options of `createHttpServer`. */
export interface HttpServerOptions {
  /** The app's fetch handler (`app.fetch`). */
  fetch: Parameters<typeof createAdaptorServer>[0]['fetch'];
  /** Most open connections; more are closed at once by Node. Default 10000. */
  maxConnections?: number | undefined;
  /** A client must send its whole header block within this; else 408 and the socket is closed. Default 10000. */
  headersTimeoutMs?: number | undefined;
  /** An idle keep-alive connection is closed after this. Default 65000 (longer than common load balancers' 60 s, so they close first). */
  keepAliveTimeoutMs?: number | undefined;
  /** A client must send its whole request (headers and body) within this. Default 60000. */
  requestTimeoutMs?: number | undefined;
  /** Largest accepted body: a declared `Content-Length` over it that Node cannot even parse gets 413. */
  maxBodyBytes: number;
}

/**
 * Creates (does not listen) the gateway's HTTP server: `@hono/node-server`'s adaptor with the
 * limits above, a `clientError` handler and the missing-`Host` guard. Listen with
 * `server.listen({ port, host, backlog })`.
 *
 * @example
 * ```ts
 * const server = createHttpServer({ fetch: app.fetch, maxBodyBytes: 10_485_760 });
 * server.listen({ port: 8787, host: '127.0.0.1', backlog: 4096 });
 * ```
 */
export function createHttpServer(options: HttpServerOptions): Server {
  const headersTimeout = options.headersTimeoutMs ?? HTTP_SERVER_DEFAULTS.headersTimeoutMs;
  const server = createAdaptorServer({
    fetch: options.fetch,
    serverOptions: {
      headersTimeout,
      requestTimeout: Math.max(options.requestTimeoutMs ?? HTTP_SERVER_DEFAULTS.requestTimeoutMs, headersTimeout),
      keepAliveTimeout: options.keepAliveTimeoutMs ?? HTTP_SERVER_DEFAULTS.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_INTERVAL_MS, headersTimeout),
      // Node would answer a missing Host with a bare 400; the guard below answers it in the API's shape.
      requireHostHeader: false,
    },
    createServer: ((serverOptions: Parameters<typeof createServer>[0], listener: RequestListener) =>
      createServer(serverOptions, (request, response) => {
        if (request.headers.host === undefined || request.headers.host === '') {
          answerWithoutHost(response);
          return;
        }
        listener(request, response);
      })) as never,
  }) as Server;
  server.maxConnections = options.maxConnections ?? HTTP_SERVER_DEFAULTS.maxConnections;
  server.on('clientError', (error: Error, socket: Duplex) => answerClientError(error, socket, options.maxBodyBytes));
  return server;
}

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

function answerWithoutHost(response: ServerResponse): void {
  const body = JSON.stringify(
    openAIErrorBody('The request has no Host header.', 'invalid_request_error', 'missing_host_header'),
  );
  response.writeHead(400, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  response.end(body);
}

/**
 * Answers a request Node's HTTP parser rejected (bad header bytes, headers over the limit, an
 * unreadable `Content-Length`, a header or request timeout) with its status and an OpenAI-shaped
 * JSON body, then closes the connection. A socket already gone is just destroyed.
 *
 * @example
 * ```ts
 * server.on('clientError', (error, socket) => answerClientError(error, socket, 10_485_760));
 * ```
 */
export function answerClientError(error: Error, socket: Duplex, maxBodyBytes: number): void {
  const code = (error as { code?: string }).code;
  if (code === 'ECONNRESET' || code === 'EPIPE' || !socket.writable || socket.destroyed) {
    socket.destroy();
    return;
  }
  const [status, message, errorCode] = describeClientError(error, maxBodyBytes);
  const body = JSON.stringify(
    openAIErrorBody(message, status === 408 ? 'timeout_error' : 'invalid_request_error', errorCode),
  );
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
  // A client that does not read its answer must not hold the socket.
  setTimeout(() => socket.destroy(), 1_000).unref();
}

function describeClientError(error: Error, maxBodyBytes: number): [number, string, string] {
  const code = (error as { code?: string }).code;
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'The request headers are too large.', 'request_header_fields_too_large'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'The request was not received in time.', 'request_timeout'];
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH': {
      const declared = declaredContentLength(error);
      if (/overflow/i.test(error.message) || (declared !== undefined && Number(declared) > maxBodyBytes)) {
        return [413, `The request body is larger than the limit of ${maxBodyBytes} bytes.`, 'request_too_large'];
      }
      return [400, 'The Content-Length header is invalid.', 'invalid_content_length'];
    }
    default:
      return [400, 'The request could not be parsed as HTTP.', 'malformed_request'];
  }
}

/** The raw `Content-Length` value in the bytes Node failed to parse, when it can be found. */
function declaredContentLength(error: Error): string | undefined {
  const raw = (error as { rawPacket?: unknown }).rawPacket;
  if (!Buffer.isBuffer(raw)) return undefined;
  return /\r\ncontent-length:[ \t]*([^\r\n]*)/i.exec(raw.toString('latin1'))?.[1]?.trim();
}
