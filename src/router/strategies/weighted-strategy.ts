import type { SelectionStrategy, RoutingCandidate } from './selection-strategy.ts';

/**
 * `weighted`: random in proportion to weight (1:2:1 gives about 25/50/25 %). A zero weight
 * is never picked unless every candidate's weight is zero; then the pick is uniform.
 */
export function createWeightedStrategy(): SelectionStrategy {
  return {
    name: 'weighted',
    choose(candidates, { random }) {
      let total = 0;
      for (const candidate of candidates) total += candidate.weight;
      if (total <= 0) return Math.min(candidates.length - 1, Math.floor(random() * candidates.length));
      let remaining = random() * total;
      let lastPositive = 0;
      for (let index = 0; index < candidates.length; index += 1) {
        const weight = (candidates[index] as RoutingCandidate).weight;
        if (weight <= 0) continue;
        lastPositive = index;
        remaining -= weight;
        if (remaining < 0) return index;
      }
      return lastPositive;
    },
    rank(candidates, { random }) {
      // Weighted order without replacement (Efraimidis–Spirakis keys); zero weights last.
      const keyed = candidates.map((record) => ({
        record,
        key: record.weight > 0 ? Math.pow(random(), 1 / record.weight) : -1,
      }));
      keyed.sort((left, right) => right.key - left.key || left.record.order - right.record.order);
      return keyed.map((entry) => entry.record);
    },
  };
}
