import type { ChatCompletion, ChatCompletionRequest } from '../contract/chat-types.ts';
import type { AbortSignalLike } from '../contract/abort-latch.ts';
import type { ModelEntry } from '../contract/model-entry.ts';
import type { CallOptions, ChatStream, ProviderAdapter } from '../contract/provider-adapter.ts';
import type { SelectionStrategy } from './strategies/selection-strategy.ts';
import type { ProviderPricing, UsageTokens } from './pricing.ts';
import type { AffinityOptions } from './session-affinity.ts';
import type { RetryBudgetOptions } from './retry-budget.ts';
import type { ProbePermitSource } from './fleet-probe-gate.ts';

/** A circuit's state; the strings double as metric label values. */
export type CircuitState = 'closed' | 'open' | 'half_open';

/** Why a circuit changed state (the `reason` of a `circuitStateChange` event). */
export type CircuitTransitionReason =
  | 'failure_rate_or_consecutive_failures'
  | 'open_timeout_elapsed'
  | 'half_open_probe_failed'
  | 'half_open_successes_reached'
  | 'health_probe_failed'
  | 'health_probe_succeeded'
  | 'manual_reset'
  /** Another replica of the fleet changed this circuit (shared state); applied, not re-published. */
  | 'fleet_state';

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

/** Model → models tried in order; the key `'*'` applies to any model without its own entry. */
export type FallbackChains = Readonly<Record<string, readonly string[]>>;

/** Same-provider retries of a routed call (`router.retry` in the config file). */
export interface RetryOptions {
  /**
   * Extra tries on the same provider after a 5xx, a 408 or a connection reset, never after a
   * timeout (a silent provider is not asked again). Default 1.
   */
  sameProvider: number;
  /** First back-off in ms, doubling per retry, jittered (half fixed, half random). Default 200. */
  backoffMs: number;
  /**
   * A 429/503 `retry-after` up to this many ms is waited out on the same provider when nothing
   * else (no other provider, no fallback model) can serve. Default 3000.
   */
  maxRetryAfterMs: number;
}

/**
 * How routed calls (`chatCompletion`, `chatCompletionStream`) retry and fall back; the same keys
 * as the config file's `router` block. Set once in `new Router({...})`, overridable per call.
 */
export interface RoutingOptions {
  /**
   * Model → models tried in order once every provider of the model failed retryably (an open
   * circuit or a cool-down counts as a failed provider). `'*'` serves models without an entry.
   */
  fallbacks?: FallbackChains;
  /** Model → models tried only when the upstream said the prompt is too long (`context_length_exceeded`). */
  contextWindowFallbacks?: FallbackChains;
  /** Model → models tried only after a content-policy refusal. Default none: the refusal goes back unchanged. */
  contentPolicyFallbacks?: FallbackChains;
  /** Same-provider retries and the retry-after wait. */
  retry?: Partial<RetryOptions>;
  /** Upstream attempts per request: providers, fallback models and retries together. Default 3. */
  maxAttempts?: number;
  /**
   * Bound of the whole request in ms (every attempt, back-off and wait): the caller gets an answer,
   * or a clean error (a timeout, 504 in the gateway) within it. For a stream it bounds the wait for
   * its commit point (the first content); a stream under way is bounded by `streamIdleTimeoutMs`. Default 120000.
   */
  deadlineMs?: number;
  /** One attempt in ms: a whole non-streamed response; for a stream, the first chunk and each silence. Default 120000. */
  requestTimeoutMs?: number;
  /** Streams: no content within this many ms → the next candidate, invisibly to the client. Default 15000; 0 = off. */
  firstTokenTimeoutMs?: number;
  /** Streams: a silence between chunks longer than this many ms is a failure. Default 30000; 0 = off. */
  streamIdleTimeoutMs?: number;
  /**
   * Streams: what a failure after the commit point does. `off` (default): the stream ends with the
   * error. `continue`: when no tool-call delta was sent, the answer goes on from the next candidate
   * (an assistant prefill for adapters with `supportsPrefill`, else a fresh request whose text is
   * passed on only past what was already sent), within `maxAttempts` and the request's `deadlineMs`.
   */
  streamRecovery?: StreamRecoveryMode;
}

/** `RoutingOptions.streamRecovery`: `off` or `continue`. */
export type StreamRecoveryMode = 'off' | 'continue';

/** Options of `new Router()`. */
export interface RouterOptions extends RoutingOptions {
  /** Selection strategy: a built-in's name or your own `SelectionStrategy`. Default `latency`. Unknown names throw `ConfigurationError`. */
  strategy?: StrategyName | SelectionStrategy;
  /** Overrides of the circuit-breaker defaults. */
  circuitBreaker?: Partial<CircuitBreakerConfig>;
  /** Current time in ms; inject a fake one in tests. Default `performance.timeOrigin + performance.now()`. */
  clock?: () => number;
  /** Uniform random in [0, 1); inject a seeded one in tests. Default `Math.random`. */
  random?: () => number;
  /** Timeout of each active health probe in ms. Default 5000. */
  healthCheckTimeoutMs?: number;
  /**
   * The timers of routed calls' waits (retry back-off, a waited-out retry-after); inject virtual
   * ones next to a virtual `clock`. Default the global `setTimeout` / `clearTimeout`.
   */
  timers?: RouterTimers;
  /**
   * Session affinity (`router.affinity`): a request with a session key (`RoutedCallOptions.sessionKey`,
   * else the body's `prompt_cache_key`, `user` or `metadata.user_id`) sticks to one provider of its
   * model by rendezvous hashing, and moves only when that provider cannot serve. Default off.
   */
  affinity?: AffinityOptions;
  /**
   * Hedging (`router.hedge`): when the first attempt has no first token (a whole answer when not
   * streamed) after `afterMs`, start one more on another provider; the first result wins, the
   * other is cancelled. Default off.
   */
  hedge?: HedgeOptions;
  /** Retry budget (`router.retryBudget`): caps retries, fallbacks and hedges together over 10 s. Default off. */
  retryBudget?: RetryBudgetOptions;
  /**
   * Fleet-wide half-open probe permits (a shared-state backend): with them, a half-open circuit
   * probes only under a permit, so `halfOpenMaxProbes` caps the whole fleet. Default none (local cap).
   */
  probePermits?: ProbePermitSource;
}

/** Settings of hedging (`router.hedge`). */
export interface HedgeOptions {
  /**
   * Delay before the extra attempt, ms, or `"p95"`: the 95th percentile of recent times to first
   * token (no hedging until 20 have been seen).
   */
  afterMs: number | 'p95';
  /** Extra attempts at most. Default 1. */
  max?: number;
}

/** Timer functions the router waits with (see `RouterOptions.timers`). */
export interface RouterTimers {
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Per-provider registration options. */
export interface RegisterOptions {
  /** Relative weight for the `weighted` strategy. Default 1; 0 = only when all are 0. */
  weight?: number;
  /**
   * The models it serves, overriding `adapter.models`: public names, `{ name, upstream }` aliases
   * (clients ask for `name`, the provider is sent `upstream`), or `'*'` for any name, sent as asked.
   */
  models?: readonly ModelEntry[];
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
  /**
   * A 429: cools the deployment (or the provider, without `model`) down for `retryAfterMs`, or
   * without one for a default that doubles with consecutive 429s (1 s, 2 s, 4 s … 30 s), so a
   * rate-limited model is not asked again in a tight loop. Not counted against the circuit.
   */
  rateLimited?: boolean;
  /** Skip the provider (or the deployment, with `model`) for this long (a 429's `retry-after`), without touching its circuit. */
  retryAfterMs?: number;
  /**
   * The public model of the call. With it the result applies to that deployment (a failure opens
   * or cools down only that model at the provider) and to the provider's latency; without it, to
   * the provider as a whole.
   */
  model?: string;
  /**
   * `provider` for a provider-wide fault (connection refused or reset, DNS, TLS, 401/403): it counts
   * against the provider's circuit, which gates all its models. Default `deployment` when `model`
   * is given, else `provider`.
   */
  scope?: 'provider' | 'deployment';
  /**
   * For a failure: what failed (a `ProviderError` from routed calls), for observers of the `result`
   * event (logs, traces). The router itself ignores it.
   */
  error?: unknown;
  /** Token usage the answer reported (a successful call), passed through to the `result` event. */
  usage?: UsageTokens | null;
  /** The request the call served (`RoutedCallOptions.requestId`), passed through to the `result` event. */
  requestId?: string;
}

/** One deployment's (a provider × public model) health, in `healthStatus()[provider].deployments[model]`. */
export interface DeploymentSnapshot {
  /** The name sent upstream (`'*'`: as asked). */
  upstream: string;
  /** Latency EMA in ms; 0 = not measured yet. */
  latencyMs: number;
  /** Failure-rate score in [0, 1]. */
  failureRate: number;
  circuitState: CircuitState;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  lastStateChange: number;
  openReason: CircuitTransitionReason | null;
  /** Until when a 429 cool-down keeps the deployment out of selection; 0 = none. */
  coolingDownUntil: number;
}

/**
 * Everything the router knows about one provider's health, as returned by `healthStatus()`.
 * The circuit fields are the provider-wide circuit's (provider-wide faults); `deployments` has
 * each model's own.
 */
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
  /** The public model names the provider lists (`'*'` included). */
  models: string[];
  /** Each public model's deployment at this provider (names served through `'*'` once used). */
  deployments: Record<string, DeploymentSnapshot>;
};

/** Payload of the `circuitStateChange` event. */
export interface CircuitStateChangeEvent {
  provider: string;
  /** The deployment's public model, or `'*'` for the provider-wide circuit. */
  model: string;
  from: CircuitState;
  to: CircuitState;
  reason: CircuitTransitionReason;
  /** Router-clock time of the change. */
  timestamp: number;
  /** For `to: 'open'`: when the circuit lets probes through (router clock). */
  openUntil?: number;
  /**
   * `fleet`: the change was made by another replica and applied here from shared state (not
   * published again, not counted in `circuit_state_changes_total`); absent for this replica's own.
   */
  origin?: 'fleet';
}

/** Payload of the `coolDown` event: this replica learnt a cool-down (a 429's retry-after, or the default back-off). */
export interface CoolDownEvent {
  provider: string;
  /** The deployment's public model, or `'*'` for the whole provider. */
  model: string;
  /** End of the cool-down (router clock). */
  until: number;
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

/**
 * Why a request was served by another provider or model than its first choice (the
 * `x-switchboard-fallback-reason` header and the `reason` label of `switchboard_fallbacks_total`).
 */
export type FallbackReason =
  | 'rate_limited' // 429
  | 'server_error' // 5xx, 408, 409, 425
  | 'timeout' // no answer, or a stream without content, in time
  | 'connection_error' // refused, reset, DNS, TLS
  | 'protocol_error' // an invalid body, a malformed or empty stream
  | 'authentication_error' // 401/403 from the provider
  | 'unavailable' // every provider of the model had its circuit open, was cooling down or disabled
  | 'context_length_exceeded'
  | 'content_policy'
  | 'unsupported_parameter' // the first provider cannot honour a parameter of the request; another can
  | 'hedged'; // the first attempt was slow to start; a hedge on another provider answered first

/** Payload of the `attempt` event, emitted by `chatCompletion`/`chatCompletionStream` once per upstream attempt. */
export interface AttemptEvent {
  /** The public model of this attempt (a fallback model after a model fallback). */
  model: string;
  /** The model the request asked for. */
  requestedModel: string;
  provider: string;
  /** 1 for the first attempt, counting every retry and fallback. */
  attempt: number;
  /**
   * `retry`: the same provider again; `fallback`: another provider or model; `hedge`: an extra
   * attempt on another provider while the first is still waiting for its first token.
   */
  kind: 'first' | 'retry' | 'fallback' | 'hedge';
  /** Why the request left its previous provider (for `fallback`). */
  reason?: FallbackReason;
  /** Error message of the previous attempt. */
  previousError?: string;
  streaming: boolean;
}

/** Payload of the `healthCheck` event: one active health probe's outcome. */
export interface HealthCheckEvent {
  provider: string;
  healthy: boolean;
  /** Why a failed probe failed (its error's message, a timeout, or an unhealthy answer); upstream text, unscrubbed. */
  error?: string | undefined;
}

/** Payload of the `streamMalformedEvent` event: an adapter skipped a malformed event in a healthy stream. */
export interface StreamMalformedEventEvent {
  provider: string;
  /** The model the request asked for. */
  model: string;
  /** Why the event was skipped (at most 200 characters, scrubbed by the adapter). */
  reason: string;
}

/**
 * How a stream recovery ended (the `outcome` of a `streamRecovery` event): continued by an
 * assistant prefill or by a fresh request whose text matched; `mismatch`: the fresh answer
 * differed from what was sent; `failed`: no candidate could continue within the attempts and
 * deadline; `not_resumable`: not attempted (a tool-call delta, another choice or a finish_reason
 * was already sent, or the answer was too long to keep).
 */
export type StreamRecoveryOutcome = 'continued_prefill' | 'continued_fresh' | 'mismatch' | 'failed' | 'not_resumable';

/** Payload of the `streamRecovery` event: a stream failed after its commit point with `streamRecovery: continue`. */
export interface StreamRecoveryEvent {
  /** The provider whose stream failed. */
  provider: string;
  /** The model the request asked for. */
  model: string;
  outcome: StreamRecoveryOutcome;
  /** The provider that continued the answer (for the `continued_*` outcomes). */
  continuedBy?: string;
}

/** One provider of `router.reconfigure`: its adapter and how it is registered. */
export interface ProviderRegistration {
  adapter: ProviderAdapter;
  options?: RegisterOptions;
}

/**
 * Options of `router.reconfigure`: the new state of what is given; absent keys stay as they are.
 * Routing options and circuit-breaker settings given replace the current ones (unset keys take
 * their defaults, as in the constructor).
 */
export interface RouterReconfiguration {
  /** The whole provider list, in order; providers not in it are removed. */
  providers?: readonly ProviderRegistration[];
  strategy?: StrategyName | SelectionStrategy;
  circuitBreaker?: Partial<CircuitBreakerConfig>;
  routing?: RoutingOptions;
  /** Active health probes: `intervalMs: 0` stops them. */
  healthCheck?: { intervalMs: number; timeoutMs?: number };
}

/** What `router.reconfigure` did to the providers, by name. */
export interface ProviderChanges {
  /** New names. */
  added: string[];
  /** Names no longer registered. */
  removed: string[];
  /** Names registered again with another adapter or other models: their health starts afresh. */
  replaced: string[];
  /** Names whose record (health, circuit, latency EMA, switch) was kept; weight and pricing updated. */
  kept: string[];
}

/** Payload of the `reconfigured` event: one `router.reconfigure` applied. */
export interface ReconfiguredEvent extends ProviderChanges {
  /** The strategy in force afterwards. */
  strategy: string;
}

/** Map of router event names to their payloads. */
export interface RouterEvents {
  healthCheck: HealthCheckEvent;
  streamMalformedEvent: StreamMalformedEventEvent;
  streamRecovery: StreamRecoveryEvent;
  circuitStateChange: CircuitStateChangeEvent;
  coolDown: CoolDownEvent;
  result: ResultEvent;
  attempt: AttemptEvent;
  providerRegistered: { provider: string };
  providerUnregistered: { provider: string };
  reconfigured: ReconfiguredEvent;
}

/** Options of the routed calls `chatCompletion` and `chatCompletionStream`: the router's `RoutingOptions`, per call. */
export interface RoutedCallOptions extends RoutingOptions {
  /** Aborts the call: an `AbortSignal`, or an `AbortLatch` where signals are too costly. */
  signal?: AbortSignalLike;
  /** Same as `requestTimeoutMs` (kept for existing callers). */
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
  /**
   * The session the request belongs to, for `affinity` (the gateway passes the affinity header,
   * `prompt_cache_key`, `user` or `metadata.user_id`). Chat calls without it use the request's own fields.
   */
  sessionKey?: string;
}

/**
 * One attempt of a routed call on one provider (see `Router.call`): resolves with what the
 * caller gets or rejects with the upstream's error. `callOptions` carry the signal, timeout and
 * headers of the attempt; `upstreamModel` is the model name this provider must be sent (an
 * alias's upstream name, or a fallback model's).
 */
export type RoutedOperation<Result> = (
  adapter: ProviderAdapter,
  callOptions: CallOptions,
  upstreamModel: string,
) => Promise<Result>;

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

/** What every routed result says about how it was served. */
export interface RoutedOutcome {
  /** Name of the provider that served it. */
  provider: string;
  /** The public model that served it (a fallback model after a model fallback). */
  model: string;
  /** Upstream attempts made, retries and fallbacks included, the serving one included. */
  attempts: number;
  /** Set when another provider or model than the first choice served (a same-provider retry is not a fallback). */
  fallbackReason: FallbackReason | undefined;
}

/** Result of a routed non-streamed call. */
export interface RoutedCompletion extends RoutedOutcome {
  completion: ChatCompletion;
}

/** Result of a routed streamed call: resolved at the stream's commit point (its first content). */
export interface RoutedStream extends RoutedOutcome {
  /** Chunks, from the first (held-back role chunks included). Ending, failing or breaking out records the result. */
  stream: ChatStream;
}

export type { ProviderAdapter, ChatCompletionRequest };
