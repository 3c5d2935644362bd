import type { ChatCompletionRequest } from '../contract/chat-types.ts';
import type { ProviderAdapter } from '../contract/provider-adapter.ts';
import type { CircuitTransition } from './circuit-breaker.ts';
import { resolveCircuitConfig } from './circuit-config.ts';
import { ConfigurationError, ModelNotFoundError, NoProviderAvailableError, type SkipReason } from './errors.ts';
import { EventHub, type Listener } from './event-hub.ts';
import { HealthChecker } from './health-checker.ts';
import { ModelIndex } from './model-index.ts';
import { PricingTable, type UsageTokens } from './pricing.ts';
import { ProviderRecord } from './provider-record.ts';
import {
  routeCall,
  routeChatCompletion,
  routeChatCompletionStream,
  routeItemStream,
  type RoutingHost,
} from './routed-call.ts';
import { createStrategy } from './strategies/create-strategy.ts';
import type { SelectionContext, SelectionStrategy } from './strategies/selection-strategy.ts';
import type {
  CircuitBreakerConfig,
  CircuitState,
  ProviderStatus,
  RegisterOptions,
  ResultInput,
  RoutedCallOptions,
  RoutedCompletion,
  RoutedItemStream,
  RoutedOperation,
  RoutedResult,
  RoutedStream,
  RouterEvents,
  RouterOptions,
} from './types.ts';

/** Options of `selectProvider`. */
export interface SelectContext {
  /** Provider names not to choose (those already tried). */
  exclude?: ReadonlySet<string> | readonly string[];
}

/** One entry of `registeredModels()`. */
export interface RegisteredModel {
  id: string;
  /** The first provider, by name, that lists the model. */
  ownedBy: string;
}

const defaultClock = (): number => performance.timeOrigin + performance.now();

/**
 * Routes chat requests across LLM providers: per-provider health (latency EMA, failure-rate
 * score), a circuit breaker with capped half-open probing, 429 cool-downs, a selection
 * strategy, an active health checker, and routed calls that fall back on retryable failures.
 * Pure and synchronous except for the calls and probes; time comes from `clock`.
 *
 * @example
 * ```ts
 * import { Router } from 'switchboard';
 * import { createMockProvider } from 'switchboard/providers';
 *
 * const router = new Router({ strategy: 'latency' });
 * router.registerProvider(createMockProvider({ name: 'fast', models: ['gpt-4o-mini'] }));
 * router.registerProvider(createMockProvider({ name: 'backup', models: ['*'] }));
 * const { completion, provider } = await router.chatCompletion({
 *   model: 'gpt-4o-mini',
 *   messages: [{ role: 'user', content: 'Hello' }],
 * });
 * router.on('circuitStateChange', ({ provider, from, to }) => console.log(provider, from, '→', to));
 * ```
 */
export class Router {
  /** The name of the strategy in use. */
  readonly strategy: string;
  private readonly records = new Map<string, ProviderRecord>();
  private readonly index = new ModelIndex();
  private readonly events = new EventHub<RouterEvents>();
  private readonly selector: SelectionStrategy;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly healthChecker: HealthChecker;
  private readonly host: RoutingHost;
  private config: CircuitBreakerConfig;
  private registrations = 0;
  /** Reused by `selectProvider` so selection allocates nothing (JavaScript runs it to completion). */
  private readonly scratch: ProviderRecord[] = [];
  private readonly context: SelectionContext;

  constructor(options: RouterOptions = {}) {
    this.selector = createStrategy(options.strategy ?? 'latency');
    this.strategy = this.selector.name;
    this.config = resolveCircuitConfig(options.circuitBreaker);
    this.clock = options.clock ?? defaultClock;
    this.random = options.random ?? Math.random;
    this.context = { model: '', now: 0, random: this.random };
    const healthCheckTimeoutMs = options.healthCheckTimeoutMs ?? 5_000;
    this.healthChecker = new HealthChecker(
      {
        records: () => this.records.values(),
        applyProbeResult: (record, healthy) => this.applyProbeResult(record, healthy),
      },
      healthCheckTimeoutMs,
    );
    this.host = {
      events: this.events,
      now: this.clock,
      selectProvider: (model, context) => this.selectProvider(model, context),
      recordResult: (name, result) => this.recordResult(name, result),
      trackInFlight: (name, delta) => {
        const record = this.records.get(name);
        if (record !== undefined) record.inFlight = Math.max(0, record.inFlight + delta);
      },
      providersOf: (model) => this.providersOf(model),
    };
  }

  /**
   * Registers a provider under `adapter.name`. Registering a name again replaces the
   * provider and resets its health.
   *
   * @throws ConfigurationError for an empty name, a negative / non-finite weight or a bad price.
   */
  registerProvider(adapter: ProviderAdapter, options: RegisterOptions = {}): void {
    if (typeof adapter.name !== 'string' || adapter.name.trim() === '')
      throw new ConfigurationError('A provider needs a non-empty name');
    const weight = options.weight ?? 1;
    if (!Number.isFinite(weight) || weight < 0)
      throw new ConfigurationError(`Provider '${adapter.name}': weight must be a finite number ≥ 0`);
    const pricing = options.pricing === undefined ? undefined : new PricingTable(options.pricing, adapter.name);
    this.records.delete(adapter.name);
    this.registrations += 1;
    const record = new ProviderRecord(adapter, this.registrations, weight, () => this.config, this.clock());
    record.pricing = pricing;
    this.records.set(adapter.name, record);
    this.index.rebuild(this.records.values());
    this.events.emit('providerRegistered', { provider: adapter.name });
  }

  /** Removes a provider; returns false when no provider had that name. */
  unregisterProvider(name: string): boolean {
    if (!this.records.delete(name)) return false;
    this.index.rebuild(this.records.values());
    this.events.emit('providerUnregistered', { provider: name });
    return true;
  }

  /** The adapter registered under `name`, if any. */
  provider(name: string): ProviderAdapter | undefined {
    return this.records.get(name)?.adapter;
  }

  /** The adapters registered for `model` (listing it or `'*'`), in registration order, whatever their health. */
  providersOf(model: string): ProviderAdapter[] {
    return this.index.providersFor(model).map((record) => record.adapter);
  }

  /** Every registered adapter, in registration order. */
  providers(): ProviderAdapter[] {
    return Array.from(this.records.values(), (record) => record.adapter);
  }

  /**
   * Picks the provider for one request to `model` with the router's strategy. Takes a probe
   * slot when the pick is half-open; `recordResult` frees it.
   *
   * @throws ModelNotFoundError when no registered provider lists `model`;
   *   NoProviderAvailableError (naming each provider's reason) when none can take traffic.
   */
  selectProvider(model: string, context: SelectContext = {}): ProviderAdapter {
    const now = this.clock();
    const exclude = toSet(context.exclude);
    const candidates = this.fillCandidates(model, now, exclude);
    if (candidates.length === 0) throw this.noProviderError(model, now, exclude);
    this.context.model = model;
    this.context.now = now;
    const chosen = candidates[this.selector.choose(candidates, this.context)] as ProviderRecord;
    candidates.length = 0;
    chosen.circuit.takeProbeSlot(now);
    return chosen.adapter;
  }

  /**
   * The providers that can take a request for `model` now, minus `exclude`, best first by the
   * strategy's own order. Takes a probe slot for each half-open provider returned.
   */
  fallbackProviders(model: string, options: SelectContext = {}): ProviderAdapter[] {
    const now = this.clock();
    const candidates = this.fillCandidates(model, now, toSet(options.exclude));
    if (candidates.length === 0) return [];
    this.context.model = model;
    this.context.now = now;
    const ranked = this.selector.rank(candidates, this.context);
    candidates.length = 0;
    return ranked.map((record) => {
      record.circuit.takeProbeSlot(now);
      return record.adapter;
    });
  }

  /**
   * Records the outcome of one call: latency EMA, failure rate, circuit, 429 cool-down, and
   * frees a probe slot. Unknown names are ignored.
   */
  recordResult(name: string, result: ResultInput): void {
    const record = this.records.get(name);
    if (record === undefined) return;
    const now = this.clock();
    this.advanceCircuit(record, now);
    const { health, circuit } = record;
    if (result.latencyMs !== undefined) health.recordLatency(result.latencyMs, now);
    circuit.releaseProbeSlot();
    if (result.retryAfterMs !== undefined && result.retryAfterMs > 0) {
      record.coolingDownUntil = Math.max(record.coolingDownUntil, now + result.retryAfterMs);
    }
    let transition: CircuitTransition | undefined;
    if (result.success) {
      health.recordSuccess();
      transition = circuit.onSuccess(now);
      if (transition?.to === 'closed') health.failureRate = 0;
    } else if (result.countsAsFailure !== false) {
      health.recordFailure();
      transition = circuit.onFailure(now, health.failureRate);
    }
    this.selector.observe?.(record, result, now);
    this.publishTransition(record, transition, now);
    if (this.events.has('result')) {
      const costUsd =
        result.success && result.model !== undefined ? record.pricing?.costOf(result.model, result.usage) : undefined;
      this.events.emit('result', {
        ...result,
        provider: name,
        latencyEmaMs: health.latencyMs,
        failureRate: health.failureRate,
        circuitState: circuit.state,
        ...(costUsd === undefined ? {} : { costUsd }),
      });
    }
  }

  /** Sets a provider's health flag (the Go `UpdateHealth`): a closed circuit with `false` takes no traffic. */
  updateHealth(name: string, available: boolean): void {
    const record = this.records.get(name);
    if (record !== undefined) record.available = available;
  }

  /**
   * An operator's switch: a disabled provider takes no traffic in any circuit state, unlike
   * `updateHealth(name, false)`, which a half-open circuit overrides. Returns false for unknown names.
   */
  setEnabled(name: string, enabled: boolean): boolean {
    const record = this.records.get(name);
    if (record === undefined) return false;
    record.enabled = enabled;
    return true;
  }

  /** Forces a provider's circuit closed and clears its counters and cool-down. Returns false for unknown names. */
  resetCircuit(name: string): boolean {
    const record = this.records.get(name);
    if (record === undefined) return false;
    const now = this.clock();
    record.coolingDownUntil = 0;
    record.health.failureRate = 0;
    this.publishTransition(record, record.circuit.reset(now), now);
    return true;
  }

  /** Every field of every provider's health, circuit included. */
  healthStatus(): Record<string, ProviderStatus> {
    const now = this.clock();
    const status: Record<string, ProviderStatus> = {};
    for (const record of this.records.values()) {
      this.advanceCircuit(record, now);
      const { health, circuit } = record;
      status[record.name] = {
        available: record.available,
        enabled: record.enabled,
        type: record.adapter.type,
        models: [...record.adapter.models],
        latencyMs: health.latencyMs,
        failureRate: health.failureRate,
        weight: record.weight,
        circuitState: circuit.state,
        consecutiveFailures: circuit.consecutiveFailures,
        consecutiveSuccesses: circuit.consecutiveSuccesses,
        lastStateChange: circuit.lastStateChange,
        openReason: circuit.openReason,
        lastCheckTime: record.lastCheckTime,
        coolingDownUntil: record.coolingDownUntil > now ? record.coolingDownUntil : 0,
        inFlight: record.inFlight,
      };
    }
    return status;
  }

  /**
   * Every model id some provider lists (`''` and `'*'` skipped, ids trimmed), sorted by id,
   * each owned by the first provider in name order that lists it.
   */
  registeredModels(): RegisteredModel[] {
    const owners = new Map<string, string>();
    const names = [...this.records.keys()].sort();
    for (const name of names) {
      for (const rawId of (this.records.get(name) as ProviderRecord).adapter.models) {
        const id = rawId.trim();
        if (id !== '' && id !== '*' && !owners.has(id)) owners.set(id, name);
      }
    }
    return [...owners]
      .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0))
      .map(([id, ownedBy]) => ({ id, ownedBy }));
  }

  /** A provider's circuit state (moving open → half-open when the timeout has passed); undefined for unknown names. */
  circuitState(name: string): CircuitState | undefined {
    const record = this.records.get(name);
    if (record === undefined) return undefined;
    this.advanceCircuit(record, this.clock());
    return record.circuit.state;
  }

  /** True when at least one provider can take traffic for some model now. */
  isReady(): boolean {
    const now = this.clock();
    for (const record of this.records.values()) if (this.canTakeTraffic(record, now)) return true;
    return false;
  }

  /**
   * Changes circuit-breaker settings for every provider, live. Unset keys keep their value.
   *
   * @throws ConfigurationError naming a bad key; nothing changes then.
   */
  setCircuitConfig(config: Partial<CircuitBreakerConfig>): void {
    this.config = resolveCircuitConfig(config, this.config);
  }

  /** The circuit-breaker settings in force (a copy). */
  circuitConfig(): CircuitBreakerConfig {
    return { ...this.config };
  }

  /** Starts active health probes every `intervalMs` (restarting with the new interval if running). */
  startHealthChecker(intervalMs: number): void {
    this.healthChecker.start(intervalMs);
  }

  /** Stops the health checker; resolves at once, even with a probe hung. */
  stopHealthChecker(): Promise<void> {
    return this.healthChecker.stop();
  }

  /** Probes every provider that has a health check once, now; resolves when all settled. */
  checkHealth(): Promise<void> {
    return this.healthChecker.checkAll();
  }

  /** Subscribes to a router event; returns the function that unsubscribes. */
  on<Name extends keyof RouterEvents>(name: Name, listener: Listener<RouterEvents[Name]>): () => void {
    return this.events.on(name, listener);
  }

  /** Unsubscribes a listener added with `on`. */
  off<Name extends keyof RouterEvents>(name: Name, listener: Listener<RouterEvents[Name]>): void {
    this.events.off(name, listener);
  }

  /**
   * One non-streamed completion with the gateway's behaviour: select, call, record, and on a
   * retryable failure fall back to the next provider, up to `maxAttempts` (default 3).
   *
   * @throws ModelNotFoundError, NoProviderAvailableError, RoutingFailedError.
   */
  chatCompletion(request: ChatCompletionRequest, options?: RoutedCallOptions): Promise<RoutedCompletion> {
    return routeChatCompletion(this.host, request, options);
  }

  /**
   * One streamed completion, falling back while no chunk has arrived. Resolves with the
   * stream once its first chunk is in hand; iterate it to the end (or break) so the result
   * is recorded.
   *
   * @example
   * ```ts
   * const { stream, provider } = await router.chatCompletionStream({ model: 'gpt-4o-mini', messages });
   * for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta.content ?? '');
   * ```
   */
  chatCompletionStream(request: ChatCompletionRequest, options?: RoutedCallOptions): Promise<RoutedStream> {
    return routeChatCompletionStream(this.host, request, options);
  }

  /**
   * Any non-streamed operation routed like a chat completion (select, call, record, fall back):
   * `operation` runs once per attempt with the chosen adapter. The gateway serves Anthropic
   * Messages, Responses and embeddings through it.
   *
   * @example
   * ```ts
   * const { result, provider } = await router.call('text-embedding-3-small', (adapter, callOptions) =>
   *   adapter.embeddings!({ model: 'text-embedding-3-small', input: 'hello' }, callOptions),
   *   { supports: (adapter) => adapter.embeddings !== undefined });
   * ```
   */
  call<Result>(
    model: string,
    operation: RoutedOperation<Result>,
    options?: RoutedCallOptions,
    usageOf?: (result: Result) => UsageTokens | null | undefined,
  ): Promise<RoutedResult<Result>> {
    return routeCall(this.host, model, operation, options, usageOf);
  }

  /**
   * Any streamed operation routed like a streamed chat completion: falls back while no item has
   * arrived, resolves with the stream once its first item is in hand; iterate it to the end (or
   * break) so the result is recorded.
   */
  callStream<Item>(
    model: string,
    open: RoutedOperation<AsyncIterable<Item>>,
    options?: RoutedCallOptions,
    usageOf?: (item: Item) => UsageTokens | null | undefined,
  ): Promise<RoutedItemStream<Item>> {
    return routeItemStream(this.host, model, open, options, usageOf);
  }

  private fillCandidates(model: string, now: number, exclude: ReadonlySet<string> | undefined): ProviderRecord[] {
    const candidates = this.scratch;
    candidates.length = 0;
    const providers = this.index.providersFor(model);
    for (let index = 0; index < providers.length; index += 1) {
      const record = providers[index] as ProviderRecord;
      if (exclude !== undefined && exclude.has(record.name)) continue;
      // Fast path for the common case (closed, healthy, not cooling down); the rest is skipReason's.
      const healthyAndClosed =
        record.circuit.state === 'closed' && record.available && record.enabled && record.coolingDownUntil <= now;
      if (healthyAndClosed || this.skipReason(record, now) === undefined) candidates.push(record);
    }
    return candidates;
  }

  private canTakeTraffic(record: ProviderRecord, now: number): boolean {
    return this.skipReason(record, now) === undefined;
  }

  private skipReason(record: ProviderRecord, now: number): SkipReason | undefined {
    if (!record.enabled) return 'disabled';
    const state = this.advanceCircuit(record, now);
    if (state === 'open') return 'circuit_open';
    if (record.coolingDownUntil > now) return 'cooling_down';
    if (state === 'half_open') return record.circuit.hasFreeProbeSlot(now) ? undefined : 'half_open_probes_busy';
    return record.available ? undefined : 'unavailable';
  }

  private noProviderError(
    model: string,
    now: number,
    exclude: ReadonlySet<string> | undefined,
  ): NoProviderAvailableError | ModelNotFoundError {
    const providers = this.index.providersFor(model);
    if (providers.length === 0) return new ModelNotFoundError(model);
    const skipped: Record<string, SkipReason> = {};
    let shortestCoolDown = Number.POSITIVE_INFINITY;
    let allCoolingDown = true;
    for (const record of providers) {
      const reason = exclude?.has(record.name) ? 'excluded' : (this.skipReason(record, now) ?? 'excluded');
      skipped[record.name] = reason;
      if (reason === 'cooling_down') shortestCoolDown = Math.min(shortestCoolDown, record.coolingDownUntil - now);
      else allCoolingDown = false;
    }
    return new NoProviderAvailableError(model, skipped, allCoolingDown ? shortestCoolDown : undefined);
  }

  private applyProbeResult(record: ProviderRecord, healthy: boolean): void {
    if (this.records.get(record.name) !== record) return;
    const now = this.clock();
    record.lastCheckTime = now;
    this.advanceCircuit(record, now);
    if (healthy) return;
    if (record.circuit.state === 'closed') record.health.recordFailure();
    this.publishTransition(record, record.circuit.onHealthProbeFailure(now, record.health.failureRate), now);
  }

  private advanceCircuit(record: ProviderRecord, now: number): CircuitState {
    const circuit = record.circuit;
    if (circuit.state === 'open') this.publishTransition(record, circuit.advance(now), now);
    return circuit.state;
  }

  private publishTransition(record: ProviderRecord, transition: CircuitTransition | undefined, now: number): void {
    if (transition === undefined) return;
    this.events.emit('circuitStateChange', { provider: record.name, ...transition, timestamp: now });
  }
}

function toSet(names: ReadonlySet<string> | readonly string[] | undefined): ReadonlySet<string> | undefined {
  if (names === undefined || names instanceof Set) return names as ReadonlySet<string> | undefined;
  return (names as readonly string[]).length === 0 ? undefined : new Set(names as readonly string[]);
}
