/**
 * The adapter for any OpenAI-compatible Chat Completions upstream (OpenAI, Azure OpenAI with
 * a query string in the base URL, vLLM, Ollama, OpenRouter, Groq, a local mock…).
 */
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '../../src/contract/chat-types.ts';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../src/contract/embeddings-types.ts';
import type { ResponsesRequest, ResponsesResponse, ResponsesStreamEvent } from '../../src/contract/responses-types.ts';
import type { WireEvent, WireEventStream } from '../../src/contract/wire-event.ts';
import {
  rawJson,
  type CallOptions,
  type ChatStream,
  type ProviderAdapter,
} from '../../src/contract/provider-adapter.ts';
import { OpenAIChunkTranslator } from './openai-chunk-translator.ts';
import { beforeUpstream, ProviderError } from '../../src/contract/provider-error.ts';
import { setTopLevelField, setTopLevelFields } from '../http/json-top-level-field.ts';
import { MODEL_LIST_MAX_BYTES, parseModelList } from '../http/model-list.ts';
import { chatChunkHasContent } from '../http/chat-chunk-content.ts';
import { SseChunkStream } from '../http/sse-chunk-stream.ts';
import { UpstreamClient, type UpstreamConnectionOptions } from '../http/upstream-client.ts';
import { WireEventTranslator } from '../http/wire-event-translator.ts';
import { openAIResponsesWireProtocol, responsesEventHasContent } from './openai-responses-wire-protocol.ts';
import type { ModelEntry } from '../../src/contract/model-entry.ts';

/** Options of `createOpenAIProvider`. */
export interface OpenAIProviderOptions extends UpstreamConnectionOptions {
  /** Unique provider name (router key, metrics label, `x-switchboard-provider`). */
  name: string;
  /** Base URL including the version path, as in the `openai` SDK: `https://api.openai.com/v1`. */
  baseURL: string;
  /** Sent as `Authorization: Bearer <apiKey>`; omit for upstreams without auth. */
  apiKey?: string;
  /** Model ids this provider serves; `'*'` matches any. */
  models: readonly ModelEntry[];
  /** Extra headers sent with every request (e.g. `OpenAI-Organization`, `api-key` for Azure). */
  headers?: Record<string, string>;
  /** Drop parameters a translated request (Anthropic Messages, Responses) cannot carry instead of answering 400. */
  dropUnsupportedParams?: boolean;
}

/**
 * Creates an adapter for an OpenAI-compatible upstream. It POSTs `{baseURL}/chat/completions`
 * through its own keep-alive undici pool, forwarding the request body as is (unknown fields
 * included) with only `stream` set by the method called; `{baseURL}/responses` and
 * `{baseURL}/embeddings` get their bodies passed through the same way (Responses events are
 * handed on as received); streams also ask for `stream_options.include_usage`, so usage is always
 * counted. Health is `GET {baseURL}/models`, whose list (when the provider serves `'*'`) is what
 * `listModels` returns.
 *
 * @example
 * ```ts
 * const openai = createOpenAIProvider({
 *   name: 'primary',
 *   baseURL: 'https://api.openai.com/v1',
 *   apiKey: process.env.OPENAI_API_KEY,
 *   models: ['gpt-4o-mini', 'gpt-4o'],
 * });
 * const completion = await openai.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] }, { timeoutMs: 30_000 });
 * for await (const chunk of await openai.stream(request, { signal })) process.stdout.write(chunk.choices[0]?.delta.content ?? '');
 * await openai.close();
 * ```
 */
export function createOpenAIProvider(options: OpenAIProviderOptions): ProviderAdapter {
  const { name, apiKey } = options;
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (apiKey !== undefined && apiKey.length > 0) headers.authorization = `Bearer ${apiKey}`;
  const client = new UpstreamClient({
    provider: name,
    baseURL: options.baseURL,
    headers,
    secrets: apiKey !== undefined && apiKey.length > 0 ? [apiKey] : [],
    connections: options.connections,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs,
    maxResponseBytes: options.maxResponseBytes,
    maxEventLength: options.maxEventLength,
  });
  const completionsPath = client.resolvePath('/chat/completions');
  const modelsPath = client.resolvePath('/models');
  const embeddingsPath = client.resolvePath('/embeddings');
  const responsesPath = client.resolvePath('/responses');
  const models = Object.freeze([...options.models]);
  const servesAnyModel = models.includes('*');
  /** The upstream's own model list, for `/v1/models` when this provider serves `'*'`. */
  let upstreamModels: readonly string[] | undefined;
  const probeModels = async (signal: AbortSignal): Promise<boolean> => {
    if (!servesAnyModel) return client.probe(modelsPath, signal);
    const text = await client.probeText(modelsPath, signal, MODEL_LIST_MAX_BYTES);
    if (text === undefined) return false;
    upstreamModels = parseModelList(text) ?? upstreamModels;
    return true;
  };

  return {
    name,
    type: 'openai',
    models,
    // Chat Completions has no prefill: a trailing assistant message is answered, not continued.
    supportsPrefill: false,
    dropUnsupportedParams: options.dropUnsupportedParams === true,

    async chat(request: ChatCompletionRequest, callOptions?: CallOptions): Promise<ChatCompletion> {
      const body = beforeUpstream(name, () =>
        request.stream === undefined || request.stream === false
          ? (rawJson(request) ?? JSON.stringify(request))
          : withStream(request, 'false'),
      );
      const completion = await client.postJson(completionsPath, body, callOptions);
      if (
        completion === null ||
        typeof completion !== 'object' ||
        !Array.isArray((completion as ChatCompletion).choices)
      ) {
        throw new ProviderError(`${name}: upstream answered 2xx without a \`choices\` array`, {
          kind: 'protocol',
          provider: name,
          body: completion,
        });
      }
      return completion as ChatCompletion;
    },

    async stream(request: ChatCompletionRequest, callOptions?: CallOptions): Promise<ChatStream> {
      const body = beforeUpstream(name, () => streamBody(request));
      const response = await client.postForStream(completionsPath, body, callOptions);
      return new SseChunkStream<ChatCompletionChunk>(response.call, response.body, new OpenAIChunkTranslator(name), {
        isContent: chatChunkHasContent,
        maxEventLength: client.maxEventLength,
        onMalformedEvent: callOptions?.onMalformedEvent,
      });
    },

    async responses(request: ResponsesRequest, callOptions?: CallOptions): Promise<ResponsesResponse> {
      const body = beforeUpstream(name, () => passThroughBody(request, false));
      const response = await client.postJson(responsesPath, body, callOptions);
      if (response === null || typeof response !== 'object' || !Array.isArray((response as ResponsesResponse).output)) {
        throw new ProviderError(`${name}: upstream answered 2xx without an \`output\` array`, {
          kind: 'protocol',
          provider: name,
          body: response,
        });
      }
      return response as ResponsesResponse;
    },

    async responsesStream(
      request: ResponsesRequest,
      callOptions?: CallOptions,
    ): Promise<WireEventStream<ResponsesStreamEvent>> {
      const body = beforeUpstream(name, () => passThroughBody(request, true));
      const response = await client.postForStream(responsesPath, body, callOptions);
      const events = new SseChunkStream<WireEvent>(
        response.call,
        response.body,
        new WireEventTranslator(name, openAIResponsesWireProtocol),
        {
          isContent: responsesEventHasContent,
          maxEventLength: client.maxEventLength,
          onMalformedEvent: callOptions?.onMalformedEvent,
        },
      );
      // The translator only checked that each event is a JSON object; the gateway reads its `type` defensively.
      return events as WireEventStream<ResponsesStreamEvent>;
    },

    async embeddings(request: EmbeddingsRequest, callOptions?: CallOptions): Promise<EmbeddingsResponse> {
      const body = beforeUpstream(name, () => rawJson(request) ?? JSON.stringify(request));
      const response = await client.postJson(embeddingsPath, body, callOptions);
      if (response === null || typeof response !== 'object' || !Array.isArray((response as EmbeddingsResponse).data)) {
        throw new ProviderError(`${name}: upstream answered 2xx without a \`data\` array`, {
          kind: 'protocol',
          provider: name,
          body: response,
        });
      }
      return response as EmbeddingsResponse;
    },

    async listModels(signal?: AbortSignal): Promise<readonly string[]> {
      if (!servesAnyModel) return [];
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

/**
 * A Responses body as the client sent it (its text, when kept and `stream` already says so), else
 * serialised afresh (an alias rewrote the model, or `stream` had to change).
 */
function passThroughBody(request: ResponsesRequest, stream: boolean): string {
  const raw = rawJson(request);
  if (raw !== undefined && (request.stream === true) === stream) return raw;
  return JSON.stringify({ ...request, stream: stream ? true : undefined });
}

/**
 * The JSON of a streamed request: `stream: true`, and `stream_options.include_usage: true` so the
 * upstream always reports usage (the router hides the usage chunk from a client that did not ask
 * for it). The client's text with only those fields spliced in when it kept it (usually one scan,
 * nothing re-serialised but `stream_options`), else a fresh serialisation.
 */
function streamBody(request: ChatCompletionRequest): string {
  const options = request.stream_options;
  const usageAsked = options?.include_usage === true;
  const text = rawJson(request);
  if (text !== undefined) {
    if (usageAsked)
      return request.stream === true ? text : (setTopLevelField(text, 'stream', 'true') ?? freshStreamBody(request));
    const optionsJson =
      options === undefined || options === null
        ? USAGE_OPTIONS_JSON
        : JSON.stringify({ ...options, include_usage: true });
    const spliced =
      request.stream === true
        ? setTopLevelField(text, 'stream_options', optionsJson)
        : setTopLevelFields(text, STREAM_KEYS, ['true', optionsJson]);
    return spliced ?? freshStreamBody(request);
  }
  return freshStreamBody(request);
}

function freshStreamBody(request: ChatCompletionRequest): string {
  return JSON.stringify({
    ...request,
    stream: true,
    stream_options: { ...request.stream_options, include_usage: true },
  });
}

const USAGE_OPTIONS_JSON = '{"include_usage":true}';
const STREAM_KEYS: readonly string[] = ['stream', 'stream_options'];

/**
 * The request's JSON with `stream` set: the client's text with that one field spliced in when the
 * request kept it (no re-serialisation: its other bytes go upstream as received), else a fresh
 * serialisation of a copy (without `stream` for a non-streamed call).
 */
function withStream(request: ChatCompletionRequest, stream: 'true' | 'false'): string {
  const text = rawJson(request);
  const spliced = text === undefined ? undefined : setTopLevelField(text, 'stream', stream);
  return spliced ?? JSON.stringify({ ...request, stream: stream === 'true' ? true : undefined });
}
