import type { ProviderAdapter } from '../contract/provider-adapter.ts';
import { CircuitBreaker } from './circuit-breaker.ts';
import type { PricingTable } from './pricing.ts';
import { ProviderHealth } from './provider-health.ts';
import type { CircuitBreakerConfig } from './types.ts';

/**
 * Everything the router keeps about one registered provider. Internal: strategies read it,
 * the router writes it; users see `HealthSnapshot`s.
 */
export class ProviderRecord {
  readonly adapter: ProviderAdapter;
  readonly name: string;
  /** Registration sequence number: the tie-breaker "earliest registered". */
  readonly order: number;
  readonly health = new ProviderHealth();
  readonly circuit: CircuitBreaker;
  weight: number;
  /** The health flag of `updateHealth` (the Go original's "available"). */
  available = true;
  /** An operator's switch: a disabled provider takes no traffic whatever its circuit says. */
  enabled = true;
  /** A 429 cool-down keeps the provider out of selection until this time; 0 = none. */
  coolingDownUntil = 0;
  /** Routed calls currently using this provider. */
  inFlight = 0;
  /** When the latency strategy last sent it a measuring request; -Infinity = never. */
  explorationAt = Number.NEGATIVE_INFINITY;
  /** When the last active health probe finished; 0 = never. */
  lastCheckTime = 0;
  /** Prices of its models, when registered with `pricing`. */
  pricing: PricingTable | undefined = undefined;
  /** True while an active health probe is running (so probes never pile up). */
  probing = false;

  constructor(
    adapter: ProviderAdapter,
    order: number,
    weight: number,
    config: () => Readonly<CircuitBreakerConfig>,
    now: number,
  ) {
    this.adapter = adapter;
    this.name = adapter.name;
    this.order = order;
    this.weight = weight;
    this.circuit = new CircuitBreaker(config, now);
  }
}
