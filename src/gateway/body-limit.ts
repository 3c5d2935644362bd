import type { IncomingMessage } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import type { GatewayContext, GatewayEnv } from './gateway-env.ts';
import { CLIENT_CLOSED_STATUS } from './map-routing-error.ts';
import { GatewayError } from './openai-error.ts';
import { requestGuard, type RequestCheck } from './request-guard.ts';

/** The 413 a body over the limit gets. */
export function payloadTooLarge(maxBytes: number): GatewayError {
  return new GatewayError(413, `The request body is larger than the limit of ${maxBytes} bytes.`, {
    type: 'invalid_request_error',
    code: 'request_too_large',
  });
}

/** Options of `bodyLimit` and `limitDeclaredBodySize`. */
export interface BodyLimitOptions {
  /** Largest accepted body in bytes. */
  maxBytes: number;
}

/**
 * Check: refuses a body whose declared `Content-Length` is over `maxBytes` with 413 before
 * reading it. Bodies without a length (chunked) are counted while read by `readBody`, which
 * enforces the same limit.
 *
 * @example
 * ```ts
 * app.use('/v1/*', requestGuard(limitDeclaredBodySize({ maxBytes: 10 * 1024 * 1024 })));
 * ```
 */
export function limitDeclaredBodySize(options: BodyLimitOptions): RequestCheck {
  const { maxBytes } = options;
  return (context) => {
    const declared = context.req.header('content-length');
    if (declared !== undefined && Number(declared) > maxBytes) throw payloadTooLarge(maxBytes);
  };
}

/**
 * Middleware form of `limitDeclaredBodySize`.
 *
 * @example
 * ```ts
 * app.use('/admin/*', bodyLimit({ maxBytes: 1024 * 1024 }));
 * ```
 */
export function bodyLimit(options: BodyLimitOptions): MiddlewareHandler<GatewayEnv> {
  return requestGuard(limitDeclaredBodySize(options));
}

/**
 * Reads the whole request body as a Buffer, counting bytes as they arrive: over `maxBytes`
 * it stops reading and throws the 413 (the server then drains or drops the rest). Reads the
 * Node request directly when there is one, else the Web request's body.
 */
export function readBody(context: GatewayContext, maxBytes: number): Promise<Buffer> {
  const incoming = context.env?.incoming;
  if (incoming !== undefined && !incoming.readableDidRead) return readNodeBody(incoming, maxBytes);
  return readWebBody(context.req.raw.body, maxBytes);
}

function clientClosed(): GatewayError {
  return new GatewayError(CLIENT_CLOSED_STATUS, 'The client closed the connection while sending the body.', {
    type: 'invalid_request_error',
    code: 'client_closed',
  });
}

function readNodeBody(incoming: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const cleanup = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) {
        cleanup();
        incoming.pause();
        reject(payloadTooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received));
    };
    const onError = () => {
      cleanup();
      reject(clientClosed());
    };
    const onClose = () => {
      if (incoming.readableEnded) return;
      cleanup();
      reject(clientClosed());
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
  });
}

async function readWebBody(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Buffer> {
  if (body === null) return Buffer.alloc(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > maxBytes) {
      await reader.cancel().catch(() => {});
      throw payloadTooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, received);
}
