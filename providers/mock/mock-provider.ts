/**
 * An in-process, deterministic provider (no sockets) for the gateway's demo, examples, tests
 * and the benchmark. It behaves like a real one: its latency really elapses (cancellable
 * timers), failures are `ProviderError`s, the signal aborts, `timeoutMs` is honoured, and
 * streams arrive word by word with delays.
 */
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatMessage,
} from '../../src/contract/chat-types.ts';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../src/contract/embeddings-types.ts';
import type { CallOptions, ChatStream, ProviderAdapter } from '../../src/contract/provider-adapter.ts';
import type { AbortSignalLike } from '../../src/contract/abort-latch.ts';
import { ProviderError } from '../../src/contract/provider-error.ts';
import { createSeededRandom } from '../../src/contract/seeded-random.ts';
import type { ModelEntry } from '../../src/contract/model-entry.ts';

/** Options of `createMockProvider`. */
export interface MockProviderOptions {
  /** Unique provider name. */
  name: string;
  /** Model ids served. Default `['*']` (any). */
  models?: readonly ModelEntry[];
  /** Latency of `chat`, and of `stream` until its first chunk, in ms. Default 0. */
  latencyMs?: number;
  /** Time to a stream's first chunk, in ms. Default `latencyMs`. */
  firstChunkDelayMs?: number;
  /** Delay between stream chunks, in ms. Default 0. */
  chunkDelayMs?: number;
  /** Probability (0–1) that a call fails, drawn from `random`. Default 0. */
  failureRate?: number;
  /** HTTP status of a failure. Default 503 (retryable). */
  failWith?: number;
  /** `retryAfterMs` carried by failures (e.g. with `failWith: 429`). */
  retryAfterMs?: number;
  /** Streams fail with a `connection` error after this many chunks (a reset mid-stream). */
  failAfterChunks?: number;
  /** The reply: a fixed text, or computed from the request. Default: `mockReply(request)`. */
  reply?: string | ((request: ChatCompletionRequest) => string);
  /** Make the reply exactly this many words long (repeating the reply's words). */
  words?: number;
  /** Uniform random in [0, 1) deciding failures. Default: a PRNG seeded with `seed`. */
  random?: () => number;
  /** Seed of the default PRNG. Default 1. */
  seed?: number;
  /** What `healthCheck` answers. Default true. */
  healthy?: boolean | (() => boolean);
  /**
   * Declares and honours assistant prefill, as Anthropic does: a request whose last message is the
   * assistant's gets only the rest of the reply after that text (when the reply starts with it). Default false:
   * such a request is answered afresh, as OpenAI does.
   */
  supportsPrefill?: boolean;
  /** Drop parameters a translated request (Anthropic Messages, Responses) cannot carry instead of answering 400. */
  dropUnsupportedParams?: boolean;
}

/**
 * The default reply of a mock: `Echo: ` and the text of the last user message.
 *
 * @example
 * ```ts
 * mockReply({ model: 'demo', messages: [{ role: 'user', content: 'Hello there' }] }); // 'Echo: Hello there'
 * ```
 */
export function mockReply(request: ChatCompletionRequest): string {
  for (let index = request.messages.length - 1; index >= 0; index--) {
    const message = request.messages[index] as ChatMessage;
    if (message.role === 'user') {
      const text = textOf(message).trim();
      return text.length > 0 ? `Echo: ${text}` : 'Echo: (empty message)';
    }
  }
  return 'Echo: (no user message)';
}

/**
 * Creates a mock provider.
 *
 * @example
 * ```ts
 * const mock = createMockProvider({ name: 'demo', latencyMs: 20, chunkDelayMs: 5, failureRate: 0.1 });
 * const completion = await mock.chat({ model: 'demo', messages: [{ role: 'user', content: 'Hi' }] });
 * completion.choices[0]?.message.content; // 'Echo: Hi'
 * for await (const chunk of await mock.stream(request)) process.stdout.write(chunk.choices[0]?.delta.content ?? '');
 * ```
 */
export function createMockProvider(options: MockProviderOptions): ProviderAdapter {
  const name = options.name;
  const models = Object.freeze([...(options.models ?? ['*'])]);
  const latencyMs = nonNegative(options.latencyMs);
  const firstChunkDelayMs =
    options.firstChunkDelayMs === undefined ? latencyMs : nonNegative(options.firstChunkDelayMs);
  const chunkDelayMs = nonNegative(options.chunkDelayMs);
  const failureRate = options.failureRate ?? 0;
  const failWith = options.failWith ?? 503;
  const random = options.random ?? createSeededRandom(options.seed ?? 1);
  const healthy = options.healthy ?? true;
  let sequence = 0;

  const supportsPrefill = options.supportsPrefill === true;

  function replyFor(request: ChatCompletionRequest): string {
    const reply =
      options.reply === undefined
        ? mockReply(request)
        : typeof options.reply === 'string'
          ? options.reply
          : options.reply(request);
    const whole = options.words === undefined ? reply : repeatWords(reply, options.words);
    if (!supportsPrefill) return whole;
    const prefill = prefillOf(request);
    return prefill !== undefined && whole.startsWith(prefill) ? whole.slice(prefill.length) : whole;
  }

  function failure(): ProviderError {
    const message = `${name}: mock failure (${failWith})`;
    return new ProviderError(message, {
      kind: 'http',
      provider: name,
      status: failWith,
      retryAfterMs: options.retryAfterMs,
      body: {
        error: { message, type: failWith >= 500 ? 'server_error' : 'invalid_request_error', param: null, code: null },
      },
    });
  }

  return {
    name,
    type: 'mock',
    models,
    supportsPrefill,
    dropUnsupportedParams: options.dropUnsupportedParams === true,

    async chat(request: ChatCompletionRequest, callOptions?: CallOptions): Promise<ChatCompletion> {
      const fails = failureRate > 0 && random() < failureRate;
      await elapse(name, latencyMs, callOptions);
      if (fails) throw failure();
      const reply = replyFor(request);
      const promptTokens = countWords(request);
      const completionTokens = wordCount(reply);
      return {
        id: `chatcmpl-mock-${++sequence}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: request.model,
        choices: [{ index: 0, message: { role: 'assistant', content: reply }, logprobs: null, finish_reason: 'stop' }],
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          total_tokens: promptTokens + completionTokens,
        },
      };
    },

    async stream(request: ChatCompletionRequest, callOptions?: CallOptions): Promise<ChatStream> {
      const fails = failureRate > 0 && random() < failureRate;
      await elapse(name, firstChunkDelayMs, firstTokenWindow(callOptions));
      if (fails) throw failure();
      const reply = replyFor(request);
      return new MockChatStream({
        provider: name,
        id: `chatcmpl-mock-${++sequence}`,
        model: request.model,
        created: Math.floor(Date.now() / 1000),
        words: reply.split(' '),
        promptTokens: countWords(request),
        // Always, as the HTTP adapters ask: the router hides the usage chunk from a client that did not ask for it.
        includeUsage: true,
        chunkDelayMs,
        failAfterChunks: options.failAfterChunks,
        callOptions: idleWindow(callOptions),
      });
    },

    async embeddings(request: EmbeddingsRequest, callOptions?: CallOptions): Promise<EmbeddingsResponse> {
      const fails = failureRate > 0 && random() < failureRate;
      await elapse(name, latencyMs, callOptions);
      if (fails) throw failure();
      const inputs = Array.isArray(request.input) ? request.input : [request.input];
      let tokens = 0;
      const data = inputs.map((input, index) => {
        const text = typeof input === 'string' ? input : JSON.stringify(input);
        tokens += Math.max(1, wordCount(text));
        const vector = mockEmbedding(text, request.dimensions ?? 8);
        // The openai client asks for base64 (little-endian float32) by default, as OpenAI serves it.
        const embedding =
          request.encoding_format === 'base64'
            ? Buffer.from(new Float32Array(vector).buffer).toString('base64')
            : vector;
        return { object: 'embedding' as const, index, embedding };
      });
      return { object: 'list', data, model: request.model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
    },

    async healthCheck(signal: AbortSignal): Promise<boolean> {
      if (signal.aborted) return false;
      return typeof healthy === 'function' ? healthy() : healthy;
    },

    async close(): Promise<void> {},
  };
}

/**
 * A deterministic unit vector of `dimensions` numbers for `text` (same text, same vector), so
 * demos and tests of `/v1/embeddings` need no model.
 */
export function mockEmbedding(text: string, dimensions: number): number[] {
  const size = Math.min(4096, Math.max(1, Math.floor(dimensions)));
  const random = createSeededRandom(
    [...text].reduce((hash, character) => (hash * 31 + character.charCodeAt(0)) | 0, 7),
  );
  const vector = Array.from({ length: size }, () => random() * 2 - 1);
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0)) || 1;
  return vector.map((value) => value / norm);
}

interface MockStreamSettings {
  provider: string;
  id: string;
  model: string;
  created: number;
  words: string[];
  promptTokens: number;
  includeUsage: boolean;
  chunkDelayMs: number;
  failAfterChunks: number | undefined;
  callOptions: CallOptions | undefined;
}

/** The mock's stream: a word per chunk, then the finish chunk, then (when asked) the usage chunk. */
class MockChatStream implements AsyncIterableIterator<ChatCompletionChunk> {
  readonly #settings: MockStreamSettings;
  /** Chunks handed out so far. */
  #position = 0;
  #done = false;
  #pending: PendingDelay | undefined;

  constructor(settings: MockStreamSettings) {
    this.#settings = settings;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<ChatCompletionChunk>> {
    const settings = this.#settings;
    const total = settings.words.length + 1 + (settings.includeUsage ? 1 : 0);
    if (this.#done || this.#position >= total) {
      this.#done = true;
      return { value: undefined, done: true };
    }
    const position = this.#position;
    if (position > 0 && position <= settings.words.length) {
      const delay = new PendingDelay(settings.provider, settings.chunkDelayMs, settings.callOptions);
      this.#pending = delay;
      try {
        await delay.promise;
      } catch (error) {
        this.#done = true;
        throw error;
      } finally {
        this.#pending = undefined;
      }
      if (this.#done) return { value: undefined, done: true };
    }
    if (settings.failAfterChunks !== undefined && position >= settings.failAfterChunks) {
      this.#done = true;
      throw new ProviderError(`${settings.provider}: mock stream reset after ${position} chunks`, {
        kind: 'connection',
        provider: settings.provider,
      });
    }
    this.#position++;
    return { value: this.#chunk(position), done: false };
  }

  async return(): Promise<IteratorResult<ChatCompletionChunk>> {
    this.#done = true;
    this.#pending?.cancel();
    return { value: undefined, done: true };
  }

  #chunk(position: number): ChatCompletionChunk {
    const settings = this.#settings;
    const wordTotal = settings.words.length;
    if (position < wordTotal) {
      const word = settings.words[position] as string;
      const delta = position === 0 ? { role: 'assistant' as const, content: word } : { content: ` ${word}` };
      return this.#chunkWith([{ index: 0, delta, finish_reason: null }]);
    }
    if (position === wordTotal) return this.#chunkWith([{ index: 0, delta: {}, finish_reason: 'stop' }]);
    return this.#chunkWith([], {
      prompt_tokens: settings.promptTokens,
      completion_tokens: wordTotal,
      total_tokens: settings.promptTokens + wordTotal,
    });
  }

  /** One chunk as a literal (a spread of shared fields plus `choices` costs microseconds on Node 20; docs/performance.md). */
  #chunkWith(choices: ChatCompletionChunk['choices'], usage?: ChatCompletionChunk['usage']): ChatCompletionChunk {
    const settings = this.#settings;
    const chunk: ChatCompletionChunk = {
      id: settings.id,
      object: 'chat.completion.chunk',
      created: settings.created,
      model: settings.model,
      choices,
    };
    if (usage !== undefined) chunk.usage = usage;
    return chunk;
  }
}

/**
 * One cancellable wait that honours the call's signal (`aborted`) and timeout (`timeout`
 * when the wait is at least `timeoutMs`, raised once `timeoutMs` elapsed). Its timer and
 * listener are cleared however it ends.
 */
class PendingDelay {
  readonly promise: Promise<void>;
  #timer: NodeJS.Timeout | undefined;
  #signal: AbortSignalLike | undefined;
  #resolve!: () => void;
  #reject!: (error: unknown) => void;
  readonly #provider: string;

  constructor(provider: string, delayMs: number, callOptions: CallOptions | undefined) {
    this.#provider = provider;
    this.promise = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    const signal = callOptions?.signal;
    if (signal?.aborted === true) {
      this.#reject(abortedError(provider, signal.reason));
      return;
    }
    const timeoutMs = callOptions?.timeoutMs ?? 0;
    const timesOut = timeoutMs > 0 && delayMs >= timeoutMs;
    if (!timesOut && delayMs <= 0) {
      this.#resolve();
      return;
    }
    if (signal !== undefined) {
      this.#signal = signal;
      signal.addEventListener('abort', this, { once: true });
    }
    this.#timer = setTimeout(
      () => {
        this.#cleanUp();
        if (timesOut)
          this.#reject(
            new ProviderError(`${provider}: upstream timed out after ${timeoutMs} ms`, { kind: 'timeout', provider }),
          );
        else this.#resolve();
      },
      timesOut ? timeoutMs : delayMs,
    );
  }

  /** The signal fired (EventListenerObject protocol). */
  handleEvent(): void {
    this.#cleanUp();
    this.#reject(abortedError(this.#provider, this.#signal?.reason));
  }

  /** Stops waiting without settling (the consumer went away). */
  cancel(): void {
    this.#cleanUp();
    this.#resolve();
  }

  #cleanUp(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#signal?.removeEventListener('abort', this);
    this.#signal = undefined;
  }
}

async function elapse(provider: string, delayMs: number, callOptions: CallOptions | undefined): Promise<void> {
  if (delayMs <= 0 && callOptions?.signal === undefined) return;
  await new PendingDelay(provider, delayMs, callOptions).promise;
}

function abortedError(provider: string, cause: unknown): ProviderError {
  return new ProviderError(`${provider}: request aborted by the caller`, { kind: 'aborted', provider, cause });
}

/** The call options of a stream's first-token wait: `timeoutMs` bounded by `firstTokenTimeoutMs`. */
function firstTokenWindow(callOptions: CallOptions | undefined): CallOptions | undefined {
  return withWindow(callOptions, callOptions?.firstTokenTimeoutMs);
}

/** The call options of a stream's waits between chunks: `timeoutMs` bounded by `streamIdleTimeoutMs`. */
function idleWindow(callOptions: CallOptions | undefined): CallOptions | undefined {
  return withWindow(callOptions, callOptions?.streamIdleTimeoutMs);
}

function withWindow(callOptions: CallOptions | undefined, windowMs: number | undefined): CallOptions | undefined {
  if (callOptions === undefined || windowMs === undefined || windowMs <= 0) return callOptions;
  const timeoutMs = callOptions.timeoutMs;
  if (timeoutMs !== undefined && timeoutMs > 0 && timeoutMs <= windowMs) return callOptions;
  return { ...callOptions, timeoutMs: windowMs };
}

/** The text of the last message when it is the assistant's (a prefill). */
function prefillOf(request: ChatCompletionRequest): string | undefined {
  const last = request.messages[request.messages.length - 1];
  if (last === undefined || last.role !== 'assistant') return undefined;
  const text = textOf(last);
  return text.length > 0 ? text : undefined;
}

function nonNegative(value: number | undefined): number {
  return value !== undefined && value > 0 ? value : 0;
}

function textOf(message: ChatMessage): string {
  const content = message.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content)
    if (part.type === 'text' && typeof part.text === 'string') text += (text.length > 0 ? ' ' : '') + part.text;
  return text;
}

function wordCount(text: string): number {
  let count = 0;
  for (const word of text.split(' ')) if (word.length > 0) count++;
  return count;
}

function countWords(request: ChatCompletionRequest): number {
  let count = 0;
  for (const message of request.messages) count += wordCount(textOf(message));
  return count;
}

function repeatWords(text: string, words: number): string {
  const source = text.split(' ').filter((word) => word.length > 0);
  if (source.length === 0 || words <= 0) return '';
  const result: string[] = [];
  for (let index = 0; index < words; index++) result.push(source[index % source.length] as string);
  return result.join(' ');
}
