import type { ModelEntry } from '../contract/model-entry.ts';
import type { ProviderAdapter } from '../contract/provider-adapter.ts';
import { CircuitBreaker } from './circuit-breaker.ts';
import { DeploymentRecord } from './deployment-record.ts';
import type { PricingTable } from './pricing.ts';
import { ProviderHealth } from './provider-health.ts';
import type { CircuitBreakerConfig } from './types.ts';

/** Names served by a `'*'` provider get their own deployment up to this many; beyond, they share one. */
export const MAX_WILDCARD_DEPLOYMENTS = 1_000;

/**
 * Everything the router keeps about one registered provider: its provider-wide health and
 * circuit (connection failures, 401/403, failed health probes: they gate every model of the
 * provider) and its deployments, one per public model. Internal: users see `HealthSnapshot`s.
 */
export class ProviderRecord {
  readonly adapter: ProviderAdapter;
  readonly name: string;
  /** Registration sequence number: the tie-breaker "earliest registered". */
  readonly order: number;
  /** Latency EMA over all its models; failure rate of provider-wide faults only. */
  readonly health = new ProviderHealth();
  /** The provider-wide circuit. */
  readonly circuit: CircuitBreaker;
  /** Public model name → deployment, for the entries it lists and the names its `'*'` served. */
  readonly deployments = new Map<string, DeploymentRecord>();
  /** The model entries it serves, as registered (`'*'` included). */
  readonly entries: readonly ModelEntry[];
  /** True when it lists `'*'`. */
  readonly servesAnyModel: boolean;
  weight: number;
  /** The health flag set by `updateHealth`. */
  available = true;
  /** An operator's switch: a disabled provider takes no traffic whatever its circuit says. */
  enabled = true;
  /** A provider-wide cool-down (`recordResult` without a model) keeps it out of selection until this time; 0 = none. */
  coolingDownUntil = 0;
  /** Routed calls currently using this provider. */
  inFlight = 0;
  /** When the last active health probe finished; 0 = never. */
  lastCheckTime = 0;
  /** Prices of its models, when registered with `pricing`. */
  pricing: PricingTable | undefined = undefined;
  /** True while an active health probe is running (so probes never pile up). */
  probing = false;
  readonly #config: () => Readonly<CircuitBreakerConfig>;
  #wildcard: DeploymentRecord | undefined;

  constructor(
    adapter: ProviderAdapter,
    order: number,
    weight: number,
    config: () => Readonly<CircuitBreakerConfig>,
    now: number,
    entries: readonly ModelEntry[] = adapter.models,
  ) {
    this.adapter = adapter;
    this.name = adapter.name;
    this.order = order;
    this.weight = weight;
    this.entries = entries;
    this.#config = config;
    this.circuit = new CircuitBreaker(config, now);
    let servesAnyModel = false;
    for (const entry of entries) {
      const name = (typeof entry === 'string' ? entry : entry.name).trim();
      const upstream = typeof entry === 'string' ? name : entry.upstream.trim();
      if (name === '*') servesAnyModel = true;
      else if (name !== '' && upstream !== '' && !this.deployments.has(name))
        this.deployments.set(name, new DeploymentRecord(this, name, upstream, config, now));
    }
    this.servesAnyModel = servesAnyModel;
  }

  /**
   * The deployment serving `model`: a listed one, or for a `'*'` provider one made on first use
   * (sent upstream as asked; past `MAX_WILDCARD_DEPLOYMENTS` names, one shared `'*'` deployment).
   * Undefined when the provider does not serve `model`.
   */
  deploymentFor(model: string, now: number): DeploymentRecord | undefined {
    const found = this.deployments.get(model);
    if (found !== undefined || !this.servesAnyModel) return found;
    if (this.deployments.size >= MAX_WILDCARD_DEPLOYMENTS + this.entries.length) {
      return (this.#wildcard ??= new DeploymentRecord(this, '*', '*', this.#config, now));
    }
    const created = new DeploymentRecord(this, model, model, this.#config, now);
    this.deployments.set(model, created);
    return created;
  }
}
