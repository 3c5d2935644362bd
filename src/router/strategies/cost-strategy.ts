import type { ProviderRecord } from '../provider-record.ts';
import { byLatency, chooseByLatency, DEFAULT_STALE_AFTER_MS } from './latency-strategy.ts';
import type { SelectionStrategy } from './selection-strategy.ts';

/**
 * `cost`: the cheapest provider for the requested model by its `pricing` (blended 3 input : 1
 * output tokens, dollars per million); providers without a price for the model come after every
 * priced one. Ties (equal prices, or none priced) go to the latency rule: a provider due for a
 * measuring request, else the lowest latency EMA, else the earliest registered. Fallbacks are
 * ranked by price, then latency.
 */
export function createCostStrategy(): SelectionStrategy {
  let cheapest = Number.POSITIVE_INFINITY;
  let model = '';
  const isCheapest = (record: ProviderRecord): boolean => priceOf(record, model) === cheapest;
  return {
    name: 'cost',
    choose(candidates, context) {
      cheapest = Number.POSITIVE_INFINITY;
      model = context.model;
      for (let index = 0; index < candidates.length; index += 1) {
        const price = priceOf(candidates[index] as ProviderRecord, model);
        if (price < cheapest) cheapest = price;
      }
      const chosen = chooseByLatency(candidates, context.now, DEFAULT_STALE_AFTER_MS, isCheapest);
      return chosen === -1 ? 0 : chosen;
    },
    rank(candidates, context) {
      return candidates
        .slice()
        .sort((left, right) => priceOf(left, context.model) - priceOf(right, context.model) || byLatency(left, right));
    },
  };
}

function priceOf(record: ProviderRecord, model: string): number {
  return record.pricing === undefined ? Number.POSITIVE_INFINITY : record.pricing.blendedPrice(model);
}
