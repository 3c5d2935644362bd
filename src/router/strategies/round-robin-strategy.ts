import type { SelectionStrategy } from './selection-strategy.ts';

/** Above this many distinct models the counters are dropped, bounding memory under `'*'` providers. */
const MAX_TRACKED_MODELS = 10_000;

/**
 * `round_robin`: one counter per model over that model's available candidates, taken in
 * registration order, so three providers get exactly 33 of 99 selections each.
 */
export function createRoundRobinStrategy(): SelectionStrategy {
  const counters = new Map<string, number>();
  return {
    name: 'round_robin',
    choose(candidates, { model }) {
      const counter = counters.get(model) ?? 0;
      if (counters.size >= MAX_TRACKED_MODELS && counter === 0) counters.clear();
      counters.set(model, (counter + 1) % Number.MAX_SAFE_INTEGER);
      return counter % candidates.length;
    },
    rank(candidates, { model }) {
      const start = (counters.get(model) ?? 0) % candidates.length;
      return [...candidates.slice(start), ...candidates.slice(0, start)];
    },
  };
}
