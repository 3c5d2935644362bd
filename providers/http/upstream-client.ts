/**
 * The HTTP side shared by the OpenAI-compatible and Anthropic adapters: one keep-alive undici
 * `Pool` per provider instance (created once, never global `fetch`), header objects built
 * once, `pool.dispatch()` with a whole-body handler for non-streamed calls (the hot path) and
 * a streaming handler for streamed ones (no `Readable` per response), and every failure
 * turned into a `ProviderError`.
 */
import { Pool } from 'undici';
import { BufferedResponseHandler, ResponseTooLargeError } from './buffered-response-handler.ts';
import { keepRawJson, type CallOptions } from '../../src/contract/provider-adapter.ts';
import { createHttpProviderError, MAX_ERROR_BODY_BYTES } from './http-error.ts';
import { ProviderError } from '../../src/contract/provider-error.ts';
import { SecretScrubber } from '../../src/contract/secret-scrubber.ts';
import type { ResponseHeaders } from './retry-after.ts';
import { DEFAULT_MAX_SSE_EVENT_LENGTH } from './sse-parser.ts';
import { StreamingResponseHandler } from './streaming-response-handler.ts';
import type { UpstreamBodySource } from './upstream-body.ts';
import { UpstreamCall } from './upstream-call.ts';

/** Headers a call's extra headers may never replace: the adapter's own credentials. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'x-api-key', 'api-key']);

/** Connection settings shared by the HTTP adapters' options. */
export interface UpstreamConnectionOptions {
  /** Maximum open sockets to the upstream. Default: unlimited (undici's default). */
  connections?: number;
  /** How long an idle keep-alive socket stays open, in ms. Default 60000. */
  keepAliveTimeoutMs?: number;
  /** TCP connect timeout in ms. Default 10000. */
  connectTimeoutMs?: number;
  /**
   * Largest non-streamed response body accepted, in bytes, enforced while reading: over it the call fails with
   * a `protocol` error (the gateway answers 502) and the connection is closed. Default 64 MiB.
   */
  maxResponseBytes?: number;
  /**
   * Largest SSE event of a streamed response, in characters (see `SseParserOptions.maxEventLength`): over it
   * the stream fails with a `protocol` error. Default 1 MiB.
   */
  maxEventLength?: number;
}

/** Default `maxResponseBytes`: 64 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** Options of `UpstreamClient`. */
export interface UpstreamClientOptions extends UpstreamConnectionOptions {
  /** The provider's registered name, used in errors. */
  provider: string;
  /** Absolute base URL; its path (e.g. `/v1`) and query (e.g. `?api-version=…`) are kept. */
  baseURL: string;
  /** Headers sent with every request (auth, content type); built once. */
  headers: Record<string, string>;
  /** Strings scrubbed from error messages and bodies (API keys); credential headers' values are scrubbed too. */
  secrets?: readonly string[];
}

/** A 2xx upstream response whose body is still to be read, and the guard of its call. */
export interface OpenUpstreamResponse {
  call: UpstreamCall;
  /** The body, held back until a sink is attached (e.g. by `new SseChunkStream(call, body, translator)`). */
  body: UpstreamBodySource;
  headers: ResponseHeaders;
}

/**
 * One provider's connection to its upstream.
 *
 * @example
 * ```ts
 * const client = new UpstreamClient({ provider: 'primary', baseURL: 'https://api.openai.com/v1', headers: { authorization: `Bearer ${apiKey}` } });
 * const completion = await client.postJson(client.resolvePath('/chat/completions'), JSON.stringify(request), { timeoutMs: 30_000 });
 * await client.close();
 * ```
 */
export class UpstreamClient {
  readonly provider: string;
  readonly pool: Pool;
  readonly #pathPrefix: string;
  readonly #query: string;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #postHeaders: Readonly<Record<string, string>>;
  /** Scrubs this provider's keys, header values and credential shapes from upstream text. */
  readonly scrubber: SecretScrubber;
  readonly #maxResponseBytes: number;
  /** Largest SSE event accepted in a stream, in characters. */
  readonly maxEventLength: number;

  constructor(options: UpstreamClientOptions) {
    const url = new URL(options.baseURL);
    this.provider = options.provider;
    this.#pathPrefix = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
    this.#query = url.search;
    this.#headers = Object.freeze({ ...options.headers });
    // Frozen: each call copies it with its request id, and on Node 20 such a copy is cheap only from a frozen object (docs/performance.md).
    this.#postHeaders = Object.freeze({ 'content-type': 'application/json', ...options.headers });
    this.scrubber = new SecretScrubber([...(options.secrets ?? []), ...credentialHeaderValues(options.headers)]);
    this.#maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.maxEventLength = options.maxEventLength ?? DEFAULT_MAX_SSE_EVENT_LENGTH;
    this.pool = new Pool(url.origin, {
      connections: options.connections ?? null,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 60_000,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      // Timeouts are per call (CallOptions.timeoutMs), enforced by UpstreamCall.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  }

  /** The request path for an endpoint below the base URL; compute it once, in the factory. */
  resolvePath(endpoint: string): string {
    return this.#pathPrefix + endpoint + this.#query;
  }

  /**
   * POSTs a JSON body and returns the parsed JSON response, its text kept under `RAW_JSON`
   * (so an unchanged pass-through need not serialise it again). The timeout covers the whole
   * response. Rejects with a `ProviderError` (`http`, `timeout`, `aborted`, `connection`,
   * or `protocol` when a 2xx body is not JSON).
   */
  async postJson(path: string, body: string, options: CallOptions | undefined): Promise<unknown> {
    const call = new UpstreamCall(this.provider, options?.signal, options?.timeoutMs, this.scrubber);
    call.start();
    try {
      // The handler listens to the call's latch (timeout, caller's abort) until it settles.
      const handler = new BufferedResponseHandler({
        signal: call.controller,
        errorBodyLimit: MAX_ERROR_BODY_BYTES,
        bodyLimit: this.#maxResponseBytes,
      });
      this.pool.dispatch({ path, method: 'POST', headers: this.#headersFor(options), body }, handler);
      const response = await handler.response;
      const { statusCode, text } = response;
      if (statusCode < 200 || statusCode >= 300) {
        const { provider } = this;
        throw createHttpProviderError({
          provider,
          status: statusCode,
          headers: response.headers,
          bodyText: text,
          scrubber: this.scrubber,
        });
      }
      try {
        const value: unknown = JSON.parse(text);
        return value !== null && typeof value === 'object' ? keepRawJson(value, text) : value;
      } catch (error) {
        throw new ProviderError(`${this.provider}: upstream answered ${statusCode} with a body that is not JSON`, {
          kind: 'protocol',
          provider: this.provider,
          status: statusCode,
          cause: error,
        });
      }
    } catch (error) {
      if (error instanceof ResponseTooLargeError && !call.timedOut) {
        throw new ProviderError(`${this.provider}: ${error.message}`, {
          kind: 'protocol',
          provider: this.provider,
          cause: error,
        });
      }
      throw error instanceof ProviderError && !call.timedOut ? error : call.failure(error);
    } finally {
      call.finish();
    }
  }

  /**
   * POSTs a JSON body and resolves once the upstream answered 2xx, with the body still
   * unread and the call still armed: its timer measures the first-token window from the start
   * of the call (`firstTokenTimeoutMs`, bounded by `timeoutMs`), then each silence
   * (`streamIdleTimeoutMs`, bounded likewise). A non-2xx answer rejects with a `ProviderError`
   * of kind `http` (its body read up to `MAX_ERROR_BODY_BYTES`).
   */
  async postForStream(path: string, body: string, options: CallOptions | undefined): Promise<OpenUpstreamResponse> {
    const call = new UpstreamCall(this.provider, options?.signal, options?.timeoutMs, this.scrubber, {
      firstTokenTimeoutMs: options?.firstTokenTimeoutMs,
      streamIdleTimeoutMs: options?.streamIdleTimeoutMs,
    });
    call.start();
    try {
      // The handler listens to the call's latch (timeout, caller's abort) until the body is over.
      const handler = new StreamingResponseHandler({ signal: call.controller, errorBodyLimit: MAX_ERROR_BODY_BYTES });
      this.pool.dispatch({ path, method: 'POST', headers: this.#headersFor(options), body }, handler);
      const response = await handler.response;
      const { statusCode } = response;
      if (statusCode < 200 || statusCode >= 300) {
        const { provider } = this;
        throw createHttpProviderError({
          provider,
          status: statusCode,
          headers: response.headers,
          bodyText: response.text,
          scrubber: this.scrubber,
        });
      }
      return { call, body: handler, headers: response.headers };
    } catch (error) {
      call.finish();
      throw error instanceof ProviderError && !call.timedOut ? error : call.failure(error);
    }
  }

  /** GETs a path and resolves true on 2xx; false on any other status or failure (abort included). */
  async probe(path: string, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return false;
    try {
      const response = await this.pool.request({ path, method: 'GET', headers: this.#headers, signal });
      await response.body.dump();
      return response.statusCode >= 200 && response.statusCode < 300;
    } catch {
      return false;
    }
  }

  /**
   * Closes the pool: lets in-flight requests finish for at most `graceMs` (default 1000),
   * then destroys them (they fail with kind `connection`), so closing never hangs on a
   * silent upstream.
   */
  async close(graceMs = 1000): Promise<void> {
    if (this.pool.closed || this.pool.destroyed) return;
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace over'>((resolve) => {
      timer = setTimeout(resolve, graceMs, 'grace over');
      timer.unref();
    });
    const outcome = await Promise.race([this.pool.close(), graceOver]);
    clearTimeout(timer);
    if (outcome === 'grace over') await this.pool.destroy();
  }

  /**
   * GETs a path and resolves with its body text on 2xx (`''` when larger than `maxBytes`: cut
   * off unread), undefined on any other status or failure: a health probe that also reads what it probed
   * (an upstream's model list).
   */
  async probeText(path: string, signal: AbortSignal, maxBytes: number): Promise<string | undefined> {
    if (signal.aborted) return undefined;
    try {
      const response = await this.pool.request({ path, method: 'GET', headers: this.#headers, signal });
      if (response.statusCode < 200 || response.statusCode >= 300) {
        await response.body.dump();
        return undefined;
      }
      const parts: Buffer[] = [];
      let received = 0;
      for await (const part of response.body as AsyncIterable<Buffer>) {
        received += part.length;
        if (received > maxBytes) {
          // Answered 2xx: the probe succeeds, the body is just too large to read.
          response.body.destroy();
          return '';
        }
        parts.push(part);
      }
      return Buffer.concat(parts).toString('utf8');
    } catch {
      return undefined;
    }
  }

  #headersFor(options: CallOptions | undefined): Record<string, string> {
    const requestId = options?.requestId;
    const extra = options?.headers;
    if (extra === undefined)
      return requestId === undefined ? this.#postHeaders : { ...this.#postHeaders, 'x-request-id': requestId };
    const headers: Record<string, string> = { ...this.#postHeaders };
    for (const name in extra) if (!CREDENTIAL_HEADERS.has(name)) headers[name] = extra[name] as string;
    if (requestId !== undefined) headers['x-request-id'] = requestId;
    return headers;
  }
}

const CREDENTIAL_HEADER = /auth|key|token|secret|cookie|password/i;

/** The values of headers that carry credentials (`authorization`, `x-api-key`, `api-key`, …), bearer prefix removed. */
function credentialHeaderValues(headers: Record<string, string>): string[] {
  const values: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (!CREDENTIAL_HEADER.test(name)) continue;
    values.push(value);
    const bearer = /^Bearer\s+(.+)$/i.exec(value);
    if (bearer?.[1] !== undefined) values.push(bearer[1]);
  }
  return values;
}
