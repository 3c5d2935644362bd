/**
 * The adapter contract: what a provider adapter implements and what the router, the gateway and
 * every adapter agree on (chat types, the error roots, the abort signal type).
 * No runtime dependencies.
 *
 * @example
 * ```ts
 * import type { ProviderAdapter } from 'switchboard/contract';
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
} from './provider-adapter.ts';
export { AbortLatch, type AbortListener, type AbortSignalLike } from './abort-latch.ts';
export type * from './chat-types.ts';
export type * from './messages-types.ts';
export type * from './responses-types.ts';
export type * from './embeddings-types.ts';
export type * from './wire-event.ts';
export {
  ProviderError,
  beforeUpstream,
  localProviderError,
  type ProviderErrorClass,
  type ProviderErrorKind,
  type ProviderErrorOptions,
} from './provider-error.ts';
export { modelEntryName, modelEntryUpstream, type ModelEntry } from './model-entry.ts';
export { SwitchboardError, type SwitchboardErrorCode, type SwitchboardErrorOptions } from './switchboard-error.ts';
export { ConfigurationError, formatIssue, formatPath, type ConfigIssue } from './configuration-error.ts';
export { isOpenAIErrorBody, openAIErrorBody, type OpenAIErrorBody } from './openai-error-body.ts';
export { PROVIDER_TYPES, type ProviderType } from './provider-types.ts';
export { createSeededRandom } from './seeded-random.ts';
export { SecretScrubber, PATTERN_SCRUBBER, REDACTED, scrubProviderError } from './secret-scrubber.ts';
export {
  applyUnsupportedParameters,
  unsupportedParameter,
  type UnsupportedParameterPolicy,
} from './unsupported-parameters.ts';
