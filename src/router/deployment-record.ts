import { CircuitBreaker } from './circuit-breaker.ts';
import { ProviderHealth } from './provider-health.ts';
import type { ProviderRecord } from './provider-record.ts';
import type { CircuitBreakerConfig } from './types.ts';

/**
 * One deployment: a provider × one of its public models. Failures the upstream reports for
 * that model (5xx, 429, a stream error, a timeout) open this circuit or cool this deployment
 * down and leave the provider's other models serving; provider-wide faults live on the
 * `ProviderRecord`. Internal: strategies read it as a `RoutingCandidate`, the router writes it.
 */
export class DeploymentRecord {
  readonly provider: ProviderRecord;
  /** The public model name clients ask for. */
  readonly model: string;
  /** The name sent upstream; equal to `model` for plain entries and names served by `'*'`. */
  readonly upstream: string;
  readonly health = new ProviderHealth();
  readonly circuit: CircuitBreaker;
  /** A 429 (or 503 retry-after) cool-down keeps the deployment out of selection until this time; 0 = none. */
  coolingDownUntil = 0;
  /** 429s without `retry-after` in a row: each doubles the next default cool-down. */
  consecutiveRateLimits = 0;
  /** When the latency strategy last sent it a measuring request; -Infinity = never. */
  explorationAt = Number.NEGATIVE_INFINITY;

  constructor(
    provider: ProviderRecord,
    model: string,
    upstream: string,
    config: () => Readonly<CircuitBreakerConfig>,
    now: number,
  ) {
    this.provider = provider;
    this.model = model;
    this.upstream = upstream;
    this.circuit = new CircuitBreaker(config, now);
  }

  /** The provider's name. */
  get name(): string {
    return this.provider.name;
  }

  /** The provider's registration order: the tie-breaker "earliest registered". */
  get order(): number {
    return this.provider.order;
  }

  /** The provider's weight. */
  get weight(): number {
    return this.provider.weight;
  }

  /** Routed calls under way at the provider (all its models: they share its connections and limits). */
  get inFlight(): number {
    return this.provider.inFlight;
  }

  /** This deployment's latency EMA, or the provider's while this one is unmeasured; 0 = neither measured. */
  get latencyMs(): number {
    const own = this.health.latencyMs;
    return own > 0 ? own : this.provider.health.latencyMs;
  }

  /** The worse of this deployment's and the provider's failure-rate scores. */
  get failureRate(): number {
    const own = this.health.failureRate;
    const providerRate = this.provider.health.failureRate;
    return own > providerRate ? own : providerRate;
  }

  /** When a latency sample last arrived for this deployment or its provider; -Infinity = never. */
  get lastSampleAt(): number {
    const own = this.health.lastSampleAt;
    const providerSample = this.provider.health.lastSampleAt;
    return own > providerSample ? own : providerSample;
  }
}
