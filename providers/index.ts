/**
 * Switchboard's provider adapters: the contract, the error root, the OpenAI-compatible,
 * Anthropic and mock adapters, and `createProvider` for config-file entries.
 *
 * @example
 * ```ts
 * import { createOpenAIProvider, createAnthropicProvider, createMockProvider, createProvider } from 'switchboard/providers';
 * ```
 */
export {
  RAW_JSON,
  rawJson,
  keepRawJson,
  chunkTextOf,
  type CallOptions,
  type ChatStream,
  type ChunkTextSource,
  type MalformedStreamEvent,
  type ProviderAdapter,
} from '../src/contract/provider-adapter.ts';
export { AbortLatch, type AbortListener, type AbortSignalLike } from '../src/contract/abort-latch.ts';
export type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatContentPart,
  ChatMessage,
  ChatTool,
  ChatToolCall,
  ChatUsage,
  FinishReason,
} from '../src/contract/chat-types.ts';
export { ProviderError, type ProviderErrorKind, type ProviderErrorOptions } from '../src/contract/provider-error.ts';
export { createOpenAIProvider, type OpenAIProviderOptions } from './openai/openai-provider.ts';
export {
  ANTHROPIC_DEFAULT_BASE_URL,
  ANTHROPIC_DEFAULT_MAX_TOKENS,
  ANTHROPIC_DEFAULT_VERSION,
  createAnthropicProvider,
  type AnthropicProviderOptions,
} from './anthropic/anthropic-provider.ts';
export { createMockProvider, mockReply, type MockProviderOptions } from './mock/mock-provider.ts';
export {
  createProvider,
  OPENAI_DEFAULT_BASE_URL,
  PROVIDER_TYPES,
  type AnthropicProviderEntry,
  type MockProviderEntry,
  type OpenAIProviderEntry,
  type ProviderConfig,
  type ProviderType,
} from './create-provider.ts';
export type { UpstreamConnectionOptions } from './http/upstream-client.ts';
export { toAnthropicRequest, type AnthropicRequestSettings } from './anthropic/anthropic-translate-request.ts';
export { toChatCompletion, finishReasonOf } from './anthropic/anthropic-translate-response.ts';
export { SseParser, type SseEvent } from './http/sse-parser.ts';
export { parseDurationMs, parseRetryAfterHeaderMs, retryAfterMsFromHeaders } from './http/retry-after.ts';
export { createSeededRandom } from '../src/contract/seeded-random.ts';
export { SwitchboardError, type SwitchboardErrorCode } from '../src/contract/switchboard-error.ts';
export { ConfigurationError, type ConfigIssue } from '../src/contract/configuration-error.ts';
export { SecretScrubber, PATTERN_SCRUBBER, REDACTED, scrubProviderError } from '../src/contract/secret-scrubber.ts';
