import type { AbortSignalLike } from './abort-latch.ts';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from './chat-types.ts';
import type { EmbeddingsRequest, EmbeddingsResponse } from './embeddings-types.ts';
import type { MessagesRequest, MessagesResponse, MessagesStreamEvent } from './messages-types.ts';
import type { ResponsesRequest, ResponsesResponse, ResponsesStreamEvent } from './responses-types.ts';
import type { WireEventStream } from './wire-event.ts';

/** Options every upstream call takes. */
export interface CallOptions {
  /** Aborts the upstream request (a client that disconnected, a shutdown): an `AbortSignal` or an `AbortLatch`. */
  signal?: AbortSignalLike;
  /**
   * Per-attempt timeout in ms: the whole response for `chat`; for `stream`, the wait for the
   * first chunk and then for any silent gap between chunks. Absent or 0 means no timeout.
   */
  timeoutMs?: number;
  /** The request id, forwarded upstream as `x-request-id` where the upstream accepts headers. */
  requestId?: string;
  /**
   * Extra request headers for the upstream (`x-switchboard-via`, a client's `anthropic-version` /
   * `anthropic-beta`); they win over the adapter's defaults but never over its credentials.
   */
  headers?: Record<string, string>;
  /**
   * Called by an adapter that dropped request parameters its upstream cannot honour (the provider
   * entry's `dropUnsupportedParams`), with the provider's name and the parameters' names.
   */
  reportDroppedParams?: (provider: string, names: readonly string[]) => void;
  /**
   * Streams: how long to wait, from the start of the attempt, for the first chunk carrying content (text, a
   * tool-call delta or a finish_reason); role-only chunks, keep-alive events and comments do not count. Bounded
   * by `timeoutMs` when that is smaller. Absent or 0: only `timeoutMs` applies.
   */
  firstTokenTimeoutMs?: number;
  /**
   * Streams: the longest silence allowed after the first content chunk. Only complete SSE data events reset it:
   * not comments (`: ping`), not partial lines, not keep-alive events. Bounded by `timeoutMs` when that is
   * smaller. Absent or 0: only `timeoutMs` applies.
   */
  streamIdleTimeoutMs?: number;
  /**
   * Streams: told of every malformed event the adapter skipped (e.g. invalid JSON), so the router can count it;
   * the stream goes on unless too many arrive (then it fails with a `protocol` error). Must not throw.
   */
  onMalformedEvent?: (event: MalformedStreamEvent) => void;
}

/** A stream event the adapter skipped as malformed (see `CallOptions.onMalformedEvent`). */
export interface MalformedStreamEvent {
  /** The provider's registered name. */
  provider: string;
  /** Why it was skipped, e.g. `Unexpected token } in JSON at position 12` (at most 200 characters). */
  reason: string;
}

/**
 * Where the JSON text of a request or a completion is kept exactly as it arrived, when
 * the parsed object is passed on unchanged: the next hop then sends that text instead of
 * serialising the object again (less work, and a byte-for-byte pass-through). A
 * non-enumerable symbol property (see `keepRawJson`), so `JSON.stringify` and object spreads
 * never see it: a spread copy, changed or not, is serialised afresh. Stream chunks, many per
 * request, keep theirs in the stream instead (see `ChunkTextSource`).
 */
export const RAW_JSON: unique symbol = Symbol('switchboard.rawJson');

/** Attaches `text`, the JSON `value` was parsed from, under `RAW_JSON` (non-enumerable). */
export function keepRawJson<Value extends object>(value: Value, text: string): Value {
  Object.defineProperty(value, RAW_JSON, { value: text, configurable: true });
  return value;
}

/** The JSON text `value` was parsed from, when it was kept (see `RAW_JSON`). */
export function rawJson(value: object): string | undefined {
  return (value as { [RAW_JSON]?: string })[RAW_JSON];
}

/**
 * A started stream of chunks. The promise that returns it resolves once the upstream
 * accepted the request (status 2xx), so a refusal is a rejected promise and the caller
 * can still fall back. Iterating yields OpenAI-shaped chunks; a failure mid-stream throws
 * a `ProviderError` from the iterator. Breaking out of the loop (or `return()`) releases
 * the upstream connection.
 */
export type ChatStream = AsyncIterable<ChatCompletionChunk>;

/**
 * Offered by the iterator of a stream whose chunks arrive as JSON text (OpenAI-compatible
 * upstreams): the text `chunk` was parsed from, while `chunk` is the chunk it handed out
 * last. The next hop forwards that text instead of serialising the chunk again. Kept by the
 * stream rather than on each chunk (`keepRawJson`): attaching a hidden property to every
 * parsed chunk cost ~80 % as much as the parse itself.
 */
export interface ChunkTextSource {
  chunkText(chunk: ChatCompletionChunk): string | undefined;
}

/**
 * The upstream JSON text of `chunk`, the value `iterator.next()` resolved with last, when the
 * iterator keeps it (see `ChunkTextSource`); undefined otherwise.
 *
 * @example
 * ```ts
 * const next = await iterator.next();
 * if (!next.done) send(chunkTextOf(iterator, next.value) ?? JSON.stringify(next.value));
 * ```
 */
export function chunkTextOf(iterator: object, chunk: ChatCompletionChunk): string | undefined {
  return typeof (iterator as Partial<ChunkTextSource>).chunkText === 'function'
    ? (iterator as ChunkTextSource).chunkText(chunk)
    : undefined;
}

/**
 * The adapter contract: what the router needs to route to a provider and what the gateway
 * needs to call it. Adapters never import the router; the router holds adapters by `name`.
 *
 * @example
 * ```ts
 * const adapter: ProviderAdapter = createOpenAIProvider({ name: 'primary', baseURL: 'https://api.openai.com/v1', apiKey, models: ['gpt-4o-mini'] });
 * const completion = await adapter.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { timeoutMs: 30_000 });
 * ```
 */
export interface ProviderAdapter {
  /** Unique name: the router's key, the metrics label and the `x-switchboard-provider` header. */
  readonly name: string;
  /** Adapter type, e.g. `openai`, `anthropic`, `mock`. */
  readonly type: string;
  /** Model ids this provider serves; `'*'` matches any model. Exact and case-sensitive. */
  readonly models: readonly string[];
  /** Drop parameters the upstream cannot honour instead of refusing them (see `applyUnsupportedParameters`). */
  readonly dropUnsupportedParams?: boolean;
  /**
   * True when the upstream continues a request whose last message is from the assistant (a prefill), as
   * Anthropic does: a stream cut mid-answer can then go on from the partial text. Absent means false.
   */
  readonly supportsPrefill?: boolean;
  /** One non-streamed completion. Rejects with a `ProviderError`. */
  chat(request: ChatCompletionRequest, options?: CallOptions): Promise<ChatCompletion>;
  /** A streamed completion; see `ChatStream`. Rejects with a `ProviderError`. */
  stream(request: ChatCompletionRequest, options?: CallOptions): Promise<ChatStream>;
  /** Anthropic Messages, the body passed through as sent (only `anthropic` adapters). Rejects with a `ProviderError`. */
  messages?(request: MessagesRequest, options?: CallOptions): Promise<MessagesResponse>;
  /** Anthropic Messages streamed, each event as the upstream sent it. */
  messagesStream?(request: MessagesRequest, options?: CallOptions): Promise<WireEventStream<MessagesStreamEvent>>;
  /** Anthropic `POST /v1/messages/count_tokens`, passed through; resolves with the upstream's JSON. */
  countTokens?(request: MessagesRequest, options?: CallOptions): Promise<unknown>;
  /** OpenAI Responses, the body passed through as sent (only `openai` adapters). */
  responses?(request: ResponsesRequest, options?: CallOptions): Promise<ResponsesResponse>;
  /** OpenAI Responses streamed, each event as the upstream sent it. */
  responsesStream?(request: ResponsesRequest, options?: CallOptions): Promise<WireEventStream<ResponsesStreamEvent>>;
  /** OpenAI Embeddings. Adapters without it are skipped for `/v1/embeddings`. */
  embeddings?(request: EmbeddingsRequest, options?: CallOptions): Promise<EmbeddingsResponse>;
  /**
   * The model ids the upstream itself lists (its models endpoint), for a provider serving `'*'`:
   * the last list a health probe read, or read now when none was; bounded in count.
   */
  listModels?(signal?: AbortSignal): Promise<readonly string[]>;
  /** Active health probe: resolves true when the provider can take traffic. Must honour `signal`. */
  healthCheck?(signal: AbortSignal): Promise<boolean>;
  /** Releases pooled connections. */
  close?(): Promise<void>;
}
