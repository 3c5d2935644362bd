import type { ChatCompletionRequest } from '../contract/chat-types.ts';
import type { ModelEntry } from '../contract/model-entry.ts';
import type { ProviderAdapter } from '../contract/provider-adapter.ts';
import type { CircuitBreaker, CircuitTransition } from './circuit-breaker.ts';
import { resolveCircuitConfig } from './circuit-config.ts';
import {
  DEPLOYMENT_SLOT,
  DeploymentLease,
  PROVIDER_SLOT,
  type LeaseHost,
  type LeaseResult,
} from './deployment-lease.ts';
import type { DeploymentRecord } from './deployment-record.ts';
import { ConfigurationError, ModelNotFoundError, NoProviderAvailableError, type SkipReason } from './errors.ts';
import { EventHub, type Listener } from './event-hub.ts';
import { FleetProbeGate, type ProbePermitSource } from './fleet-probe-gate.ts';
import { HealthChecker } from './health-checker.ts';
import { ModelTable } from './model-table.ts';
import { PricingTable } from './pricing.ts';
import { ProviderRecord } from './provider-record.ts';
import {
  routeCall,
  routeChatCompletion,
  routeChatCompletionStream,
  routeItemStream,
  type RoutingHost,
} from './routed-call.ts';
import type { UsageTokens } from './pricing.ts';
import type { SharedStateEvent } from '../state/shared-state.ts';
import { hasRoutingOverrides, resolveRoutingSettings, type RoutingSettings } from './routing-settings.ts';
import { createRoutingExtras } from './routing-extras.ts';
import type { SessionAffinity } from './session-affinity.ts';
import { createStrategy } from './strategies/create-strategy.ts';
import type { SelectionContext, SelectionStrategy } from './strategies/selection-strategy.ts';
import type {
  CircuitBreakerConfig,
  CircuitState,
  DeploymentSnapshot,
  ProviderStatus,
  RegisterOptions,
  ResultEvent,
  ResultInput,
  RoutedCallOptions,
  RoutedCompletion,
  RoutedItemStream,
  RoutedOperation,
  RoutedResult,
  RoutedStream,
  ProviderChanges,
  RouterEvents,
  RouterOptions,
  RouterReconfiguration,
  RouterTimers,
  RoutingOptions,
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

const GLOBAL_TIMERS: RouterTimers = {
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Routes chat requests across LLM providers. A model table maps each public model name
 * (aliases included) to its deployments (a provider × model, each with its upstream name);
 * health is kept per deployment (latency EMA, failure rate, circuit, 429 cool-down) and per
 * provider (provider-wide faults, which gate all its models). Selection filters by circuit
 * state and applies a strategy; routed calls retry, fall back across providers and fallback
 * models, and hold streams back until their first content. Pure and synchronous except for
 * the calls and probes; time comes from `clock`.
 *
 * @example
 * ```ts
 * import { Router } from 'switchboard';
 * import { createMockProvider } from 'switchboard/providers';
 *
 * const router = new Router({ strategy: 'latency', fallbacks: { smart: ['gpt-4o-mini'] } });
 * router.registerProvider(createMockProvider({ name: 'openai', models: [] }), {
 *   models: ['gpt-4o-mini', { name: 'smart', upstream: 'gpt-4o' }],
 * });
 * const { completion, provider, model } = await router.chatCompletion({
 *   model: 'smart',
 *   messages: [{ role: 'user', content: 'Hello' }],
 * });
 * router.on('circuitStateChange', ({ provider, model, from, to }) => console.log(provider, model, from, '→', to));
 * ```
 */
export class Router {
  private readonly records = new Map<string, ProviderRecord>();
  private readonly table = new ModelTable();
  private readonly events = new EventHub<RouterEvents>();
  private selector: SelectionStrategy;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly healthChecker: HealthChecker;
  private readonly host: RoutingHost;
  private readonly leaseHost: LeaseHost;
  private config: CircuitBreakerConfig;
  private routing: RoutingSettings;
  private registrations = 0;
  private readonly probePermits: ProbePermitSource | undefined;
  private healthCheckIntervalMs = 0;
  /** Records in use that someone waits on (`drained`), dropped ones (unregistered, replaced) included, with the waiters. */
  private readonly retired = new Map<ProviderRecord, Array<() => void>>();
  /** Reused by selection when some deployments cannot serve, so it allocates nothing (JavaScript runs it to completion). */
  private readonly scratch: DeploymentRecord[] = [];
  private readonly context: SelectionContext;
  /** Session affinity (`affinity`); undefined when off. */
  private readonly affinity: SessionAffinity | undefined;

  constructor(options: RouterOptions = {}) {
    this.selector = createStrategy(options.strategy ?? 'latency');
    this.config = resolveCircuitConfig(options.circuitBreaker);
    this.routing = resolveRoutingSettings(options);
    this.clock = options.clock ?? defaultClock;
    this.random = options.random ?? Math.random;
    this.probePermits = options.probePermits;
    this.context = { model: '', now: 0, random: this.random };
    const extras = createRoutingExtras(options);
    this.affinity = extras.affinity;
    const healthCheckTimeoutMs = options.healthCheckTimeoutMs ?? 5_000;
    this.healthChecker = new HealthChecker(
      {
        records: () => this.records.values(),
        applyProbeResult: (record, healthy, failure) => this.applyProbeResult(record, healthy, failure),
      },
      healthCheckTimeoutMs,
    );
    this.leaseHost = {
      recordLeased: (deployment, result, slots) => this.recordLeased(deployment, result, slots),
      releaseLeased: (deployment, slots) => this.releaseSlots(deployment, slots),
    };
    this.host = {
      events: this.events,
      now: this.clock,
      random: this.random,
      timers: options.timers ?? GLOBAL_TIMERS,
      affinity: extras.affinity !== undefined,
      hedge: extras.hedge,
      retryBudget: extras.retryBudget,
      tryLease: (model, exclude, sessionKey) => this.tryLease(model, exclude, sessionKey),
      leaseOn: (model, provider) => this.leaseOn(model, provider),
      noProviderError: (model, exclude) => this.noProviderError(model, this.clock(), exclude),
      providersOf: (model) => this.providersOf(model),
      trackInFlight: (lease, delta) => {
        const record = lease.deployment.provider;
        record.inFlight = Math.max(0, record.inFlight + delta);
        if (record.inFlight === 0 && this.retired.size > 0) this.settleRetired(record);
      },
    };
  }

  /** The name of the strategy in use. */
  get strategy(): string {
    return this.selector.name;
  }

  /**
   * Registers a provider under `adapter.name`, serving `options.models` (default `adapter.models`):
   * public names, `{ name, upstream }` aliases, or `'*'`. Registering a name again replaces the
   * provider and resets its health.
   *
   * @throws ConfigurationError for an empty name, a negative / non-finite weight, a bad model entry or a bad price.
   */
  registerProvider(adapter: ProviderAdapter, options: RegisterOptions = {}): void {
    const checked = checkRegistration(adapter, options);
    this.retire(this.records.get(adapter.name));
    this.records.delete(adapter.name);
    const now = this.clock();
    this.records.set(adapter.name, this.newRecord(checked, now));
    this.table.rebuild(this.records.values(), now);
    this.events.emit('providerRegistered', { provider: adapter.name });
  }

  /**
   * Applies a new configuration at once (a config reload), keeping this router, its listeners and
   * its health checker. `providers` is the whole new list: a provider given with the adapter it is
   * registered with and the same models keeps its health, circuits, latency EMA and switch (its
   * weight and pricing are updated); one with another adapter or other models starts afresh; names
   * not in the list are removed. Calls under way finish with the adapters and settings they
   * started with. Emits `providerUnregistered` / `providerRegistered` for each change, then `reconfigured`.
   * The caller closes the adapters that are no longer registered.
   *
   * @throws ConfigurationError naming the first bad value; nothing changes then.
   *
   * @example
   * ```ts
   * const changes = router.reconfigure({
   *   providers: [{ adapter: router.provider('openai')!, options: { weight: 2 } }, { adapter: createMockProvider({ name: 'extra', models: ['*'] }) }],
   *   routing: { maxAttempts: 2 },
   * }); // { added: ['extra'], removed: [...], replaced: [], kept: ['openai'] }
   * ```
   */
  reconfigure(update: RouterReconfiguration): ProviderChanges {
    // Check everything first, so a bad value changes nothing.
    const circuit = update.circuitBreaker === undefined ? this.config : resolveCircuitConfig(update.circuitBreaker);
    const routing = update.routing === undefined ? this.routing : resolveRoutingSettings(update.routing);
    const selector =
      update.strategy === undefined || update.strategy === this.selector.name
        ? this.selector
        : createStrategy(update.strategy);
    const healthCheck = update.healthCheck;
    if (healthCheck !== undefined) {
      if (!Number.isFinite(healthCheck.intervalMs) || healthCheck.intervalMs < 0)
        throw new ConfigurationError(`healthCheck.intervalMs: expected a number ≥ 0, got ${healthCheck.intervalMs}`);
      if (healthCheck.timeoutMs !== undefined) checkHealthCheckTimeout(healthCheck.timeoutMs);
    }
    const registrations = update.providers?.map(({ adapter, options }) => checkRegistration(adapter, options ?? {}));
    if (registrations !== undefined) {
      const names = new Set<string>();
      for (const { adapter } of registrations) {
        if (names.has(adapter.name)) throw new ConfigurationError(`Provider '${adapter.name}' is listed twice`);
        names.add(adapter.name);
      }
    }

    const changes: ProviderChanges = { added: [], removed: [], replaced: [], kept: [] };
    const now = this.clock();
    this.config = circuit;
    this.routing = routing;
    this.selector = selector;
    if (registrations !== undefined) {
      const previous = new Map(this.records);
      this.records.clear();
      for (const registration of registrations) {
        const name = registration.adapter.name;
        const old = previous.get(name);
        previous.delete(name);
        if (
          old !== undefined &&
          old.adapter === registration.adapter &&
          sameEntries(old.entries, registration.entries)
        ) {
          old.weight = registration.weight;
          old.pricing = registration.pricing;
          this.records.set(name, old);
          changes.kept.push(name);
        } else {
          this.retire(old);
          this.records.set(name, this.newRecord(registration, now));
          (old === undefined ? changes.added : changes.replaced).push(name);
        }
      }
      for (const record of previous.values()) this.retire(record);
      changes.removed.push(...previous.keys());
      this.table.rebuild(this.records.values(), now);
    }
    if (healthCheck !== undefined) {
      if (healthCheck.timeoutMs !== undefined) this.healthChecker.setTimeoutMs(healthCheck.timeoutMs);
      if (healthCheck.intervalMs !== this.healthCheckIntervalMs) {
        if (healthCheck.intervalMs > 0) this.startHealthChecker(healthCheck.intervalMs);
        else void this.stopHealthChecker();
      }
    }
    for (const provider of [...changes.removed, ...changes.replaced])
      this.events.emit('providerUnregistered', { provider });
    for (const provider of [...changes.replaced, ...changes.added])
      this.events.emit('providerRegistered', { provider });
    this.events.emit('reconfigured', { ...changes, strategy: this.selector.name });
    return changes;
  }

  /**
   * Resolves once no routed call is using `adapter` any more (at once when none is), also after it
   * was unregistered or replaced: close a dropped adapter after it, so its calls under way finish.
   */
  drained(adapter: ProviderAdapter): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const [record, waiters] of this.retired)
      if (record.adapter === adapter) waits.push(new Promise((resolve) => waiters.push(resolve)));
    for (const record of this.records.values())
      if (record.adapter === adapter && record.inFlight > 0 && !this.retired.has(record)) {
        const waiters: Array<() => void> = [];
        this.retired.set(record, waiters);
        waits.push(new Promise((resolve) => waiters.push(resolve)));
      }
    return Promise.all(waits).then(() => undefined);
  }

  /** Removes a provider; returns false when no provider had that name. */
  unregisterProvider(name: string): boolean {
    const record = this.records.get(name);
    if (record === undefined) return false;
    this.retire(record);
    this.records.delete(name);
    this.table.rebuild(this.records.values(), this.clock());
    this.events.emit('providerUnregistered', { provider: name });
    return true;
  }

  /** The request header the gateway reads session keys from when `affinity` is on; undefined when off. */
  get affinityHeader(): string | undefined {
    return this.affinity?.options.header;
  }

  /** The adapter registered under `name`, if any. */
  provider(name: string): ProviderAdapter | undefined {
    return this.records.get(name)?.adapter;
  }

  /** The adapters registered for `model` (listing it or `'*'`), in registration order, whatever their health. */
  providersOf(model: string): ProviderAdapter[] {
    return this.table.deploymentsFor(model, this.clock()).map((deployment) => deployment.provider.adapter);
  }

  /** Every registered adapter, in registration order. */
  providers(): ProviderAdapter[] {
    return Array.from(this.records.values(), (record) => record.adapter);
  }

  /**
   * Picks the provider for one request to the public `model` with the router's strategy. When the
   * pick's circuit (the provider's or the deployment's) is half-open this takes a probe slot, which
   * only `recordResult(name, { model, … })` frees (or its expiry, after the open timeout): call it
   * for every selection, or use `lease()`, which ties the slot to the call. The upstream name to
   * send is `upstreamModel(name, model)`.
   *
   * @throws ModelNotFoundError when no registered provider serves `model`;
   *   NoProviderAvailableError (naming each provider's reason) when none can take traffic.
   */
  selectProvider(model: string, context: SelectContext = {}): ProviderAdapter {
    const now = this.clock();
    const deployment = this.choose(model, now, toSet(context.exclude));
    if (deployment === undefined) throw this.noProviderError(model, now, toSet(context.exclude));
    this.takeSlots(deployment, now);
    return deployment.provider.adapter;
  }

  /**
   * Selects a deployment for one call to the public `model` and returns a lease on it: the
   * adapter, the upstream model name to send, and `record(result)` / `release()`, which free the
   * half-open probe slots the selection took. Prefer it to `selectProvider` + `recordResult`.
   *
   * @throws ModelNotFoundError / NoProviderAvailableError as `selectProvider`.
   */
  lease(model: string, context: SelectContext = {}): DeploymentLease {
    const exclude = toSet(context.exclude);
    const lease = this.tryLease(model, exclude);
    if (lease === undefined) throw this.noProviderError(model, this.clock(), exclude);
    return lease;
  }

  /** The name sent upstream when `provider` serves the public `model` (an alias's upstream name, else `model`). */
  upstreamModel(provider: string, model: string): string | undefined {
    const deployment = this.records.get(provider)?.deploymentFor(model, this.clock());
    if (deployment === undefined) return undefined;
    return deployment.upstream === '*' ? model : deployment.upstream;
  }

  /**
   * The providers that can take a request for `model` now, minus `exclude`, best first by the
   * strategy's own order. Takes a probe slot for each half-open one returned (see `selectProvider`).
   */
  fallbackProviders(model: string, options: SelectContext = {}): ProviderAdapter[] {
    const now = this.clock();
    const candidates = this.fillCandidates(model, now, toSet(options.exclude));
    if (candidates.length === 0) return [];
    this.context.model = model;
    this.context.now = now;
    const ranked = this.selector.rank(candidates, this.context);
    return ranked.map((deployment) => {
      this.takeSlots(deployment, now);
      return deployment.provider.adapter;
    });
  }

  /**
   * Records the outcome of one call: latency EMA, failure rate, circuit, 429 cool-down, and frees
   * a probe slot. With `result.model` it applies to that deployment (and the provider's latency);
   * without, to the provider as a whole. Unknown names are ignored.
   */
  recordResult(name: string, result: ResultInput): void {
    const record = this.records.get(name);
    if (record === undefined) return;
    const now = this.clock();
    const deployment = result.model === undefined ? undefined : record.deploymentFor(result.model, now);
    this.applyResult(
      record,
      deployment,
      result,
      now,
      deployment === undefined ? PROVIDER_SLOT : PROVIDER_SLOT | DEPLOYMENT_SLOT,
    );
  }

  /** Sets a provider's health flag: a closed circuit with `false` takes no traffic. */
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

  /**
   * Forces a provider's circuits closed (the provider-wide one and every deployment's, or only
   * `model`'s) and clears their counters and cool-downs. Returns false for unknown names.
   */
  resetCircuit(name: string, model?: string): boolean {
    return this.reset(name, model, undefined);
  }

  /**
   * Applies a change another replica of the fleet made, from shared state (see `linkRouterToFleet`):
   * a circuit's state, a cool-down, an operator's enable / disable / reset / remove. Its
   * `circuitStateChange` events carry `origin: 'fleet'` and no `coolDown` event is emitted, so the
   * change is never published back. Returns false for unknown providers, and for `add` (building
   * an adapter from a config entry is the gateway's job).
   */
  applyFleetChange(event: SharedStateEvent): boolean {
    const record = this.records.get(event.provider);
    if (record === undefined) return false;
    const now = this.clock();
    if (event.type === 'circuit') {
      const circuit = event.model === '*' ? record.circuit : record.deploymentFor(event.model, now)?.circuit;
      if (circuit === undefined) return false;
      if (circuit.state === 'half_open' || event.state === 'half_open') this.gate(record.name, event.model, circuit);
      const transition = circuit.adopt(event.state, event.openUntil, now);
      if (transition?.to === 'closed') {
        const health = event.model === '*' ? record.health : record.deploymentFor(event.model, now)!.health;
        health.failureRate = 0;
      }
      this.publishTransition(record, event.model, transition, now, 'fleet');
      return true;
    }
    if (event.type === 'cool_down') {
      const target = event.model === '*' ? record : record.deploymentFor(event.model, now);
      if (target === undefined) return false;
      target.coolingDownUntil = Math.max(target.coolingDownUntil, event.until);
      return true;
    }
    switch (event.action) {
      case 'enable':
        record.enabled = true;
        record.available = true;
        return true;
      case 'disable':
        record.enabled = false;
        return true;
      case 'reset':
        return this.reset(record.name, undefined, 'fleet');
      case 'remove':
        return this.unregisterProvider(record.name);
      default:
        return false;
    }
  }

  private reset(name: string, model: string | undefined, origin: 'fleet' | undefined): boolean {
    const record = this.records.get(name);
    if (record === undefined) return false;
    const now = this.clock();
    if (model === undefined) {
      record.coolingDownUntil = 0;
      record.health.failureRate = 0;
      this.publishTransition(record, '*', record.circuit.reset(now), now, origin);
    }
    for (const deployment of record.deployments.values()) {
      if (model !== undefined && deployment.model !== model) continue;
      deployment.coolingDownUntil = 0;
      deployment.consecutiveRateLimits = 0;
      deployment.health.failureRate = 0;
      this.publishTransition(record, deployment.model, deployment.circuit.reset(now), now, origin);
    }
    return true;
  }

  /** Every field of every provider's health: the provider-wide circuit, and each deployment's under `deployments`. */
  healthStatus(): Record<string, ProviderStatus> {
    const now = this.clock();
    // No prototype: a provider named like an Object property (`__proto__`, `constructor`) is an ordinary key.
    const status: Record<string, ProviderStatus> = Object.create(null);
    for (const record of this.records.values()) {
      this.advance(record, '*', record.circuit, now);
      const { health, circuit } = record;
      const deployments: Record<string, DeploymentSnapshot> = {};
      for (const deployment of record.deployments.values()) {
        this.advance(record, deployment.model, deployment.circuit, now);
        deployments[deployment.model] = {
          upstream: deployment.upstream,
          latencyMs: deployment.health.latencyMs,
          failureRate: deployment.health.failureRate,
          circuitState: deployment.circuit.state,
          consecutiveFailures: deployment.circuit.consecutiveFailures,
          consecutiveSuccesses: deployment.circuit.consecutiveSuccesses,
          lastStateChange: deployment.circuit.lastStateChange,
          openReason: deployment.circuit.openReason,
          coolingDownUntil: deployment.coolingDownUntil > now ? deployment.coolingDownUntil : 0,
        };
      }
      status[record.name] = {
        available: record.available,
        enabled: record.enabled,
        type: record.adapter.type,
        models: record.entries.map((entry) => (typeof entry === 'string' ? entry : entry.name)),
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
        deployments,
      };
    }
    return status;
  }

  /**
   * Every public model name some provider lists, aliases included (`''` and `'*'` skipped, names
   * trimmed), sorted, each owned by the first provider in name order that lists it.
   */
  registeredModels(): RegisteredModel[] {
    const owners = new Map<string, string>();
    const names = [...this.records.keys()].sort();
    for (const name of names) {
      for (const entry of (this.records.get(name) as ProviderRecord).entries) {
        const id = (typeof entry === 'string' ? entry : entry.name).trim();
        if (id !== '' && id !== '*' && !owners.has(id)) owners.set(id, name);
      }
    }
    return [...owners]
      .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0))
      .map(([id, ownedBy]) => ({ id, ownedBy }));
  }

  /**
   * `registeredModels()` plus, for each provider serving `'*'`, the ids its upstream lists (its
   * adapter's `listModels`: the last list a health probe read, bounded in count and length), each
   * owned by the provider listing it in its entries, else the first wildcard one by name. A provider whose list cannot be read
   * (down, or `signal` aborted first) adds nothing.
   */
  async listedModels(signal?: AbortSignal): Promise<RegisteredModel[]> {
    const registered = this.registeredModels();
    const wildcards = [...this.records.values()]
      .filter((record) => record.servesAnyModel && record.adapter.listModels !== undefined)
      .sort((left, right) => (left.adapter.name < right.adapter.name ? -1 : 1));
    if (wildcards.length === 0) return registered;
    const lists = await Promise.all(
      wildcards.map((record) =>
        (record.adapter.listModels as (signal?: AbortSignal) => Promise<readonly string[]>)
          .call(record.adapter, signal)
          .catch((): readonly string[] => []),
      ),
    );
    const owners = new Map(registered.map((model) => [model.id, model.ownedBy]));
    wildcards.forEach((record, index) => {
      for (const id of lists[index] as readonly string[])
        if (typeof id === 'string' && id !== '' && id !== '*' && !owners.has(id)) owners.set(id, record.adapter.name);
    });
    return [...owners]
      .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0))
      .map(([id, ownedBy]) => ({ id, ownedBy }));
  }

  /**
   * A provider's provider-wide circuit state, or with `model` that deployment's (moving open →
   * half-open when the timeout has passed); undefined for unknown names.
   */
  circuitState(name: string, model?: string): CircuitState | undefined {
    const record = this.records.get(name);
    if (record === undefined) return undefined;
    const now = this.clock();
    if (model === undefined) return this.advance(record, '*', record.circuit, now);
    const deployment = record.deploymentFor(model, now);
    return deployment === undefined ? undefined : this.advance(record, deployment.model, deployment.circuit, now);
  }

  /** True when at least one deployment can take traffic now. */
  isReady(): boolean {
    const now = this.clock();
    for (const record of this.records.values()) {
      if (record.servesAnyModel && this.providerSkipReason(record, now) === undefined) return true;
      for (const deployment of record.deployments.values())
        if (this.skipReason(deployment, now) === undefined) return true;
    }
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

  /**
   * Changes the routing options (fallback chains, retries, attempts, deadline, timeouts) for calls that start from now on. Unset keys keep their value.
   *
   * @throws ConfigurationError naming a bad option; nothing changes then.
   */
  setRoutingOptions(options: RoutingOptions): void {
    this.routing = resolveRoutingSettings(options, this.routing);
  }

  /** The routing options in force, defaults applied. */
  routingOptions(): RoutingSettings {
    return this.routing;
  }

  /** Starts active health probes every `intervalMs` (restarting with the new interval if running). */
  startHealthChecker(intervalMs: number): void {
    this.healthChecker.start(intervalMs);
    this.healthCheckIntervalMs = intervalMs;
  }

  /** Stops the health checker; resolves at once, even with a probe hung. */
  stopHealthChecker(): Promise<void> {
    this.healthCheckIntervalMs = 0;
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
   * One non-streamed completion: select, call (the request's `model` rewritten to the upstream
   * name), record; retry the same provider after a 5xx / 408 / reset (never after a timeout); move
   * to the model's other providers, then to its fallback models; all within `maxAttempts` upstream
   * attempts and `deadlineMs`. `options` override the router's routing options for this call.
   *
   * @throws ModelNotFoundError, NoProviderAvailableError (nothing could be tried), RoutingFailedError.
   */
  chatCompletion(request: ChatCompletionRequest, options: RoutedCallOptions = {}): Promise<RoutedCompletion> {
    return routeChatCompletion(this.host, this.settingsFor(options), request, options);
  }

  /**
   * One streamed completion, with the same retries and fallbacks as `chatCompletion` up to the
   * stream's commit point: chunks without content (role-only, empty deltas) are held back until the
   * first chunk with content, a tool-call delta or a finish_reason, and every retryable failure
   * before it falls back invisibly. Resolves at that point. A failure after it ends the stream
   * with a thrown `ProviderError` (never a silent truncated end). Iterate to the end (or break) so the result is recorded.
   *
   * @example
   * ```ts
   * const { stream, provider } = await router.chatCompletionStream({ model: 'gpt-4o-mini', messages });
   * for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta.content ?? '');
   * ```
   */
  chatCompletionStream(request: ChatCompletionRequest, options: RoutedCallOptions = {}): Promise<RoutedStream> {
    return routeChatCompletionStream(this.host, this.settingsFor(options), request, options);
  }

  /**
   * Any non-streamed operation routed like a chat completion (retries, fallbacks, attempts,
   * deadline): `operation` runs once per attempt with the chosen adapter and builds its own
   * request, whose `model` must be `upstreamModel` (an alias's upstream name, a fallback model's). The gateway serves Anthropic Messages, Responses and embeddings through it.
   *
   * @example
   * ```ts
   * const { result, provider } = await router.call('text-embedding-3-small', (adapter, callOptions, upstreamModel) =>
   *   adapter.embeddings!({ model: upstreamModel, input: 'hello' }, callOptions),
   *   { supports: (adapter) => adapter.embeddings !== undefined });
   * ```
   */
  call<Result>(
    model: string,
    operation: RoutedOperation<Result>,
    options: RoutedCallOptions = {},
    usageOf?: (result: Result) => UsageTokens | null | undefined,
  ): Promise<RoutedResult<Result>> {
    return routeCall(this.host, this.settingsFor(options), model, operation, options, usageOf);
  }

  /**
   * Any streamed operation routed like a streamed chat completion up to its first item; iterate
   * it to the end (or break) so the result is recorded.
   */
  callStream<Item>(
    model: string,
    open: RoutedOperation<AsyncIterable<Item>>,
    options: RoutedCallOptions = {},
    usageOf?: (item: Item) => UsageTokens | null | undefined,
  ): Promise<RoutedItemStream<Item>> {
    return routeItemStream(this.host, this.settingsFor(options), model, open, options, usageOf);
  }

  /** Keeps a dropped record that calls are still using, so `drained` can tell when they ended. */
  private retire(record: ProviderRecord | undefined): void {
    if (record !== undefined && record.inFlight > 0 && !this.retired.has(record)) this.retired.set(record, []);
  }

  private settleRetired(record: ProviderRecord): void {
    const waiters = this.retired.get(record);
    if (waiters === undefined) return;
    this.retired.delete(record);
    for (const resolve of waiters) resolve();
  }

  private newRecord(registration: CheckedRegistration, now: number): ProviderRecord {
    this.registrations += 1;
    const { adapter, weight, entries, pricing } = registration;
    const record = new ProviderRecord(adapter, this.registrations, weight, () => this.config, now, entries);
    record.pricing = pricing;
    return record;
  }

  private settingsFor(options: RoutedCallOptions): RoutingSettings {
    return hasRoutingOverrides(options) ? resolveRoutingSettings(options, this.routing) : this.routing;
  }

  /**
   * The strategy's pick among the deployments of `model` that can take traffic; undefined when none.
   * With affinity on and a session key, the session's provider instead: remembered for a first
   * choice, by rendezvous hash alone once some providers were excluded (a fallback does not move
   * the session for good).
   */
  private choose(
    model: string,
    now: number,
    exclude: ReadonlySet<string> | undefined,
    sessionKey?: string,
  ): DeploymentRecord | undefined {
    const candidates = this.fillCandidates(model, now, exclude);
    if (candidates.length === 0) return undefined;
    this.context.model = model;
    this.context.now = now;
    const affinity = this.affinity;
    const index =
      sessionKey === undefined || affinity === undefined
        ? this.selector.choose(candidates, this.context)
        : exclude === undefined || exclude.size === 0
          ? affinity.choose(sessionKey, candidates, now)
          : affinity.rendezvous(sessionKey, candidates);
    const chosen = candidates[index] as DeploymentRecord;
    return chosen;
  }

  private tryLease(
    model: string,
    exclude: ReadonlySet<string> | undefined,
    sessionKey?: string,
  ): DeploymentLease | undefined {
    const now = this.clock();
    const deployment = this.choose(model, now, exclude, sessionKey);
    if (deployment === undefined) return undefined;
    return new DeploymentLease(this.leaseHost, deployment, model, this.takeSlots(deployment, now));
  }

  /** A lease on `provider`'s deployment of `model` when it can take traffic now (a same-provider retry). */
  private leaseOn(model: string, provider: string): DeploymentLease | undefined {
    const record = this.records.get(provider);
    if (record === undefined) return undefined;
    const now = this.clock();
    const deployment = record.deploymentFor(model, now);
    if (deployment === undefined || this.skipReason(deployment, now) !== undefined) return undefined;
    return new DeploymentLease(this.leaseHost, deployment, model, this.takeSlots(deployment, now));
  }

  private takeSlots(deployment: DeploymentRecord, now: number): number {
    const providerCircuit = deployment.provider.circuit;
    const deploymentCircuit = deployment.circuit;
    if (providerCircuit.state === 'closed' && deploymentCircuit.state === 'closed') return 0;
    return (
      (providerCircuit.tryTakeProbeSlot(now) ? PROVIDER_SLOT : 0) |
      (deploymentCircuit.tryTakeProbeSlot(now) ? DEPLOYMENT_SLOT : 0)
    );
  }

  private releaseSlots(deployment: DeploymentRecord, slots: number): void {
    if ((slots & PROVIDER_SLOT) !== 0) deployment.provider.circuit.releaseProbeSlot();
    if ((slots & DEPLOYMENT_SLOT) !== 0) deployment.circuit.releaseProbeSlot();
  }

  private recordLeased(deployment: DeploymentRecord, result: LeaseResult, slots: number): void {
    const record = deployment.provider;
    if (this.records.get(record.name) !== record) return;
    this.applyResult(record, deployment, result, this.clock(), slots);
  }

  /**
   * Applies one result. A success counts for the provider and the deployment; a deployment-scoped
   * failure against the deployment only (the provider answered, so it counts as reachable); a
   * provider-wide one against the provider's circuit, which gates all its deployments.
   */
  private applyResult(
    record: ProviderRecord,
    deployment: DeploymentRecord | undefined,
    result: ResultInput | LeaseResult,
    now: number,
    slots: number,
  ): void {
    const providerCircuit = record.circuit;
    if (providerCircuit.state === 'open') this.advance(record, '*', providerCircuit, now);
    if (deployment !== undefined && deployment.circuit.state === 'open')
      this.advance(record, deployment.model, deployment.circuit, now);
    if (result.latencyMs !== undefined) {
      record.health.recordLatency(result.latencyMs, now);
      deployment?.health.recordLatency(result.latencyMs, now);
    }
    if ((slots & PROVIDER_SLOT) !== 0) providerCircuit.releaseProbeSlot();
    if (deployment !== undefined && (slots & DEPLOYMENT_SLOT) !== 0) deployment.circuit.releaseProbeSlot();
    const providerWide = deployment === undefined || result.scope === 'provider';
    const coolDownMs =
      result.retryAfterMs !== undefined && result.retryAfterMs > 0
        ? result.retryAfterMs
        : result.rateLimited === true
          ? defaultRateLimitCoolDownMs(deployment)
          : 0;
    if (coolDownMs > 0) {
      const target = providerWide ? record : (deployment as DeploymentRecord);
      if (now + coolDownMs > target.coolingDownUntil) {
        target.coolingDownUntil = now + coolDownMs;
        if (this.events.has('coolDown'))
          this.events.emit('coolDown', {
            provider: record.name,
            model: providerWide ? '*' : (deployment as DeploymentRecord).model,
            until: target.coolingDownUntil,
          });
      }
    }
    if (result.rateLimited === true && deployment !== undefined) deployment.consecutiveRateLimits += 1;
    if (result.success) {
      this.countSuccess(record, record.health, providerCircuit, '*', now);
      if (deployment !== undefined) {
        deployment.consecutiveRateLimits = 0;
        this.countSuccess(record, deployment.health, deployment.circuit, deployment.model, now);
      }
    } else if (result.countsAsFailure !== false) {
      if (providerWide) {
        record.health.recordFailure();
        this.publishTransition(record, '*', providerCircuit.onFailure(now, record.health.failureRate), now);
      } else {
        const target = deployment as DeploymentRecord;
        this.countSuccess(record, record.health, providerCircuit, '*', now);
        target.health.recordFailure();
        this.publishTransition(record, target.model, target.circuit.onFailure(now, target.health.failureRate), now);
      }
    }
    const model = deployment?.model;
    // Copied, not spread: `{ ...result, model }` costs microseconds on Node 20 (docs/performance.md).
    if (this.selector.observe !== undefined)
      this.selector.observe(record, model === undefined ? result : Object.assign({}, result, { model }), now);
    if (this.events.has('result')) this.events.emit('result', resultEvent(record, deployment, result));
  }

  private countSuccess(
    record: ProviderRecord,
    health: ProviderRecord['health'],
    circuit: CircuitBreaker,
    model: string,
    now: number,
  ): void {
    health.recordSuccess();
    const transition = circuit.onSuccess(now);
    if (transition?.to === 'closed') health.failureRate = 0;
    this.publishTransition(record, model, transition, now);
  }

  /**
   * The deployments of `model` that can take traffic now, outside `exclude`, in registration order.
   * When all can (the common case) this is the model table's own list, copied nowhere; otherwise
   * the reused scratch array, written in place (its backing store kept between selections, so a
   * model with many providers allocates nothing). Read it before the next selection.
   */
  private fillCandidates(
    model: string,
    now: number,
    exclude: ReadonlySet<string> | undefined,
  ): readonly DeploymentRecord[] {
    const deployments = this.table.deploymentsFor(model, now);
    const total = deployments.length;
    let index = 0;
    while (index < total && this.canServe(deployments[index] as DeploymentRecord, now, exclude)) index += 1;
    if (index === total) return deployments;
    const candidates = this.scratch;
    let count = 0;
    for (let kept = 0; kept < index; kept += 1) candidates[count++] = deployments[kept] as DeploymentRecord;
    for (index += 1; index < total; index += 1) {
      const deployment = deployments[index] as DeploymentRecord;
      if (this.canServe(deployment, now, exclude)) candidates[count++] = deployment;
    }
    candidates.length = count;
    return candidates;
  }

  /** True when `deployment` is outside `exclude` and can take traffic now. */
  private canServe(deployment: DeploymentRecord, now: number, exclude: ReadonlySet<string> | undefined): boolean {
    const record = deployment.provider;
    if (exclude !== undefined && exclude.has(record.name)) return false;
    // Fast path for the common case (both circuits closed, healthy, not cooling down); the rest is skipReason's.
    const healthyAndClosed =
      record.circuit.state === 'closed' &&
      deployment.circuit.state === 'closed' &&
      record.available &&
      record.enabled &&
      record.coolingDownUntil <= now &&
      deployment.coolingDownUntil <= now;
    return healthyAndClosed || this.skipReason(deployment, now) === undefined;
  }

  private providerSkipReason(record: ProviderRecord, now: number): SkipReason | undefined {
    if (!record.enabled) return 'disabled';
    const state = this.advance(record, '*', record.circuit, now);
    if (state === 'open') return 'circuit_open';
    if (record.coolingDownUntil > now) return 'cooling_down';
    if (state === 'half_open') return record.circuit.hasFreeProbeSlot(now) ? undefined : 'half_open_probes_busy';
    return record.available ? undefined : 'unavailable';
  }

  private skipReason(deployment: DeploymentRecord, now: number): SkipReason | undefined {
    const record = deployment.provider;
    if (!record.enabled) return 'disabled';
    const providerState = this.advance(record, '*', record.circuit, now);
    const deploymentState = this.advance(record, deployment.model, deployment.circuit, now);
    if (providerState === 'open' || deploymentState === 'open') return 'circuit_open';
    if (record.coolingDownUntil > now || deployment.coolingDownUntil > now) return 'cooling_down';
    if (providerState === 'half_open' && !record.circuit.hasFreeProbeSlot(now)) return 'half_open_probes_busy';
    if (deploymentState === 'half_open' && !deployment.circuit.hasFreeProbeSlot(now)) return 'half_open_probes_busy';
    if (providerState === 'half_open' || deploymentState === 'half_open') return undefined;
    return record.available ? undefined : 'unavailable';
  }

  private noProviderError(
    model: string,
    now: number,
    exclude: ReadonlySet<string> | undefined,
  ): NoProviderAvailableError | ModelNotFoundError {
    const deployments = this.table.deploymentsFor(model, now);
    if (deployments.length === 0) return new ModelNotFoundError(model);
    const skipped: Record<string, SkipReason> = Object.create(null);
    let shortestCoolDown = Number.POSITIVE_INFINITY;
    let allCoolingDown = true;
    for (const deployment of deployments) {
      const record = deployment.provider;
      const reason = exclude?.has(record.name) ? 'excluded' : (this.skipReason(deployment, now) ?? 'excluded');
      skipped[record.name] = reason;
      if (reason === 'cooling_down') {
        const until = Math.max(record.coolingDownUntil, deployment.coolingDownUntil);
        shortestCoolDown = Math.min(shortestCoolDown, until - now);
      } else allCoolingDown = false;
    }
    return new NoProviderAvailableError(model, skipped, allCoolingDown ? shortestCoolDown : undefined);
  }

  /**
   * One active probe's outcome. Healthy: an open provider-wide circuit, and every open deployment
   * circuit of the provider, move to half-open at once (real requests then close them). Failed: a
   * provider-wide failure; an open circuit stays as it is (no push-out of its return).
   */
  private applyProbeResult(record: ProviderRecord, healthy: boolean, failure?: string): void {
    if (this.records.get(record.name) !== record) return;
    if (this.events.has('healthCheck'))
      this.events.emit('healthCheck', { provider: record.name, healthy, ...(healthy ? {} : { error: failure }) });
    const now = this.clock();
    record.lastCheckTime = now;
    this.advance(record, '*', record.circuit, now);
    if (healthy) {
      this.publishTransition(record, '*', record.circuit.onHealthProbeSuccess(now), now);
      for (const deployment of record.deployments.values()) {
        this.advance(record, deployment.model, deployment.circuit, now);
        this.publishTransition(record, deployment.model, deployment.circuit.onHealthProbeSuccess(now), now);
      }
      return;
    }
    if (record.circuit.state === 'closed') record.health.recordFailure();
    this.publishTransition(record, '*', record.circuit.onHealthProbeFailure(now, record.health.failureRate), now);
  }

  private advance(record: ProviderRecord, model: string, circuit: CircuitBreaker, now: number): CircuitState {
    if (circuit.state === 'open') this.publishTransition(record, model, circuit.advance(now), now);
    return circuit.state;
  }

  private publishTransition(
    record: ProviderRecord,
    model: string,
    transition: CircuitTransition | undefined,
    now: number,
    origin?: 'fleet',
  ): void {
    if (transition === undefined) return;
    const circuit = model === '*' ? record.circuit : record.deployments.get(model)?.circuit;
    if (transition.to === 'half_open' && circuit !== undefined) this.gate(record.name, model, circuit);
    this.events.emit('circuitStateChange', {
      provider: record.name,
      model,
      ...transition,
      timestamp: now,
      ...(transition.to === 'open' && circuit !== undefined ? { openUntil: circuit.openUntil } : {}),
      ...(origin === undefined ? {} : { origin }),
    });
  }

  /** Puts a circuit's half-open probes under fleet-wide permits, when the router has a permit source. */
  private gate(provider: string, model: string, circuit: CircuitBreaker): void {
    const source = this.probePermits;
    if (source === undefined || circuit.probeGate !== undefined) return;
    circuit.probeGate = new FleetProbeGate(
      source,
      `${provider}|${model}`,
      () => this.config.halfOpenMaxProbes,
      () => circuit.currentOpenTimeoutMs(),
      () => circuit.probesInUse,
    );
  }
}

function toSet(names: ReadonlySet<string> | readonly string[] | undefined): ReadonlySet<string> | undefined {
  if (names === undefined || names instanceof Set) return names as ReadonlySet<string> | undefined;
  return (names as readonly string[]).length === 0 ? undefined : new Set(names as readonly string[]);
}

/** A 429 without `retry-after`: 1 s, doubling with each consecutive 429 of the deployment, at most 30 s. */
function defaultRateLimitCoolDownMs(deployment: DeploymentRecord | undefined): number {
  const consecutive = deployment?.consecutiveRateLimits ?? 0;
  return Math.min(30_000, 1_000 * 2 ** Math.min(consecutive, 5));
}

/** A registration whose values were checked. */
interface CheckedRegistration {
  adapter: ProviderAdapter;
  weight: number;
  entries: readonly ModelEntry[];
  pricing: PricingTable | undefined;
}

function checkRegistration(adapter: ProviderAdapter, options: RegisterOptions): CheckedRegistration {
  if (typeof adapter?.name !== 'string' || adapter.name.trim() === '')
    throw new ConfigurationError('A provider needs a non-empty name');
  const weight = options.weight ?? 1;
  if (!Number.isFinite(weight) || weight < 0)
    throw new ConfigurationError(`Provider '${adapter.name}': weight must be a finite number ≥ 0`);
  const entries = checkModelEntries(adapter.name, options.models ?? adapter.models ?? []);
  const pricing = options.pricing === undefined ? undefined : new PricingTable(options.pricing, adapter.name);
  return { adapter, weight, entries, pricing };
}

/** True when two model-entry lists are the same, entry by entry. */
function sameEntries(left: readonly ModelEntry[], right: readonly ModelEntry[]): boolean {
  if (left.length !== right.length) return false;
  return left.every((entry, index) => {
    const other = right[index] as ModelEntry;
    if (typeof entry === 'string' || typeof other === 'string') return entry === other;
    return entry.name === other.name && entry.upstream === other.upstream;
  });
}

function checkHealthCheckTimeout(timeoutMs: number): number {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
    throw new ConfigurationError(`healthCheckTimeoutMs: expected a number > 0, got ${timeoutMs}`);
  return timeoutMs;
}

function checkModelEntries(provider: string, entries: readonly ModelEntry[]): readonly ModelEntry[] {
  if (!Array.isArray(entries)) throw new ConfigurationError(`Provider '${provider}': models must be a list`);
  for (const entry of entries) {
    if (typeof entry === 'string') continue;
    const valid =
      entry !== null &&
      typeof entry === 'object' &&
      typeof entry.name === 'string' &&
      entry.name.trim() !== '' &&
      entry.name.trim() !== '*' &&
      typeof entry.upstream === 'string' &&
      entry.upstream.trim() !== '';
    if (!valid)
      throw new ConfigurationError(
        `Provider '${provider}': a model entry is a name or { name, upstream } with non-empty names, got ${JSON.stringify(entry)}`,
      );
  }
  return Object.freeze([...entries]);
}

/**
 * The `result` event of one applied result: the result's own fields, then the provider, the
 * deployment's model, its health after the result and the answer's cost. Built by copying
 * (`Object.assign`) rather than `{ ...result, provider, … }`: a spread followed by new keys costs
 * several microseconds per call on Node 20, and this runs for every request (docs/performance.md).
 */
function resultEvent(
  record: ProviderRecord,
  deployment: DeploymentRecord | undefined,
  result: ResultInput,
): ResultEvent {
  const event = Object.assign({}, result) as ResultEvent;
  event.provider = record.name;
  const model = deployment?.model;
  if (model !== undefined) event.model = model;
  const health = deployment?.health ?? record.health;
  event.latencyEmaMs = health.latencyMs;
  event.failureRate = health.failureRate;
  event.circuitState = (deployment?.circuit ?? record.circuit).state;
  const costUsd = result.success && model !== undefined ? record.pricing?.costOf(model, result.usage) : undefined;
  if (costUsd !== undefined) event.costUsd = costUsd;
  return event;
}
