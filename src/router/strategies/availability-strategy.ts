import { indexOfLowest, sortedBy, type SelectionStrategy, type RoutingCandidate } from './selection-strategy.ts';

const failureRateOf = (record: RoutingCandidate): number => record.failureRate;

/**
 * `availability`: the provider with the lowest failure-rate score; ties go to the earliest
 * registered.
 */
export function createAvailabilityStrategy(): SelectionStrategy {
  return {
    name: 'availability',
    choose: (candidates) => indexOfLowest(candidates, failureRateOf),
    rank: (candidates) => sortedBy(candidates, failureRateOf),
  };
}
