import type { ProviderRecord } from '../provider-record.ts';
import { indexOfLowest, sortedBy, type SelectionStrategy } from './selection-strategy.ts';

const failureRateOf = (record: ProviderRecord): number => record.health.failureRate;

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
