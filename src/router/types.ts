import type { ChatCompletion, ChatCompletionRequest } from '../contract/chat-types.ts';
import type { AbortSignalLike } from '../contract/abort-latch.ts';
import type { CallOptions, ChatStream, ProviderAdapter } from '../contract/provider-adapter.ts';
import type { SelectionStrategy } from './strategies/selection-strategy.ts';
import type { ProviderPricing, UsageTokens } from './pricing.ts';

/** A circuit's state; the strings double as metric label values. */
export type CircuitState = 'closed' | 'open' | 'half_open';

/** Why a circuit changed state (the `reason` of a `circuitStateChange` event). */
export type CircuitTransitionReason =
  | 'failure_rate_or_consecutive_failures'
  | 'open_timeout_elapsed'
  | 'half_open_probe_failed'
  | 'half_open_successes_reached'
  | 'health_probe_failed'
  | 'manual_reset';

/** Circuit-breaker settings; keys as in the config file's `router.circuitBreaker` block. */
export interface CircuitBreakerConfig {
  /** Open when the failure-rate score is strictly above this (0..1). Default 0.5. */
  failureRateThreshold: number;
  /** Open after this many consecutive failures. Default 5. */
  consecutiveFailureLimit: number;
  /** Close a half-open circuit after this many successful probe requests. Default 3. */
  halfOpenSuccessThreshold: number;
  /** How long a circuit stays open before it lets probes through, in ms. Default 30000. */
  openTimeoutMs: number;
  /** Concurrent probe requests allowed while half-open. Default 1. */
  halfOpenMaxProbes: number;
  /** Cap of the re-open back-off: open timeout × consecutive openings, at most this factor. Default 10. */
  maxOpenTimeoutMultiplier: number;
}

/** Names of the built-in selection strategies. */
export type StrategyName = 'latency' | 'round_robin' | 'weighted' | 'availability' | 'least_in_flight' | 'p2c' | 'cost';

/** Options of `new Router()`. */
export interface RouterOptions {
  /** Selection strategy: a built-in's name or your own `SelectionStrategy`. Default `latency`. Unknown names throw `ConfigurationError`. */
  strategy?: StrategyName | SelectionStrategy;
  /** Overrides of the circuit-breaker defaults. */
  circuitBreaker?: Partial<CircuitBreakerConfig>;
  /** Current time in ms; inject a fake one in tests. Default `Date.now`. */
  clock?: () => number;
  /** Uniform random in [0, 1); inject a seeded one in tests. Default `Math.random`. */
  random?: () => number;
  /** Timeout of each active health probe in ms. Default 5000. */
  healthCheckTimeoutMs?: number;
}

/** Per-provider registration options. */
export interface RegisterOptions {
  /** Relative weight for the `weighted` strategy. Default 1; 0 = only when all are 0. */
  weight?: number;
  /**
   * What the provider charges, US dollars per million tokens: one `{ inputPerMTok, outputPerMTok }`
   * for all its models or a map from public model name to one. The `cost` strategy ranks by it and
   * `result` events carry `costUsd` from the answer's usage.
   */
  pricing?: ProviderPricing;
}

/** What happened on one call to a provider, as told to `recordResult`. */
export interface ResultInput {
  /** True when the provider served the request. */
  success: boolean;
  /** Latency of the attempt in ms (time to first chunk for streams); ≤ 0 or absent is ignored. */
  latencyMs?: number;
  /**
   * Whether a failure counts against health and circuit. Default true. False for failures
   * that are not the provider's fault (a client's bad request, a 429 cool-down, an abort):
   * such a result only frees a half-open probe slot.
   */
  countsAsFailure?: boolean;
  /** Skip this provider for this long (a 429's `retry-after`), without touching its circuit. */
  retryAfterMs?: number;
  /** The model of the request, passed through to the `result` event. */
  model?: string;
  /**
   * For a failure: what failed (a `ProviderError` from routed calls), for observers of the `result`
   * event (logs, traces). The router itself ignores it.
   */
  error?: unknown;
  /** Token usage the answer reported (a successful call), passed through to the `result` event. */
  usage?: UsageTokens | null;
}

/** Everything the router knows about one provider's health, as returned by `healthStatus()`. */
export interface HealthSnapshot {
  available: boolean;
  /** Latency EMA in ms; 0 = not measured yet. */
  latencyMs: number;
  /** Failure-rate score in [0, 1]. */
  failureRate: number;
  weight: number;
  circuitState: CircuitState;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  /** When the circuit last changed state (ms since epoch, per the router's clock). */
  lastStateChange: number;
  /** Why the circuit is open or half-open; null when closed. */
  openReason: CircuitTransitionReason | null;
  /** When the last active health probe finished; 0 = never. */
  lastCheckTime: number;
  /** Until when a 429 cool-down keeps the provider out of selection; 0 = none. */
  coolingDownUntil: number;
  /** Requests currently in flight (selected and not yet recorded). */
  inFlight: number;
}

/** One provider's entry in `router.healthStatus()`: its health, plus its switch, type and models. */
export type ProviderStatus = HealthSnapshot & {
  /** The operator's switch (`setEnabled`): false = takes no traffic whatever its circuit says. */
  enabled: boolean;
  /** The adapter's type, e.g. `openai`. */
  type: string;
  /** The model ids the provider lists. */
  models: string[];
};

/** Payload of the `circuitStateChange` event. */
export interface CircuitStateChangeEvent {
  provider: string;
  from: CircuitState;
  to: CircuitState;
  reason: CircuitTransitionReason;
  /** Router-clock time of the change. */
  timestamp: number;
}

/** Payload of the `result` event: every `recordResult` for a registered provider. */
export interface ResultEvent extends ResultInput {
  provider: string;
  /** Health after the result was applied. */
  latencyEmaMs: number;
  failureRate: number;
  circuitState: CircuitState;
  /** US dollars the answer cost: `usage` × the provider's `pricing` for `model`; absent when either is unknown. */
  costUsd?: number;
}

/** Payload of the `attempt` event, emitted by `chatCompletion`/`chatCompletionStream` once per provider tried. */
export interface AttemptEvent {
  model: string;
  provider: string;
  /** 1 for the first provider, 2 for the first fallback… */
  attempt: number;
  /** `fallback` when an earlier attempt failed retryably. */
  kind: 'first' | 'fallback';
  /** Error message of the previous attempt when `kind` is `fallback`. */
  previousError?: string;
  streaming: boolean;
}

/** Map of router event names to their payloads. */
export interface RouterEvents {
  circuitStateChange: CircuitStateChangeEvent;
  result: ResultEvent;
  attempt: AttemptEvent;
  providerRegistered: { provider: string };
  providerUnregistered: { provider: string };
}

/** Options of the routed calls `chatCompletion` and `chatCompletionStream`. */
export interface RoutedCallOptions {
  /** Aborts the call: an `AbortSignal`, or an `AbortLatch` where signals are too costly. */
  signal?: AbortSignalLike;
  /** Providers tried per request, the first included. Default 3. */
  maxAttempts?: number;
  /** Per-attempt timeout in ms (see `CallOptions.timeoutMs`). Default 120000. */
  timeoutMs?: number;
  requestId?: string;
  /** Extra upstream request headers for every attempt (see `CallOptions.headers`). */
  headers?: Record<string, string>;
  /** See `CallOptions.reportDroppedParams`. */
  reportDroppedParams?: CallOptions['reportDroppedParams'];
  /**
   * Only providers for which this returns true are selected (e.g. those whose adapter can serve
   * embeddings); the others are skipped as if excluded.
   */
  supports?: (adapter: ProviderAdapter) => boolean;
}

/**
 * One attempt of a routed call on one provider (see `Router.call`): resolves with what the
 * caller gets or rejects with the upstream's error. `callOptions` carry the signal, timeout and
 * headers of the attempt.
 */
export type RoutedOperation<Result> = (adapter: ProviderAdapter, callOptions: CallOptions) => Promise<Result>;

/** Result of a routed generic call (`Router.call`). */
export interface RoutedResult<Result> {
  result: Result;
  /** Name of the provider that served it. */
  provider: string;
  /** Providers tried, the serving one included. */
  attempts: number;
}

/** Result of a routed generic stream (`Router.callStream`): resolved once the first item is in hand. */
export interface RoutedItemStream<Item> {
  /** Items, the first included. Ending, failing or breaking out records the result. */
  stream: AsyncIterable<Item>;
  provider: string;
  attempts: number;
}

/** Result of a routed non-streamed call. */
export interface RoutedCompletion {
  completion: ChatCompletion;
  /** Name of the provider that served it. */
  provider: string;
  /** Providers tried, the serving one included. */
  attempts: number;
}

/** Result of a routed streamed call: resolved once the first chunk is in hand. */
export interface RoutedStream {
  /** Chunks, the first included. Ending, failing or breaking out records the result. */
  stream: ChatStream;
  provider: string;
  attempts: number;
}

export type { ProviderAdapter, ChatCompletionRequest };
