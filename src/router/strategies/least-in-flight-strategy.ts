import { indexOfLowest, sortedBy, type SelectionStrategy, type RoutingCandidate } from './selection-strategy.ts';

const inFlightOf = (record: RoutingCandidate): number => record.inFlight;

/**
 * `least_in_flight`: the provider with the fewest routed calls
 * under way; ties go to the earliest registered. Counts only calls made through
 * `router.chatCompletion` / `chatCompletionStream` (the gateway's path).
 */
export function createLeastInFlightStrategy(): SelectionStrategy {
  return {
    name: 'least_in_flight',
    choose: (candidates) => indexOfLowest(candidates, inFlightOf),
    rank: (candidates) => sortedBy(candidates, inFlightOf),
  };
}
