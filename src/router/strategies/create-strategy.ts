import { ConfigurationError } from '../errors.ts';
import type { StrategyName } from '../types.ts';
import { createAvailabilityStrategy } from './availability-strategy.ts';
import { createCostStrategy } from './cost-strategy.ts';
import { createLatencyStrategy, type LatencyStrategyOptions } from './latency-strategy.ts';
import { createLeastInFlightStrategy } from './least-in-flight-strategy.ts';
import { createP2cStrategy } from './p2c-strategy.ts';
import { createRoundRobinStrategy } from './round-robin-strategy.ts';
import type { SelectionStrategy } from './selection-strategy.ts';
import { createWeightedStrategy } from './weighted-strategy.ts';

const FACTORIES: Record<StrategyName, (options: LatencyStrategyOptions) => SelectionStrategy> = {
  latency: createLatencyStrategy,
  round_robin: createRoundRobinStrategy,
  weighted: createWeightedStrategy,
  availability: createAvailabilityStrategy,
  least_in_flight: createLeastInFlightStrategy,
  p2c: () => createP2cStrategy(),
  cost: createCostStrategy,
};

/** Every strategy name the router accepts. */
export const STRATEGY_NAMES = Object.freeze(Object.keys(FACTORIES) as StrategyName[]);

/**
 * The strategy for `name`; a strategy object is returned as it is.
 *
 * @throws ConfigurationError for an unknown name or an
 *   object without `choose` and `rank` methods.
 */
export function createStrategy(
  name: string | SelectionStrategy,
  options: LatencyStrategyOptions = {},
): SelectionStrategy {
  if (typeof name === 'object' && name !== null) {
    if (typeof name.choose !== 'function' || typeof name.rank !== 'function')
      throw new ConfigurationError('A strategy object needs choose() and rank() methods');
    return name;
  }
  const factory = Object.hasOwn(FACTORIES, name) ? FACTORIES[name as StrategyName] : undefined;
  if (factory === undefined) {
    throw new ConfigurationError(`Unknown strategy '${name}'; expected one of: ${STRATEGY_NAMES.join(', ')}`);
  }
  return factory(options);
}
