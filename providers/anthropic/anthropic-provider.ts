/**
 * The Anthropic Messages adapter.
 *
 * It talks to `{baseURL}/v1/messages` through the shared `UpstreamClient` (undici `dispatch`, our
 * SSE parser) and uses `@anthropic-ai/sdk` for its types only: the SDK's Fetch-based transport
 * measured several times slower (docs/performance.md).
 */
import type { Message } from '@anthropic-ai/sdk/resources/messages';
import { PrefillJoiner, trimPrefill } from './anthropic-prefill.ts';
import { AnthropicChunkTranslator } from './anthropic-stream-translator.ts';
import { toAnthropicRequest, type AnthropicRequestBody } from './anthropic-translate-request.ts';
import { toChatCompletion } from './anthropic-translate-response.ts';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '../../src/contract/chat-types.ts';
import type { MessagesRequest, MessagesResponse } from '../../src/contract/messages-types.ts';
import {
  rawJson,
  type CallOptions,
  type ChatStream,
  type ProviderAdapter,
} from '../../src/contract/provider-adapter.ts';
import type { WireEvent } from '../../src/contract/wire-event.ts';
import { AbortLatch } from '../../src/contract/abort-latch.ts';
import { messagesEventHasContent } from '../../src/contract/messages-stream-content.ts';
import { WireEventTranslator } from '../http/wire-event-translator.ts';
import { anthropicWireProtocol } from './anthropic-wire-protocol.ts';
import { ANTHROPIC_MAX_CHOICES, isUnsupportedOnAnthropic } from './anthropic-unsupported-parameters.ts';
import { STRUCTURED_OUTPUT_TOOL } from './anthropic-structured-output.ts';
import { applyUnsupportedParameters } from '../../src/contract/unsupported-parameters.ts';
import { MODEL_LIST_MAX_BYTES, parseModelList } from '../http/model-list.ts';
import { beforeUpstream, ProviderError } from '../../src/contract/provider-error.ts';
import { chatChunkHasContent } from '../http/chat-chunk-content.ts';
import { SseChunkStream } from '../http/sse-chunk-stream.ts';
import { UpstreamClient, type UpstreamConnectionOptions } from '../http/upstream-client.ts';
import type { ModelEntry } from '../../src/contract/model-entry.ts';

/** Anthropic's public API origin. */
export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';
/** The `anthropic-version` header sent by default. */
export const ANTHROPIC_DEFAULT_VERSION = '2023-06-01';
/** `max_tokens` sent when the request names none (Anthropic requires it). */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

const TRAILING_VERSION_PATH = /\/v1\/?$/;

/** Options of `createAnthropicProvider`. */
export interface AnthropicProviderOptions extends UpstreamConnectionOptions {
  /** Unique provider name (router key, metrics label, `x-switchboard-provider`). */
  name: string;
  /** Sent as `x-api-key`. */
  apiKey: string;
  /**
   * API origin, without `/v1` (the Anthropic SDK's convention). Default `https://api.anthropic.com`.
   * A trailing `/v1` is tolerated and dropped.
   */
  baseURL?: string;
  /** Model ids this provider serves; `'*'` matches any. */
  models: readonly ModelEntry[];
  /** `max_tokens` when the request sets neither `max_tokens` nor `max_completion_tokens`. Default 4096. */
  defaultMaxTokens?: number;
  /** `anthropic-version` header. Default `2023-06-01`. */
  anthropicVersion?: string;
  /** Extra headers sent with every request (e.g. `anthropic-beta`). */
  headers?: Record<string, string>;
  /**
   * Drop OpenAI parameters Anthropic cannot honour (`logprobs`…, see `isUnsupportedOnAnthropic`)
   * instead of answering 400 `unsupported_parameter` (the default); dropped ones are reported
   * through `CallOptions.reportDroppedParams`.
   */
  dropUnsupportedParams?: boolean;
}

/**
 * Creates an adapter that serves OpenAI Chat Completions requests from Anthropic's Messages
 * API: requests are translated to Messages (`system`, tools, tool results, images, stop
 * sequences, default `max_tokens`), answers and stream events back to OpenAI shapes. Health is
 * `GET {baseURL}/v1/models`.
 *
 * @example
 * ```ts
 * const claude = createAnthropicProvider({
 *   name: 'claude',
 *   apiKey: process.env.ANTHROPIC_API_KEY!,
 *   models: ['claude-sonnet-4-5'],
 * });
 * const completion = await claude.chat({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hello' }] }, { timeoutMs: 60_000 });
 * console.log(completion.choices[0]?.message.content);
 * ```
 */
export function createAnthropicProvider(options: AnthropicProviderOptions): ProviderAdapter {
  const { name, apiKey } = options;
  const defaultMaxTokens = options.defaultMaxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS;
  const baseURL = (options.baseURL ?? ANTHROPIC_DEFAULT_BASE_URL).replace(TRAILING_VERSION_PATH, '');
  const client = new UpstreamClient({
    provider: name,
    baseURL,
    headers: {
      accept: 'application/json',
      'anthropic-version': options.anthropicVersion ?? ANTHROPIC_DEFAULT_VERSION,
      ...options.headers,
      'x-api-key': apiKey,
    },
    secrets: apiKey.length > 0 ? [apiKey] : [],
    connections: options.connections,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs,
    maxResponseBytes: options.maxResponseBytes,
    maxEventLength: options.maxEventLength,
  });
  const messagesPath = client.resolvePath('/v1/messages');
  const countTokensPath = client.resolvePath('/v1/messages/count_tokens');
  const modelsPath = client.resolvePath('/v1/models');
  let upstreamModels: readonly string[] | undefined;
  const probeModels = async (signal: AbortSignal): Promise<boolean> => {
    const text = await client.probeText(modelsPath, signal, MODEL_LIST_MAX_BYTES);
    if (text === undefined) return false;
    if (models.includes('*')) upstreamModels = parseModelList(text) ?? upstreamModels;
    return true;
  };
  /** The body as the client sent it, unless the model had to change (an alias) or `stream` must be set. */
  const passThroughBody = (request: MessagesRequest, stream: boolean): string => {
    const raw = rawJson(request);
    if (raw !== undefined && (request.stream === true) === stream) return raw;
    return JSON.stringify({ ...request, stream: stream ? true : undefined });
  };
  const models = Object.freeze([...options.models]);
  const dropUnsupportedParams = options.dropUnsupportedParams === true;
  /** `request` without what Anthropic cannot honour (then reported), or a 400 `unsupported_parameter`. */
  const honoured = (
    request: ChatCompletionRequest,
    callOptions: CallOptions | undefined,
    streaming: boolean,
  ): ChatCompletionRequest => {
    const context = { request, streaming };
    return applyUnsupportedParameters(
      request as ChatCompletionRequest & Record<string, unknown>,
      (parameter, value) => isUnsupportedOnAnthropic(parameter, value, context),
      { provider: name, drop: dropUnsupportedParams, report: callOptions?.reportDroppedParams },
    );
  };
  /** One Messages call; a 2xx without a `content` array is a protocol failure. */
  const postMessage = async (body: string, callOptions: CallOptions | undefined): Promise<Message> => {
    const message = await client.postJson(messagesPath, body, callOptions);
    if (message === null || typeof message !== 'object' || !Array.isArray((message as Message).content)) {
      throw new ProviderError(`${name}: upstream answered 2xx without a \`content\` array`, {
        kind: 'protocol',
        provider: name,
        body: message,
      });
    }
    return message as Message;
  };
  /** `count` calls at once; the first failure aborts the others (the caller's abort aborts all). */
  const postParallel = async (
    body: string,
    count: number,
    callOptions: CallOptions | undefined,
  ): Promise<Message[]> => {
    const siblings = new AbortLatch();
    const parent = callOptions?.signal;
    const onParentAbort = () => siblings.abort(parent?.reason);
    if (parent?.aborted === true) siblings.abort(parent.reason);
    else parent?.addEventListener('abort', onParentAbort);
    const options: CallOptions = { ...callOptions, signal: siblings };
    try {
      return await Promise.all(
        Array.from({ length: count }, () =>
          postMessage(body, options).catch((error: unknown) => {
            siblings.abort(error);
            throw error;
          }),
        ),
      );
    } finally {
      parent?.removeEventListener('abort', onParentAbort);
    }
  };
  const chatSettings = { provider: name, defaultMaxTokens, stream: false };
  const streamSettings = { provider: name, defaultMaxTokens, stream: true };

  return {
    name,
    type: 'anthropic',
    models,
    // A trailing assistant message is continued (see anthropic-prefill.ts).
    supportsPrefill: true,
    dropUnsupportedParams,

    async chat(request: ChatCompletionRequest, callOptions?: CallOptions): Promise<ChatCompletion> {
      const { body, prefillTrimmed, choices, structuredTool } = beforeUpstream(name, () => {
        const sent = honoured(request, callOptions, false);
        const translated = toAnthropicRequest(sent, chatSettings);
        const { body, prefillTrimmed } = serialize(translated);
        return {
          body,
          prefillTrimmed,
          // n > 1: as many parallel calls, merged into one completion's choices.
          choices: typeof sent.n === 'number' && sent.n > 1 ? Math.min(sent.n, ANTHROPIC_MAX_CHOICES) : 1,
          structuredTool: structuredToolOf(translated),
        };
      });
      const created = Math.floor(Date.now() / 1000);
      const messages =
        choices === 1 ? [await postMessage(body, callOptions)] : await postParallel(body, choices, callOptions);
      const completions = messages.map((message) => {
        const completion = toChatCompletion(message, created, structuredTool);
        const choice = completion.choices[0];
        if (prefillTrimmed.length > 0 && typeof choice?.message.content === 'string')
          choice.message.content = new PrefillJoiner(prefillTrimmed).text(choice.message.content);
        return completion;
      });
      return mergeChoices(completions);
    },

    async stream(request: ChatCompletionRequest, callOptions?: CallOptions): Promise<ChatStream> {
      const { body, prefillTrimmed, structuredTool } = beforeUpstream(name, () => {
        const translated = toAnthropicRequest(honoured(request, callOptions, true), streamSettings);
        const { body, prefillTrimmed } = serialize(translated);
        return { body, prefillTrimmed, structuredTool: structuredToolOf(translated) };
      });
      const response = await client.postForStream(messagesPath, body, callOptions);
      const translator = new AnthropicChunkTranslator({
        provider: name,
        model: request.model,
        // Always: the router counts it, and hides the usage chunk from a client that did not ask for it.
        includeUsage: true,
        created: Math.floor(Date.now() / 1000),
        prefillTrimmed,
        structuredTool,
      });
      return new SseChunkStream<ChatCompletionChunk>(response.call, response.body, translator, {
        isContent: chatChunkHasContent,
        maxEventLength: client.maxEventLength,
        onMalformedEvent: callOptions?.onMalformedEvent,
      });
    },

    async messages(request: MessagesRequest, callOptions?: CallOptions): Promise<MessagesResponse> {
      const body = beforeUpstream(name, () => passThroughBody(request, false));
      const message = await client.postJson(messagesPath, body, callOptions);
      if (message === null || typeof message !== 'object' || !Array.isArray((message as Message).content)) {
        throw new ProviderError(`${name}: upstream answered 2xx without a \`content\` array`, {
          kind: 'protocol',
          provider: name,
          body: message,
        });
      }
      return message as MessagesResponse;
    },

    async messagesStream(request: MessagesRequest, callOptions?: CallOptions) {
      const body = beforeUpstream(name, () => passThroughBody(request, true));
      const response = await client.postForStream(messagesPath, body, callOptions);
      return new SseChunkStream<WireEvent>(
        response.call,
        response.body,
        new WireEventTranslator(name, anthropicWireProtocol),
        {
          // message_start and pings are not content: the first-token window runs until a delta or a stop reason.
          isContent: messagesEventHasContent,
          maxEventLength: client.maxEventLength,
          onMalformedEvent: callOptions?.onMalformedEvent,
        },
      ) as AsyncIterable<WireEvent<never>>;
    },

    countTokens(request: MessagesRequest, callOptions?: CallOptions): Promise<unknown> {
      return client.postJson(countTokensPath, rawJson(request) ?? JSON.stringify(request), callOptions);
    },

    async listModels(signal?: AbortSignal): Promise<readonly string[]> {
      if (upstreamModels === undefined) await probeModels(signal ?? AbortSignal.timeout(5_000));
      return upstreamModels ?? [];
    },

    healthCheck(signal: AbortSignal): Promise<boolean> {
      return probeModels(signal);
    },

    close(): Promise<void> {
      return client.close();
    },
  };
}

/** The structured-output tool the translated request forces, when it has one. */
function structuredToolOf(request: AnthropicRequestBody): string | undefined {
  return request.tools?.some((tool) => (tool as { name?: unknown }).name === STRUCTURED_OUTPUT_TOOL) === true
    ? STRUCTURED_OUTPUT_TOOL
    : undefined;
}

/** Completions of the same request as one, their choices numbered in order and their usage summed. */
function mergeChoices(completions: ChatCompletion[]): ChatCompletion {
  const merged = completions[0] as ChatCompletion;
  if (completions.length === 1) return merged;
  const usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  merged.choices = completions.map((completion, index) => {
    const part = completion.usage;
    if (part !== undefined) {
      // Each call was billed its own prompt: the sum is what was spent.
      usage.prompt_tokens += part.prompt_tokens;
      usage.completion_tokens += part.completion_tokens;
      usage.total_tokens += part.total_tokens;
    }
    return { ...(completion.choices[0] as ChatCompletion['choices'][number]), index };
  });
  merged.usage = usage;
  return merged;
}

/** The body to send, its assistant prefill trimmed (see `trimPrefill`), and what was trimmed. */
function serialize(request: AnthropicRequestBody): { body: string; prefillTrimmed: string } {
  const prefillTrimmed = trimPrefill(request);
  return { body: JSON.stringify(request), prefillTrimmed };
}
